// Collections that no stream feeds: TanStack DB's createCollection (with a
// sync function of the user's) and localOnlyCollectionOptions. Their rows
// live in the Go module like a StreamDB's, in a database of their own that
// reads no stream; queries read them like any collection, and a query that
// joins one with a StreamDB's collections runs in that StreamDB, on a copy
// the module keeps in step (js/db.js _mirror).
import { liveModule } from './wasm.js'
import { Collection, Host } from './db.js'
import {
  StreamDBError,
  CollectionRequiresSyncConfigError,
  DuplicateKeySyncError,
  UndefinedKeyError,
  InvalidKeyError,
  KeyUpdateNotAllowedError,
  NoPendingSyncTransactionWriteError,
  NoPendingSyncTransactionCommitError,
  SyncTransactionAlreadyCommittedError,
  SyncTransactionAlreadyCommittedWriteError,
  call,
  fromModule,
} from './errors.js'
import { encodeStored } from './wire.js'

let made = 0 // local collections made, for their names in the module

/**
 * LocalDB is the module's database of local collections: one per module
 * instance, made with the first local collection.
 */
class LocalDB extends Host {
  #mod
  #h
  #following = ''
  collections = Object.create(null) // name in the module → LocalCollection

  constructor(mod) {
    super()
    this.#mod = mod
    this.#h = call(mod, 'localOpen', (json) => this._step(json), (err) => this._report(fromModule(err)))
  }
  get _mod() {
    return this.#mod
  }
  _isClosed() {
    return false
  }
  _h() {
    return this.#h
  }
  _rh() {
    return this.#h
  }
  // Each local collection has a status of its own; the database is ready.
  _status() {
    return 'ready'
  }
  preload() {
    return Promise.resolve()
  }
  _follow() {
    const names = Object.entries(this.collections).filter(([, c]) => c._followed()).map(([n]) => n)
    const key = JSON.stringify(names)
    if (key === this.#following) return
    this.#following = key
    call(this.#mod, 'dbFollow', this.#h, key)
  }
}

let host = null

// localHost returns the database of local collections of the running module.
function localHost() {
  const mod = liveModule()
  if (host === null || host._mod !== mod) host = new LocalDB(mod)
  return host
}

function checkKey(key, row) {
  if (key === undefined || key === null) throw new UndefinedKeyError(`An object was created without a defined key: ${JSON.stringify(row)}`)
  if (typeof key !== 'string' && typeof key !== 'number') {
    throw new InvalidKeyError(`getKey returned an invalid key type. Expected string or number, but got ${typeof key}: ${JSON.stringify(key)}. Item: ${JSON.stringify(row)}`)
  }
  return key
}

/**
 * LocalCollection is a collection made by createCollection: TanStack DB's
 * collection API over rows held by the Go module. Its keys are strings
 * there (getKey's number 1 is the key "1", and get(1) finds it).
 */
export class LocalCollection extends Collection {
  #db
  #name // in the module
  #config
  #status = 'idle'
  #ready // { promise, resolve, reject } of the first markReady
  #onReady = []
  #cleanup
  #syncTxs = [] // sync transactions begun and not committed: [{ ops, truncate }]

  constructor(config) {
    const db = localHost()
    const name = `local:${++made}`
    const id = config.id ?? globalThis.crypto.randomUUID()
    super(db, id, { schema: config.schema, local: true }, name)
    call(db._mod, 'localAdd', db._h(), encodeStored(name))
    db.collections[name] = this
    this.#db = db
    this.#name = name
    this.#config = config
    this.id = id
    this.config = config
    this._handlers = { insert: config.onInsert, update: config.onUpdate, delete: config.onDelete }
    this.utils = { ...config.utils }
    let resolve, reject
    const promise = new Promise((res, rej) => {
      resolve = res
      reject = rej
    })
    promise.catch(() => {})
    this.#ready = { promise, resolve, reject }
    if (config.startSync) this.startSyncImmediate()
  }

  _keyOf(row) {
    return encodeStored(String(checkKey(this.#config.getKey(row), row)))
  }
  _checkKey(key, row) {
    const next = checkKey(this.#config.getKey(row), row)
    if (String(next) !== String(key)) {
      throw new KeyUpdateNotAllowedError(`Updating the key of an item is not allowed. Original key: "${key}", Attempted new key: "${next}". Please delete the old item and create a new one if a key change is necessary.`)
    }
  }
  // _used: a query reads the collection, which starts its sync.
  _used() {
    this.startSyncImmediate()
  }

  /** 'idle' until its sync starts, then 'loading', 'ready' (markReady), 'error' or 'cleaned-up'. */
  get status() {
    return this.#status
  }
  isReady() {
    return this.#status === 'ready'
  }
  /** preload starts the sync and resolves when it marks the collection ready. */
  preload() {
    this.startSyncImmediate()
    return this.#ready.promise
  }
  /** onFirstReady calls fn once the collection is ready (at once if it is). */
  onFirstReady(fn) {
    if (this.#status === 'ready') fn()
    else this.#onReady.push(fn)
  }
  subscribeChanges(fn, options) {
    const sub = super.subscribeChanges(fn, options)
    this.startSyncImmediate()
    return sub
  }

  /** startSyncImmediate runs the sync function now, unless it runs already. */
  startSyncImmediate() {
    if (this.#status !== 'idle' && this.#status !== 'cleaned-up') return
    this.#status = 'loading'
    const out = this.#config.sync.sync({
      collection: this,
      begin: () => this.#syncTxs.push({ ops: [], truncate: false }),
      write: (message) => this.#write(message),
      commit: () => this.#commit(),
      markReady: () => this.#markReady(),
      markError: (err) => this.#markError(err),
      truncate: () => {
        const t = this.#syncTxs.at(-1)
        if (!t) throw new NoPendingSyncTransactionWriteError('No pending sync transaction to write to')
        t.ops = []
        t.truncate = true
      },
    })
    this.#cleanup = typeof out === 'function' ? out : out?.cleanup
  }

  #write(message) {
    const t = this.#syncTxs.at(-1)
    if (!t) throw new NoPendingSyncTransactionWriteError('No pending sync transaction to write to')
    if (t.committed) throw new SyncTransactionAlreadyCommittedWriteError("The pending sync transaction is already committed, you can't still write to it.")
    const key = 'key' in message ? checkKey(message.key, message) : checkKey(this.#config.getKey(message.value), message.value)
    const k = String(key)
    switch (message.type) {
      case 'insert':
        t.ops.push(['i', k, message.value])
        break
      case 'update':
        t.ops.push([this.#config.sync.rowUpdateMode === 'full' ? 'r' : 'u', k, message.value])
        break
      case 'delete':
        t.ops.push(['d', k])
        break
      default:
        throw new StreamDBError(`sync write: unknown type ${JSON.stringify(message.type)} (insert, update or delete)`, { code: 'BAD_ARGUMENT' })
    }
  }

  #commit() {
    const t = this.#syncTxs.at(-1)
    if (!t) throw new NoPendingSyncTransactionCommitError('No pending sync transaction to commit')
    this.#syncTxs.pop()
    try {
      call(this.#db._mod, 'localSync', this.#db._h(), encodeStored(this.#name), t.truncate, JSON.stringify(t.ops))
    } catch (e) {
      if (e.code === 'DUPLICATE_KEY_SYNC') {
        throw new DuplicateKeySyncError(`Cannot insert document from sync because its key already exists in the collection "${this.id}" (${e.message})`, { cause: e })
      }
      throw e
    }
    return true
  }

  #markReady() {
    if (this.#status === 'ready') return
    this.#status = 'ready'
    this.#ready.resolve()
    const fns = this.#onReady
    this.#onReady = []
    for (const fn of fns) this.#db._run(fn, undefined, 'an onFirstReady callback')
  }
  #markError(err) {
    this.#status = 'error'
    this.#ready.reject(err)
  }

  /** cleanup stops the sync (its cleanup function runs) and drops the rows. */
  async cleanup() {
    const fn = this.#cleanup
    this.#cleanup = undefined
    this.#status = 'cleaned-up'
    call(this.#db._mod, 'localSync', this.#db._h(), encodeStored(this.#name), true, '[]')
    await fn?.()
  }
}

/**
 * createCollection makes a collection as TanStack DB's does: { id?,
 * getKey, sync: { sync, rowUpdateMode? }, schema?, onInsert?, onUpdate?,
 * onDelete?, startSync?, utils? } (localOnlyCollectionOptions(...) gives
 * such a config). Its rows live in the Go module, and queries join it with
 * a StreamDB's collections.
 */
export function createCollection(config) {
  if (config === null || typeof config !== 'object') throw new StreamDBError('Collection requires a config', { code: 'BAD_ARGUMENT' })
  if (!config.sync || typeof config.sync.sync !== 'function') throw new CollectionRequiresSyncConfigError('Collection requires a sync config')
  if (typeof config.getKey !== 'function') throw new StreamDBError('createCollection: getKey must be a function', { code: 'BAD_ARGUMENT' })
  return new LocalCollection(config)
}

/**
 * localOnlyCollectionOptions({ id?, getKey, schema?, initialData?,
 * onInsert?, onUpdate?, onDelete?, utils? }) returns the config of an
 * in-memory collection, as TanStack DB's: it starts with initialData and is
 * ready at once; a write outside a transaction runs the handler given (if
 * any) and is then confirmed into the collection's synced rows; in a
 * transaction of your own, call utils.acceptMutations(transaction) in its
 * mutationFn.
 */
export function localOnlyCollectionOptions(config = {}) {
  const { initialData, onInsert, onUpdate, onDelete, utils, ...rest } = config
  let sync = null // the sync functions, once the collection has started
  const confirm = (transaction) => {
    const mine = (transaction?.mutations ?? []).filter((m) => m.collection === sync?.collection)
    if (mine.length === 0) return
    sync.begin()
    for (const m of mine) {
      if (m.type === 'delete') sync.write({ type: 'delete', key: m.key })
      else sync.write({ type: m.type, key: m.key, value: m.modified })
    }
    sync.commit()
  }
  const wrap = (handler) => async (params) => {
    const out = await handler?.(params)
    confirm(params.transaction)
    return out
  }
  return {
    ...rest,
    sync: {
      sync: (params) => {
        sync = params
        params.begin()
        for (const row of initialData ?? []) params.write({ type: 'insert', value: row })
        params.commit()
        params.markReady()
        return () => {
          sync = null
        }
      },
    },
    onInsert: wrap(onInsert),
    onUpdate: wrap(onUpdate),
    onDelete: wrap(onDelete),
    utils: { ...utils, acceptMutations: (transaction) => confirm(transaction) },
    startSync: true,
    gcTime: 0,
  }
}
