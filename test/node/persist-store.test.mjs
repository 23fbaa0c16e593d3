// The snapshot store's file backend (js/persist.js), as Node uses it: a
// snapshot written in chunks loads back as exactly those bytes; an aborted
// or unfinished writer (also one whose process died mid-write) leaves the
// old snapshot; one writer at a time per file in a process; bad options are
// TypeErrors, storage failures StreamDBErrors naming the storage and key.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readdir, readFile, rm, writeFile, mkdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { spawn } from 'node:child_process'
import { openSnapshotStore } from '../../js/persist.js'
import { StreamDBError } from '../../js/errors.js'

let dir
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'streamdb-persist-'))
})
after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true })
})

let n = 0
/** fresh returns a store on a new file of its own directory, and that directory. */
async function fresh(key = 'http://example.test/v1/stream/chat?x=1') {
  const d = join(dir, `case-${++n}`)
  await mkdir(d)
  const path = join(d, 'snap.bin')
  return { store: openSnapshotStore({ key, path }), path, d }
}

const bytes = (...xs) => new Uint8Array(xs)
const concat = (chunks) => new Uint8Array(Buffer.concat(chunks))

/** writeAll begins, writes the chunks and commits. */
async function writeAll(store, chunks) {
  const w = await store.begin()
  assert.ok(w, 'begin gave a writer')
  for (const c of chunks) await w.write(c)
  await w.commit()
}

test('file: load is null before any snapshot; a committed one loads back as exactly its chunks', async () => {
  const { store, path, d } = await fresh()
  assert.equal(store.kind, 'file')
  assert.equal(await store.load(), null)
  const chunks = [bytes(1, 2, 3), bytes(), bytes(4), new Uint8Array(1000).fill(7), bytes(255, 0)]
  await writeAll(store, chunks)
  const got = await store.load()
  assert.ok(got instanceof Uint8Array)
  assert.deepEqual(got, concat(chunks))
  assert.equal(got.buffer.byteLength, got.byteLength, 'the bytes have a buffer of their own')
  assert.deepEqual(new Uint8Array(await readFile(path)), concat(chunks), 'the file holds the snapshot')
  assert.deepEqual(await readdir(d), ['snap.bin'], 'no temporary file left')
  // A second store of the same path (another run of the program) sees it.
  assert.deepEqual(await openSnapshotStore({ key: 'other', path }).load(), concat(chunks))
  // A second commit replaces it whole.
  await writeAll(store, [bytes(9, 9)])
  assert.deepEqual(await store.load(), bytes(9, 9))
})

test('file: abort keeps the old snapshot and leaves nothing behind', async () => {
  const { store, d } = await fresh()
  await writeAll(store, [bytes(1, 2), bytes(3)])
  const w = await store.begin()
  await w.write(new Uint8Array(5000).fill(42))
  await w.write(bytes(8))
  await w.abort()
  assert.deepEqual(await store.load(), bytes(1, 2, 3))
  assert.deepEqual(await readdir(d), ['snap.bin'])
  // Abort without any snapshot before: still none.
  const { store: empty, d: d2 } = await fresh()
  const w2 = await empty.begin()
  await w2.write(bytes(1))
  await w2.abort()
  assert.equal(await empty.load(), null)
  assert.deepEqual(await readdir(d2), [])
  // After abort the writer is done: writing rejects, abort again does nothing.
  await assert.rejects(w.write(bytes(1)), (e) => e instanceof StreamDBError && /after commit or abort/.test(e.message))
  await w.abort()
  await assert.rejects(w.commit(), /after commit or abort/)
})

test('file: a writer that is never committed leaves the old snapshot loadable (same process)', async () => {
  const { store, path } = await fresh()
  await writeAll(store, [bytes(10, 20, 30)])
  const w = await store.begin()
  await w.write(new Uint8Array(100000).fill(1))
  // Still writing: readers see the old one, and the file at path is the old one.
  assert.deepEqual(await store.load(), bytes(10, 20, 30))
  assert.deepEqual(new Uint8Array(await readFile(path)), bytes(10, 20, 30))
  await w.abort()
})

test('file: a process that dies mid-write leaves the old snapshot; the next writer removes its temporary file', async () => {
  const { store, path, d } = await fresh()
  await writeAll(store, [bytes(5, 6, 7)])
  const mod = new URL('../../js/persist.js', import.meta.url).href
  // The child writes 3 MB and kills itself before commit.
  const script = `
    const { openSnapshotStore } = await import(${JSON.stringify(mod)})
    const w = await openSnapshotStore({ key: 'k', path: ${JSON.stringify(path)} }).begin()
    for (let i = 0; i < 3; i++) await w.write(new Uint8Array(1 << 20).fill(i + 1))
    process.kill(process.pid, 'SIGKILL')
  `
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'inherit', 'inherit'] })
  const signal = await new Promise((resolve) => child.on('exit', (_, sig) => resolve(sig)))
  assert.equal(signal, 'SIGKILL', 'the child died mid-write')
  assert.deepEqual(await store.load(), bytes(5, 6, 7), 'the old snapshot loads')
  assert.deepEqual(new Uint8Array(await readFile(path)), bytes(5, 6, 7), 'path holds the old snapshot, nothing of the new one')
  const left = (await readdir(d)).filter((f) => f !== 'snap.bin')
  assert.equal(left.length, 1, `the dead writer's temporary file: ${left}`)
  assert.match(left[0], new RegExp(`^snap\\.bin\\.${child.pid}\\.[0-9a-f]+\\.tmp$`))
  assert.equal((await readFile(join(d, left[0]))).length, 3 << 20)
  // The next writer cleans it up.
  await writeAll(store, [bytes(1)])
  assert.deepEqual(await readdir(d), ['snap.bin'])
  assert.deepEqual(await store.load(), bytes(1))
})

