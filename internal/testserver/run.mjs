// Runs a command with a reference Durable Streams server beside it.
//
// Usage: node internal/testserver/run.mjs [--long-poll-ms N] [--data-dir D] [--gateway BIN] -- <cmd> [args...]
//
// Starts server.mjs (next to this file), runs <cmd> with STREAMDB_TEST_SERVER
// set to the server's base URL, stops the server and exits with the command's
// exit code. With --gateway, BIN (a built cmd/streamdb-gateway) also runs in
// front of the server, and STREAMDB_TEST_GATEWAY is its socket URL. The
// Makefile uses it for the GOOS=js tests, which run in headless Chromium and
// cannot start the servers themselves.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";

const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 5_000;

function usage(msg) {
  if (msg) process.stderr.write(`run.mjs: ${msg}\n`);
  process.stderr.write(
    "usage: node internal/testserver/run.mjs [--long-poll-ms N] [--data-dir D] [--gateway BIN] -- <cmd> [args...]\n",
  );
  process.exit(2);
}

const argv = process.argv.slice(2);
const sep = argv.indexOf("--");
if (sep < 0 || sep === argv.length - 1) usage("missing `-- <cmd>`");
const own = argv.slice(0, sep);
const [cmd, ...cmdArgs] = argv.slice(sep + 1);

// --stop-with-stdin: stopServer ends the server by closing its stdin, and
// so does the kernel if this process dies.
const serverArgs = ["--long-poll-ms", "1500", "--stop-with-stdin"];
let gatewayBin;
for (let i = 0; i < own.length; i++) {
  const name = own[i];
  if (name === "--gateway") {
    if (i + 1 >= own.length) usage(`${name} needs a value`);
    gatewayBin = own[++i];
  } else if (name === "--long-poll-ms" || name === "--data-dir") {
    if (i + 1 >= own.length) usage(`${name} needs a value`);
    if (name === "--long-poll-ms") serverArgs[1] = own[++i];
    else serverArgs.push(name, own[++i]);
  } else {
    usage(`unknown option ${name}`);
  }
}

const serverPath = fileURLToPath(new URL("./server.mjs", import.meta.url));
const server = spawn(process.execPath, [serverPath, ...serverArgs], {
  stdio: ["pipe", "pipe", "inherit"],
});
const serverExited = new Promise((resolve) => server.on("exit", resolve));

const url = await new Promise((resolve, reject) => {
  const timer = setTimeout(
    () => reject(new Error(`the server printed no DS_URL line within ${START_TIMEOUT_MS} ms`)),
    START_TIMEOUT_MS,
  );
  const lines = createInterface({ input: server.stdout });
  lines.on("line", (line) => {
    const m = /^DS_URL=(\S+)/.exec(line.trim());
    if (m) {
      clearTimeout(timer);
      resolve(m[1].replace(/\/+$/, ""));
    } else {
      process.stdout.write(`[server] ${line}\n`);
    }
  });
  server.on("error", (err) => {
    clearTimeout(timer);
    reject(err);
  });
  server.on("exit", (code, signal) => {
    clearTimeout(timer);
    reject(new Error(`the server exited before printing DS_URL (code ${code}, signal ${signal})`));
  });
}).catch(async (err) => {
  process.stderr.write(`run.mjs: ${err.message}\n`);
  await stopServer();
  process.exit(1);
});

async function stopServer() {
  if (server.exitCode !== null || server.signalCode !== null) return;
  server.stdin.end();
  const timer = setTimeout(() => server.kill("SIGKILL"), STOP_TIMEOUT_MS);
  await serverExited;
  clearTimeout(timer);
}

process.stderr.write(`run.mjs: reference server at ${url}\n`);

// The gateway, when asked for: on a free port, in front of the server; it
// logs its socket URL.
let gateway;
const env = { ...process.env, STREAMDB_TEST_SERVER: url };
if (gatewayBin) {
  gateway = spawn(gatewayBin, ["-listen", "127.0.0.1:0", "-upstream", url], { stdio: ["ignore", "inherit", "pipe"] });
  env.STREAMDB_TEST_GATEWAY = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the gateway printed no socket URL within ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
    createInterface({ input: gateway.stderr }).on("line", (line) => {
      const m = /sockets at (ws:\/\/\S+?)\)?,? /.exec(line);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    gateway.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the gateway exited before listening (code ${code})`));
    });
  }).catch(async (err) => {
    process.stderr.write(`run.mjs: ${err.message}\n`);
    await stopServer();
    process.exit(1);
  });
  process.stderr.write(`run.mjs: gateway at ${env.STREAMDB_TEST_GATEWAY}\n`);
}

const child = spawn(cmd, cmdArgs, { stdio: "inherit", env });

// Pass Ctrl-C and termination on to the command; it decides when to stop.
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(sig, () => {
    if (child.exitCode === null) child.kill(sig);
  });
}

const { code, signal } = await new Promise((resolve) => {
  child.on("error", (err) => {
    process.stderr.write(`run.mjs: cannot run ${cmd}: ${err.message}\n`);
    resolve({ code: 127, signal: null });
  });
  child.on("exit", (code, signal) => resolve({ code, signal }));
});

gateway?.kill("SIGTERM");
await stopServer();

if (signal) {
  const signum = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 }[signal] ?? 1;
  process.exit(128 + signum);
}
process.exit(code ?? 1);
