// TanStack DB's functional clauses, fn.where, fn.select and fn.having
// (issue 18, item 4): the package runs the JS callbacks in the engine and
// answers as @tanstack/db 0.15.2 does over the same rows, first results
// and live updates (insert, update, delete through the stream); a callback
// that throws stops its query with a QueryCallbackError.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import * as T from '@tanstack/db'
import * as ours from '@streamdb/streamdb'
import { startServer, createStream, appendEvents, until } from './server.mjs'

let srv
before(async () => { srv = await startServer({ longPollMs: 1000 }) })
after(async () => { await srv?.stop() })

const schema = ours.createStateSchema({ users: { type: 'user', primaryKey: 'id' }, posts: { type: 'post', primaryKey: 'id' } })
const users = [
  { id: 'u1', name: 'Ann', team: 1, active: true },
  { id: 'u2', name: 'Bo', team: 2, active: 1 },
  { id: 'u3', name: 'Cy', team: 2, active: false },
  { id: 'u4', name: 'Dee', team: 3, active: true },
]
const posts = [
  { id: 'p1', userId: 'u1', likes: 3 },
  { id: 'p2', userId: 'u2', likes: 0 },
  { id: 'p3', userId: 'u9', likes: 7 },
  { id: 'p4', userId: 'u4', likes: 2 },
]

// Rows without what only one side adds (our _seq, TanStack's $ fields).
const plain = (v) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).filter(([k]) => k !== '_seq' && !k.startsWith('$')).map(([k, x]) => [k, plain(x)])) : v)

// The queries, as user code writes them: (q, users, posts, functions).
const queries = {
  'fn.where over a field': (q, u) => q.from({ u }).fn.where((row) => row.u.team > 1),
  'fn.where passes only true (1 does not)': (q, u) => q.from({ u }).fn.where((row) => row.u.active),
  'where then fn.where, in order': (q, u, p, f) => q.from({ u }).where(({ u }) => f.gt(u.team, 1)).fn.where((row) => row.u.name !== 'Bo'),
  'fn.where over a left join (unmatched side undefined)': (q, u, p, f) =>
    q.from({ p }).leftJoin({ u }, ({ p, u }) => f.eq(p.userId, u.id)).fn.where((row) => row.u === undefined || row.p.likes > 1),
  'fn.select, ordered by $selected, limited': (q, u, p, f) =>
    q.from({ p }).leftJoin({ u }, ({ p, u }) => f.eq(p.userId, u.id))
      .fn.select((row) => ({ post: row.p.id, score: row.p.likes * 10, who: row.u?.name ?? 'nobody' }))
      .orderBy(({ $selected }) => $selected.score, 'desc').limit(3),
  'fn.select then distinct': (q, u) => q.from({ u }).fn.select((row) => ({ team: row.u.team })).distinct(),
  'groupBy, select, fn.having over $selected': (q, u, p, f) =>
    q.from({ u }).groupBy(({ u }) => u.team).select(({ u }) => ({ team: u.team, n: f.count(u.id) })).fn.having((row) => row.$selected.n > 1),
  'fn.having without groupBy: truthy over the row': (q, u, p) =>
    q.from({ p }).select(({ p }) => ({ id: p.id, likes: p.likes })).fn.having((row) => row.$selected.likes && row.p.userId),
}

// The functions of both packages under one name, for the builders above.
const fnsOf = (m) => m

function tanstack(build, tu, tp) {
  return T.createLiveQueryCollection({ query: (q) => build(q, tu, tp, fnsOf(T)), startSync: true })
}

test('fn.where, fn.select and fn.having answer as TanStack DB does, first results and live updates', async () => {
  const tu = T.createCollection(T.localOnlyCollectionOptions({ id: 'users', getKey: (x) => x.id, initialData: users }))
  const tp = T.createCollection(T.localOnlyCollectionOptions({ id: 'posts', getKey: (x) => x.id, initialData: posts }))
  const url = await createStream(srv.url)
  await appendEvents(url, ...users.map((value) => schema.users.insert({ value })), ...posts.map((value) => schema.posts.insert({ value })))
  const db = ours.createStreamDB({ streamOptions: { url, contentType: 'application/json' }, state: schema })
  await db.preload()
  const pairs = Object.entries(queries).map(([name, build]) => {
    const t = tanstack(build, tu, tp)
    const o = ours.liveQuery((q) => build(q, db.collections.users, db.collections.posts, fnsOf(ours)))
    return { name, t, o, distinct: name.includes('distinct') }
  })
  const compare = async (when) => {
    for (const { name, t, o, distinct } of pairs) {
      await t.preload()
      let want = t.toArray.map(plain)
      let got = o.toArray.map(plain)
      if (distinct) { // distinct keys are hashes: compare the rows as a set
        want = want.map((r) => JSON.stringify(r)).sort()
        got = got.map((r) => JSON.stringify(r)).sort()
      }
      assert.deepEqual(got, want, `${name} (${when})`)
      assert.equal(o.status, 'ready', name)
    }
  }
  await compare('first result')
  // Each change through the stream, and the same on TanStack's side.
  const steps = [
    ['insert a user', () => tu.insert({ id: 'u5', name: 'Eve', team: 3, active: true }), schema.users.insert({ value: { id: 'u5', name: 'Eve', team: 3, active: true } })],
    ['update a post', () => tp.update('p2', (d) => { d.likes = 9 }), schema.posts.update({ value: { id: 'p2', userId: 'u2', likes: 9 } })],
    ['update a user (active, read only by a callback)', () => tu.update('u3', (d) => { d.active = true }), schema.users.update({ value: { id: 'u3', name: 'Cy', team: 2, active: true } })],
    ['delete a user', () => tu.delete('u1'), schema.users.delete({ key: 'u1' })],
    ['delete a post', () => tp.delete('p3'), schema.posts.delete({ key: 'p3' })],
  ]
  for (const [what, theirs, event] of steps) {
    theirs()
    const before = pairs.map((x) => x.o.toArray)
    await appendEvents(url, event)
    await until(() => pairs.some((x, i) => x.o.toArray !== before[i]) || null, what)
    await new Promise((r) => setTimeout(r, 50))
    await compare(what)
  }
  for (const { o, t } of pairs) {
    o.dispose()
    await t.cleanup()
  }
  db.close()
})

