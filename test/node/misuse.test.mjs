// The package under misuse and odd input, as a user meets it (issue 12,
// items 5 and 6): transactions whose mutationFn rejects with a non-Error or
// never settles, reads and updates of missing keys, awaitTxId's timeout
// argument and timer, keys and values JSON.parse treats specially (lone
// surrogates, 1e400), expression functions called with odd arguments, and
// queries too deep or cyclic to build. Each test runs against the reference
// Durable Streams server.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { createServer } from 'node:http'
import { fileURLToPath } from 'node:url'
import {
  createStateSchema, createStreamDB, liveQuery, eq, like, ilike, not, and,
  ClosedError, StreamDBError, QueryBuilderError,
} from '@streamdb/streamdb'
import { startServer, createStream, appendEvents, until } from './server.mjs'

let srv
before(async () => { srv = await startServer({ longPollMs: 500 }) })
after(async () => { await srv?.stop() })

// Rows are checked by the tests themselves: a schema that accepts anything.
const anything = { '~standard': { version: 1, vendor: 'test', validate: (value) => ({ value }) } }
const schema = createStateSchema({ items: { schema: anything, type: 'item', primaryKey: 'id' } })

/** open opens a preloaded db on a fresh stream holding events, closed after the test. */
async function open(t, events = [], actions) {
  const url = await createStream(srv.url)
  if (events.length) await appendEvents(url, ...events)
  const db = createStreamDB({ streamOptions: { url }, state: schema, actions })
  t.after(() => db.close())
  await db.preload()
  return { db, url }
}

const item = (id, value = {}) => schema.items.insert({ value: { id, ...value } })

/** postRaw appends JSON text as it is (escapes JSON.stringify would not write). */
async function postRaw(url, text) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: text })
  assert.ok(res.ok, `append: ${res.status}`)
}

// --- item 5: transactions that lie

test('a mutationFn that rejects with a value that is not an Error fails the transaction', async (t) => {
  const reasons = [undefined, null, 0, '', false, 'nope']
  const { db } = await open(t, [], ({ db }) => ({
    add: {
      onMutate: ({ id }) => db.collections.items.insert({ id }),
      mutationFn: async ({ reason }) => { throw reason },
    },
    addSync: {
      onMutate: ({ id }) => db.collections.items.insert({ id }),
      mutationFn: ({ reason }) => { throw reason },
    },
  }))
  for (const action of ['add', 'addSync']) {
    for (const [i, reason] of reasons.entries()) {
      const id = `${action}-${i}`
      const tx = db.actions[action]({ id, reason })
      assert.equal(db.collections.items.get(id)?.id, id, 'optimistic row visible at once')
      // as TanStack DB's normalizeError: an Error of the value's string form
      await assert.rejects(tx.isPersisted.promise, (e) => e instanceof Error && e.message === String(reason))
      assert.equal(tx.state, 'failed', `${action} rejecting with ${String(reason)}`)
      assert.ok(tx.error instanceof Error)
      assert.equal(tx.error.message, String(reason))
      assert.equal(db.collections.items.get(id), undefined, 'rolled back')
    }
  }
  // an Error passes through as it is
  const boom = new TypeError('boom')
  const tx = db.actions.add({ id: 'e', reason: boom })
  await assert.rejects(tx.isPersisted.promise, (e) => e === boom)
  assert.equal(tx.error, boom)
})

test('close fails every transaction whose mutationFn never settles, and drops its rows', async (t) => {
  const { db } = await open(t, [item('synced')], ({ db }) => ({
    hang: {
      onMutate: (id) => db.collections.items.insert({ id }),
      mutationFn: () => new Promise(() => {}),
    },
  }))
  const n = 2000
  const txs = []
  for (let i = 0; i < n; i++) txs.push(db.actions.hang(`h${i}`))
  assert.equal(db.collections.items.size, n + 1)
  const settled = Promise.allSettled(txs.map((tx) => tx.isPersisted.promise))
  db.close()
  for (const tx of txs) assert.equal(tx.state, 'failed', 'failed as soon as close returns')
  const results = await settled
  for (const r of results) {
    assert.equal(r.status, 'rejected')
    assert.ok(r.reason instanceof ClosedError)
    assert.equal(r.reason.code, 'CLOSED')
  }
  assert.ok(txs[0].error instanceof ClosedError)
  assert.equal(db.collections.items.size, 1, 'optimistic rows dropped, synced rows kept')
  assert.equal(db.collections.items.get('h0'), undefined)
  assert.equal(db.collections.items.get('synced').id, 'synced')
  // the module let go of them: a late settlement changes nothing
  await new Promise((r) => setTimeout(r, 50))
  assert.equal(txs[n - 1].state, 'failed')
})

