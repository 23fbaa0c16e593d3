// Collections no stream feeds (issue 18, item 1): createCollection with a
// sync function, localOnlyCollectionOptions, queries that join them with a
// StreamDB's collections, and a live query as another query's source. Each
// scenario runs twice, through @durable-streams/state/db 0.3.1 (the
// reference, whose collections are @tanstack/db 0.15.2's) and through our
// ./db entry, and what a user sees must be the same.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import * as ours from '@streamdb/streamdb/db'
import * as ref from '@durable-streams/state/db'
import { startServer, createStream, appendEvents } from './server.mjs'

let srv
before(async () => { srv = await startServer({ longPollMs: 500 }) })
after(async () => { await srv?.stop() })

// Rows without what only one side adds (our _seq, TanStack's $ fields).
const plain = (v) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).filter(([k]) => k !== '_seq' && !k.startsWith('$')).map(([k, x]) => [k, plain(x)])) : v)
const settle = () => new Promise((r) => setTimeout(r, 30))
const rows = (c) => c.toArray.map(plain)
const changes = (ch) => ch.map((c) => [c.type, String(c.key), plain(c.value)])

// run runs scenario with each library and compares what each recorded.
async function both(scenario) {
  const a = await scenario(ref, 'ref')
  const b = await scenario(ours, 'ours')
  assert.deepEqual(b, a)
  return b
}

test('localOnlyCollectionOptions: reads, live queries, writes with and without handlers, transactions', async () => {
  const out = await both(async (L, tag) => {
    const seen = []
    const log = (what, v) => seen.push([what, v])
    const handled = []
    const todos = L.createCollection(L.localOnlyCollectionOptions({
      id: `todos-${tag}`,
      getKey: (t) => t.id,
      initialData: [{ id: 'a', text: 'milk', done: false, n: 3 }, { id: 'b', text: 'eggs', done: true, n: 1 }],
      onUpdate: async ({ transaction }) => {
        handled.push(transaction.mutations.map((m) => [m.type, String(m.key), plain(m.modified)]))
        if (transaction.mutations.some((m) => m.modified.text === 'refused')) throw new Error('refused by the handler')
      },
    }))
    log('status', todos.status)
    log('rows', rows(todos))
    log('get', [plain(todos.get('a')), todos.get('zz'), todos.has('b'), todos.size, [...todos.keys()].map(String)])
    const calls = []
    const sub = todos.subscribeChanges((ch) => calls.push(changes(ch)), { includeInitialState: true })
    const open = L.createLiveQueryCollection((q) => q.from({ t: todos }).where(({ t }) => L.eq(t.done, false)).orderBy(({ t }) => t.n, 'desc'))
    await open.preload()
    log('open', rows(open))

    const tx = todos.insert({ id: 'c', text: 'bread', done: false, n: 7 })
    log('insert: open at once', rows(open))
    await tx.isPersisted.promise
    await settle()
    log('insert: persisted', [tx.state, rows(todos), rows(open)])

    const up = todos.update('a', (d) => { d.done = true })
    await up.isPersisted.promise
    await settle()
    log('update', [up.state, rows(open), handled.length])

    const bad = todos.update('b', (d) => { d.text = 'refused' })
    log('refused: at once', plain(todos.get('b')))
    await bad.isPersisted.promise.catch((e) => log('refused: error', e.message))
    await settle()
    log('refused: rolled back', [bad.state, plain(todos.get('b'))])

    const del = todos.delete('c')
    await del.isPersisted.promise
    await settle()
    log('delete', [rows(todos), rows(open)])

    try {
      todos.insert({ id: 'a', text: 'again' })
    } catch (e) {
      log('duplicate', e.constructor.name)
      if (L === ours) assert.ok(e instanceof ours.DuplicateKeyError)
    }

    // A transaction of one's own: acceptMutations makes the writes stay.
    const manual = L.createTransaction({ autoCommit: false, mutationFn: async ({ transaction }) => { todos.utils.acceptMutations(transaction) } })
    manual.mutate(() => {
      todos.insert({ id: 'd', text: 'tea', done: false, n: 2 })
      todos.update('b', (d) => { d.n = 10 })
    })
    log('manual: pending', [manual.state, rows(open)])
    await manual.commit()
    await settle()
    log('manual: committed', [manual.state, rows(todos), rows(open)])
    sub.unsubscribe()
    log('changes', calls)
    log('handled', handled)
    return seen
  })
  assert.ok(out.length > 10)
})

