// The live path of the npm package in Node, against the reference server
// behind a fault-injecting proxy (proxy.mjs): a long-poll answer reaches the
// module in one piece (js/fetch.js hands it over whole), so one that breaks
// off part-way must be asked for again from the same offset, with nothing
// lost and nothing applied twice; and a live read the proxy keeps silent is
// taken for dead after idleTimeoutMs and made again (issue 15, item 1).
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createStateSchema, createStreamDB, InvalidEventError } from '@streamdb/streamdb'
import { startServer, createStream, appendEvents, until } from './server.mjs'
import { startProxy } from './proxy.mjs'
import { createServer } from 'node:http'

let srv
before(async () => { srv = await startServer({ longPollMs: 1000 }) })
after(async () => { await srv?.stop() })

const schema = createStateSchema({ users: { type: 'user', primaryKey: 'id' } })
const user = (id) => schema.users.insert({ value: { id, name: id } })

test('a long-poll answer cut off mid-body is read again from the same offset: nothing lost, nothing twice', { timeout: 30000 }, async (t) => {
  const url = await createStream(srv.url)
  await appendEvents(url, user('a'))
  let armed = false
  const proxy = await startProxy(srv.url, (req) => {
    if (!armed || !/[?&]live=long-poll/.test(req.url)) return null
    armed = false
    return 'cut'
  })
  t.after(() => proxy.close())
  const events = []
  const db = createStreamDB({ streamOptions: { url: proxy.url(url) }, state: schema, live: 'long-poll', onEvent: (e) => events.push(e.key) })
  t.after(() => db.close())
  await db.preload()
  assert.deepEqual(events, ['a'])

  armed = true
  await appendEvents(url, user('b'), user('c'))
  await until(() => db.collections.users.has('c'), 'b and c to arrive after the cut')
  assert.equal(proxy.counts.cut, 1, 'one answer was cut')
  await appendEvents(url, user('d'))
  await until(() => db.collections.users.has('d'), 'd to arrive')
  assert.deepEqual(events, ['a', 'b', 'c', 'd'], 'every event once, in order')
  assert.deepEqual([...db.collections.users.keys()].sort(), ['a', 'b', 'c', 'd'])
})

for (const live of ['long-poll', 'sse']) {
  test(`a ${live} read that hears nothing is made again after idleTimeoutMs: what was appended meanwhile arrives once`, { timeout: 30000 }, async (t) => {
    const url = await createStream(srv.url)
    await appendEvents(url, user('a'))
    let silence = false
    const proxy = await startProxy(srv.url, (req) => {
      if (!silence || !/[?&]live=/.test(req.url)) return null
      silence = false // only the first live request after arming
      return 'silent'
    })
    t.after(() => proxy.close())
    const events = []
    const errors = []
    const db = createStreamDB({
      streamOptions: { url: proxy.url(url) }, state: schema, live, idleTimeoutMs: 400,
      onEvent: (e) => events.push(e.key), onError: (e) => errors.push(e),
    })
    t.after(() => db.close())
    silence = true
    await db.preload()
    // The live read that follows the preload goes to the silent proxy.
    await until(() => proxy.counts.silent === 1, 'the live read to reach the silent proxy')
    await appendEvents(url, user('b'))
    await until(() => db.collections.users.has('b'), 'b to arrive after the silence')
    assert.deepEqual(events, ['a', 'b'], 'every event once')
    assert.equal(db.collections.users.status, 'ready')
  })
}

test('idleTimeoutMs is checked', () => {
  const url = 'http://127.0.0.1:1/never'
  for (const bad of [-1, 'soon', Infinity, NaN]) {
    assert.throws(() => createStreamDB({ streamOptions: { url }, state: schema, idleTimeoutMs: bad }), /idleTimeoutMs must be a number of milliseconds/)
  }
})

test('header and params functions are called anew for every request, async ones awaited (issue 15, item 5)', { timeout: 30000 }, async (t) => {
  const url = await createStream(srv.url)
  await appendEvents(url, user('a'))
  const seen = []
  const proxy = await startProxy(srv.url, (req) => {
    const q = new URL(req.url, 'http://x').searchParams
    seen.push({ method: req.method, auth: req.headers.authorization, tenant: q.get('tenant'), sig: q.get('sig'), offset: q.get('offset') })
    return null
  })
  t.after(() => proxy.close())
  let token = 0
  let sig = 0
  const db = createStreamDB({
    streamOptions: {
      url: proxy.url(url),
      headers: { authorization: () => `Bearer ${++token}` },
      params: { tenant: 'acme', sig: async () => `s${++sig}` },
    },
    state: schema,
  })
  t.after(() => db.close())
  await db.preload()
  await appendEvents(url, user('b'))
  await until(() => db.collections.users.has('b'), 'b')
  await db.stream.append(user('c'))
  await until(() => db.collections.users.has('c'), 'c')
  const reads = seen.filter((s) => s.method === 'GET')
  const posts = seen.filter((s) => s.method === 'POST')
  assert.ok(reads.length >= 3, `reads: ${reads.length}`)
  assert.equal(posts.length, 1)
  assert.equal(new Set(seen.map((s) => s.auth)).size, seen.length, 'a fresh token on every request')
  assert.equal(new Set(seen.map((s) => s.sig)).size, seen.length, 'a fresh async param on every request')
  assert.ok(seen.every((s) => s.tenant === 'acme' && /^Bearer \d+$/.test(s.auth)))
  assert.equal(reads[0].offset, '-1', "the protocol's offset is kept")
})

