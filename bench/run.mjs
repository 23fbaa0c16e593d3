#!/usr/bin/env node
// Side-by-side benchmark of StreamDB and the reference stack
// (@durable-streams/state 0.3.1 createStreamDB + @tanstack/db 0.15.2 live
// queries) in headless Chromium, both reading the same data from the
// reference Durable Streams server (internal/testserver/server.mjs).
//
//   node bench/run.mjs --n=10000 --engines=ours,reference
//
// Options (defaults in brackets):
//   --n=10000[,100000]     message counts (users are n/10)            [10000]
//   --engines=ours,reference                                          [both]
//   --live=long-poll,sse[,websocket]
//                          live modes; websocket: ours through a
//                          streamdb-gateway the runner starts (the
//                          reference has no such mode and does not run in
//                          it); --live=websocket alone means
//                          long-poll,sse,websocket (the change rows side
//                          by side); websocket always runs last  [long-poll,sse]
//   --gateway-live=MODE    the gateway's own upstream live mode,
//                          long-poll or sse                      [long-poll]
//   --index=off,eager      the reference's variants: no indexes, or
//                          autoIndex 'eager' + BTreeIndex             [both]
//   --rounds=100           rounds of (insert, toggle, delete) changes [100]
//   --gap-ms=100           wait after each change has settled         [100]
//   --timeout-s=600        budget of one run (engine, mode, variant)  [600]
//   --seed=1               data seed                                  [1]
//   --no-build             reuse bench/.build
//   --js-flags=FLAGS       extra V8 flags for Chromium (e.g. --no-wasm-lazy-compilation)
//   --cpu-profile=FILE     write CPU profiles (DevTools format, 50 µs
//                          samples) of ours: the preload to
//                          FILE-<n>-<live>-preload.cpuprofile, each first
//                          result to FILE-<n>-<live>-Q<i>.cpuprofile (from
//                          the query's start to its result; profile.mjs
//                          --within=liveQuery keeps the query alone; its first
//                          repeat, --repeat, to ...-Q<i>-again), the change
//                          rounds to FILE-<n>-<live>.cpuprofile (split
//                          them with bench/profile.mjs), the load section's
//                          load to FILE-load-<n>-<live>.cpuprofile, the
//                          reload section's saves and ours' first reload to
//                          FILE-reload-saves-<n>.cpuprofile and
//                          FILE-reload-<n>.cpuprofile; build the wasm
//                          without -s -w to keep Go's function names
//   --no-warm-visit        the second visit only starts the module (by
//                          default it also reads the stream and opens Q1-Q4:
//                          a returning visitor, V8's code cache at work)
//   --trace-startup=FILE   record a Chromium trace of each run's first and
//                          second visit to FILE-<engine>-<n>-<live>-{cold,warm}.json
//   --trace-samples        add V8's sampling profiler to those traces
//                          (bench/trace.mjs --samples)
//   --trace-preload=FILE   record a Chromium trace of each run's preload to
//                          FILE-<engine>-<n>-<live>.json (the longest
//                          task's parts: bench/trace.mjs --longest)
//   --trace=FILE           record a Chromium trace of the change rounds of
//                          each run to FILE-<engine>-<n>-<live>.json (open
//                          it in chrome://tracing or Perfetto; summarise the
//                          path of each change with bench/trace.mjs)
//   --repeat=K             after the first results, open each query K more
//                          times (closing it each time) and report the
//                          median: a first result with the engine warm,
//                          steadier than the first one for A/B tests  [0]
//   --warm-up              ours calls warmUp() right after createStreamDB
//                          (the engine warms up in a Worker while the
//                          catch-up is on its way; createStreamDB starts
//                          it by itself only on 4+ cores)             [off]
//   --load[=N,...]         also the load section: 20 live queries open while
//                          N events stream in at full speed (bench/README.md,
//                          "Load"); N defaults to 100000              [off]
//   --load-only            only the load section (implies --load)
//   --reload[=K]           also the reload section (bench/README.md,
//                          "Reload"): ours preloads with persist (OPFS),
//                          saves, and its page is reloaded K times, each
//                          after 300 more events, restoring and catching
//                          up; the reference's page is reloaded after the
//                          same appends and replays the stream (75-100 s
//                          at n = 100k)                           [off; K=3]
//   --reload-ref=R         reloads of each reference variant      [1]
//   --reload-only          only the reload section (implies --reload)
//   --pkg=DIR              measure the StreamDB package in DIR (its js/ and
//                          dist/) instead of this checkout's, e.g. a
//                          `git archive` of a commit built with make build
//                          (the gateway is always built from this checkout)
//   --streams[=K]          also the streams section (bench/README.md,
//                          "Streams"): one page, K StreamDBs on K streams:
//                          createStreamDB x K -> all ready, then bursts of
//                          one append to every stream at once, then appends
//                          one at a time, append -> notified; ours over
//                          each of --streams-live, the reference over
//                          long-poll                               [off; K=20]
//   --streams-only         only the streams section (implies --streams)
//   --streams-live=LIST    its live modes for ours [websocket,long-poll,sse]
//   --streams-n=N          messages per stream (and N/10 users)     [1000]
//   --streams-rounds=R     bursts of K appends                      [3]
//   --streams-each=M       appends one at a time (streams in a shuffled
//                          order)                                   [10]
//   --streams-timeout-s=S  longest wait for all K ready, and for a
//                          burst's K appends to be seen             [60]
//   --streams-each-timeout-s=S  longest wait for one append made alone
//                          to be seen (the server's long-poll lasts 30 s) [35]
//
// It prints one table per n (each figure for each engine, and the ratio
// reference/ours: above 1 means ours is smaller or faster), writes the same
// as JSON to bench/results/, and ends with the smallest ratio. It is not a
// test: figures never fail it. It exits 1 when the engines' query results
// differ (compared after preload and after the changes; in the streams
// section, each stream's Q4 and sizes against the data and across runs),
// 2 when a run of ours failed.
import { spawn } from 'node:child_process'
import { createServer, request as httpRequest, Agent } from 'node:http'
import { readFileSync, writeFileSync, mkdirSync, existsSync, statSync, mkdtempSync, rmSync } from 'node:fs'
import { join, extname, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import os from 'node:os'
import { makeData, makePlan, makeLoad, prng, LOAD_TXID } from './data.mjs'

const HERE = dirname(fileURLToPath(import.meta.url))
const ROOT = join(HERE, '..')
const BUILD = join(HERE, '.build')
const RESULTS = join(HERE, 'results')
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium'

// ------------------------------------------------------------------ options

const argv = Object.fromEntries(
  process.argv.slice(2).map((a) => {
    const m = a.match(/^--([^=]+)(?:=(.*))?$/)
    if (!m) usage(`unexpected argument ${a}`)
    return [m[1], m[2] ?? true]
  }),
)
function usage(msg) {
  console.error(`run.mjs: ${msg}\nusage: node bench/run.mjs [--n=10000,100000] [--engines=ours,reference] [--live=long-poll,sse,websocket] [--gateway-live=long-poll] [--index=off,eager] [--rounds=100] [--gap-ms=100] [--timeout-s=600] [--seed=1] [--no-build] [--load[=100000]] [--load-only] [--reload[=3]] [--reload-ref=1] [--reload-only] [--streams[=20]] [--streams-only] [--streams-live=websocket,long-poll,sse] [--streams-n=1000] [--streams-rounds=3] [--streams-each=10] [--streams-timeout-s=60] [--streams-each-timeout-s=35]`)
  process.exit(64)
}
// The options above; any other is refused, so that a misspelt one does not
// silently leave its default in place.
const OPTIONS = new Set(['n', 'engines', 'live', 'gateway-live', 'index', 'rounds', 'gap-ms', 'timeout-s', 'seed', 'no-build', 'js-flags', 'cpu-profile', 'pkg', 'no-warm-visit', 'trace-startup', 'trace-samples', 'trace-preload', 'trace', 'repeat', 'warm-up', 'load', 'load-only', 'reload', 'reload-ref', 'reload-only', 'streams', 'streams-only', 'streams-live', 'streams-n', 'streams-rounds', 'streams-each', 'streams-timeout-s', 'streams-each-timeout-s'])
for (const k of Object.keys(argv)) if (!OPTIONS.has(k)) usage(`unknown option --${k}`)
const list = (v, d) => String(v ?? d).split(',').map((s) => s.trim()).filter(Boolean)
const count = (s) => Number(s.replace(/_/g, '').replace(/k$/i, '000').replace(/m$/i, '000000'))
const loadArg = argv.load ?? (argv['load-only'] ? true : undefined)
// websocket alone: next to SSE and long-poll; and always last, so that the
// first mode (the load, query and memory rows, the reload section) is one
// the reference has too.
const HTTP_MODES = ['long-poll', 'sse']
let lives = list(argv.live, 'long-poll,sse')
if (lives.length === 1 && lives[0] === 'websocket') lives = [...HTTP_MODES, 'websocket']
lives = [...lives.filter((l) => l !== 'websocket'), ...lives.filter((l) => l === 'websocket')]
const streamsArg = argv.streams ?? (argv['streams-only'] ? true : undefined)
const opts = {
  ns: list(argv.n, '10000').map(count),
  loads: loadArg === undefined ? [] : list(loadArg === true ? '100000' : loadArg).map(count),
  loadOnly: Boolean(argv['load-only']),
  engines: list(argv.engines, 'ours,reference'),
  lives,
  gatewayLive: String(argv['gateway-live'] ?? 'long-poll'),
  streams: streamsArg === undefined ? 0 : streamsArg === true ? 20 : Number(streamsArg),
  streamsOnly: Boolean(argv['streams-only']),
  streamsLives: list(argv['streams-live'], 'websocket,long-poll,sse'),
  streamsN: count(String(argv['streams-n'] ?? '1000')),
  streamsRounds: Number(argv['streams-rounds'] ?? 3),
  streamsEach: Number(argv['streams-each'] ?? 10),
  streamsTimeoutS: Number(argv['streams-timeout-s'] ?? 60),
  streamsEachTimeoutS: Number(argv['streams-each-timeout-s'] ?? 35),
  indexes: list(argv.index, 'off,eager'),
  rounds: Number(argv.rounds ?? 100),
  gapMs: Number(argv['gap-ms'] ?? 100),
  timeoutS: Number(argv['timeout-s'] ?? 600),
  seed: Number(argv.seed ?? 1),
  build: !argv['no-build'],
  pkg: argv.pkg ? String(argv.pkg) : null,
  repeat: Number(argv.repeat ?? 0),
  warmUp: Boolean(argv['warm-up']),
  jsFlags: argv['js-flags'] ? String(argv['js-flags']) : '',
  cpuProfile: argv['cpu-profile'] ? String(argv['cpu-profile']) : null,
  trace: argv.trace ? String(argv.trace) : null,
  tracePreload: argv['trace-preload'] ? String(argv['trace-preload']) : null,
  traceStartup: argv['trace-startup'] ? String(argv['trace-startup']) : null,
  warmVisit: !argv['no-warm-visit'],
  reload: argv.reload !== undefined || Boolean(argv['reload-only']),
  reloadOnly: Boolean(argv['reload-only']),
  reloads: argv.reload === undefined || argv.reload === true ? 3 : Number(argv.reload),
  refReloads: Number(argv['reload-ref'] ?? 1),
}
for (const n of opts.ns) if (!Number.isInteger(n) || n < 10) usage(`bad --n ${n}`)
for (const n of opts.loads) if (!Number.isInteger(n) || n < 1) usage(`bad --load ${n}`)
for (const e of opts.engines) if (!['ours', 'reference'].includes(e)) usage(`unknown engine ${e}`)
for (const l of [...opts.lives, ...opts.streamsLives]) if (!['long-poll', 'sse', 'websocket'].includes(l)) usage(`unknown live mode ${l}`)
if (!HTTP_MODES.includes(opts.gatewayLive)) usage(`unknown --gateway-live ${opts.gatewayLive}`)
if (streamsArg !== undefined && !(Number.isInteger(opts.streams) && opts.streams >= 1)) usage(`bad --streams ${streamsArg}`)
if (!(Number.isInteger(opts.streamsN) && opts.streamsN >= 10)) usage(`bad --streams-n ${argv['streams-n']}`)
if (!(Number.isInteger(opts.streamsRounds) && opts.streamsRounds >= 0)) usage(`bad --streams-rounds ${argv['streams-rounds']}`)
if (!(Number.isInteger(opts.streamsEach) && opts.streamsEach >= 0)) usage(`bad --streams-each ${argv['streams-each']}`)
if (!(opts.streamsTimeoutS > 0)) usage(`bad --streams-timeout-s ${argv['streams-timeout-s']}`)
if (!(opts.streamsEachTimeoutS > 0)) usage(`bad --streams-each-timeout-s ${argv['streams-each-timeout-s']}`)
if ([opts.reloadOnly, opts.loadOnly, opts.streamsOnly].filter(Boolean).length > 1) usage('--reload-only, --load-only and --streams-only exclude each other')
for (const x of opts.indexes) if (!['off', 'eager'].includes(x)) usage(`unknown index variant ${x}`)
if (!Number.isInteger(opts.reloads) || opts.reloads < 1) usage(`bad --reload ${argv.reload}`)
if (!Number.isInteger(opts.refReloads) || opts.refReloads < 1) usage(`bad --reload-ref ${argv['reload-ref']}`)

const log = (...a) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}]`, ...a)

// ------------------------------------------------------------------ build

/**
 * build bundles the pages with Vite (production mode) into bench/.build:
 * ours (the package's main entry), ours-ws (its ./websocket entry, the
 * WebSocket build of the module) and the reference.
 */
async function build() {
  const { build: viteBuild } = await import('vite')
  // The package's own entry, resolved through its "exports" (a
  // self-reference), or the one in --pkg.
  const entry = opts.pkg ? join(opts.pkg, 'js/index.js') : fileURLToPath(import.meta.resolve('@streamdb/streamdb'))
  const wasm = join(dirname(entry), '../dist/streamdb.wasm')
  if (!existsSync(wasm)) throw new Error(`${wasm} is missing: run make build first`)
  // The ./websocket entry and its module (a --pkg from before them has none).
  const wsEntry = join(dirname(entry), 'websocket.js')
  const wsWasm = join(dirname(entry), '../dist/streamdb-ws.wasm')
  const withWs = existsSync(wsEntry) && existsSync(wsWasm)
  if (!withWs && usesWebSocket()) throw new Error(`${existsSync(wsEntry) ? wsWasm : wsEntry} is missing (live: 'websocket' needs the package's ./websocket entry and its module): run make build first`)
  const config = (input, { emptyOutDir, manifest, plugins = [], output = {} }) => ({
    configFile: false,
    root: join(HERE, 'pages'),
    logLevel: 'warn',
    mode: 'production',
    plugins,
    resolve: {
      alias: [
        { find: /^@streamdb\/streamdb$/, replacement: entry },
        { find: /^@streamdb\/streamdb\/websocket$/, replacement: wsEntry },
      ],
    },
    build: {
      outDir: BUILD,
      emptyOutDir,
      target: 'esnext',
      // Profiles name the shim's functions.
      minify: !opts.cpuProfile,
      manifest,
      assetsInlineLimit: 0,
      modulePreload: false,
      rollupOptions: { input, output },
    },
  })
  await viteBuild(config({ ours: join(HERE, 'pages/ours.html'), reference: join(HERE, 'pages/reference.html') }, { emptyOutDir: true, manifest: true }))
  // ours-ws in a build of its own: in one build with ours, the package
  // would be a chunk shared by both pages, evaluated (js/db.js awaits the
  // module at the top level) before ours-ws's own chunk could select the
  // WebSocket build, so that page would load the default module. (What
  // an application with pages on both entries in one build would meet.)
  if (!withWs) return
  await viteBuild(
    config(
      { 'ours-ws': join(HERE, 'pages/ours-ws.html') },
      {
        emptyOutDir: false,
        manifest: WS_MANIFEST,
        plugins: [
          {
            // A defect of the package (reported, not fixed here): its
            // package.json "sideEffects" does not list js/ws-module.js,
            // which ./websocket imports only for its side effect (it
            // selects dist/streamdb-ws.wasm), so a production build drops
            // it and the ./websocket entry loads the default module, which
            // then refuses live: 'websocket'. The bench keeps it.
            name: 'bench-keep-ws-module',
            transform(code, id) {
              if (/[\\/]js[\\/]ws-module\.js$/.test(id)) return { code, moduleSideEffects: true }
            },
          },
        ],
        // The benchmark's own modules in a chunk of their own (as in the
        // other build), left out of the page's sizes.
        output: { manualChunks: (id) => (/[\\/]bench[\\/]pages[\\/](harness|load|instrument)\.js$/.test(id) ? 'harness' : undefined) },
      },
    ),
  )
}

