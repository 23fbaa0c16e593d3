// Where a persisted StreamDB keeps its snapshot: the Go engine encodes the
// database as bytes and hands them over in chunks; this module only stores
// and loads those bytes, in one of three places:
//
//   opfs       the Origin Private File System (browsers): streamdb/<sha-256 of the key>
//   indexeddb  database 'streamdb-snapshots', object store 'snapshots', one Blob per key
//   file       a file of the local file system (Node), written to a temporary
//              file beside it and renamed over it on commit
//
// A reader only ever sees a complete snapshot: the new one replaces the old
// one at commit, in one step, and nothing of it is visible before. One
// writer at a time per key: in a browser, Web Locks keep a second tab (or a
// second writer in the same tab) from writing while one is (its begin()
// returns null); in Node, a second writer in the same process for the same
// file is refused the same way (other processes are not seen).
//
// No I/O happens before the first call that needs it, and Node's modules
// are imported only when the file backend is used, so that this module
// loads in a browser and bundlers leave node: imports alone.

import { StreamDBError } from './errors.js'

const OPFS_DIR = 'streamdb'
const IDB_NAME = 'streamdb-snapshots'
const IDB_STORE = 'snapshots'
const LOCK_PREFIX = 'streamdb-snapshot:'
// The indexeddb writer folds the chunks it was given into a Blob every
// this many bytes, so that the page does not hold the whole snapshot as
// JavaScript memory until commit (the browser keeps Blob data out of the
// JavaScript heap, and on disk when it is large).
const IDB_FOLD_BYTES = 16 << 20

const isNode = () => typeof globalThis.process?.versions?.node === 'string'
const hasOPFS = () => typeof globalThis.navigator?.storage?.getDirectory === 'function'
const hasIndexedDB = () => typeof globalThis.indexedDB?.open === 'function'

/**
 * openSnapshotStore returns the store of the snapshot named by
 * options.key, synchronously; nothing is read or written until one of
 * its methods is called.
 *
 * options.key (required) is any string (a stream's URL, for instance).
 * options.storage picks the backend: 'opfs', 'indexeddb' or 'file'. By
 * default: 'opfs' where navigator.storage.getDirectory exists, else
 * 'indexeddb' where indexedDB exists, else 'file' (Node), which needs
 * options.path, the snapshot file's path (the other backends ignore it).
 *
 * The store has:
 * - kind: 'opfs' | 'indexeddb' | 'file'
 * - load(): the last committed snapshot as a Uint8Array, or null when
 *   there is none (a snapshot of zero bytes also reads as null)
 * - begin(): a writer of a new snapshot, or null when another writer of
 *   this key (another tab, or another writer of this page or process) is
 *   writing right now. The writer has write(chunk), commit() (the new
 *   snapshot replaces the old one, in one step) and abort() (the old one
 *   stays). Chunks are kept, not copied: do not change one after handing
 *   it over. A writer that is never committed leaves the old snapshot in
 *   place, also when the page or process goes away mid-write.
 * - remove(): deletes the snapshot (nothing happens when there is none)
 *
 * Throws a TypeError for bad options: a key or path that is not a
 * string, an unknown storage, a storage this environment does not have,
 * or the file storage (the default in Node) without a path. The methods
 * reject with a StreamDBError of code 'SNAPSHOT_STORAGE' (storage and key
 * as properties, the backend's error as cause) when the backend fails.
 *
 * @param {{ key: string, storage?: 'opfs' | 'indexeddb' | 'file', path?: string }} options
 */
