// The page side of the benchmark, shared by both engines. An engine page
// gives an adapter:
//   open({url, live, indexed, gateway})
//                               create the database (reads nothing yet;
//                               gateway: the streamdb-gateway's socket URL,
//                               for live: 'websocket')
//   preload()                   resolve once the stream is read to its end
//   query(i, build)             open live query i (build(q, c, fns) is the
//                               query, c the collections); resolve with its
//                               first result (an array of rows)
//   subscribe(i, fn)            call fn after each change of query i's result
//   rows(i)                     query i's current result (array of rows)
//   info()                      engine facts for the report
//   fns                         the builder functions {eq, count}
//   collections()               the collections for build()
//   openQuery(build)            (the load row) open build(q, c, f), f the
//                               builder functions load.js uses; resolve with
//                               {rows(), subscribe(fn)} once it has a result
//   awaitTxId(txid)             resolve once an event with txid is in
//   close()                     close the database
//   saveSnapshot(), status()    (ours, the reload section) write the
//                               persisted snapshot now; the db's status
//   append(event)               (ours, live: 'websocket') append one event
//                               with db.stream.append (over the socket)
//   one({url, live, indexed, gateway})
//                               (the streams section) one more database:
//                               {preload(), query(build) → {rows(),
//                               subscribe(fn)}, append(event)?, sizes(),
//                               close()}
// and the harness exposes window.bench for the runner (run.mjs).
import { probe, wasmBytes } from './instrument.js'
import { openLoad, loadResults } from './load.js'

const now = () => performance.now()

/** The four anchor queries (README.md), the same as core/query's benchmarks. */
export const QUERIES = [
  ['Q1', (q, c, f) => q.from({ users: c.users }).where(({ users }) => f.eq(users.active, true))],
  [
    'Q2',
    (q, c, f) =>
      q
        .from({ m: c.messages })
        .innerJoin({ u: c.users }, ({ m, u }) => f.eq(m.userId, u.id))
        .select(({ m, u }) => ({ text: m.text, userName: u.name })),
  ],
  [
    'Q3',
    (q, c, f) =>
      q
        .from({ m: c.messages })
        .groupBy(({ m }) => m.userId)
        .select(({ m }) => ({ userId: m.userId, n: f.count(m.id) })),
  ],
  ['Q4', (q, c) => q.from({ m: c.messages }).orderBy(({ m }) => m.ts, 'desc').limit(50)],
]

/**
 * Queries measured once (opened, read, closed: no live upkeep during the
 * change rounds). Q5 sorts strings in locale order, TanStack DB's default
 * for strings (Intl.Collator).
 */
export const ONCE = [['Q5', (q, c) => q.from({ m: c.messages }).orderBy(({ m }) => m.text).limit(20)]]

/** longTasksIn sums the long tasks overlapping [from, to]. */
function longTasksIn(from, to) {
  return longTasksOf(probe.longTasks, from, to)
}

/**
 * longTasksAfter sums the long tasks that began in [from, to]: not the
 * task in which `from` was taken (the one a preload resolved in belongs
 * to the preload).
 */
function longTasksAfter(from, to) {
  return longTasksOf(
    probe.longTasks.filter(([s]) => s >= from),
    from,
    to,
  )
}

function longTasksOf(tasks, from, to) {
  let count = 0
  let total = 0
  let max = 0
  for (const [s, d] of tasks) {
    const a = Math.max(s, from)
    const b = Math.min(s + d, to)
    if (b > a) {
      count++
      total += b - a
      max = Math.max(max, d)
    }
  }
  return { count, total, max }
}

