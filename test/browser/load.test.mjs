// 20 live queries while events stream in at full speed (issue 15, item 6).
// A page opens a StreamDB on a stream of the reference server, preloads its
// first 2,000 events and opens 20 live queries of varied shapes (filters,
// joins, group by, orderBy + limit on numbers and strings, distinct; the
// benchmark's, bench/pages/load.js); then Node appends LOAD_N more events
// (inserts, updates and deletes of users and messages, bench/data.mjs
// makeLoad) in POSTs of 1,000, each sent when the previous one is answered.
//
// What a user sees is asserted: once the last event is in, every query's
// result equals the result of the same query in a fresh page that reads the
// final stream from scratch, and the sizes Node computes from the events
// (some results exactly). The figures (time from the last append's answer
// to the page having caught up, longest main-thread task, longest stall of
// a 50 ms timer, wasm memory) are printed, and only gross regressions fail:
// caught up within 60 s of the last append, no task over 2 s. Speed is measured by `make bench` (its --load option
// runs this load, with the reference stack beside ours).
//
// LOAD_N is 100,000 unless STREAMDB_LOAD_N says otherwise.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { setup, run } from './harness.mjs'
import { makeLoad, LOAD_TXID } from '../../bench/data.mjs'

const LOAD_N = Number(process.env.STREAMDB_LOAD_N ?? 100000)

let ctx
const pages = []

before(async () => {
  ctx = await setup(import.meta.url)
})
after(async () => {
  await ctx?.teardown()
  for (const p of pages) assert.deepEqual(p.errors, [], 'the page logged no errors')
})

const epoch = () => performance.timeOrigin + performance.now()

async function post(url, body) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
  if (!res.ok) throw new Error(`append ${url}: ${res.status} ${await res.text()}`)
  await res.arrayBuffer()
}