/** usesWebSocket: whether ours runs over the gateway somewhere in this run. */
function usesWebSocket() {
  const tableRuns = !opts.loadOnly && !opts.reloadOnly && !opts.streamsOnly
  return opts.engines.includes('ours') && ((((tableRuns || opts.loads.length > 0) && opts.lives.includes('websocket')) || (opts.streams > 0 && opts.streamsLives.includes('websocket'))))
}

/** WS_MANIFEST: the manifest of ours-ws's build (bench/.build/.vite/). */
const WS_MANIFEST = '.vite/manifest-ws.json'

/** sizes reads the build manifest: each page's JS and wasm, raw and gzip. */
function sizes() {
  const main = JSON.parse(readFileSync(join(BUILD, '.vite/manifest.json'), 'utf8'))
  const ws = existsSync(join(BUILD, WS_MANIFEST)) ? JSON.parse(readFileSync(join(BUILD, WS_MANIFEST), 'utf8')) : null
  const out = {}
  for (const page of ['ours', ...(ws ? ['ours-ws'] : []), 'reference']) {
    const manifest = page === 'ours-ws' ? ws : main
    const files = new Set()
    const walk = (key) => {
      const c = manifest[key]
      if (!c || files.has(c.file)) return
      files.add(c.file)
      for (const a of c.assets ?? []) files.add(a)
      for (const i of c.imports ?? []) walk(i)
    }
    walk(`${page}.html`)
    // The harness is the benchmark's, not the engine's.
    for (const [, c] of Object.entries(manifest)) if (c.name === 'harness') files.delete(c.file)
    // Both of ours' pages bundle both modules' URLs (js/wasm.js names the
    // default one, js/ws-module.js the other); each loads one.
    for (const f of [...files]) {
      if (page === 'ours' && /streamdb-ws-[^/]*\.wasm$/.test(f)) files.delete(f)
      if (page === 'ours-ws' && /\.wasm$/.test(f) && !/streamdb-ws-[^/]*\.wasm$/.test(f)) files.delete(f)
    }
    const s = { jsBytes: 0, jsGzip: 0, wasmBytes: 0, wasmGzip: 0, files: [] }
    for (const f of files) {
      const buf = readFileSync(join(BUILD, f))
      const gz = gzipSync(buf, { level: 9 }).length
      const kind = f.endsWith('.wasm') ? 'wasm' : f.endsWith('.js') ? 'js' : null
      if (!kind) continue
      s[`${kind}Bytes`] += buf.length
      s[`${kind}Gzip`] += gz
      s.files.push({ file: f, bytes: buf.length, gzip: gz })
    }
    s.totalGzip = s.jsGzip + s.wasmGzip
    out[page] = s
  }
  return out
}

// ------------------------------------------------------------------ servers

/** startDS starts the reference server and returns {url, stop}. */
async function startDS() {
  const child = spawn(process.execPath, [join(ROOT, 'internal/testserver/server.mjs'), '--port', '0', '--long-poll-ms', '30000', '--stop-with-stdin'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  const url = await new Promise((resolve, reject) => {
    let out = ''
    child.stdout.on('data', (d) => {
      out += d
      const m = out.match(/DS_URL=(\S+)/)
      if (m) resolve(m[1])
    })
    child.on('exit', (code) => reject(new Error(`the reference server exited (${code}) before listening`)))
  })
  return { url, pid: child.pid, stop: () => new Promise((r) => (child.once('exit', r), child.kill('SIGTERM'))) }
}

/**
 * startGateway builds cmd/streamdb-gateway (of this checkout) into a
 * temporary directory and runs it in front of the reference server
 * (upstream: dsURL itself, not the runner's proxy; its own upstream live
 * mode --gateway-live); it returns {url (ws://.../v1/ws), live, stop}. The
 * pages reach it on its own address (a cross-origin WebSocket: it allows
 * any origin by default).
 */
async function startGateway(dsURL) {
  const dir = mkdtempSync(join(os.tmpdir(), 'bench-gateway-'))
  const bin = join(dir, 'streamdb-gateway')
  log('building cmd/streamdb-gateway')
  await new Promise((resolve, reject) => {
    const c = spawn('go', ['build', '-o', bin, './cmd/streamdb-gateway'], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] })
    c.on('error', reject)
    c.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`go build ./cmd/streamdb-gateway exited ${code}`))))
  })
  const child = spawn(bin, ['-listen', '127.0.0.1:0', '-upstream', dsURL, '-live', opts.gatewayLive], { stdio: ['ignore', 'ignore', 'pipe'] })
  let logText = ''
  const url = await new Promise((resolve, reject) => {
    child.stderr.on('data', (d) => {
      logText += d
      const m = logText.match(/sockets at (ws:\/\/\S+?)\)/)
      if (m) resolve(m[1])
    })
    child.on('error', reject)
    child.on('exit', (code) => reject(new Error(`the gateway exited (${code}) before listening:\n${logText}`)))
  })
  // Its log stays quiet unless something goes wrong: kept for the report.
  child.stderr.on('data', (d) => (logText = (logText + d).slice(-20000)))
  log(`gateway at ${url} (upstream ${dsURL}, live ${opts.gatewayLive})`)
  return {
    url,
    live: opts.gatewayLive,
    log: () => logText,
    stop: () =>
      new Promise((r) => {
        const done = () => (rmSync(dir, { recursive: true, force: true }), r())
        if (child.exitCode !== null) return done()
        child.once('exit', done)
        child.kill('SIGTERM')
      }),
  }
}

const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json', '.css': 'text/css' }

/**
 * startWeb serves bench/.build and passes /v1/ through to the reference
 * server, so the pages and the stream share one origin (no CORS preflight
 * for either engine).
 */
async function startWeb(dsURL) {
  const ds = new URL(dsURL)
  const agent = new Agent({ keepAlive: true, maxSockets: 64 })
  const server = createServer((req, res) => {
    if (req.url.startsWith('/v1/')) {
      const up = httpRequest(
        { host: ds.hostname, port: ds.port, method: req.method, path: req.url, headers: { ...req.headers, host: ds.host }, agent },
        (r) => {
          res.writeHead(r.statusCode, r.headers)
          r.pipe(res)
        },
      )
      up.on('error', (e) => {
        if (!res.headersSent) res.writeHead(502)
        res.end(String(e))
      })
      req.pipe(up)
      res.on('close', () => up.destroy())
      return
    }
    const path = join(BUILD, decodeURIComponent(new URL(req.url, 'http://x').pathname))
    if (!path.startsWith(BUILD) || !existsSync(path) || !statSync(path).isFile()) {
      res.writeHead(404).end()
      return
    }
    // Vite's assets have content-hashed names: cacheable for good, as a
    // site would serve them (and what lets a second visit use V8's code
    // cache); the pages are revalidated.
    const cache = req.url.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache'
    res.writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream', 'cache-control': cache })
    res.end(readFileSync(path))
  })
  await new Promise((r) => server.listen(0, '127.0.0.1', r))
  return { url: `http://127.0.0.1:${server.address().port}`, stop: () => new Promise((r) => (agent.destroy(), server.closeAllConnections(), server.close(r))) }
}

/** populate creates a fresh stream and appends the data's POST bodies. */
async function populate(dsURL, name, bodies) {
  const url = `${dsURL}/v1/stream/${name}`
  let res = await fetch(url, { method: 'PUT', headers: { 'content-type': 'application/json' } })
  if (!res.ok) throw new Error(`create ${url}: ${res.status}`)
  for (const body of bodies) {
    res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
    if (!res.ok) throw new Error(`append ${url}: ${res.status} ${await res.text()}`)
    await res.arrayBuffer()
  }
  return url
}

