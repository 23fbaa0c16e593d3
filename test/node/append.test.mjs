// db.stream.append and db.stream.appendBatch against the reference server,
// compared with the reference client (@durable-streams/client's
// DurableStream) on the same input: what each stores is read back raw
// (GET ?offset=-1) and compared, offsets included (issue 18, item 5).
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createStateSchema, createStreamDB, StreamDBError } from '@streamdb/streamdb'
import { DurableStream } from '@durable-streams/client'
import { createStreamDB as referenceStreamDB, createStateSchema as referenceSchema } from '@durable-streams/state/db'
import { startServer, createStream, until } from './server.mjs'

let srv
before(async () => { srv = await startServer() })
after(async () => { await srv?.stop() })

const schema = createStateSchema({ users: { type: 'user', primaryKey: 'id' } })
const user = (id) => schema.users.insert({ value: { id, name: `user ${id}` } })

/** content reads a stream whole, as the server stores it. */
async function content(url) {
  const res = await fetch(`${url}?offset=-1`)
  assert.equal(res.status, 200)
  return res.json()
}

/** ours returns a StreamDB on url, closed after the test. */
function ours(t, url) {
  const db = createStreamDB({ streamOptions: { url, contentType: 'application/json' }, state: schema, live: 'long-poll' })
  t.after(() => db.close())
  return db
}

function reference(url) {
  return new DurableStream({ url, contentType: 'application/json' })
}

// What both clients take, as @durable-streams/client 0.2.7 types it
// (string | Uint8Array | a promise of one), and what each stores.
const inputs = [
  ['a string holding one event', () => JSON.stringify(user('s'))],
  ['bytes holding one event', () => new TextEncoder().encode(JSON.stringify(user('b')))],
  ['a promise of a string', () => Promise.resolve(JSON.stringify(user('p')))],
  ['a string holding an array (one message)', () => JSON.stringify([user('x'), user('y')])],
]

test('append stores what the reference client stores for the same string, bytes or promise', async (t) => {
  const mine = await createStream(srv.url)
  const theirs = await createStream(srv.url)
  const db = ours(t, mine)
  const ref = reference(theirs)
  for (const [, make] of inputs) {
    await db.stream.append(make())
    await ref.append(make())
  }
  const got = await content(mine)
  assert.equal(got.length, inputs.length, 'one message per append')
  assert.deepEqual(got, await content(theirs))
  assert.deepEqual(got[3], [user('x'), user('y')], 'a string holding an array stays one message, as with the reference')
})

test('append of an array is refused, as the reference client refuses it, and nothing is written', async (t) => {
  const mine = await createStream(srv.url)
  const theirs = await createStream(srv.url)
  const db = ours(t, mine)
  await assert.rejects(db.stream.append([user('a'), user('b')]), (e) =>
    e instanceof StreamDBError && e.code === 'BAD_ARGUMENT' && /appendBatch/.test(e.message))
  await assert.rejects(reference(theirs).append([user('a'), user('b')]))
  for (const bad of [42, null, undefined, true]) {
    await assert.rejects(db.stream.append(bad), (e) => e instanceof StreamDBError && e.code === 'BAD_ARGUMENT', String(bad))
  }
  assert.deepEqual(await content(mine), [])
  assert.deepEqual(await content(theirs), [])
})

test('append of an event object stores its JSON, as the reference stores the JSON text of it', async (t) => {
  const mine = await createStream(srv.url)
  const theirs = await createStream(srv.url)
  const db = ours(t, mine)
  await db.stream.append(user('o'))
  await reference(theirs).append(JSON.stringify(user('o')))
  assert.deepEqual(await content(mine), await content(theirs))
})

test('appendBatch(events) appends N events in one request: N rows here and in the reference StreamDB, the content the reference client writes for the same array', async (t) => {
  const mine = await createStream(srv.url)
  const theirs = await createStream(srv.url)
  const db = ours(t, mine)
  await db.preload()
  const ids = ['1', '2', '3', '4', '5']
  const events = ids.map(user)
  events[1] = JSON.stringify(events[1]) // a string and bytes may stand for an event too
  events[2] = new TextEncoder().encode(JSON.stringify(events[2]))
  const { offset } = await db.stream.appendBatch(events)
  await until(() => db.collections.users.size === 5, '5 rows')
  assert.deepEqual([...db.collections.users.keys()].sort(), ids)
  assert.equal(db.collections.users.get('3').name, 'user 3')

  const got = await content(mine)
  assert.equal(got.length, 5, 'five messages')
  assert.deepEqual(new Set(got.map((e) => e.headers.offset)), new Set([offset]), 'all at the offset of one POST')

  // The reference client's way to send one body that is an array of
  // events: appendStream (the body as given; the server flattens it).
  await reference(theirs).appendStream((async function* () { yield JSON.stringify(ids.map(user)) })())
  assert.deepEqual(got, await content(theirs))

  // The reference StreamDB reads the same five rows.
  const refSchema = referenceSchema({ users: { schema: passThrough, type: 'user', primaryKey: 'id' } })
  const refDB = referenceStreamDB({ streamOptions: { url: mine, contentType: 'application/json' }, state: refSchema, live: false })
  t.after(() => refDB.close())
  await refDB.preload()
  assert.deepEqual([...refDB.collections.users.keys()].sort(), ids)
})

test('appendBatch checks every event before it sends: a bad one fails the batch and nothing is written', async (t) => {
  const mine = await createStream(srv.url)
  const db = ours(t, mine)
  const bad = [
    [[], /empty/],
    [[user('a'), [user('b')]], /event 1: an array/],
    [[user('a'), 7], /event 1/],
    [[user('a'), '{"type":"user"'], /not one JSON value/],
    [[user('a'), `${JSON.stringify(user('b'))},${JSON.stringify(user('c'))}`], /not one JSON value/],
  ]
  for (const [events, message] of bad) {
    await assert.rejects(db.stream.appendBatch(events), (e) => e instanceof StreamDBError && message.test(e.message), String(message))
  }
  await assert.rejects(db.stream.appendBatch(user('a')), (e) => e instanceof StreamDBError && e.code === 'BAD_ARGUMENT')
  assert.deepEqual(await content(mine), [])
})

test('append and appendBatch take an AbortSignal, as the reference client does', async (t) => {
  const mine = await createStream(srv.url)
  const db = ours(t, mine)
  const reason = new Error('not wanted')
  await assert.rejects(db.stream.append(user('a'), { signal: AbortSignal.abort(reason) }), (e) => e === reason)
  await assert.rejects(db.stream.appendBatch([user('a')], { signal: AbortSignal.abort(reason) }), (e) => e === reason)
  assert.deepEqual(await content(mine), [])
  await db.stream.append(user('b'), { signal: new AbortController().signal })
  assert.equal((await content(mine)).length, 1)
})

// A Standard Schema that takes any value: the reference needs a schema.
const passThrough = { '~standard': { version: 1, vendor: 'test', validate: (value) => ({ value }) } }
