// One page, twenty streams: through the WebSocket gateway (live:
// 'websocket', one socket for all of them) and over long-poll (HTTP/1.1:
// Chromium's 6 connections per origin, one held by every live stream).
// Against the reference server (test/node/server.mjs) and the real gateway
// binary (go build ./cmd/streamdb-gateway, here), in headless Chromium; the
// page (pages/websocket.js) imports '@streamdb/streamdb/websocket'.
//
// The gateway reaches the reference server through a small proxy of this
// file, which can hold one append (before or after the server has it), so
// that the gateway can be killed between an append's arrival upstream and
// its ack. The page's reads and the test's own appends and reads go to the
// reference server directly.
//
// Run (after `make build`): node --test test/browser/websocket.test.mjs
// STREAMDB_TEST_VERBOSE=1 prints the pages' console and the gateway's log.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer as createHTTPServer, request } from 'node:http'
import { createServer as createNetServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createServer as createVite } from 'vite'
import { ROOT, launchBrowser, run, waitFor, readStream } from './harness.mjs'
import { startServer, createStream, appendEvents } from '../node/server.mjs'

const N = 20 // streams in the page
// The reference server's long-poll timeout: an idle long-poll holds one of
// the page's 6 connections this long.
const LONG_POLL_MS = 2000
const SPACING_MS = 250 // between two appends of a round (one per stream)
const SOCKET_BOUND_MS = 500 // every append is seen this soon over the socket
const STALL_MS = 1000 // over long-poll, some appends take longer than this

const verbose = !!process.env.STREAMDB_TEST_VERBOSE
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const timings = {}

let tmp, ds, proxy, gateway, vite, browser, streams
const pages = []

// ---------------------------------------------------------------- fixtures

/** freePort returns a TCP port nothing listens on (now). */
async function freePort() {
  const s = createNetServer()
  await new Promise((r) => s.listen(0, '127.0.0.1', r))
  const { port } = s.address()
  await new Promise((r) => s.close(r))
  return port
}

/**
 * startProxy forwards every request to base. holdNext(kind, path) makes it
 * hold the next POST to path: 'request' keeps it (never forwarded: the
 * server never sees it), 'response' forwards it and keeps the server's
 * answer (the server has the append; its sender never hears of it). The
 * promise holdNext returns resolves once the hold happened. setDown(true)
 * is an outage of the server: the requests in flight are cut and every
 * request is answered 503 until setDown(false).
 */
async function startProxy(base) {
  const up = new URL(base)
  const held = new Set()
  const inFlight = new Set()
  let hold // { kind, path, done }
  let down = false
  const server = createHTTPServer((req, res) => {
    if (down) {
      req.resume()
      res.writeHead(503, { 'content-type': 'text/plain' }).end('upstream down (test)')
      return
    }
    inFlight.add(res)
    res.on('close', () => inFlight.delete(res))
    let h
    if (hold && req.method === 'POST' && new URL(req.url, base).pathname === hold.path) {
      h = hold
      hold = undefined
    }
    if (h?.kind === 'request') {
      held.add(res)
      req.resume()
      req.on('end', () => h.done())
      return
    }
    const fwd = request({ host: up.hostname, port: up.port, method: req.method, path: req.url, headers: { ...req.headers, host: up.host } }, (r) => {
      if (h?.kind === 'response') {
        held.add(res)
        r.resume()
        r.on('end', () => h.done(r.statusCode))
        return
      }
      res.writeHead(r.statusCode, r.headers)
      r.pipe(res)
    })
    fwd.on('error', () => res.destroy())
    res.on('close', () => fwd.destroy())
    req.pipe(fwd)
  })
  await new Promise((r) => server.listen(0, '127.0.0.1', r))
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    holdNext(kind, path) {
      return new Promise((done) => (hold = { kind, path, done }))
    },
    setDown(v) {
      down = v
      if (v) for (const res of inFlight) res.destroy()
    },
    close: () => new Promise((r) => {
      for (const res of held) res.destroy()
      server.closeAllConnections()
      server.close(r)
    }),
  }
}