// ------------------------------------------------------------------ one run

function procStatus(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8')
    const kb = (k) => Number(s.match(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm'))?.[1] ?? 0) * 1024
    return { rss: kb('VmRSS'), hwm: kb('VmHWM') }
  } catch {
    return { rss: 0, hwm: 0 }
  }
}

class Timeout extends Error {}

// say prints a line of the report and keeps it for the .md file.
const said = []
function say(text) {
  console.log(text)
  said.push(text)
}

// What to stop when the runner is interrupted (browsers, servers).
const cleanups = new Set()
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, async () => {
    log(`${sig}: stopping`)
    await Promise.allSettled([...cleanups].map((f) => f()))
    process.exit(130)
  })
}

/** launch starts a headless Chromium of its own for a run (stopped on Ctrl-C). */
async function launch() {
  const { chromium } = await import('playwright-core')
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu', `--js-flags=--expose-gc ${opts.jsFlags}`.trim()],
  })
  const closeBrowser = () => (cleanups.delete(closeBrowser), browser.close().catch(() => {}))
  cleanups.add(closeBrowser)
  return { browser, closeBrowser }
}

/**
 * budget returns within(what, promise), which rejects with a Timeout when
 * the run's --timeout-s (counted from now) is over first.
 */
function budget() {
  const deadline = Date.now() + opts.timeoutS * 1000
  return async (what, p) => {
    const left = deadline - Date.now()
    let timer
    try {
      return await Promise.race([p, new Promise((_, rej) => (timer = setTimeout(() => rej(new Timeout(what)), Math.max(0, left))))])
    } finally {
      clearTimeout(timer)
    }
  }
}

/**
 * watchPage collects a page's errors and warnings and gives its CDP
 * session, the renderers' process ids and memory(): after a forced GC, the
 * JS heap, the wasm memory, the renderer's RSS.
 */
async function watchPage(browser, page) {
  const errors = []
  page.on('pageerror', (e) => errors.push(String(e)))
  page.on('console', (m) => {
    if ((m.type() === 'error' || m.type() === 'warning') && !m.location()?.url?.endsWith('/favicon.ico')) errors.push(`${m.type()}: ${m.text()}`)
  })
  const cdp = await page.context().newCDPSession(page)
  await cdp.send('Performance.enable')
  const bcdp = await browser.newBrowserCDPSession()
  const renderers = async () => {
    const { processInfo } = await bcdp.send('SystemInfo.getProcessInfo')
    return processInfo.filter((p) => p.type === 'renderer').map((p) => p.id)
  }
  const memory = async () => {
    await cdp.send('HeapProfiler.collectGarbage')
    const { metrics } = await cdp.send('Performance.getMetrics')
    const m = Object.fromEntries(metrics.map((x) => [x.name, x.value]))
    const usage = await cdp.send('Runtime.getHeapUsage').catch(() => ({}))
    const wasm = await page.evaluate(() => window.bench.wasmBytes())
    const rss = Math.max(0, ...(await renderers()).map((pid) => procStatus(pid).rss))
    return { jsHeapUsed: m.JSHeapUsedSize, jsHeapTotal: m.JSHeapTotalSize, wasmMemory: wasm, backingStorage: usage.backingStorageSize, rendererRSS: rss }
  }
  return { errors, cdp, renderers, memory }
}

/** failedRun records why a run stopped: over its budget, or an error. */
function failedRun(r, label, e) {
  r.failed = e instanceof Timeout ? `did not finish within ${opts.timeoutS} s (stopped in ${e.message})` : String(e?.stack ?? e)
  log(`${label}: ${r.failed}`)
}

/** endRun closes a run's browser and deletes its stream, however it ended. */
async function endRun(r, closeBrowser, streamURL) {
  r.loadavgAfter = os.loadavg()[0]
  await closeBrowser()
  await fetch(streamURL, { method: 'DELETE' }).catch(() => {})
}

/**
 * pageOf names the page an engine runs on in a live mode: ours over the
 * WebSocket gateway on ours-ws (the package's ./websocket entry).
 */
const pageOf = (engine, live) => (engine === 'ours' && live === 'websocket' ? 'ours-ws' : engine)

/**
 * runOne runs one engine in one live mode over a fresh copy of the data in
 * its own headless Chromium, step by step, and returns what it measured.
 * A run that exceeds its budget is stopped and returns what it had.
 * gateway: the gateway's socket URL, for live: 'websocket'.
 */
async function runOne({ engine, live, indexed, data, plan, dsURL, webURL, gateway }) {
  const html = pageOf(engine, live)
  const label = `${engine}${engine === 'reference' ? (indexed ? '+idx' : '') : ''} ${live} n=${data.n}`
  const r = { engine, live, indexed, n: data.n, steps: {}, done: false, loadavgBefore: os.loadavg()[0], ...(live === 'websocket' ? { gatewayLive: opts.gatewayLive } : {}) }
  const name = `bench-${engine}-${indexed ? 'idx-' : ''}${live}-${data.n}-${Date.now()}`
  log(`${label}: populating ${data.bodies.length} POSTs`)
  const t = Date.now()
  const streamURL = await populate(dsURL, name, data.bodies)
  r.populateMs = Date.now() - t
  const { browser, closeBrowser } = await launch()
  const within = budget()
  try {
    const page = await browser.newPage()
    const { errors, cdp, renderers, memory } = await watchPage(browser, page)
    r.errors = errors
    const step = async (key, fn) => {
      log(`${label}: ${key}`)
      r.steps[key] = await within(key, fn())
      return r.steps[key]
    }

    // traceFile names a trace of this run: FILE-<engine>-<n>-<live><tail>.json
    // for the FILE of a --trace* option (null without it).
    const traceFile = (prefix, tail = '') => (prefix ? prefix.replace(/(\.json)?$/, `-${engine}${indexed ? '-idx' : ''}-${data.n}-${live}${tail}.json`) : null)
    // What a preload reads, on the first visit and on the second.
    const readArgs = { url: streamURL.replace(dsURL, webURL), live, indexed, gateway: live === 'websocket' ? gateway : undefined }

    // --trace-startup: a trace of each visit, to FILE-...-{cold,warm}.json.
    const visit = async (which) => {
      const file = traceFile(opts.traceStartup, `-${which}`)
      if (file) await browser.startTracing(page, { path: file, categories: TRACE_CATEGORIES })
      const t0 = Date.now()
      await page.goto(`${webURL}/${html}.html`)
      await page.waitForSelector('html[data-ready]', { state: 'attached', timeout: 120000 })
      const out = { wallMs: Date.now() - t0, moduleReadyMs: await page.evaluate(() => performance.now()) }
      if (file) {
        await browser.stopTracing()
        log(`trace of the ${which} visit in ${file}`)
      }
      return out
    }
    await step('load', () => visit('cold'))
    if (opts.cpuProfile && engine === 'ours') await startProfile(cdp)
    const tracingPreload = traceFile(opts.tracePreload)
    if (tracingPreload) await browser.startTracing(page, { path: tracingPreload, categories: TRACE_CATEGORIES })
    await step('preload', () => page.evaluate((o) => window.bench.preload(o), { ...readArgs, warmUp: opts.warmUp }))
    if (opts.cpuProfile && engine === 'ours') await stopProfile(cdp, `${data.n}-${live}-preload`)
    if (tracingPreload) {
      await browser.stopTracing()
      log(`trace of the preload in ${tracingPreload}`)
    }
    await step('memAfterPreload', memory)
    await step('idleBaseline', () => page.evaluate(() => window.bench.idleBaseline()))
    r.steps.queries = []
    for (let i = 0; i < 4; i++) {
      log(`${label}: Q${i + 1}`)
      const profiling = opts.cpuProfile && engine === 'ours'
      if (profiling) {
        // The profile ends with the first result (bench/profile.mjs
        // --within=liveQuery cuts it to the query's own samples: the
        // window may still hold an idle collection before or after it).
        await startProfile(cdp)
        await within(`Q${i + 1}`, page.evaluate((i) => window.bench.queryOpen(i), i))
        await stopProfile(cdp, `${data.n}-${live}-Q${i + 1}`)
        r.steps.queries.push(await within(`Q${i + 1}`, page.evaluate((i) => window.bench.queryDone(i), i)))
      } else r.steps.queries.push(await within(`Q${i + 1}`, page.evaluate((i) => window.bench.query(i), i)))
    }
    await step('info', () => page.evaluate(() => window.bench.info()))
    if (indexed && !Object.values(r.steps.info.indexes ?? {}).some((l) => l.length > 0)) throw new Error('the indexed variant created no index')
    await step('digestAfterPreload', () => page.evaluate(() => window.bench.digest()))
    r.rowsAfterPreload = await within('rows', page.evaluate(() => [0, 2, 3].map((i) => window.bench.rowsOf(i))))
    await step('memAfterQueries', memory)
    await step('q5', () => page.evaluate(() => window.bench.again(4)))
    r.steps.again = []
    for (let k = 0; k < opts.repeat; k++) {
      for (let i = 0; i < 4; i++) {
        log(`${label}: Q${i + 1} again (${k + 1}/${opts.repeat})`)
        const profiling = opts.cpuProfile && engine === 'ours' && k === 0
        if (profiling) await startProfile(cdp)
        const a = await within(`Q${i + 1} again`, page.evaluate((i) => window.bench.again(i), i))
        if (profiling) await stopProfile(cdp, `${data.n}-${live}-Q${i + 1}-again`)
        if (a.rows !== r.steps.queries[i].rows) throw new Error(`Q${i + 1} again: ${a.rows} rows, first ${r.steps.queries[i].rows}`)
        ;(r.steps.again[i] ??= []).push(a.ms)
      }
    }
    if (opts.cpuProfile && engine === 'ours') await startProfile(cdp)
    const tracing = traceFile(opts.trace)
    if (tracing) await browser.startTracing(page, { path: tracing, categories: TRACE_CATEGORIES })
    await step('changes', () => page.evaluate(([plan, gapMs]) => window.bench.changes(plan, { gapMs }), [plan, opts.gapMs]))
    if (opts.cpuProfile && engine === 'ours') await stopProfile(cdp, `${data.n}-${live}`)
    if (tracing) {
      await browser.stopTracing()
      log(`trace of the changes in ${tracing}`)
    }
    await step('digestAfterChanges', () => page.evaluate(() => window.bench.digest()))
    r.rowsAfterChanges = await within('rows', page.evaluate(() => [0, 2, 3].map((i) => window.bench.rowsOf(i))))
    r.peakRendererRSS = Math.max(0, ...(await renderers()).map((pid) => procStatus(pid).hwm))
    // A second visit, once the page has run: its assets come from the HTTP
    // cache, and the wasm (or JS) from V8's code cache when the browser
    // stored one.
    await step('loadWarm', async () => {
      await page.goto('about:blank')
      return visit('warm')
    })
    if (opts.warmVisit) {
      // The second visit reads the stream and opens Q1-Q4 too (unless
      // --no-warm-visit), with the module's code from V8's code cache when the browser
      // kept one (optimized code included, for the functions that were hot
      // in the first visit).
      await step('preloadWarm', () => page.evaluate((o) => window.bench.preload(o), readArgs))
      r.steps.queriesWarm = []
      for (let i = 0; i < 4; i++) r.steps.queriesWarm.push(await within(`second visit Q${i + 1}`, page.evaluate((i) => window.bench.query(i), i)))
    }
    r.done = true
  } catch (e) {
    failedRun(r, label, e)
  } finally {
    await endRun(r, closeBrowser, streamURL)
  }
  return r
}

/**
 * runLoad runs the load row (bench/README.md, "Load") for one engine in
 * one live mode, in a Chromium of its own: a page reads the load's first
 * events and opens the 20 queries of pages/load.js; the runner appends the
 * n events of the load, each POST sent when the previous one is answered;
 * the page says when it had caught up and what it went through. Then a
 * second page, in a new context, reads the final stream and opens the same
 * queries: its memory is what the final state (and the queries' results)
 * need, its results what the live ones must equal.
 */
