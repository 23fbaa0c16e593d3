// The query builder: TanStack DB's builder API (from, join, where, select,
// groupBy, having, orderBy, limit, offset, distinct, findOne and the
// expression functions eq, count, ...) producing StreamDB's query IR, the
// plain JSON that the Go engine compiles (format: core/ir/ir.go).
//
// Callbacks receive ref proxies, one per alias: reading `u.name` records the
// path ["u", "name"]. They never see data. Expressions are frozen objects
// already shaped like IR nodes; toIR turns a Query into plain JSON.

import {
  StreamDBError,
  QueryBuilderError,
  JoinConditionMustBeEqualityError,
  InvalidJoinConditionSameSourceError,
  InvalidJoinConditionSourceMismatchError,
  InvalidSourceTypeError,
  InvalidSourceError,
  QueryMustHaveFromClauseError,
} from './errors.js'
import { INCLUDES } from './includes.js'

export { QueryBuilderError }

/** SOURCE is the key under which a collection facade carries `{ name, db }`. */
export const SOURCE = Symbol.for('@streamdb/streamdb/source')
/** QUERY_OF is the key under which a live query carries its built query (a live query as a source). */
export const QUERY_OF = Symbol.for('@streamdb/streamdb/query-of')


const JOIN_TYPES = ['inner', 'left', 'right', 'full']

// ---------------------------------------------------------------------------
// Expressions

/** Expression is one IR expression node: ref, val, func or agg (frozen). */
class Expression {
  constructor(node) {
    Object.assign(this, node)
    Object.freeze(this)
  }
}

/**
 * MAX_DEPTH bounds how deep expressions, nested select objects and
 * constants may nest: the engine's own bound on expressions (core/ir
 * maxDepth). Past it the builder throws a QueryBuilderError at once, before
 * anything walks the tree recursively (a RangeError otherwise).
 */
const MAX_DEPTH = 200

// depths holds the nesting depth of func and agg Expressions (1 for one
// without function arguments).
const depths = new WeakMap()

function nestedNode(type, name, args) {
  let depth = 1
  for (const a of args) depth = Math.max(depth, (depths.get(a) ?? 0) + 1)
  if (depth > MAX_DEPTH) {
    throw new QueryBuilderError(`${name}(): expressions nested deeper than ${MAX_DEPTH} levels are not supported`)
  }
  const e = new Expression({ type, name, args: Object.freeze(args) })
  depths.set(e, depth)
  return e
}

const refNode = (path) => new Expression({ type: 'ref', path: Object.freeze([...path]) })
const funcNode = (name, args) => nestedNode('func', name, args)
const aggNode = (name, args) => nestedNode('agg', name, args)
const valNode = (v) => (v === undefined ? new Expression({ type: 'val' }) : new Expression({ type: 'val', value: v }))

// ---------------------------------------------------------------------------
// Ref proxies

const refPaths = new WeakMap() // ref proxy → its path (alias first)

// A spread of a ref proxy ({...u}) copies one enumerable property whose key
// starts with SPREAD_KEY and whose value is a SpreadMarker: select() turns it
// into a {"spread": path} entry at that position. The keys are numbered so
// that two spreads in one object stay two entries.
const SPREAD_KEY = '\u0000streamdb:spread:'
let spreadCount = 0

class SpreadMarker {
  constructor(path) {
    this.path = path
    Object.freeze(this)
  }
}

function isRef(v) {
  return v !== null && typeof v === 'object' && refPaths.has(v)
}

/** makeRef returns the ref proxy of path; its properties are the refs of longer paths. */
function makeRef(path) {
  const children = new Map()
  let spread = null // { key, marker } of the latest enumeration
  const proxy = new Proxy(
    {},
    {
      get(target, prop) {
        if (typeof prop === 'symbol') return undefined
        if (spread && prop === spread.key) return spread.marker
        let child = children.get(prop)
        if (child === undefined) {
          child = makeRef([...path, prop])
          children.set(prop, child)
        }
        return child
      },
      has(target, prop) {
        return typeof prop === 'string'
      },
      ownKeys() {
        spread = { key: `${SPREAD_KEY}${++spreadCount}`, marker: new SpreadMarker(path) }
        return [spread.key]
      },
      getOwnPropertyDescriptor(target, prop) {
        if (spread && prop === spread.key) {
          return { value: spread.marker, enumerable: true, configurable: true, writable: false }
        }
        return undefined
      },
      set(target, prop) {
        throw new QueryBuilderError(`cannot assign ${String(prop)} on a ref (${path.join('.')}): refs only record paths`)
      },
      defineProperty(target, prop) {
        throw new QueryBuilderError(`cannot define ${String(prop)} on a ref (${path.join('.')}): refs only record paths`)
      },
      deleteProperty(target, prop) {
        throw new QueryBuilderError(`cannot delete ${String(prop)} on a ref (${path.join('.')}): refs only record paths`)
      },
    },
  )
  refPaths.set(proxy, Object.freeze([...path]))
  return proxy
}

/** refsFor returns the object handed to callbacks: one ref per alias (and $selected). */
function refsFor(aliases, withSelected) {
  const refs = {}
  for (const a of aliases) refs[a] = makeRef([a])
  if (withSelected) refs.$selected = makeRef(['$selected'])
  return Object.freeze(refs)
}