test('a header function that throws is a failed attempt: reported, retried, and reading goes on once it works', { timeout: 30000 }, async (t) => {
  const url = await createStream(srv.url)
  await appendEvents(url, user('a'))
  let broken = false
  const errors = []
  const db = createStreamDB({
    streamOptions: { url, headers: { authorization: () => { if (broken) throw new Error('token service down'); return 'Bearer ok' } } },
    state: schema, retry: { initialDelayMs: 10, maxDelayMs: 20 },
    onError: (e) => errors.push(e),
  })
  t.after(() => db.close())
  await db.preload()
  broken = true
  await appendEvents(url, user('b'))
  await until(() => errors.some((e) => /token service down/.test(e.message + (e.cause?.message ?? ''))), 'the failure reported')
  assert.equal(db.connection.state, 'retrying')
  broken = false
  await appendEvents(url, user('c'))
  await until(() => db.collections.users.has('c'), 'c once the token works again')
  assert.deepEqual([...db.collections.users.keys()].sort(), ['a', 'b', 'c'])
})

test('an SSE event above maxEventBytes is one InvalidEventError with its offset; the stream goes on (issue 15, item 3)', { timeout: 30000 }, async (t) => {
  const url = await createStream(srv.url)
  await appendEvents(url, user('a'))
  const errors = []
  const db = createStreamDB({ streamOptions: { url }, state: schema, live: 'sse', maxEventBytes: 1000, onError: (e) => errors.push(e) })
  t.after(() => db.close())
  await db.preload()
  await appendEvents(url, schema.users.insert({ value: { id: 'big', name: 'x'.repeat(3000) } }))
  await until(() => errors.length > 0, 'the oversize event reported')
  assert.ok(errors[0] instanceof InvalidEventError, `${errors[0]?.name}: ${errors[0]?.message}`)
  assert.match(errors[0].message, /longer than 1000 bytes/)
  assert.ok(errors[0].offset, 'with its offset')
  await appendEvents(url, user('b'))
  await until(() => db.collections.users.has('b'), 'b after the oversize event')
  assert.equal(db.collections.users.has('big'), false)
  assert.equal(db.connection.state, 'live')
  assert.equal(errors.length, 1)
})

test('a redirect to another origin does not take the credentials along; reads and appends follow it (issue 15, item 5)', { timeout: 30000 }, async (t) => {
  const url = await createStream(srv.url)
  await appendEvents(url, user('a'))
  const seen = []
  const proxy = await startProxy(srv.url, (req) => {
    seen.push({ method: req.method, auth: req.headers.authorization, key: req.headers['x-api-key'], trace: req.headers['x-trace'] })
    return null
  })
  t.after(() => proxy.close())
  // The stream's new home: the same proxy under another origin (localhost
  // is not 127.0.0.1 to fetch).
  const home = new URL(proxy.url(url))
  home.hostname = 'localhost'
  const redirector = createServer((req, res) => {
    res.writeHead(307, { location: new URL(req.url, home).href }).end()
  })
  await new Promise((r) => redirector.listen(0, '127.0.0.1', r))
  t.after(() => new Promise((r) => (redirector.closeAllConnections(), redirector.close(r))))
  const moved = `http://127.0.0.1:${redirector.address().port}${new URL(url).pathname}`
  const db = createStreamDB({
    streamOptions: { url: moved, headers: { authorization: 'Bearer secret', 'x-api-key': 'k', 'x-trace': 't' } },
    state: schema,
  })
  t.after(() => db.close())
  await db.preload()
  assert.ok(db.collections.users.has('a'), 'read through the redirect')
  await db.stream.append(user('b'))
  await until(() => db.collections.users.has('b'), 'b appended through the redirect')
  assert.ok(seen.some((s) => s.method === 'POST'), 'the append followed the 307')
  assert.ok(seen.length >= 3)
  for (const s of seen) {
    assert.equal(s.auth, undefined, 'no Authorization at the other origin')
    assert.equal(s.key, undefined, 'no x-api-key at the other origin')
    assert.equal(s.trace, 't', 'other headers go along')
  }
})