test('a rollback while mutationFn runs fails the transaction at once', async (t) => {
  const { db } = await open(t, [], ({ db }) => ({
    hang: {
      onMutate: (id) => db.collections.items.insert({ id }),
      mutationFn: () => new Promise(() => {}),
    },
  }))
  const tx = db.actions.hang('r')
  tx.rollback()
  assert.equal(tx.state, 'failed')
  await assert.rejects(tx.isPersisted.promise, { code: 'ROLLED_BACK' })
  assert.equal(db.collections.items.get('r'), undefined)
})

// --- item 6a: missing keys

test('get of a missing key is undefined, and update of one throws KEY_NOT_FOUND', async (t) => {
  const { db } = await open(t, [item('a', { n: 1 })], ({ db }) => ({
    bump: {
      onMutate: (key) => db.collections.items.update(key, (d) => { d.n += 1 }),
      mutationFn: async () => {},
    },
  }))
  assert.equal(db.collections.items.get('missing'), undefined)
  assert.equal(db.collections.items.has('missing'), false)
  assert.throws(() => db.actions.bump('missing'), (e) => e instanceof StreamDBError &&
    e.code === 'KEY_NOT_FOUND' && e.key === 'missing' &&
    e.message === 'The key "missing" was passed to update but an object for this key was not found in the collection')
  assert.equal(db.collections.items.get('a').n, 1, 'nothing changed')
})

// --- item 6b: awaitTxId's timeout

test('awaitTxId with a timeout of 0, -1 or NaN fails at once, with a typed error', async (t) => {
  const { db, url } = await open(t)
  for (const timeout of [0, -1]) {
    const start = Date.now()
    await assert.rejects(db.utils.awaitTxId('never', timeout), { code: 'TXID_TIMEOUT', message: 'Timeout waiting for txid: never' })
    assert.ok(Date.now() - start < 1000, `timeout ${timeout} took ${Date.now() - start} ms`)
  }
  for (const timeout of [NaN, '100', null]) {
    const start = Date.now()
    await assert.rejects(db.utils.awaitTxId('never', timeout), (e) => e instanceof StreamDBError && e.code === 'BAD_ARGUMENT')
    assert.ok(Date.now() - start < 1000)
  }
  // a txid already seen resolves even with a timeout that has passed
  await appendEvents(url, schema.items.insert({ value: { id: 'x' }, headers: { txid: 'seen' } }))
  await db.utils.awaitTxId('seen', 5000)
  await db.utils.awaitTxId('seen', 0)
})

test('awaitTxId leaves no timer behind: Node exits once the db is closed', async () => {
  const url = await createStream(srv.url)
  const script = `
    import { createStateSchema, createStreamDB } from '@streamdb/streamdb'
    const anything = { '~standard': { version: 1, vendor: 'test', validate: (value) => ({ value }) } }
    const schema = createStateSchema({ items: { schema: anything, type: 'item', primaryKey: 'id' } })
    const db = createStreamDB({ streamOptions: { url: process.env.URL }, state: schema })
    await db.preload()
    const wait = db.utils.awaitTxId('t1', 15000)
    await fetch(process.env.URL, { method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify([schema.items.insert({ value: { id: '1' }, headers: { txid: 't1' } })]) })
    await wait
    db.close()
    console.log('done', Date.now())
  `
  const cwd = fileURLToPath(new URL('../..', import.meta.url))
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd, env: { ...process.env, URL: url }, stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  child.stdout.on('data', (d) => { out += d })
  const code = await new Promise((resolve) => child.on('exit', resolve))
  const exited = Date.now()
  assert.equal(code, 0)
  const m = out.match(/done (\d+)/)
  assert.ok(m, `the child said ${out}`)
  assert.ok(exited - Number(m[1]) < 3000, `Node stayed alive ${exited - Number(m[1])} ms after the wait`)
})

// --- items 6c and 6d: what JSON.parse gives

test('keys and strings with lone surrogates stay distinct', async (t) => {
  const { db, url } = await open(t)
  // JSON.stringify writes lone surrogates as \\uXXXX escapes
  await postRaw(url, JSON.stringify([
    item('\ud800', { s: 'high \ud800' }),
    item('\udc00', { s: 'low \udc00' }),
    item('\ufffd', { s: 'replacement' }),
    item('\ud83d\ude00', { s: 'pair' }),
  ]))
  const items = db.collections.items
  await until(() => items.size === 4, 'four rows')
  const keys = [...items.keys()].sort()
  assert.deepEqual(keys, ['\ud800', '\ud83d\ude00', '\udc00', '\ufffd'].sort())
  const rows = Object.fromEntries(items.toArray.map((r) => [r.id, r.s]))
  assert.equal(rows['\ud800'], 'high \ud800')
  assert.equal(rows['\udc00'], 'low \udc00')
  assert.equal(rows['\ufffd'], 'replacement')
  assert.equal(rows['\ud83d\ude00'], 'pair')
  const q = liveQuery((q) => q.from({ i: items }).where(({ i }) => eq(i.s, 'low \udc00')))
  t.after(() => q.dispose())
  assert.deepEqual(q.data.map((r) => r.id), ['\udc00'])
})

