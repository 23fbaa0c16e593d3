// What @durable-streams/state/db re-exports of TanStack DB and StreamDB can
// give with its own engine: createLiveQueryCollection, queryOnce and
// deepEquals (the same names, the same behaviour; see README).
import { liveQuery } from './live.js'
import { Query } from './query.js'
import { StreamDBError } from './errors.js'

// queryOf takes a query function, a built query, or a config object holding
// one under `query`, as TanStack's createLiveQueryCollection and queryOnce
// do.
function queryOf(arg) {
  const q = typeof arg === 'function' || arg instanceof Query ? arg : arg?.query
  if (q === undefined || q === null) throw new StreamDBError('expected a query function, a query, or { query }', { code: 'BAD_ARGUMENT' })
  return q
}

/**
 * createLiveQueryCollection(queryFn | { query }) runs a query live, as
 * liveQuery does (StreamDB's live queries are TanStack's live query
 * collections; see LiveQuery). It starts at once (startSync is always on).
 */
export function createLiveQueryCollection(queryOrConfig) {
  const lq = liveQuery(queryOf(queryOrConfig))
  if (lq === null) throw new StreamDBError('createLiveQueryCollection: the query function returned no query', { code: 'BAD_ARGUMENT' })
  return lq
}

/**
 * queryOnce(queryFn | { query }) resolves with the query's result once the
 * StreamDB is ready: the rows, or for findOne() the row (or undefined).
 * The query is not kept live.
 */
export async function queryOnce(queryOrConfig) {
  const lq = createLiveQueryCollection(queryOrConfig)
  try {
    await lq.preload()
    return lq.data
  } finally {
    lq.dispose()
  }
}

/**
 * deepEquals compares two values as TanStack DB's deepEquals does:
 * structurally for arrays, plain objects (own enumerable keys, undefined
 * members included), Maps, Sets (in any order), Dates, RegExps and typed
 * arrays; NaN equals NaN, 0 equals -0; instances of two different classes
 * are not equal, nor two instances with no own keys (but URLs with the
 * same href).
 */
export function deepEquals(a, b) {
  return same(a, b, new Map())
}

function same(a, b, seen) {
  if (a === b || (a !== a && b !== b)) return true
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false
  // A pair being compared again (a cycle) is taken as equal if it pairs
  // the same objects.
  if (seen.has(a)) return seen.get(a) === b
  const kind = kindOf(a)
  if (kind !== kindOf(b)) return false
  switch (kind) {
    case 'date':
      return Object.is(a.getTime(), b.getTime())
    case 'regexp':
      return a.source === b.source && a.flags === b.flags
    case 'typed':
      return a.length === b.length && Array.prototype.every.call(a, (x, i) => x === b[i] || (x !== x && b[i] !== b[i]))
  }
  seen.set(a, b)
  try {
    switch (kind) {
      case 'array':
        return a.length === b.length && a.every((x, i) => same(x, b[i], seen))
      case 'map':
        if (a.size !== b.size) return false
        for (const [k, v] of a) if (!b.has(k) || !same(v, b.get(k), seen)) return false
        return true
      case 'set':
        return sameSets(a, b, seen)
    }
    const pa = Object.getPrototypeOf(a)
    const pb = Object.getPrototypeOf(b)
    if (pa !== pb && !plainProto(pa) && !plainProto(pb)) return false
    const ka = ownKeys(a)
    const kb = ownKeys(b)
    if (ka.length !== kb.length) return false
    if (ka.length === 0) return (plainProto(pa) && plainProto(pb)) || (a instanceof URL && b instanceof URL && a.href === b.href)
    return ka.every((k) => Object.prototype.propertyIsEnumerable.call(b, k) && same(a[k], b[k], seen))
  } finally {
    seen.delete(a)
  }
}

function kindOf(v) {
  if (v instanceof Date) return 'date'
  if (v instanceof RegExp) return 'regexp'
  if (v instanceof Map) return 'map'
  if (v instanceof Set) return 'set'
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return 'typed'
  if (Array.isArray(v)) return 'array'
  return 'object'
}

function plainProto(p) {
  return p === null || p === Object.prototype
}

function ownKeys(o) {
  return Reflect.ownKeys(o).filter((k) => Object.prototype.propertyIsEnumerable.call(o, k))
}

// sameSets pairs each member of a with an equal, not yet paired member of
// b: equality is an equivalence, so the first match is as good as any.
function sameSets(a, b, seen) {
  if (a.size !== b.size) return false
  const rest = [...b]
  for (const x of a) {
    if (typeof x !== 'object' || x === null) {
      if (!b.has(x) && !(x !== x && rest.some((y) => y !== y))) return false
      continue
    }
    const i = rest.findIndex((y) => same(x, y, new Map(seen)))
    if (i < 0) return false
    rest.splice(i, 1)
  }
  return true
}
