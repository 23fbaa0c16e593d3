// A long session of the npm package in Node against the reference server,
// watching memory round by round: what a page that stays open for hours
// would pay. Two kinds:
//
//   node --expose-gc bench/soak.mjs [--kind=edits] [--rounds=20]
//     one db (2k users, 20k messages) with five live queries (a join, a
//     group-by with count and max, top 20 by ts, top 20 by text in locale
//     order, distinct userId), then rounds of 20k message edits (new text,
//     ts and userId) and ten user renames, appended through the server;
//   node --expose-gc bench/soak.mjs --kind=reopen [--rounds=12]
//     rounds of ten dbs on a stream of 22k rows, each preloaded and closed.
//
// --live=sse follows the stream over SSE instead of long-poll.
//
// Each round prints the module's wasm memory (which never shrinks: the
// most the Go heap ever needed), the process's rss and the JS heap, after
// the collectors ran; the last line says how much the wasm memory grew
// over the second half of the rounds (a bounded session: about none).
import { startServer, createStream, appendEvents } from '../test/node/server.mjs'

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=')))
const kind = args.kind ?? 'edits'
const rounds = Number(args.rounds ?? (kind === 'edits' ? 20 : 12))
const live = args.live ?? 'long-poll'
if (!['edits', 'reopen'].includes(kind) || !(rounds > 1) || !['long-poll', 'sse'].includes(live)) {
  console.error('usage: node --expose-gc bench/soak.mjs [--kind=edits|reopen] [--rounds=N] [--live=long-poll|sse]')
  process.exit(2)
}
if (typeof globalThis.gc !== 'function') {
  console.error('soak: run node with --expose-gc (the figures are taken after the collectors ran)')
  process.exit(2)
}

// The module's memories, as the bench pages find them: every instance made.
const memories = []
const keep = (inst) => {
  for (const v of Object.values(inst?.exports ?? {})) if (v instanceof WebAssembly.Memory) memories.push(v)
}
const instantiate = WebAssembly.instantiate
WebAssembly.instantiate = async (...a) => {
  const r = await instantiate(...a)
  keep(r.instance ?? r)
  return r
}
WebAssembly.Instance = new Proxy(WebAssembly.Instance, {
  construct(target, a, newTarget) {
    const inst = Reflect.construct(target, a, newTarget)
    keep(inst)
    return inst
  },
})
const { createStateSchema, createStreamDB, liveQuery, eq, count, max } = await import('@streamdb/streamdb')

const schema = createStateSchema({
  users: { type: 'user', primaryKey: 'id' },
  messages: { type: 'message', primaryKey: 'id' },
})
const MiB = 2 ** 20
async function settle() {
  for (let i = 0; i < 10; i++) {
    globalThis.gc()
    await new Promise((r) => setTimeout(r, 30))
  }
}
const wasm = () => memories.reduce((n, m) => n + m.buffer.byteLength, 0) / MiB
async function figures() {
  await settle()
  const m = process.memoryUsage()
  return { wasm: wasm(), rss: m.rss / MiB, heap: m.heapUsed / MiB }
}
const fmt = (f) => `wasm ${f.wasm.toFixed(0)} MiB, rss ${f.rss.toFixed(0)} MiB, JS heap ${f.heap.toFixed(0)} MiB`

const srv = await startServer({ longPollMs: 500 })
const url = await createStream(srv.url)
const events = []
for (let i = 0; i < 2000; i++) events.push(schema.users.insert({ value: { id: `u${i}`, name: `user ${i}`, team: i % 50 } }))
for (let i = 0; i < 20000; i++) events.push(schema.messages.insert({ value: { id: `m${i}`, userId: `u${(i * 7) % 2000}`, text: `hello ${i}`, ts: i } }))
for (let i = 0; i < events.length; i += 5000) await appendEvents(url, ...events.slice(i, i + 5000))

const seen = []
if (kind === 'edits') {
  const db = createStreamDB({ streamOptions: { url }, state: schema, live })
  await db.preload()
  const c = db.collections
  const queries = [
    liveQuery((q) => q.from({ m: c.messages }).join({ u: c.users }, ({ m, u }) => eq(m.userId, u.id)).select(({ m, u }) => ({ text: m.text, name: u.name }))),
    liveQuery((q) => q.from({ m: c.messages }).groupBy(({ m }) => m.userId).select(({ m }) => ({ userId: m.userId, n: count(m.id), last: max(m.ts) }))),
    liveQuery((q) => q.from({ m: c.messages }).orderBy(({ m }) => m.ts, 'desc').limit(20)),
    liveQuery((q) => q.from({ m: c.messages }).orderBy(({ m }) => m.text).limit(20)),
    liveQuery((q) => q.from({ m: c.messages }).select(({ m }) => ({ userId: m.userId })).distinct()),
  ]
  for (const q of queries) q.subscribe(() => {})
  console.log(`start: ${fmt(await figures())}`)
  let ts = 100_000
  for (let round = 0; round < rounds; round++) {
    for (let b = 0; b < 10; b++) {
      const batch = []
      for (let i = 0; i < 2000; i++, ts++) {
        const k = (round * 20000 + b * 2000 + i) % 20000
        batch.push(schema.messages.update({ value: { id: `m${k}`, userId: `u${(k * 13 + round) % 2000}`, text: `edit ${round} ${k}`, ts } }))
      }
      batch.push(schema.users.update({ value: { id: `u${round * 10 + b}`, name: `renamed ${round}`, team: b } }))
      await appendEvents(url, ...batch)
    }
    const last = ts - 1
    for (const deadline = Date.now() + 60_000; queries[2].data[0]?.ts !== last; ) {
      if (Date.now() > deadline) throw new Error(`round ${round}: the last edit did not arrive within 60 s`)
      await new Promise((r) => setTimeout(r, 20))
    }
    const f = await figures()
    seen.push(f)
    console.log(`round ${round + 1} (${(round + 1) * 20}k edits): ${fmt(f)}`)
  }
  db.close()
} else {
  console.log(`start: ${fmt(await figures())}`)
  const one = async () => {
    const db = createStreamDB({ streamOptions: { url }, state: schema, live })
    await db.preload()
    db.close()
  }
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < 10; i++) await one()
    const f = await figures()
    seen.push(f)
    console.log(`round ${round + 1} (${(round + 1) * 10} dbs opened and closed): ${fmt(f)}`)
  }
}
const half = seen[Math.floor(seen.length / 2) - 1]
const end = seen[seen.length - 1]
console.log(`wasm memory over the second half of the rounds: ${half.wasm.toFixed(0)} → ${end.wasm.toFixed(0)} MiB; rss ${half.rss.toFixed(0)} → ${end.rss.toFixed(0)} MiB`)
await srv.stop()
process.exit(0)