async function runLoad({ engine, live, indexed, data, dsURL, webURL, gateway }) {
  const label = `load: ${engine}${indexed ? '+idx' : ''} ${live} n=${data.n}`
  const r = { engine, live, indexed, n: data.n, steps: {}, done: false, loadavgBefore: os.loadavg()[0] }
  const name = `load-${engine}-${indexed ? 'idx-' : ''}${live}-${data.n}-${Date.now()}`
  const streamURL = await populate(dsURL, name, data.initial)
  const pageURL = streamURL.replace(dsURL, webURL)
  const { browser, closeBrowser } = await launch()
  const within = budget()
  const step = async (key, fn) => {
    log(`${label}: ${key}`)
    r.steps[key] = await within(key, fn())
    return r.steps[key]
  }
  try {
    const page = await browser.newPage()
    const { errors, cdp, memory, renderers } = await watchPage(browser, page)
    r.errors = errors
    await page.goto(`${webURL}/${pageOf(engine, live)}.html`)
    await page.waitForSelector('html[data-ready]', { state: 'attached', timeout: 120000 })
    await step('preload', () => page.evaluate((o) => window.bench.preload(o), { url: pageURL, live, indexed, gateway: live === 'websocket' ? gateway : undefined }))
    await step('open', () => page.evaluate((txid) => window.bench.loadOpen({ txid }), LOAD_TXID))
    await step('memBefore', memory)
    const profiling = opts.cpuProfile && engine === 'ours'
    if (profiling) await startProfile(cdp)
    log(`${label}: appending ${data.bodies.length} POSTs`)
    const epoch = () => performance.timeOrigin + performance.now()
    const startAt = epoch()
    await within('appending', (async () => {
      for (const body of data.bodies) {
        const res = await fetch(streamURL, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
        if (!res.ok) throw new Error(`append ${streamURL}: ${res.status} ${await res.text()}`)
        await res.arrayBuffer()
      }
    })())
    const ackAt = epoch()
    await step('finish', () => page.evaluate((a) => window.bench.loadFinish(a), { startAt, ackAt, timeoutMs: opts.timeoutS * 1000 }))
    if (profiling) await stopProfile(cdp, `load-${data.n}-${live}`)
    await step('memAfter', memory)
    await step('digest', () => page.evaluate(() => window.bench.loadDigest()))
    r.peakRendererRSS = Math.max(0, ...(await renderers()).map((pid) => procStatus(pid).hwm))
    await page.close()
    // The final stream read from scratch.
    const fresh = await (await browser.newContext()).newPage()
    const f = await watchPage(browser, fresh)
    await fresh.goto(`${webURL}/${pageOf(engine, live)}.html`)
    await fresh.waitForSelector('html[data-ready]', { state: 'attached', timeout: 120000 })
    await step('freshPreload', () => fresh.evaluate((o) => window.bench.preload(o), { url: pageURL, live: false, indexed }))
    await step('memFreshState', f.memory)
    await step('fresh', () => fresh.evaluate(() => window.bench.loadFresh()))
    await step('memFreshQueries', f.memory)
    r.errors.push(...f.errors)
    r.done = true
  } catch (e) {
    failedRun(r, label, e)
  } finally {
    await endRun(r, closeBrowser, streamURL)
  }
  return r
}

/**
 * launchPersistent starts a headless Chromium with a profile of its own on
 * disk (a temporary directory, removed at close): OPFS, the HTTP cache and
 * V8's code cache live on disk there, as in a browser a person uses (a
 * context of launch()'s browser is off the record: its storage is in
 * memory).
 */
async function launchPersistent() {
  const { chromium } = await import('playwright-core')
  const dir = mkdtempSync(join(os.tmpdir(), 'bench-reload-'))
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM,
    headless: true,
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu', `--js-flags=--expose-gc ${opts.jsFlags}`.trim()],
  })
  const closeBrowser = async () => {
    cleanups.delete(closeBrowser)
    await context.close().catch(() => {})
    rmSync(dir, { recursive: true, force: true })
  }
  cleanups.add(closeBrowser)
  return { context, closeBrowser }
}

/** RELOAD_EVENTS: events appended before each reload step (ours' catch-up). */
const RELOAD_EVENTS = 300
/** SAVES: saveSnapshot() calls timed after the first visit's preload. */
const SAVES = 3

/**
 * reloadBatches returns k POST bodies of RELOAD_EVENTS events each, made
 * by makePlan (insert a message on top, toggle a user, delete one of the
 * top 50), one body per reload.
 */
function reloadBatches(data, k) {
  const plan = makePlan(data, { rounds: (k * RELOAD_EVENTS) / 3, seed: 3 })
  const out = []
  for (let i = 0; i < k; i++) out.push(JSON.stringify(plan.slice(i * RELOAD_EVENTS, (i + 1) * RELOAD_EVENTS).map((s) => s.event)))
  return out
}

/**
 * reloadSession opens one engine's side of the reload section
 * (bench/README.md, "Reload"): a Chromium with a profile of its own on
 * disk, reading the section's stream (stream.url). It returns
 * { r, firstVisit(), reload(indexed), fresh(), close() }; r is the run's
 * record. A step that fails marks r.failed and later steps do nothing.
 *
 * - firstVisit: the page preloads (ours with persist, OPFS; then its saves
 *   are measured) and closes the db.
 * - reload(indexed): the page is reloaded and, from navigation start,
 *   opens the database (the reference: variant indexed), preloads and
 *   opens Q1-Q4 (bench.reloaded); their results are fingerprinted, and
 *   ours checks that it restored its last snapshot and read from its
 *   offset. Ours then saves and closes, the reference closes.
 * - fresh: ours without persist in a new page, a full read of the stream
 *   (the results its last reload's must equal when no reference ran).
 */
async function reloadSession({ engine, live, data, stream, webURL }) {
  const label = `reload: ${engine} ${live} n=${data.n}`
  const ours = engine === 'ours'
  const r = { engine, live, indexed: false, n: data.n, steps: {}, reloads: [], problems: [], errors: [], done: false, loadavgBefore: os.loadavg()[0] }
  const pageStream = stream.pageURL
  const { context, closeBrowser } = await launchPersistent()
  const within = budget()
  const step = async (key, fn) => {
    log(`${label}: ${key}`)
    r.steps[key] = await within(key, fn())
    return r.steps[key]
  }
  const watch = (page) => {
    page.on('pageerror', (e) => r.errors.push(String(e)))
    page.on('console', (m) => {
      if ((m.type() === 'error' || m.type() === 'warning') && !m.location()?.url?.endsWith('/favicon.ico')) r.errors.push(`${m.type()}: ${m.text()}`)
    })
  }
  const ready = (page) => page.waitForSelector('html[data-ready]', { state: 'attached', timeout: 120000 })
  // guard runs a step unless the run already failed, and records a failure.
  const guard = async (fn) => {
    if (r.failed) return
    try {
      await fn()
    } catch (e) {
      failedRun(r, label, e)
    }
  }
  const page = context.pages()[0] ?? (await context.newPage())
  watch(page)
  let saved = null // ours: what the last save wrote
  return {
    r,
    firstVisit: () =>
      guard(async () => {
        await page.goto(`${webURL}/${engine}.html`)
        await ready(page)
        await step('preload', () => page.evaluate((o) => window.bench.preload(o), { url: pageStream, live, persist: ours }))
        if (ours) {
          // --cpu-profile: the saves, to FILE-reload-saves-<n>.cpuprofile.
          const cdp = opts.cpuProfile ? await context.newCDPSession(page) : null
          if (cdp) await startProfile(cdp)
          await step('saves', () => page.evaluate((count) => window.bench.saves({ count }), SAVES))
          if (cdp) await stopProfile(cdp, `reload-saves-${data.n}`)
          saved = r.steps.saves.info
        }
        await page.evaluate(() => window.bench.close())
      }),
    reload: (indexed) =>
      guard(async () => {
        const k = r.reloads.length + 1
        log(`${label}: reload ${k}${indexed ? ' (indexed)' : ''} after ${stream.appended} appended events`)
        await page.evaluate((cfg) => window.bench.armReload(cfg), { url: pageStream, live, indexed, persist: ours })
        // --cpu-profile: ours' first reload, to FILE-reload-<n>.cpuprofile.
        const cdp = opts.cpuProfile && ours && k === 1 ? await context.newCDPSession(page) : null
        if (cdp) await startProfile(cdp)
        await within(`reload ${k}`, page.reload())
        await ready(page)
        const rec = await within(`reload ${k}`, page.evaluate(() => window.bench.reloaded))
        if (!rec) throw new Error('the reloaded page did not start (bench.reloaded is missing)')
        if (cdp) await stopProfile(cdp, `reload-${data.n}`)
        rec.indexed = indexed
        rec.appended = stream.appended // since the data
        rec.digest = await page.evaluate(() => window.bench.digest())
        rec.rows = await page.evaluate(() => [0, 2, 3].map((i) => window.bench.rowsOf(i)))
        if (ours) {
          // The reload must have restored the last snapshot and read the
          // stream from its offset, else it measured something else.
          const from = rec.reads.offsets[0]
          rec.resumedAtSavedOffset = saved != null && from === saved.offset
          if (!rec.restore) r.problems.push(`reload ${k}: no snapshot was restored (no 'restore' progress)`)
          else if (saved && rec.restore.restored !== saved.rows) r.problems.push(`reload ${k}: ${rec.restore.restored} rows restored, the last save wrote ${saved.rows}`)
          if (!rec.resumedAtSavedOffset) r.problems.push(`reload ${k}: the catch-up read from offset ${from}, the last save was at ${saved?.offset}`)
          if (rec.restore && rec.restore.status !== 'restored') r.problems.push(`reload ${k}: db.status was ${rec.restore.status} at the restore progress, not 'restored'`)
          rec.saveAfter = await within(`save after reload ${k}`, page.evaluate(() => window.bench.saveAndClose()))
          saved = rec.saveAfter
        } else {
          await page.evaluate(() => window.bench.close())
        }
        r.reloads.push(rec)
      }),
    fresh: () =>
      guard(async () => {
        const fresh = await context.newPage()
        watch(fresh)
        await fresh.goto(`${webURL}/${engine}.html`)
        await ready(fresh)
        await step('freshPreload', () => fresh.evaluate((o) => window.bench.preload(o), { url: pageStream, live: false }))
        for (let i = 0; i < 4; i++) await within(`fresh Q${i + 1}`, fresh.evaluate((i) => window.bench.query(i), i))
        await step('freshDigest', () => fresh.evaluate(() => window.bench.digest()))
        r.freshRows = await fresh.evaluate(() => [0, 2, 3].map((i) => window.bench.rowsOf(i)))
        r.freshAppended = stream.appended
        await fresh.close()
      }),
    async close() {
      if (!r.failed) r.done = true
      r.loadavgAfter = os.loadavg()[0]
      await closeBrowser()
      for (const p of r.problems) log(`${label}: ${p}`)
    },
  }
}

// ------------------------------------------------------------------ figures

const median = (a) => quantile(a, 0.5)
// The live modes' tags in the rows' names.
const TAGS = { 'long-poll': 'lp', sse: 'sse', websocket: 'ws' }
// What --trace records: the page's tasks, V8's function calls and
// microtasks, fetch and resource loading, and the scheduler; enough to
// follow one change from its response to the notification (see
// bench/trace.mjs).
const TRACE_CATEGORIES = ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'v8', 'v8.execute', 'toplevel', 'loading', 'blink', 'netlog', 'disabled-by-default-netlog', 'blink.user_timing', ...(argv['trace-samples'] ? ['disabled-by-default-v8.cpu_profiler'] : [])]

// startProfile and stopProfile take a CPU profile (--cpu-profile) of what
// runs between them, into FILE-<what>.cpuprofile.
async function startProfile(cdp) {
  await cdp.send('Profiler.enable')
  await cdp.send('Profiler.setSamplingInterval', { interval: 50 })
  await cdp.send('Profiler.start')
}
async function stopProfile(cdp, what) {
  const { profile } = await cdp.send('Profiler.stop')
  const file = opts.cpuProfile.replace(/(\.cpuprofile)?$/, `-${what}.cpuprofile`)
  writeFileSync(file, JSON.stringify(profile))
  log(`CPU profile in ${file}`)
}

