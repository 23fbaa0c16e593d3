// Conversions between TanStack DB's query builder / IR and our IR JSON
// (core/ir/ir.go):
//   buildQuery(plan, collections): builds a query with TanStack's own builder
//     from a plan (our IR plus "_" builder hints, see gen.mjs) through the ref
//     proxies, exactly as user code would.
//   builderFor(api): the same for any builder with TanStack's API (the npm
//     package's own, in package-engine.mjs).
//   toOurIR(queryIR): converts the builder's QueryIR (builder._getQuery()) to
//     our IR JSON.
//   planToIR(plan): our IR of a plan without building it (for queries that
//     TanStack's builder already rejects, e.g. a non-equality join).

import * as tanstack from '@tanstack/db'

const { IR } = tanstack

const FUNC_EXPORTS = {
  eq: 'eq', gt: 'gt', gte: 'gte', lt: 'lt', lte: 'lte', and: 'and', or: 'or', not: 'not', in: 'inArray',
  like: 'like', ilike: 'ilike', isUndefined: 'isUndefined', isNull: 'isNull', upper: 'upper', lower: 'lower',
  length: 'length', concat: 'concat', coalesce: 'coalesce', caseWhen: 'caseWhen', add: 'add',
  subtract: 'subtract', multiply: 'multiply', divide: 'divide',
}
const AGG_NAMES = ['count', 'avg', 'sum', 'min', 'max']

// ---------------------------------------------------------------------------
// plan → a builder

function walk(refs, path) {
  let p = refs[path[0]]
  if (p === undefined) throw new Error(`unknown alias ${path[0]} in ref ${JSON.stringify(path)}`)
  for (const seg of path.slice(1)) p = p[seg]
  return p
}

function orderOptions(o) {
  if (o._style === 'string' && o.nulls === 'first' && !o.stringSort) return o.direction
  const opts = { direction: o.direction, nulls: o.nulls }
  if (o.stringSort !== undefined) opts.stringSort = o.stringSort
  if (o.locale !== undefined) opts.locale = o.locale
  if (o.localeOptions !== undefined) opts.localeOptions = o.localeOptions
  return opts
}

const JOIN_METHODS = { inner: 'innerJoin', left: 'leftJoin', right: 'rightJoin', full: 'fullJoin' }

/**
 * builderFor returns buildQuery(plan, collections) for a query builder with
 * TanStack DB's API: api holds Query and the exported expression functions
 * by their exported names; api.constant(v) wraps an object or array constant
 * of a select (a raw one would read as a nested select in TanStack);
 * api.func(name, args) and api.agg(name, args) build functions the builder
 * does not export (none is generated).
 */