/** expectations computes, from the final state, each query's size and a few results exactly. */
function expectations({ users, messages }) {
  const U = [...users.values()]
  const M = [...messages.values()]
  const distinct = (xs) => new Set(xs).size
  const few = new Set(Array.from({ length: 20 }, (_, i) => `u${i}`))
  const byName = (a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
  const sizes = [
    U.filter((u) => u.active === true).length,
    U.filter((u) => u.team < 10).length,
    M.filter((m) => m.likes >= 95).length,
    M.filter((m) => few.has(m.userId)).length,
    M.filter((m) => m.text.startsWith('alpha') && m.likes > 50).length,
    M.filter((m) => users.has(m.userId)).length,
    M.filter((m) => users.get(m.userId)?.team === 7).length,
    distinct(M.map((m) => m.userId)),
    distinct(M.map((m) => m.userId)),
    distinct(U.map((u) => u.team)),
    distinct(M.map((m) => m.likes)),
    Math.min(50, M.length),
    Math.min(10, M.length),
    Math.min(20, M.length),
    Math.min(20, U.length),
    Math.min(5, M.filter((m) => m.userId === 'u7').length),
    U.filter((u) => u.team === 42).length,
    M.filter((m) => m.likes >= 10 && m.likes < 12).length,
    distinct(M.map((m) => m.userId)),
    Math.min(100, U.filter((u) => u.active === false || u.team > 90).length),
  ]
  // L8: messages per user; L12: the 50 newest; L13: the 10 most liked,
  // newest first; L15: the last 20 names (lower-case letters, digits and
  // spaces, all distinct, where the locale order is code-point order).
  const perUser = new Map()
  for (const m of M) perUser.set(m.userId, (perUser.get(m.userId) ?? 0) + 1)
  const exact = {
    7: [...perUser].map(([userId, n]) => ({ userId, n })),
    11: M.toSorted((a, b) => b.ts - a.ts).slice(0, 50).map((m) => m.id),
    12: M.toSorted((a, b) => b.likes - a.likes || b.ts - a.ts).slice(0, 10).map((m) => m.id),
  }
  return { sizes, exact, usersByName: U.toSorted(byName) }
}

test(`20 live queries stay right while ${LOAD_N} events stream in`, { timeout: 300000 }, async () => {
  const data = makeLoad(LOAD_N)
  const stream = await ctx.stream()
  for (const body of data.initial) await post(stream, body)

  const page = await ctx.open('load')
  pages.push(page)
  const opened = await run(page, 'open', { stream, txid: LOAD_TXID })
  assert.equal(opened.sizes.length, 20)
  assert.ok(opened.sizes[5] === 1000, `the join's first result has the 1,000 first messages (${opened.sizes[5]})`)

  const startAt = epoch()
  for (const body of data.bodies) await post(stream, body)
  const ackAt = epoch()
  const f = await run(page, 'finish', { startAt, ackAt, timeoutMs: 120000 })
  const live = await run(page, 'results')

  const fresh = await ctx.open('load', {}, { context: await ctx.browser.newContext() })
  pages.push(fresh)
  const scratch = await run(fresh, 'fresh', { stream })

  const MiB = (b) => `${(b / 2 ** 20).toFixed(1)} MiB`
  console.log(
    [
      `load of ${LOAD_N} events, 20 live queries, long-poll, in Chromium:`,
      `  appended in ${Math.round(f.appendMs)} ms (${data.bodies.length} POSTs)`,
      `  caught up ${Math.round(f.caughtUpAfterAckMs)} ms after the last append's answer (its txid seen after ${Math.round(f.txidSeenAfterAckMs)} ms)`,
      `  longest main-thread task during the load ${Math.round(f.longTasks.max)} ms (${f.longTasks.count} long tasks, ${Math.round(f.longTasks.total)} ms in all; start+duration after the first append: ${f.longTasks.list.map(([s, d]) => `${s}+${d}`).join(' ')})`,
      `  ${f.liveAnswers.count} long-poll answers during the load`,
      `  longest gap of a 50 ms interval timer ${Math.round(f.timerMaxGapMs)} ms`,
      `  wasm memory ${MiB(f.wasmBefore)} before, ${MiB(f.wasmAfter)} after; a fresh page that read the final stream and opened the queries: ${MiB(scratch.wasm)} (${(f.wasmAfter / scratch.wasm).toFixed(2)}×)`,
      `  changes seen per query: ${f.changes.join(' ')}`,
    ].join('\n'),
  )

  // Every query equals its result computed from scratch.
  const want = expectations(data)
  for (let i = 0; i < 20; i++) {
    assert.equal(live[i].name, scratch.results[i].name)
    assert.deepEqual(live[i].rows, scratch.results[i].rows, `${live[i].name}: the live result equals a fresh db's`)
    assert.equal(live[i].rows.length, want.sizes[i], `${live[i].name}: ${want.sizes[i]} rows`)
    assert.ok(f.changes[i] > 0, `${live[i].name} changed during the load`)
  }
  const parsed = (i) => live[i].rows.map((r) => JSON.parse(r))
  assert.deepEqual(parsed(7).toSorted((a, b) => (a.userId < b.userId ? -1 : 1)), want.exact[7].toSorted((a, b) => (a.userId < b.userId ? -1 : 1)), 'L8: messages per user')
  assert.deepEqual(parsed(11).map((r) => r.id), want.exact[11], 'L12: the 50 newest messages')
  assert.deepEqual(parsed(12).map((r) => r.id), want.exact[12], 'L13: the 10 most liked messages')
  assert.deepEqual(parsed(14).map((r) => r.id), want.usersByName.slice(-20).reverse().map((u) => u.id), 'L15: the last 20 users by name')

  // Gross regressions only (the figures are make bench's; the issue's
  // target is no task over 100 ms). A live answer is applied in slices of
  // taskBudgetMs, its commit's cost estimated from the ones before; before
  // each slice's end its changes are committed. 2 s catches a return to one
  // task per answer (6-9 s at 100k before).
  assert.ok(f.caughtUpAfterAckMs < 60000, `caught up ${Math.round(f.caughtUpAfterAckMs)} ms after the last append (bound 60 s)`)
  assert.ok(f.longTasks.max < 2000, `the longest task during the load took ${Math.round(f.longTasks.max)} ms (bound 2 s)`)
})