function quantile(a, q) {
  const s = a.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((x, y) => x - y)
  if (s.length === 0) return null
  const i = (s.length - 1) * q
  const lo = Math.floor(i)
  return s[lo] + (s[Math.ceil(i)] - s[lo]) * (i - lo)
}

/** figures flattens one run into [name, value, unit] rows. */
function figures(run, { withLoad, sz }) {
  const f = []
  // ratio=false: a part whose ratio alone misleads (ours keeps its rows in
  // wasm memory, the reference in the JS heap; ours needs JS and wasm).
  const add = (name, v, unit, ratio = true) => f.push([name, v ?? null, unit, ratio])
  const s = run.steps
  if (withLoad) {
    add('startup: page load to module ready', s.load?.moduleReadyMs, 'ms')
    add('startup, second visit (HTTP and code caches)', s.loadWarm?.moduleReadyMs, 'ms')
    add('preload: total', s.preload?.totalMs, 'ms')
    add('preload: time to first byte', s.preload?.ttfbMs, 'ms')
    add('preload: client work after first byte', s.preload?.afterFirstByteMs, 'ms')
    add('preload: long tasks (count)', s.preload?.longTasks.count, '', false)
    add('preload: long tasks (total)', s.preload?.longTasks.total, 'ms')
    add('preload: longest task', s.preload?.longTasks.max, 'ms')
    for (let i = 0; i < 4; i++) add(`first result Q${i + 1}`, s.queries?.[i]?.ms, 'ms')
    for (let i = 0; i < 4; i++) if (s.again?.[i]?.length) add(`first result Q${i + 1} again (median of ${s.again[i].length})`, median(s.again[i]), 'ms')
    add('first result Q5 (locale orderBy, limit 20; then closed)', s.q5?.ms, 'ms')
    for (let i = 0; i < 4; i++) if (s.queries?.[i]?.wasmGrown) add(`first result Q${i + 1}: wasm memory grown by`, s.queries[i].wasmGrown, 'B', false)
    add('first results Q1-Q4: longest task', s.queries?.length ? Math.max(...s.queries.map((q) => q.longTasks.max)) : null, 'ms')
    if (s.preloadWarm) {
      add('second visit: preload, client work after first byte', s.preloadWarm.afterFirstByteMs, 'ms')
      for (let i = 0; i < 4; i++) add(`second visit: first result Q${i + 1}`, s.queriesWarm?.[i]?.ms, 'ms')
    }
    const wasmOr = (m) => (m?.wasmMemory ? m.wasmMemory : null)
    add('JS heap after preload (after GC)', s.memAfterPreload?.jsHeapUsed, 'B', false)
    add('wasm memory after preload', wasmOr(s.memAfterPreload), 'B', false)
    add('JS heap + wasm after preload', s.memAfterPreload ? s.memAfterPreload.jsHeapUsed + s.memAfterPreload.wasmMemory : null, 'B')
    add('JS heap after queries (after GC)', s.memAfterQueries?.jsHeapUsed, 'B', false)
    add('wasm memory after queries', wasmOr(s.memAfterQueries), 'B', false)
    add('JS heap + wasm after queries', s.memAfterQueries ? s.memAfterQueries.jsHeapUsed + s.memAfterQueries.wasmMemory : null, 'B')
    add('renderer RSS after queries', s.memAfterQueries?.rendererRSS, 'B')
    add('renderer peak RSS (whole run)', run.peakRendererRSS, 'B')
    add('idle probe when nothing happens (median)', median(s.idleBaseline ?? []), 'ms', false)
  }
  const tag = TAGS[run.live]
  if (!withLoad) {
    // The other modes' preloads (websocket: the catch-up over the socket).
    add(`[${tag}] preload: total`, s.preload?.totalMs, 'ms')
    add(`[${tag}] preload: time to first byte${run.live === 'websocket' ? ' (first batch frame)' : ''}`, s.preload?.ttfbMs, 'ms')
  }
  for (const kind of ['insert', 'toggle', 'delete']) {
    const ch = (s.changes ?? []).filter((c) => c.kind === kind && !c.timeout)
    const col = (k) => ch.map((c) => c[k])
    const label = { insert: 'insert msg', toggle: 'toggle user', delete: 'delete top-50 msg' }[kind]
    for (const [k, what] of [
      ['appendToNotified', 'append→notified'],
      ['arrivalToNotified', 'arrival→notified'],
      ['notifiedToIdle', 'notified→idle'],
    ]) {
      add(`[${tag}] ${label}: ${what} median`, median(col(k)), 'ms')
      add(`[${tag}] ${label}: ${what} p95`, quantile(col(k), 0.95), 'ms')
    }
  }
  // The append's own answer (HTTP: the POST's response; websocket: the
  // gateway's ack, once the upstream has it), all kinds together.
  const posts = (s.changes ?? []).filter((c) => !c.timeout).map((c) => c.postMs)
  add(`[${tag}] append→answer (POST response / socket ack), median`, median(posts), 'ms')
  add(`[${tag}] append→answer, p95`, quantile(posts, 0.95), 'ms')
  if (run.live === 'websocket') add(`[${tag}] gateway upstream live mode`, run.gatewayLive ?? null, 'text', false)
  add(`[${tag}] machine load average (1 min) before / after the run`, run.loadavgBefore != null ? `${run.loadavgBefore.toFixed(1)} / ${run.loadavgAfter?.toFixed(1)}` : null, 'text', false)
  if (withLoad && sz) {
    add('bundle JS (gzip)', sz.jsGzip, 'B', false)
    add('wasm (gzip)', sz.wasmGzip || null, 'B', false)
    add('bundle JS + wasm (gzip)', sz.totalGzip, 'B')
  }
  return f
}

/** loadFigures flattens one run of the load section into [name, value, unit, ratio] rows. */
function loadFigures(run) {
  const f = []
  const tag = TAGS[run.live]
  const add = (name, v, unit, ratio = true) => f.push([`[${tag}] ${name}`, v ?? null, unit, ratio])
  const s = run.steps
  const sum = (m) => (m ? m.jsHeapUsed + m.wasmMemory : null)
  const per = (a, b) => (a != null && b ? a / b : null)
  add('20 first results before the load', s.open?.openMs, 'ms')
  add(`appending ${run.n} events (POSTs of 1,000, one at a time)`, s.finish?.appendMs, 'ms', false)
  add("caught up, after the last append's answer", s.finish?.caughtUpAfterAckMs, 'ms')
  add('longest main-thread task during the load', s.finish?.longTasks.max, 'ms')
  add('long tasks during the load (total)', s.finish?.longTasks.total, 'ms')
  add('longest gap of a 50 ms interval timer', s.finish?.timerMaxGapMs, 'ms')
  add('live answers during the load (long-poll): count', s.finish?.liveAnswers.count, '', false)
  add('live answers during the load: largest body', s.finish?.liveAnswers.maxBytes || null, 'B', false)
  add('result changes notified (20 queries)', s.finish ? s.finish.changes.reduce((a, b) => a + b, 0) : null, '', false)
  add('JS heap + wasm before the load (after GC)', sum(s.memBefore), 'B')
  add('JS heap + wasm after the load (after GC)', sum(s.memAfter), 'B')
  add('wasm memory after the load', s.memAfter?.wasmMemory || null, 'B', false)
  add('renderer peak RSS (live page)', run.peakRendererRSS, 'B')
  add('fresh page: JS heap + wasm, final stream read', sum(s.memFreshState), 'B')
  add('fresh page: JS heap + wasm, and the 20 queries open', sum(s.memFreshQueries), 'B')
  add('fresh page: 20 first results', s.fresh?.openMs, 'ms')
  add('after the load / fresh page with the queries', per(sum(s.memAfter), sum(s.memFreshQueries)), 'x', false)
  add("after the load / fresh page's state alone", per(sum(s.memAfter), sum(s.memFreshState)), 'x', false)
  add('machine load average (1 min) before / after the run', run.loadavgBefore != null ? `${run.loadavgBefore.toFixed(1)} / ${run.loadavgAfter?.toFixed(1)}` : null, 'text', false)
  return f
}

/**
 * reloadFigures flattens one run of the reload section into [name, value,
 * unit, ratio] rows: the first visit (ours: its saves), then the medians
 * over the reloads.
 */
function reloadFigures(run) {
  const f = []
  const add = (name, v, unit, ratio = true) => f.push([name, v ?? null, unit, ratio])
  const s = run.steps
  const rl = run.reloads ?? []
  const med = (fn) => (rl.length ? median(rl.map(fn)) : null)
  const k = opts.reloads > 1 || opts.refReloads > 1 ? ' (median)' : ''
  add('first visit: preload (ours with persist, no snapshot yet)', s.preload?.totalMs, 'ms', false)
  const sv = s.saves
  add('save: ready → the automatic save and one saveSnapshot() done', sv?.readyToFirstMs, 'ms', false)
  add(`save: one saveSnapshot() (median of ${SAVES})`, sv ? median(sv.each) : null, 'ms', false)
  add('save: longest task, ready → last save (long-task API; 0: none over 50 ms)', sv?.longTasks.max, 'ms', false)
  add('save: long tasks, ready → last save (count)', sv?.longTasks.count, '', false)
  add(`save: longest task during the ${SAVES} timed saveSnapshot() alone`, sv ? Math.max(...sv.perSave.slice(1).map((x) => x.longTasks.max)) : null, 'ms', false)
  add('save: longest gap of a 5 ms timer, ready → last save', sv?.timerMaxGapMs, 'ms', false)
  add('snapshot: size (saveSnapshot bytes)', sv?.info.bytes, 'B', false)
  add('snapshot: file size in OPFS', Array.isArray(sv?.files) ? sv.files.reduce((a, x) => a + x.bytes, 0) : null, 'B', false)
  add('snapshot: rows', sv?.info.rows, '', false)
  add('reload: events appended since the first visit (at the last reload)', rl.length ? rl[rl.length - 1].appended : null, '', false)
  add('reload: reloads measured', rl.length, '', false)
  add(`reload: navigation → module ready${k}`, med((x) => x.moduleReadyMs), 'ms')
  add(`reload: navigation → every collection readable (restore)${k}`, med((x) => x.restore?.at), 'ms', false)
  add(`reload: navigation → ready (preload resolved)${k}`, med((x) => x.readyMs), 'ms')
  add(`reload: createStreamDB → ready${k}`, med((x) => x.readyMs - x.openMs), 'ms')
  add(`reload: navigation → first results Q1-Q4 (one after the other)${k}`, med((x) => x.queriesMs), 'ms')
  for (let i = 0; i < 4; i++) add(`reload: first result Q${i + 1}${k}`, med((x) => x.queries[i].ms), 'ms')
  add(`reload: longest task, createStreamDB → ready${k}`, med((x) => x.longTasksCatchUp.max), 'ms')
  add(`reload: longest task, ready → Q1-Q4${k}`, med((x) => x.longTasksQueries.max), 'ms')
  add(`reload: long tasks, navigation → Q1-Q4 (total)${k}`, med((x) => x.longTasksAll.total), 'ms')
  add(`reload: stream read (catch-up requests' bodies)${k}`, med((x) => x.reads.bodyBytes), 'B', false)
  add(`reload: stream read, transferred (gzip; 0: HTTP cache)${k}`, med((x) => x.reads.transferBytes), 'B', false)
  add('reload: rows restored', rl.length ? rl[0].restore?.restored : null, '', false)
  if (run.engine === 'ours') add('reload: catch-up read from the saved offset (every reload)', rl.length ? (rl.every((x) => x.resumedAtSavedOffset) ? 'yes' : 'NO') : null, 'text', false)
  add('machine load average (1 min) before / after the run', run.loadavgBefore != null ? `${run.loadavgBefore.toFixed(1)} / ${run.loadavgAfter?.toFixed(1)}` : null, 'text', false)
  return f
}