/** Gateway runs the gateway binary on one port, stopped and started again at will. */
class Gateway {
  constructor(bin, upstream, port) {
    this.bin = bin
    this.upstream = upstream
    this.port = port
    this.url = `ws://127.0.0.1:${port}/v1/ws`
    this.log = ''
    this.starts = 0
  }

  async start() {
    const child = spawn(this.bin, ['-listen', `127.0.0.1:${this.port}`, '-upstream', this.upstream], { stdio: ['ignore', 'inherit', 'pipe'] })
    this.child = child
    this.exited = new Promise((r) => child.once('exit', (code, signal) => r(signal ?? code)))
    child.stderr.on('data', (d) => {
      this.log += d
      if (verbose) process.stderr.write(`[gateway] ${d}`)
    })
    await waitFor(async () => {
      if (child.exitCode !== null) throw new Error(`the gateway exited (${child.exitCode}):\n${this.log}`)
      const res = await fetch(`http://127.0.0.1:${this.port}/healthz`).catch(() => null)
      return res?.status === 200 && (await res.text()).trim() === 'ok'
    }, { timeout: 10000, what: 'the gateway\'s /healthz' })
    this.starts++
  }

  /** stop sends signal (SIGKILL: a crash; SIGTERM: a graceful shutdown) and waits for the exit. */
  async stop(signal = 'SIGKILL') {
    const child = this.child
    if (!child || child.exitCode !== null || child.signalCode !== null) return
    child.kill(signal)
    const how = await this.exited
    if (signal === 'SIGTERM') assert.equal(how, 0, `the gateway's graceful shutdown exits 0; log:\n${this.log}`)
  }
}

async function startVite() {
  const JS = (f) => join(ROOT, 'js', f)
  const server = await createVite({
    configFile: false,
    root: ROOT,
    cacheDir: join(ROOT, 'node_modules/.cache/streamdb-browser-tests/websocket'),
    logLevel: 'warn',
    clearScreen: false,
    resolve: {
      alias: [
        { find: /^@streamdb\/streamdb\/websocket$/, replacement: JS('websocket.js') },
        { find: /^@streamdb\/streamdb$/, replacement: JS('index.js') },
      ],
    },
    optimizeDeps: { noDiscovery: true, include: ['zod'] },
    server: { host: '127.0.0.1', port: 0, strictPort: false, hmr: false, watch: null },
  })
  await server.listen()
  return { url: `http://127.0.0.1:${server.httpServer.address().port}`, stop: () => server.close() }
}

/**
 * openPage opens pages/websocket.html in a new context. It records the
 * page's errors, every WebSocket it creates (page.sockets, through the
 * browser's own events), the most it had open at once, and its requests
 * to the reference server.
 */
async function openPage() {
  const context = await browser.newContext()
  const page = await context.newPage()
  Object.assign(page, { errors: [], sockets: [], open: 0, maxOpen: 0, dsRequests: [] })
  page.on('pageerror', (e) => page.errors.push(String(e)))
  page.on('console', (m) => {
    if (m.type() === 'error') page.errors.push(m.text())
    if (verbose) console.log(`[page] ${m.type()}: ${m.text()}`)
  })
  page.on('websocket', (ws) => {
    if (isVite(ws.url())) return
    page.sockets.push(ws.url())
    page.maxOpen = Math.max(page.maxOpen, ++page.open)
    ws.on('close', () => page.open--)
  })
  const wasm = []
  page.on('request', (r) => {
    if (r.url().startsWith(ds.url)) page.dsRequests.push(r.url())
  })
  page.on('response', (r) => {
    if (r.url().endsWith('.wasm')) wasm.push(`${new URL(r.url()).pathname} ${r.status()}`)
  })
  pages.push(page)
  await page.goto(`${vite.url}/test/browser/pages/websocket.html`)
  await page.waitForSelector('html[data-ready]', { state: 'attached', timeout: 30000 })
  assert.deepEqual(wasm, ['/dist/streamdb-ws.wasm 200'], 'the ./websocket entry loads the WebSocket build')
  return page
}

/** isVite tells the dev server's own socket (its client's, in every page it serves) from the page's. */
const isVite = (url) => new URL(url).host === new URL(vite.url).host

