// The load row's page side (bench/README.md, "Load"), shared by the bench
// pages (both engines) and test/browser/pages/load.js: 20 live queries of
// varied shapes stay open while the runner appends events as fast as the
// server takes them; the page records when each query last changed, when
// the load's last event (its txid) became visible, the long tasks (from
// instrument.js, which the page imports first) and the gaps of a 50 ms
// interval timer.
//
// An engine is given as { open(build) → Promise<handle>, awaitTxId(txid) →
// Promise, fns }, where a handle is { rows() → array, subscribe(fn) } and
// build(q, fns) is the query.
import { probe, wasmBytes } from './instrument.js'

const now = () => performance.now()
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

/**
 * The 20 queries: [name, build(q, c, f), ordered]. c holds the collections
 * users {id, name, active, team} and messages {id, userId, text, ts,
 * likes}; f the builder's functions. ordered: the result's order is part of
 * it (an orderBy); the others are compared as sets.
 */
export const LOAD_QUERIES = [
  ['L1 users where active', (q, c, f) => q.from({ u: c.users }).where(({ u }) => f.eq(u.active, true)), false],
  ['L2 users where team < 10', (q, c, f) => q.from({ u: c.users }).where(({ u }) => f.lt(u.team, 10)), false],
  ['L3 messages where likes >= 95', (q, c, f) => q.from({ m: c.messages }).where(({ m }) => f.gte(m.likes, 95)), false],
  [
    'L4 messages where userId in 20 users',
    (q, c, f) => q.from({ m: c.messages }).where(({ m }) => f.inArray(m.userId, Array.from({ length: 20 }, (_, i) => `u${i}`))),
    false,
  ],
  [
    'L5 messages where text like alpha% and likes > 50',
    (q, c, f) => q.from({ m: c.messages }).where(({ m }) => f.and(f.like(m.text, 'alpha%'), f.gt(m.likes, 50))),
    false,
  ],
  [
    'L6 messages join users',
    (q, c, f) =>
      q
        .from({ m: c.messages })
        .innerJoin({ u: c.users }, ({ m, u }) => f.eq(m.userId, u.id))
        .select(({ m, u }) => ({ id: m.id, text: m.text, userName: u.name })),
    false,
  ],
  [
    'L7 messages join users where team = 7',
    (q, c, f) =>
      q
        .from({ m: c.messages })
        .innerJoin({ u: c.users }, ({ m, u }) => f.eq(m.userId, u.id))
        .where(({ u }) => f.eq(u.team, 7))
        .select(({ m, u }) => ({ id: m.id, userName: u.name, likes: m.likes })),
    false,
  ],
  [
    'L8 messages group by userId, count',
    (q, c, f) =>
      q
        .from({ m: c.messages })
        .groupBy(({ m }) => m.userId)
        .select(({ m }) => ({ userId: m.userId, n: f.count(m.id) })),
    false,
  ],
  [
    'L9 messages group by userId, sum and max',
    (q, c, f) =>
      q
        .from({ m: c.messages })
        .groupBy(({ m }) => m.userId)
        .select(({ m }) => ({ userId: m.userId, likes: f.sum(m.likes), last: f.max(m.ts) })),
    false,
  ],
  [
    'L10 users group by team, count',
    (q, c, f) =>
      q
        .from({ u: c.users })
        .groupBy(({ u }) => u.team)
        .select(({ u }) => ({ team: u.team, n: f.count(u.id) })),
    false,
  ],
  [
    'L11 messages group by likes, count and min',
    (q, c, f) =>
      q
        .from({ m: c.messages })
        .groupBy(({ m }) => m.likes)
        .select(({ m }) => ({ likes: m.likes, n: f.count(m.id), first: f.min(m.ts) })),
    false,
  ],
  ['L12 messages order by ts desc limit 50', (q, c) => q.from({ m: c.messages }).orderBy(({ m }) => m.ts, 'desc').limit(50), true],
  [
    'L13 messages order by likes desc, ts desc limit 10',
    (q, c) =>
      q
        .from({ m: c.messages })
        .orderBy(({ m }) => m.likes, 'desc')
        .orderBy(({ m }) => m.ts, 'desc')
        .limit(10),
    true,
  ],
  ['L14 messages order by text limit 20', (q, c) => q.from({ m: c.messages }).orderBy(({ m }) => m.text).limit(20), true],
  ['L15 users order by name desc limit 20', (q, c) => q.from({ u: c.users }).orderBy(({ u }) => u.name, 'desc').limit(20), true],
  [
    'L16 messages of u7 order by ts desc limit 5',
    (q, c, f) =>
      q
        .from({ m: c.messages })
        .where(({ m }) => f.eq(m.userId, 'u7'))
        .orderBy(({ m }) => m.ts, 'desc')
        .limit(5),
    true,
  ],
  [
    'L17 users where team = 42 select upper(name)',
    (q, c, f) =>
      q
        .from({ u: c.users })
        .where(({ u }) => f.eq(u.team, 42))
        .select(({ u }) => ({ id: u.id, label: f.concat(f.upper(u.name), '!') })),
    false,
  ],
  [
    'L18 messages where 10 <= likes < 12 select id, likes',
    (q, c, f) =>
      q
        .from({ m: c.messages })
        .where(({ m }) => f.and(f.gte(m.likes, 10), f.lt(m.likes, 12)))
        .select(({ m }) => ({ id: m.id, likes: m.likes })),
    false,
  ],
  [
    'L19 messages select distinct userId',
    (q, c) =>
      q
        .from({ m: c.messages })
        .select(({ m }) => ({ userId: m.userId }))
        .distinct(),
    false,
  ],
  [
    'L20 users inactive or team > 90 order by name limit 100',
    (q, c, f) =>
      q
        .from({ u: c.users })
        .where(({ u }) => f.or(f.eq(u.active, false), f.gt(u.team, 90)))
        .orderBy(({ u }) => u.name)
        .limit(100),
    true,
  ],
]

