// Includes (a subquery as a select field, issue 18 item 4): toArray,
// concat(toArray(...)) and materialize over a stream fed through the
// reference server answer as @tanstack/db 0.15.2 does over the same rows,
// after live child inserts, updates and deletes and parent changes.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import * as T from '@tanstack/db'
import * as S from '@streamdb/streamdb'
import { startServer, createStream, appendEvents } from './server.mjs'

let srv
before(async () => { srv = await startServer({ longPollMs: 1000 }) })
after(async () => { await srv?.stop() })

const schema = S.createStateSchema({ users: { type: 'user', primaryKey: 'id' }, posts: { type: 'post', primaryKey: 'id' } })

// A value without what only one side adds (our _seq, TanStack's $ fields), nested rows included.
function plain(v) {
  if (Array.isArray(v)) return v.map(plain)
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).filter(([k]) => k !== '_seq' && !k.startsWith('$')).map(([k, x]) => [k, plain(x)]))
  return v
}

// The queries, written once for both libraries (f: its functions).
const queries = {
  'toArray of objects, ordered, limit 2 per user': (q, { users, posts }, f) => q.from({ u: users }).select(({ u }) => ({
    id: u.id,
    posts: f.toArray(q.from({ p: posts }).where(({ p }) => f.eq(p.userId, u.id)).orderBy(({ p }) => p.likes, 'desc').limit(2).select(({ p }) => ({ title: p.title, likes: p.likes }))),
  })),
  'toArray of whole rows': (q, { users, posts }, f) => q.from({ u: users }).select(({ u }) => ({ id: u.id, posts: f.toArray(q.from({ p: posts }).where(({ p }) => f.eq(p.userId, u.id))) })),
  'concat(toArray(scalar))': (q, { users, posts }, f) => q.from({ u: users }).select(({ u }) => ({
    id: u.id,
    titles: f.concat(f.toArray(q.from({ p: posts }).where(({ p }) => f.eq(p.userId, u.id)).orderBy(({ p }) => p.title).select(({ p }) => p.title))),
  })),
  'toArray of a constant (one per child)': (q, { users, posts }, f) => q.from({ u: users }).select(({ u }) => ({
    id: u.id,
    marks: f.toArray(q.from({ p: posts }).where(({ p }) => f.eq(p.userId, u.id)).select(() => false)),
  })),
  'materialize(findOne)': (q, { users, posts }, f) => q.from({ u: users }).select(({ u }) => ({
    id: u.id,
    top: f.materialize(q.from({ p: posts }).where(({ p }) => f.eq(p.userId, u.id)).orderBy(({ p }) => p.likes, 'desc').select(({ p }) => ({ title: p.title })).findOne()),
  })),
  'materialize (array) with a filter on the parent': (q, { users, posts }, f) => q.from({ u: users }).select(({ u }) => ({
    id: u.id,
    liked: f.materialize(q.from({ p: posts }).where(({ p }) => f.and(f.eq(p.userId, u.id), f.gte(p.likes, u.min))).select(({ p }) => ({ title: p.title, by: u.name }))),
  })),
}

const users0 = [{ id: 'u1', name: 'Ann', min: 1 }, { id: 'u2', name: 'Bo', min: 5 }, { id: 'u3', name: 'Cy', min: 0 }]
const posts0 = [
  { id: 'p1', userId: 'u1', title: 'b', likes: 3 }, { id: 'p2', userId: 'u1', title: 'a', likes: 1 },
  { id: 'p3', userId: 'u2', title: 'c', likes: 7 }, { id: 'p4', userId: 'u1', title: 'd', likes: 0 },
]

// The steps: each is applied to the stream and to TanStack's collections.
const steps = [
  ['posts', 'insert', { id: 'p5', userId: 'u3', title: 'e', likes: 2 }],
  ['posts', 'update', { id: 'p2', userId: 'u1', title: 'a', likes: 9 }],
  ['posts', 'update', { id: 'p3', userId: 'u1', title: 'c', likes: 7 }], // moves to another parent
  ['posts', 'delete', { id: 'p1' }],
  ['users', 'update', { id: 'u2', name: 'Bob', min: 0 }],
  ['users', 'insert', { id: 'u4', name: 'Di', min: 0 }],
  ['posts', 'insert', { id: 'p6', userId: 'u4', title: 'f', likes: 4 }],
  ['users', 'delete', { id: 'u1' }],
  ['posts', 'update', { id: 'p5', userId: 'u3', title: null, likes: 2 }],
]