test('get, has, update and delete of keys with lone surrogates reach their own rows', async (t) => {
  // '\ufffd' is what a lone surrogate becomes in a UTF-8 conversion: the
  // keys around it must not fall onto it, nor onto each other.
  const keys = ['\ud800', '\udc00', 'a\ud800b', '\ufffd', 'a\ufffdb', '\ud83d\ude00']
  const hang = () => new Promise(() => {})
  const { db } = await open(t, keys.map((id, n) => item(id, { n })), ({ db }) => ({
    set: { onMutate: ({ key, n }) => db.collections.items.update(key, (d) => { d.n = n }), mutationFn: hang },
    drop: { onMutate: (key) => db.collections.items.delete(key), mutationFn: hang },
  }))
  const items = db.collections.items
  for (const [n, id] of keys.entries()) {
    const row = items.get(id)
    assert.deepEqual([row?.id, row?.n], [id, n], `get ${JSON.stringify(id)}`)
    assert.equal(items.has(id), true, `has ${JSON.stringify(id)}`)
  }
  for (const missing of ['\udbff', 'a\udfffb', '\ud800\ud800']) {
    assert.equal(items.get(missing), undefined, `get ${JSON.stringify(missing)}`)
    assert.equal(items.has(missing), false, `has ${JSON.stringify(missing)}`)
  }
  assert.throws(() => db.actions.set({ key: '\udbff', n: 0 }), { code: 'KEY_NOT_FOUND' })
  db.actions.set({ key: '\ud800', n: 10 })
  db.actions.set({ key: 'a\ud800b', n: 12 })
  db.actions.drop('\udc00')
  assert.deepEqual(Object.fromEntries(items.toArray.map((r) => [r.id, r.n])),
    { '\ud800': 10, 'a\ud800b': 12, '\ufffd': 3, 'a\ufffdb': 4, '\ud83d\ude00': 5 })
  assert.equal(items.has('\udc00'), false)
  // a delete of a lone-surrogate key that is not there changes nothing
  assert.throws(() => db.actions.drop('\udfff'), { code: 'KEY_NOT_FOUND' })
  assert.equal(items.size, 5)
})

test('collection names and txids with lone surrogates match their stored forms', async (t) => {
  const odd = createStateSchema({ '\ud800': { schema: anything, type: '\udc00', primaryKey: 'id' } })
  const url = await createStream(srv.url)
  await appendEvents(url,
    odd['\ud800'].insert({ value: { id: 'k' }, headers: { txid: 'x\ud800' } }),
    odd['\ud800'].insert({ value: { id: 'l' }, headers: { txid: '\ufffd' } }))
  const db = createStreamDB({ streamOptions: { url }, state: odd })
  t.after(() => db.close())
  await db.preload()
  const c = db.collections['\ud800']
  assert.equal(c.size, 2)
  assert.equal(c.has('k'), true)
  assert.equal(c.get('l')?.id, 'l')
  assert.deepEqual(c.toArray.map((r) => r.id), ['k', 'l'])
  await db.utils.awaitTxId('x\ud800', 0)
  await assert.rejects(db.utils.awaitTxId('x\udc00', 0), { code: 'TXID_TIMEOUT' })
  await assert.rejects(db.utils.awaitTxId('x\ufffd', 0), { code: 'TXID_TIMEOUT' })
  // steps name the collection as the schema does
  const changes = []
  c.subscribeChanges((cs) => changes.push(...cs.map((x) => `${x.type} ${x.key}`)))
  const q = liveQuery((q) => q.from({ o: c }).select(({ o }) => ({ id: o.id })))
  t.after(() => q.dispose())
  await appendEvents(url, odd['\ud800'].insert({ value: { id: 'm' }, headers: { txid: '\udfff' } }))
  await db.utils.awaitTxId('\udfff', 5000)
  await until(() => changes.length > 0, 'the change of m')
  assert.deepEqual(changes, ['insert m'])
  assert.deepEqual(q.data.map((r) => r.id).sort(), ['k', 'l', 'm'])
})