/**
 * rowRefsFor returns the object handed to callbacks after unionAll(q1, q2,
 * ...): as TanStack's, every property is a ref to that field of the union's
 * row (r.t, r.author.name), except the aliases joined after it (and
 * $selected), which are refs to those. Spreading it gives nothing.
 */
function rowRefsFor(joined, withSelected) {
  const named = refsFor(joined, withSelected)
  const fields = new Map()
  const root = new Proxy({}, {
    get(target, prop) {
      if (typeof prop === 'symbol') return undefined
      if (Object.hasOwn(named, prop)) return named[prop]
      let r = fields.get(prop)
      if (r === undefined) fields.set(prop, (r = makeRef([prop])))
      return r
    },
    has(target, prop) { return typeof prop === 'string' },
    set(target, prop) { throw new QueryBuilderError(`cannot assign ${String(prop)} on the refs of a query: refs only record paths`) },
  })
  rowRoots.add(root)
  return root
}

const rowRoots = new WeakSet() // the objects rowRefsFor made

// ---------------------------------------------------------------------------
// Values

const typeName = (v) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v)

function looksLikeTanStack(v) {
  try {
    if (v.__refProxy === true) return true
  } catch {
    return false
  }
  const name = v.constructor?.name
  return ['Func', 'PropRef', 'Value', 'Aggregate'].includes(name) && typeof v.type === 'string'
}

function notJSON(what, where) {
  return new TypeError(`${what} cannot be used as a constant in a StreamDB query (${where}): rows are JSON, so constants must be JSON values (strings, finite numbers, booleans, null, arrays and plain objects)`)
}

/**
 * jsonValue checks that v is a JSON value and returns a frozen deep copy.
 * Members of plain objects that are undefined are dropped, as JSON does.
 */
function jsonValue(v, where, seen = new Set()) {
  if (seen.size >= MAX_DEPTH) {
    throw new QueryBuilderError(`a constant nested deeper than ${MAX_DEPTH} levels cannot be used in a StreamDB query (${where})`)
  }
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return v
    case 'number':
      if (!Number.isFinite(v)) throw notJSON(String(v), `${where}; NaN and ±Infinity can be constants on their own, not inside an array or object`)
      return v
    case 'undefined':
      throw notJSON('undefined inside a constant array', `${where}; use null`)
    case 'bigint':
      throw notJSON(`the bigint ${v}n`, `${where}; use a number or a string`)
    case 'function':
    case 'symbol':
      throw notJSON(`a ${typeof v}`, where)
  }
  if (v === null) return null
  if (v instanceof SpreadMarker) {
    throw new TypeError(`a spread of a ref ({...alias}) can only be used in select() (${where})`)
  }
  if (isRef(v) || v instanceof Expression) {
    throw new TypeError(`a ref or expression inside a constant array or object (${where}) is not supported: arrays and objects in expressions are constants, as in TanStack DB`)
  }
  if (v instanceof Date) {
    throw new TypeError(`a Date cannot be used in a StreamDB query (${where}): rows are JSON, so store and compare dates as ISO strings (date.toISOString()) or epoch numbers (date.getTime())`)
  }
  if (looksLikeTanStack(v)) {
    throw new TypeError(`an expression or ref from @tanstack/db cannot be used in a StreamDB query (${where}): import the query functions (eq, and, count, ...) from @streamdb/streamdb`)
  }
  if (seen.has(v)) throw notJSON('a cyclic object', where)
  seen.add(v)
  let out
  if (Array.isArray(v)) out = v.map((x) => jsonValue(x, where, seen))
  else {
    const proto = Object.getPrototypeOf(v)
    if (proto !== Object.prototype && proto !== null) {
      throw notJSON(`a ${proto?.constructor?.name ?? 'non-plain'} object`, where)
    }
    out = {}
    for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = jsonValue(x, where, seen)
  }
  seen.delete(v)
  return Object.freeze(out)
}

/** toExpression turns what a callback or function argument holds into an Expression. */
function toExpression(v, where = 'expression') {
  if (v instanceof Expression) return v
  if (isRef(v)) return refNode(refPaths.get(v))
  if (v instanceof Query) {
    throw new QueryBuilderError(`a query cannot be used as a value (${where}): includes (a query builder in select) are not supported by StreamDB; join it instead`)
  }
  // JSON has no NaN or ±Infinity: such a constant goes by its name.
  if (typeof v === 'number' && !Number.isFinite(v)) return new Expression({ type: 'val', number: String(v) })
  return valNode(v === undefined ? undefined : jsonValue(v, where))
}

// ---------------------------------------------------------------------------
// Expression functions (TanStack DB 0.15.2's exported set)

const fixed = (name, ...args) => funcNode(name, args.map((a) => toExpression(a, `${name}()`)))