export function builderFor(api) {
  const funcs = Object.fromEntries(Object.entries(FUNC_EXPORTS).map(([ir, name]) => [ir, api[name]]))
  const aggs = Object.fromEntries(AGG_NAMES.map((n) => [n, api[n]]))

  /** expr turns one of our Expr into what a builder callback returns. */
  const expr = (e, refs) => {
    switch (e.type) {
      case 'ref': return walk(refs, e.path)
      // a non-finite number crosses as {number: "NaN"} (toOurIR): queries
      // rebuilt from our IR (from scratch, probes) need the number back
      case 'val': return 'number' in e ? Number(e.number) : 'value' in e ? e.value : undefined
      case 'func': {
        const f = funcs[e.name]
        if (!f) return api.func(e.name, e.args.map((a) => expr(a, refs)))
        return f(...e.args.map((a) => expr(a, refs)))
      }
      case 'agg': {
        const f = aggs[e.name]
        if (!f) return api.agg(e.name, e.args.map((a) => expr(a, refs)))
        return f(expr(e.args[0], refs))
      }
    }
    throw new Error(`unknown expression type ${e.type}`)
  }

  // include builds an includes field: the child query, whose where and
  // select may read the parent's refs (outer: alias → ref), in the wrapper
  // the plan names.
  const include = (inc, outer, collections) => {
    let q = build(inc.query, collections, outer)
    if (inc.scalar) q = q.select((r) => expr(inc.scalar, scoped(r, inc.query, outer)))
    if (inc.materialize === 'concat') return api.concat(api.toArray(q))
    if (inc.materialize === 'array') return api.toArray(q)
    if (inc.materialize === 'singleton') return api.materialize(q)
    return q
  }

  // scoped returns the refs a callback of plan reads: its own aliases' (of
  // r, the builder's refs) and, in an includes subquery, the parent's.
  const scoped = (r, plan, outer) => {
    const own = [plan.from.alias, ...(plan.join ?? []).map((j) => j.source.alias)]
    return { ...outer, ...Object.fromEntries(own.map((a) => [a, r[a]])) }
  }

  const select = (list, refs, collections) => {
    let obj = {}
    for (const s of list) {
      if (s.include) obj[s.field] = include(s.include, refs, collections)
      else if (s.spread) obj = { ...obj, ...walk(refs, s.spread) }
      else if (s.select) obj[s.field] = select(s.select, refs, collections)
      else if (s.expr.type === 'val' && s.expr.value !== null && typeof s.expr.value === 'object') {
        obj[s.field] = api.constant(s.expr.value)
      } else obj[s.field] = expr(s.expr, refs)
    }
    return obj
  }

  const source = (src, collections, fns) => {
    if (src.query) return build(src.query, collections, undefined, fns)
    const c = collections[src.collection]
    if (!c) throw new Error(`unknown collection ${src.collection}`)
    return c
  }

  // build builds a plan; outer (alias → ref) holds the parent's refs when
  // the plan is an includes subquery.
  const build = (plan, collections, outer, fns = fnsOf(plan._fns)) => {
    const sc = (r) => (outer ? scoped(r, plan, outer) : r)
    const f = plan.from
    let q = f.union ? new api.Query().unionAll(Object.fromEntries(f.union.map((u) => [u.alias, source(u, collections, fns)])))
      : f.unionAll ? new api.Query().unionAll(...f.unionAll.map((b) => build(b, collections, undefined, fns)))
        : new api.Query().from({ [f.alias]: source(f, collections, fns) })
    for (const j of plan.join ?? []) {
      const src = { [j.source.alias]: source(j.source, collections, fns) }
      const on = (refs) => expr(j.on, refs)
      q = j._method && JOIN_METHODS[j.type] ? q[JOIN_METHODS[j.type]](src, on) : q.join(src, on, j.type)
    }
    for (const w of plan.where ?? []) q = q.where((refs) => expr(w, sc(refs)))
    for (const i of plan.fnWhere ?? []) q = q.fn.where(fns[i])
    if (plan.groupBy) {
      if (plan._groupByCalls) for (const g of plan.groupBy) q = q.groupBy((refs) => expr(g, refs))
      else q = q.groupBy((refs) => plan.groupBy.map((g) => expr(g, refs)))
    }
    if (plan.select) {
      if (plan._selectAlias && plan.select.length === 1 && plan.select[0].spread) {
        q = q.select((refs) => walk(refs, plan.select[0].spread))
      } else q = q.select((refs) => select(plan.select, plan.select.some((e) => e.include) || outer ? scoped(refs, plan, outer) : refs, collections))
    }
    if (plan.fnSelect !== undefined) q = q.fn.select(fns[plan.fnSelect])
    for (const h of plan.having ?? []) q = q.having((refs) => expr(h, refs))
    for (const i of plan.fnHaving ?? []) q = q.fn.having(fns[i])
    for (const o of plan.orderBy ?? []) q = q.orderBy((refs) => expr(o.expr, sc(refs)), orderOptions(o))
    if (plan.limit !== undefined) q = q.limit(plan.limit)
    if (plan.offset !== undefined) q = q.offset(plan.offset)
    if (plan.distinct) q = q.distinct()
    if (plan.findOne) q = q.findOne()
    return q
  }
  return build
}

// ---------------------------------------------------------------------------
// callbacks (fn.where, fn.select, fn.having)