test('file: one writer at a time per file in a process; after commit another can begin', async () => {
  const { store, path } = await fresh()
  const a = await store.begin()
  assert.ok(a)
  assert.equal(await store.begin(), null, 'a second writer of the store is refused')
  assert.equal(await openSnapshotStore({ key: 'another key', path }).begin(), null, 'so is one of another store of the same file')
  await a.write(bytes(1))
  await a.commit()
  const b = await store.begin()
  assert.ok(b, 'after commit another writer can begin')
  assert.equal(await store.begin(), null)
  await b.abort()
  const c = await store.begin()
  assert.ok(c, 'after abort too')
  await c.abort()
  assert.deepEqual(await store.load(), bytes(1))
})

test('file: remove deletes the snapshot, and does nothing when there is none', async () => {
  const { store, d } = await fresh()
  await store.remove()
  await writeAll(store, [bytes(1, 2)])
  await store.remove()
  assert.equal(await store.load(), null)
  assert.deepEqual(await readdir(d), [])
  await store.remove()
})

test('a snapshot of 64 MB in 1 MB chunks round-trips', async () => {
  const { store } = await fresh()
  const MB = 1 << 20
  const w = await store.begin()
  for (let i = 0; i < 64; i++) {
    const c = new Uint8Array(MB)
    for (let j = 0; j < MB; j += 4096) c[j] = (i * 31 + j / 4096) & 255
    c[MB - 1] = i
    await w.write(c)
  }
  await w.commit()
  const got = await store.load()
  assert.equal(got.length, 64 * MB)
  for (let i = 0; i < 64; i++) {
    for (let j = 0; j < MB; j += 4096) {
      if (got[i * MB + j] !== ((i * 31 + j / 4096) & 255)) assert.fail(`byte ${i * MB + j}: got ${got[i * MB + j]}`)
    }
    assert.equal(got[i * MB + MB - 1], i, `last byte of chunk ${i}`)
    assert.equal(got[i * MB + 1], 0, `chunk ${i} byte 1`)
  }
  await store.remove()
  assert.equal(await store.load(), null)
})

test('bad options throw TypeError', () => {
  const bad = [
    [undefined, /options must be an object/],
    ['http://x', /options must be an object/],
    [{}, /key must be a string/],
    [{ key: 1, path: '/tmp/x' }, /key must be a string/],
    [{ key: 'k', path: 5 }, /path must be a non-empty string/],
    [{ key: 'k', path: '' }, /path must be a non-empty string/],
    [{ key: 'k', storage: 'localStorage', path: '/tmp/x' }, /unknown storage "localStorage"/],
    [{ key: 'k' }, /pass persist: \{ path \}/],
    [{ key: 'k', storage: 'file' }, /pass persist: \{ path \}/],
    [{ key: 'k', storage: 'opfs' }, /'opfs' is not available/],
    [{ key: 'k', storage: 'indexeddb' }, /'indexeddb' is not available/],
  ]
  for (const [opts, msg] of bad) {
    assert.throws(() => openSnapshotStore(opts), (e) => e instanceof TypeError && msg.test(e.message), JSON.stringify(opts))
  }
  // Any string is a key; the default storage in Node with a path is the file.
  assert.equal(openSnapshotStore({ key: '', path: '/tmp/x' }).kind, 'file')
})

test('storage failures reject with a StreamDBError naming the storage and key, the cause kept', async () => {
  const key = 'https://example.test/s/1'
  const missing = openSnapshotStore({ key, path: join(dir, 'no-such-dir', 'snap.bin') })
  await assert.rejects(missing.begin(), (e) => {
    assert.ok(e instanceof StreamDBError)
    assert.equal(e.code, 'SNAPSHOT_STORAGE')
    assert.match(e.message, /snapshot storage 'file' for key "https:\/\/example\.test\/s\/1": begin failed/)
    assert.equal(e.cause?.code, 'ENOENT')
    assert.equal(e.storage, 'file')
    assert.equal(e.key, key)
    return true
  })
  // The failed begin let go of the lock.
  await mkdir(join(dir, 'no-such-dir'))
  const w = await missing.begin()
  assert.ok(w)
  await w.abort()
  // A directory where the file should be.
  const d = join(dir, 'a-dir')
  await mkdir(d)
  await writeFile(join(d, 'x'), 'x')
  const store = openSnapshotStore({ key, path: d })
  await assert.rejects(store.load(), (e) => e instanceof StreamDBError && /load failed/.test(e.message) && e.cause?.code === 'EISDIR')
  // A commit that fails (rename over a non-empty directory) keeps nothing of the new snapshot and frees the lock.
  const w2 = await store.begin()
  await w2.write(bytes(1, 2))
  await assert.rejects(w2.commit(), (e) => e instanceof StreamDBError && /commit failed/.test(e.message))
  assert.deepEqual((await readdir(dir)).filter((f) => f.startsWith('a-dir.')), [], 'the temporary file is gone')
  const w3 = await store.begin()
  assert.ok(w3, 'the lock was released')
  await w3.abort()
  // write takes Uint8Arrays only.
  const { store: s2 } = await fresh()
  const w4 = await s2.begin()
  await assert.rejects(w4.write('text'), TypeError)
  await assert.rejects(w4.write([1, 2]), TypeError)
  await w4.abort()
})