export function openSnapshotStore(options) {
  if (options === null || typeof options !== 'object') {
    throw new TypeError('openSnapshotStore: options must be an object such as { key: streamUrl }')
  }
  const { key, storage, path } = options
  if (typeof key !== 'string') throw new TypeError(`openSnapshotStore: options.key must be a string, got ${typeof key}`)
  if (path !== undefined && (typeof path !== 'string' || path === '')) {
    throw new TypeError('openSnapshotStore: options.path must be a non-empty string (the snapshot file\'s path)')
  }
  let kind = storage
  if (kind === undefined) {
    if (hasOPFS()) kind = 'opfs'
    else if (hasIndexedDB()) kind = 'indexeddb'
    else if (isNode()) {
      if (path === undefined) {
        throw new TypeError('openSnapshotStore: no browser storage here (Node): pass persist: { path } with the snapshot file\'s path')
      }
      kind = 'file'
    } else {
      throw new TypeError('openSnapshotStore: this environment has no storage for a snapshot (no OPFS, IndexedDB or Node file system)')
    }
  }
  switch (kind) {
    case 'opfs':
      if (!hasOPFS()) throw new TypeError('openSnapshotStore: storage \'opfs\' is not available here (no navigator.storage.getDirectory; it needs a secure context)')
      return makeStore(kind, key, opfsBackend(key))
    case 'indexeddb':
      if (!hasIndexedDB()) throw new TypeError('openSnapshotStore: storage \'indexeddb\' is not available here (no indexedDB)')
      return makeStore(kind, key, idbBackend(key))
    case 'file':
      if (!isNode()) throw new TypeError('openSnapshotStore: storage \'file\' is only available in Node')
      if (path === undefined) throw new TypeError('openSnapshotStore: storage \'file\' needs a path: pass persist: { path } with the snapshot file\'s path')
      return makeStore(kind, key, fileBackend(path))
    default:
      throw new TypeError(`openSnapshotStore: unknown storage ${JSON.stringify(kind)}: use 'opfs', 'indexeddb' or 'file'`)
  }
}

/** storageError wraps a backend's error e of operation op. */
function storageError(kind, key, op, e) {
  if (e instanceof StreamDBError && e.code === 'SNAPSHOT_STORAGE') return e
  const why = e instanceof Error ? `${e.name}: ${e.message}` : String(e)
  return new StreamDBError(`snapshot storage '${kind}' for key ${JSON.stringify(key)}: ${op} failed: ${why}`, {
    code: 'SNAPSHOT_STORAGE',
    cause: e,
    storage: kind,
    key,
  })
}

function usageError(kind, key, message) {
  return new StreamDBError(`snapshot storage '${kind}' for key ${JSON.stringify(key)}: ${message}`, { code: 'USAGE', storage: kind, key })
}

// Writers held in this realm where there is no navigator.locks (Node before
// it had Web Locks), by lock name.
const heldHere = new Set()

/**
 * tryLock takes the lock of name if no one holds it and returns its
 * release function, or null when it is held. With Web Locks the lock
 * spans every tab and worker of the origin; without, this realm only.
 */
async function tryLock(name) {
  const locks = globalThis.navigator?.locks
  if (typeof locks?.request !== 'function') {
    if (heldHere.has(name)) return null
    heldHere.add(name)
    return () => heldHere.delete(name)
  }
  let release
  const held = new Promise((resolve) => (release = resolve))
  const got = await new Promise((resolve, reject) => {
    locks.request(name, { ifAvailable: true }, (lock) => {
      resolve(lock !== null)
      return lock === null ? undefined : held
    }).catch(reject)
  })
  return got ? release : null
}

/**
 * makeStore builds the store around a backend: { lockName(), load(),
 * start() → { write(chunk), commit(), abort() }, remove() }.
 */
function makeStore(kind, key, backend) {
  const fail = (op) => (e) => {
    throw storageError(kind, key, op, e)
  }
  return {
    kind,
    key,
    load: () => backend.load().catch(fail('load')),
    remove: () => backend.remove().catch(fail('remove')),
    async begin() {
      const release = await backend.lockName().then(tryLock).catch(fail('begin (taking the writer lock)'))
      if (!release) return null
      let impl
      try {
        impl = await backend.start()
      } catch (e) {
        release()
        throw storageError(kind, key, 'begin', e)
      }
      return makeWriter(kind, key, impl, release)
    },
  }
}