/** eq(a, b): a equals b; null/undefined on either side is unknown. */
export function eq(left, right) { return fixed('eq', left, right) }
/** gt(a, b): a > b. */
export function gt(left, right) { return fixed('gt', left, right) }
/** gte(a, b): a >= b. */
export function gte(left, right) { return fixed('gte', left, right) }
/** lt(a, b): a < b. */
export function lt(left, right) { return fixed('lt', left, right) }
/** lte(a, b): a <= b. */
export function lte(left, right) { return fixed('lte', left, right) }
/** and(a, b, ...): three-valued conjunction. */
export function and(left, right, ...rest) { return fixed('and', left, right, ...rest) }
/** or(a, b, ...): three-valued disjunction. */
export function or(left, right, ...rest) { return fixed('or', left, right, ...rest) }
/** not(a): three-valued negation. */
export function not(value) { return fixed('not', value) }
/** isUndefined(a): a is undefined (a missing field, or the unmatched side of an outer join). */
export function isUndefined(value) { return fixed('isUndefined', value) }
/** isNull(a): a is null (not undefined). */
export function isNull(value) { return fixed('isNull', value) }
/** inArray(a, list): a is an element of list (IR name "in"). */
export function inArray(value, array) { return fixed('in', value, array) }
/** like(a, pattern): SQL LIKE, case-sensitive (% any run, _ one character). */
export function like(left, right) { return fixed('like', left, right) }
/** ilike(a, pattern): SQL LIKE ignoring case. */
export function ilike(left, right) { return fixed('ilike', left, right) }
/** upper(a): a in upper case (non-strings unchanged). */
export function upper(arg) { return fixed('upper', arg) }
/** lower(a): a in lower case (non-strings unchanged). */
export function lower(arg) { return fixed('lower', arg) }
/** length(a): length of a string or array, else 0. */
export function length(arg) { return fixed('length', arg) }
/** add(a, b): a + b (null/undefined count as 0). */
export function add(left, right) { return fixed('add', left, right) }
/** subtract(a, b): a - b. */
export function subtract(left, right) { return fixed('subtract', left, right) }
/** multiply(a, b): a * b. */
export function multiply(left, right) { return fixed('multiply', left, right) }
/** divide(a, b): a / b, null when b is 0. */
export function divide(left, right) { return fixed('divide', left, right) }

/** concat(a, ...): the string concatenation of its arguments; concat(toArray(q)) concatenates a child query's scalar values. */
export function concat(...args) {
  const inc = args.find((a) => a instanceof IncludeWrapper && a.kind === 'array')
  if (inc) {
    if (args.length !== 1) throw new QueryBuilderError('concat(toArray(...)) currently supports only a single toArray(...) argument')
    return new IncludeWrapper('concat', inc.query)
  }
  return fixed('concat', ...args)
}

/** coalesce(a, ...): the first argument that is not null or undefined. */
export function coalesce(...args) { return fixed('coalesce', ...args) }

const isScalarish = (v) => v === null || v === undefined || ['string', 'number', 'boolean', 'bigint'].includes(typeof v)

/**
 * caseWhen(c1, v1, c2, v2, ..., default?): the value of the first branch
 * whose condition is truthy, else the default (or null).
 */
export function caseWhen(...args) {
  if (args.length < 2) throw new QueryBuilderError('caseWhen() requires at least two arguments: a condition and a value')
  for (let i = 0; i + 1 < args.length; i += 2) {
    const c = args[i]
    if (!(isRef(c) || c instanceof Expression || isScalarish(c) || c instanceof Date)) {
      throw new QueryBuilderError(`caseWhen() conditions must be expression-like values (argument ${i + 1} is ${describe(c)})`)
    }
  }
  const valueIdx = []
  for (let i = 1; i < args.length; i += 2) valueIdx.push(i)
  if (args.length % 2 === 1) valueIdx.push(args.length - 1)
  for (const i of valueIdx) {
    const v = args[i]
    if (!(isRef(v) || v instanceof Expression || isScalarish(v) || v instanceof Date || Array.isArray(v))) {
      throw new QueryBuilderError('caseWhen() with an object or subquery branch (a conditional projection) is not supported by StreamDB: use scalar branch values, one caseWhen per field')
    }
  }
  return fixed('caseWhen', ...args)
}

/** count(a): the number of rows of the group whose a is not null/undefined. */
export function count(arg) { return aggNode('count', [toExpression(arg, 'count()')]) }
/** sum(a): the sum of a over the group. */
export function sum(arg) { return aggNode('sum', [toExpression(arg, 'sum()')]) }
/** avg(a): the average of a over the group. */
export function avg(arg) { return aggNode('avg', [toExpression(arg, 'avg()')]) }
/** min(a): the smallest a of the group. */
export function min(arg) { return aggNode('min', [toExpression(arg, 'min()')]) }
/** max(a): the largest a of the group. */
export function max(arg) { return aggNode('max', [toExpression(arg, 'max()')]) }

// Includes: a query builder as a select field, its rows nested in each
// result row. toArray, concat(toArray(...)) and materialize wrap the child
// query and choose what its rows become.

class IncludeWrapper {
  constructor(kind, query) {
    this.kind = kind
    this.query = query
    Object.freeze(this)
  }
}

function wrapInclude(kind, what, query) {
  if (!(query instanceof Query)) throw new QueryBuilderError(`${what} must wrap a subquery builder, got ${typeName(query)}`)
  return new IncludeWrapper(kind, query)
}

/** toArray(q) as a select field: the child query's rows (or scalar values) as a plain array per row. */
export function toArray(query) { return wrapInclude('array', 'toArray()', query) }
/** materialize(q) as a select field: an array, or one row (or undefined) when q ends in findOne(). */
export function materialize(query) { return wrapInclude('materialize', 'materialize()', query) }

/** operators lists the function names the IR knows (TanStack DB's list). */
export const operators = Object.freeze(['eq', 'gt', 'gte', 'lt', 'lte', 'in', 'like', 'ilike', 'and', 'or', 'not',
  'isNull', 'isUndefined', 'upper', 'lower', 'length', 'concat', 'add', 'subtract', 'multiply', 'divide',
  'coalesce', 'caseWhen', 'count', 'avg', 'sum', 'min', 'max'])

