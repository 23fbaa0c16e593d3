// The virtualProps option (issue 18, item 4): with it, every row a user
// reads carries TanStack DB's virtual fields ($hasPendingWrites, $synced,
// $origin, $key, $collectionId) with the values the reference StreamDB
// (@durable-streams/state 0.3.1 on @tanstack/db 0.15.2) gives them, over
// the same stream, through an action's optimistic insert and update, the
// stream's confirmation, the action's completion and a later remote
// update; without it the rows carry none.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import * as Ref from '@durable-streams/state/db'
import * as Ours from '@streamdb/streamdb/db'
import { startServer, createStream, appendEvents, until } from './server.mjs'

let srv
before(async () => { srv = await startServer({ longPollMs: 500 }) })
after(async () => { await srv?.stop() })

// open makes a StreamDB whose action inserts a user and updates another
// optimistically, then waits until the test appends the confirming event
// (with the action's txid) and awaits it.
function open(lib, url, gate, extra = {}) {
  const schema = lib.createStateSchema({ users: { type: 'user', primaryKey: 'id' }, teams: { type: 'team', primaryKey: 'id' } })
  return lib.createStreamDB({
    streamOptions: { url, contentType: 'application/json' },
    state: schema,
    ...extra,
    actions: ({ db }) => ({
      add: {
        onMutate: (row) => {
          db.collections.users.insert(row)
          db.collections.users.update('a', (d) => { d.name = 'Ann2' })
        },
        mutationFn: async () => {
          await gate.confirmed
          await db.utils.awaitTxId('tx-add', 5000)
        },
      },
    }),
  })
}

// The live queries: a filter, an orderBy with limit, a join (whole rows
// and a select), a select, a groupBy.
const queries = (lib, u, t) => ({
  filter: (q) => q.from({ u }).where(({ u }) => lib.eq(u.team, 't1')),
  top: (q) => q.from({ u }).orderBy(({ u }) => u.name, 'desc').limit(2),
  join: (q) => q.from({ u }).join({ t }, ({ u, t }) => lib.eq(u.team, t.id)),
  joinSel: (q) => q.from({ u }).join({ t }, ({ u, t }) => lib.eq(u.team, t.id)).select(({ u, t }) => ({ id: u.id, title: t.title })),
  sel: (q) => q.from({ u }).select(({ u }) => ({ id: u.id, n: u.name })),
  group: (q) => q.from({ u }).groupBy(({ u }) => u.team).select(({ u }) => ({ team: u.team, n: lib.count(u.id) })),
})

// A live query's own id differs between the two packages (each counts its
// own): it is compared as '<self>'.
const self = (q, v) => (v && typeof v === 'object' && v.$collectionId === q.id ? { ...v, $collectionId: '<self>' } : v)
const entries = (q) => [...q.entries()].map(([k, v]) => [k, self(q, v)])

function setup(lib, db) {
  const u = db.collections.users
  const t = db.collections.teams
  const qs = Object.fromEntries(Object.entries(queries(lib, u, t)).map(([n, f]) => [n, lib.createLiveQueryCollection({ query: f, startSync: true })]))
  // Subscribed, so that the reference's live queries are not collected
  // (TanStack DB's gcTime) during a long wait.
  for (const q of Object.values(qs)) q.subscribeChanges(() => {})
  const changes = []
  u.subscribeChanges((c) => changes.push(...c.map(({ type, key, value, previousValue }) => ({ type, key, value, previousValue }))), { includeInitialState: true })
  const qchanges = []
  qs.group.subscribeChanges((c) => qchanges.push(...c.map(({ type, key, value, previousValue }) => ({ type, key, value: self(qs.group, value), previousValue: self(qs.group, previousValue) }))), { includeInitialState: true })
  // What a user reads, at one moment.
  const read = () => ({
    get: [u.get('a'), u.get('c')],
    toArray: u.toArray,
    state: [...u.state.entries()],
    iter: [...u],
    teams: t.toArray,
    ...Object.fromEntries(Object.entries(qs).map(([n, q]) => [n, entries(q)])),
  })
  return { qs, read, changes, qchanges }
}

