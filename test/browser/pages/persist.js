// The page side of persist.test.mjs: a StreamDB with persisted state
// (OPFS or IndexedDB) opened, saved, closed and reopened, and the same
// stream read from scratch by a db without persist in the same page.
// Results cross into the test as digests (row counts and a SHA-256 of the
// rows as JSON, in the collection's order), so that 100k rows do not.
import { createStateSchema, createStreamDB, liveQuery, eq, lt, SnapshotError } from '@streamdb/streamdb'
import { expose } from './common.js'

// Every read request is kept (the default buffer holds 250).
performance.setResourceTimingBufferSize(1_000_000)

const defs = {
  default: { users: { type: 'user', primaryKey: 'id' }, messages: { type: 'message', primaryKey: 'id' } },
  // another primary key for messages
  pk: { users: { type: 'user', primaryKey: 'id' }, messages: { type: 'message', primaryKey: 'ts' } },
  // another collection set
  set: { users: { type: 'user', primaryKey: 'id' }, messages: { type: 'message', primaryKey: 'id' }, reactions: { type: 'reaction', primaryKey: 'id' } },
}
const schema = (name = 'default') => createStateSchema(defs[name])

// A join + where + orderBy (the messages of users of teams 0-9, newest
// first: about a tenth of them), open from the db's creation on.
const joined = (db) => liveQuery((q) => q
  .from({ m: db.collections.messages })
  .join({ u: db.collections.users }, ({ m, u }) => eq(m.userId, u.id))
  .where(({ u }) => lt(u.team, 10))
  .orderBy(({ m }) => m.ts, 'desc')
  .select(({ m, u }) => ({ id: m.id, text: m.text, likes: m.likes, name: u.name, team: u.team, active: u.active })))

const hex = (buf) => Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, '0')).join('')
const sha = async (s) => hex(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(s)))

/** digest: each collection's and the query's row count and SHA-256. */
async function digest(db, q) {
  const out = { collections: {} }
  for (const [name, c] of Object.entries(db.collections)) {
    const rows = c.toArray
    out.collections[name] = { n: rows.length, sha: await sha(JSON.stringify(rows)) }
  }
  if (q) {
    const rows = q.toArray
    out.query = { n: rows.length, sha: await sha(JSON.stringify(rows)) }
  }
  return out
}

const info = (e) => ({ name: e?.name, code: e?.code, reason: e?.reason, snapshotError: e instanceof SnapshotError, message: String(e?.message ?? e) })

/**
 * reads: the offset parameter of every request to stream that started
 * after since (a performance.now() time) and ended, in the order they
 * started; with catchUp only the catch-up reads (no live parameter: not
 * the long-polls, one of which the reader may send ahead while it applies
 * what it read).
 */
const reads = (stream, since, catchUp = false) => performance.getEntriesByType('resource')
  .filter((e) => (e.name.startsWith(stream + '?') || e.name === stream) && e.startTime >= since)
  .filter((e) => !catchUp || !new URL(e.name).searchParams.has('live'))
  .sort((a, b) => a.startTime - b.startTime)
  .map((e) => new URL(e.name).searchParams.get('offset'))

/**
 * endedReads is reads once at least one request has ended. Chromium adds
 * a request's resource-timing entry after its body was handed to the page,
 * so a preload that resolves on a short catch-up answer can be seen before
 * that answer's entry (up to 5 s of waiting; an empty list after that).
 */
async function endedReads(stream, since) {
  const t0 = performance.now()
  for (;;) {
    const r = reads(stream, since)
    if (r.length > 0 || performance.now() - t0 > 5000) return r
    await new Promise((res) => setTimeout(res, 20))
  }
}

// The persisted db of this page, its live query and what it went through.
let cur

/**
 * save calls db.utils.saveSnapshot until it wrote (it is skipped while
 * another writer of the key, another tab's say, holds the lock): the
 * written info and how many times it was skipped first.
 */