/**
 * compareReload checks that the four results after each reload are the
 * same in every run (ours restored + caught up, the reference replayed;
 * the streams have the same content at each reload), and, for a run that
 * read the final stream afresh (no reference ran), that the last reload's
 * equal the fresh read's. It returns the disagreements.
 */
function compareReload(runs) {
  const bad = []
  const lbl = (r) => `${r.engine}${r.indexed ? '+idx' : ''}`
  const done = runs.filter((r) => r.reloads.length)
  const base = done.find((r) => r.engine === 'ours') ?? done[0]
  const diff = (a, b, rowsA, rowsB, what) => {
    for (let i = 0; i < 4; i++) {
      if (a[i].sha256 === b[i].sha256) continue
      const d = { query: a[i].name, what, counts: [a[i].count, b[i].count] }
      if (a[i].sha256NoSeq === b[i].sha256NoSeq) d.note = 'the rows differ only in _seq'
      const j = [0, -1, 1, 2][i]
      if (j >= 0 && rowsA && rowsB) {
        const A = new Set(rowsA[j])
        const B = new Set(rowsB[j])
        d.onlyInA = [...A].filter((x) => !B.has(x)).slice(0, 3)
        d.onlyInB = [...B].filter((x) => !A.has(x)).slice(0, 3)
      }
      bad.push(d)
    }
  }
  // The reference's reloads agree with ours' after the same appends (the
  // reference's variants reload after different ones: nothing to compare
  // without ours).
  for (const r of done) {
    if (r !== base && base.engine === 'ours') {
      r.reloads.forEach((x, i) => {
        const j = base.reloads.findIndex((y) => y.appended === x.appended)
        if (j < 0) {
          if (!base.failed) bad.push({ query: '-', what: `${lbl(r)} reload ${i + 1}: ${lbl(base)} has no reload after ${x.appended} appended events`, counts: [] })
        } else diff(base.reloads[j].digest, x.digest, base.reloads[j].rows, x.rows, `${lbl(base)} reload ${j + 1} vs ${lbl(r)} reload ${i + 1}`)
      })
    }
    if (r.steps.freshDigest) {
      const last = r.reloads.length - 1
      diff(r.reloads[last].digest, r.steps.freshDigest, r.reloads[last].rows, r.freshRows, `reload ${last + 1}: ${lbl(r)} vs ${lbl(r)} without persist (a full read)`)
    }
  }
  return bad
}

/**
 * compareLoad checks each finished load run's 20 live results against its
 * fresh page's, and every fresh page's against the first one's (ours if it
 * ran); it returns the disagreements.
 */
function compareLoad(runs) {
  const bad = []
  const done = runs.filter((r) => r.steps.digest && r.steps.fresh)
  const lbl = (r) => `${r.engine}${r.indexed ? '+idx' : ''} ${r.live}`
  const base = done.find((r) => r.engine === 'ours') ?? done[0]
  for (const r of done) {
    r.steps.digest.forEach((d, i) => {
      const want = r.steps.fresh.digests[i]
      if (d.sha256 !== want.sha256) bad.push({ query: d.name, what: `${lbl(r)}: live result differs from the fresh page's`, counts: [d.count, want.count], head: [d.head, want.head] })
      const other = base.steps.fresh.digests[i]
      if (r !== base && want.sha256 !== other.sha256) bad.push({ query: d.name, what: `${lbl(r)} vs ${lbl(base)}: fresh results differ`, counts: [want.count, other.count], head: [want.head, other.head] })
    })
  }
  return bad
}

function fmt(v, unit) {
  if (v === null || v === undefined) return '–'
  if (unit === 'B') {
    if (v >= 1 << 30) return `${(v / 2 ** 30).toFixed(2)} GiB`
    if (v >= 1 << 20) return `${(v / 2 ** 20).toFixed(1)} MiB`
    return `${(v / 1024).toFixed(1)} KiB`
  }
  if (unit === 'text') return String(v)
  if (unit === 'x') return `${v.toFixed(2)}×`
  if (unit === 'ms') return v >= 100 ? `${v.toFixed(0)} ms` : v >= 10 ? `${v.toFixed(1)} ms` : `${v.toFixed(2)} ms`
  return String(v)
}

/**
 * table builds the rows for one n: one column per engine variant, then
 * ratios; figs turns a run into rows (figures, or loadFigures for the load
 * section).
 */
function table(n, runs, sz, { figs = figures, title = `n = ${n} messages, ${Math.floor(n / 10)} users` } = {}) {
  const cols = []
  const byKey = (engine, indexed) => runs.filter((r) => r.engine === engine && (engine === 'ours' || r.indexed === indexed))
  if (opts.engines.includes('ours')) cols.push({ name: 'ours', runs: byKey('ours') })
  if (opts.engines.includes('reference')) {
    if (opts.indexes.includes('off')) cols.push({ name: 'reference', runs: byKey('reference', false), ref: true })
    if (opts.indexes.includes('eager')) cols.push({ name: 'reference+idx', runs: byKey('reference', true), ref: true })
  }
  // Figures: load/query/memory rows from the first live mode's run; the
  // change rows from every mode's run.
  const names = []
  const vals = cols.map(() => new Map())
  cols.forEach((c, ci) => {
    c.runs.forEach((run) => {
      const withLoad = run.live === opts.lives[0]
      for (const [name, v, unit, ratio] of figs(run, { withLoad, sz: sz?.[run.engine] })) {
        if (!names.find((x) => x[0] === name)) names.push([name, unit, ratio])
        vals[ci].set(name, v)
      }
    })
  })
  const ours = cols.findIndex((c) => c.name === 'ours')
  const rows = names.map(([name, unit, ratio]) => {
    const row = { figure: name, unit, values: {} }
    cols.forEach((c, ci) => (row.values[c.name] = vals[ci].get(name) ?? null))
    if (ours >= 0 && ratio) {
      row.ratios = {}
      const o = row.values.ours
      let best = null
      for (const c of cols.filter((c) => c.ref)) {
        const v = row.values[c.name]
        row.ratios[c.name] = v !== null && o !== null && o > 0 ? v / o : null
        if (v !== null) best = best === null ? v : Math.min(best, v)
      }
      row.bestRatio = best !== null && o !== null && o > 0 ? best / o : null
    }
    return row
  })
  const failed = runs.filter((r) => r.failed).map((r) => `${r.engine}${r.indexed ? '+idx' : ''} ${r.live}: ${r.failed.split('\n')[0]}`)
  return { n, title, cols: cols.map((c) => c.name), rows, failed }
}

function printTable(t) {
  const head = ['figure', ...t.cols, ...t.cols.filter((c) => c !== 'ours' && t.cols.includes('ours')).map((c) => `${c}/ours`)]
  const lines = t.rows.map((r) => [
    r.figure,
    ...t.cols.map((c) => fmt(r.values[c], r.unit)),
    ...t.cols.filter((c) => c !== 'ours' && t.cols.includes('ours')).map((c) => (r.ratios?.[c] == null ? '–' : `${r.ratios[c].toFixed(2)}×`)),
  ])
  const w = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)))
  const line = (cells) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join(' | ')} |`
  say(`\n## ${t.title}\n`)
  say(line(head))
  say(`|${w.map((x, i) => (i === 0 ? ':' : '') + '-'.repeat(x + 1) + (i === 0 ? '' : ':')).join('|')}|`)
  for (const l of lines) say(line(l))
  for (const f of t.failed) say(`\nnot finished: ${f}`)
}

// ------------------------------------------------------------------ agreement

/**
 * compare checks that every finished run of an n gave the same four results
 * after preload and after the changes; it returns the disagreements.
 */
function compare(runs) {
  const bad = []
  const done = runs.filter((r) => r.steps.digestAfterPreload)
  const base = done.find((r) => r.engine === 'ours') ?? done[0]
  if (!base) return bad
  const lbl = (r) => `${r.engine}${r.indexed ? '+idx' : ''} ${r.live}`
  for (const r of done) {
    if (r === base) continue
    for (const [stage, rowsKey] of [
      ['digestAfterPreload', 'rowsAfterPreload'],
      ['digestAfterChanges', 'rowsAfterChanges'],
    ]) {
      const a = base.steps[stage]
      const b = r.steps[stage]
      if (!a || !b) continue
      for (let i = 0; i < 4; i++) {
        if (a[i].sha256 === b[i].sha256) continue
        const d = { query: a[i].name, stage, a: lbl(base), b: lbl(r), counts: [a[i].count, b[i].count] }
        if (a[i].sha256NoSeq === b[i].sha256NoSeq) d.note = 'the rows differ only in _seq'
        const j = [0, -1, 1, 2][i]
        if (j >= 0 && base[rowsKey] && r[rowsKey]) {
          const A = new Set(base[rowsKey][j])
          const B = new Set(r[rowsKey][j])
          d.onlyInA = [...A].filter((x) => !B.has(x)).slice(0, 5)
          d.onlyInB = [...B].filter((x) => !A.has(x)).slice(0, 5)
          if (d.onlyInA.length === 0 && d.onlyInB.length === 0) d.note = 'same rows, different order'
          d.onlyInA = d.onlyInA.slice(0, d.note ? 2 : 5)
          d.onlyInB = d.onlyInB.slice(0, d.note ? 2 : 5)
        } else {
          d.headA = a[i].head
          d.headB = b[i].head
        }
        bad.push(d)
      }
    }
  }
  return bad
}

// ------------------------------------------------------------------ streams

/**
 * streamsData makes the streams section's data (bench/README.md,
 * "Streams"): k streams, stream i holding makeData(--streams-n, seed
 * 101 + i); inserts[i], the messages that may be appended to stream i, in
 * order (makePlan's inserts: each the newest ts, so that it enters Q4);
 * each, the streams of the one-at-a-time appends (every stream once in a
 * shuffled order, again as needed); want(i, count), what stream i must
 * hold at the end once count of its inserts were appended (Q4's ids in
 * order, the collections' sizes).
 */
function streamsData(k) {
  const R = opts.streamsRounds
  const M = opts.streamsEach
  const rnd = prng(opts.seed + 300)
  const each = []
  while (each.length < M) {
    const cycle = Array.from({ length: k }, (_, i) => i)
    for (let i = k - 1; i > 0; i--) {
      const j = (rnd() * (i + 1)) | 0
      ;[cycle[i], cycle[j]] = [cycle[j], cycle[i]]
    }
    each.push(...cycle.slice(0, M - each.length))
  }
  const streams = []
  for (let i = 0; i < k; i++) {
    const data = makeData(opts.streamsN, { seed: opts.seed + 100 + i })
    const need = R + each.filter((x) => x === i).length
    const inserts = makePlan(data, { rounds: Math.max(1, need), seed: opts.seed + 200 + i })
      .filter((x) => x.kind === 'insert')
      .map((x) => x.event)
    streams.push({ data, bodies: data.bodies, inserts })
  }
  const want = (i, count) => {
    const { data, inserts } = streams[i]
    const q4Ids = [...data.messages, ...inserts.slice(0, count).map((e) => e.value)]
      .sort((a, b) => b.ts - a.ts)
      .slice(0, 50)
      .map((m) => m.id)
    return { q4Ids, messages: data.n + count, users: data.nUsers }
  }
  return { k, streams, each, want, events: streams[0].bodies.reduce((n, b) => n + JSON.parse(b).length, 0) }
}

/**
 * runStreams runs the streams section's page for one engine in one live
 * mode in a Chromium of its own: k fresh streams with the section's data,
 * then bench.streams (pages/harness.js) on them.
 */