// ---------------------------------------------------------------------------
// Sources

/** source turns a from/join argument {alias: collection | query} into a source node. */
function source(arg, clause) {
  if (arg === null || arg === undefined || typeof arg !== 'object' || Array.isArray(arg)) {
    throw new QueryBuilderError(`Invalid source in the ${clause}: expected an object with a single key-value pair like { alias: collection }, got ${typeName(arg)}`)
  }
  const keys = Object.keys(arg)
  if (keys.length === 0) {
    throw new QueryBuilderError(`Invalid source in the ${clause}: expected an object with a single key-value pair like { alias: collection }, got an empty object`)
  }
  if (keys.length !== 1) throw new QueryBuilderError(`Only one source is allowed in the ${clause} (got ${keys.join(', ')})`)
  const alias = keys[0]
  if (alias.startsWith('$')) throw new QueryBuilderError(`Invalid alias "${alias}" in the ${clause}: names starting with $ are reserved`)
  const v = arg[alias]
  // A live query (createLiveQueryCollection) as a source: its query, run
  // as a subquery.
  const built = v !== null && typeof v === 'object' ? v[QUERY_OF] : undefined
  if (built instanceof Query) return Object.freeze({ alias, query: built })
  if (v instanceof Query) {
    if (!stateOf(v).from) throw new QueryBuilderError(`A sub query passed to a ${clause} must have a from clause itself (alias "${alias}")`)
    return Object.freeze({ alias, query: v })
  }
  const info = v !== null && (typeof v === 'object' || typeof v === 'function') ? v[SOURCE] : undefined
  if (!info || typeof info.name !== 'string' || info.name === '' || info.db === null || typeof info.db !== 'object') {
    throw new QueryBuilderError(`Invalid source for live query: the value provided for alias "${alias}" in the ${clause} is not a StreamDB collection or subquery (got ${typeName(v)}). Pass a collection from db.collections or a query built with q.from(...)`)
  }
  return Object.freeze({ alias, collection: info.name, db: info.db, local: info.local })
}

// ---------------------------------------------------------------------------
// Join conditions

function refAliases(e, out = new Set()) {
  if (e.type === 'ref') out.add(e.path[0])
  else if (e.type === 'func' || e.type === 'agg') for (const a of e.args) refAliases(a, out)
  return out
}

const show = (e) => {
  switch (e.type) {
    case 'ref': return e.path.join('.')
    case 'val': return 'value' in e ? JSON.stringify(e.value) : 'undefined'
    default: return `${e.name}(${e.args.map(show).join(', ')})`
  }
}

/** describe names a value in an error message. */
function describe(v) {
  if (isRef(v)) return `the ref ${refPaths.get(v).join('.')}`
  if (v instanceof Expression) return `the expression ${show(v)}`
  return v === null || v === undefined ? String(v) : `a ${typeName(v)}`
}

/** equalities returns the eq() nodes of a join condition, or throws like TanStack. */
function equalities(e) {
  if (e instanceof Expression && e.type === 'func') {
    if (e.name === 'eq' && e.args.length === 2) return [e]
    if (e.name === 'and' && e.args.length > 0) return e.args.flatMap(equalities)
  }
  throw new JoinConditionMustBeEqualityError(`Join condition must be an equality expression or a nonempty conjunction of equality expressions: return eq(a, b) or and(eq(a, b), eq(c, d), ...) from the on callback (got ${describe(e)})`, { clause: 'join' })
}

function checkJoinCondition(on, earlier, alias, rowFields = false) {
  for (const e of equalities(on)) {
    const sides = e.args.map((a) => [...refAliases(a)])
    // after unionAll(q1, ...), a name that is no alias is a field of the row
    const onlyEarlier = (s) => s.length > 0 && s.every((a) => earlier.includes(a) || (rowFields && a !== alias))
    const onlyJoined = (s) => s.length > 0 && s.every((a) => a === alias)
    if ((onlyEarlier(sides[0]) && onlyJoined(sides[1])) || (onlyJoined(sides[0]) && onlyEarlier(sides[1]))) continue
    const same = sides[0].length === 1 && sides[1].length === 1 && sides[0][0] === sides[1][0]
    throw new (same ? InvalidJoinConditionSameSourceError : InvalidJoinConditionSourceMismatchError)(`Invalid join condition ${show(e)}: one side of each eq() must use only the joined source "${alias}" and the other only the earlier sources (${earlier.join(', ')})`, { clause: 'join' })
  }
}

// ---------------------------------------------------------------------------
// Select

const isPlainObject = (v) => {
  if (v === null || typeof v !== 'object' || isRef(v)) return false
  const p = Object.getPrototypeOf(v)
  return p === Object.prototype || p === null
}

/**
 * selectEntries turns a select callback's object into IR select entries
 * (with Expressions); outer holds the objects it is nested in.
 */