/**
 * canonical returns a result as comparable strings: each row with its keys
 * sorted and without TanStack's virtual `$` fields and the `_seq` numbers
 * (the engines number rows differently), sorted unless the order is part
 * of the result.
 */
export function canonical(rows, ordered) {
  const canon = (v, top) => {
    if (Array.isArray(v)) return `[${v.map((x) => canon(x)).join(',')}]`
    if (v && typeof v === 'object') {
      const keys = Object.keys(v).filter((k) => !k.startsWith('$') && !(top && k === '_seq')).sort()
      return `{${keys.map((k) => `${JSON.stringify(k)}:${canon(v[k])}`).join(',')}}`
    }
    return v === undefined ? 'undefined' : JSON.stringify(v)
  }
  const out = rows.map((r) => canon(r, true))
  return ordered ? out : out.sort()
}

/** results opens the 20 queries and returns their canonical results (a fresh db's, to compare with). */
export async function loadResults(engine) {
  const out = []
  for (const [name, build, ordered] of LOAD_QUERIES) {
    const h = await engine.open(build)
    out.push({ name, rows: canonical(h.rows(), ordered) })
  }
  return out
}

/**
 * openLoad opens the 20 queries on a preloaded engine, subscribes to them
 * and starts watching: what it returns has the first results' figures and
 * finish().
 */
export async function openLoad(engine, { txid }) {
  const t0 = now()
  const handles = []
  for (const [, build] of LOAD_QUERIES) handles.push(await engine.open(build))
  const openMs = now() - t0
  const last = handles.map(() => null) // when each query last changed
  const changes = handles.map(() => 0)
  handles.forEach((h, i) =>
    h.subscribe(() => {
      last[i] = now()
      changes[i]++
    }),
  )
  let seen = null
  const txidSeen = engine.awaitTxId(txid).then(() => (seen = now()))
  // A 50 ms interval timer: a long gap between its ticks is a page that
  // could not run its timers.
  const ticks = []
  const timer = setInterval(() => ticks.push(now()), 50)
  const wasmBefore = wasmBytes()
  return {
    openMs,
    wasmBefore,
    sizes: handles.map((h) => h.rows().length),
    /**
     * finish waits until the load's last event is visible and then quietMs
     * with no change of any query; startAt and ackAt are the epoch times
     * (ms) of the first append's start and of the last append's answer.
     * The caught-up time is the later of the txid being seen and the last
     * change of any query.
     */
    async finish({ startAt, ackAt, quietMs = 1000, timeoutMs = 600000 }) {
      const toPage = (epoch) => epoch - performance.timeOrigin
      const ack = toPage(ackAt)
      const start = toPage(startAt)
      const timedOut = await Promise.race([txidSeen.then(() => false), sleep(timeoutMs).then(() => true)])
      if (timedOut) throw new Error(`the load's last event (txid ${txid}) was not seen within ${timeoutMs} ms; queries changed ${changes.join(' ')} times`)
      for (;;) {
        const lastChange = Math.max(seen, ...last.filter((t) => t !== null))
        const wait = lastChange + quietMs - now()
        if (wait <= 0) break
        await sleep(wait)
      }
      // Long-task entries arrive in a later task.
      await sleep(100)
      clearInterval(timer)
      const caught = Math.max(seen, ...last.filter((t) => t !== null))
      // (A task that began before the first append is not the load's.)
      const inLoad = probe.longTasks.filter(([s]) => s >= start && s < caught)
      // The live reads that ended during the load (long-poll answers; an
      // SSE response stays open and is not among them). Their sizes are 0
      // across origins (no Timing-Allow-Origin): the bench's proxy makes
      // them same-origin.
      const reads = performance.getEntriesByType('resource').filter((e) => /[?&]live=/.test(e.name) && e.responseEnd > start && e.responseEnd <= caught)
      let maxGap = 0
      for (let i = 1; i < ticks.length; i++) if (ticks[i] > start && ticks[i - 1] < caught) maxGap = Math.max(maxGap, ticks[i] - ticks[i - 1])
      return {
        appendMs: ack - start,
        caughtUpAfterAckMs: caught - ack,
        txidSeenAfterAckMs: seen - ack,
        lastChangeAfterAckMs: handles.map((_, i) => (last[i] === null ? null : last[i] - ack)),
        changes,
        longTasks: {
          count: inLoad.length,
          total: inLoad.reduce((s, [, d]) => s + d, 0),
          max: Math.max(0, ...inLoad.map(([, d]) => d)),
          // [start after the first append, duration], ms
          list: inLoad.map(([s, d]) => [Math.round(s - start), Math.round(d)]),
        },
        liveAnswers: {
          count: reads.length,
          maxBytes: Math.max(0, ...reads.map((e) => e.decodedBodySize)),
          // [request sent, first byte, last byte] after the first append, ms, and bytes
          list: reads.map((e) => [e.startTime - start, e.responseStart - start, e.responseEnd - start].map(Math.round).concat(e.decodedBodySize)),
        },
        timerMaxGapMs: maxGap,
        wasmBefore,
        wasmAfter: wasmBytes(),
        jsHeapAfter: performance.memory?.usedJSHeapSize ?? null,
      }
    },
    /** results returns the 20 canonical results as they are now. */
    results: () => LOAD_QUERIES.map(([name, , ordered], i) => ({ name, rows: canonical(handles[i].rows(), ordered) })),
  }
}
