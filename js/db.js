// createStreamDB: a StreamDB over one Durable Stream, computed by the Go
// module. The JS side holds no rows: reads ask the module, and everything a
// step changes (collections followed by subscribers, every live query's
// result) arrives in one JSON string per step (the wire format: js/wire.js).
// Every live query of a step is updated before any user callback runs, and
// each user callback runs on its own: what it throws goes to onError.
import { loadModule, liveModule, onModuleExit, dbOpened, dbClosed, warmModule } from './wasm.js'
import { SOURCE } from './query.js'
import { validateSync } from './schema.js'
import {
  StreamDBError,
  SchemaValidationError,
  MissingMutationContextError,
  MissingInsertHandlerError,
  MissingUpdateHandlerError,
  MissingDeleteHandlerError,
  ClosedError,
  call,
  fromModule,
} from './errors.js'
import { LiveQuery } from './live.js'
import { encodeStored, decodeKeys } from './wire.js'
import { openSnapshotStore } from './persist.js'

// The module loads once, before any StreamDB; each StreamDB then uses the
// instance running when it was made (see liveModule).
await loadModule()

// What collection writes join: the transaction of an action's onMutate
// ({db, id, tx}), a Pending (createOptimisticAction, createTransaction)
// that begins one on the db of the first collection written, or null.
let ambient = null

/**
 * Pending is the ambient context of a transaction not yet tied to a
 * StreamDB: the first collection write begins its transaction on that
 * collection's db. One transaction stays within one StreamDB.
 */
class Pending {
  db = null
  id = null
  tx = null
  bind(db) {
    if (!this.db) {
      Object.assign(this, db._begin())
      this.db = db
    }
    return this
  }
}

const TYPES = { i: 'insert', u: 'update', d: 'delete' }

// The module may keep a JS function it was given after it is done with it
// (a JS value Go held is let go of only by a finalizer of Go's collector,
// which need not run). The functions a call hands it therefore reach the
// db, a transaction or user code only through a holder the call empties
// when it ends, and are made here, outside any method: a closure keeps the
// whole scope it was made in (V8 gives a scope's closures one context),
// `this` included.

// persistCall returns txCommit's persist step: mutationFn's work, until
// held is emptied.
function persistCall(held) {
  return () => (held.tx ? held.tx._persist(held.persist) : Promise.reject(new ClosedError('the transaction is settled')))
}

// reporter returns an append's onRetry: each failed try to held.db's
// onError, until held is emptied.
function reporter(held) {
  return (e) => held.db?._report(fromModule(e))
}

// A closed db keeps its rows readable; they are released in the module
// when the StreamDB object is garbage collected.
const release = new FinalizationRegistry(({ mod, h }) => {
  try {
    mod.dbRelease(h)
  } catch {
    // the module is gone
  }
})

/** Collection is one collection of a StreamDB, with TanStack DB's read API. */
// VIRTUAL_PROPS are TanStack DB's virtual row fields, which the rows read
// carry with the virtualProps option.
const VIRTUAL_PROPS = ['$hasPendingWrites', '$synced', '$origin', '$key', '$collectionId']

export class Collection {
  #db
  #name
  #wireName // #name as it crosses to the module (encodeStored)
  #def
  #subs = new Set()

  // engineName is the collection's name in the module (a local
  // collection's differs from the name its messages use).
  constructor(db, name, def, engineName = name) {
    this.#db = db
    this.#name = name
    this.#wireName = encodeStored(engineName)
    this.#def = def
    if (db.stream) this.id = `stream-db:${db.stream.url}:${name}`
    Object.defineProperty(this, SOURCE, { value: { name: engineName, db, local: def.local ? this : undefined } })
  }

