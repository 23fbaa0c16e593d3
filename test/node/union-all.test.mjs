// unionAll in both forms (issue 18, item 4): the package's live queries
// give the same rows, keys, order and changes as @tanstack/db 0.15.2's
// over the same rows (ours fed through the reference server), and reject
// what TanStack rejects, with its error classes' names.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import * as T from '@tanstack/db'
import * as S from '@streamdb/streamdb'
import { startServer, createStream, appendEvents, until } from './server.mjs'

let srv
before(async () => { srv = await startServer({ longPollMs: 1000 }) })
after(async () => { await srv?.stop() })

const users = [
  { id: 'u1', name: 'Ann', team: 1 },
  { id: 'u2', name: 'bob', team: 3 },
  { id: 'u3', name: 'Cy', team: 2 },
]
const posts = [
  { id: 'p1', userId: 'u1', title: 'Hello', likes: 4 },
  { id: 'p2', userId: 'u3', title: 'apple', likes: 0 },
  { id: 'u2', userId: 'u9', title: 'Zed', likes: 2 },
]
const schema = S.createStateSchema({ users: { type: 'user', primaryKey: 'id' }, posts: { type: 'post', primaryKey: 'id' } })

// Rows without what only one side adds (our _seq, TanStack's $ fields), at
// every depth, and without TanStack's undefined-valued properties (rows are
// JSON here: README, "Query semantics").
const plain = (v) => {
  if (Array.isArray(v)) return v.map(plain)
  if (v === null || typeof v !== 'object') return v
  return Object.fromEntries(Object.entries(v).filter(([k, x]) => k !== '_seq' && !k.startsWith('$') && x !== undefined).map(([k, x]) => [k, plain(x)]))
}

// The queries, each written once for both builders (f: the functions, Q: a new query).
const queries = {
  'sources': (q, c) => q.unionAll({ u: c.users, p: c.posts }),
  'sources where orderBy limit': (q, c, f) => q.unionAll({ u: c.users, p: c.posts })
    .where(({ u, p }) => f.gt(f.coalesce(u.team, p.likes), 1))
    .orderBy(({ u, p }) => f.coalesce(u.name, p.title), 'desc').limit(3),
  'sources select': (q, c, f) => q.unionAll({ u: c.users, p: c.posts })
    .select(({ u, p }) => ({ id: f.coalesce(u.id, p.id), n: f.upper(f.coalesce(u.name, p.title)), p })),
  'sources groupBy': (q, c, f) => q.unionAll({ u: c.users, p: c.posts })
    .groupBy(({ u, p }) => f.coalesce(u.id, p.userId))
    .select(({ u, p }) => ({ who: f.coalesce(u.id, p.userId), n: f.count(p.id), likes: f.sum(p.likes) })),
  'sources join': (q, c, f) => q.unionAll({ u: c.users, p: c.posts })
    .join({ t: c.users }, ({ u, p, t }) => f.eq(f.coalesce(u.id, p.userId), t.id), 'inner')
    .select(({ u, p, t }) => ({ a: f.coalesce(u.name, p.title), t: t.name })),
  'one collection twice': (q, c) => q.unionAll({ a: c.users, b: c.users }),
  'branches': (q, c, f, Q) => q.unionAll(Q().from({ u: c.users }), Q().from({ p: c.posts })),
  'branches select orderBy': (q, c, f, Q) => q.unionAll(
    Q().from({ u: c.users }).select(({ u }) => ({ id: u.id, v: u.team, label: u.name })),
    Q().from({ p: c.posts }).where(({ p }) => f.gt(p.likes, 0)).select(({ p }) => ({ id: p.id, v: p.likes, label: p.title })),
  ).where((r) => f.gte(r.v, 1)).orderBy((r) => r.v).orderBy((r) => r.id).offset(1).limit(4),
  'branches join': (q, c, f, Q) => q.unionAll(Q().from({ u: c.users }), Q().from({ p: c.posts }))
    .join({ t: c.users }, (r) => f.eq(r.userId, r.t.id)),
  'branches groupBy': (q, c, f, Q) => q.unionAll(
    Q().from({ u: c.users }).select(({ u }) => ({ k: u.team })),
    Q().from({ p: c.posts }).select(({ p }) => ({ k: p.likes })),
  ).groupBy((r) => r.k).select((r) => ({ k: r.k, n: f.count(r.k) })),
  'nested and as a subquery': (q, c, f, Q) => q.from({
    s: Q().unionAll(Q().unionAll({ x: c.users, y: c.posts }), Q().from({ z: c.posts }).where(({ z }) => f.eq(z.likes, 0))),
  }).select(({ s }) => ({ v: s })),
}

function read(c) {
  let initial
  c.subscribeChanges((ch) => { initial = ch }, { includeInitialState: true }).unsubscribe()
  return {
    keys: [...c.keys()],
    values: [...c.values()].map(plain),
    size: c.size,
    has: [...c.keys()].map((k) => c.has(k)),
    get: [...c.keys()].map((k) => plain(c.get(k))),
    initial: initial.map((x) => [x.type, x.key, plain(x.value)]),
  }
}

// The changes a subscriber saw, as a set.
const changeSet = (changes) => changes.map((x) => `${x.type} ${JSON.stringify(x.key)} ${JSON.stringify(plain(x.value))}`).sort()