test('includes answer as TanStack DB 0.15.2 does, live', { timeout: 60000 }, async (t) => {
  const tan = {
    users: T.createCollection(T.localOnlyCollectionOptions({ id: 'users', getKey: (r) => r.id, initialData: users0 })),
    posts: T.createCollection(T.localOnlyCollectionOptions({ id: 'posts', getKey: (r) => r.id, initialData: posts0 })),
  }
  const url = await createStream(srv.url)
  await appendEvents(url, ...users0.map((v) => schema.users.insert({ value: v })), ...posts0.map((v) => schema.posts.insert({ value: v })))
  const db = S.createStreamDB({ streamOptions: { url, contentType: 'application/json' }, state: schema })
  t.after(() => db.close())
  await db.preload()

  const ours = {}
  const theirs = {}
  for (const [name, build] of Object.entries(queries)) {
    ours[name] = S.liveQuery((q) => build(q, db.collections, S))
    theirs[name] = T.createLiveQueryCollection({ query: (q) => build(q, tan, T) })
  }
  await Promise.all([...Object.values(ours), ...Object.values(theirs)].map((c) => c.preload()))

  const compare = async (when) => {
    for (const name of Object.keys(queries)) {
      const want = plain(theirs[name].toArray)
      let got
      for (let i = 0; i < 200; i++) {
        got = plain(ours[name].toArray)
        if (JSON.stringify(got) === JSON.stringify(want)) break
        await new Promise((r) => setTimeout(r, 10))
      }
      assert.deepEqual(got, want, `${name}, ${when}`)
    }
  }
  await compare('first result')
  for (const [i, [coll, type, row]] of steps.entries()) {
    await appendEvents(url, schema[coll][type](type === 'delete' ? { key: row.id } : { value: row }))
    if (type === 'insert') tan[coll].insert(row)
    else if (type === 'update') tan[coll].update(row.id, (d) => { Object.assign(d, row) })
    else tan[coll].delete(row.id)
    await new Promise((r) => setTimeout(r, 20))
    await compare(`after step ${i} (${type} ${coll} ${row.id})`)
  }
})

test('includes reject what TanStack DB rejects', async () => {
  const db = S.createStreamDB({ streamOptions: { url: await createStream(srv.url), contentType: 'application/json' }, state: schema })
  try {
    const { users, posts } = db.collections
    // No correlation.
    assert.throws(() => S.liveQuery((q) => q.from({ u: users }).select(({ u }) => ({ ps: S.toArray(q.from({ p: posts }).where(({ p }) => S.gt(p.likes, u.min))) }))).toArray, /must have a where clause with an eq\(\) condition/)
    // concat of an object select.
    assert.throws(() => q0(db).select(({ u }) => ({ t: S.concat(S.toArray(new S.Query().from({ p: posts }).where(({ p }) => S.eq(p.userId, u.id)))) })), /requires the subquery to select a scalar value/)
    // An includes field in a grouped query.
    await assert.rejects(async () => {
      const lq = S.liveQuery((q) => q.from({ u: users }).groupBy(({ u }) => u.name).select(({ u }) => ({ n: u.name, ps: S.toArray(q.from({ p: posts }).where(({ p }) => S.eq(p.userId, u.id))) })))
      await lq.preload()
    }, (e) => e instanceof S.NonAggregateExpressionNotInGroupByError)
    // A scalar select at the top.
    assert.throws(() => S.liveQuery((q) => q.from({ u: users }).select(({ u }) => u.name)), /Top-level scalar select\(\) is not supported/)
  } finally {
    db.close()
  }
})

const q0 = (db) => new S.Query().from({ u: db.collections.users })

test('a query builder as a select field reads as a live collection of the child rows, as TanStack DB\'s', { timeout: 30000 }, async (t) => {
  const tan = {
    users: T.createCollection(T.localOnlyCollectionOptions({ id: 'users2', getKey: (r) => r.id, initialData: users0 })),
    posts: T.createCollection(T.localOnlyCollectionOptions({ id: 'posts2', getKey: (r) => r.id, initialData: posts0 })),
  }
  const url = await createStream(srv.url)
  await appendEvents(url, ...users0.map((v) => schema.users.insert({ value: v })), ...posts0.map((v) => schema.posts.insert({ value: v })))
  const db = S.createStreamDB({ streamOptions: { url, contentType: 'application/json' }, state: schema })
  t.after(() => db.close())
  await db.preload()
  const build = (q, { users, posts }, f) => q.from({ u: users }).select(({ u }) => ({
    id: u.id,
    posts: q.from({ p: posts }).where(({ p }) => f.eq(p.userId, u.id)).orderBy(({ p }) => p.likes).select(({ p }) => ({ id: p.id, likes: p.likes })),
  }))
  const ours = S.liveQuery((q) => build(q, db.collections, S))
  const theirs = T.createLiveQueryCollection({ query: (q) => build(q, tan, T) })
  await Promise.all([ours.preload(), theirs.preload()])
  const read = (c) => ({
    size: c.size,
    toArray: plain(c.toArray),
    keys: [...c.keys()],
    iterated: [...c].map(([k, v]) => [k, plain(v)]),
    get: plain(c.get('p1')),
    has: [c.has('p1'), c.has('p3'), c.has('nope')],
  })
  const u1 = (c) => c.get('u1').posts
  assert.deepEqual(read(u1(ours)), read(u1(theirs)))
  const seen = []
  const kept = u1(ours)
  kept.subscribeChanges((ch) => seen.push(...ch.map((x) => [x.type, x.key])))
  await appendEvents(url, schema.posts.insert({ value: { id: 'p9', userId: 'u1', title: 'z', likes: 2 } }), schema.posts.delete({ key: 'p4' }))
  tan.posts.insert({ id: 'p9', userId: 'u1', title: 'z', likes: 2 })
  tan.posts.delete('p4')
  for (let i = 0; i < 200 && !u1(ours).has('p9'); i++) await new Promise((r) => setTimeout(r, 10))
  await new Promise((r) => setTimeout(r, 20))
  assert.deepEqual(read(u1(ours)), read(u1(theirs)), 'after a child insert and delete')
  assert.equal(u1(ours), kept, 'the parent row keeps its child collection')
  assert.deepEqual(seen.sort(), [['delete', 'p4'], ['insert', 'p9']])
})