/**
 * makeWriter returns the writer the store hands out: its calls run one
 * after the other in the order made; a failed write makes commit abort
 * instead (a snapshot with a chunk missing is never committed); the lock
 * is released once the writer committed or aborted.
 */
function makeWriter(kind, key, impl, release) {
  let open = true
  let failed = null
  let queue = Promise.resolve()
  const enqueue = (fn) => {
    const p = queue.then(fn)
    queue = p.catch(() => {})
    return p
  }
  const finish = async (op, fn) => {
    try {
      await fn()
    } catch (e) {
      if (op === 'commit') await impl.abort().catch(() => {})
      throw storageError(kind, key, op, e)
    } finally {
      release()
    }
  }
  return {
    /** write appends chunk (a Uint8Array, kept as is) to the new snapshot. */
    write(chunk) {
      if (!open) return Promise.reject(usageError(kind, key, 'write after commit or abort'))
      if (!(chunk instanceof Uint8Array)) return Promise.reject(new TypeError('snapshot writer: write takes a Uint8Array'))
      if (chunk.byteLength === 0) return enqueue(() => {})
      return enqueue(async () => {
        if (failed) throw failed
        try {
          await impl.write(chunk)
        } catch (e) {
          failed = storageError(kind, key, 'write', e)
          throw failed
        }
      })
    },
    /** commit makes the new snapshot the stored one, in one step. */
    commit() {
      if (!open) return Promise.reject(usageError(kind, key, 'commit after commit or abort'))
      open = false
      return enqueue(() =>
        finish('commit', async () => {
          if (failed) throw failed
          await impl.commit()
        }),
      )
    },
    /** abort drops the new snapshot; the old one stays. Does nothing after commit or abort. */
    abort() {
      if (!open) return queue
      open = false
      return enqueue(() => finish('abort', () => impl.abort()))
    },
  }
}

const isNotFound = (e) => e?.name === 'NotFoundError'

// ---- OPFS ---------------------------------------------------------------

/**
 * opfsBackend keeps the snapshot in streamdb/<hex sha-256 of key>.snapshot
 * of the origin's private file system. A writable stream made with
 * keepExistingData: false writes to a swap file; the browser puts it in
 * place of the file at close() and drops it at abort() or when the page
 * goes. Creating the file handle creates an empty file when there was
 * none: an empty file reads as no snapshot.
 */
function opfsBackend(key) {
  let name
  const fileName = async () => {
    if (name === undefined) {
      const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(key))
      name = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('') + '.snapshot'
    }
    return name
  }
  const dir = async (create) => (await navigator.storage.getDirectory()).getDirectoryHandle(OPFS_DIR, { create })
  return {
    lockName: async () => LOCK_PREFIX + key,
    async load() {
      const n = await fileName()
      // A File read while a commit replaces the file fails with
      // NotReadableError, or NotFoundError once the old file is gone:
      // read the new one (a file removed for good is not found above).
      for (let attempt = 0; ; attempt++) {
        let file
        try {
          file = await (await (await dir(false)).getFileHandle(n)).getFile()
        } catch (e) {
          if (isNotFound(e)) return null
          throw e
        }
        if (file.size === 0) return null
        try {
          return new Uint8Array(await file.arrayBuffer())
        } catch (e) {
          if ((e?.name !== 'NotReadableError' && !isNotFound(e)) || attempt === 4) throw e
        }
      }
    },
    async start() {
      const n = await fileName()
      const d = await dir(true)
      let created = false
      let handle
      try {
        handle = await d.getFileHandle(n)
      } catch (e) {
        if (!isNotFound(e)) throw e
        handle = await d.getFileHandle(n, { create: true })
        created = true
      }
      const writable = await handle.createWritable({ keepExistingData: false })
      return {
        write: (chunk) => writable.write(chunk),
        commit: () => writable.close(),
        async abort() {
          await writable.abort()
          // The empty file begin() created, unless a snapshot was put there since.
          if (created && (await handle.getFile()).size === 0) await d.removeEntry(n).catch(() => {})
        },
      }
    },
    async remove() {
      try {
        await (await dir(false)).removeEntry(await fileName())
      } catch (e) {
        if (!isNotFound(e)) throw e
      }
    },
  }
}

