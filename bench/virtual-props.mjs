// The cost of the virtualProps option in the npm package, in Node: over n
// users of 4 fields (default 100,000), collection.toArray, a live query's
// first result (all rows) and the JSON of the rows, with the option off
// and on; medians of 5 after a warm-up.
//   node bench/virtual-props.mjs [n]
import { createStateSchema, createStreamDB, liveQuery } from '@streamdb/streamdb'
import { startServer, createStream, appendEvents } from '../test/node/server.mjs'

const n = Number(process.argv[2] ?? 100_000)
const srv = await startServer({ longPollMs: 1000 })
const schema = createStateSchema({ users: { type: 'user', primaryKey: 'id' } })
const url = await createStream(srv.url)
const rows = Array.from({ length: n }, (_, i) => ({ id: `u${i}`, name: `user ${i}`, team: i % 100, active: i % 2 === 0 }))
for (let i = 0; i < n; i += 10_000) await appendEvents(url, ...rows.slice(i, i + 10_000).map((value) => schema.users.insert({ value })))
const median = (ms) => ms.sort((a, b) => a - b)[ms.length >> 1]
for (const virtualProps of [false, true]) {
  const db = createStreamDB({ streamOptions: { url, contentType: 'application/json' }, state: schema, virtualProps })
  await db.preload()
  const { users } = db.collections
  const t = { toArray: [], first: [] }
  let bytes = 0
  for (let round = 0; round < 6; round++) {
    let t0 = performance.now()
    const all = users.toArray
    const a = performance.now() - t0
    bytes = JSON.stringify(all).length
    t0 = performance.now()
    const lq = liveQuery((q) => q.from({ u: users }))
    const f = performance.now() - t0
    lq.dispose()
    if (round > 0) { t.toArray.push(a); t.first.push(f) } // round 0 warms up
  }
  console.log(`virtualProps ${String(virtualProps).padEnd(5)}: ${n} rows, toArray median ${median(t.toArray).toFixed(0)} ms, first result median ${median(t.first).toFixed(0)} ms, JSON of the rows ${(bytes / 1e6).toFixed(1)} MB`)
  db.close()
}
await srv.stop()
