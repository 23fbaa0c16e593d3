// Failures are visible (issue 15, item 2), through the npm package in Node
// against the reference server (behind proxy.mjs for the faults it never
// makes): the connection's state and its subscription, onError for every
// failed attempt, a retry policy that gives up, and fatal answers.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import { createStateSchema, createStreamDB, liveQuery, StreamError } from '@streamdb/streamdb'
import { startServer, createStream, appendEvents, until } from './server.mjs'
import { startProxy } from './proxy.mjs'

let srv
before(async () => { srv = await startServer({ longPollMs: 1000 }) })
after(async () => { await srv?.stop() })

const schema = createStateSchema({ users: { type: 'user', primaryKey: 'id' } })
const user = (id) => schema.users.insert({ value: { id, name: id } })

/** A URL on a port where nothing listens. */
async function unreachable() {
  const s = createServer()
  await new Promise((r) => s.listen(0, '127.0.0.1', r))
  const port = s.address().port
  await new Promise((r) => s.close(r))
  return `http://127.0.0.1:${port}/v1/stream/nowhere`
}

/** watch records every connection state of db. */
function watch(db) {
  const states = []
  db.subscribeConnection((c) => states.push(c))
  return states
}

test('an unreachable server: every attempt is reported, the state says retrying, and a retry limit ends in failed', { timeout: 20000 }, async (t) => {
  const errors = []
  const db = createStreamDB({
    streamOptions: { url: await unreachable() }, state: schema,
    retry: { maxRetries: 3, initialDelayMs: 20, maxDelayMs: 40 },
    onError: (e) => errors.push(e),
  })
  t.after(() => db.close())
  assert.equal(db.connection.state, 'connecting')
  const states = watch(db)
  await assert.rejects(db.preload(), (e) => e instanceof StreamError)
  assert.deepEqual(states.map((s) => s.state), ['retrying', 'retrying', 'retrying', 'failed'])
  assert.deepEqual(states.slice(0, 3).map((s) => s.attempt), [1, 2, 3])
  for (const s of states.slice(0, 3)) {
    assert.ok(s.delayMs >= 0 && s.delayMs <= 40, `delay ${s.delayMs}`)
    assert.ok(s.error instanceof StreamError, 'each retry carries its failure')
  }
  assert.equal(db.connection.state, 'failed')
  assert.ok(db.connection.error instanceof StreamError)
  assert.ok(errors.length >= 4, `onError for each failed attempt and the end (${errors.length})`)
  assert.equal(db.collections.users.status, 'error')
})

test('without a limit the retries go on, each one reported, until close', { timeout: 20000 }, async (t) => {
  const errors = []
  const db = createStreamDB({
    streamOptions: { url: await unreachable() }, state: schema,
    retry: { initialDelayMs: 10, maxDelayMs: 20 },
    onError: (e) => errors.push(e),
  })
  const states = watch(db)
  const preload = db.preload()
  preload.catch(() => {})
  await until(() => states.length >= 3, 'three retries')
  assert.ok(states.every((s) => s.state === 'retrying'))
  assert.ok(errors.length >= 3)
  db.close()
  await assert.rejects(preload, /closed/i)
  assert.equal(db.connection.state, 'closed')
})

test('a burst of 503s: each is reported while retrying, then the db goes live and nothing is lost', { timeout: 20000 }, async (t) => {
  const url = await createStream(srv.url)
  await appendEvents(url, user('a'))
  let left = 0
  // Once the db is live, the next three reads (long-poll or catch-up) get 503.
  const proxy = await startProxy(srv.url, (req) => (left > 0 && req.method === 'GET' ? (left--, 503) : null))
  t.after(() => proxy.close())
  const errors = []
  const db = createStreamDB({ streamOptions: { url: proxy.url(url) }, state: schema, retry: { initialDelayMs: 10, maxDelayMs: 20 }, onError: (e) => errors.push(e) })
  t.after(() => db.close())
  await db.preload()
  await until(() => db.connection.state === 'live', 'live after preload')
  const states = watch(db)
  left = 3
  await appendEvents(url, user('b'))
  // The long-poll waiting now answers b; the next ones get the 503s.
  await until(() => db.collections.users.has('b'), 'b')
  await appendEvents(url, user('c'))
  await until(() => db.collections.users.has('c'), 'c after the 503s')
  assert.equal(proxy.counts.status, 3)
  assert.deepEqual(states.filter((s) => s.state === 'retrying').map((s) => s.attempt), [1, 2, 3])
  assert.deepEqual(states.filter((s) => s.state === 'retrying').map((s) => s.error.status), [503, 503, 503])
  await until(() => db.connection.state === 'live', 'live again')
  assert.deepEqual(errors.filter((e) => e.status === 503).length, 3, 'onError got each 503')
  assert.deepEqual([...db.collections.users.keys()].sort(), ['a', 'b', 'c'])
})

