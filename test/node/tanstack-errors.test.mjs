// TanStack DB's error classes (issue 18, item 2): a query TanStack rejects
// makes liveQuery throw an error of the class TanStack throws (same name,
// exported by the package, instanceof working), which is still a
// QueryCompileError (or, for the join conditions TanStack's builder
// rejects, a QueryBuilderError) with our code and clause. Each case is run through
// @tanstack/db 0.15.2 too, which names the class to expect.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import * as T from '@tanstack/db'
import * as ours from '@streamdb/streamdb'
import { startServer, createStream } from './server.mjs'

let srv
before(async () => { srv = await startServer({ longPollMs: 1000 }) })
after(async () => { await srv?.stop() })

// Each case: [name, clause ours names, build(q, users, messages, f)].
const cases = [
  ['limit without orderBy', 'limit', (q, u) => q.from({ u }).limit(2)],
  ['offset without orderBy', 'offset', (q, u) => q.from({ u }).offset(2)],
  ['having without groupBy', 'having', (q, u, m, f) => q.from({ u }).having(({ u }) => f.gt(u.team, 1))],
  ['join on gt', 'join', (q, u, m, f) => q.from({ m }).innerJoin({ u }, ({ m, u }) => f.gt(m.userId, u.id))],
  ['join on one source', 'join', (q, u, m, f) => q.from({ m }).innerJoin({ u }, ({ m }) => f.eq(m.userId, m.id))],
  ['a plain field in a grouped select', 'select', (q, u) => q.from({ u }).groupBy(({ u }) => u.team).select(({ u }) => ({ team: u.team, name: u.name }))],
  ['a spread in a grouped select', 'select', (q, u, m, f) => q.from({ u }).groupBy(({ u }) => u.team).select(({ u }) => ({ ...u, n: f.count(u.id) }))],
  ['an aggregate in orderBy, not in select', 'orderBy', (q, u, m, f) => q.from({ u }).groupBy(({ u }) => u.team).select(({ u }) => ({ team: u.team })).orderBy(({ u }) => f.count(u.id))],
  ['an aggregate in having, not in select', 'having', (q, u, m, f) => q.from({ u }).groupBy(({ u }) => u.team).select(({ u }) => ({ team: u.team })).having(({ u }) => f.gt(f.count(u.id), 1))],
  ['an aggregate in where', 'where', (q, u, m, f) => q.from({ u }).where(({ u }) => f.gt(f.count(u.id), 1))],
  ['an aggregate in groupBy', 'groupBy', (q, u, m, f) => q.from({ u }).groupBy(({ u }) => f.count(u.id))],
]

async function tanstackThrows(build) {
  const users = T.createCollection(T.localOnlyCollectionOptions({ getKey: (u) => u.id, initialData: [{ id: '1', name: 'a', team: 1 }] }))
  const messages = T.createCollection(T.localOnlyCollectionOptions({ getKey: (m) => m.id, initialData: [{ id: 'm1', userId: '1' }] }))
  try {
    await T.createLiveQueryCollection({ query: (q) => build(q, users, messages, T) }).preload()
  } catch (e) {
    return e
  }
  return null
}

test('a query TanStack DB rejects throws the class TanStack throws, still a QueryCompileError', async () => {
  const url = await createStream(srv.url)
  const schema = ours.createStateSchema({ users: { type: 'user', primaryKey: 'id' }, messages: { type: 'message', primaryKey: 'id' } })
  const db = ours.createStreamDB({ streamOptions: { url, contentType: 'application/json' }, state: schema })
  const { users, messages } = db.collections
  for (const [name, clause, build] of cases) {
    const want = await tanstackThrows(build)
    assert.ok(want, `${name}: TanStack rejects it`)
    let got
    try {
      ours.liveQuery((q) => build(q, users, messages, ours))
    } catch (e) {
      got = e
    }
    assert.ok(got, `${name}: ours rejects it`)
    // TanStack's class (its name property is its base class's).
    const cls = want.constructor.name
    assert.equal(got.name, cls, `${name}: ${got.message}`)
    assert.equal(got.constructor.name, cls, name)
    const Class = ours[cls]
    assert.equal(typeof Class, 'function', `${name}: the package exports ${cls}`)
    assert.ok(got instanceof Class, `${name}: instanceof ${cls}`)
    // The join conditions are checked by our builder (TanStack's builder
    // checks one of them): those are QueryBuilderErrors.
    const builder = clause === 'join'
    assert.ok(got instanceof (builder ? ours.QueryBuilderError : ours.QueryCompileError) && got instanceof ours.StreamDBError, name)
    assert.equal(got.code, builder ? 'QUERY_BUILDER' : 'QUERY_COMPILE', name)
    assert.equal(got.clause, clause, name)
  }
  // A query rejected for a reason TanStack has no class for stays a plain QueryCompileError.
  const plain = (() => {
    try {
      ours.liveQuery((q) => q.from({ u: users }).select(({ u }) => ({ n: ours.sum(ours.count(u.id)) })))
    } catch (e) {
      return e
    }
  })()
  assert.ok(plain instanceof ours.QueryCompileError)
  db.close()
})
