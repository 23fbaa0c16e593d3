#!/usr/bin/env node
// make demo: runs the chat example (example/) against the reference Durable
// Streams server, with the room kept on disk between runs.
//
//   1. builds the wasm module (make build), unless --no-build
//   2. links the package into example/node_modules (what `npm install`
//      does for its "file:.." dependency)
//   3. starts the reference server (internal/testserver/server.mjs) with file
//      storage in .demo-data/, and creates the room's stream when missing
//      (seeded with a welcome message)
//   4. with --gateway, builds cmd/streamdb-gateway (into .tools/) and
//      starts it in front of the stream server; the app then follows the
//      room through its WebSocket (live: 'websocket')
//   5. starts the Vite dev server of example/ and prints its URL
//   6. on Ctrl-C (SIGINT) or SIGTERM, stops all it started
//
// Options (flags or environment):
//   --port N      DEMO_PORT      the app's port (5173; the next free one if taken)
//   --ds-port N   DEMO_DS_PORT   the stream server's port (0: any free port)
//   --host H      DEMO_HOST      the address both listen on (127.0.0.1)
//   --data-dir D  DEMO_DATA_DIR  where the streams are stored (.demo-data)
//   --gateway     DEMO_GATEWAY=1 run the WebSocket gateway too (make demo GATEWAY=1)
//   --gateway-port N  DEMO_GATEWAY_PORT  its port (8787; 0: any free port)
//   --no-build                   skip make build (dist/ must exist)
//
// Other scripts (the end-to-end test) import startDemo.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, lstatSync, mkdirSync, symlinkSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = fileURLToPath(new URL('..', import.meta.url))
export const EXAMPLE = join(ROOT, 'example')
const SERVER = join(ROOT, 'internal/testserver/server.mjs')
const WASM = join(ROOT, 'dist/streamdb.wasm')
const WS_WASM = join(ROOT, 'dist/streamdb-ws.wasm')
const GATEWAY_BIN = join(ROOT, '.tools/streamdb-gateway')

/** build runs `make build` in the repository. */
export function build() {
  const r = spawnSync('make', ['--no-print-directory', 'build'], { cwd: ROOT, stdio: 'inherit' })
  if (r.status !== 0) throw new Error(`make build failed (${r.error?.message ?? `exit ${r.status}`})`)
}

/** buildGateway builds cmd/streamdb-gateway into .tools/ and returns its path. */
export function buildGateway() {
  const r = spawnSync('go', ['build', '-o', GATEWAY_BIN, './cmd/streamdb-gateway'], { cwd: ROOT, stdio: 'inherit' })
  if (r.status !== 0) throw new Error(`go build ./cmd/streamdb-gateway failed (${r.error?.message ?? `exit ${r.status}`})`)
  return GATEWAY_BIN
}

/**
 * startGateway runs the gateway binary in front of the stream server at
 * upstream, listening on host:port (0: a free port); it resolves once it
 * listens, with its socket URL. stop() ends it with SIGTERM (its graceful
 * shutdown); a Ctrl-C in the terminal reaches it as well.
 */
export function startGateway({ bin = GATEWAY_BIN, upstream, host = '127.0.0.1', port = 8787, onExit } = {}) {
  const listen = `${host.includes(':') ? `[${host}]` : host}:${port}`
  const child = spawn(bin, ['-listen', listen, '-upstream', upstream], { stdio: ['ignore', 'ignore', 'pipe'] })
  // "streamdb-gateway: listening on 127.0.0.1:8787 (sockets at ws://127.0.0.1:8787/v1/ws), ..."
  return listening(child, child.stderr, /sockets at (ws:\/\/\S+?)\)/, 'the gateway', onExit)
}

/**
 * listening resolves once child prints on out a line that pattern matches
 * (its first group is the URL), with {url, pid, stop}; stop() ends it with
 * SIGTERM and waits for it. It rejects, with what the child said on
 * stderr, when the child exits first; a later exit goes to onExit.
 */
