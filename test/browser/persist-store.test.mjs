// The snapshot store's browser backends (js/persist.js) in headless
// Chromium, for OPFS and IndexedDB: a snapshot written in chunks loads back
// whole, also after a reload; abort, and a writer the page left without
// committing (reloaded mid-write), leave the old one; while one tab writes
// a key, another tab's begin() gets null, until the first commits.
//
// The page (pages/persist-store.html) is served by the harness's Vite
// server and needs no wasm, so this file opens it itself rather than with
// setup().open.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { startVite, launchBrowser, run } from './harness.mjs'

let vite, browser
const pages = []

before(async () => {
  ;[vite, browser] = await Promise.all([startVite('persist-store'), launchBrowser()])
})
after(async () => {
  const timeout = new Promise((resolve) => setTimeout(resolve, 15000).unref())
  await Promise.race([Promise.allSettled([browser?.close(), vite?.stop()]), timeout])
  for (const p of pages) assert.deepEqual(p.errors, [], 'the page logged no errors')
})

/** ready waits until the page's script ran (data-ready on <html>). */
async function ready(page) {
  await page.waitForSelector('html[data-ready]', { state: 'attached', timeout: 15000 })
}

/** open opens the page in context (a new one by default), collecting its errors. */
async function open(context) {
  const c = context ?? (await browser.newContext())
  const page = await c.newPage()
  page.errors = []
  page.on('pageerror', (e) => page.errors.push(String(e)))
  page.on('console', (m) => {
    if (m.type() === 'error') page.errors.push(m.text())
  })
  await page.goto(`${vite.url}/test/browser/pages/persist-store.html`)
  await ready(page)
  pages.push(page)
  return page
}

async function reload(page) {
  await page.reload()
  await ready(page)
}

/** expected returns what the page's load reports for the chunks of spec. */
function expected(chunks) {
  const h = createHash('sha256')
  let length = 0
  for (const [size, seed] of chunks) {
    const c = Buffer.alloc(size)
    for (let j = 0; j < size; j++) c[j] = (seed + j * 7) & 255
    h.update(c)
    length += size
  }
  return { length, sha256: h.digest('hex') }
}

let keys = 0
/** key returns a new key with characters a file name may not have. */
const key = () => `http://127.0.0.1:4437/v1/stream/chat room/ü:${++keys}?offset=-1&x=a/b#${Date.now()}`

const MB = 1 << 20

test('the default storage in Chromium is OPFS; file is refused', async () => {
  const page = await open()
  assert.equal(await run(page, 'kind', { key: 'k' }), 'opfs')
  assert.equal(await run(page, 'kind', { key: 'k', storage: 'indexeddb' }), 'indexeddb')
  assert.match(await run(page, 'kind', { key: 'k', storage: 'file', path: '/x' }), /^TypeError: .*'file' is only available in Node/)
  assert.match(await run(page, 'kind', { key: 7 }), /^TypeError: .*key must be a string/)
  await page.context().close()
})