async function save(db) {
  let skips = 0
  for (;;) {
    const s = await db.utils.saveSnapshot()
    if (!s.skipped) return { ...s, skips }
    if (++skips > 400) throw new Error('saveSnapshot skipped 400 times')
    await new Promise((r) => setTimeout(r, 25))
  }
}

expose({
  /**
   * open creates a db on stream with persist (the option as given), opens
   * the join query at once and preloads. It returns what onProgress and
   * onError got (the progress up to the first 'catch-up'/ready one), the
   * db's status and rows when the restore was reported, the read requests'
   * offsets, preload's error if it failed, and the digest.
   */
  async open({ stream, persist = true, schemaName, live = true, txid, query = true }) {
    // Whether a writer (another tab's, say) held this snapshot's lock as the db opened.
    const lockName = 'streamdb-snapshot:' + (typeof persist === 'object' && persist.key ? persist.key : stream)
    const writing = (await navigator.locks.query()).held.some((l) => l.name === lockName)
    const since = performance.now()
    const progress = []
    const errors = []
    let atRestore = null
    let db = null
    db = createStreamDB({
      streamOptions: { url: stream, contentType: 'application/json' },
      state: schema(schemaName),
      live,
      persist,
      onError: (e) => errors.push(info(e)),
      onProgress: (p) => {
        if (progress.length < 50) progress.push({ ...p })
        if (p.phase === 'restore' && atRestore === null) {
          atRestore = { status: db?.status, rows: db ? Object.values(db.collections).reduce((n, c) => n + c.size, 0) : -1 }
        }
      },
    })
    const q = query ? joined(db) : null
    cur = { db, q, errors, progress }
    const t0 = performance.now()
    let preloadError = null
    try {
      await db.preload()
      if (txid) await db.utils.awaitTxId(txid, 30000)
    } catch (e) {
      preloadError = info(e)
    }
    const ms = performance.now() - t0
    return {
      ms: Math.round(ms),
      writing,
      progress,
      errors: [...errors],
      atRestore,
      status: db.status,
      offset: db.offset,
      reads: await endedReads(stream, since),
      catchUps: reads(stream, since, true),
      preloadError,
      digest: await digest(db, q),
    }
  },
  /** save writes the open db's snapshot (retrying while skipped). */
  save: () => save(cur.db),
  /** saveOnce: one saveSnapshot call, skipped or not. */
  saveOnce: () => cur.db.utils.saveSnapshot(),
  /** state: the open db's digest now, its status, offset and errors so far. */
  async state({ txid } = {}) {
    if (txid) await cur.db.utils.awaitTxId(txid, 30000)
    return { digest: await digest(cur.db, cur.q), status: cur.db.status, offset: cur.db.offset, errors: [...cur.errors] }
  },
  /** close closes the open db and its query. */
  close() {
    cur?.q?.dispose()
    cur?.db.close()
    cur = undefined
  },
  /**
   * saveLoop saves the open db every ms until stopSaveLoop, counting the
   * saves that wrote and those skipped (another writer held the lock).
   */
  saveLoop({ ms = 50 }) {
    const c = cur
    c.loop = { written: 0, skipped: 0, offsets: new Set(), stop: false }
    c.loopDone = (async () => {
      while (!c.loop.stop) {
        const s = await c.db.utils.saveSnapshot()
        if (s.skipped) c.loop.skipped++
        else {
          c.loop.written++
          c.loop.offsets.add(s.offset)
        }
        await new Promise((r) => setTimeout(r, ms))
      }
    })()
  },
  async stopSaveLoop() {
    cur.loop.stop = true
    await cur.loopDone
    return { written: cur.loop.written, skipped: cur.loop.skipped, offsets: cur.loop.offsets.size }
  },
  /** fresh reads stream from scratch into a db without persist and returns its digest and reads. */
  async fresh({ stream, schemaName, txid, query = true }) {
    const since = performance.now()
    const errors = []
    const db = createStreamDB({ streamOptions: { url: stream, contentType: 'application/json' }, state: schema(schemaName), live: txid ? true : false, onError: (e) => errors.push(info(e)) })
    const q = query ? joined(db) : null
    const t0 = performance.now()
    await db.preload()
    if (txid) await db.utils.awaitTxId(txid, 30000)
    const ms = performance.now() - t0
    const d = await digest(db, q)
    const out = { ms: Math.round(ms), digest: d, errors, reads: await endedReads(stream, since), offset: db.offset }
    q?.dispose()
    db.close()
    return out
  },
  /** opfsFile: the OPFS snapshot file of key: its name and size, or null. */
  async opfsFile({ key }) {
    const name = (await sha(key)) + '.snapshot'
    try {
      const dir = await (await navigator.storage.getDirectory()).getDirectoryHandle('streamdb')
      const f = await (await dir.getFileHandle(name)).getFile()
      return { name, size: f.size }
    } catch (e) {
      if (e?.name === 'NotFoundError') return null
      throw e
    }
  },
  /**
   * damage rewrites the OPFS snapshot of key: flip XORs the byte at
   * (fraction of the size) with 0x20, at the byte at index at; cut keeps
   * the first (fraction) of it.
   * It waits for the snapshot's writer lock first (no save is under way).
   */
  async damage({ key, flip, at, cut }) {
    await navigator.locks.request('streamdb-snapshot:' + key, async () => {})
    const name = (await sha(key)) + '.snapshot'
    const dir = await (await navigator.storage.getDirectory()).getDirectoryHandle('streamdb')
    const h = await dir.getFileHandle(name)
    const bytes = new Uint8Array(await (await h.getFile()).arrayBuffer())
    let out = bytes
    if (flip !== undefined) {
      out = bytes.slice()
      out[Math.floor(bytes.length * flip)] ^= 0x20
    }
    if (at !== undefined) {
      out = bytes.slice()
      out[at] ^= 0x20
    }
    if (cut !== undefined) out = bytes.slice(0, Math.floor(bytes.length * cut))
    const w = await h.createWritable({ keepExistingData: false })
    await w.write(out)
    await w.close()
    return { before: bytes.length, after: (await h.getFile()).size }
  },
  /** idbRecord: the size of key's IndexedDB record (a Blob), or null. */
  async idbRecord({ key }) {
    // Opening a database that does not exist would create it without its store.
    if (!(await indexedDB.databases()).some((d) => d.name === 'streamdb-snapshots')) return null
    const db = await new Promise((resolve, reject) => {
      const r = indexedDB.open('streamdb-snapshots')
      r.onsuccess = () => resolve(r.result)
      r.onerror = () => reject(r.error)
    })
    try {
      if (!db.objectStoreNames.contains('snapshots')) return null
      const v = await new Promise((resolve, reject) => {
        const r = db.transaction('snapshots').objectStore('snapshots').get(key)
        r.onsuccess = () => resolve(r.result)
        r.onerror = () => reject(r.error)
      })
      return v === undefined ? null : { blob: v instanceof Blob, size: v.size ?? v.byteLength }
    } finally {
      db.close()
    }
  },
  /**
   * closeMidSave opens a persisted db on stream, preloads it, waits until
   * its background save (the one after preload) holds the snapshot's
   * writer lock, and closes the db then. It says whether the save was
   * under way at the close, and whether the lock was free again within
   * waitMs.
   */
  async closeMidSave({ stream, waitMs = 2000 }) {
    const db = createStreamDB({ streamOptions: { url: stream, contentType: 'application/json' }, state: schema(), persist: true, onError: () => {} })
    await db.preload()
    const name = 'streamdb-snapshot:' + stream
    const held = async () => (await navigator.locks.query()).held.some((l) => l.name === name)
    const t0 = performance.now()
    while (!(await held()) && performance.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 1))
    const saving = await held()
    db.close()
    const freed = await Promise.race([
      navigator.locks.request(name, async () => true),
      new Promise((r) => setTimeout(() => r(false), waitMs)),
    ])
    return { saving, freed }
  },
  /** lockFree waits until no one writes key's snapshot. */
  lockFree: ({ key }) => navigator.locks.request('streamdb-snapshot:' + key, async () => {}),
})
