// A live query is usable as TanStack DB's live query collection (issue 18,
// item 3): the same read API, answering the same as
// @tanstack/db 0.15.2's createLiveQueryCollection over the same rows.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import * as T from '@tanstack/db'
import { createStateSchema, createStreamDB, liveQuery, gt, LiveQuery, createLiveQueryCollection, queryOnce, buildQuery } from '@streamdb/streamdb'
import { startServer, createStream, appendEvents } from './server.mjs'

let srv
before(async () => { srv = await startServer({ longPollMs: 1000 }) })
after(async () => { await srv?.stop() })

const users = [
  { id: 'u3', name: 'Cy', team: 2 },
  { id: 'u1', name: 'Ann', team: 1 },
  { id: 'u4', name: 'Bo', team: 3 },
  { id: 'u2', name: 'Dee', team: 2 },
]
const schema = createStateSchema({ users: { type: 'user', primaryKey: 'id' } })

// Rows without what only one side adds (our _seq, TanStack's $ fields).
const plain = (v) => (v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).filter(([k]) => k !== '_seq' && !k.startsWith('$'))) : v)
const plainEntries = (it) => [...it].map(([k, v]) => [k, plain(v)])

// What a reader of a live query collection sees, through each part of the API.
function read(c) {
  const each = []
  c.forEach((v, k) => each.push([k, plain(v)]))
  let initial
  c.subscribeChanges((ch) => { initial = ch }, { includeInitialState: true }).unsubscribe()
  return {
    keys: [...c.keys()],
    values: [...c.values()].map(plain),
    entries: plainEntries(c.entries()),
    iterated: plainEntries(c),
    forEach: each,
    toArray: c.toArray.map(plain),
    size: c.size,
    has: ['u1', 'u2', 'u3', 'u4', 'nope'].map((k) => c.has(k)),
    get: ['u1', 'u4', 'nope'].map((k) => plain(c.get(k))),
    state: plainEntries(c.state),
    asChanges: c.currentStateAsChanges().map((x) => [x.type, x.key, plain(x.value)]),
    initial: initial.map((x) => [x.type, x.key, plain(x.value)]),
    status: c.status,
    isReady: c.isReady(),
  }
}

test('a live query answers as TanStack DB\'s live query collection does', async () => {
  const tanUsers = T.createCollection(T.localOnlyCollectionOptions({ id: 'users', getKey: (u) => u.id, initialData: users }))
  const url = await createStream(srv.url)
  await appendEvents(url, ...users.map((u) => schema.users.insert({ value: u })))
  const db = createStreamDB({ streamOptions: { url, contentType: 'application/json' }, state: schema })

  const queries = {
    'where, no orderBy': (q, u, f) => q.from({ u }).where(({ u }) => f.gt(u.team, 1)),
    'orderBy name desc': (q, u) => q.from({ u }).orderBy(({ u }) => u.name, 'desc'),
  }
  const ours = {}
  const firstReady = {}
  for (const [name, build] of Object.entries(queries)) {
    ours[name] = liveQuery((q) => build(q, db.collections.users, { gt }))
    assert.ok(ours[name] instanceof LiveQuery)
    assert.equal(ours[name].status, 'loading')
    assert.equal(ours[name].isReady(), false)
    firstReady[name] = 0
    ours[name].onFirstReady(() => firstReady[name]++)
  }
  await Promise.all(Object.values(ours).map((lq) => lq.preload()))
  await new Promise((r) => setTimeout(r, 10))
  for (const [name, build] of Object.entries(queries)) {
    const tan = T.createLiveQueryCollection({ query: (q) => build(q, tanUsers, { gt: T.gt }) })
    let tanReady = 0
    tan.onFirstReady(() => tanReady++)
    await tan.preload()
    await new Promise((r) => setTimeout(r, 10))
    const lq = ours[name]
    assert.deepEqual(read(lq), read(tan), name)
    assert.equal(firstReady[name], tanReady, `${name}: onFirstReady calls`)
    assert.match(lq.id, /^live-query-\d+$/)
    let late = 0
    lq.onFirstReady(() => late++)
    await new Promise((r) => setTimeout(r, 0))
    assert.equal(late, 1, `${name}: onFirstReady on a ready query runs at once`)
    assert.deepEqual((await lq.toArrayWhenReady()).map(plain), (await tan.toArrayWhenReady()).map(plain))
    assert.deepEqual(plainEntries(await lq.stateWhenReady()), plainEntries(await tan.stateWhenReady()))
  }
  // createLiveQueryCollection and queryOnce, given a function or { query }.
  for (const [name, build] of Object.entries(queries)) {
    const mine = createLiveQueryCollection({ query: (q) => build(q, db.collections.users, { gt }) })
    const theirs = T.createLiveQueryCollection({ query: (q) => build(q, tanUsers, { gt: T.gt }) })
    await theirs.preload()
    assert.ok(mine instanceof LiveQuery)
    assert.deepEqual(read(mine), read(theirs), `createLiveQueryCollection: ${name}`)
    mine.dispose()
    const once = await queryOnce((q) => build(q, db.collections.users, { gt }))
    assert.deepEqual(once.map(plain), (await T.queryOnce((q) => build(q, tanUsers, { gt: T.gt }))).map(plain), `queryOnce: ${name}`)
  }
  const one = await queryOnce({ query: (q) => q.from({ u: db.collections.users }).where(({ u }) => gt(u.team, 2)).findOne() })
  assert.deepEqual(plain(one), plain(await T.queryOnce({ query: (q) => q.from({ u: tanUsers }).where(({ u }) => T.gt(u.team, 2)).findOne() })))
  // Every method a TanStack live query collection reads with, ours has.
  const tan = T.createLiveQueryCollection({ query: (q) => q.from({ u: tanUsers }) })
  for (const m of ['get', 'has', 'keys', 'values', 'entries', 'forEach', 'isReady', 'preload', 'onFirstReady', 'subscribeChanges', 'toArrayWhenReady', 'stateWhenReady', 'currentStateAsChanges', Symbol.iterator]) {
    assert.equal(typeof tan[m], 'function', `TanStack's has ${String(m)}`)
    assert.equal(typeof ours['where, no orderBy'][m], 'function', `ours has ${String(m)}`)
  }
  db.close()
})

test('createLiveQueryCollection and queryOnce take a built query too, also when a bundler renamed its class', async () => {
  const url = await createStream(srv.url)
  await appendEvents(url, ...users.map((u) => schema.users.insert({ value: u })))
  const db = createStreamDB({ streamOptions: { url, contentType: 'application/json' }, state: schema })
  await db.preload()
  const built = buildQuery((q) => q.from({ u: db.collections.users }).where(({ u }) => gt(u.team, 2)))
  // A minifier renames classes: the query is recognized by what it is, not by its class's name.
  Object.defineProperty(built.constructor, 'name', { value: 'e', configurable: true })
  try {
    assert.deepEqual((await queryOnce(built)).map((u) => u.id), ['u4'])
    const lq = createLiveQueryCollection(built)
    assert.deepEqual(lq.toArray.map((u) => u.id), ['u4'])
    lq.dispose()
    assert.throws(() => createLiveQueryCollection({}), /expected a query function, a query, or \{ query \}/)
  } finally {
    Object.defineProperty(built.constructor, 'name', { value: 'Query', configurable: true })
    db.close()
  }
})