for (const storage of ['opfs', 'indexeddb']) {
  test(`${storage}: chunks round-trip, a second commit replaces the first, and a reload sees it`, async () => {
    const page = await open()
    const k = { key: key(), storage }
    assert.equal(await run(page, 'load', k), null, 'nothing stored yet')
    // 20 MB in chunks of various sizes (more than the IndexedDB writer folds at once).
    const first = [[1, 3], [1000, 5], [MB, 7], [3 * MB + 17, 11], [16 * MB, 13], [2, 0]]
    assert.equal(await run(page, 'save', { ...k, chunks: first }), true)
    assert.deepEqual(await run(page, 'load', k), expected(first))
    const second = [[500, 1], [70000, 2]]
    assert.equal(await run(page, 'save', { ...k, chunks: second }), true)
    assert.deepEqual(await run(page, 'load', k), expected(second))
    // Another key is another snapshot.
    const other = { key: k.key + '2', storage }
    assert.equal(await run(page, 'load', other), null)
    await run(page, 'save', { ...other, chunks: [[10, 9]] })
    await reload(page)
    assert.deepEqual(await run(page, 'load', k), expected(second), 'after a reload')
    assert.deepEqual(await run(page, 'load', other), expected([[10, 9]]))
    // remove, twice.
    await run(page, 'remove', k)
    assert.equal(await run(page, 'load', k), null)
    await run(page, 'remove', k)
    await reload(page)
    assert.equal(await run(page, 'load', k), null, 'still removed after a reload')
    assert.deepEqual(await run(page, 'load', other), expected([[10, 9]]), 'the other key kept its snapshot')
    await page.context().close()
  })

  test(`${storage}: abort keeps the old snapshot`, async () => {
    const page = await open()
    const k = { key: key(), storage }
    // Abort with no snapshot before: still none.
    let id = await run(page, 'begin', k)
    await run(page, 'write', { id, chunks: [[1000, 1]] })
    await run(page, 'abort', { id })
    assert.equal(await run(page, 'load', k), null)
    const old = [[300, 4], [MB, 5]]
    await run(page, 'save', { ...k, chunks: old })
    id = await run(page, 'begin', k)
    assert.equal(typeof id, 'number')
    await run(page, 'write', { id, chunks: [[2 * MB, 6], [10, 7]] })
    assert.deepEqual(await run(page, 'load', k), expected(old), 'while the new one is being written')
    await run(page, 'abort', { id })
    assert.deepEqual(await run(page, 'load', k), expected(old), 'after abort')
    assert.equal(await run(page, 'save', { ...k, chunks: [[5, 5]] }), true, 'abort let go of the lock')
    assert.deepEqual(await run(page, 'load', k), expected([[5, 5]]))
    await page.context().close()
  })

  test(`${storage}: a writer left uncommitted by a reload leaves the old snapshot`, async () => {
    const page = await open()
    const k = { key: key(), storage }
    const fresh = { key: key(), storage }
    const old = [[MB + 3, 8]]
    await run(page, 'save', { ...k, chunks: old })
    const id = await run(page, 'begin', k)
    await run(page, 'write', { id, chunks: [[2 * MB, 1], [MB, 2]] })
    // And a key with no snapshot yet, written to and left too.
    const id2 = await run(page, 'begin', fresh)
    await run(page, 'write', { id: id2, chunks: [[1000, 3]] })
    await reload(page)
    assert.deepEqual(await run(page, 'load', k), expected(old))
    assert.equal(await run(page, 'load', fresh), null)
    // The page that held the writer is gone, and its lock with it.
    assert.equal(await run(page, 'save', { ...k, chunks: [[7, 7]] }), true)
    assert.deepEqual(await run(page, 'load', k), expected([[7, 7]]))
    await page.context().close()
  })

  test(`${storage}: while one tab writes a key, another tab's begin gives null; after the commit it can begin`, async () => {
    const a = await open()
    const b = await open(a.context())
    const k = { key: key(), storage }
    const idA = await run(a, 'begin', k)
    assert.equal(typeof idA, 'number')
    await run(a, 'write', { id: idA, chunks: [[MB, 1]] })
    assert.equal(await run(b, 'begin', k), null, 'tab B is refused while A writes')
    assert.equal(await run(a, 'begin', k), null, 'so is a second writer in tab A')
    assert.equal(await run(b, 'load', k), null, 'B sees no snapshot yet')
    // Another key is free.
    const idOther = await run(b, 'begin', { key: key(), storage })
    assert.equal(typeof idOther, 'number')
    await run(b, 'abort', { id: idOther })
    await run(a, 'write', { id: idA, chunks: [[100, 2]] })
    await run(a, 'commit', { id: idA })
    assert.deepEqual(await run(b, 'load', k), expected([[MB, 1], [100, 2]]), 'B sees what A committed')
    const idB = await run(b, 'begin', k)
    assert.equal(typeof idB, 'number', 'after A committed, B can begin')
    assert.equal(await run(a, 'begin', k), null, 'and now A is refused')
    await run(b, 'write', { id: idB, chunks: [[3, 3]] })
    await run(b, 'commit', { id: idB })
    assert.deepEqual(await run(a, 'load', k), expected([[3, 3]]))
    await a.context().close()
  })
}