function listening(child, out, pattern, name, onExit) {
  let log = ''
  child.stderr.on('data', (d) => (log += d))
  return new Promise((resolveStart, reject) => {
    let said = ''
    let started = false
    out.on('data', (d) => {
      said += d
      const m = said.match(pattern)
      if (m && !started) {
        started = true
        const exited = new Promise((r) => child.once('exit', r))
        resolveStart({
          url: m[1],
          pid: child.pid,
          stop: async () => {
            if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
            await exited
          },
        })
      }
    })
    child.once('exit', (code, signal) => {
      if (!started) reject(new Error(`${name} exited (${signal ?? code}) before listening:\n${log}`))
      else onExit?.(code, signal)
    })
    child.once('error', reject)
  })
}

/**
 * linkPackage makes example/node_modules/@streamdb/streamdb a link to the
 * repository root, as `npm install` in example/ does for "file:..".
 */
export function linkPackage() {
  const link = join(EXAMPLE, 'node_modules/@streamdb/streamdb')
  try {
    lstatSync(link)
    return
  } catch {
    // missing: make it
  }
  mkdirSync(dirname(link), { recursive: true })
  symlinkSync(relative(dirname(link), ROOT), link, 'dir')
}

/**
 * startStreamServer starts the reference server with file storage in
 * dataDir; it resolves once it listens. Its stdin is a pipe, so it also
 * stops when this process dies.
 */
export function startStreamServer({ dataDir, port = 0, host = '127.0.0.1', onExit } = {}) {
  const child = spawn(process.execPath, [SERVER, '--port', String(port), '--host', host, '--data-dir', dataDir, '--stop-with-stdin'], {
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  return listening(child, child.stdout, /DS_URL=(\S+)/, 'the stream server', onExit)
}

// The room's first events: a welcome message from the demo, the light theme.
function seedEvents() {
  const ev = (type, key, value) => ({ type, key, value, headers: { operation: 'insert' } })
  return [
    ev('user', 'streamdb', { id: 'streamdb', name: 'StreamDB', color: '#1864ab' }),
    ev('message', 'welcome', {
      id: 'welcome',
      userId: 'streamdb',
      text: 'Welcome! Open this page in a second window (each tab is its own user) and chat with yourself. Try a reaction, switch the theme, or send a message containing "fail".',
      ts: Date.now(),
    }),
    ev('setting', 'theme', { key: 'theme', value: 'light' }),
  ]
}

/**
 * ensureStream creates the JSON stream at url when it does not exist yet
 * (and seeds it); it returns true when it created it.
 */
export async function ensureStream(url) {
  const head = await fetch(url, { method: 'HEAD' })
  if (head.ok) return false
  if (head.status !== 404) throw new Error(`HEAD ${url}: ${head.status}`)
  const put = await fetch(url, { method: 'PUT', headers: { 'content-type': 'application/json' } })
  if (!put.ok) throw new Error(`PUT ${url}: ${put.status} ${await put.text()}`)
  const post = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(seedEvents()),
  })
  if (!post.ok) throw new Error(`POST ${url}: ${post.status} ${await post.text()}`)
  return true
}

/**
 * startDemo starts the stream server and the example's Vite dev server.
 * It resolves with { url, streamUrl, created, stop }: url is the app's
 * address, created tells whether the stream was new.
 */