  /** The row with this key, or undefined. */
  get(key) {
    const s = call(this.#db._mod, 'collGet', this.#db._rh(), this.#wireName, encodeStored(String(key)))
    return s == null ? undefined : JSON.parse(s)
  }
  has(key) {
    return call(this.#db._mod, 'collHas', this.#db._rh(), this.#wireName, encodeStored(String(key)))
  }
  get size() {
    return call(this.#db._mod, 'collSize', this.#db._rh(), this.#wireName)
  }
  #entries() {
    return JSON.parse(call(this.#db._mod, 'collRows', this.#db._rh(), this.#wireName))
  }
  /** The rows, in key order. */
  get toArray() {
    return this.#entries().map((e) => e[1])
  }
  /** A new Map from key to row. */
  get state() {
    return new Map(this.#entries())
  }
  keys() {
    return this.#entries().map((e) => e[0])[Symbol.iterator]()
  }
  values() {
    return this.toArray[Symbol.iterator]()
  }
  entries() {
    return this.#entries()[Symbol.iterator]()
  }
  [Symbol.iterator]() {
    return this.entries()
  }
  forEach(fn) {
    for (const [k, v] of this.#entries()) fn(v, k, this)
  }
  get status() {
    return this.#db._status()
  }
  isReady() {
    return this.#db._status() === 'ready'
  }
  preload() {
    return this.#db.preload()
  }
  async toArrayWhenReady() {
    await this.preload()
    return this.toArray
  }
  async stateWhenReady() {
    await this.preload()
    return this.state
  }

  /**
   * subscribeChanges calls fn with every batch of changes
   * ([{type, key, value, previousValue}]); with includeInitialState the
   * first call carries the current rows as inserts.
   */
  subscribeChanges(fn, { includeInitialState = false } = {}) {
    if (typeof fn !== 'function') throw new StreamDBError('subscribeChanges: expected a function', { code: 'BAD_ARGUMENT' })
    this.#subs.add(fn)
    this.#db._follow()
    if (includeInitialState) {
      const rows = this.#entries().map(([key, value]) => ({ type: 'insert', key, value }))
      if (rows.length > 0) fn(rows)
    }
    const unsubscribe = () => {
      if (this.#subs.delete(fn)) this.#db._follow()
    }
    return { unsubscribe }
  }

  _followed() {
    return this.#subs.size > 0
  }
  // _deliver adds the subscriber calls of one step's changes (CHANGEs of
  // js/wire.js) to calls, as [fn, changes, what].
  _deliver(raw, calls) {
    const changes = raw.map(([t, key, value, previousValue]) =>
      t === 'u' ? { type: 'update', key, value, previousValue } : { type: TYPES[t], key, value })
    for (const fn of this.#subs) calls.push([fn, changes, `a ${this.#name} subscriber`])
  }

  #tx(op) {
    if (ambient && ambient.db && ambient.db !== this.#db) {
      throw new MissingMutationContextError(`${this.#name}.${op}: a transaction changes the collections of one StreamDB only (this one began on another)`)
    }
    const tx = ambient instanceof Pending ? ambient.bind(this.#db) : ambient
    if (!tx || tx.db !== this.#db) {
      if (this._handlers) return this.#own(op)
      throw new MissingMutationContextError(
        `${this.#name}.${op}: collections change only inside an action's onMutate (define actions in createStreamDB), or a transaction's mutate()`,
      )
    }
    return tx
  }
  // #own begins the transaction of a write made outside any (a local
  // collection's): its handler (onInsert, ...) is its mutationFn, as in
  // TanStack DB. Without the handler the write throws.
  #own(op) {
    const handler = this._handlers[op]
    if (typeof handler !== 'function') {
      const C = { insert: MissingInsertHandlerError, update: MissingUpdateHandlerError, delete: MissingDeleteHandlerError }[op]
      const on = `on${op[0].toUpperCase()}${op.slice(1)}`
      throw new C(`Collection.${op} called directly (not within an explicit transaction) but no '${on}' handler is configured.`)
    }
    return { db: this.#db, ...this.#db._begin(), own: handler }
  }
  // #written commits a write's own transaction (#own); #failed abandons it.
  #written(tx) {
    if (tx.own) this.#db._commit(tx.tx, () => tx.own({ transaction: tx.tx, collection: this }))
  }
  #failed(tx) {
    if (tx.own) this.#db._abandon(tx.tx)
  }
  // _keyOf returns the key an insert names: '' for a collection keyed by
  // its primary-key field (the module reads it from the row).
  _keyOf() {
    return ''
  }

  #validate(value, op) {
    const { value: out, issues } = validateSync(this.#def.schema, value)
    if (issues.length > 0) {
      throw new SchemaValidationError(
        `${op === 'insert' ? 'Insert' : 'Update'} validation failed for ${this.#name}: ${issues.map((i) => i.message).join(', ')}`,
        { issues },
      )
    }
    return out
  }

  /** insert adds rows optimistically (inside an action's onMutate). */
  insert(data) {
    const tx = this.#tx('insert')
    try {
      for (const row of Array.isArray(data) ? data : [data]) {
        const v = this.#validate(row, 'insert')
        call(this.#db._mod, 'txMutate', this.#db._h(), tx.id, 'insert', this.#wireName, this._keyOf(v), JSON.stringify(v))
      }
    } catch (e) {
      this.#failed(tx)
      throw e
    }
    this.#written(tx)
    return tx.tx
  }

  /**
   * update changes rows optimistically: update(key, draft => { draft.x = 1 })
   * or update([keys], drafts => ...). Only the changed top-level fields are
   * written.
   */
  update(keys, configOrFn, maybeFn) {
    const fn = typeof configOrFn === 'function' ? configOrFn : maybeFn
    if (typeof fn !== 'function') throw new StreamDBError('update: expected a callback that changes a draft', { code: 'BAD_ARGUMENT' })
    const tx = this.#tx('update')
    try {
      this.#update(tx, keys, fn)
    } catch (e) {
      this.#failed(tx)
      throw e
    }
    this.#written(tx)
    return tx.tx
  }

  #update(tx, keys, fn) {
    const many = Array.isArray(keys)
    const list = many ? keys : [keys]
    const originals = list.map((k) => {
      const row = this.get(k)
      if (row === undefined) {
        // TanStack DB's UpdateKeyNotFoundError message, with our code
        throw new StreamDBError(`The key "${k}" was passed to update but an object for this key was not found in the collection`, { code: 'KEY_NOT_FOUND', key: String(k) })
      }
      return row
    })
    const drafts = originals.map((r) => structuredClone(r))
    // With virtualProps the rows read carry TanStack DB's virtual fields:
    // the draft is the row's own fields, as TanStack DB's is.
    if (this.#db._virtualProps) for (const d of drafts) for (const p of VIRTUAL_PROPS) delete d[p]
    fn(many ? drafts : drafts[0])
    list.forEach((k, i) => {
      const before = originals[i]
      const after = drafts[i]
      const changes = {}
      for (const [f, v] of Object.entries(after)) {
        if (JSON.stringify(v) !== JSON.stringify(before[f])) changes[f] = v
      }
      if (Object.keys(changes).length === 0) return
      this.#validate(after, 'update')
      this._checkKey(k, after)
      call(this.#db._mod, 'txMutate', this.#db._h(), tx.id, 'update', this.#wireName, encodeStored(String(k)), JSON.stringify(changes))
    })
  }

  // _checkKey refuses an update that changes the row's key (a local
  // collection's; the module checks the primary-key field's).
  _checkKey() {}

  /** delete removes rows optimistically. */
  delete(keys) {
    const tx = this.#tx('delete')
    try {
      for (const k of Array.isArray(keys) ? keys : [keys]) {
        call(this.#db._mod, 'txMutate', this.#db._h(), tx.id, 'delete', this.#wireName, encodeStored(String(k)))
      }
    } catch (e) {
      this.#failed(tx)
      throw e
    }
    this.#written(tx)
    return tx.tx
  }
}

/**
 * Transaction is an optimistic action's transaction: its changes are
 * visible at once; isPersisted.promise settles when mutationFn does (and
 * the changes are rolled back when it fails).
 */
export class Transaction {
  #db
  #state = 'pending'
  #mutations = []
  #settled = false
  #onSettled
  #abort // rejects the Promise the module awaits for mutationFn
  #rejection // [what mutationFn rejected with], once it has
  constructor(db, id, onSettled) {
    this.#db = db
    this.#onSettled = onSettled
    this.id = id
    let resolve, reject
    const promise = new Promise((res, rej) => {
      resolve = res
      reject = rej
    })
    promise.catch(() => {}) // a rejection nobody awaits is not an unhandled error
    this.isPersisted = { promise, resolve, reject }
    this.error = undefined
  }
  get state() {
    return this.#state
  }
  get mutations() {
    return this.#mutations
  }
  _refresh() {
    try {
      const info = JSON.parse(call(this.#db._mod, 'txInfo', this.#db._h(), this.id))
      this.#state = info.state
      // As in TanStack DB, a mutation names its Collection object.
      for (const m of info.mutations) m.collection = this.#db._collection(m.collection) ?? m.collection
      this.#mutations = info.mutations
    } catch {
      // settled and forgotten by the module: keep the last state
    }
  }
  // _persist runs mutationFn for the module. The module awaits the Promise
  // returned, which also rejects when the transaction fails first (a
  // rollback, close), so that the module stops waiting for a mutationFn
  // that never settles.
  _persist(fn) {
    return new Promise((resolve, reject) => {
      this.#abort = reject
      const rejected = (e) => {
        this.#rejection = [e]
        reject(e)
      }
      try {
        Promise.resolve(fn()).then(resolve, rejected)
      } catch (e) {
        rejected(e)
      }
    })
  }
  // _committed settles the transaction as the module's commit did: a
  // failure of mutationFn with mutationFn's own value, untouched.
  _committed(ok, err) {
    if (ok) this._complete()
    else this._fail(this.#rejection ? this.#rejection[0] : fromModule(err))
  }
  _complete() {
    if (this.#settle('completed')) this.isPersisted.resolve(this)
  }
  // _fail fails the transaction with err; any rejection value is a failure
  // (as in TanStack DB, a value that is not an Error is wrapped in one).
  _fail(err) {
    if (!this.#settle('failed')) return
    this.error = toError(err)
    this.isPersisted.reject(this.error)
    this.#abort?.(this.error)
  }
  #settle(state) {
    if (this.#settled) return false
    this.#settled = true
    this.#state = state
    this.#onSettled?.(this)
    return true
  }
  /** rollback undoes a pending transaction. */
  rollback() {
    if (this.#state === 'completed') {
      throw new StreamDBError('You can no longer call .rollback() as the transaction is already completed', { code: 'TX_NOT_PENDING' })
    }
    if (this.#db) call(this.#db._mod, 'txRollback', this.#db._h(), this.id)
    this._fail(new StreamDBError('transaction rolled back', { code: 'ROLLED_BACK' }))
  }
}

// mutateIn runs fn with ctx as the ambient context of collection writes; an
// onMutate (what) must be synchronous.
function mutateIn(ctx, fn, what) {
  const prev = ambient
  ambient = ctx
  try {
    const r = fn()
    if (r && typeof r.then === 'function') {
      throw new StreamDBError(`${what} must be synchronous (it returned a Promise)`, { code: 'ONMUTATE_ASYNC' })
    }
  } finally {
    ambient = prev
  }
}

/**
 * createOptimisticAction({ onMutate, mutationFn }) returns vars =>
 * Transaction, as TanStack DB's: onMutate(vars) writes collections at once
 * (optimistically; it must be synchronous), then mutationFn(vars,
 * { transaction }) persists. An action that writes nothing completes at
 * once without calling mutationFn. The collections must be of one StreamDB.
 */
export function createOptimisticAction({ onMutate, mutationFn } = {}) {
  return (vars) => {
    const pending = new Pending()
    try {
      mutateIn(pending, () => onMutate?.(vars), 'onMutate')
    } catch (e) {
      pending.db?._abandon(pending.tx)
      throw e
    }
    if (!pending.db) return completedTransaction()
    pending.db._commit(pending.tx, () => mutationFn?.(vars, { transaction: pending.tx }))
    return pending.tx
  }
}

// Transactions tied to no StreamDB (yet) are numbered -1, -2, ...
let detached = 0

// completedTransaction is a transaction that wrote nothing: completed.
function completedTransaction() {
  const tx = new Transaction(null, --detached, null)
  tx._complete()
  return tx
}

/**
 * createTransaction({ mutationFn, autoCommit = true }) returns a
 * transaction, as TanStack DB's: tx.mutate(() => collection writes) applies
 * them optimistically (and commits, with autoCommit); tx.commit() calls
 * mutationFn({ transaction }) to persist them; tx.rollback() undoes them.
 * isPersisted.promise settles with the outcome. A transaction that wrote
 * nothing completes without calling mutationFn.
 */
export function createTransaction({ mutationFn, autoCommit = true } = {}) {
  return new StandaloneTransaction(mutationFn, autoCommit)
}

/** StandaloneTransaction is createTransaction's transaction: it becomes a StreamDB's at its first write. */
class StandaloneTransaction {
  #pending = new Pending()
  #mutationFn
  #autoCommit
  #own // the state before the first write ties it to a StreamDB's transaction
  #committing = false
  constructor(mutationFn, autoCommit) {
    this.#mutationFn = mutationFn
    this.#autoCommit = autoCommit
    this.#own = new Transaction(null, --detached, null)
  }
  // The transaction that holds the state: the StreamDB's once there is one.
  #tx() {
    return this.#pending.tx ?? this.#own
  }
  get id() {
    return this.#tx().id
  }
  get state() {
    return this.#tx().state
  }
  get mutations() {
    return this.#tx().mutations
  }
  get error() {
    return this.#tx().error
  }
  get isPersisted() {
    return this.#tx().isPersisted
  }
  /** mutate runs fn; the collection writes it makes join this transaction. */
  mutate(fn) {
    if (this.state !== 'pending' || this.#committing) {
      throw new StreamDBError('You can no longer call .mutate() as the transaction is no longer pending', { code: 'TX_NOT_PENDING' })
    }
    const bound = this.#pending.tx
    try {
      mutateIn(this.#pending, fn, 'mutate')
    } catch (e) {
      if (!bound) this.#pending.db?._abandon(this.#pending.tx)
      throw e
    }
    this.#pending.tx?._refresh()
    if (this.#autoCommit) this.commit()
    return this
  }
  /** commit persists the writes through mutationFn; it resolves when persisted. */
  commit() {
    if (this.state !== 'pending' || this.#committing) {
      throw new StreamDBError('You can no longer call .commit() as the transaction is no longer pending', { code: 'TX_NOT_PENDING' })
    }
    this.#committing = true
    if (!this.#pending.db) this.#own._complete()
    else this.#pending.db._commit(this.#pending.tx, () => this.#mutationFn?.({ transaction: this }))
    return this.isPersisted.promise
  }
  /** rollback undoes the writes. */
  rollback() {
    this.#tx().rollback()
  }
}

/**
 * Host is what a StreamDB and the database of local collections share:
 * their live queries, the steps that update them, the user callbacks they
 * run, and the transactions that write their collections.
 */
export class Host {
  _queries = new Map()
  _txs = new Set() // transactions not settled yet
  _onError = undefined

  // _collection returns the collection a step's changes of name go to.
  _collection(name) {
    return this.collections[name]
  }

  // runner runs the query's callbacks (fn.where, fn.select, fn.having),
  // n of them (js/fn.js).
  _openQuery(ir, runner, n, id, keys) {
    // A large first result crosses as the pieces of its text (js/wire.js);
    // id is the live query's, its rows' $collectionId with virtualProps;
    // keys: whether the result's keys come along (_queryKeys otherwise).
    const t = call(this._mod, 'queryOpen', this._h(), JSON.stringify(ir), runner, n, id, keys)
    if (typeof t === 'string') return JSON.parse(t)
    // Above 1 MiB: the object with its lists empty, then pieces of the
    // lists, [0, KEY, ...] or [1, ROW, ...], each parsed on its own (one
    // joined text would be copied whole before it is parsed).
    const r = JSON.parse(t[0])
    for (let i = 1; i < t.length; i++) {
      const piece = JSON.parse(t[i])
      t[i] = undefined
      const to = piece[0] === 0 ? r.keys : r.rows
      for (let j = 1; j < piece.length; j++) to.push(piece[j])
    }
    return r
  }
  // _queryKeys returns the keys of an open query's result as the module
  // holds it (js/wire.js, KEYTEXT).
  _queryKeys(id) {
    const t = call(this._mod, 'queryKeys', this._rh(), id)
    return decodeKeys(typeof t === 'string' ? t : t.join(''))
  }
  _register(id, q) {
    this._queries.set(id, q)
  }
  /** The number of live queries open on this database (for tests and diagnostics). */
  get _liveQueryCount() {
    return this._queries.size
  }
  _closeQuery(id) {
    this._queries.delete(id)
    if (!this._isClosed()) call(this._mod, 'queryClose', this._rh(), id)
  }

  // _step applies one step (js/wire.js): first every live query's result,
  // then the subscriber calls, each on its own.
  _step(json) {
    const s = JSON.parse(json)
    const calls = []
    for (const [name, changes] of Object.entries(s.c)) this._collection(name)?._deliver(changes, calls)
    for (const [id, changes] of s.q) this._queries.get(id)?._apply(changes, calls)
    for (const [fn, changes, what] of calls) this._run(fn, changes, what)
  }

  // _run calls a user callback (what names it) with arg. What it throws
  // stops neither the caller nor the other callbacks: it goes to onError as
  // a StreamDBError with code CALLBACK_THREW, the exception as its cause.
  _run(fn, arg, what) {
    try {
      fn(arg)
    } catch (e) {
      this._report(new StreamDBError(`${what} threw: ${describe(e)}`, { code: 'CALLBACK_THREW', cause: e }))
    }
  }

  // _report hands an error to onError, or to the console without one (or
  // when onError throws).
  _report(e) {
    if (this._onError) {
      try {
        this._onError(e)
        return
      } catch (e2) {
        console.error('StreamDB: onError threw', e2, 'while reporting', e)
        return
      }
    }
    console.warn('StreamDB:', e)
  }

  // _begin begins a transaction: {id, tx}.
  _begin() {
    if (this._isClosed()) throw new ClosedError()
    const id = call(this._mod, 'txBegin', this._rh(), {})
    const tx = new Transaction(this, id, (t) => this._txs.delete(t))
    this._txs.add(tx)
    return { id, tx }
  }
  // _abandon rolls back a transaction whose writes failed midway.
  _abandon(tx) {
    this._txs.delete(tx)
    try {
      call(this._mod, 'txRollback', this._rh(), tx.id)
    } catch {
      // nothing to undo
    }
  }
  // _commit commits tx: the module calls persist (mutationFn's work) and
  // settles the transaction with its outcome.
  _commit(tx, persist) {
    tx._refresh()
    const held = { tx, persist }
    const settle = (ok, e) => {
      held.tx = held.persist = null
      tx._committed(ok, e)
    }
    this._mod.txCommit(this._rh(), tx.id, persistCall(held)).then(
      () => settle(true),
      (e) => settle(false, e),
    )
  }
}

/**
 * warmUp runs the query engine on made-up rows so that the browser
 * optimizes its code before the page's first queries need it (a first
 * visit's first results then run about as fast as later ones). In a
 * browser it runs in a Worker, on another instance of the same compiled
 * module, and the page's thread pays nothing: createStreamDB starts it on
 * a device with at least four logical cores (or when given warmUp: true),
 * and calling warmUp() starts it if it has not started, or waits for it.
 * Where no Worker can run (Node, a content security policy that forbids
 * workers), warmUp() runs it on the page's thread instead, in slices with
 * the page running between them (about half a second in all). Once per
 * page. It resolves with {thread: 'worker' | 'page', ms}, or null when it
 * could not run (the module died, or stopped it early).
 */
export function warmUp() {
  return warmModule({ mainThread: true })
}

// warmUpCores is the fewest logical cores (navigator.hardwareConcurrency)
// with which createStreamDB starts the warm-up by default.
const warmUpCores = 4

/**
 * createStreamDB connects collection definitions (createStateSchema) to a
 * Durable Stream. Nothing is read until preload().
 */
export function createStreamDB(options = {}) {
  return new StreamDB(options)
}

class StreamDB extends Host {
  #mod // the module instance this db lives in
  #h
  #closed = false
  #ready = false
  #error = undefined
  #preloading
  #following = ''
  #connection = Object.freeze({ state: 'connecting' })
  #appends = new Set() // AbortControllers of the appends in flight
  #connectionSubs = new Set()
  #unlisten
  #restored = false // a persisted snapshot was restored; catch-up runs
  #mirrors = new Map() // a local collection's name → its mirror's here (_mirror)
  #cb // what the module's callbacks reach (see the constructor); emptied by close

  constructor({ streamOptions, stream, state, actions, live = true, websocket, taskBudgetMs, idleTimeoutMs, retry, maxEventBytes, persist, virtualProps = false, warmUp, onError, onProgress, onEvent, onBatch } = {}) {
    super()
    const so = stream ?? streamOptions
    if (!so) throw new StreamDBError('createStreamDB requires stream or streamOptions', { code: 'BAD_ARGUMENT' })
    if (!so.url) throw new StreamDBError('createStreamDB: streamOptions.url is required', { code: 'BAD_ARGUMENT' })
    if (!state || typeof state !== 'object') throw new StreamDBError('createStreamDB requires state (createStateSchema(...))', { code: 'BAD_ARGUMENT' })
    const url = new URL(String(so.url), globalThis.location?.href).href
    // Header and params values may be functions (sync or async), called
    // anew for every request, as the reference client does (a token that
    // expires); the rest is sent as given.
    const headers = split(so.headers)
    const params = split(so.params)
    const dynamic = Object.keys(headers.fns).length > 0 || Object.keys(params.fns).length > 0
    // The functions' values now: [headers, params].
    const evaluateAll = () => Promise.all([evaluate(headers.fns), evaluate(params.fns)])
    let appendOrder = Promise.resolve()
    const retryJSON = retry === undefined ? undefined : JSON.stringify(retry)
    const liveMode = live === true || live === 'long-poll' ? 'long-poll' : live === 'sse' ? 'sse' : live === false ? 'off' : live === 'websocket' ? 'websocket' : null
    if (liveMode === null) throw new StreamDBError(`createStreamDB: live must be true, false, 'long-poll', 'sse' or 'websocket', got ${JSON.stringify(live)}`, { code: 'BAD_ARGUMENT' })
    const gateway = liveMode === 'websocket' ? gatewayURL(websocket) : undefined
    if (typeof virtualProps !== 'boolean') {
      throw new StreamDBError(`createStreamDB: virtualProps must be a boolean, got ${String(virtualProps)}`, { code: 'BAD_ARGUMENT' })
    }
    this._virtualProps = virtualProps
    if (taskBudgetMs !== undefined && !(typeof taskBudgetMs === 'number' && taskBudgetMs > 0 && Number.isFinite(taskBudgetMs))) {
      throw new StreamDBError(`createStreamDB: taskBudgetMs must be a positive number of milliseconds, got ${String(taskBudgetMs)}`, { code: 'BAD_ARGUMENT' })
    }
    if (retry !== undefined) checkRetry(retry)
    if (maxEventBytes !== undefined && !(Number.isInteger(maxEventBytes) && maxEventBytes >= 1 && maxEventBytes < 2 ** 31)) {
      throw new StreamDBError(`createStreamDB: maxEventBytes must be a whole number of bytes from 1 to 2^31-1, got ${String(maxEventBytes)}`, { code: 'BAD_ARGUMENT' })
    }
    if (idleTimeoutMs !== undefined && !(typeof idleTimeoutMs === 'number' && idleTimeoutMs >= 0 && Number.isFinite(idleTimeoutMs))) {
      throw new StreamDBError(`createStreamDB: idleTimeoutMs must be a number of milliseconds (0: never), got ${String(idleTimeoutMs)}`, { code: 'BAD_ARGUMENT' })
    }
    const { store, persistEveryMs } = persistStore(persist, url)
    // send appends values (strings or bytes, one JSON value each) in one
    // request: with batch, each value is one message; without, values has
    // one value.
    const send = async (values, batch, opts) => {
      if (this.#closed) throw new ClosedError()
      const signal = opts.signal
      if (signal !== undefined && !(signal instanceof AbortSignal)) {
        throw new StreamDBError('stream.append: options.signal must be an AbortSignal', { code: 'BAD_ARGUMENT' })
      }
      signal?.throwIfAborted()
      let h = headers.values
      let p = params.values
      if (dynamic) {
        // One evaluation after the other, so that appends reach the
        // module in the order they were called.
        const evaluated = appendOrder.then(evaluateAll)
        appendOrder = evaluated.catch(() => {})
        const [dh, dp] = await evaluated
        h = { ...h, ...dh }
        p = { ...p, ...dp }
      }
      h = { ...h, ...resolveHeaders(opts.headers) }
      // Reading failed for good: appends waiting on the same server
      // would otherwise retry forever (see #connected).
      if (this.#connection.state === 'failed') throw this.#connection.error
      const abort = new AbortController()
      const onAbort = () => abort.abort(signal.reason)
      signal?.addEventListener('abort', onAbort, { once: true })
      if (signal?.aborted) onAbort()
      this.#appends.add(abort)
      const held = { db: this }
      try {
        return await this.#mod.append(withParams(url, p), batch ? values : values[0], {
          contentType: 'application/json',
          headers: h,
          signal: abort.signal,
          batch,
          // The db's retry policy, and each failed try to onError.
          retry: retryJSON,
          // live: 'websocket' appends over the gateway's socket too.
          gateway,
          onRetry: reporter(held),
        })
      } catch (e) {
        if (abort.signal.aborted) throw abort.signal.reason
        throw fromModule(e)
      } finally {
        held.db = null
        signal?.removeEventListener('abort', onAbort)
        this.#appends.delete(abort)
      }
    }
    this.stream = {
      url,
      // As the reference client's append: one payload, one message. A
      // promise is awaited first, as the reference does.
      append: async (data, opts = {}) => {
        if (isThenable(data)) data = await data
        return send([appendValue(data, 'stream.append')], false, opts ?? {})
      },
      appendBatch: async (events, opts = {}) => {
        if (!Array.isArray(events)) {
          throw new StreamDBError(`stream.appendBatch takes an array of events, got ${describeValue(events)}`, { code: 'BAD_ARGUMENT' })
        }
        if (events.length === 0) {
          throw new StreamDBError('stream.appendBatch: the array of events is empty (the protocol rejects an empty append)', { code: 'BAD_ARGUMENT' })
        }
        const values = events.map((e, i) => appendValue(e, `stream.appendBatch: event ${i}`))
        return send(values, true, opts ?? {})
      },
    }
    const config = {
      url,
      headers: headers.values,
      params: params.values,
      live: liveMode,
      taskBudgetMs,
      idleTimeoutMs,
      retry,
      maxEventBytes,
      persistEveryMs,
      virtualProps,
      websocket: gateway ? { url: gateway } : undefined,
      collections: Object.entries(state).map(([name, d]) => ({ name, type: d.type, primaryKey: d.primaryKey, id: `stream-db:${url}:${name}` })),
    }
    this._onError = onError
    this.#mod = liveModule()
    if (gateway && !this.#mod.websocket()) {
      throw new StreamDBError("createStreamDB: live: 'websocket' needs the WebSocket build of the module: import from '@streamdb/streamdb/websocket' (in every module of the page: the first entry imported decides which build loads)", { code: 'BAD_ARGUMENT' })
    }
    if (gateway && typeof globalThis.WebSocket !== 'function') {
      throw new StreamDBError("createStreamDB: live: 'websocket' needs a global WebSocket (browsers, Node 22 and later); this runtime has none", { code: 'BAD_ARGUMENT' })
    }
    if (warmUp !== undefined && typeof warmUp !== 'boolean') {
      throw new StreamDBError(`createStreamDB: warmUp must be a boolean, got ${String(warmUp)}`, { code: 'BAD_ARGUMENT' })
    }
    // The engine's warm-up, in a Worker, while the stream's first bytes are
    // on their way (see warmUp above); nothing where no Worker can run. By
    // default only with cores to spare for it: on the bench machine's two
    // the worker took CPU from the page and the server, and the preload
    // ended about 0.4 s later, more than the first results gained.
    if (warmUp ?? ((globalThis.navigator?.hardwareConcurrency ?? 0) >= warmUpCores)) warmModule()
    // What the module's callbacks reach, until close: the module holds them
    // (and may keep some of them after close; see close()), so through
    // them it must not keep this db, its results and the user's callbacks
    // alive for good: a closed db that nothing else holds is collected, and
    // then its rows are released in the module (dbRelease).
    const cb = (this.#cb = { db: this, onProgress, onEvent, onBatch, evaluateAll: dynamic ? evaluateAll : null })
    this.#h = call(this.#mod, 'dbOpen', JSON.stringify(config), ...StreamDB.#callbacks(cb), store)
    dbOpened()
    this.#unlisten = onModuleExit(this.#mod, (err) => this.#moduleExited(err))
    const collections = Object.create(null)
    for (const [name, def] of Object.entries(state)) collections[name] = new Collection(this, name, def)
    Object.defineProperty(this, 'collections', { value: Object.freeze(collections), enumerable: true })
    this.utils = {
      awaitTxId: (txid, timeout = 5000) => this.#awaitTxId(txid, timeout),
      saveSnapshot: () => this.#saveSnapshot(store),
    }
    if (actions) {
      const defs = actions({ db: this, stream: this.stream })
      const out = {}
      for (const [name, a] of Object.entries(defs ?? {})) out[name] = (params) => this.#runAction(name, a, params)
      this.actions = out
    }
  }

  // #awaitTxId waits until a batch carrying txid is visible, for timeout ms
  // at most (Infinity: no limit). The timer is ours, not the module's: it
  // is cleared as soon as the wait ends, so that it never keeps a page or
  // Node busy. A timeout of 0 or less has already passed: it resolves only
  // for a txid already seen, as the reference's setTimeout does.
  async #awaitTxId(txid, timeout) {
    if (typeof timeout !== 'number' || Number.isNaN(timeout)) {
      throw new StreamDBError(`awaitTxId: timeout must be a number of milliseconds, got ${typeof timeout === 'number' ? 'NaN' : typeof timeout}`, { code: 'BAD_ARGUMENT' })
    }
    const h = this._h()
    const expired = () => new StreamDBError(`Timeout waiting for txid: ${txid}`, { code: 'TXID_TIMEOUT', txid: String(txid) })
    const stop = new AbortController()
    const wait = this.#mod.awaitTxId(h, encodeStored(String(txid)), stop.signal)
    // an already-aborted signal would fail before the module looks for txid
    const timer = timeout >= 2 ** 31 ? undefined : setTimeout(() => stop.abort(), Math.max(timeout, 0))
    try {
      await wait
    } catch (e) {
      if (stop.signal.aborted) throw expired()
      throw fromModule(e)
    } finally {
      clearTimeout(timer)
    }
  }

  // #saveSnapshot writes a snapshot now (persist only).
  async #saveSnapshot(store) {
    if (!store) throw new StreamDBError('saveSnapshot: this StreamDB was created without persist', { code: 'USAGE' })
    const h = this._h()
    try {
      return JSON.parse(await this.#mod.dbSave(h))
    } catch (e) {
      throw fromModule(e)
    }
  }

  // #moduleExited: the Go program died under this db. Everything pending
  // rejects (js/wasm.js rejects the module's pending promises); the db says
  // failed, as after a fatal read error, and reports it.
  #moduleExited(err) {
    if (this.#closed) return
    this.#connected({ state: 'failed' }, err)
    this._report(err)
  }

  /** The module instance this db lives in (for the classes of this file). */
  get _mod() {
    return this.#mod
  }

  _isClosed() {
    return this.#closed
  }
  _h() {
    if (this.#closed) throw new ClosedError()
    return this.#h
  }
  // _rh is the handle for reads, which a closed db still answers (its
  // collections keep their data, as in the reference).
  _rh() {
    return this.#h
  }
  _status() {
    if (this.#closed) return 'cleaned-up'
    if (this.#error) return 'error'
    return this.#ready ? 'ready' : 'loading'
  }

  /**
   * status: 'loading', 'restored' (persist: a snapshot's rows are readable
   * and the stream is being read from its offset), 'ready', 'error' or
   * 'cleaned-up' (closed). Collections keep TanStack's statuses: they are
   * 'loading' until the catch-up is done.
   */
  get status() {
    const s = this._status()
    return s === 'loading' && this.#restored ? 'restored' : s
  }

  /** The offset of the last batch read ("-1" before preload). */
  get offset() {
    return this.#closed ? this._lastOffset ?? '-1' : (this._lastOffset = call(this.#mod, 'dbOffset', this.#h))
  }

  /** preload reads the stream up to its current end; it then follows it live. */
  preload() {
    if (this.#closed) return Promise.reject(new ClosedError())
    return (this.#preloading ??= this.#mod.dbPreload(this.#h).then(
      () => this.#markReady(),
      (e) => {
        this.#preloading = undefined
        const err = fromModule(e)
        if (err.code !== 'CLOSED') this.#error = err
        throw err
      },
    ))
  }

  /**
   * The link to the stream: {state: 'connecting' | 'live' | 'retrying' |
   * 'stopped' | 'failed' | 'closed', attempt, delayMs (while retrying),
   * error (the failure retried, or the one that stopped reading)}.
   */
  get connection() {
    return this.#connection
  }

  /** subscribeConnection calls fn with each new connection state; it returns the unsubscribe function. */
  subscribeConnection(fn) {
    this.#connectionSubs.add(fn)
    return () => this.#connectionSubs.delete(fn)
  }

  // #callbacks returns dbOpen's callbacks (onStep, onError, onProgress,
  // onBatch, onConnection, refresh) for the db of cb. Made here, not in the
  // constructor: a closure made there keeps the constructor's `this` (V8
  // gives the closures of one scope one context), and these reach the db
  // only through cb, which close empties.
  static #callbacks(cb) {
    return [
      (json) => cb.db?._step(json),
      (err) => cb.db?._report(fromModule(err)),
      (json) => {
        const db = cb.db
        if (!db) return
        const p = JSON.parse(json)
        if (p.phase === 'restore') db.#restored = true
        if (p.ready && !db.#ready) db.#markReady()
        if (cb.onProgress) db._run(cb.onProgress, p, 'onProgress')
      },
      cb.onEvent || cb.onBatch
        ? (json) => {
            const db = cb.db
            if (!db) return
            const batch = JSON.parse(json)
            if (cb.onEvent) {
              for (const item of batch.items) {
                if (item && typeof item === 'object' && item.headers && typeof item.headers.operation === 'string') db._run(cb.onEvent, item, 'onEvent')
              }
            }
            if (cb.onBatch) db._run(cb.onBatch, batch, 'onBatch')
          }
        : undefined,
      (json, cause) => cb.db?.#connected(JSON.parse(json), cause),
      cb.evaluateAll
        ? () =>
            cb.evaluateAll
              ? cb.evaluateAll().then(([h, p]) => JSON.stringify({ headers: h, params: p }))
              : Promise.reject(new ClosedError('StreamDB closed'))
        : undefined,
    ]
  }

  #connected(c, cause) {
    const conn = Object.freeze(cause ? { ...c, error: fromModule(cause) } : c)
    this.#connection = conn
    if (conn.state === 'failed' && !this.#closed) {
      this.#error = conn.error
      for (const q of this._queries.values()) q._failed()
      // Pending appends reject with the failure, rather than wait for a
      // server that reading gave up on.
      for (const a of this.#appends) a.abort(conn.error)
    }
    for (const fn of [...this.#connectionSubs]) this._run(fn, conn, 'a connection subscriber')
  }

  #markReady() {
    if (this.#ready) return
    this.#ready = true
    for (const q of this._queries.values()) q._ready()
  }

  /** close stops reading; pending preload and awaitTxId calls reject. It cannot be undone. */
  close() {
    if (this.#closed) return
    try {
      this._lastOffset = call(this.#mod, 'dbOffset', this.#h)
    } catch {
      // keep the last one
    }
    for (const tx of [...this._txs]) tx._fail(new ClosedError('StreamDB closed before the transaction persisted'))
    // The results stay readable: their keys come over while the module
    // still holds them.
    for (const q of this._queries.values()) q._keepKeys()
    try {
      call(this.#mod, 'dbClose', this.#h)
    } catch (e) {
      if (e?.code !== 'MODULE_EXITED') throw e // a dead module holds nothing to close
    }
    this.#unlisten()
    dbClosed()
    this.#closed = true
    // The module says closed as it closes; a dead one cannot, and nothing
    // it says later reaches the db (below).
    if (this.#connection.state !== 'closed') this.#connected({ state: 'closed' })
    // The module may never let go of the callbacks it was given (a JS
    // value Go held is released only by a finalizer of Go's collector,
    // which need not run): they reach nothing from now on.
    this.#cb.db = this.#cb.onProgress = this.#cb.onEvent = this.#cb.onBatch = this.#cb.evaluateAll = null
    release.register(this, { mod: this.#mod, h: this.#h })
    for (const q of [...this._queries.values()]) q._closed()
    this._queries.clear()
  }

  // _mirror returns the name of this db's mirror of local collection name
  // of the local database local, made at first use: a query of this db
  // that reads the local collection reads its mirror, which the module
  // keeps in step with it.
  _mirror(local, name) {
    let as = this.#mirrors.get(name)
    if (as === undefined) {
      as = `\u0000mirror:${name}`
      call(this.#mod, 'dbMirror', this._h(), local._h(), encodeStored(name), encodeStored(as))
      this.#mirrors.set(name, as)
    }
    return as
  }

  _follow() {
    const names = Object.entries(this.collections).filter(([, c]) => c._followed()).map(([n]) => n)
    const key = JSON.stringify(names)
    if (key === this.#following || this.#closed) return
    this.#following = key
    call(this.#mod, 'dbFollow', this.#h, key)
  }

  #runAction(name, a, params) {
    const ctx = { db: this, ...this._begin() }
    try {
      mutateIn(ctx, () => a.onMutate?.(params), `action ${name}: onMutate`)
    } catch (e) {
      this._abandon(ctx.tx)
      throw e
    }
    this._commit(ctx.tx, () => a.mutationFn?.(params, { transaction: ctx.tx }))
    return ctx.tx
  }
}

// toError is TanStack DB's normalizeError: an Error as it is, any other
// value (undefined included) as an Error of its string form.
function toError(v) {
  if (v instanceof Error) return v
  try {
    return new Error(String(v))
  } catch {
    return new Error('Unknown error')
  }
}

// describe returns the message of a thrown value, whatever it is.
function describe(e) {
  try {
    return e instanceof Error ? e.message : String(e)
  } catch {
    return 'a value that cannot be printed'
  }
}

// checkRetry validates createStreamDB's retry option (the engine checks
// the numbers' ranges again).
function checkRetry(retry) {
  if (!retry || typeof retry !== 'object') {
    throw new StreamDBError(`createStreamDB: retry must be an object ({maxRetries, initialDelayMs, maxDelayMs, multiplier}), got ${String(retry)}`, { code: 'BAD_ARGUMENT' })
  }
  for (const k of ['maxRetries', 'initialDelayMs', 'maxDelayMs', 'multiplier']) {
    const v = retry[k]
    if (v !== undefined && !(typeof v === 'number' && v >= 0 && Number.isFinite(v))) {
      throw new StreamDBError(`createStreamDB: retry.${k} must be a finite number, 0 or more, got ${String(v)}`, { code: 'BAD_ARGUMENT' })
    }
  }
}

// split separates a headers or params record into plain values (as
// strings) and functions, to be called for each request.
function split(record) {
  const values = {}
  const fns = {}
  for (const [k, v] of Object.entries(record ?? {})) {
    if (typeof v === 'function') fns[k] = v
    else if (v !== undefined && v !== null) values[k] = String(v)
  }
  return { values, fns }
}

// evaluate calls each function of fns (awaiting the ones that return a
// Promise) and returns their values as strings; undefined and null leave
// the name out.
async function evaluate(fns) {
  const out = {}
  for (const [k, fn] of Object.entries(fns)) {
    const v = await fn()
    if (v !== undefined && v !== null) out[k] = String(v)
  }
  return out
}

// withParams returns url with params set in its query.
function isThenable(v) {
  return v !== null && (typeof v === 'object' || typeof v === 'function') && typeof v.then === 'function'
}

/**
 * appendValue turns what stream.append takes into what the module sends:
 * a string or bytes as they are (one JSON value: the module checks it), an
 * ArrayBuffer or another view as its bytes, an object (an event) as its
 * JSON. An array is refused: the reference client refuses it too, and as
 * one message it would be an array, which no reader takes for an event.
 */
function appendValue(v, what) {
  if (typeof v === 'string' || v instanceof Uint8Array) return v
  if (v instanceof ArrayBuffer) return new Uint8Array(v)
  if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength)
  if (Array.isArray(v)) {
    throw new StreamDBError(
      `${what}: an array is not one event; stream.appendBatch(events) appends several events in one request ` +
        '(for one message that is an array, pass its JSON text)',
      { code: 'BAD_ARGUMENT' },
    )
  }
  if (v !== null && typeof v === 'object') {
    const text = JSON.stringify(v)
    if (typeof text === 'string') return text
  }
  throw new StreamDBError(
    `${what} takes an event (an object), or one JSON value as a string or bytes; got ${describeValue(v)}`,
    { code: 'BAD_ARGUMENT' },
  )
}

function describeValue(v) {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'an array'
  return typeof v === 'object' ? `an object (${Object.prototype.toString.call(v)})` : `${typeof v} ${String(v).slice(0, 40)}`
}

function withParams(url, params) {
  const names = Object.keys(params)
  if (names.length === 0) return url
  const u = new URL(url)
  for (const k of names) u.searchParams.set(k, params[k])
  return u.href
}

function resolveHeaders(h) {
  const out = {}
  for (const [k, v] of Object.entries(h ?? {})) {
    const s = typeof v === 'function' ? v() : v
    if (s !== undefined && s !== null) out[k] = String(s)
  }
  return out
}

export { LiveQuery }

// persistStore checks createStreamDB's persist option and opens its
// snapshot store (js/persist.js): true or {key, storage, path, everyMs};
// the key defaults to the stream's URL.
function persistStore(persist, url) {
  if (persist === undefined || persist === false) return {}
  if (persist !== true && (persist === null || typeof persist !== 'object')) {
    throw new StreamDBError(`createStreamDB: persist must be true, false or { key?, storage?, path?, everyMs? }, got ${String(persist)}`, { code: 'BAD_ARGUMENT' })
  }
  const o = persist === true ? {} : persist
  if (o.everyMs !== undefined && !(typeof o.everyMs === 'number' && o.everyMs > 0 && Number.isFinite(o.everyMs))) {
    throw new StreamDBError(`createStreamDB: persist.everyMs must be a positive number of milliseconds, got ${String(o.everyMs)}`, { code: 'BAD_ARGUMENT' })
  }
  try {
    return { store: openSnapshotStore({ key: o.key ?? url, storage: o.storage, path: o.path }), persistEveryMs: o.everyMs }
  } catch (e) {
    throw new StreamDBError(`createStreamDB: persist: ${e.message}`, { code: 'BAD_ARGUMENT', cause: e })
  }
}

// gatewayURL checks createStreamDB's websocket option ({ url }, for live:
// 'websocket') and returns the gateway's socket URL: relative to the page,
// and http(s) read as ws(s).
function gatewayURL(websocket) {
  if (!websocket || typeof websocket.url !== 'string' || websocket.url === '') {
    throw new StreamDBError("createStreamDB: live: 'websocket' needs websocket: { url }, the streamdb-gateway's socket URL (ws://host:port/v1/ws)", { code: 'BAD_ARGUMENT' })
  }
  const u = new URL(websocket.url, globalThis.location?.href)
  if (u.protocol === 'http:') u.protocol = 'ws:'
  if (u.protocol === 'https:') u.protocol = 'wss:'
  if (u.protocol !== 'ws:' && u.protocol !== 'wss:') {
    throw new StreamDBError(`createStreamDB: websocket.url must be a ws: or wss: URL, got ${websocket.url}`, { code: 'BAD_ARGUMENT' })
  }
  return u.href
}