test('a stream deleted while live ends in failed at once: status error for the collections and live queries', { timeout: 20000 }, async (t) => {
  const url = await createStream(srv.url)
  await appendEvents(url, user('a'))
  const errors = []
  const db = createStreamDB({ streamOptions: { url }, state: schema, onError: (e) => errors.push(e) })
  t.after(() => db.close())
  await db.preload()
  const q = liveQuery((qb) => qb.from({ u: db.collections.users }))
  t.after(() => q.dispose())
  assert.equal(q.status, 'ready')
  const states = watch(db)
  await fetch(url, { method: 'DELETE' })
  await until(() => db.connection.state === 'failed', 'failed')
  assert.ok(!states.some((s) => s.state === 'retrying'), 'a 404 is not retried')
  assert.equal(db.connection.error.status, 404)
  assert.equal(db.collections.users.status, 'error')
  assert.equal(q.status, 'error')
  assert.deepEqual(errors.map((e) => e.status), [404], 'one onError')
  assert.deepEqual([...db.collections.users.keys()], ['a'], 'what was read stays readable')
})

test('live: false ends in stopped once caught up', async (t) => {
  const url = await createStream(srv.url)
  await appendEvents(url, user('a'))
  const db = createStreamDB({ streamOptions: { url }, state: schema, live: false })
  t.after(() => db.close())
  await db.preload()
  await until(() => db.connection.state === 'stopped', 'stopped')
})

test('retry is checked', () => {
  const url = 'http://127.0.0.1:1/never'
  for (const bad of [5, { maxRetries: -1 }, { initialDelayMs: 'soon' }, { multiplier: Infinity }]) {
    assert.throws(() => createStreamDB({ streamOptions: { url }, state: schema, retry: bad }), /retry/)
  }
})

test('when reading fails for good, pending appends reject with the failure, and later ones at once', { timeout: 20000 }, async (t) => {
  const db = createStreamDB({
    streamOptions: { url: await unreachable() }, state: schema,
    retry: { maxRetries: 3, initialDelayMs: 50, maxDelayMs: 100 },
    onError: () => {},
  })
  t.after(() => db.close())
  const pending = db.stream.append(user('a')) // the server is down: retried, until the db fails
  pending.catch(() => {}) // checked below; it may settle before then
  const preload = db.preload()
  await assert.rejects(preload, (e) => e instanceof StreamError)
  // It rejects when its own tries run out or when reading fails, whichever
  // comes first (both follow the db's retry policy).
  await assert.rejects(pending, (e) => e instanceof StreamError, 'the pending append rejects')
  const start = Date.now()
  await assert.rejects(db.stream.append(user('b')), (e) => e === db.connection.error)
  assert.ok(Date.now() - start < 1000, 'at once')
})

test("an append's failed tries are reported, and the db's retry policy bounds them", { timeout: 20000 }, async (t) => {
  const url = await createStream(srv.url)
  let refuse = 0
  const proxy = await startProxy(srv.url, (req) => (req.method === 'POST' && refuse > 0 ? (refuse--, 503) : null))
  t.after(() => proxy.close())
  const errors = []
  const db = createStreamDB({
    streamOptions: { url: proxy.url(url) }, state: schema,
    retry: { maxRetries: 2, initialDelayMs: 10, maxDelayMs: 20 },
    onError: (e) => errors.push(e),
  })
  t.after(() => db.close())
  await db.preload()
  refuse = 2
  await db.stream.append(user('a')) // two 503s, then through
  assert.deepEqual(errors.map((e) => e.status), [503, 503], 'each failed try went to onError')
  await until(() => db.collections.users.has('a'), 'a')
  refuse = 10
  await assert.rejects(db.stream.append(user('b')), (e) => e instanceof StreamError && e.status === 503, 'the policy gave up')
  assert.equal(errors.filter((e) => e.status === 503).length, 4)
  assert.equal(db.connection.state, 'live', 'reading is not affected')
})