function selectEntries(obj, outer = new Set()) {
  if (outer.has(obj)) throw new QueryBuilderError('select(): the object of fields contains itself (a cycle)')
  if (outer.size >= MAX_DEPTH) throw new QueryBuilderError(`select(): objects of fields nested deeper than ${MAX_DEPTH} levels are not supported`)
  outer.add(obj)
  const out = []
  for (const [k, v] of Object.entries(obj)) {
    if (k.startsWith(SPREAD_KEY) && v instanceof SpreadMarker) {
      out.push(Object.freeze({ spread: v.path }))
    } else if (v instanceof Query || v instanceof IncludeWrapper) {
      out.push(Object.freeze({ field: k, include: includeEntry(k, v) }))
    } else if (isRef(v) || v instanceof Expression) {
      out.push(Object.freeze({ field: k, expr: toExpression(v) }))
    } else if (Array.isArray(v)) {
      // as TanStack: an array holding refs or expressions builds an array
      // at run time, any other array is a constant
      const live = v.some((x) => isRef(x) || x instanceof Expression)
      const expr = live ? funcNode('array', v.map((x) => toExpression(x ?? null, `select field "${k}"`))) : toExpression(v, `select field "${k}"`)
      out.push(Object.freeze({ field: k, expr }))
    } else if (isPlainObject(v)) {
      out.push(Object.freeze({ field: k, select: selectEntries(v, outer) }))
    } else {
      // undefined selects null, as in TanStack DB
      out.push(Object.freeze({ field: k, expr: toExpression(v ?? null, `select field "${k}"`) }))
    }
  }
  outer.delete(obj)
  return Object.freeze(out)
}

/** includeEntry is the include of select field k: the child query and what its rows become. */
function includeEntry(k, v) {
  const query = v instanceof Query ? v : v.query
  const st = stateOf(query)
  if (!st.from) throw new QueryBuilderError(`the includes subquery of the select field "${k}" must have a from clause`)
  let materialize = v instanceof Query ? 'collection' : v.kind
  if (materialize === 'materialize') materialize = st.findOne ? 'singleton' : 'array'
  if (materialize === 'concat' && !st.scalar) throw new QueryBuilderError(`concat(toArray(...)) for "${k}" requires the subquery to select a scalar value`)
  if (materialize === 'collection' && st.scalar) throw new QueryBuilderError(`Includes subquery for "${k}" must select an object when materializing as a Collection`)
  return Object.freeze({ query, materialize })
}

// ---------------------------------------------------------------------------
// Query

// stateOf(q) reads a Query's state (set in Query's static block).
let stateOf

const EMPTY = Object.freeze({ join: Object.freeze([]), where: Object.freeze([]), groupBy: Object.freeze([]), having: Object.freeze([]), orderBy: Object.freeze([]), fnWhere: Object.freeze([]), fnHaving: Object.freeze([]) })

function fnCallback(cb, name) {
  if (typeof cb !== 'function') throw new QueryBuilderError(`fn.${name}() needs a callback, got ${typeName(cb)}`)
  return cb
}

function clauseResult(raw, clause) {
  const e = isRef(raw) ? toExpression(raw) : raw
  if (!(e instanceof Expression)) {
    throw new QueryBuilderError(`Invalid ${clause}() expression: expected a query expression, but received ${describe(raw)}. ` +
      `This usually happens when using JavaScript's operators (===, !==, <, >, &&, ...) directly; use the query functions instead:\n\n` +
      `  ❌ .${clause}(({ user }) => user.id === 'abc')\n` +
      `  ✅ .${clause}(({ user }) => eq(user.id, 'abc'))\n\n` +
      `Available functions: eq, gt, gte, lt, lte, and, or, not, inArray, like, ilike, isNull, isUndefined`)
  }
  return e
}

function orderOptions(options) {
  let o
  if (typeof options === 'string') o = { direction: options, nulls: 'first' }
  else if (options !== null && typeof options === 'object') {
    o = { direction: options.direction ?? 'asc', nulls: options.nulls ?? 'first' }
    if (options.stringSort === 'custom') {
      throw new QueryBuilderError("orderBy stringSort 'custom' is not supported: StreamDB orders in the Go engine and cannot call a JS compare function; use 'locale' (with locale/localeOptions) or 'lexical'")
    }
    if (options.stringSort !== undefined) {
      if (options.stringSort !== 'locale' && options.stringSort !== 'lexical') {
        throw new QueryBuilderError(`orderBy stringSort must be 'locale' or 'lexical', got ${JSON.stringify(options.stringSort)}`)
      }
      o.stringSort = options.stringSort
    }
    // as TanStack DB: locale and localeOptions count only with stringSort 'locale'
    if (options.stringSort === 'locale') {
      if (options.locale !== undefined) {
        if (typeof options.locale !== 'string') throw new QueryBuilderError(`orderBy locale must be a string, got ${typeName(options.locale)}`)
        o.locale = options.locale
      }
      if (options.localeOptions !== undefined) {
        if (!isPlainObject(options.localeOptions)) throw new QueryBuilderError(`orderBy localeOptions must be a plain object (Intl.Collator options), got ${typeName(options.localeOptions)}`)
        o.localeOptions = jsonValue(options.localeOptions, 'orderBy localeOptions')
      }
    }
  } else {
    throw new QueryBuilderError(`orderBy's second argument must be 'asc', 'desc' or an options object, got ${typeName(options)}`)
  }
  if (o.direction !== 'asc' && o.direction !== 'desc') throw new QueryBuilderError(`orderBy direction must be 'asc' or 'desc', got ${JSON.stringify(o.direction)}`)
  if (o.nulls !== 'first' && o.nulls !== 'last') throw new QueryBuilderError(`orderBy nulls must be 'first' or 'last', got ${JSON.stringify(o.nulls)}`)
  return Object.freeze(o)
}