// A plan's callbacks are data (plan._fns, gen.mjs genFn), so that both
// engines, and TanStack from scratch, get the same functions. Each function
// made from a spec carries its index and the list (toOurIR reads them).
const CMP = {
  '>': (a, b) => a > b, '<': (a, b) => a < b, '===': (a, b) => a === b, '!==': (a, b) => a !== b,
}
const TRANSFORM = {
  id: (v) => (v === undefined ? null : v),
  str: (v) => String(v),
  type: (v) => (v === null ? 'null' : typeof v),
}
function fnOf(spec) {
  const read = (row) => (spec.alias === '$selected' ? row.$selected : row[spec.alias])?.[spec.field]
  switch (spec.op) {
    case 'cmp': return (row) => CMP[spec.cmp](read(row), spec.value)
    case 'raw': return (row) => read(row)
    case 'missing': return (row) => row[spec.alias] === undefined
    case 'pick': return (row) => {
      const out = {}
      for (const [name, alias, field, t] of spec.fields) out[name] = TRANSFORM[t]((alias === '$selected' ? row.$selected : row[alias])?.[field])
      return out
    }
  }
  throw new Error(`unknown callback spec ${JSON.stringify(spec)}`)
}
const fnCache = new WeakMap()
/** fnsOf returns the functions of a plan's callback specs (plan._fns), made once per list. */
export function fnsOf(specs) {
  if (!specs) return []
  if (!fnCache.has(specs)) {
    fnCache.set(specs, specs.map((spec, i) => Object.assign(fnOf(spec), { _fnIndex: i, _fnSpecs: specs })))
  }
  return fnCache.get(specs)
}

// For names TanStack's builder does not export (not generated; kept for completeness).
function toIRExpr(x) {
  if (x instanceof IR.Func || x instanceof IR.Aggregate || x instanceof IR.Value || x instanceof IR.PropRef) return x
  if (x !== null && typeof x === 'object' && '__path' in x) return new IR.PropRef(x.__path)
  return new IR.Value(x)
}

/** buildQuery builds a plan with TanStack's query builder. */
export const buildQuery = builderFor({
  ...tanstack,
  constant: (v) => new IR.Value(v),
  func: (name, args) => new IR.Func(name, args.map(toIRExpr)),
  agg: (name, args) => new IR.Aggregate(name, args.map(toIRExpr)),
})

// ---------------------------------------------------------------------------
// TanStack QueryIR → our IR

function convExpr(e) {
  switch (e?.type) {
    case 'ref': return { type: 'ref', path: [...e.path] }
    case 'val':
      if (typeof e.value === 'number' && !Number.isFinite(e.value)) return { type: 'val', number: String(e.value) }
      return e.value === undefined ? { type: 'val' } : { type: 'val', value: e.value }
    case 'func': return { type: 'func', name: e.name, args: e.args.map(convExpr) }
    case 'agg': return { type: 'agg', name: e.name, args: e.args.map(convExpr) }
  }
  throw new Error(`unsupported expression ${e?.type ?? typeof e} in IR`)
}

function convSelect(sel) {
  const out = []
  for (const [k, v] of Object.entries(sel)) {
    if (k.startsWith('__SPREAD_SENTINEL__')) {
      if (v?.type !== 'ref') throw new Error(`spread of a non-ref ${v?.type}`)
      out.push({ spread: [...v.path] })
    } else if (v instanceof IR.PropRef || v instanceof IR.Value || v instanceof IR.Func || v instanceof IR.Aggregate) {
      out.push({ field: k, expr: convExpr(v) })
    } else if (v instanceof IR.IncludesSubquery) {
      out.push({ field: k, include: convInclude(v) })
    } else if (v instanceof IR.ConditionalSelect) {
      throw new Error(`unsupported select entry ${v.type}`)
    } else if (v !== null && typeof v === 'object') {
      out.push({ field: k, select: convSelect(v) })
    } else throw new Error(`unsupported select entry ${typeof v}`)
  }
  return out
}

// convInclude turns TanStack's IncludesSubquery (its correlation and
// parent filters taken out of the child's where, a scalar select wrapped in
// a field) back into our include.
function convInclude(v) {
  const q = toOurIR(v.query)
  q.where = [{ type: 'func', name: 'eq', args: [convExpr(v.childCorrelationField), convExpr(v.correlationField)] },
    ...(q.where ?? []), ...(v.parentFilters ?? []).map((w) => convExpr(whereExpr(w)))]
  const inc = { query: q, materialize: v.materialization }
  if (v.scalarField) {
    inc.scalar = convExpr(v.query.select[v.scalarField])
    delete q.select
  }
  return inc
}
/** collectionNames: a collection's name in the IR when its id is another (the $collectionId of a StreamDB's collection). */
export const collectionNames = new WeakMap()