async function runStreams({ engine, live, sd, dsURL, webURL, gateway }) {
  const label = `streams: ${engine} ${live} k=${sd.k}`
  const r = { engine, live, k: sd.k, steps: {}, done: false, loadavgBefore: os.loadavg()[0], ...(live === 'websocket' ? { gatewayLive: opts.gatewayLive } : {}) }
  log(`${label}: populating ${sd.k} streams`)
  const stamp = Date.now()
  const urls = []
  for (let i = 0; i < sd.k; i++) urls.push(await populate(dsURL, `streams-${engine}-${live}-${stamp}-${i}`, sd.streams[i].bodies))
  const { browser, closeBrowser } = await launch()
  const within = budget()
  try {
    const page = await browser.newPage()
    const { errors } = await watchPage(browser, page)
    r.errors = errors
    await page.goto(`${webURL}/${pageOf(engine, live)}.html`)
    await page.waitForSelector('html[data-ready]', { state: 'attached', timeout: 120000 })
    r.steps.moduleReadyMs = await page.evaluate(() => performance.now())
    log(`${label}: opening ${sd.k} databases, then ${opts.streamsRounds} bursts of ${sd.k} appends and ${sd.each.length} appends one at a time`)
    r.steps.page = await within(
      'streams',
      page.evaluate((o) => window.bench.streams(o), {
        urls: urls.map((u) => u.replace(dsURL, webURL)),
        live,
        gateway: live === 'websocket' ? gateway : undefined,
        inserts: sd.streams.map((x) => x.inserts),
        rounds: opts.streamsRounds,
        each: sd.each,
        readyTimeoutMs: opts.streamsTimeoutS * 1000,
        timeoutMs: opts.streamsTimeoutS * 1000,
        eachTimeoutMs: opts.streamsEachTimeoutS * 1000,
        settleTimeoutMs: opts.streamsTimeoutS * 1000,
      }),
    )
    const p = r.steps.page
    log(`${label}: ${p.readyCount}/${sd.k} ready${p.allReadyMs != null ? ` in ${p.allReadyMs.toFixed(0)} ms` : ` after ${(p.waitedMs / 1000).toFixed(0)} s`}`)
    r.done = true
  } catch (e) {
    failedRun(r, label, e)
  } finally {
    r.loadavgAfter = os.loadavg()[0]
    await closeBrowser()
    for (const u of urls) await fetch(u, { method: 'DELETE' }).catch(() => {})
  }
  return r
}

/** streamsLabel names a run of the streams section (a column). */
const streamsLabel = (r) => `${r.engine} ${TAGS[r.live]}`

/** streamsFigures flattens one run of the streams section into [name, value, unit] rows. */
function streamsFigures(run) {
  const f = []
  const add = (name, v, unit) => f.push([name, v ?? null, unit, false])
  const p = run.steps.page
  const k = run.k
  const ready = (p?.readyMs ?? []).filter((x) => x !== null)
  const bursts = p?.bursts ?? []
  const burst = bursts.flatMap((b) => b.changes)
  const each = p?.each ?? []
  const seen = (a) => a.filter((c) => !c.timeout).map((c) => c.appendToNotified)
  const max = (a) => (a.length ? Math.max(...a) : null)
  const ran = p && p.readyCount === k
  add(`streams ready (of ${k}) within ${opts.streamsTimeoutS} s`, p ? p.readyCount : null, '')
  add(`createStreamDB x${k} → all ${k} ready`, p?.allReadyMs, 'ms')
  add('navigation → all ready (the runner calls in after module ready)', p?.navToAllReadyMs, 'ms')
  add('navigation → module ready', run.steps.moduleReadyMs, 'ms')
  add('one stream ready: first / median / last', ready.length ? `${fmt(Math.min(...ready), 'ms')} / ${fmt(median(ready), 'ms')} / ${fmt(max(ready), 'ms')}` : null, 'text')
  add('longest task, createStreamDB → all ready', p?.longTasksToReady.max, 'ms')
  add('catch-up: HTTP requests of the streams / socket frames', p ? `${p.catchUp.requests} / ${p.catchUp.frames}` : null, 'text')
  add(`bursts (one append to each of the ${k} at once): appends made / not seen within ${opts.streamsTimeoutS} s`, ran ? `${burst.length} / ${burst.filter((c) => c.timeout).length}` : null, 'text')
  add('burst: append → notified (Q4 shows it), median', median(seen(burst)), 'ms')
  add('burst: append → notified, p95', quantile(seen(burst), 0.95), 'ms')
  add('burst: append → notified, max', max(seen(burst)), 'ms')
  add('burst: append → answer (POST response / socket ack), median', median(burst.map((c) => c.appendToAnswer)), 'ms')
  add('burst: a POST waited for a connection, max', max(bursts.flatMap((b) => b.postWaits)), 'ms')
  add(`burst: ${k} appends → all seen and the page idle, median`, median(bursts.map((b) => b.ms)), 'ms')
  add(`one at a time: appends made / not seen within ${opts.streamsEachTimeoutS} s`, ran ? `${each.length} / ${each.filter((c) => c.timeout).length}` : null, 'text')
  add('one at a time: append → notified, median', median(seen(each)), 'ms')
  add('one at a time: append → notified, p95', quantile(seen(each), 0.95), 'ms')
  add('one at a time: append → notified, max', max(seen(each)), 'ms')
  add('one at a time: seen after more than 1 s', ran ? each.filter((c) => c.timeout || c.appendToNotified > 1000).length : null, '')
  add('one at a time: append → answer, median', median(each.map((c) => c.appendToAnswer)), 'ms')
  add('one at a time: a POST waited for a connection, max', max(each.flatMap((c) => c.postWaits)), 'ms')
  add(`then: appends not yet seen / still not seen ${opts.streamsTimeoutS} s later`, p?.final ? `${p.missingBeforeSettle} / ${p.missingAfterSettle}` : null, 'text')
  add('then: time until every append was seen', p?.final && p.missingAfterSettle === 0 ? p.settleMs : null, 'ms')
  add('WebSockets the page opened', p ? p.sockets.length : null, '')
  if (run.live === 'websocket') add('gateway upstream live mode', run.gatewayLive, 'text')
  add('machine load average (1 min) before / after the run', run.loadavgBefore != null ? `${run.loadavgBefore.toFixed(1)} / ${run.loadavgAfter?.toFixed(1)}` : null, 'text')
  return f
}

/**
 * compareStreams checks each run whose streams showed every append it
 * made in the end (late ones included): each stream's Q4 ids (in order)
 * and collection sizes against the data and the appends made, and each
 * stream's Q4 rows (fingerprinted) against the first such run's with the
 * same appends. It returns the disagreements and the runs not compared.
 */
function compareStreams(runs, sd) {
  const bad = []
  const skipped = []
  let base = null
  for (const r of runs) {
    const p = r.steps.page
    const missed = p?.final ? p.missingAfterSettle : 0
    if (!p?.final || missed) {
      skipped.push(`${streamsLabel(r)}: ${!p ? 'did not finish' : !p.final ? `${p.readyCount} of ${r.k} streams ready` : `${missed} appends never seen (${opts.streamsTimeoutS} s after the last)`}`)
      continue
    }
    const same = base && base.steps.page.appended.join() === p.appended.join()
    p.final.forEach((x, i) => {
      const want = sd.want(i, p.appended[i])
      if (x.messages !== want.messages || x.users !== want.users) bad.push(`${streamsLabel(r)} stream ${i}: ${x.messages} messages and ${x.users} users, want ${want.messages} and ${want.users}`)
      if (x.q4Ids.join() !== want.q4Ids.join()) bad.push(`${streamsLabel(r)} stream ${i}: Q4 ids ${x.q4Ids.slice(0, 3).join(',')}... want ${want.q4Ids.slice(0, 3).join(',')}...`)
      if (same && x.q4 !== base.steps.page.final[i].q4) {
        const seqOnly = x.q4NoSeq === base.steps.page.final[i].q4NoSeq
        bad.push(`${streamsLabel(r)} vs ${streamsLabel(base)} stream ${i}: Q4 rows differ${seqOnly ? ' (only in _seq)' : ''}`)
      }
    })
    base ??= r
  }
  return { bad, skipped }
}

/**
 * streamsSection runs the streams section (bench/README.md, "Streams"):
 * ours in each of --streams-live, the reference over long-poll; prints its
 * table and whether the results agree; returns {table, disagreements, runs}.
 */
async function streamsSection({ dsURL, webURL, gateway }) {
  const t0 = Date.now()
  const sd = streamsData(opts.streams)
  const runs = []
  if (opts.engines.includes('ours')) for (const live of opts.streamsLives) runs.push(await runStreams({ engine: 'ours', live, sd, dsURL, webURL, gateway }))
  if (opts.engines.includes('reference')) runs.push(await runStreams({ engine: 'reference', live: 'long-poll', sd, dsURL, webURL }))
  log(`streams section: ${((Date.now() - t0) / 1000).toFixed(0)} s`)
  const cols = runs.map(streamsLabel)
  const names = []
  const vals = runs.map(() => new Map())
  runs.forEach((run, ci) => {
    for (const [name, v, unit] of streamsFigures(run)) {
      if (!names.find((x) => x[0] === name)) names.push([name, unit])
      vals[ci].set(name, v)
    }
  })
  const t = {
    title: `streams: one page, ${sd.k} StreamDBs on ${sd.k} streams of ${sd.events} events each (${opts.streamsN} messages, ${Math.floor(opts.streamsN / 10)} users); then ${opts.streamsRounds} bursts of one append to every stream at once, and ${sd.each.length} appends one at a time (HTTP/1.1: 6 connections per origin)`,
    cols,
    rows: names.map(([name, unit]) => ({ figure: name, unit, values: Object.fromEntries(cols.map((c, ci) => [c, vals[ci].get(name) ?? null])) })),
    failed: runs.filter((r) => r.failed).map((r) => `${streamsLabel(r)}: ${r.failed.split('\n')[0]}`),
  }
  printTable(t)
  const { bad, skipped } = compareStreams(runs, sd)
  for (const x of skipped) say(`\nnot compared: ${x}`)
  if (bad.length) {
    say(`\nDISAGREEMENT (streams):`)
    for (const b of bad.slice(0, 20)) say(`- ${b}`)
  } else if (runs.length > skipped.length) {
    say(`\nresults agree: every stream's Q4 and sizes as the data says, in ${runs.length - skipped.length} run(s) (${runs.filter((r) => !skipped.some((x) => x.startsWith(streamsLabel(r) + ':'))).map(streamsLabel).join(', ')})`)
  }
  // The pages' warnings, each kind once (a stalled SSE page repeats
  // one per stream).
  for (const r of runs) {
    const kinds = new Map()
    for (const e of r.errors ?? []) {
      const key = e.replace(/https?:\/\/\S+/g, 'URL').replace(/\d{4,}/g, 'N').replace(/_N/g, '')
      kinds.set(key, (kinds.get(key) ?? 0) + 1)
    }
    for (const [e, n] of kinds) log(`${streamsLabel(r)}: page (x${n}): ${e.slice(0, 300)}`)
  }
  for (const r of runs) if (r.steps.page) for (const x of r.steps.page.final ?? []) delete x.q4Ids
  return { table: t, disagreements: bad, skipped, runs, seconds: (Date.now() - t0) / 1000 }
}

// ------------------------------------------------------------------ main

/**
 * reloadSection runs the reload section for n in the first live mode
 * (bench/README.md, "Reload"), prints its table and whether the results
 * agree, and returns {table, disagreements, runs}.
 *
 * One stream, one browser per engine, both open throughout. Each engine's
 * first visit reads the data; then, step by step, RELOAD_EVENTS events are
 * appended and ours reloads (restore + catch-up), then the reference
 * reloads (a full replay), in its next variant: opts.refReloads reloads
 * of each, one per step, while there are. Every reload follows an append,
 * so that no engine's read of the stream is answered from the HTTP cache,
 * and the two engines' results are compared at equal content.
 */
