// Issue 15, item 4, through the package in Node: memory stays bounded
// however large a response is, and a Go program that dies does not take
// StreamDB with it. The package is imported after WebAssembly.instantiate
// is wrapped, so that the test can read the module's linear memory.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import http from 'node:http'
import { startServer, createStream, appendEvents, until } from './server.mjs'

let memory
const instantiate = WebAssembly.instantiate
WebAssembly.instantiate = async (...args) => {
  const r = await instantiate(...args)
  memory ??= r.instance.exports.mem
  return r
}
const { createStateSchema, createStreamDB, liveQuery, eq, ModuleExitedError, StreamDBError } = await import('@streamdb/streamdb')
const { liveModule } = await import('../../js/wasm.js')
const { z } = await import('zod')

const schema = createStateSchema({
  users: { schema: z.object({ id: z.string(), n: z.number(), pad: z.string() }), type: 'user', primaryKey: 'id' },
})

let srv
before(async () => { srv = await startServer({ longPollMs: 1000 }) })
after(async () => { await srv?.stop() })

// serveHuge answers every GET with one up-to-date, closed JSON-mode
// response of `events` updates to 100 users, made as it is sent: the
// reference server holds what it serves in memory, this one does not.
function serveHuge(events) {
  const server = http.createServer(async (req, res) => {
    res.writeHead(200, {
      'content-type': 'application/json',
      'stream-next-offset': '0000000000000001_0000000000000001',
      'stream-up-to-date': 'true',
      'stream-closed': 'true',
    })
    const pad = 'p'.repeat(400)
    res.write('[')
    let i = 0
    const more = () => {
      while (i < events) {
        let chunk = ''
        for (const end = Math.min(events, i + 2000); i < end; i++) {
          chunk += `${i ? ',' : ''}{"type":"user","key":"u${i % 100}","value":{"id":"u${i % 100}","n":${i},"pad":"${pad}"},"headers":{"operation":"upsert"}}`
        }
        if (!res.write(chunk)) return res.once('drain', more)
      }
      res.end(']')
    }
    more()
  })
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)))
}

test('a 200 MB catch-up response of updates to 100 rows is applied in a bounded window of memory', async () => {
  const events = 400_000 // about 200 MB
  const server = await serveHuge(events)
  const progress = []
  try {
    const db = createStreamDB({
      streamOptions: { url: `http://127.0.0.1:${server.address().port}/s`, contentType: 'application/json' },
      state: schema,
      live: false,
      onProgress: (p) => progress.push(p),
    })
    await db.preload()
    const users = db.collections.users
    assert.equal(users.size, 100)
    assert.equal(users.get('u0').n, events - 100, 'the last update of each row won')
    const last = progress.at(-1)
    assert.equal(last.events, events)
    assert.ok(last.bytes > 190e6, `${last.bytes} bytes read`)
    assert.ok(progress.length > 100, `progress while reading (${progress.length} reports), not once at the end`)
    const mib = memory.buffer.byteLength / 2 ** 20
    console.log(`wasm memory after a ${(last.bytes / 2 ** 20).toFixed(0)} MiB response: ${mib.toFixed(0)} MiB`)
    assert.ok(mib < 100, `wasm memory ${mib.toFixed(0)} MiB: the response was held`)
    db.close()
  } finally {
    server.close()
  }
})

test('when the Go program dies, everything pending rejects with ModuleExitedError and a new StreamDB starts afresh', async () => {
  const url = await createStream(srv.url)
  await appendEvents(url, schema.users.insert({ value: { id: 'a', n: 1, pad: '' } }))
  const errors = []
  const states = []
  const db = createStreamDB({ streamOptions: { url, contentType: 'application/json' }, state: schema, onError: (e) => errors.push(e) })
  db.subscribeConnection((c) => states.push(c.state))
  await db.preload()
  const q = liveQuery((b) => b.from({ u: db.collections.users }).where(({ u }) => eq(u.n, 1)))
  assert.equal(q.status, 'ready')
  const slow = db.utils.awaitTxId('never', Infinity)

  liveModule().crash('a fatal error, as out of memory is')
  await assert.rejects(slow, (e) => e instanceof ModuleExitedError && e instanceof StreamDBError && e.code === 'MODULE_EXITED' && /panic: streamdb: a fatal error, as out of memory is;/.test(e.message))
  await new Promise((r) => setTimeout(r, 50))
  assert.ok(errors.some((e) => e instanceof ModuleExitedError), 'onError heard of it')
  assert.equal(db.connection.state, 'failed')
  assert.ok(db.connection.error instanceof ModuleExitedError)
  assert.deepEqual(states.slice(-1), ['failed'])
  assert.equal(db.collections.users.status, 'error')
  assert.equal(q.status, 'error')
  await assert.rejects(db.stream.append(schema.users.insert({ value: { id: 'b', n: 2, pad: '' } })), ModuleExitedError)
  assert.throws(() => db.collections.users.get('a'), ModuleExitedError, 'a read says why, rather than "Go program has already exited"')
  db.close() // closing a db of a dead module is fine

  const fresh = createStreamDB({ streamOptions: { url, contentType: 'application/json' }, state: schema })
  await fresh.preload()
  assert.deepEqual(fresh.collections.users.get('a'), { id: 'a', n: 1, pad: '', _seq: 0 })
  await fresh.stream.append(schema.users.insert({ value: { id: 'c', n: 3, pad: '' } }))
  await until(() => fresh.collections.users.has('c'), 'the fresh module follows the stream live')
  fresh.close()
})

test('a large live answer (a burst of 5,000 events) is read in parts and every event applied once', async () => {
  const url = await createStream(srv.url)
  await appendEvents(url, schema.users.insert({ value: { id: 'a', n: 0, pad: '' } }))
  const progress = []
  const db = createStreamDB({ streamOptions: { url, contentType: 'application/json' }, state: schema, onProgress: (p) => progress.push(p) })
  await db.preload()
  const before = progress.length
  const burst = []
  for (let i = 0; i < 5000; i++) burst.push(schema.users.upsert({ value: { id: `u${i % 500}`, n: i, pad: 'x'.repeat(200) } }))
  await appendEvents(url, ...burst)
  await until(() => db.collections.users.get('u499')?.n === 4999, 'the burst is applied')
  assert.equal(db.collections.users.size, 501)
  assert.equal(db.collections.users.get('u0').n, 4500)
  assert.equal(db.collections.users.get('u0')._seq, 1 + 4500, 'each event applied once: _seq counts them')
  const live = progress.slice(before)
  assert.equal(live.at(-1).events - progress[before - 1].events, 5000)
  assert.ok(live.length > 1, `the ${(live.at(-1).bytes - progress[before - 1].bytes) >> 10} KiB answer came in parts (${live.length} progress reports)`)
  db.close()
})