// ---- IndexedDB ----------------------------------------------------------

let idbOpen = null

/** idb returns the (shared) connection to the snapshots database. */
function idb() {
  idbOpen ??= new Promise((resolve, reject) => {
    const req = indexedDB.open(IDB_NAME, 1)
    req.onupgradeneeded = () => {
      if (!req.result.objectStoreNames.contains(IDB_STORE)) req.result.createObjectStore(IDB_STORE)
    }
    req.onsuccess = () => {
      const db = req.result
      const forget = () => {
        if (idbOpen === opened) idbOpen = null
      }
      // Let a newer version (another tab) open it; reconnect next time.
      db.onversionchange = () => {
        db.close()
        forget()
      }
      db.onclose = forget
      resolve(db)
    }
    req.onerror = () => reject(req.error)
    req.onblocked = () => {} // wait for the other connections to close
  })
  const opened = idbOpen
  opened.catch(() => {
    if (idbOpen === opened) idbOpen = null
  })
  return opened
}

/**
 * idbTx runs fn(objectStore) in a transaction of mode and resolves with
 * the result of the request fn returns once the transaction completed.
 */
async function idbTx(mode, fn) {
  let db = await idb()
  let tx
  try {
    tx = db.transaction(IDB_STORE, mode, mode === 'readwrite' ? { durability: 'strict' } : undefined)
  } catch (e) {
    // A connection the browser closed without telling (InvalidStateError): open another, once.
    if (e?.name !== 'InvalidStateError') throw e
    if (idbOpen && (await idbOpen) === db) idbOpen = null
    db = await idb()
    tx = db.transaction(IDB_STORE, mode, mode === 'readwrite' ? { durability: 'strict' } : undefined)
  }
  return new Promise((resolve, reject) => {
    const req = fn(tx.objectStore(IDB_STORE))
    tx.oncomplete = () => resolve(req.result)
    tx.onerror = () => reject(tx.error ?? req.error)
    tx.onabort = () => reject(tx.error ?? new DOMException('transaction aborted', 'AbortError'))
  })
}

/**
 * idbBackend keeps the snapshot as one Blob under key in the object store;
 * a commit is one put in one transaction, so the old record stays until
 * the new one is complete.
 */
function idbBackend(key) {
  return {
    lockName: async () => LOCK_PREFIX + key,
    async load() {
      const v = await idbTx('readonly', (s) => s.get(key))
      if (v === undefined || v === null) return null
      let bytes
      if (v instanceof Blob) bytes = new Uint8Array(await v.arrayBuffer())
      else if (v instanceof ArrayBuffer) bytes = new Uint8Array(v)
      else if (ArrayBuffer.isView(v)) bytes = new Uint8Array(v.buffer, v.byteOffset, v.byteLength)
      else throw new TypeError(`the record is a ${Object.prototype.toString.call(v)}, not the bytes of a snapshot`)
      return bytes.byteLength === 0 ? null : bytes
    },
    async start() {
      const parts = [] // Blobs of folded chunks
      let pending = []
      let pendingBytes = 0
      const fold = () => {
        if (pending.length) parts.push(new Blob(pending))
        pending = []
        pendingBytes = 0
      }
      return {
        async write(chunk) {
          pending.push(chunk)
          pendingBytes += chunk.byteLength
          if (pendingBytes >= IDB_FOLD_BYTES) fold()
        },
        async commit() {
          fold()
          const blob = new Blob(parts)
          parts.length = 0
          await idbTx('readwrite', (s) => s.put(blob, key))
        },
        async abort() {
          parts.length = 0
          pending = []
        },
      }
    },
    async remove() {
      await idbTx('readwrite', (s) => s.delete(key))
    },
  }
}

// ---- file (Node) --------------------------------------------------------

