// The page side of the benchmark, shared by both engines. An engine page
// gives an adapter:
//   open({url, live, indexed})  create the database (reads nothing yet)
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
  let current = null // the change being measured
  let load = null // the load row's watch (load.js)
  const loadEngine = { open: (build) => adapter.openQuery(build), awaitTxId: (txid) => adapter.awaitTxId(txid) }
  const digests = async (results) => Promise.all(results.map(async ({ name, rows }) => ({ name, count: rows.length, sha256: await sha256(rows.join('\n')), head: rows.slice(0, 2) })))
  const firstFire = [null, null, null, null]
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
      performance.clearResourceTimings()
      const [t0, tOpen, tReady] = await inTask(async () => {
        const t0 = now()
        adapter.open({ url, live: opts.live, indexed: opts.indexed, warmUp: opts.warmUp, persist: opts.persist })
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
      const firstByte = Math.min(...reads.map((e) => e.responseStart))
      const lastByte = Math.max(...reads.map((e) => e.responseEnd))
      const lt = longTasksIn(t0, tReady)
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
      const [name, build] = QUERIES[i]
      const [t0, r, t1] = await inTask(async () => {
        const t0 = now()
        const r = await adapter.query(i, build)
        return [t0, r, now()]
      })
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
      return { name, ms: t1 - t0, rows: r.length, ...r.timing, longTasks: lt }
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
        let onNotified
        const notified = new Promise((r) => (onNotified = r))
        const rec = { kind: step.kind, expect: step.expect, fired: [], notified: null, onNotified: () => onNotified() }
        const body = JSON.stringify([step.event])
        current = rec
        const t0 = now()
        const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
        const tPosted = now()
        if (!res.ok) throw new Error(`append: HTTP ${res.status}`)
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