test('a callback that throws stops its query with a QueryCallbackError; the others go on', async () => {
  const url = await createStream(srv.url)
  await appendEvents(url, ...users.map((value) => schema.users.insert({ value })))
  const errors = []
  const db = ours.createStreamDB({ streamOptions: { url, contentType: 'application/json' }, state: schema, onError: (e) => errors.push(e) })
  await db.preload()
  const boom = new Error('boom')
  const fnWhere = (row) => { if (row.u.name === 'Zed') throw boom; return row.u.team > 1 }

  // TanStack: the query goes to status 'error' and keeps its last result.
  const tu = T.createCollection(T.localOnlyCollectionOptions({ id: 'users2', getKey: (x) => x.id, initialData: users }))
  const t = T.createLiveQueryCollection({ query: (q) => q.from({ u: tu }).fn.where(fnWhere), startSync: true })
  await t.preload()
  assert.throws(() => tu.insert({ id: 'z', name: 'Zed', team: 5 }), /boom/)
  assert.equal(t.status, 'error')
  assert.deepEqual(t.toArray.map(plain).map((r) => r.id), ['u2', 'u3', 'u4'])

  const lq = ours.liveQuery((q) => q.from({ u: db.collections.users }).fn.where(fnWhere))
  const other = ours.liveQuery((q) => q.from({ u: db.collections.users }))
  let notified = 0
  lq.subscribe(() => { notified++ })
  assert.deepEqual(lq.toArray.map((r) => r.id), ['u2', 'u3', 'u4'])
  await appendEvents(url, schema.users.insert({ value: { id: 'z', name: 'Zed', team: 5 } }))
  await until(() => other.size === 5, 'the other query to see the new row')
  await until(() => notified > 0, 'the subscriber to hear of the failure')
  assert.equal(lq.status, 'error')
  assert.ok(lq.error instanceof ours.QueryCallbackError)
  assert.ok(lq.error instanceof ours.StreamDBError)
  assert.equal(lq.error.code, 'QUERY_CALLBACK')
  assert.equal(lq.error.clause, 'fn.where')
  assert.equal(lq.error.cause, boom)
  assert.match(lq.error.message, /fn\.where callback threw: boom/)
  assert.deepEqual(lq.toArray.map((r) => r.id), ['u2', 'u3', 'u4'], 'the result before the failing change')
  assert.ok(errors.includes(lq.error), 'onError hears of it')
  // Later changes: the stopped query follows none; the other does.
  await appendEvents(url, schema.users.insert({ value: { id: 'u6', name: 'Fay', team: 9 } }))
  await until(() => other.size === 6, 'the other query to go on')
  assert.deepEqual(lq.toArray.map((r) => r.id), ['u2', 'u3', 'u4'])

  // A callback that throws on the first result: opening the query throws
  // (as TanStack's createLiveQueryCollection with startSync does).
  assert.throws(() => T.createLiveQueryCollection({ query: (q) => q.from({ u: tu }).fn.where(fnWhere), startSync: true }), /boom/)
  assert.throws(() => ours.liveQuery((q) => q.from({ u: db.collections.users }).fn.where(fnWhere)),
    (e) => e instanceof ours.QueryCallbackError && e.cause === boom && e.clause === 'fn.where')
  // fn.select returning what JSON cannot carry.
  assert.throws(() => ours.liveQuery((q) => q.from({ u: db.collections.users }).fn.select(() => ({ n: 1n }))),
    (e) => e instanceof ours.QueryCallbackError && e.clause === 'fn.select' && /JSON/.test(e.message))
  // A callback calling the database gets a clear error (the engine is
  // mid-update), not a deadlock.
  assert.throws(() => ours.liveQuery((q) => q.from({ u: db.collections.users }).fn.where(() => db.collections.users.get('u1') !== undefined)),
    (e) => e instanceof ours.QueryCallbackError && /cannot call the StreamDB/.test(e.message))
  // The database still answers.
  assert.equal(db.collections.users.get('u1').name, 'Ann')
  other.dispose()
  lq.dispose()
  db.close()
})

test('fn.select with groupBy throws FnSelectWithGroupByError, as TanStack DB does', async () => {
  const tu = T.createCollection(T.localOnlyCollectionOptions({ id: 'users3', getKey: (x) => x.id, initialData: users }))
  let want
  try {
    T.createLiveQueryCollection({ query: (q) => q.from({ u: tu }).groupBy(({ u }) => u.team).fn.select((row) => row), startSync: true })
  } catch (e) {
    want = e
  }
  assert.equal(want?.constructor.name, 'FnSelectWithGroupByError')
  const url = await createStream(srv.url)
  const db = ours.createStreamDB({ streamOptions: { url, contentType: 'application/json' }, state: schema })
  assert.throws(() => ours.liveQuery((q) => q.from({ u: db.collections.users }).groupBy(({ u }) => u.team).fn.select((row) => row)),
    (e) => e instanceof ours.FnSelectWithGroupByError && e instanceof ours.QueryCompileError && e.name === 'FnSelectWithGroupByError' && e.clause === 'fn.select')
  db.close()
})