function idle() {
  return new Promise((resolve) => requestIdleCallback(() => resolve(now())))
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

/**
 * timerProbe runs a 5 ms interval timer until stop(), which returns the
 * longest gap between its ticks: how long the page could not run a timer
 * (it also sees holds shorter than the long-task API's 50 ms).
 */
function timerProbe() {
  let last = now()
  let max = 0
  const t = setInterval(() => {
    const n = now()
    max = Math.max(max, n - last)
    last = n
  }, 5)
  return () => {
    clearInterval(t)
    return Math.max(max, now() - last)
  }
}

/** catchUpReads describes the reads of url (GETs without live=) in [from, to]. */
function catchUpReads(url, from, to) {
  const reads = performance
    .getEntriesByType('resource')
    .filter((e) => e.name.startsWith(url) && !/[?&]live=/.test(e.name) && e.startTime >= from && e.responseEnd <= to + 1)
    .sort((a, b) => a.startTime - b.startTime)
  return {
    count: reads.length,
    offsets: reads.slice(0, 5).map((e) => new URL(e.name).searchParams.get('offset')),
    bodyBytes: reads.reduce((s, e) => s + (e.decodedBodySize || 0), 0),
    // 0 for a response from the HTTP cache.
    transferBytes: reads.reduce((s, e) => s + (e.transferSize || 0), 0),
    ttfbMs: reads.length ? reads[0].responseStart - from : null,
  }
}

/** opfsFiles lists the files of OPFS's streamdb/ directory (js/persist.js) and their sizes. */
async function opfsFiles() {
  try {
    const dir = await (await navigator.storage.getDirectory()).getDirectoryHandle('streamdb')
    const out = []
    for await (const [name, h] of dir.entries()) if (h.kind === 'file') out.push({ name, bytes: (await h.getFile()).size })
    return out
  } catch (e) {
    return { error: String(e) }
  }
}

// The reload section's instructions survive a page reload in the tab's
// sessionStorage (run.mjs sets them, then reloads the page).
const RELOAD_KEY = 'bench-reload'

// Long-task entries reach the observer in a later task: let them arrive.
const settleObservers = () => sleep(50)
// inTask runs fn from a timer task of the page: work done straight inside
// the runner's page.evaluate (a DevTools task) is not seen as a long task.
const inTask = (fn) => new Promise((resolve, reject) => setTimeout(() => fn().then(resolve, reject), 0))

// A row in a form both engines must agree on: virtual props ($synced,
// $origin, ...) dropped, keys sorted.
// With noSeq the top-level _seq is dropped too (to tell a _seq-only
// difference from a real one).
function canon(v, noSeq = false) {
  if (Array.isArray(v)) return `[${v.map((x) => canon(x)).join(',')}]`
  if (v && typeof v === 'object') {
    const keys = Object.keys(v).filter((k) => !k.startsWith('$') && !(noSeq && k === '_seq')).sort()
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canon(v[k])}`).join(',')}}`
  }
  return v === undefined ? 'undefined' : JSON.stringify(v)
}

async function sha256(s) {
  const buf = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(s))
  return [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, '0')).join('')
}