test('a number beyond float64 is Infinity, as JSON.parse makes it', async (t) => {
  // The reference server parses and writes items again (1e400 becomes null
  // there); a server that keeps the bytes, as any conformant one may, is
  // played by a stub answering the catch-up read.
  const body = '[{"type":"item","key":"big","value":{"id":"big","n":1e400,"m":-1e400,"l":[1e999]},"headers":{"operation":"insert"}}]'
  const stub = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'stream-next-offset': '1', 'stream-up-to-date': 'true' })
    res.end(body)
  })
  await new Promise((r) => stub.listen(0, '127.0.0.1', r))
  t.after(() => new Promise((r) => stub.close(r)))
  const db = createStreamDB({ streamOptions: { url: `http://127.0.0.1:${stub.address().port}/s` }, state: schema, live: false })
  t.after(() => db.close())
  await db.preload()
  const row = db.collections.items.get('big')
  assert.equal(row.n, Infinity)
  assert.equal(row.m, -Infinity)
  assert.deepEqual(row.l, [Infinity])
  const q = liveQuery((q) => q.from({ i: db.collections.items }).select(({ i }) => ({ n: i.n })))
  t.after(() => q.dispose())
  assert.deepEqual(q.data, [{ n: Infinity }])
})

// --- item 6e: expression functions with odd arguments (as TanStack DB 0.15.2:
// eq() compares undefined with undefined, which is unknown; like with a
// pattern that is not a string is false, not unknown)

test('eq() without arguments is unknown and like() with a number pattern is false, as in TanStack DB', async (t) => {
  const { db } = await open(t, [item('a', { n: 'x5' }), item('b', { n: '5' }), item('c', { n: 5 })])
  const items = db.collections.items
  const where = (fn) => {
    const q = liveQuery((q) => q.from({ i: items }).where(fn).select(({ i }) => ({ id: i.id })))
    const ids = q.data.map((r) => r.id).sort()
    q.dispose()
    return ids
  }
  assert.deepEqual(where(() => eq()), [])
  assert.deepEqual(where(() => not(eq())), [])
  assert.deepEqual(where(({ i }) => like(i.n, 5)), [])
  assert.deepEqual(where(({ i }) => not(like(i.n, 5))), ['a', 'b', 'c'])
  assert.deepEqual(where(({ i }) => not(ilike(i.n, 5))), ['a', 'b', 'c'])
  const q = liveQuery((q) => q.from({ i: items }).select(({ i }) => ({ id: i.id, e: eq(), l: like(i.n, 5), n: like(i.n, null) })))
  t.after(() => q.dispose())
  assert.deepEqual(q.data.toSorted((x, y) => (x.id < y.id ? -1 : 1)), [
    { id: 'a', e: null, l: false, n: null },
    { id: 'b', e: null, l: false, n: null },
    { id: 'c', e: null, l: false, n: null },
  ])
})

// --- item 6f: queries too deep or cyclic to build

test('a cyclic select, a cyclic or very deep constant, and and() nested 5,000 deep give typed errors', async (t) => {
  const { db } = await open(t, [item('a')])
  const items = db.collections.items
  const typed = (e) => e instanceof StreamDBError && typeof e.code === 'string' && !(e instanceof RangeError)
  const cyclic = { a: 1 }
  cyclic.self = cyclic
  assert.throws(() => liveQuery((q) => q.from({ i: items }).select(() => ({ x: cyclic }))), (e) => typed(e) && /cycl/.test(e.message))
  assert.throws(() => liveQuery((q) => q.from({ i: items }).select(({ i }) => {
    const o = { id: i.id }
    o.again = o
    return o
  })), (e) => typed(e) && /cycl/.test(e.message))
  assert.throws(() => liveQuery((q) => q.from({ i: items }).where(({ i }) => eq(i.n, cyclic))), (e) => e instanceof TypeError && /cyclic/.test(e.message))
  let deepArray = 1
  for (let i = 0; i < 5000; i++) deepArray = [deepArray]
  assert.throws(() => liveQuery((q) => q.from({ i: items }).where(({ i }) => eq(i.n, deepArray))), (e) => typed(e) && /deep/.test(e.message))
  let deepObject = {}
  for (let i = 0; i < 5000; i++) deepObject = { x: deepObject }
  assert.throws(() => liveQuery((q) => q.from({ i: items }).select(() => deepObject)), (e) => typed(e) && /deep/.test(e.message))
  assert.throws(() => {
    let e = eq(1, 1)
    for (let i = 0; i < 5000; i++) e = and(e, true)
    return e
  }, (e) => e instanceof QueryBuilderError && e.code === 'QUERY_BUILDER' && /deep/.test(e.message))
  // within the bound, a deep and() still runs
  let e = eq(1, 1)
  for (let i = 0; i < 100; i++) e = and(e, true)
  const q = liveQuery((q) => q.from({ i: items }).where(() => e))
  t.after(() => q.dispose())
  assert.deepEqual(q.data.map((r) => r.id), ['a'])
})