test('virtualProps: true: rows carry the reference StreamDB\'s virtual fields, synced, optimistic, confirmed, completed, updated', async () => {
  const url = await createStream(srv.url)
  await appendEvents(url,
    { type: 'user', key: 'a', value: { id: 'a', name: 'Ann', team: 't1' }, headers: { operation: 'insert' } },
    { type: 'user', key: 'b', value: { id: 'b', name: 'Bob', team: 't1' }, headers: { operation: 'insert' } },
    { type: 'team', key: 't1', value: { id: 't1', title: 'T' }, headers: { operation: 'insert' } })
  let confirm
  const gate = { confirmed: new Promise((r) => { confirm = r }) }
  const ref = open(Ref, url, gate)
  const ours = open(Ours, url, gate, { virtualProps: true })
  await Promise.all([ref.preload(), ours.preload()])
  const R = setup(Ref, ref)
  const O = setup(Ours, ours)
  await Promise.all(Object.values(R.qs).map((q) => q.preload()))
  await Promise.all(Object.values(O.qs).map((q) => q.preload()))
  const same = async (phase) => {
    await until(() => JSON.stringify(R.read()) === JSON.stringify(O.read()), `${phase}: the same rows`).catch(() => {})
    const r = R.read()
    const o = O.read()
    if (process.env.VP_DEBUG) for (const n of Object.keys(r)) if (JSON.stringify(r[n]) !== JSON.stringify(o[n])) console.log(phase, n, '\nREF ', JSON.stringify(r[n]), '\nOURS', JSON.stringify(o[n]))
    for (const n of Object.keys(r)) assert.deepEqual(o[n], r[n], `${phase}: ${n}`)
    // Same fields in the same order (JSON.stringify of a row).
    assert.equal(JSON.stringify(o), JSON.stringify(r), `${phase}: field order`)
  }
  const id = `stream-db:${url}:users`
  await same('synced')
  assert.deepEqual(O.read().get[0], { id: 'a', name: 'Ann', team: 't1', _seq: 0, $hasPendingWrites: false, $synced: true, $origin: 'remote', $key: 'a', $collectionId: id })

  const refTx = ref.actions.add({ id: 'c', name: 'Cy', team: 't1' })
  const ourTx = ours.actions.add({ id: 'c', name: 'Cy', team: 't1' })
  await same('optimistic')
  assert.deepEqual(O.read().get[1], { id: 'c', name: 'Cy', team: 't1', $hasPendingWrites: true, $synced: false, $origin: 'local', $key: 'c', $collectionId: id })
  assert.equal(O.read().group[0][1].$synced, false)

  await appendEvents(url, { type: 'user', key: 'c', value: { id: 'c', name: 'Cy', team: 't1' }, headers: { operation: 'insert', txid: 'tx-add' } })
  await new Promise((r) => setTimeout(r, 300))
  await same('confirmed, the action pending')

  confirm()
  await Promise.all([refTx.isPersisted.promise, ourTx.isPersisted.promise])
  await same('completed')
  assert.deepEqual(O.read().get[1].$origin, 'local')

  await appendEvents(url, { type: 'user', key: 'c', value: { id: 'c', name: 'Cy2', team: 't1' }, headers: { operation: 'update' } })
  await until(() => O.read().get[1]?.name === 'Cy2', 'the remote update')
  await same('a remote update')
  assert.deepEqual(O.read().get[1].$origin, 'remote')

  // subscribeChanges: the same changes, rows with their virtual fields.
  assert.deepEqual(O.changes, R.changes)
  assert.deepEqual(O.qchanges, R.qchanges)
  ref.close()
  ours.close()
})

test('virtualProps off (the default): the rows carry no virtual field', async () => {
  const url = await createStream(srv.url)
  await appendEvents(url,
    { type: 'user', key: 'a', value: { id: 'a', name: 'Ann', team: 't1' }, headers: { operation: 'insert' } },
    { type: 'team', key: 't1', value: { id: 't1', title: 'T' }, headers: { operation: 'insert' } })
  const ours = open(Ours, url, { confirmed: new Promise(() => {}) })
  await ours.preload()
  const O = setup(Ours, ours)
  const seen = JSON.stringify(O.read()) + JSON.stringify(O.changes) + JSON.stringify(O.qchanges)
  assert.ok(!seen.includes('"$'), seen)
  assert.deepEqual(O.read().get[0], { id: 'a', name: 'Ann', team: 't1', _seq: 0 })
  ours.close()
})
