// Includes on the JS side: what the engine's JSON cannot say. A field of
// materialize(q.findOne()) with no row is undefined (JSON drops it), and a
// query builder as a select field (TanStack's default materialization)
// reads as a live collection of the child rows: the engine sends it as
// [key, row] pairs, made here into an IncludedCollection that each parent
// row keeps across its updates (its subscribers see the child changes).

/** INCLUDES is where toIR leaves, on the IR object, the include fields to shape (not serialized). */
export const INCLUDES = Symbol('streamdb.includes')

/**
 * IncludedCollection is the child rows of one parent row, read as a
 * TanStack DB collection: size, get, has, keys, values, entries,
 * iteration, forEach, toArray, state, currentStateAsChanges and
 * subscribeChanges, in the child query's order.
 */
export class IncludedCollection {
  #keys = []
  #rows = []
  #subs = new Set()

  constructor(pairs) {
    this._set(pairs)
  }

  // _set replaces the rows with pairs and returns the changes.
  _set(pairs) {
    const before = new Map(this.#keys.map((k, i) => [k, this.#rows[i]]))
    this.#keys = pairs.map((p) => p[0])
    this.#rows = pairs.map((p) => p[1])
    const changes = []
    for (const [key, value] of pairs) {
      if (!before.has(key)) changes.push({ type: 'insert', key, value })
      else if (JSON.stringify(before.get(key)) !== JSON.stringify(value)) changes.push({ type: 'update', key, value, previousValue: before.get(key) })
      before.delete(key)
    }
    for (const [key, value] of before) changes.push({ type: 'delete', key, value })
    return changes
  }

  // _update applies new pairs and tells the subscribers what changed.
  _update(pairs) {
    const changes = this._set(pairs)
    if (changes.length > 0) for (const fn of [...this.#subs]) fn(changes)
  }

  get size() { return this.#rows.length }
  get toArray() { return this.#rows.slice() }
  get state() { return new Map(this.#keys.map((k, i) => [k, this.#rows[i]])) }
  get status() { return 'ready' }
  isReady() { return true }
  get(key) {
    const i = this.#keys.indexOf(key)
    return i < 0 ? undefined : this.#rows[i]
  }
  has(key) { return this.#keys.includes(key) }
  keys() { return this.#keys.slice()[Symbol.iterator]() }
  values() { return this.#rows.slice()[Symbol.iterator]() }
  entries() { return this.#keys.map((k, i) => [k, this.#rows[i]])[Symbol.iterator]() }
  [Symbol.iterator]() { return this.entries() }
  forEach(fn) { for (const [k, v] of this.entries()) fn(v, k, this) }
  currentStateAsChanges() { return this.#keys.map((key, i) => ({ type: 'insert', key, value: this.#rows[i] })) }
  subscribeChanges(fn, { includeInitialState = false } = {}) {
    this.#subs.add(fn)
    if (includeInitialState && this.#rows.length > 0) fn(this.currentStateAsChanges())
    return { unsubscribe: () => this.#subs.delete(fn) }
  }
  toJSON() { return this.#rows }
}

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v)

/**
 * shapeRow returns the row value v as the user reads it, given the
 * include fields of its select (specs: [{ path, materialize, nested }]) and
 * the row it replaces (prev, or undefined), whose collections it reuses.
 */
export function shapeRow(v, specs, prev) {
  if (!isObject(v)) return v
  for (const s of specs) {
    let obj = v
    let old = prev
    for (const f of s.path.slice(0, -1)) {
      obj = isObject(obj) ? obj[f] : undefined
      old = isObject(old) ? old[f] : undefined
    }
    if (!isObject(obj)) continue
    const f = s.path[s.path.length - 1]
    const cur = obj[f]
    const was = isObject(old) ? old[f] : undefined
    switch (s.materialize) {
      case 'singleton':
        obj[f] = cur === undefined ? undefined : s.nested.length ? shapeRow(cur, s.nested, was) : cur
        break
      case 'array':
        if (s.nested.length && Array.isArray(cur)) obj[f] = cur.map((c) => shapeRow(c, s.nested, undefined))
        break
      case 'collection': {
        const pairs = (Array.isArray(cur) ? cur : []).map(([k, c]) => [k, s.nested.length ? shapeRow(c, s.nested, was instanceof IncludedCollection ? was.get(k) : undefined) : c])
        if (was instanceof IncludedCollection) {
          was._update(pairs)
          obj[f] = was
        } else obj[f] = new IncludedCollection(pairs)
        break
      }
    }
  }
  return v
}
