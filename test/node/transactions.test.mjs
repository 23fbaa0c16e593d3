// TanStack DB's createOptimisticAction and createTransaction over StreamDB
// collections (issue 18, item 1): writes show at once, mutationFn persists
// them, a failure rolls them back; a transaction that wrote nothing
// completes without calling mutationFn (as @tanstack/db 0.15.2's do,
// checked here too); one transaction stays within one StreamDB.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import * as T from '@tanstack/db'
import { createStateSchema, createStreamDB, createOptimisticAction, createTransaction, Transaction, MissingMutationContextError } from '@streamdb/streamdb'
import { startServer, createStream, until } from './server.mjs'

let srv
before(async () => { srv = await startServer({ longPollMs: 1000 }) })
after(async () => { await srv?.stop() })

const schema = createStateSchema({ users: { type: 'user', primaryKey: 'id' } })

async function open() {
  const db = createStreamDB({ streamOptions: { url: await createStream(srv.url), contentType: 'application/json' }, state: schema })
  await db.preload()
  return db
}

// persistWith appends a transaction's writes to the stream with a txid and
// waits until the db has read them back, as a StreamDB mutationFn does.
const persistWith = (db, rows) => async () => {
  const txid = crypto.randomUUID()
  for (const value of rows) await db.stream.append(schema.users.insert({ value, headers: { txid } }))
  await db.utils.awaitTxId(txid)
}

test('createOptimisticAction: the write shows at once, persists through mutationFn, or is rolled back', async () => {
  const db = await open()
  const users = db.collections.users
  const addUser = createOptimisticAction({
    onMutate: (u) => { users.insert(u) },
    mutationFn: async (u, { transaction }) => {
      assert.ok(transaction instanceof Transaction)
      assert.equal(transaction.mutations.length, 1)
      if (u.name === 'Fail') throw new Error('refused')
      await persistWith(db, [u])()
    },
  })
  const tx = addUser({ id: 'a', name: 'Ann' })
  assert.ok(tx instanceof Transaction)
  assert.equal(users.get('a')?.name, 'Ann', 'optimistic at once')
  await tx.isPersisted.promise
  assert.equal(tx.state, 'completed')
  assert.equal(users.get('a')?.name, 'Ann')
  assert.equal(users.get('a')._seq, 0, 'the synced row')

  const bad = addUser({ id: 'b', name: 'Fail' })
  assert.equal(users.get('b')?.name, 'Fail')
  await assert.rejects(bad.isPersisted.promise, /refused/)
  assert.equal(bad.state, 'failed')
  await until(() => !users.has('b'), 'the failed write is rolled back')

  assert.throws(() => createOptimisticAction({ onMutate: async () => {}, mutationFn: async () => {} })(1), /must be synchronous/)
  db.close()
})

test('createTransaction: mutate (autoCommit or not), commit, rollback, and what TanStack does with an empty one', async () => {
  const db = await open()
  const users = db.collections.users
  let calls = 0
  const tx = createTransaction({
    autoCommit: false,
    mutationFn: async ({ transaction }) => {
      calls++
      assert.equal(transaction, tx)
      assert.deepEqual(transaction.mutations.map((m) => m.type), ['insert', 'insert'])
      await persistWith(db, [{ id: 'c', name: 'Cy' }, { id: 'd', name: 'Dee' }])()
    },
  })
  tx.mutate(() => users.insert({ id: 'c', name: 'Cy' }))
  tx.mutate(() => users.insert({ id: 'd', name: 'Dee' }))
  assert.equal(tx.state, 'pending')
  assert.deepEqual([users.has('c'), users.has('d')], [true, true])
  await tx.commit()
  assert.equal(tx.state, 'completed')
  assert.equal(calls, 1)
  assert.throws(() => tx.mutate(() => {}), /no longer pending/)
  assert.throws(() => tx.rollback(), /already completed/)

  const auto = createTransaction({ mutationFn: persistWith(db, [{ id: 'e', name: 'Eve' }]) })
  auto.mutate(() => users.insert({ id: 'e', name: 'Eve' }))
  await auto.isPersisted.promise
  assert.equal(auto.state, 'completed')

  const undone = createTransaction({ autoCommit: false, mutationFn: async () => { throw new Error('never called') } })
  undone.mutate(() => users.delete('e'))
  assert.equal(users.has('e'), false)
  undone.rollback()
  assert.equal(undone.state, 'failed')
  assert.equal(users.has('e'), true, 'rolled back')

  // An empty transaction completes without calling mutationFn, in both.
  for (const create of [createTransaction, T.createTransaction]) {
    let called = 0
    const empty = create({ mutationFn: async () => { called++ } })
    empty.mutate(() => {})
    await empty.isPersisted.promise
    assert.deepEqual([empty.state, called], ['completed', 0])
  }
  for (const create of [createOptimisticAction, T.createOptimisticAction]) {
    let called = 0
    const t = create({ onMutate: () => {}, mutationFn: async () => { called++ } })(1)
    await t.isPersisted.promise
    assert.deepEqual([t.state, called], ['completed', 0])
  }

  // One transaction, one StreamDB.
  const other = await open()
  const mixed = createTransaction({ autoCommit: false, mutationFn: async () => {} })
  mixed.mutate(() => users.insert({ id: 'f', name: 'Fay' }))
  assert.throws(() => mixed.mutate(() => other.collections.users.insert({ id: 'g', name: 'Gus' })), MissingMutationContextError)
  assert.equal(other.collections.users.has('g'), false)
  mixed.rollback()
  assert.equal(users.has('f'), false)
  db.close()
  other.close()
})