test('createCollection with a sync function: status, batches, truncate, errors', async () => {
  await both(async (L, tag) => {
    const seen = []
    const log = (what, v) => seen.push([what, v])
    let s // the sync functions
    const items = L.createCollection({
      id: `items-${tag}`,
      getKey: (r) => r.sku,
      sync: { sync: (params) => { s = params; return () => log('cleanup', true) } },
    })
    log('before', [items.status, items.size])
    const first = items.preload()
    log('preloading', items.status)
    s.begin()
    s.write({ type: 'insert', value: { sku: 'x1', qty: 1, name: 'bolt' } })
    s.write({ type: 'insert', value: { sku: 'x2', qty: 5, name: 'nut' } })
    s.commit()
    log('written before ready', [items.status, rows(items)])
    s.markReady()
    await first
    log('ready', items.status)
    const big = L.createLiveQueryCollection((q) => q.from({ i: items }).where(({ i }) => L.gt(i.qty, 2)).select(({ i }) => ({ sku: i.sku, qty: i.qty })))
    await big.preload()
    log('query', rows(big))

    s.begin()
    s.write({ type: 'update', value: { sku: 'x1', qty: 9 } }) // partial: merged
    s.write({ type: 'delete', key: 'x2' })
    s.write({ type: 'insert', value: { sku: 'x3', qty: 4, name: 'washer' } })
    s.commit()
    await settle()
    log('batch', [rows(items), rows(big)])

    s.begin()
    s.truncate()
    s.write({ type: 'insert', value: { sku: 'y', qty: 100, name: 'bin' } })
    s.commit()
    await settle()
    log('truncate', [rows(items), rows(big)])

    try {
      s.begin()
      s.write({ type: 'insert', value: { sku: 'y', qty: 1, name: 'other' } })
      s.commit()
    } catch (e) {
      log('duplicate sync insert', e.constructor.name)
      if (L === ours) assert.ok(e instanceof ours.DuplicateKeySyncError)
    }
    await settle()
    log('after refusal', rows(items))
    try {
      items.insert({ sku: 'z' })
    } catch (e) {
      log('no handler', [e.constructor.name, e.message])
      if (L === ours) assert.ok(e instanceof ours.MissingInsertHandlerError)
    }
    try {
      L.createCollection({ getKey: (r) => r.id })
    } catch (e) {
      log('no sync', e.message)
    }
    return seen
  })
})

test('a query joins a local collection with a StreamDB\'s, and a live query is a source', async () => {
  const url = await createStream(srv.url)
  // Any value passes (the reference's event helpers need a Standard Schema).
  const any = { '~standard': { version: 1, vendor: 'test', validate: (value) => ({ value }) } }
  const schemaOf = (L) => L.createStateSchema({ users: { schema: any, type: 'user', primaryKey: 'id' }, posts: { schema: any, type: 'post', primaryKey: 'id' } })
  const s0 = schemaOf(ours)
  await appendEvents(url,
    s0.users.insert({ value: { id: 'u1', name: 'Ann' } }),
    s0.users.insert({ value: { id: 'u2', name: 'Bo' } }),
    s0.posts.insert({ value: { id: 'p1', by: 'u1', title: 'hello' } }),
    s0.posts.insert({ value: { id: 'p2', by: 'u2', title: 'world' } }),
    s0.posts.insert({ value: { id: 'p3', by: 'u1', title: 'again' } }))
  let round = 0
  await both(async (L) => {
    const seen = []
    const log = (what, v) => seen.push([what, v])
    const schema = schemaOf(L)
    const db = L.createStreamDB({ streamOptions: { url, contentType: 'application/json' }, state: schema })
    await db.preload()
    // Which posts the viewer has starred: kept in the page only.
    const stars = L.createCollection(L.localOnlyCollectionOptions({ id: `stars-${round++}`, getKey: (s) => s.post, initialData: [{ post: 'p2', at: 1 }] }))
    const starred = L.createLiveQueryCollection((q) => q.from({ s: stars })
      .join({ p: db.collections.posts }, ({ s, p }) => L.eq(s.post, p.id), 'inner')
      .join({ u: db.collections.users }, ({ p, u }) => L.eq(p.by, u.id), 'inner')
      .orderBy(({ s }) => s.at)
      .select(({ p, u, s }) => ({ title: p.title, author: u.name, at: s.at })))
    await starred.preload()
    log('first', rows(starred))
    await stars.insert({ post: 'p1', at: 2 }).isPersisted.promise
    await settle()
    log('local insert', rows(starred))
    await appendEvents(url, schema.posts.update({ value: { id: 'p1', by: 'u1', title: 'hello!' } }))
    // wait until the stream's change reached the join
    for (let i = 0; i < 100 && !rows(starred).some((r) => r.title === 'hello!'); i++) await settle()
    log('stream update', rows(starred))
    await stars.delete('p2').isPersisted.promise
    await settle()
    log('local delete', rows(starred))

    // A live query collection as the source of another query.
    const titles = L.createLiveQueryCollection((q) => q.from({ x: starred }).select(({ x }) => ({ t: x.title })))
    await titles.preload()
    log('from a live query', rows(titles))
    await stars.insert({ post: 'p3', at: 0 }).isPersisted.promise
    await settle()
    log('from a live query, after a change', rows(titles))
    await appendEvents(url, schema.posts.update({ value: { id: 'p1', by: 'u1', title: 'hello' } }))
    for (let i = 0; i < 100 && rows(starred).some((r) => r.title === 'hello!'); i++) await settle()
    db.close()
    return seen
  })
})
