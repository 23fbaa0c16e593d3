// The cost of fn.where against where in the npm package, in Node: the
// first result of the active users over n users (default 100,000), and one
// insert after it, each query opened alone.
//   node bench/fn-where.mjs [n]
import { createStateSchema, createStreamDB, liveQuery, eq } from '@streamdb/streamdb'
import { startServer, createStream, appendEvents, until } from '../test/node/server.mjs'

const n = Number(process.argv[2] ?? 100_000)
const srv = await startServer({ longPollMs: 1000 })
const schema = createStateSchema({ users: { type: 'user', primaryKey: 'id' } })
const url = await createStream(srv.url)
const rows = Array.from({ length: n }, (_, i) => ({ id: `u${i}`, name: `user ${i}`, team: i % 100, active: i % 2 === 0 }))
for (let i = 0; i < n; i += 10_000) await appendEvents(url, ...rows.slice(i, i + 10_000).map((value) => schema.users.insert({ value })))
const db = createStreamDB({ streamOptions: { url, contentType: 'application/json' }, state: schema })
await db.preload()
const { users } = db.collections
const variants = {
  where: (q) => q.from({ u: users }).where(({ u }) => eq(u.active, true)),
  'fn.where': (q) => q.from({ u: users }).fn.where((row) => row.u.active === true),
  'fn.select': (q) => q.from({ u: users }).fn.select((row) => ({ id: row.u.id, team: row.u.team })),
  select: (q) => q.from({ u: users }).select(({ u }) => ({ id: u.id, team: u.team })),
}
const times = {}
for (let round = 0; round < 4; round++) {
  for (const [name, build] of Object.entries(variants)) {
    const t0 = performance.now()
    const lq = liveQuery(build)
    const ms = performance.now() - t0
    if (round > 0) (times[name] ??= []).push(ms) // round 0 warms up
    lq.dispose()
  }
}
for (const [name, ms] of Object.entries(times)) {
  ms.sort((a, b) => a - b)
  console.log(`${name.padEnd(10)} first result over ${n} users: median ${ms[1].toFixed(0)} ms (${ms.map((x) => x.toFixed(0)).join(', ')})`)
}
db.close()
await srv.stop()