async function reloadSection(n, data, sz, { dsURL, webURL }) {
  const live = opts.lives[0]
  const t0 = Date.now()
  const withOurs = opts.engines.includes('ours')
  const withRef = opts.engines.includes('reference')
  const refPlan = withRef ? opts.indexes.flatMap((x) => Array.from({ length: opts.refReloads }, () => x === 'eager')) : []
  const steps = Math.max(withOurs ? opts.reloads : 0, refPlan.length)
  const batches = reloadBatches(data, steps)
  log(`reload, n=${n}: populating ${data.bodies.length} POSTs`)
  const url = await populate(dsURL, `reload-${live}-${n}-${Date.now()}`, data.bodies)
  const stream = { url, pageURL: url.replace(dsURL, webURL), appended: 0 }
  const sessions = []
  try {
    if (withOurs) sessions.push(await reloadSession({ engine: 'ours', live, data, stream, webURL }))
    if (withRef) sessions.push(await reloadSession({ engine: 'reference', live, data, stream, webURL }))
    for (const s of sessions) await s.firstVisit()
    for (let i = 0; i < steps; i++) {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: batches[i] })
      if (!res.ok) throw new Error(`append ${url}: ${res.status} ${await res.text()}`)
      await res.arrayBuffer()
      stream.appended += RELOAD_EVENTS
      for (const s of sessions) {
        if (s.r.engine === 'ours') await s.reload(false)
        else if (i < refPlan.length) await s.reload(refPlan[i])
      }
    }
    if (withOurs && !withRef) await sessions[0].fresh()
  } finally {
    for (const s of sessions) await s.close()
    await fetch(url, { method: 'DELETE' }).catch(() => {})
  }
  // One run per variant (a column of the table; the first visit is shared).
  const runs = sessions.flatMap(({ r }) =>
    r.engine === 'ours' ? [r] : opts.indexes.map((x) => ({ ...r, indexed: x === 'eager', reloads: r.reloads.filter((y) => y.indexed === (x === 'eager')) })),
  )
  log(`reload section, n=${n}: ${((Date.now() - t0) / 1000).toFixed(0)} s`)
  const t = table(n, runs, sz, {
    figs: reloadFigures,
    title: `reload, n = ${n}: ours restores its snapshot (persist, OPFS) and reads the ${RELOAD_EVENTS} events appended since; the reference replays the stream (${live}; each reload after ${RELOAD_EVENTS} more events)`,
  })
  printTable(t)
  for (const r of runs) for (const p of r.problems) say(`\nPROBLEM (${r.engine}): ${p}`)
  const disagreements = compareReload(runs)
  if (disagreements.length) {
    say(`\nDISAGREEMENT (reload, n=${n}), full detail in the JSON:`)
    for (const d of disagreements) say(`- ${d.query} ${d.what}: ${d.note ?? 'different rows'}, counts ${d.counts.join(' vs ')}${d.onlyInA?.length ? `, e.g. ${d.onlyInA[0]} vs ${d.onlyInB?.[0] ?? '(none)'}` : ''}`)
  } else {
    const done = runs.filter((r) => r.reloads.length)
    if (done.length > 1 && done[0].engine === 'ours') say(`\nresults agree: Q1-Q4 after each reload identical in every run (${done.map((r) => `${r.engine}${r.indexed ? '+idx' : ''}`).join(', ')})`)
    else if (done[0]?.steps.freshDigest) say(`\nresults agree: Q1-Q4 after ours' last reload identical to its full read without persist`)
    else say(`\nresults not compared: no run of ours (the reference's variants reload after different appends)`)
  }
  for (const r of runs) {
    for (const x of r.reloads) delete x.rows
    delete r.freshRows
  }
  return { table: t, disagreements, runs, seconds: (Date.now() - t0) / 1000 }
}

async function main() {
  // --no-build reuses the last build only if it was made from the same
  // package (pages built from another --pkg would measure that one).
  const from = opts.pkg ? join(opts.pkg, 'js/index.js') : '@streamdb/streamdb'
  const builtFrom = existsSync(join(BUILD, '.from')) ? readFileSync(join(BUILD, '.from'), 'utf8') : null
  if (opts.build || !existsSync(join(BUILD, '.vite/manifest.json')) || (usesWebSocket() && !existsSync(join(BUILD, WS_MANIFEST))) || builtFrom !== from) {
    if (!opts.build) log(`--no-build: the last build is of ${builtFrom ?? 'an unknown package'}, not ${from}: building`)
    log('building the pages (vite, production)')
    await build()
    writeFileSync(join(BUILD, '.from'), from)
  }
  const sz = sizes()
  const machine = {
    cpus: os.cpus().length,
    cpu: os.cpus()[0]?.model,
    memGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
    loadavg: os.loadavg(),
    node: process.version,
    chromium: await new Promise((r) => {
      const c = spawn(CHROMIUM, ['--version'], { stdio: ['ignore', 'pipe', 'ignore'] })
      let o = ''
      c.stdout.on('data', (d) => (o += d))
      c.on('exit', () => r(o.trim()))
      c.on('error', () => r('unknown'))
    }),
  }
  const ds = await startDS()
  cleanups.add(ds.stop)
  const web = await startWeb(ds.url)
  cleanups.add(web.stop)
  // The gateway, when ours runs over the socket somewhere.
  const gw = usesWebSocket() ? await startGateway(ds.url) : null
  if (gw) cleanups.add(gw.stop)
  const report = { when: new Date().toISOString(), argv: process.argv.slice(2), opts, machine, sizes: sz, gateway: gw ? { url: gw.url, live: gw.live } : null, byN: [] }
  let disagree = false
  let oursFailed = false
  let smallest = null
  try {
    for (const n of opts.loadOnly || opts.streamsOnly ? [] : opts.ns) {
      log(`n=${n}: making data`)
      const data = makeData(n, { seed: opts.seed })
      const entry = { n }
      report.byN.push(entry)
      if (!opts.reloadOnly) {
        const plan = makePlan(data, { rounds: opts.rounds })
        const runs = []
        for (const live of opts.lives) {
          for (const engine of opts.engines) {
            // The reference has no websocket mode.
            if (engine === 'reference' && live === 'websocket') continue
            const variants = engine === 'reference' ? opts.indexes.map((x) => x === 'eager') : [false]
            for (const indexed of variants) {
              runs.push(await runOne({ engine, live, indexed, data, plan, dsURL: ds.url, webURL: web.url, gateway: gw?.url }))
            }
          }
        }
        if (runs.some((r) => r.engine === 'ours' && r.failed)) oursFailed = true
        const t = table(n, runs, sz)
        const disagreements = compare(runs)
        if (disagreements.length) disagree = true
        printTable(t)
        if (disagreements.length) {
          // One line per (query, stage, kind of difference), naming the runs.
          say(`\nDISAGREEMENT (n=${n}), full detail in the JSON:`)
          const groups = new Map()
          for (const d of disagreements) {
            const k = `${d.query} ${d.stage === 'digestAfterPreload' ? 'after preload' : 'after the changes'}: ${d.note ?? 'different rows'}`
            if (!groups.has(k)) groups.set(k, { runs: [], d })
            groups.get(k).runs.push(d.b)
          }
          for (const [k, g] of groups) {
            const ex = g.d.onlyInA?.length ? ` e.g. ${g.d.a}: ${g.d.onlyInA[0]} vs ${g.d.onlyInB?.[0] ?? '(none)'}` : ` counts ${g.d.counts.join(' vs ')}`
            say(`- ${k} (${g.d.a} vs ${g.runs.join(', ')});${ex}`)
          }
        } else say(`\nresults agree: Q1-Q4 identical in every finished run after preload and after the changes`)
        for (const row of t.rows) {
          if (row.bestRatio != null && (smallest === null || row.bestRatio < smallest.ratio)) smallest = { n, figure: row.figure, ratio: row.bestRatio }
        }
        // Leave the bulky rows out of the JSON.
        for (const r of runs) {
          delete r.rowsAfterPreload
          delete r.rowsAfterChanges
        }
        Object.assign(entry, { table: t, disagreements, runs })
      }
      if (opts.reload) {
        const reload = await reloadSection(n, data, sz, { dsURL: ds.url, webURL: web.url })
        entry.reload = reload
        for (const row of reload.table.rows) {
          if (row.bestRatio != null && (smallest === null || row.bestRatio < smallest.ratio)) smallest = { n, figure: row.figure, ratio: row.bestRatio }
        }
        if (reload.disagreements.length) disagree = true
        if (reload.runs.some((r) => r.engine === 'ours' && (r.failed || r.problems.length))) oursFailed = true
      }
      mkdirSync(RESULTS, { recursive: true })
      const file = join(RESULTS, `bench-${report.when.replace(/[:.]/g, '-')}.json`)
      writeFileSync(file, JSON.stringify(report, null, 1))
      writeFileSync(file.replace(/\.json$/, '.md'), `node bench/run.mjs ${report.argv.join(' ')}\n${said.join('\n')}\n`)
      log(`wrote ${file}`)
    }
    for (const n of opts.loads) {
      const data = makeLoad(n)
      const runs = []
      for (const live of opts.lives) {
        for (const engine of opts.engines) {
          if (engine === 'reference' && live === 'websocket') continue
          const variants = engine === 'reference' ? opts.indexes.map((x) => x === 'eager') : [false]
          for (const indexed of variants) runs.push(await runLoad({ engine, live, indexed, data, dsURL: ds.url, webURL: web.url, gateway: gw?.url }))
        }
      }
      if (runs.some((r) => r.engine === 'ours' && r.failed)) oursFailed = true
      const t = table(n, runs, sz, { figs: loadFigures, title: `load: 20 live queries while ${n} events stream in (after 1,000 users and 1,000 messages)` })
      printTable(t)
      const disagreements = compareLoad(runs)
      if (disagreements.length) {
        disagree = true
        say(`\nDISAGREEMENT (load, n=${n}), full detail in the JSON:`)
        for (const d of disagreements) say(`- ${d.query}: ${d.what} (rows ${d.counts.join(' vs ')})`)
      } else say(`\nresults agree: every finished run's 20 live results equal its fresh page's${runs.length > 1 ? ', and the fresh pages agree' : ''}`)
      report.loads = [...(report.loads ?? []), { n, table: t, disagreements, runs }]
      mkdirSync(RESULTS, { recursive: true })
      const file = join(RESULTS, `bench-${report.when.replace(/[:.]/g, '-')}.json`)
      writeFileSync(file, JSON.stringify(report, null, 1))
      log(`wrote ${file}`)
    }
    if (opts.streams) {
      const st = await streamsSection({ dsURL: ds.url, webURL: web.url, gateway: gw?.url })
      report.streams = st
      if (st.disagreements.length) disagree = true
      if (st.runs.some((r) => r.engine === 'ours' && r.failed)) oursFailed = true
      mkdirSync(RESULTS, { recursive: true })
      const file = join(RESULTS, `bench-${report.when.replace(/[:.]/g, '-')}.json`)
      writeFileSync(file, JSON.stringify(report, null, 1))
      log(`wrote ${file}`)
    }
  } finally {
    if (gw) {
      await gw.stop()
      if (/panic|fatal/i.test(gw.log())) log(`the gateway's log:\n${gw.log()}`)
    }
    await web.stop()
    await ds.stop()
  }
  say(`\nmachine: ${machine.cpus} vCPU ${machine.cpu}, ${machine.memGiB} GiB, ${machine.node}, ${machine.chromium}; load average at start ${machine.loadavg.map((x) => x.toFixed(1)).join(' ')}`)
  say(`sizes (gzip): ours JS ${fmt(sz.ours.jsGzip, 'B')} + wasm ${fmt(sz.ours.wasmGzip, 'B')} (raw ${fmt(sz.ours.wasmBytes, 'B')}); ${sz['ours-ws'] ? `ours over the socket (./websocket) JS ${fmt(sz['ours-ws'].jsGzip, 'B')} + wasm ${fmt(sz['ours-ws'].wasmGzip, 'B')} (raw ${fmt(sz['ours-ws'].wasmBytes, 'B')}); ` : ''}reference JS ${fmt(sz.reference.jsGzip, 'B')}`)
  if (gw) say(`gateway: cmd/streamdb-gateway of this checkout, upstream the reference server directly, its upstream live mode ${gw.live}`)
  if (smallest) say(`\nsmallest ratio reference/ours (best reference variant): ${smallest.ratio.toFixed(2)}× — ${smallest.figure} (n=${smallest.n})`)
  else say('\nsmallest ratio: none (run both engines for ratios)')
  if (report.byN.length || report.loads || report.streams) {
    const file = join(RESULTS, `bench-${report.when.replace(/[:.]/g, '-')}.md`)
    writeFileSync(file, `node bench/run.mjs ${report.argv.join(' ')}\n${said.join('\n')}\n`)
  }
  process.exit(disagree ? 1 : oursFailed ? 2 : 0)
}

main().catch((e) => {
  console.error(e)
  process.exit(2)
})