function convSource(s) {
  if (s.type === 'collectionRef') return { alias: s.alias, collection: collectionNames.get(s.collection) ?? s.collection.id }
  if (s.type === 'queryRef') return { alias: s.alias, query: toOurIR(s.query) }
  throw new Error(`unsupported source ${s.type}`)
}

const whereExpr = (w) => IR.getWhereExpression(w)

function convFrom(f) {
  if (f.type === 'unionFrom') return { union: f.sources.map(convSource) }
  if (f.type === 'unionAll') return { unionAll: f.queries.map(toOurIR) }
  return convSource(f)
}

/** toOurIR converts TanStack's QueryIR to our IR JSON (a plain object). */
export function toOurIR(q) {
  const out = { from: convFrom(q.from) }
  if (q.join?.length) out.join = q.join.map((j) => ({ type: j.type, source: convSource(j.from), on: convExpr(j.on) }))
  if (q.where?.length) out.where = q.where.map((w) => convExpr(whereExpr(w)))
  if (q.select) out.select = convSelect(q.select)
  if (q.groupBy?.length) out.groupBy = q.groupBy.map(convExpr)
  if (q.having?.length) out.having = q.having.map((h) => convExpr(whereExpr(h)))
  if (q.orderBy?.length) {
    out.orderBy = q.orderBy.map((o) => {
      const c = o.compareOptions ?? {}
      if (c.stringSort === 'custom') throw new Error('custom string sort is not supported')
      const e = { expr: convExpr(o.expression), direction: c.direction ?? 'asc', nulls: c.nulls ?? 'first' }
      if (c.stringSort !== undefined) e.stringSort = c.stringSort
      if (c.locale !== undefined) e.locale = c.locale
      if (c.localeOptions !== undefined) e.localeOptions = c.localeOptions
      return e
    })
  }
  if (q.limit !== undefined) out.limit = q.limit
  if (q.offset !== undefined) out.offset = q.offset
  if (q.distinct) out.distinct = true
  if (q.singleResult) out.findOne = true
  // Callbacks: their indexes, and the specs under _fns (planToIR strips it
  // from what the engines get; the package engine builds from the plan).
  const specs = []
  const index = (f) => {
    if (f._fnIndex === undefined) throw new Error('a callback not made from a spec (ir.mjs fnOf)')
    specs.push(f._fnSpecs)
    return f._fnIndex
  }
  if (q.fnWhere?.length) out.fnWhere = q.fnWhere.map(index)
  if (q.fnSelect) out.fnSelect = index(q.fnSelect)
  if (q.fnHaving?.length) out.fnHaving = q.fnHaving.map(index)
  for (const s of [q.from, ...(q.join ?? []).map((j) => j.from)]) {
    if (s.type === 'queryRef') { const sub = toOurIR(s.query); if (sub._fns) specs.push(sub._fns) }
  }
  if (specs.length) out._fns = specs[0]
  return out
}

/** planToIR strips the builder hints ("_" members) from a plan. */
export function planToIR(plan) {
  if (Array.isArray(plan)) return plan.map(planToIR)
  if (plan === null || typeof plan !== 'object') return plan
  const out = {}
  for (const [k, v] of Object.entries(plan)) {
    if (k.startsWith('_')) continue
    out[k] = k === 'value' ? v : planToIR(v)
  }
  if (out.orderBy) out.orderBy = out.orderBy.map((o) => ({ nulls: 'first', ...o }))
  if (out.type === 'val' && typeof out.value === 'number' && !Number.isFinite(out.value)) return { type: 'val', number: String(out.value) }
  return out
}

// The engine protocol is JSON lines, and a plan may hold NaN or ±Infinity
// constants: they cross as {"$number": "NaN"} (nonFiniteOut, a
// JSON.stringify replacer) and come back (nonFiniteIn, a JSON.parse reviver).
export const nonFiniteOut = (_, v) => (typeof v === 'number' && !Number.isFinite(v) ? { $number: String(v) } : v)
export const nonFiniteIn = (_, v) => (v !== null && typeof v === 'object' && typeof v.$number === 'string' && Object.keys(v).length === 1 ? Number(v.$number) : v)
