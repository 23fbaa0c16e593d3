// A closed StreamDB is let go of, with its rows in the module: a page that
// opens and closes databases (a room per view, say) does not grow for
// good. The module releases a closed db's rows once the StreamDB object is
// collected (dbRelease, from a FinalizationRegistry); a JS function handed
// to the Go module can outlive its use there (Go lets go of a JS value only
// through a finalizer of its collector, which need not run), so none of
// them may keep the db, a live query, a transaction or user code alive.
// Before this test, every db opened and closed stayed: 3.3 MB each for the
// 22k rows of the soak in its commit's note.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import v8 from 'node:v8'
import vm from 'node:vm'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createStateSchema, createStreamDB, liveQuery, count, eq } from '@streamdb/streamdb'
import { z } from 'zod'
import { startServer, createStream, appendEvents } from './server.mjs'

v8.setFlagsFromString('--expose-gc')
const gc = vm.runInNewContext('gc')

let srv, url, dir
before(async () => {
  srv = await startServer({ longPollMs: 500 })
  url = await createStream(srv.url)
  const events = []
  for (let i = 0; i < 2000; i++) events.push(schema.users.insert({ value: { id: `u${i}`, name: `user ${i}`, team: i % 7 } }))
  for (let i = 0; i < 20000; i++) events.push(schema.messages.insert({ value: { id: `m${i}`, userId: `u${(i * 7) % 2000}`, text: `hello ${i}` } }))
  for (let i = 0; i < events.length; i += 5000) await appendEvents(url, ...events.slice(i, i + 5000))
  dir = mkdtempSync(join(tmpdir(), 'streamdb-release-'))
})
after(async () => {
  await srv?.stop()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

const schema = createStateSchema({
  users: { schema: z.object({ id: z.string(), name: z.string(), team: z.number() }), type: 'user', primaryKey: 'id' },
  messages: { schema: z.object({ id: z.string(), userId: z.string(), text: z.string() }), type: 'message', primaryKey: 'id' },
})

// settle runs the collectors until the finalizers they queue have run.
async function settle() {
  for (let i = 0; i < 20; i++) {
    gc()
    await new Promise((r) => setTimeout(r, 25))
  }
}

let made = 0
// useAndClose opens a db, uses it the way kind says, closes it and returns
// a WeakRef to it. A function of its own: a suspended caller's frame
// would hold the db.
async function useAndClose(kind) {
  const db = createStreamDB({
    streamOptions: { url, headers: { 'x-client': () => 'test' } },
    state: schema,
    onProgress: () => {},
    onEvent: () => {},
    persist: kind === 'persist' ? { path: join(dir, `snap-${++made}`) } : undefined,
    actions: ({ db, stream }) => ({
      addUser: {
        onMutate: (u) => db.collections.users.insert(u),
        mutationFn: async (u) => {
          const txid = crypto.randomUUID()
          await stream.append(schema.users.insert({ value: u, headers: { txid } }))
          await db.utils.awaitTxId(txid)
        },
      },
    }),
  })
  await db.preload()
  const { users, messages } = db.collections
  if (kind === 'queries') {
    const joined = liveQuery((q) => q.from({ m: messages }).join({ u: users }, ({ m, u }) => eq(m.userId, u.id)).select(({ m, u }) => ({ text: m.text, name: u.name })))
    const teams = liveQuery((q) => q.from({ u: users }).groupBy(({ u }) => u.team).select(({ u }) => ({ team: u.team, n: count(u.id) })))
    const fns = liveQuery((q) => q.from({ u: users }).fn.where((r) => r.u.team > 2).fn.select((r) => ({ id: r.u.id })))
    for (const lq of [joined, teams, fns]) lq.subscribe(() => {})
    assert.equal(joined.data.length, 20000)
    assert.equal(teams.data.length, 7)
    users.subscribeChanges(() => {})
  }
  if (kind === 'action') await db.actions.addUser({ id: `x${++made}`, name: 'x', team: 1 })
  if (kind === 'persist') await db.utils.saveSnapshot()
  db.close()
  return new WeakRef(db)
}

for (const kind of ['read', 'queries', 'action', 'persist']) {
  test(`a closed StreamDB is collected (${kind})`, { timeout: 60000 }, async () => {
    const refs = []
    for (let i = 0; i < 3; i++) refs.push(await useAndClose(kind))
    await settle()
    assert.equal(refs.filter((r) => r.deref() !== undefined).length, 0, 'closed dbs still reachable')
  })
}

test('opening and closing a db again and again does not grow the process', { timeout: 120000 }, async (t) => {
  for (let i = 0; i < 3; i++) await useAndClose('read')
  await settle()
  const base = process.memoryUsage().rss
  // Each db holds the 22k rows: kept, 25 of them would be about 80 MB.
  for (let i = 0; i < 25; i++) {
    await useAndClose(i % 2 ? 'queries' : 'read')
    if (i % 5 === 4) await settle()
  }
  await settle()
  const grown = (process.memoryUsage().rss - base) / 2 ** 20
  t.diagnostic(`grown by ${grown.toFixed(1)} MiB`)
  assert.ok(grown < 40, `the process grew by ${grown.toFixed(1)} MiB over 25 dbs opened and closed`)
})

// Every call into the module that returns a Promise is let go of once it
// settles. They used to race with a Promise of the module's death, which
// never settles while the module lives: each race left a reaction on it,
// and with it the call's promises, about 300 bytes each (an action makes
// three such calls) for as long as the page lived.
test('a settled call into the module leaves nothing behind', { timeout: 60000 }, async (t) => {
  const db = createStreamDB({ streamOptions: { url }, state: schema })
  t.after(() => db.close())
  await db.preload()
  const txid = crypto.randomUUID()
  await appendEvents(url, schema.users.insert({ value: { id: 'txid-holder', name: 'x', team: 0 }, headers: { txid } }))
  await db.utils.awaitTxId(txid)
  const calls = async (n) => {
    for (let i = 0; i < n; i++) await db.utils.awaitTxId(txid) // seen: settles at once
  }
  await calls(2000)
  // Three stretches of 10,000 calls; the smallest growth is the one
  // without the noise of other collections (kept, they grew 4.7 MiB each).
  const grown = []
  for (let i = 0; i < 3; i++) {
    await settle()
    const before = process.memoryUsage().heapUsed
    await calls(10000)
    await settle()
    grown.push((process.memoryUsage().heapUsed - before) / 2 ** 20)
  }
  t.diagnostic(`JS heap grown by ${grown.map((g) => g.toFixed(2)).join(', ')} MiB over three stretches of 10,000 calls`)
  assert.ok(Math.min(...grown) < 1.5, `the JS heap grew by ${grown.map((g) => g.toFixed(2)).join(', ')} MiB over three stretches of 10,000 settled calls`)
})