function checkCount(n, clause) {
  if (!Number.isInteger(n) || n < 0) throw new QueryBuilderError(`${clause}() needs a non-negative integer, got ${typeof n === 'number' ? n : typeName(n)}`)
  return n
}

/**
 * Query is an immutable query under construction: every method returns a
 * new Query. `new Query()` starts one; call from() first.
 */
export class Query {
  #s

  static {
    stateOf = (q) => q.#s
  }

  constructor(state = EMPTY) {
    this.#s = Object.freeze({ ...state })
  }

  #with(patch) {
    return new Query({ ...this.#s, ...patch })
  }

  #aliases() {
    const f = this.#s.from
    if (!f) throw new QueryBuilderError('Query must have a from clause: call from({ alias: collection }) first')
    const from = f.union ? f.union.map((u) => u.alias) : f.branches ? [] : [f.alias]
    return [...from, ...this.#s.join.map((j) => j.source.alias)]
  }

  /** #refs returns what a callback receives: one ref per alias, or the field refs of a union of queries. */
  #refs(aliases, withSelected) {
    return this.#s.from?.branches ? rowRefsFor(aliases, withSelected) : refsFor(aliases, withSelected)
  }

  #call(cb, clause, withSelected = false) {
    const aliases = this.#aliases()
    if (typeof cb !== 'function') throw new QueryBuilderError(`${clause}() needs a callback, got ${typeName(cb)}`)
    return cb(this.#refs(aliases, withSelected && (this.#s.select !== undefined || this.#s.fnSelect !== undefined)))
  }