/** install exposes window.bench over an engine adapter. */
export function install(adapter) {
  let url
  let live
  let gateway // live: 'websocket': the gateway's socket URL
  let current = null // the change being measured
  let load = null // the load row's watch (load.js)
  const loadEngine = { open: (build) => adapter.openQuery(build), awaitTxId: (txid) => adapter.awaitTxId(txid) }
  const digests = async (results) => Promise.all(results.map(async ({ name, rows }) => ({ name, count: rows.length, sha256: await sha256(rows.join('\n')), head: rows.slice(0, 2) })))
  const firstFire = [null, null, null, null]
  const opened = [] // queryOpen's results, by query, for queryDone
  let tPreloaded = null // when the last preload() resolved
  let saveProbe = null // with persist: a timerProbe started at ready (saves() stops it)

  window.bench = {
    engine: adapter.name,
    wasmBytes,
    info: () => adapter.info(),

    /** preload opens the database and reads the stream; returns its timings. */
    async preload(opts) {
      url = new URL(opts.url, location.href).href
      live = opts.live
      gateway = opts.gateway
      performance.clearResourceTimings()
      probe.wsFrames.length = 0
      const [t0, tOpen, tReady] = await inTask(async () => {
        const t0 = now()
        adapter.open({ url, live: opts.live, indexed: opts.indexed, warmUp: opts.warmUp, persist: opts.persist, gateway })
        const tOpen = now()
        await adapter.preload()
        const tReady = now()
        // The automatic save begins at ready: watch the timers from here.
        if (opts.persist) saveProbe = timerProbe()
        return [t0, tOpen, tReady]
      })
      tPreloaded = tReady
      await settleObservers()
      // The catch-up reads: GETs of the stream without live=.
      const reads = performance
        .getEntriesByType('resource')
        .filter((e) => e.name.startsWith(url) && !/[?&]live=/.test(e.name) && e.startTime >= t0 && e.responseEnd <= tReady + 1)
      let firstByte = Math.min(...reads.map((e) => e.responseStart))
      let lastByte = Math.max(...reads.map((e) => e.responseEnd))
      const lt = longTasksIn(t0, tReady)
      if (live === 'websocket') {
        // The catch-up comes over the socket: the gateway's batch frames.
        const frames = probe.wsFrames.filter(([t, , type]) => type === 'batch' && t >= t0 && t <= tReady)
        firstByte = frames.length ? frames[0][0] : null
        lastByte = frames.length ? frames[frames.length - 1][0] : null
        return {
          totalMs: tReady - t0,
          openMs: tOpen - t0,
          ttfbMs: firstByte === null ? null : firstByte - t0,
          afterFirstByteMs: firstByte === null ? null : tReady - firstByte,
          downloadMs: firstByte === null ? null : lastByte - firstByte,
          afterLastByteMs: lastByte === null ? null : tReady - lastByte,
          requests: 0,
          frames: frames.length,
          bodyBytes: frames.reduce((s, f) => s + f[1], 0),
          longTasks: lt,
        }
      }
      return {
        totalMs: tReady - t0,
        openMs: tOpen - t0,
        ttfbMs: firstByte - t0,
        afterFirstByteMs: tReady - firstByte,
        downloadMs: lastByte - firstByte,
        afterLastByteMs: tReady - lastByte,
        requests: reads.length,
        transferBytes: reads.reduce((s, e) => s + (e.transferSize || 0), 0),
        bodyBytes: reads.reduce((s, e) => s + (e.decodedBodySize || 0), 0),
        longTasks: lt,
      }
    },

    /** query opens live query i (0..3); returns the time to its first result. */
    async query(i) {
      await this.queryOpen(i)
      return this.queryDone(i)
    },

    /**
     * queryOpen is query's first half: it opens query i and takes its
     * first result, and returns when it has it (a CPU profile of the
     * query stops here: what follows, the observers and the idle
     * collection after the query, is not the query's); queryDone is the
     * rest, and returns query's answer.
     */
    async queryOpen(i) {
      const [, build] = QUERIES[i]
      const w0 = wasmBytes()
      const [t0, r, t1] = await inTask(async () => {
        const t0 = now()
        const r = await adapter.query(i, build)
        return [t0, r, now()]
      })
      // What the first result grew the wasm memory by: fresh pages, each
      // touched for the first time during it (bench/README.md).
      opened[i] = { t0, r, t1, wasmGrown: wasmBytes() - w0 }
    },

    async queryDone(i) {
      const [name] = QUERIES[i]
      const { t0, r, t1, wasmGrown } = opened[i]
      await settleObservers()
      const lt = longTasksIn(t0, t1)
      adapter.subscribe(i, () => {
        if (current && firstFire[i] === null) {
          firstFire[i] = now()
          current.fired.push(name)
          const exp = current.expect
          if (exp.every((q) => current.fired.includes(q))) {
            current.notified = firstFire[i]
            // For --trace: where the change was seen (bench/trace.mjs).
            performance.mark('notified')
            current.onNotified()
          }
        }
      })
      return { name, ms: t1 - t0, rows: r.length, ...r.timing, longTasks: lt, wasmGrown }
    },

    /**
     * again opens query i (0..3, or 4.. for ONCE's) once more, reads its
     * result and closes it; it returns the time that took (a first result
     * with the engine warm).
     */
    async again(i) {
      const [, build] = [...QUERIES, ...ONCE][i]
      const [ms, rows] = await inTask(async () => {
        const t0 = now()
        const n = await adapter.again(build)
        return [now() - t0, n]
      })
      return { ms, rows }
    },

    /** digest fingerprints the four results (Q4 in order, the others as sets). */
    async digest() {
      const out = []
      for (let i = 0; i < QUERIES.length; i++) {
        const raw = adapter.rows(i)
        const rows = raw.map((r) => canon(r))
        const noSeq = raw.map((r) => canon(r, true))
        if (QUERIES[i][0] !== 'Q4') {
          rows.sort()
          noSeq.sort()
        }
        out.push({
          name: QUERIES[i][0],
          count: rows.length,
          sha256: await sha256(rows.join('\n')),
          sha256NoSeq: await sha256(noSeq.join('\n')),
          head: rows.slice(0, 3),
          tail: rows.slice(-2),
        })
      }
      return out
    },

    /** rowsOf returns query i's canonical rows (to show a disagreement). */
    rowsOf(i) {
      const rows = adapter.rows(i).map((r) => canon(r))
      if (QUERIES[i][0] !== 'Q4') rows.sort()
      return rows
    },

    /** idleBaseline: how long requestIdleCallback takes when nothing happens. */
    async idleBaseline(times = 20) {
      const out = []
      for (let k = 0; k < times; k++) {
        await sleep(20)
        const t = now()
        out.push((await idle()) - t)
      }
      return out
    },

    /**
     * changes appends each planned event (one POST each, from the page),
     * waits until every expected live query was notified and the page is
     * idle, then waits gapMs more (so the next long-poll is waiting again).
     */
    async changes(plan, { gapMs = 100, timeoutMs = 30000 } = {}) {
      const out = []
      for (const step of plan) {
        firstFire.fill(null)
        performance.clearResourceTimings()
        probe.sseChunks.length = 0
        probe.wsFrames.length = 0
        let onNotified
        const notified = new Promise((r) => (onNotified = r))
        const rec = { kind: step.kind, expect: step.expect, fired: [], notified: null, onNotified: () => onNotified() }
        const body = JSON.stringify([step.event])
        current = rec
        const t0 = now()
        if (live === 'websocket') {
          // Over the socket: db.stream.append, answered by the gateway's
          // ack once the upstream has it.
          await adapter.append(step.event)
        } else {
          const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
          if (!res.ok) throw new Error(`append: HTTP ${res.status}`)
        }
        const tPosted = now()
        const timedOut = await Promise.race([notified.then(() => false), sleep(timeoutMs).then(() => true)])
        if (timedOut) {
          current = null
          out.push({ kind: step.kind, timeout: true, fired: rec.fired })
          continue
        }
        const tNotified = rec.notified
        const tIdle = await idle()
        await sleep(gapMs)
        current = null
        let arrival = null
        let req = null // the long-poll that delivered the change
        if (live === 'sse') {
          for (const [t] of probe.sseChunks) if (t >= t0 && t <= tNotified) arrival = Math.max(arrival ?? t, t)
        } else if (live === 'websocket') {
          // The batch frame that carried the change (not the append's ack).
          for (const [t, , type] of probe.wsFrames) if (type === 'batch' && t >= t0 && t <= tNotified) arrival = Math.max(arrival ?? t, t)
        } else {
          for (const e of performance.getEntriesByType('resource')) {
            if (e.name.startsWith(url) && /[?&]live=/.test(e.name) && e.responseEnd >= t0 && e.responseEnd <= tNotified) {
              if (arrival === null || e.responseEnd > arrival) {
                arrival = e.responseEnd
                req = { start: e.startTime - t0, responseStart: e.responseStart - t0, responseEnd: e.responseEnd - t0 }
              }
            }
          }
        }
        const lt = longTasksIn(t0, tIdle)
        performance.clearMarks('notified')
        out.push({
          kind: step.kind,
          appendToNotified: tNotified - t0,
          arrivalToNotified: arrival === null ? null : tNotified - arrival,
          notifiedToIdle: tIdle - tNotified,
          postMs: tPosted - t0,
          appendToArrival: arrival === null ? null : arrival - t0,
          request: req,
          fired: rec.fired.slice(),
          longTaskMs: lt.total,
        })
      }
      return out
    },

    /**
     * saves (ours, persist, right after preload) measures the background
     * save: saveSnapshot() waits for the automatic save that began at
     * ready, then writes one itself (its end is the first figure); then
     * `count` more saveSnapshot() calls, one after the other, each timed.
     * Long tasks (those that began after ready) and the longest gap of a
     * 5 ms timer are taken over the whole time, from ready to the last
     * save's end. Then the OPFS files.
     */
    async saves({ count = 3 } = {}) {
      const stop = saveProbe ?? timerProbe()
      saveProbe = null
      const from = tPreloaded
      const tCall = now()
      const first = await adapter.saveSnapshot()
      const tFirst = now()
      const each = []
      const windows = [[tCall, tFirst]]
      let info = first
      for (let k = 0; k < count; k++) {
        const t0 = now()
        info = await adapter.saveSnapshot()
        each.push(now() - t0)
        windows.push([t0, now()])
      }
      const to = now()
      const timerMaxGapMs = stop()
      await settleObservers()
      return {
        readyToFirstMs: tFirst - from,
        callMs: tCall - from,
        each,
        first,
        info,
        longTasks: longTasksAfter(from, to),
        // Each call's window (ms after ready) and long tasks (the first
        // call also waits for the automatic save), and every long task
        // from ready on, as [start after ready, duration].
        perSave: windows.map(([a, b]) => ({ from: a - from, to: b - from, longTasks: longTasksAfter(a, b) })),
        tasks: probe.longTasks.filter(([s0, d]) => s0 + d > from && s0 < to).map(([s0, d]) => [s0 - from, d]),
        timerMaxGapMs,
        files: await opfsFiles(),
      }
    },

    /** close closes the database (the reload section, before the stream is appended to). */
    close() {
      adapter.close()
    },

    /**
     * armReload stores what the page starts with after the reload that
     * follows: open the database (persist for ours), preload, then Q1-Q4,
     * all from navigation start (bench.reloaded).
     */
    armReload(cfg) {
      sessionStorage.setItem(RELOAD_KEY, JSON.stringify(cfg))
    },

    /**
     * saveAndClose (ours, after a reload) writes the snapshot (after the
     * automatic one), closes the database and returns what it wrote: the
     * next reload restores it.
     */
    async saveAndClose() {
      const info = await adapter.saveSnapshot()
      adapter.close()
      return info
    },

    opfsFiles,

    /**
     * streams (the streams section, bench/README.md "Streams"): one
     * database per stream of urls, all created from one task (t0), each
     * preloading; it waits until every one is ready (or readyTimeoutMs).
     * Then, when all are, it opens Q4 (messages by ts desc, limit 50) on
     * each, and appends messages with the newest ts (inserts[i]: stream
     * i's, taken in order) with the database's own append where the
     * adapter has one (ours: db.stream.append, over the socket for live:
     * 'websocket'), else as a POST from the page; an append is seen
     * when its stream's Q4 shows it. First `rounds` bursts: one append to
     * every stream at once, waiting until all are seen (or timeoutMs),
     * then for the page to be idle and gapMs. Then one at a time: an
     * append to stream each[j], waiting until it is seen (or
     * eachTimeoutMs), then gapMs. Either phase stops at its first append
     * not seen in time (a stall: what follows would wait as long). Then
     * it waits (at most settleTimeoutMs) until every append made is in
     * its stream's Q4. It returns the times, the frames and requests seen, how many events
     * went to each stream and each stream's Q4 and collection sizes at the
     * end (the runner's checks).
     */
    async streams({ urls, live, gateway, indexed, inserts, rounds = 0, each = [], gapMs = 200, readyTimeoutMs = 60000, timeoutMs = 60000, eachTimeoutMs = 35000, settleTimeoutMs = 60000 }) {
      const abs = urls.map((u) => new URL(u, location.href).href)
      const k = abs.length
      const dbs = []
      const readyAt = new Array(k).fill(null)
      const errors = []
      performance.clearResourceTimings()
      probe.wsFrames.length = 0
      const [t0, tOpened, preloads] = await inTask(async () => {
        const t0 = now()
        const preloads = abs.map((u, i) => {
          const d = adapter.one({ url: u, live, indexed, gateway })
          dbs.push(d)
          return d.preload().then(
            () => (readyAt[i] = now()),
            (e) => errors.push(`stream ${i}: ${e?.message ?? e}`),
          )
        })
        return [t0, now(), preloads]
      })
      let readyTimer
      await Promise.race([Promise.all(preloads), new Promise((r) => (readyTimer = setTimeout(r, readyTimeoutMs)))])
      clearTimeout(readyTimer)
      const tWaited = now()
      await settleObservers()
      const ready = readyAt.filter((x) => x !== null)
      const allReady = ready.length === k
      const tAll = allReady ? Math.max(...ready) : null
      const out = {
        streams: k,
        t0,
        openMs: tOpened - t0,
        readyCount: ready.length,
        allReadyMs: allReady ? tAll - t0 : null,
        navToAllReadyMs: allReady ? tAll : null,
        readyMs: readyAt.map((x) => (x === null ? null : x - t0)),
        waitedMs: tWaited - t0,
        longTasksToReady: longTasksIn(t0, allReady ? tAll : tWaited),
        catchUp: {
          requests: performance.getEntriesByType('resource').filter((e) => abs.some((u) => e.name.startsWith(u)) && e.startTime >= t0).length,
          frames: probe.wsFrames.filter(([t]) => t >= t0 && t <= tWaited).length,
        },
        errors,
        bursts: [],
        each: [],
        appended: new Array(k).fill(0),
      }
      if (allReady && errors.length === 0) {
        // Q4 on each stream, and a watch for the message appended to it.
        const watch = new Array(k).fill(null)
        const qs = []
        for (let i = 0; i < k; i++) {
          const q = await dbs[i].query(QUERIES[3][1])
          q.subscribe(() => {
            const w = watch[i]
            if (w && q.rows().some((r) => r.id === w.id)) {
              w.rec.notified = now()
              watch[i] = null
              w.resolve()
            }
          })
          qs.push(q)
        }
        // append starts the next append to stream i; it returns its record
        // and a promise of its being seen.
        const append = (i) => {
          const ev = inserts[i][out.appended[i]++]
          const rec = { stream: i, t0: now(), answered: null, notified: null }
          const seen = new Promise((resolve) => (watch[i] = { id: ev.key, rec, resolve }))
          const p = dbs[i].append
            ? dbs[i].append(ev)
            : fetch(abs[i], { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify([ev]) }).then((res) => {
                if (!res.ok) throw new Error(`append: HTTP ${res.status}`)
              })
          p.then(
            () => (rec.answered = now()),
            (e) => (rec.error = String(e?.message ?? e)),
          )
          return [rec, seen]
        }
        const within = (p, ms) => {
          let timer
          return Promise.race([p, new Promise((res) => (timer = setTimeout(res, ms)))]).finally(() => clearTimeout(timer))
        }
        // After a phase's step: the POSTs' waits for a connection (HTTP)
        // and the batch frames (websocket) since from.
        const traffic = (from) => {
          const posts = performance
            .getEntriesByType('resource')
            .filter((e) => abs.some((u) => e.name === u) && e.initiatorType === 'fetch' && e.startTime >= from)
          return {
            postWaits: posts.map((e) => e.requestStart - e.startTime),
            batchFrames: probe.wsFrames.filter(([t, , type]) => type === 'batch' && t >= from).length,
          }
        }
        // (A notification that came after the wait ended is a timeout.)
        const record = (rec, limit) => ({
          stream: rec.stream,
          appendToNotified: rec.notified === null ? null : rec.notified - rec.t0,
          appendToAnswer: rec.answered === null ? null : rec.answered - rec.t0,
          timeout: rec.notified === null || rec.notified - rec.t0 > limit,
          ...(rec.error ? { error: rec.error } : {}),
        })
        for (let r = 0; r < rounds; r++) {
          probe.wsFrames.length = 0
          const [recs, seen] = await inTask(async () => {
            const recs = []
            const seen = []
            for (let i = 0; i < k; i++) {
              const [rec, s] = append(i)
              recs.push(rec)
              seen.push(s)
            }
            return [recs, seen]
          })
          await within(Promise.all(seen), timeoutMs)
          watch.fill(null)
          const tIdle = await idle()
          await sleep(gapMs)
          const b = { round: r, ms: tIdle - recs[0].t0, changes: recs.map((rec) => record(rec, timeoutMs)), ...traffic(recs[0].t0) }
          out.bursts.push(b)
          if (b.changes.some((c) => c.timeout)) break
        }
        for (const i of each) {
          probe.wsFrames.length = 0
          const [rec, seen] = await inTask(async () => append(i))
          await within(seen, eachTimeoutMs)
          watch[i] = null
          await idle()
          await sleep(gapMs)
          const c = { ...record(rec, eachTimeoutMs), ...traffic(rec.t0) }
          out.each.push(c)
          if (c.timeout) break
        }
        // Settle: wait (at most settleTimeoutMs) until every stream's Q4
        // shows every message appended to it, so that the end state can
        // be checked after a stall too.
        const missing = () => {
          let n = 0
          for (let i = 0; i < k; i++) {
            const ids = new Set(qs[i].rows().map((x) => x.id))
            for (let j = 0; j < out.appended[i]; j++) if (!ids.has(inserts[i][j].key)) n++
          }
          return n
        }
        const tSettle = now()
        out.missingBeforeSettle = missing()
        while (missing() > 0 && now() - tSettle < settleTimeoutMs) await sleep(100)
        out.missingAfterSettle = missing()
        out.settleMs = now() - tSettle
        // What each stream holds at the end.
        out.final = []
        for (let i = 0; i < k; i++) {
          const rows = qs[i].rows()
          out.final.push({
            q4Ids: rows.map((x) => x.id),
            q4: await sha256(rows.map((x) => canon(x)).join('\n')),
            q4NoSeq: await sha256(rows.map((x) => canon(x, true)).join('\n')),
            ...dbs[i].sizes(),
          })
        }
      }
      out.sockets = probe.sockets.slice()
      for (const d of dbs) {
        try {
          d.close()
        } catch {}
      }
      return out
    },

    /** loadOpen opens the load row's 20 queries (after preload) and starts watching. */
    async loadOpen({ txid }) {
      load = await inTask(() => openLoad(loadEngine, { txid }))
      return { openMs: load.openMs, sizes: load.sizes }
    },
    /** loadFinish waits until the load is in (load.js finish). */
    loadFinish: (args) => load.finish(args),
    /** loadDigest fingerprints the 20 live results. */
    loadDigest: () => digests(load.results()),
    /** loadFresh opens the 20 queries (on a db that has read the final stream) and fingerprints them. */
    async loadFresh() {
      const t0 = now()
      const results = await inTask(() => loadResults(loadEngine))
      return { openMs: now() - t0, digests: await digests(results) }
    },
  }
  // After a reload armed by armReload: start at once (from a timer task
  // of the page, so that long tasks count), and say how it went in
  // bench.reloaded (times from navigation start, performance.now()).
  const armed = sessionStorage.getItem(RELOAD_KEY)
  if (armed) {
    sessionStorage.removeItem(RELOAD_KEY)
    window.bench.reloaded = reload(JSON.parse(armed))
  }
  document.documentElement.dataset.ready = '1'

  async function reload(cfg) {
    const tModule = now()
    url = new URL(cfg.url, location.href).href
    live = cfg.live
    let restore = null
    const out = await inTask(async () => {
      const tOpen = now()
      adapter.open({
        url,
        live: cfg.live,
        indexed: cfg.indexed,
        persist: cfg.persist,
        onProgress: (p) => {
          // Every collection is readable from here on.
          if (p.phase === 'restore' && !restore) restore = { at: now(), restored: p.restored, snapshotBytes: p.snapshotBytes, status: adapter.status?.(), info: adapter.info() }
        },
      })
      await adapter.preload()
      const tReady = now()
      const queries = []
      for (let i = 0; i < QUERIES.length; i++) {
        // Each query from a task of its own, as bench.query's.
        await sleep(0)
        const t0 = now()
        const r = await adapter.query(i, QUERIES[i][1])
        queries.push({ name: QUERIES[i][0], ms: now() - t0, rows: r.length })
        // A subscriber keeps the query alive, as bench.query's do (TanStack
        // DB cleans up a live query collection nobody subscribes to after
        // its gcTime, and its rows with it).
        adapter.subscribe(i, () => {})
      }
      return { tOpen, tReady, tQueries: now(), queries }
    })
    await settleObservers()
    const { tOpen, tReady, tQueries } = out
    return {
      moduleReadyMs: tModule,
      openMs: tOpen,
      restore,
      readyMs: tReady,
      queriesMs: tQueries,
      queries: out.queries,
      status: adapter.status?.(),
      reads: catchUpReads(url, tOpen, tReady),
      longTasksCatchUp: longTasksIn(tOpen, tReady),
      longTasksQueries: longTasksAfter(tReady, tQueries),
      longTasksAll: longTasksIn(0, tQueries),
      info: adapter.info(),
    }
  }
}