test('unionAll: rows, keys, order and live changes as TanStack DB 0.15.2', async () => {
  const url = await createStream(srv.url)
  await appendEvents(url, ...users.map((u) => schema.users.insert({ value: u })), ...posts.map((p) => schema.posts.insert({ value: p })))
  const db = S.createStreamDB({ streamOptions: { url, contentType: 'application/json' }, state: schema })
  await db.preload()
  const tan = {
    users: T.createCollection(T.localOnlyCollectionOptions({ id: 'users', getKey: (u) => u.id, initialData: users })),
    posts: T.createCollection(T.localOnlyCollectionOptions({ id: 'posts', getKey: (p) => p.id, initialData: posts })),
  }
  const pairs = []
  for (const [name, build] of Object.entries(queries)) {
    const ours = S.liveQuery((q) => build(q, db.collections, S, () => new S.Query()))
    const theirs = T.createLiveQueryCollection({ query: (q) => build(q, tan, T, () => new T.Query()) })
    await Promise.all([ours.preload(), theirs.preload()])
    assert.deepEqual(read(ours), read(theirs), name)
    const seen = { ours: [], theirs: [] }
    // With the initial state (then dropped): TanStack's subscription reports
    // only changes of rows it has sent (an update of another as an insert,
    // not its delete).
    const sub = (c, into) => { let first = true; c.subscribeChanges((ch) => { if (!first) into.push(...ch); first = false }, { includeInitialState: true }) }
    sub(ours, seen.ours)
    sub(theirs, seen.theirs)
    pairs.push({ name, ours, theirs, seen, mirror: new Map([...ours.entries()].map(([k, v]) => [k, plain(v)])) })
  }
  assert.ok(pairs.every((p) => p.ours.size > 0), 'every query has rows')

  // The same changes on both sides, then the same results and the same
  // change events.
  const steps = [
    [schema.users.update({ value: { id: 'u1', name: 'Zoe', team: 5 } }), () => tan.users.update('u1', (d) => { d.name = 'Zoe'; d.team = 5 })],
    [schema.posts.delete({ key: 'p2' }), () => tan.posts.delete('p2')],
    [schema.posts.insert({ value: { id: 'p4', userId: 'u2', title: 'new', likes: 7 } }), () => tan.posts.insert({ id: 'p4', userId: 'u2', title: 'new', likes: 7 })],
    [schema.users.delete({ key: 'u3' }), () => tan.users.delete('u3')],
  ]
  for (const [i, [event, mirror]] of steps.entries()) {
    for (const p of pairs) p.seen.ours.length = p.seen.theirs.length = 0
    mirror()
    await appendEvents(url, event)
    await until(() => pairs.every((p) => p.ours.size === p.theirs.size && p.seen.theirs.length === 0 === (p.seen.ours.length === 0)), `step ${i}`)
    await new Promise((r) => setTimeout(r, 30))
    for (const p of pairs) {
      assert.deepEqual(read(p.ours), read(p.theirs), `${p.name}, after step ${i}`)
      // Our change feed, applied to the previous result, gives the new one.
      for (const c of p.seen.ours) {
        if (c.type === 'delete') assert.ok(p.mirror.delete(c.key), `${p.name}: delete of an absent key ${c.key}`)
        else p.mirror.set(c.key, plain(c.value))
      }
      assert.deepEqual(new Map([...p.ours.entries()].map(([k, v]) => [k, plain(v)])), p.mirror, `${p.name}: change feed of step ${i}`)
      assert.deepEqual(changeSet(p.seen.ours), changeSet(p.seen.theirs), `${p.name}: changes of step ${i}`)
    }
  }
  for (const p of pairs) p.ours.dispose?.()
  db.close()
})

test('unionAll rejects what TanStack DB rejects, with its error classes', async () => {
  const url = await createStream(srv.url)
  const db = S.createStreamDB({ streamOptions: { url, contentType: 'application/json' }, state: schema })
  const tan = { users: T.createCollection(T.localOnlyCollectionOptions({ id: 'users2', getKey: (u) => u.id, initialData: users })) }
  const cases = {
    'nothing': (q) => q.unionAll(),
    'null': (q) => q.unionAll(null),
    'a string': (q) => q.unionAll('users'),
    'an array': (q, c) => q.unionAll([c.users]),
    'an empty object': (q) => q.unionAll({}),
    'a value that is no source': (q, c) => q.unionAll({ a: 5, b: c.users }),
    'a query without from': (q, c, Q) => q.unionAll(Q(), Q().from({ a: c.users })),
  }
  for (const [name, build] of Object.entries(cases)) {
    let theirs, ours
    try { build(new T.Query(), tan, () => new T.Query()) } catch (e) { theirs = e }
    try { build(new S.Query(), db.collections, () => new S.Query()) } catch (e) { ours = e }
    assert.ok(theirs, `${name}: TanStack throws`)
    assert.ok(ours, `${name}: ours throws`)
    assert.equal(ours.name, theirs.constructor.name, name)
    assert.ok(ours instanceof S[theirs.constructor.name], `${name}: instanceof ${theirs.constructor.name}`)
    assert.ok(ours instanceof S.QueryBuilderError, name)
  }
  // Two queries with one alias: TanStack's compiler throws (an Error);
  // ours when the live query is made, naming the alias.
  const dup = (q, c, Q) => q.unionAll(Q().from({ a: c.users }), Q().from({ a: c.users }))
  assert.throws(() => T.createLiveQueryCollection({ query: (q) => dup(q, tan, () => new T.Query()) }).preload(), /a/)
  assert.throws(() => S.liveQuery((q) => dup(q, db.collections, () => new S.Query())), (e) => e instanceof S.QueryCompileError && /duplicate source alias "a" in unionAll/.test(e.message))
  db.close()
})
