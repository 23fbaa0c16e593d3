// TanStack DB's virtual row fields ($synced, $origin, $key, $collectionId,
// $hasPendingWrites) read in queries (issue 18, item 4): the same values as
// the reference StreamDB (@durable-streams/state 0.3.1 on @tanstack/db
// 0.15.2) over the same stream, through an action's optimistic insert and
// the stream's confirmation of it.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import * as Ref from '@durable-streams/state/db'
import { createStateSchema, createStreamDB, liveQuery, eq } from '@streamdb/streamdb'
import { startServer, createStream, appendEvents, until } from './server.mjs'

let srv
before(async () => { srv = await startServer({ longPollMs: 500 }) })
after(async () => { await srv?.stop() })

// An action that inserts a user optimistically, then waits until the test
// appends the confirming event (with the action's txid) and awaits it.
function open(lib, url, gate) {
  const schema = lib.createStateSchema({ users: { type: 'user', primaryKey: 'id' } })
  const db = lib.createStreamDB({
    streamOptions: { url, contentType: 'application/json' },
    state: schema,
    actions: ({ db }) => ({
      add: {
        onMutate: (row) => { db.collections.users.insert(row) },
        mutationFn: async (row) => {
          await gate.confirmed
          await db.utils.awaitTxId('tx-add', 5000)
        },
      },
    }),
  })
  return { db, schema }
}

// The queries, built with each package's builder.
const queries = (lib) => ({
  all: (q) => q.from({ u: lib.users }).select(({ u }) => ({
    id: u.id, k: u.$key, s: u.$synced, o: u.$origin, p: u.$hasPendingWrites, c: u.$collectionId,
  })).orderBy(({ u }) => u.$origin).orderBy(({ u }) => u.$key),
  pending: (q) => q.from({ u: lib.users }).where(({ u }) => lib.eq(u.$synced, false)).select(({ u }) => ({ id: u.id })),
  joined: (q) => q.from({ u: lib.users }).join({ v: lib.users }, ({ u, v }) => lib.eq(u.$key, v.id))
    .select(({ u, v }) => ({ id: v.id, o: u.$origin })),
})

const rows = (c) => [...c.values()].map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !k.startsWith('$'))))

test('virtual fields in where, select, orderBy and a join: the reference StreamDB\'s values, optimistic then confirmed', async () => {
  const url = await createStream(srv.url)
  await appendEvents(url, { type: 'user', key: 'a', value: { id: 'a', name: 'Ann' }, headers: { operation: 'insert' } })
  let confirm
  const gate = { confirmed: new Promise((r) => { confirm = r }) }
  const ref = open(Ref, url, gate)
  const ours = open({ createStateSchema, createStreamDB }, url, gate)
  await Promise.all([ref.db.preload(), ours.db.preload()])
  const refQ = Object.fromEntries(Object.entries(queries({ users: ref.db.collections.users, eq: Ref.eq })).map(([n, f]) =>
    [n, Ref.createLiveQueryCollection({ query: f, startSync: true })]))
  const ourQ = Object.fromEntries(Object.entries(queries({ users: ours.db.collections.users, eq })).map(([n, f]) => [n, liveQuery(f)]))
  await Promise.all(Object.values(refQ).map((q) => q.preload()))
  const same = async (phase) => {
    await until(() => Object.keys(refQ).every((n) => JSON.stringify(rows(refQ[n])) === JSON.stringify(rows(ourQ[n]))), `${phase}: the same rows`)
    for (const n of Object.keys(refQ)) assert.deepEqual(rows(ourQ[n]), rows(refQ[n]), `${phase}: query ${n}`)
  }
  const id = `stream-db:${url}:users`
  await same('synced')
  assert.deepEqual(rows(ourQ.all), [{ id: 'a', k: 'a', s: true, o: 'remote', p: false, c: id }])

  // The action's optimistic insert.
  const refTx = ref.db.actions.add({ id: 'b', name: 'Bo' })
  const ourTx = ours.db.actions.add({ id: 'b', name: 'Bo' })
  await same('optimistic')
  assert.deepEqual(rows(ourQ.all), [
    { id: 'b', k: 'b', s: false, o: 'local', p: true, c: id },
    { id: 'a', k: 'a', s: true, o: 'remote', p: false, c: id },
  ])
  assert.deepEqual(rows(ourQ.pending), [{ id: 'b' }])

  // The stream confirms it; the actions complete: synced, of local origin.
  await appendEvents(url, { type: 'user', key: 'b', value: { id: 'b', name: 'Bo' }, headers: { operation: 'insert', txid: 'tx-add' } })
  confirm()
  await Promise.all([refTx.isPersisted.promise, ourTx.isPersisted.promise])
  await same('confirmed')
  assert.deepEqual(rows(ourQ.all), [
    { id: 'b', k: 'b', s: true, o: 'local', p: false, c: id },
    { id: 'a', k: 'a', s: true, o: 'remote', p: false, c: id },
  ])
  assert.deepEqual(rows(ourQ.pending), [])
  assert.deepEqual(rows(ourQ.joined).map((r) => r.o).sort(), ['local', 'remote'])

  // A remote write of b makes it remote again.
  await appendEvents(url, { type: 'user', key: 'b', value: { id: 'b', name: 'Bob' }, headers: { operation: 'update' } })
  // Both must have read the write before they are compared (equal rows
  // before it would pass at once).
  await until(() => [ours, ref].every((x) => x.db.collections.users.get('b')?.name === 'Bob'), 'the remote write read')
  await same('remote update')
  assert.deepEqual(rows(ourQ.all).map((r) => r.o), ['remote', 'remote'])

  for (const q of Object.values(ourQ)) q.dispose?.()
  ref.db.close()
  ours.db.close()
})
