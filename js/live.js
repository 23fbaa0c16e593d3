// Live queries: a query's result kept up to date by the Go engine. The JS
// side mirrors the result (an array in result order and a Map by key),
// applying the changes of each step.
import { buildQuery, toIR, QUERY_OF } from './query.js'
import { StreamDBError } from './errors.js'
import { fnRunner } from './fn.js'
import { decodeKey } from './wire.js'
import { INCLUDES, shapeRow } from './includes.js'

/**
 * LiveQuery is the live result of one query. data is the array of result
 * rows (a new array after each change), or the single row (or undefined)
 * for findOne queries; state is a Map from result key to row.
 */
let made = 0 // live queries made, for their ids

export class LiveQuery {
  #db
  #id
  #keys // the result keys, in result order; null until first needed (#ensureKeys)
  #rows
  #map = null // key -> row, made when first asked for (#byKey)
  #data
  #dataStale = true // the result changed since #data was made
  #subs = new Set()
  #changeSubs = new Set()
  #status
  #disposed = false
  #wasReady = false
  #onReady = [] // onFirstReady callbacks
  #shape = null // the include fields to shape, or null
  #error
  #runner // the runner of the query's callbacks, or undefined (js/fn.js)

  constructor(db, ir, fns = []) {
    this.#db = db
    // The engine calls the query's callbacks through the runner; one that
    // throws fails the first result (the constructor throws its
    // QueryCallbackError) or stops the query later (#fnFailed).
    const runner = fns.length ? fnRunner(fns) : undefined
    this.#runner = runner
    this.id = `live-query-${++made}`
    // Include fields the JSON cannot say (js/includes.js); applying a step
    // to them reads the rows by key, so their keys come at once.
    this.#shape = ir[INCLUDES] ?? null
    let r
    try {
      r = db._openQuery(ir, runner, fns.length, this.id, this.#shape !== null)
    } catch (e) {
      runner?.release()
      throw e
    }
    if (runner) runner.onFailure = (e) => this.#fnFailed(e)
    this.#id = r.id
    this.single = r.single
    this.ordered = r.ordered
    // The first result's rows are the parsed array itself. Its keys come
    // from the module when a read first needs them (most readers of a
    // result read only its rows), and the Map by key then too.
    this.#keys = r.keys ? keysOf(r) : null
    this.#rows = r.rows
    if (this.#shape) for (const v of this.#rows) shapeRow(v, this.#shape, undefined)
    const st = db._status()
    this.#status = st === 'ready' || st === 'error' ? st : 'loading'
    this.#wasReady = this.#status === 'ready'
    db._register(this.#id, this)
    this.#snapshot()
  }

  // #snapshot marks the result changed: the next read of data makes a new
  // array (a copy of the rows), so a step costs no copy unless data is read,
  // and at most one however often it is read.
  #snapshot() {
    this.#dataStale = true
  }

  /**
   * The result: rows in order, or one row (or undefined) for findOne. The
   * array is the same object until the result changes and a new one after
   * (what React's useSyncExternalStore and other memoizing readers need).
   */
  get data() {
    if (this.#dataStale) {
      this.#data = this.single ? this.#rows[0] : this.#rows.slice()
      this.#dataStale = false
    }
    return this.#data
  }
  // #ensureKeys returns the result keys, asking the module for them on
  // first use; from then on each step keeps them up to date. The module's
  // result is the one this mirror holds: a step reaches every live query
  // before any subscriber runs.
  #ensureKeys() {
    if (this.#keys === null) this.#keys = this.#db._queryKeys(this.#id)
    return this.#keys
  }
  // _keepKeys fetches the keys while the module still has the query (the
  // StreamDB is closing): a closed result stays readable.
  _keepKeys() {
    if (this.#disposed) return
    try {
      this.#ensureKeys()
    } catch (e) {
      // A dead module holds no keys: reads that need them throw its
      // ModuleExitedError.
      if (e?.code !== 'MODULE_EXITED') throw e
    }
  }
  // #byKey returns the Map from result key to row, making it on first use;
  // from then on each step keeps it up to date.
  #byKey() {
    if (this.#map === null) this.#map = this.#newMap()
    return this.#map
  }
  // #newMap returns a new Map from result key to row, in result order.
  #newMap() {
    const keys = this.#ensureKeys()
    const m = new Map()
    for (let i = 0; i < keys.length; i++) m.set(keys[i], this.#rows[i])
    return m
  }

  /** A Map from result key to row, in result order. */
  get state() {
    return this.#newMap()
  }
  get size() {
    return this.#rows.length
  }
  get(key) {
    return this.#byKey().get(key)
  }
  get toArray() {
    return this.#rows.slice()
  }
  has(key) {
    return this.#byKey().has(key)
  }
  // The iterators go over a copy: a step during the iteration does not
  // change what it yields.
  keys() {
    return this.#ensureKeys().slice()[Symbol.iterator]()
  }
  values() {
    return this.#rows.slice()[Symbol.iterator]()
  }
  entries() {
    return this.#ensureKeys().map((k, i) => [k, this.#rows[i]])[Symbol.iterator]()
  }
  [Symbol.iterator]() {
    return this.entries()
  }
  forEach(fn) {
    for (const [k, v] of this.entries()) fn(v, k, this)
  }
  /** currentStateAsChanges returns the result as insert changes, in result order. */
  currentStateAsChanges() {
    return this.#ensureKeys().map((key, i) => ({ type: 'insert', key, value: this.#rows[i] }))
  }
  /** 'loading' until the StreamDB has preloaded, then 'ready'; 'error' if it failed; 'cleaned-up' once disposed. */
  get status() {
    return this.#status
  }
  isReady() {
    return this.#status === 'ready'
  }
  /** preload resolves once the result is ready (the StreamDB's preload), as a live query collection's does. */
  async preload() {
    if (this.#status === 'ready' || this.#status === 'cleaned-up') return
    await this.#db.preload()
  }
  /** onFirstReady calls fn once the result is first ready (at once, in a microtask, if it is already). */
  onFirstReady(fn) {
    if (this.#status === 'ready' || this.#wasReady) queueMicrotask(fn)
    else this.#onReady.push(fn)
  }
  async toArrayWhenReady() {
    await this.preload()
    return this.toArray
  }
  async stateWhenReady() {
    await this.preload()
    return this.state
  }

  /** subscribe calls fn (with the step's changes) after every change of the result. */
  subscribe(fn) {
    this.#subs.add(fn)
    return () => this.#subs.delete(fn)
  }

  /** subscribeChanges is the collection-style change feed of the result. */
  subscribeChanges(fn, { includeInitialState = false } = {}) {
    this.#changeSubs.add(fn)
    if (includeInitialState && this.#rows.length > 0) {
      fn(this.currentStateAsChanges())
    }
    return { unsubscribe: () => this.#changeSubs.delete(fn) }
  }

  /** dispose stops the query; its last result stays readable. */
  dispose() {
    if (this.#disposed) return
    this._keepKeys()
    this.#disposed = true
    this.#status = 'cleaned-up'
    this.#db._closeQuery(this.#id)
    this.#runner?.release()
    this.#notify([])
    this.#subs.clear()
    this.#changeSubs.clear()
  }

  _ready() {
    if (this.#status === 'loading') {
      this.#status = 'ready'
      this.#notify([])
      this.#firstReady()
    }
  }
  #firstReady() {
    if (this.#wasReady) return
    this.#wasReady = true
    for (const fn of this.#onReady.splice(0)) this.#db._run(fn, undefined, 'an onFirstReady callback')
  }
  /** The error that stopped the query (a QueryCallbackError), or undefined. */
  get error() {
    return this.#error
  }
  // #fnFailed: a callback threw while the engine applied a change. The
  // engine stopped the query (its result is what it was before); the
  // status is 'error' at once, and the subscribers, onError and the
  // engine's close follow in a microtask (the engine is mid-update now).
  #fnFailed(e) {
    if (this.#error || this.#disposed) return
    this.#error = e
    this.#status = 'error'
    queueMicrotask(() => {
      this._keepKeys()
      if (!this.#disposed) this.#db._closeQuery(this.#id)
      this.#runner?.release()
      this.#db._report(e)
      this.#notify([])
    })
  }
  _failed() {
    if (this.#status === 'loading' || this.#status === 'ready') {
      this.#status = 'error'
      this.#notify([])
    }
  }
  _closed() {
    this.#disposed = true
    this.#status = 'cleaned-up'
    this.#runner?.release()
    this.#notify([])
  }

  // _apply applies one step's changes (QCHANGEs of js/wire.js) to the
  // result, and adds the subscriber calls they make to calls, as [fn,
  // changes, what]: the StreamDB runs them once every query of the step is
  // up to date. Removals go first, from the highest old position down; then
  // insertions from the lowest new position up; then in-place updates.
  _apply(raw, calls) {
    const changes = []
    const removals = []
    const inserts = []
    const inPlace = []
    for (let [t, k, value, oldRank, rank] of raw) {
      const key = decodeKey(k)
      // The row before the step, which the wire leaves out: ours, as the
      // user holds it.
      let previous
      if (t === 'd') value = this.#rows[oldRank]
      else if (t === 'u') previous = this.#rows[oldRank]
      // Shaped as the user holds it: the child collections live on.
      if (this.#shape && t !== 'd') value = shapeRow(value, this.#shape, previous)
      if (t === 'd') {
        removals.push(oldRank)
        this.#map?.delete(key)
        changes.push({ type: 'delete', key, value })
      } else if (t === 'i') {
        inserts.push([rank, key, value])
        this.#map?.set(key, value)
        changes.push({ type: 'insert', key, value })
      } else {
        // With orderBy an update can move the row: take it out and put it
        // back. In key order it stays where it is.
        if (this.ordered || oldRank !== rank) {
          removals.push(oldRank)
          inserts.push([rank, key, value])
        } else inPlace.push([rank, value])
        this.#map?.set(key, value)
        changes.push({ type: 'update', key, value, previousValue: previous })
      }
    }
    if (removals.length + inserts.length <= 4) {
      // A few changes: each splice moves the rows after it.
      removals.sort((a, b) => b - a)
      for (const r of removals) {
        this.#keys?.splice(r, 1)
        this.#rows.splice(r, 1)
      }
      inserts.sort((a, b) => a[0] - b[0])
      for (const [r, key, value] of inserts) {
        this.#keys?.splice(r, 0, key)
        this.#rows.splice(r, 0, value)
      }
    } else this.#merge(removals, inserts)
    for (const [r, value] of inPlace) this.#rows[r] = value
    this.#snapshot()
    for (const fn of this.#changeSubs) calls.push([fn, changes, 'a live query change subscriber'])
    for (const fn of this.#subs) calls.push([fn, changes, 'a live query subscriber'])
  }

  // #merge applies many removals (old positions) and insertions ([new
  // position, key, row]) in place, as the splices of _apply would, each of
  // which moves every row after it: the removals close up from the first
  // one on, then the insertions open up from the end back, so a row moves
  // at most twice and the rows before the first position the step touches
  // not at all (rows added at the end of a large result, a message in a
  // chat, cost what they add). Plain loops over the array: a copy into a
  // new array and back, or copyWithin, cost 10-20 times as much per row
  // in V8.
  #merge(removals, inserts) {
    const rows = this.#rows
    const keys = this.#keys // null while the keys are not asked for
    if (removals.length > 0) {
      removals.sort((a, b) => a - b)
      let w = removals[0]
      for (let j = 0; j < removals.length; j++) {
        const end = j + 1 < removals.length ? removals[j + 1] : rows.length
        for (let r = removals[j] + 1; r < end; r++, w++) {
          rows[w] = rows[r]
          if (keys) keys[w] = keys[r]
        }
      }
      rows.length = w
      if (keys) keys.length = w
    }
    if (inserts.length === 0) return
    inserts.sort((a, b) => a[0] - b[0])
    let r = rows.length - 1 // the last row not yet moved
    for (let j = 0; j < inserts.length; j++) {
      rows.push(undefined) // room at the end, the array staying packed
      if (keys) keys.push(undefined)
    }
    let w = rows.length - 1
    for (let j = inserts.length - 1; j >= 0; j--) {
      const [at, key, value] = inserts[j]
      for (; w > at; w--, r--) {
        rows[w] = rows[r]
        if (keys) keys[w] = keys[r]
      }
      rows[w] = value
      if (keys) keys[w] = key
      w--
    }
  }

  // #notify calls the subscribers, each shielded from the others.
  #notify(changes) {
    for (const fn of [...this.#subs]) this.#db._run(fn, changes, 'a live query subscriber')
  }
}

// keysOf returns the keys of the module's {special, keys}.
function keysOf(r) {
  return r.special ? r.keys.map(decodeKey) : r.keys
}

/**
 * liveQuery runs a query (built with the query builder, as TanStack DB's
 * useLiveQuery takes it) live: liveQuery(q => q.from({u: db.collections.users})...).
 * It returns null when the function returns null or undefined (a disabled
 * query).
 */
export function liveQuery(fnOrQuery) {
  const q = buildQuery(fnOrQuery)
  if (q === null) return null
  const { ir, db, fns } = toIR(q)
  if (!db) throw new StreamDBError('liveQuery: the query reads no StreamDB collection', { code: 'BAD_ARGUMENT' })
  const lq = new LiveQuery(db, ir, fns)
  Object.defineProperty(lq, QUERY_OF, { value: q }) // a live query as another's source
  return lq
}