let nodeModules = null
// The names are not literals, so that a bundler building for the browser
// leaves them alone (and does not warn about them): only Node gets here.
const fsName = 'node:fs/promises'
const pathName = 'node:path'
const node = () =>
  (nodeModules ??= Promise.all([import(/* @vite-ignore */ fsName), import(/* @vite-ignore */ pathName)]).then(([fs, path]) => ({ fs, path })))

const isENOENT = (e) => e?.code === 'ENOENT'

/** alive says whether process pid exists (EPERM: it does, someone else's). */
function alive(pid) {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return e?.code === 'EPERM'
  }
}

/**
 * fileBackend keeps the snapshot in the file at path. A writer writes
 * <path>.<pid>.<random>.tmp, flushes it to disk and renames it over path
 * at commit; the rename is atomic, so path holds the old snapshot or the
 * new one, whole. A writer's next begin removes temporary files of this
 * path left by processes that died mid-write.
 */
function fileBackend(path) {
  return {
    // Lock by absolute path, whatever the key: two stores of one file share it.
    async lockName() {
      return LOCK_PREFIX + 'file:' + (await node()).path.resolve(path)
    },
    async load() {
      const { fs } = await node()
      try {
        const buf = await fs.readFile(path)
        if (buf.byteLength === 0) return null
        // A Buffer may be a view of a larger shared pool: hand out bytes of their own.
        const own = buf.byteOffset === 0 && buf.buffer.byteLength === buf.byteLength
        return own ? new Uint8Array(buf.buffer) : new Uint8Array(buf)
      } catch (e) {
        if (isENOENT(e)) return null
        throw e
      }
    },
    async start() {
      const { fs, path: p } = await node()
      const dir = p.dirname(path)
      await removeLeftovers(fs, p, dir, p.basename(path))
      const rnd = Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => b.toString(16).padStart(2, '0')).join('')
      const tmp = `${path}.${process.pid}.${rnd}.tmp`
      const fh = await fs.open(tmp, 'wx', 0o644)
      let closed = false
      const close = async () => {
        if (!closed) {
          closed = true
          await fh.close()
        }
      }
      return {
        async write(chunk) {
          for (let at = 0; at < chunk.byteLength; ) {
            const { bytesWritten } = await fh.write(chunk, at, chunk.byteLength - at)
            at += bytesWritten
          }
        },
        async commit() {
          await fh.datasync()
          await close()
          await fs.rename(tmp, path)
          await syncDir(fs, dir)
        },
        async abort() {
          try {
            await close()
          } finally {
            await fs.unlink(tmp).catch((e) => {
              if (!isENOENT(e)) throw e
            })
          }
        },
      }
    },
    async remove() {
      const { fs } = await node()
      try {
        await fs.unlink(path)
      } catch (e) {
        if (!isENOENT(e)) throw e
      }
    },
  }
}

/**
 * removeLeftovers deletes dir's <base>.<pid>.<hex>.tmp files whose
 * process is gone, or is this one (this process's writer of the path
 * holds the lock, so no other writer of it here is writing).
 */
async function removeLeftovers(fs, p, dir, base) {
  let names
  try {
    names = await fs.readdir(dir)
  } catch {
    return // a missing directory fails at open, with its own message
  }
  const prefix = base + '.'
  for (const n of names) {
    if (!n.startsWith(prefix)) continue
    const m = /^(\d+)\.[0-9a-f]+\.tmp$/.exec(n.slice(prefix.length))
    if (!m) continue
    const pid = Number(m[1])
    if (pid === process.pid || !alive(pid)) await fs.unlink(p.join(dir, n)).catch(() => {})
  }
}

/** syncDir flushes dir's entries (the rename) to disk where the system allows it. */
async function syncDir(fs, dir) {
  if (process.platform === 'win32') return
  let fh
  try {
    fh = await fs.open(dir, 'r')
    await fh.sync()
  } catch {
    // Not every file system lets a directory be synced; the rename stands.
  } finally {
    await fh?.close().catch(() => {})
  }
}
