// Persisted state through the npm package in Node (issue 16): a snapshot in
// a file, restored on open, the stream read from its offset; a damaged
// snapshot replaced by a full read. Against the reference server, through
// a proxy that records the read requests.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile, writeFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createStateSchema, createStreamDB, liveQuery, eq, SnapshotError, StreamDBError } from '@streamdb/streamdb'
import { startServer, createStream, appendEvents } from './server.mjs'
import { startProxy } from './proxy.mjs'

let srv, proxy, dir
const reads = [] // the offsets of the read requests, in order
before(async () => {
  srv = await startServer({ longPollMs: 1000 })
  proxy = await startProxy(srv.url, (req) => {
    if (req.method === 'GET') reads.push(new URL(req.url, 'http://x').searchParams.get('offset'))
    return null
  })
  dir = await mkdtemp(join(tmpdir(), 'streamdb-persist-'))
})
after(async () => {
  await proxy?.close()
  await srv?.stop()
  await rm(dir, { recursive: true, force: true })
})

const schema = createStateSchema({
  users: { type: 'user', primaryKey: 'id' },
  messages: { type: 'message', primaryKey: 'id' },
})

function events(from, n) {
  const out = []
  for (let i = from; i < from + n; i++) {
    out.push(schema.users.upsert({ value: { id: `u${i % 9}`, name: `n${i}` }, headers: { txid: `t${i}` } }))
    out.push(schema.messages.insert({ value: { id: `m${i}`, user: `u${i % 9}`, text: `hello ${i}` } }))
    if (i % 4 === 0) out.push(schema.messages.delete({ key: `m${i - 1}` }))
    if (i % 5 === 0) out.push(schema.messages.update({ value: { id: `m${i - 2}`, edited: true } }))
  }
  return out
}

function rows(db) {
  return Object.fromEntries(Object.entries(db.collections).map(([n, c]) => [n, c.toArray]))
}

async function freshRows(url) {
  const db = createStreamDB({ streamOptions: { url }, state: schema, live: false })
  await db.preload()
  const r = rows(db)
  db.close()
  return r
}

const joined = (db) => liveQuery((q) => q
  .from({ m: db.collections.messages })
  .join({ u: db.collections.users }, ({ m, u }) => eq(m.user, u.id))
  .orderBy(({ m }) => m.id)
  .select(({ m, u }) => ({ id: m.id, text: m.text, name: u.name })))

test('a reopened StreamDB restores its snapshot, reads only what follows its offset, and equals a full read', { timeout: 30000 }, async (t) => {
  const url = await createStream(srv.url)
  await appendEvents(url, ...events(0, 150))
  const path = join(dir, 'chat.snapshot')
  const first = createStreamDB({ streamOptions: { url: proxy.url(url) }, state: schema, persist: { path } })
  await first.preload()
  const info = await first.utils.saveSnapshot()
  assert.equal(info.offset, first.offset)
  assert.equal(info.skipped, false)
  assert.ok(info.rows > 100 && info.bytes > 0, JSON.stringify(info))
  first.close()

  await appendEvents(url, ...events(150, 40))
  const progress = []
  const errors = []
  let seenAtRestore
  reads.length = 0
  const second = createStreamDB({
    streamOptions: { url: proxy.url(url) }, state: schema, persist: { path },
    onError: (e) => errors.push(e),
    onProgress: (p) => {
      progress.push(p)
      if (p.phase === 'restore') seenAtRestore = { status: second.status, messages: second.collections.messages.size, collStatus: second.collections.messages.status }
    },
  })
  t.after(() => second.close())
  const q = joined(second)
  await second.preload()
  assert.equal(progress[0].phase, 'restore')
  assert.equal(progress[0].restored, info.rows)
  assert.equal(progress[0].snapshotBytes, info.bytes)
  assert.deepEqual(seenAtRestore, { status: 'restored', messages: info.rows - 9, collStatus: 'loading' })
  assert.equal(reads[0], info.offset, 'the first read starts at the snapshot offset')
  assert.equal(second.status, 'ready')
  assert.deepEqual(rows(second), await freshRows(url))
  const ref = joined({ collections: (await (async () => {
    const d = createStreamDB({ streamOptions: { url }, state: schema, live: false })
    await d.preload()
    t.after(() => d.close())
    return d
  })()).collections })
  assert.deepEqual(q.toArray, ref.toArray)
  assert.deepEqual(errors, [])
})

test('a damaged snapshot is a SnapshotError (checksum): it is removed and the stream read from the start', { timeout: 30000 }, async (t) => {
  const url = await createStream(srv.url)
  await appendEvents(url, ...events(0, 30))
  const path = join(dir, 'damaged.snapshot')
  const first = createStreamDB({ streamOptions: { url }, state: schema, persist: { path } })
  await first.preload()
  await first.utils.saveSnapshot()
  first.close()
  const bytes = await readFile(path)
  bytes[bytes.length >> 1] ^= 0x20
  await writeFile(path, bytes)

  const errors = []
  reads.length = 0
  const db = createStreamDB({ streamOptions: { url: proxy.url(url) }, state: schema, persist: { path }, onError: (e) => errors.push(e) })
  t.after(() => db.close())
  await db.preload()
  assert.equal(errors.length, 1, errors.map(String).join('\n'))
  assert.ok(errors[0] instanceof SnapshotError)
  assert.equal(errors[0].reason, 'checksum')
  assert.equal(errors[0].code, 'SNAPSHOT')
  assert.equal(reads[0], '-1')
  assert.deepEqual(rows(db), await freshRows(url))
})

test('persist options are checked; saveSnapshot needs persist and a preloaded db', async (t) => {
  const url = await createStream(srv.url)
  assert.throws(() => createStreamDB({ streamOptions: { url }, state: schema, persist: 'yes' }), (e) => e instanceof StreamDBError && e.code === 'BAD_ARGUMENT')
  assert.throws(() => createStreamDB({ streamOptions: { url }, state: schema, persist: true }), (e) => e.code === 'BAD_ARGUMENT' && /path/.test(e.message))
  assert.throws(() => createStreamDB({ streamOptions: { url }, state: schema, persist: { path: join(dir, 'x'), everyMs: -1 } }), (e) => e.code === 'BAD_ARGUMENT')
  const plain = createStreamDB({ streamOptions: { url }, state: schema })
  t.after(() => plain.close())
  await assert.rejects(plain.utils.saveSnapshot(), (e) => e.code === 'USAGE')
  const early = createStreamDB({ streamOptions: { url }, state: schema, persist: { path: join(dir, 'early.snapshot') } })
  t.after(() => early.close())
  await assert.rejects(early.utils.saveSnapshot(), (e) => e.code === 'USAGE' && /preload/.test(e.message))
})