export async function startDemo({
  dataDir = join(ROOT, '.demo-data'),
  port = 5173,
  dsPort = 0,
  host = '127.0.0.1',
  stream = 'chat',
  build: doBuild = true,
  gateway: withGateway = false,
  gatewayPort = 8787,
  logLevel = 'info',
  onServerExit,
} = {}) {
  if (doBuild) build()
  else {
    for (const f of withGateway ? [WASM, WS_WASM] : [WASM]) {
      if (!existsSync(f)) throw new Error(`${relative(ROOT, f)} is missing: run make build`)
    }
  }
  linkPackage()
  mkdirSync(dataDir, { recursive: true })
  if (withGateway) buildGateway()

  const ds = await startStreamServer({ dataDir, port: dsPort, host, onExit: onServerExit })
  let gw
  try {
    const streamUrl = `${ds.url}/v1/stream/${stream}`
    const created = await ensureStream(streamUrl)
    const define = { 'import.meta.env.VITE_STREAM_URL': JSON.stringify(streamUrl) }
    if (withGateway) {
      gw = await startGateway({ upstream: ds.url, host, port: gatewayPort, onExit: onServerExit })
      define['import.meta.env.VITE_GATEWAY_URL'] = JSON.stringify(gw.url)
    }
    const { createServer } = await import('vite')
    const vite = await createServer({
      configFile: join(EXAMPLE, 'vite.config.js'),
      logLevel,
      define,
      server: { host, port, strictPort: false },
    })
    try {
      await vite.listen()
    } catch (e) {
      await vite.close()
      throw e
    }
    const addr = vite.httpServer.address()
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${addr.port}/`
    let stopping
    return {
      url,
      streamUrl,
      gatewayUrl: gw?.url,
      created,
      dataDir,
      // The gateway first: its graceful shutdown lets appends in flight
      // reach the stream server.
      stop: () => (stopping ??= (gw ? gw.stop() : Promise.resolve())
        .then(() => Promise.allSettled([vite.close(), ds.stop()])).then(() => {})),
    }
  } catch (e) {
    await gw?.stop()
    await ds.stop()
    throw e
  }
}

function option(args, flag, env, fallback) {
  const i = args.indexOf(flag)
  if (i >= 0 && i + 1 < args.length) return args[i + 1]
  return process.env[env] || fallback
}

async function main() {
  const args = process.argv.slice(2)
  const dataDir = resolve(ROOT, option(args, '--data-dir', 'DEMO_DATA_DIR', '.demo-data'))
  let demo
  let stopping = false
  const stop = async (code = 0) => {
    if (stopping) {
      process.exit(130) // a second Ctrl-C: give up waiting
    }
    stopping = true
    console.log('\nstopping the demo…')
    await demo?.stop()
    console.log('stopped.')
    process.exit(code)
  }
  process.on('SIGINT', () => stop(0))
  process.on('SIGTERM', () => stop(0))

  demo = await startDemo({
    dataDir,
    port: Number(option(args, '--port', 'DEMO_PORT', '5173')),
    dsPort: Number(option(args, '--ds-port', 'DEMO_DS_PORT', '0')),
    host: option(args, '--host', 'DEMO_HOST', '127.0.0.1'),
    build: !args.includes('--no-build'),
    gateway: args.includes('--gateway') || !['', '0', undefined].includes(process.env.DEMO_GATEWAY),
    gatewayPort: Number(option(args, '--gateway-port', 'DEMO_GATEWAY_PORT', '8787')),
    onServerExit: (code, signal) => {
      if (stopping) return
      console.error(`the stream server or the gateway stopped unexpectedly (${signal ?? code})`)
      stop(1)
    },
  })
  const rel = dataDir.startsWith(ROOT) ? relative(ROOT, dataDir) || '.' : dataDir
  console.log(`
StreamDB chat demo
  app:     ${demo.url}
  stream:  ${demo.streamUrl}${demo.gatewayUrl ? `
  gateway: ${demo.gatewayUrl} (the app reads and writes the room through it: live 'websocket'; ?ws=0 goes over HTTP)` : ''}
  data:    ${rel}/ (${demo.created ? 'new room' : 'existing room, reused'}; delete it to start over)

Open the app in two windows (each tab is its own user). Ctrl-C stops everything.
`)
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    console.error(`make demo: ${e.message}`)
    process.exit(1)
  })
}
