// The package under misuse, as a user meets it: transactions whose
// mutationFn rejects with a non-Error or never settles, reads and updates
// of missing keys, awaitTxId's timeout argument and timer. Each test runs
// against the reference Durable Streams server.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { createStateSchema, createStreamDB, ClosedError, StreamDBError } from '@streamdb/streamdb'
import { startServer, createStream, appendEvents } from './server.mjs'

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
