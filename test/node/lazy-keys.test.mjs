// A live query's first result crosses without its keys; they come from the
// module when a read first needs them, and each later step keeps them.
// Whenever they are first read (before any change, after many, after the
// query is disposed or its StreamDB closed), they are the keys of the
// result the live query holds: the same as a fresh query's.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createStateSchema, createStreamDB, liveQuery, eq } from '@streamdb/streamdb'
import { startServer, createStream, appendEvents, until } from './server.mjs'

let srv
before(async () => { srv = await startServer({ longPollMs: 1000 }) })
after(async () => { await srv?.stop() })

const schema = createStateSchema({
  users: { type: 'user', primaryKey: 'id' },
  messages: { type: 'message', primaryKey: 'id' },
})
const user = (i) => ({ id: `u${i}`, name: `name ${i}`, team: i % 3 })
const message = (i) => ({ id: `m${i}`, userId: `u${i % 7}`, text: `text ${i}`, ts: i })

const QUERIES = {
  'where (key order)': (db) => liveQuery((q) => q.from({ u: db.collections.users }).where(({ u }) => eq(u.team, 1))),
  'orderBy ts desc': (db) => liveQuery((q) => q.from({ m: db.collections.messages }).orderBy(({ m }) => m.ts, 'desc')),
  'join (array keys)': (db) =>
    liveQuery((q) =>
      q
        .from({ m: db.collections.messages })
        .innerJoin({ u: db.collections.users }, ({ m, u }) => eq(m.userId, u.id))
        .select(({ m, u }) => ({ text: m.text, name: u.name })),
    ),
}

// What the keys of a result say, through each read that needs them.
const seen = (lq) => ({
  keys: [...lq.keys()],
  entries: [...lq.entries()],
  state: [...lq.state],
  get: [...lq.keys()].map((k) => lq.get(k)),
  asChanges: lq.currentStateAsChanges().map((c) => [c.key, c.value]),
  rows: lq.toArray,
})

test('keys read after changes are those of a fresh query, on every read path', async (t) => {
  const url = await createStream(srv.url)
  await appendEvents(url, ...[0, 1, 2, 3, 4, 5, 6].map((i) => schema.users.insert({ value: user(i) })), ...[0, 1, 2, 3].map((i) => schema.messages.insert({ value: message(i) })))
  const db = createStreamDB({ streamOptions: { url, contentType: 'application/json' }, state: schema })
  t.after(() => db.close())
  await db.preload()
  const open = Object.fromEntries(Object.entries(QUERIES).map(([name, make]) => [name, make(db)]))
  const readFirst = QUERIES['where (key order)'](db)
  assert.deepEqual(seen(readFirst).keys, ['u1', 'u4'], 'keys read before any change')
  const readFirstOrdered = QUERIES['orderBy ts desc'](db)
  assert.deepEqual(seen(readFirstOrdered).keys, ['m3', 'm2', 'm1', 'm0'], 'keys read before any change')

  // One change at a time (the splice path), then many in one step (the
  // merge path): inserts, updates that move rows, deletes.
  await appendEvents(url, schema.messages.insert({ value: message(10) }))
  await until(() => db.collections.messages.size === 5, 'the insert')
  await appendEvents(url, schema.users.insert({ value: user(7) }))
  await until(() => db.collections.users.size === 8, 'the user')
  await appendEvents(url, schema.messages.delete({ key: 'm1' }))
  await until(() => db.collections.messages.size === 4, 'the delete')
  await appendEvents(
    url,
    ...[11, 12, 13, 14, 15, 16].map((i) => schema.messages.insert({ value: message(i) })),
    schema.messages.update({ value: { ...message(2), ts: 100 } }),
    schema.messages.delete({ key: 'm3' }),
    schema.users.update({ value: { ...user(4), team: 1 } }),
    schema.users.delete({ key: 'u1' }),
    schema.users.insert({ value: user(9) }),
    ...[10, 13, 16].map((i) => schema.users.insert({ value: user(i) })),
  )
  await until(() => db.collections.messages.size === 9 && db.collections.users.size === 11, 'the batch')

  for (const [name, lq] of Object.entries(open)) {
    const fresh = QUERIES[name](db)
    assert.deepEqual(seen(lq), seen(fresh), `${name}: keys first read after the changes`)
    fresh.dispose()
  }
  assert.deepEqual(seen(readFirst), seen(QUERIES['where (key order)'](db)), 'keys read before the changes, kept by each step')
  assert.deepEqual(seen(readFirstOrdered), seen(QUERIES['orderBy ts desc'](db)), 'keys read before the changes, kept by each step')

  // Disposed with its keys never read: they stay readable.
  const disposed = QUERIES['orderBy ts desc'](db)
  const was = seen(QUERIES['orderBy ts desc'](db))
  disposed.dispose()
  assert.deepEqual(seen(disposed), was, 'a disposed query keeps its keys')

  // The StreamDB closed with keys never read: the same.
  const unread = QUERIES['join (array keys)'](db)
  const want = seen(QUERIES['join (array keys)'](db))
  db.close()
  assert.deepEqual(seen(unread), want, 'a closed StreamDB\'s queries keep their keys')
  assert.equal(want.keys[0], '["m0","u0"]', 'a join key as TanStack DB makes it')
})