/** The errors a page logged, without the browser's notes on the sockets the test broke on purpose. */
const pageErrors = (page) => page.errors.filter((e) => !/^WebSocket connection to 'ws:\/\/127\.0\.0\.1:\d+\/v1\/ws\?binary=1' failed/.test(e))

const item = (key, stream) => ({ type: 'item', key, value: { id: key, stream, sentAt: Date.now() }, headers: { operation: 'insert' } })
const keysOf = (items) => items.map((e) => e.key)

/**
 * appendRound appends one event to every stream, SPACING_MS apart, and
 * returns their keys; the event's sentAt is taken just before its append.
 */
async function appendRound(tag) {
  const keys = []
  for (let i = 0; i < N; i++) {
    const key = `${i}-${tag}`
    keys.push(key)
    await appendEvents(streams[i], item(key, i))
    await sleep(SPACING_MS)
  }
  return keys
}

/** latencies waits until the page has seen every key (keys[i] on stream i), and returns append -> seen per stream. */
async function latencies(page, keys, timeout = 20000) {
  const st = await waitFor(async () => {
    const s = await run(page, 'state')
    return s.every((d, i) => keys[i] in d.seen) && s
  }, { timeout, what: `the page sees ${keys.length} appends` }).catch(async (e) => {
    const s = await run(page, 'state')
    const missing = keys.filter((k, i) => !(k in s[i].seen))
    throw new Error(`${e.message}: not seen ${JSON.stringify(missing)}; errors ${JSON.stringify(s.map((d) => d.errors).flat())}`)
  })
  // sentAt is in the row's value; the page noted when the row appeared.
  const items = await Promise.all(streams.map(readStream))
  return keys.map((k, i) => st[i].seen[k] - items[i].find((e) => e.key === k).value.sentAt)
}

const fmt = (ls) => `[${ls.join(', ')}] ms`

/** sameAsStreams waits until every StreamDB's events are exactly its stream's items, and asserts it. */
async function sameAsStreams(page, { timeout = 20000 } = {}) {
  let st, want
  await waitFor(async () => {
    ;[st, want] = await Promise.all([run(page, 'state'), Promise.all(streams.map(async (u) => keysOf(await readStream(u))))])
    return st.every((d, i) => JSON.stringify(d.events) === JSON.stringify(want[i]))
  }, { timeout, what: 'every StreamDB equal to its stream' }).catch(() => {})
  for (let i = 0; i < N; i++) {
    // Every event once, in the stream's order: nothing lost, nothing twice.
    assert.deepEqual(st[i].events, want[i], `stream ${i}: the events the StreamDB got are the stream's items`)
    assert.equal(new Set(want[i]).size, want[i].length, `stream ${i}: the stream itself has no duplicate`)
    assert.deepEqual([...st[i].rows].sort(), [...want[i]].sort(), `stream ${i}: the rows are the stream's`)
  }
  return want
}

before(async () => {
  const t0 = Date.now()
  tmp = mkdtempSync(join(tmpdir(), 'streamdb-ws-test-'))
  const bin = join(tmp, 'streamdb-gateway')
  const built = spawnSync('go', ['build', '-o', bin, './cmd/streamdb-gateway'], { cwd: ROOT, stdio: 'inherit' })
  assert.equal(built.status, 0, 'go build ./cmd/streamdb-gateway')
  timings.buildGateway = Date.now() - t0
  ;[ds, vite, browser] = await Promise.all([startServer({ longPollMs: LONG_POLL_MS }), startVite(), launchBrowser()])
  proxy = await startProxy(ds.url)
  gateway = new Gateway(bin, proxy.url, await freePort())
  await gateway.start()
  streams = await Promise.all(Array.from({ length: N }, (_, i) => createStream(ds.url, `ws-${i}-${Math.random().toString(36).slice(2)}`)))
  await Promise.all(streams.map((u, i) => appendEvents(u, item(`${i}-first`, i))))
  timings.setup = Date.now() - t0
})

after(async () => {
  for (const p of pages) assert.deepEqual(pageErrors(p), [], 'the page logged no errors')
  await gateway?.stop()
  await Promise.allSettled([browser?.close(), vite?.stop(), ds?.stop(), proxy?.close()])
  if (tmp) rmSync(tmp, { recursive: true, force: true })
  console.log(`# timings: ${JSON.stringify(timings)}`)
})

