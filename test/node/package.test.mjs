// The package used from Node (>= 20) the way a user imports it: by its
// name, @streamdb/streamdb (resolved through package.json "exports", as a
// self-reference), against the reference Durable Streams server: preload,
// live queries (with a join and an aggregate), optimistic actions that
// succeed and fail, awaitTxId, malformed items, close.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import {
  createStateSchema, createStreamDB, liveQuery, eq, count,
  ClosedError, InvalidEventError, SchemaValidationError, QueryCompileError,
} from '@streamdb/streamdb'
import { z } from 'zod'
import { startServer, createStream, appendEvents, until } from './server.mjs'

let srv
before(async () => { srv = await startServer({ longPollMs: 1000 }) })
after(async () => { await srv?.stop() })

const userSchema = z.object({ id: z.string(), name: z.string(), email: z.string().email() })
const messageSchema = z.object({ id: z.string(), userId: z.string(), text: z.string(), timestamp: z.string() })
const schema = createStateSchema({
  users: { schema: userSchema, type: 'user', primaryKey: 'id' },
  messages: { schema: messageSchema, type: 'message', primaryKey: 'id' },
})

function open(url, extra = {}) {
  return createStreamDB({
    streamOptions: { url, contentType: 'application/json' },
    state: schema,
    actions: ({ db, stream }) => ({
      addUser: {
        onMutate: (user) => {
          db.collections.users.insert(user)
        },
        mutationFn: async (user) => {
          if (user.name === 'Fail') throw new Error('refused')
          const txid = crypto.randomUUID()
          await stream.append(schema.users.insert({ value: user, headers: { txid } }))
          await db.utils.awaitTxId(txid)
        },
      },
    }),
    ...extra,
  })
}

test('preload, live queries, and live updates from another writer', async (t) => {
  const url = await createStream(srv.url)
  await appendEvents(url,
    schema.users.insert({ value: { id: '1', name: 'Alice', email: 'alice@example.com' } }),
    schema.messages.insert({ value: { id: 'm1', userId: '1', text: 'Hello', timestamp: '1' } }),
  )
  const db = open(url)
  t.after(() => db.close())
  assert.equal(db.offset, '-1')
  await db.preload()
  assert.notEqual(db.offset, '-1')
  assert.equal(db.collections.users.get('1').name, 'Alice')
  assert.equal(db.collections.users.size, 1)

  const joined = liveQuery((q) =>
    q.from({ messages: db.collections.messages })
      .join({ users: db.collections.users }, ({ messages, users }) => eq(messages.userId, users.id))
      .select(({ messages, users }) => ({ text: messages.text, userName: users.name })))
  const total = liveQuery((q) =>
    q.from({ messages: db.collections.messages }).select(({ messages }) => ({ total: count(messages.id) })))
  assert.equal(joined.status, 'ready')
  assert.deepEqual(joined.data, [{ text: 'Hello', userName: 'Alice' }])
  assert.deepEqual(total.data, [{ total: 1 }])

  const seen = []
  const unsubscribe = total.subscribe(() => seen.push(total.data[0]?.total))
  await appendEvents(url,
    schema.users.insert({ value: { id: '2', name: 'Bob', email: 'bob@example.com' } }),
    schema.messages.insert({ value: { id: 'm2', userId: '2', text: 'Hi', timestamp: '2' } }),
  )
  await until(() => total.data[0]?.total === 2, 'the count to reach 2')
  assert.deepEqual(joined.data.map((r) => `${r.userName}: ${r.text}`).sort(), ['Alice: Hello', 'Bob: Hi'])
  assert.ok(seen.includes(2))
  unsubscribe()
  joined.dispose()
  assert.equal(joined.status, 'cleaned-up')
})

