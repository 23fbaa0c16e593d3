// Starts the reference Durable Streams server (@durable-streams/server) for
// tests and the demo. The package has no command line, so this script builds
// the server from its options, prints one line `DS_URL=<base url>` when it
// listens, and stops cleanly on SIGINT or SIGTERM.
//
// Usage: node server.mjs [--port N] [--host H] [--data-dir DIR]
//                        [--long-poll-ms N] [--stop-with-stdin]
//
// Run by hand it stays up until Ctrl-C (or a signal), whatever its stdin
// is, and also says on stderr where it listens. --stop-with-stdin is for a
// parent process (the tests, run.mjs, the demo): the server also stops when
// its stdin reaches its end, so a parent holds a pipe open for as long as
// the server should live, and a parent that dies, even by SIGKILL, never
// leaves a server behind (the kernel closes the pipe).
//
// The reference server's CORS answer lacks a few names that a page on another
// origin needs: If-None-Match is not an allowed request header, and
// Stream-SSE-Data-Encoding, Stream-TTL, Stream-Expires-At, Location and
// Retry-After are not exposed response headers. We add them by wrapping the
// server's request handler.
import { DurableStreamTestServer } from "@durable-streams/server";

const args = process.argv.slice(2);
const valued = ["--port", "--host", "--data-dir", "--long-poll-ms"];
const flags = ["--stop-with-stdin"];
for (let i = 0; i < args.length; i++) {
  if (valued.includes(args[i]) && i + 1 < args.length) i++;
  else if (!flags.includes(args[i])) {
    process.stderr.write(
      `server.mjs: unknown or incomplete option ${args[i]}\n` +
        "usage: node internal/testserver/server.mjs [--port N] [--host H] [--data-dir DIR] [--long-poll-ms N] [--stop-with-stdin]\n",
    );
    process.exit(2);
  }
}
const opt = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
};
const stopWithStdin = args.includes("--stop-with-stdin");

const extraAllowed = ["If-None-Match", "Cache-Control", "Last-Event-ID"];
const extraExposed = [
  "Stream-SSE-Data-Encoding",
  "Stream-TTL",
  "Stream-Expires-At",
  "Location",
  "Retry-After",
  "Cache-Control",
];

function widen(value, extra) {
  const have = String(value)
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const lower = new Set(have.map((s) => s.toLowerCase()));
  for (const name of extra) if (!lower.has(name.toLowerCase())) have.push(name);
  return have.join(", ");
}

const server = new DurableStreamTestServer({
  port: Number(opt("--port", "0")),
  host: opt("--host", "127.0.0.1"),
  longPollTimeout: Number(opt("--long-poll-ms", "30000")),
  dataDir: opt("--data-dir", undefined),
});

const handle = server.handleRequest.bind(server);
server.handleRequest = (req, res) => {
  const setHeader = res.setHeader.bind(res);
  res.setHeader = (name, value) => {
    const n = String(name).toLowerCase();
    if (n === "access-control-allow-headers") value = widen(value, extraAllowed);
    if (n === "access-control-expose-headers") value = widen(value, extraExposed);
    return setHeader(name, value);
  };
  return handle(req, res);
};

const url = await server.start();
process.stdout.write(`DS_URL=${url}\n`);
if (!stopWithStdin) {
  process.stderr.write(
    `reference Durable Streams server listening at ${url} (a stream: ${url}/v1/stream/<name>); Ctrl-C stops it\n`,
  );
}

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  const timer = setTimeout(() => process.exit(0), 3000);
  timer.unref();
  try {
    await server.stop();
  } finally {
    process.exit(0);
  }
}
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
if (stopWithStdin) {
  process.stdin.on("end", stop);
  process.stdin.on("close", stop);
  process.stdin.resume();
}