let wsPage // the page of the first test, still following its 20 streams

test('20 streams over one socket', async () => {
  wsPage = await openPage()
  const t0 = Date.now()
  const { preloadMs } = await run(wsPage, 'open', { streams, live: 'websocket', gateway: gateway.url })
  timings.wsPreload = preloadMs
  timings.wsOpenToCaughtUp = Date.now() - t0
  await sleep(300)

  const keys = await appendRound('ws')
  const ls = await latencies(wsPage, keys)
  timings.wsLatencies = ls
  console.log(`# websocket: append -> seen per stream ${fmt(ls)}; preload of the ${N}: ${preloadMs} ms`)
  assert.ok(Math.max(...ls) < SOCKET_BOUND_MS, `over the socket every append is seen within ${SOCKET_BOUND_MS} ms: ${fmt(ls)}`)

  // One socket, to the gateway, for the 20 StreamDBs; no read over HTTP.
  // One socket, asking for the gateway's frames as binary messages.
  const socketURL = `${gateway.url}?binary=1`
  assert.deepEqual(wsPage.sockets, [socketURL], 'the browser saw one WebSocket')
  assert.deepEqual((await run(wsPage, 'sockets')).filter((u) => !isVite(u)), [socketURL], 'the page constructed one WebSocket')
  assert.deepEqual(wsPage.dsRequests, [], 'no request from the page to the stream server')
  await sameAsStreams(wsPage)
})

test('the same page over long-poll stalls', async () => {
  const page = await openPage()
  const t0 = Date.now()
  const { preloadMs } = await run(page, 'open', { streams, live: true })
  timings.longPollPreload = preloadMs
  timings.longPollOpenToCaughtUp = Date.now() - t0
  // The steady state: 6 long-polls held by the server, 14 queued in the
  // browser, one of the 6 answered (empty) every LONG_POLL_MS / 6 or so.
  await sleep(LONG_POLL_MS + 500)

  const keys = await appendRound('lp')
  const ls = await latencies(page, keys)
  timings.longPollLatencies = ls
  const slow = ls.filter((l) => l > STALL_MS).length
  console.log(`# long-poll: append -> seen per stream ${fmt(ls)}; ${slow} of ${N} over ${STALL_MS} ms; preload of the ${N}: ${preloadMs} ms`)
  assert.deepEqual(page.sockets, [], 'no WebSocket')
  assert.ok(page.dsRequests.some((u) => /[?&]live=long-poll/.test(u)), 'the page long-polls the stream server')
  assert.ok(slow >= 2, `over long-poll, appends to some streams wait for a free connection (over ${STALL_MS} ms): ${fmt(ls)}`)
  // The socket's page saw this round too, all of it within the bound.
  const wsLs = await latencies(wsPage, keys)
  console.log(`# websocket, same round: ${fmt(wsLs)}`)
  assert.ok(Math.max(...wsLs) < SOCKET_BOUND_MS, `the same appends over the socket: ${fmt(wsLs)}`)
  await run(page, 'close')
  await page.context().close()
})