  /** from sets the source: from({ alias: collection | subquery }). */
  from(src) {
    if (this.#s.from) throw new QueryBuilderError('from() can only be called once per query; use join() to add sources')
    return this.#with({ from: source(src, 'from clause') })
  }

  /** join adds a source matched by an equality: join({ alias: source }, on, type = 'left'). */
  join(src, on, type = 'left') {
    const earlier = this.#aliases()
    const s = source(src, 'join clause')
    if (earlier.includes(s.alias)) throw new QueryBuilderError(`alias "${s.alias}" is already used in this query; give the joined source another alias`)
    if (!JOIN_TYPES.includes(type)) throw new QueryBuilderError(`join type must be one of ${JOIN_TYPES.join(', ')}, got ${JSON.stringify(type)}`)
    if (typeof on !== 'function') throw new QueryBuilderError(`join() needs an on callback, got ${typeName(on)}`)
    const raw = on(this.#refs([...earlier, s.alias], false))
    checkJoinCondition(raw, earlier, s.alias, !!this.#s.from.branches)
    return this.#with({ join: Object.freeze([...this.#s.join, Object.freeze({ type, source: s, on: raw })]) })
  }

  /** innerJoin is join(source, on, 'inner'). */
  innerJoin(src, on) { return this.join(src, on, 'inner') }
  /** leftJoin is join(source, on, 'left'). */
  leftJoin(src, on) { return this.join(src, on, 'left') }
  /** rightJoin is join(source, on, 'right'). */
  rightJoin(src, on) { return this.join(src, on, 'right') }
  /** fullJoin is join(source, on, 'full'). */
  fullJoin(src, on) { return this.join(src, on, 'full') }

  /** where adds a filter (several where calls are ANDed). */
  where(cb) {
    const e = clauseResult(this.#call(cb, 'where'), 'where')
    return this.#with({ where: Object.freeze([...this.#s.where, e]) })
  }

  /** having adds a filter on groups; the callback also gets $selected after select(). */
  having(cb) {
    const e = clauseResult(this.#call(cb, 'having', true), 'having')
    return this.#with({ having: Object.freeze([...this.#s.having, e]) })
  }

  /** select sets the result shape (replacing an earlier select). */
  select(cb) {
    let res = this.#call(cb, 'select')
    if (isRef(res) && refPaths.get(res).length === 1) return this.#with({ select: Object.freeze([Object.freeze({ spread: refPaths.get(res) })]), fnSelect: undefined })
    if (res instanceof Query || res instanceof IncludeWrapper) {
      throw new QueryBuilderError('select() must return an object of fields: put a subquery (includes) in a field, select(({ u }) => ({ posts: toArray(...) }))')
    }
    if (rowRoots.has(res)) throw new QueryBuilderError('select() must return an object of fields: the row of a unionAll(query, ...) cannot be selected whole (TanStack DB throws UnsupportedRootScalarSelectError); name its fields, select(r => ({ id: r.id, ... }))')
    if (isRef(res) || res instanceof Expression || res === null || ['boolean', 'number', 'string'].includes(typeof res)) {
      // A scalar select (an expression, or a constant as TanStack DB takes
      // it): only meaningful inside includes (toArray, concat).
      return this.#with({ select: undefined, scalar: toExpression(res), fnSelect: undefined })
    }
    if (!isPlainObject(res)) {
      throw new QueryBuilderError(`select() must return an object of fields (or an alias to spread), got ${describe(res)}; write select(({ u }) => ({ name: u.name }))`)
    }
    return this.#with({ select: selectEntries(res), scalar: undefined, fnSelect: undefined })
  }

  /** groupBy adds grouping expressions: one or an array (several calls accumulate). */
  groupBy(cb) {
    const res = this.#call(cb, 'groupBy')
    const list = (Array.isArray(res) ? res : [res]).map((x) => toExpression(x, 'groupBy()'))
    return this.#with({ groupBy: Object.freeze([...this.#s.groupBy, ...list]) })
  }

  /** orderBy adds sort columns: one or an array, with 'asc' | 'desc' | options (several calls accumulate). */
  orderBy(cb, options = 'asc') {
    const opts = orderOptions(options)
    const res = this.#call(cb, 'orderBy', true)
    const list = (Array.isArray(res) ? res : [res]).map((x) => Object.freeze({ expr: toExpression(x, 'orderBy()'), ...opts }))
    return this.#with({ orderBy: Object.freeze([...this.#s.orderBy, ...list]) })
  }

  /** limit keeps at most n rows (needs orderBy). */
  limit(n) { return this.#with({ limit: checkCount(n, 'limit') }) }
  /** offset skips n rows (needs orderBy). */
  offset(n) { return this.#with({ offset: checkCount(n, 'offset') }) }
  /** distinct keeps one row per distinct selected value. */
  distinct() { return this.#with({ distinct: true }) }
  /** findOne asks for a single row (the first in order) instead of an array. */
  findOne() { return this.#with({ findOne: true }) }

  /**
   * unionAll sets the source to the rows of several sources, as TanStack
   * DB's: unionAll({ a: c1, b: c2 }) gives rows { a: row } or { b: row },
   * read with coalesce(a.t, b.t) and the like; unionAll(q1, q2, ...) gives
   * the result rows of the queries, read by field.
   */
  unionAll(src, ...more) {
    if (this.#s.from) throw new QueryBuilderError('unionAll() sets the source of a query: call it instead of from(), once')
    if (src instanceof Query) {
      const branches = [src, ...more]
      for (const [i, b] of branches.entries()) {
        if (!(b instanceof Query)) throw new QueryBuilderError(`unionAll(query, ...): argument ${i + 1} is ${typeName(b)}, not a query: pass queries only, or one object of sources`)
        if (!stateOf(b).from) throw new QueryMustHaveFromClauseError(`Query must have a from clause: unionAll's query ${i + 1} has none`)
      }
      return this.#with({ from: Object.freeze({ branches: Object.freeze(branches) }) })
    }
    const what = src === null || src === undefined ? String(src) : typeof src === 'string' ? 'string' : Array.isArray(src) ? 'array' : typeof src !== 'object' ? typeof src : Object.keys(src).length === 0 ? 'empty object' : null
    if (what !== null) {
      throw new InvalidSourceTypeError(`Invalid source for unionAll clause: expected an object with one or more key-value pairs like { alias: collection }, or queries. For example: .unionAll({ todos: todosCollection, events: eventsCollection }). Got: ${what}`)
    }
    const sources = Object.keys(src).map((alias) => {
      const v = src[alias]
      if (v instanceof Query && !stateOf(v).from) throw new QueryMustHaveFromClauseError(`Query must have a from clause: the query of alias "${alias}" in unionAll has none`)
      if (!(v instanceof Query) && (v === null || (typeof v !== 'object' && typeof v !== 'function') || !v[SOURCE])) {
        throw new InvalidSourceError(`Invalid source for live query: the value provided for alias "${alias}" in unionAll is not a StreamDB collection or subquery (got ${typeName(v)})`)
      }
      return source({ [alias]: v }, 'unionAll clause')
    })
    // one source is from(), as in TanStack
    return this.#with({ from: sources.length === 1 ? sources[0] : Object.freeze({ union: Object.freeze(sources) }) })
  }

  /**
   * fn holds TanStack DB's functional clauses: JS callbacks over the rows,
   * called by the engine once per row (and again on its removal: they must
   * be functions of their row). fn.where(row => boolean) filters after the
   * where clauses ({alias: row, ...}; only true passes); fn.select(row =>
   * value) replaces select; fn.having(row => boolean) filters after having
   * ({$selected} of a group; without a groupBy the row and $selected, kept
   * when truthy).
   */
  get fn() {
    return Object.freeze({
      select: (cb) => this.#with({ fnSelect: fnCallback(cb, 'select'), select: undefined }),
      where: (cb) => this.#with({ fnWhere: Object.freeze([...this.#s.fnWhere, fnCallback(cb, 'where')]) }),
      having: (cb) => this.#with({ fnHaving: Object.freeze([...this.#s.fnHaving, fnCallback(cb, 'having')]) }),
    })
  }
}

// ---------------------------------------------------------------------------
// Entry points

/**
 * buildQuery accepts what useLiveQuery accepts: a function (q) => Query |
 * null | undefined, or a Query. It returns the Query, or null when the
 * function returned null or undefined (a disabled query).
 */
export function buildQuery(fnOrQuery) {
  let q = fnOrQuery
  if (typeof fnOrQuery === 'function') {
    q = fnOrQuery(new Query())
    if (q === null || q === undefined) return null
    if (!(q instanceof Query)) {
      throw new QueryBuilderError(`the query function must return a query built from its argument (q) => q.from(...), or null/undefined to disable the query; got ${typeName(q)}`)
    }
  } else if (!(q instanceof Query)) {
    throw new QueryBuilderError(`expected a query or a query function (q) => q.from(...), got ${typeName(q)}`)
  }
  if (!stateOf(q).from) throw new QueryBuilderError('Query must have a from clause: call from({ alias: collection }) first')
  return q
}

function exprIR(e) {
  switch (e.type) {
    case 'ref': return { type: 'ref', path: [...e.path] }
    case 'val': return 'number' in e ? { type: 'val', number: e.number } : 'value' in e ? { type: 'val', value: structuredClone(e.value) } : { type: 'val' }
    default: return { type: e.type, name: e.name, args: e.args.map(exprIR) }
  }
}

function selectIR(entries, dbs, fns) {
  return entries.map((s) => {
    if (s.spread) return { spread: [...s.spread] }
    if (s.select) return { field: s.field, select: selectIR(s.select, dbs, fns) }
    if (s.include) {
      const inc = { query: queryIR(s.include.query, dbs, fns), materialize: s.include.materialize }
      const scalar = stateOf(s.include.query).scalar
      if (scalar) inc.scalar = exprIR(scalar)
      return { field: s.field, include: inc }
    }
    return { field: s.field, expr: exprIR(s.expr) }
  })
}

function queryIR(q, dbs, fns) {
  const s = stateOf(q)
  if (!s.from) throw new QueryBuilderError('Query must have a from clause: call from({ alias: collection }) first')
  const src = (x) => {
    if (x.query) return { alias: x.alias, query: queryIR(x.query, dbs, fns) }
    const node = { alias: x.alias, collection: x.collection }
    dbs.push([x.db, x.collection, x.local, node])
    return node
  }
  const f = s.from
  const ir = { from: f.union ? { union: f.union.map(src) } : f.branches ? { unionAll: f.branches.map((b) => queryIR(b, dbs)) } : src(f) }
  if (s.join.length) ir.join = s.join.map((j) => ({ type: j.type, source: src(j.source), on: exprIR(j.on) }))
  if (s.where.length) ir.where = s.where.map(exprIR)
  if (s.select) ir.select = selectIR(s.select, dbs, fns)
  if (s.groupBy.length) ir.groupBy = s.groupBy.map(exprIR)
  if (s.having.length) ir.having = s.having.map(exprIR)
  if (s.orderBy.length) {
    ir.orderBy = s.orderBy.map((o) => {
      const out = { expr: exprIR(o.expr), direction: o.direction, nulls: o.nulls }
      if (o.stringSort !== undefined) out.stringSort = o.stringSort
      if (o.locale !== undefined) out.locale = o.locale
      if (o.localeOptions !== undefined) out.localeOptions = structuredClone(o.localeOptions)
      return out
    })
  }
  if (s.limit !== undefined) ir.limit = s.limit
  if (s.offset !== undefined) ir.offset = s.offset
  if (s.distinct) ir.distinct = true
  if (s.findOne) ir.findOne = true
  // Callbacks cross as indexes into fns, which the engine calls (js/fn.js).
  const fn = (f, clause) => fns.push({ fn: f, clause }) - 1
  if (s.fnWhere.length) ir.fnWhere = s.fnWhere.map((f) => fn(f, 'fn.where'))
  if (s.fnSelect) ir.fnSelect = fn(s.fnSelect, 'fn.select')
  if (s.fnHaving.length) ir.fnHaving = s.fnHaving.map((f) => fn(f, 'fn.having'))
  return ir
}

/**
 * includeShape lists the include fields of select entries that the JS
 * side shapes (js/includes.js): [{ path, materialize, nested }], nested
 * being the child's own list.
 */
function includeShape(entries, prefix = []) {
  const out = []
  for (const e of entries ?? []) {
    if (e.select) out.push(...includeShape(e.select, [...prefix, e.field]))
    if (!e.include) continue
    const nested = includeShape(stateOf(e.include.query).select)
    if (e.include.materialize !== 'concat' && (nested.length > 0 || e.include.materialize !== 'array')) {
      out.push({ path: [...prefix, e.field], materialize: e.include.materialize, nested })
    }
  }
  return out
}

/**
 * toIR returns { ir, db, single, fns }: the query as IR JSON, the database
 * all its collections belong to, whether it ends in findOne(), and its
 * callbacks ({ fn, clause }), which the IR names by index.
 */
export function toIR(query) {
  if (!(query instanceof Query)) throw new QueryBuilderError(`toIR needs a Query, got ${typeName(query)}`)
  const dbs = []
  if (stateOf(query).scalar) {
    throw new QueryBuilderError('Top-level scalar select() is not supported by createLiveQueryCollection() or queryOnce(). Return an object from .select(), or use the scalar query inside toArray(...) or concat(toArray(...)).')
  }
  const fns = []
  const ir = queryIR(query, dbs, fns)
  const shape = includeShape(stateOf(query).select)
  if (shape.length > 0) Object.defineProperty(ir, INCLUDES, { value: shape })
  // The query runs in the StreamDB whose collections it reads, with a
  // mirror of each local collection it reads (createCollection); a query
  // of local collections only runs where they live.
  const streams = dbs.filter(([, , local]) => !local)
  const db = (streams[0] ?? dbs[0])[0]
  const other = streams.find(([d]) => d !== db)
  if (other) {
    throw new QueryBuilderError(`a query can only read collections of one StreamDB database: "${streams[0][1]}" and "${other[1]}" belong to different databases`)
  }
  for (const [d, name, local, node] of dbs) {
    if (!local) continue
    local._used()
    if (d !== db) node.collection = db._mirror(d, name)
  }
  return { ir, db, single: !!stateOf(query).findOne, fns }
}