test('an optimistic action shows at once and is confirmed; a failing one rolls back', async (t) => {
  const url = await createStream(srv.url)
  const db = open(url)
  t.after(() => db.close())
  await db.preload()
  const users = liveQuery((q) => q.from({ u: db.collections.users }))

  const tx = db.actions.addUser({ id: '1', name: 'Alice', email: 'alice@example.com' })
  assert.deepEqual(users.data.map((u) => u.name), ['Alice'], 'visible before the mutation settles')
  assert.equal(db.collections.users.get('1')._seq, undefined)
  await tx.isPersisted.promise
  assert.equal(tx.state, 'completed')
  assert.equal(typeof db.collections.users.get('1')._seq, 'number', 'the synced row replaced the optimistic one')

  const failed = db.actions.addUser({ id: '2', name: 'Fail', email: 'fail@example.com' })
  assert.deepEqual(users.data.map((u) => u.name), ['Alice', 'Fail'])
  await assert.rejects(failed.isPersisted.promise, { message: 'refused' })
  assert.equal(failed.state, 'failed')
  assert.deepEqual(users.data.map((u) => u.name), ['Alice'])

  assert.throws(() => db.actions.addUser({ id: '3', name: 'Bad', email: 'bad' }), SchemaValidationError)
  assert.deepEqual(users.data.map((u) => u.name), ['Alice'])
})

test('awaitTxId times out with the reference message', async (t) => {
  const url = await createStream(srv.url)
  const db = open(url)
  t.after(() => db.close())
  await db.preload()
  await assert.rejects(db.utils.awaitTxId('txid-uuid', 200), { message: 'Timeout waiting for txid: txid-uuid' })
})

test('malformed items go to onError; the db goes on', async (t) => {
  const url = await createStream(srv.url)
  const errors = []
  const db = open(url, { onError: (e) => errors.push(e) })
  t.after(() => db.close())
  await db.preload()
  await appendEvents(url, 'not an event', { type: 'user', key: 'v', value: 42, headers: { operation: 'insert' } })
  await appendEvents(url, schema.users.insert({ value: { id: '1', name: 'Alice', email: 'alice@example.com' } }))
  await until(() => db.collections.users.has('1'), 'the good event')
  assert.equal(errors.length, 2)
  for (const e of errors) assert.ok(e instanceof InvalidEventError, String(e))
})

test('bad queries and a closed db throw typed errors', async () => {
  const url = await createStream(srv.url)
  const db = open(url)
  await db.preload()
  assert.throws(() => liveQuery((q) => q.from({ u: db.collections.users }).limit(1)), (e) => e instanceof QueryCompileError && e.clause === 'limit')
  const q = liveQuery((q) => q.from({ u: db.collections.users }))
  db.close()
  assert.equal(q.status, 'cleaned-up')
  await assert.rejects(db.preload(), ClosedError)
  await assert.rejects(db.utils.awaitTxId('x', 100), ClosedError)
  assert.throws(() => liveQuery((q) => q.from({ u: db.collections.users })), ClosedError)
  assert.throws(() => db.actions.addUser({ id: '1', name: 'A', email: 'a@example.com' }), ClosedError)
  db.close()
})

test('isChangeEvent, isControlEvent and getStreamDBCollectionId behave as in @durable-streams/state', async () => {
  const pkg = await import('@streamdb/streamdb')
  const ref = await import('@durable-streams/state')
  const refDb = await import('@durable-streams/state/db')
  const schema = pkg.createStateSchema({ users: { type: 'user', primaryKey: 'id' } })
  const events = [
    schema.users.insert({ value: { id: '1' } }),
    schema.users.delete({ key: '1' }),
    { type: 'user', key: '2', headers: { operation: 'upsert' } },
    { headers: { control: 'reset' } },
    { headers: { control: 'snapshot-start', offset: '5' } },
    { headers: {} },
  ]
  for (const e of events) {
    assert.equal(pkg.isChangeEvent(e), ref.isChangeEvent(e), JSON.stringify(e))
    assert.equal(pkg.isControlEvent(e), ref.isControlEvent(e), JSON.stringify(e))
  }
  assert.throws(() => pkg.isChangeEvent({ type: 'user' }), TypeError)
  assert.throws(() => ref.isChangeEvent({ type: 'user' }), TypeError)
  assert.equal(pkg.getStreamDBCollectionId('http://x/v1/stream/s', 'users'), refDb.getStreamDBCollectionId('http://x/v1/stream/s', 'users'))
})