test('gateway restart', async () => {
  // Appends keep coming, straight to the stream server, while the
  // gateway is shut down (SIGTERM: graceful), started again, killed
  // (SIGKILL: a crash) and started again on the same port.
  const before = await run(wsPage, 'state')
  let appending = true
  let n = 0
  const appender = (async () => {
    while (appending) {
      const i = n % N
      await appendEvents(streams[i], item(`${i}-r${n++}`, i))
      await sleep(15)
    }
  })()
  const t0 = Date.now()
  try {
    await sleep(400)
    for (const signal of ['SIGTERM', 'SIGKILL']) {
      await gateway.stop(signal)
      await sleep(700) // down: the page's socket fails and its dials too
      await gateway.start()
      await sleep(700)
      // Each StreamDB says it is back before the next outage.
      await waitFor(async () => (await run(wsPage, 'state')).every((d) => d.status === 'live'), { timeout: 15000, what: 'every StreamDB live again' })
    }
  } finally {
    appending = false
    await appender
  }
  const want = await sameAsStreams(wsPage)
  timings.restart = Date.now() - t0
  const total = want.reduce((a, w) => a + w.length, 0)
  console.log(`# restart: ${n} appends during two restarts (${total} events in the 20 streams), every StreamDB equal to its stream; the page opened ${wsPage.sockets.length} sockets, at most ${wsPage.maxOpen} at once`)
  assert.ok(n > 100, `appends kept coming (${n})`)
  assert.equal(gateway.starts, 3)
  assert.equal(wsPage.maxOpen, 1, 'never more than one socket open at once')
  assert.ok(wsPage.sockets.length >= 3, `the page reconnected after each restart (${wsPage.sockets.length} sockets)`)
  assert.ok(wsPage.sockets.every((u) => u === `${gateway.url}?binary=1`))
  assert.deepEqual(wsPage.dsRequests, [], 'no request from the page to the stream server')
  // Each StreamDB said the gateway was down, and is live again.
  const st = await run(wsPage, 'state')
  for (let i = 0; i < N; i++) {
    const conns = st[i].conns.slice(before[i].conns.length)
    const errors = st[i].errors.slice(before[i].errors.length)
    assert.ok(conns.filter((c, k) => c === 'retrying' && conns[k - 1] !== 'retrying').length >= 2, `stream ${i}: the connection went retrying in each outage (${conns.join(' ')})`)
    assert.equal(st[i].status, 'live', `stream ${i}: live again`)
    assert.ok(errors.length >= 2 && errors.every((e) => /WebSocket gateway/.test(e)), `stream ${i}: onError heard the failed sockets (${JSON.stringify(errors.slice(0, 3))})`)
  }
})

test('an outage of the stream server behind a healthy gateway', async () => {
  // The gateway and the page's socket stay up; the server behind the
  // gateway fails (its live reads cut, then 503 for every request).
  const before = await run(wsPage, 'state')
  proxy.setDown(true)
  let st
  try {
    // Each StreamDB says so, with the server's failure in onError.
    st = await waitFor(async () => {
      const s = await run(wsPage, 'state')
      return s.every((d) => d.status === 'retrying') && s
    }, { timeout: 15000, what: 'every StreamDB retrying' })
  } finally {
    proxy.setDown(false)
  }
  for (let i = 0; i < N; i++) {
    const errors = st[i].errors.slice(before[i].errors.length)
    assert.ok(errors.some((e) => /the gateway's upstream failed \(attempt \d+\): upstream down \(test\)/.test(e)), `stream ${i}: onError heard the server's 503 (${JSON.stringify(errors.slice(0, 3))})`)
  }
  // Back without anything new appended, then what is appended arrives.
  await waitFor(async () => (await run(wsPage, 'state')).every((d) => d.status === 'live'), { timeout: 15000, what: 'every StreamDB live again' })
  await latencies(wsPage, await appendRound('after-outage'))
  await sameAsStreams(wsPage)
  assert.deepEqual(wsPage.dsRequests, [], 'no request from the page to the stream server')
})

test('appends over the socket', async () => {
  const stream = streams[0]
  const path = new URL(stream).pathname
  const count = async (key) => keysOf(await readStream(stream)).filter((k) => k === key).length
  const tail = async () => (await fetch(stream, { method: 'HEAD' })).headers.get('stream-next-offset')
  const appended = (name) => waitFor(() => run(wsPage, 'appended', { name }), { timeout: 15000, what: `append ${name} to settle` })
  const append = async (name) => run(wsPage, 'append', { i: 0, name, event: item(name, 0) })

  // A plain append: acked with the stream's tail after it.
  let t0 = Date.now()
  await append('a1')
  const r1 = await appended('a1')
  timings.appendAck = Date.now() - t0
  assert.deepEqual(Object.keys(r1), ['result'], `a1: ${JSON.stringify(r1)}`)
  assert.match(r1.result.offset, /\S/, 'a1 resolved with an offset')
  assert.equal(r1.result.offset, await tail(), 'the offset is the stream\'s tail after the append')
  assert.equal(await count('a1'), 1)

  // The gateway dies after the server stored the append, before the ack:
  // the client sends it again to the next gateway; the server's idempotent
  // producer takes it as the duplicate it is.
  const upstreamHas = proxy.holdNext('response', path)
  await append('a2')
  const status = await upstreamHas
  assert.ok(status >= 200 && status < 300, `the stream server took a2 (${status})`)
  assert.equal(await count('a2'), 1)
  assert.equal(await run(wsPage, 'appended', { name: 'a2' }), null, 'a2 not acked yet')
  t0 = Date.now()
  await gateway.stop('SIGKILL')
  await gateway.start()
  const r2 = await appended('a2')
  timings.appendAcrossRestart = Date.now() - t0
  assert.deepEqual(Object.keys(r2), ['result'], `a2: ${JSON.stringify(r2)}`)
  console.log(`# a2 (stored upstream, ack lost with the gateway) resolved with ${JSON.stringify(r2.result)}`)
  assert.equal(await count('a2'), 1, 'a2 is in the stream once')

  // The gateway dies before the server got the append: sent again, it is
  // stored once, acked with its offset.
  const gatewayHas = proxy.holdNext('request', path)
  await append('a3')
  await gatewayHas
  await gateway.stop('SIGKILL')
  assert.equal(await count('a3'), 0, 'the stream server never got the first a3')
  await gateway.start()
  const r3 = await appended('a3')
  assert.deepEqual(Object.keys(r3), ['result'], `a3: ${JSON.stringify(r3)}`)
  assert.match(r3.result.offset, /\S/, 'a3 resolved with an offset')
  assert.equal(r3.result.offset, await tail())
  assert.equal(await count('a3'), 1, 'a3 is in the stream once')

  // And the producer's sequence goes on.
  await append('a4')
  const r4 = await appended('a4')
  assert.match(r4.result?.offset ?? '', /\S/, `a4: ${JSON.stringify(r4)}`)
  assert.deepEqual(keysOf(await readStream(stream)).slice(-4), ['a1', 'a2', 'a3', 'a4'])

  // appendBatch over the socket: one request, each event its own message,
  // all at the offset it resolves with; a batch with a value that is not
  // one JSON value is refused before anything is sent.
  await run(wsPage, 'append', { i: 0, name: 'b', events: [item('b1', 0), JSON.stringify(item('b2', 0)), item('b3', 0)] })
  const rb = await appended('b')
  assert.match(rb.result?.offset ?? '', /\S/, `b: ${JSON.stringify(rb)}`)
  assert.equal(rb.result.offset, await tail())
  const items = await readStream(stream)
  const batch = items.slice(-3)
  assert.deepEqual(keysOf(batch), ['b1', 'b2', 'b3'])
  assert.deepEqual(batch.map((e) => e.headers.offset), [rb.result.offset, rb.result.offset, rb.result.offset], 'one POST upstream')
  await run(wsPage, 'append', { i: 0, name: 'bad', events: [item('c1', 0), `${JSON.stringify(item('c2', 0))},${JSON.stringify(item('c3', 0))}`] })
  const bad = await appended('bad')
  assert.match(bad.error ?? '', /not one JSON value/, `bad: ${JSON.stringify(bad)}`)
  assert.equal(await count('c1'), 0, 'nothing of the refused batch was sent')
  await sameAsStreams(wsPage)
})

test('an unreachable gateway: retrying, then failed by the retry policy', async () => {
  const gw = `ws://127.0.0.1:${await freePort()}/v1/ws`
  const r = await run(wsPage, 'unreachable', { stream: streams[0], gateway: gw, retry: { maxRetries: 2, initialDelayMs: 10, maxDelayMs: 50 } })
  assert.equal(r.preload?.code, 'NETWORK_ERROR', `preload() rejected with the socket's failure (${JSON.stringify(r.preload)})`)
  assert.match(r.preload.message, /3 times in a row/)
  assert.equal(r.connection, 'failed')
  assert.deepEqual(r.conns.filter((c) => c !== 'connecting'), ['retrying', 'retrying', 'failed'], `the connection states (${r.conns.join(' ')})`)
  assert.equal(r.errors.length, 3, `onError heard two retries and the failure (${JSON.stringify(r.errors)})`)
  assert.ok(r.errors.every((e) => e.code === 'NETWORK_ERROR' && e.message.includes(gw)), JSON.stringify(r.errors))
})
