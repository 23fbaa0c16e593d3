// Conversions between TanStack DB's query builder / IR and our IR JSON
// (core/ir/ir.go):
//   buildQuery(plan, collections): builds a query with TanStack's own builder
//     from a plan (our IR plus "_" builder hints, see gen.mjs) through the ref
//     proxies, exactly as user code would.
//   toOurIR(queryIR): converts the builder's QueryIR (builder._getQuery()) to
//     our IR JSON.
//   planToIR(plan): our IR of a plan without building it (for queries that
//     TanStack's builder already rejects, e.g. a non-equality join).

import {
  Query, eq, gt, gte, lt, lte, and, or, not, inArray, like, ilike, isUndefined, isNull,
  upper, lower, length, concat, coalesce, caseWhen, add, subtract, multiply, divide,
  count, avg, sum, min, max, IR,
} from '@tanstack/db'

const FUNCS = {
  eq, gt, gte, lt, lte, and, or, not, in: inArray, like, ilike, isUndefined, isNull,
  upper, lower, length, concat, coalesce, caseWhen, add, subtract, multiply, divide,
}
const AGGS = { count, avg, sum, min, max }

// ---------------------------------------------------------------------------
// plan → TanStack builder

function walk(refs, path) {
  let p = refs[path[0]]
  if (p === undefined) throw new Error(`unknown alias ${path[0]} in ref ${JSON.stringify(path)}`)
  for (const seg of path.slice(1)) p = p[seg]
  return p
}

/** toBuilderExpr turns one of our Expr into what a builder callback returns. */
function toBuilderExpr(e, refs) {
  switch (e.type) {
    case 'ref': return walk(refs, e.path)
    case 'val': return 'value' in e ? e.value : undefined
    case 'func': {
      const f = FUNCS[e.name]
      if (!f) return new IR.Func(e.name, e.args.map((a) => toIRExpr(a, refs)))
      return f(...e.args.map((a) => toBuilderExpr(a, refs)))
    }
    case 'agg': {
      const f = AGGS[e.name]
      if (!f) return new IR.Aggregate(e.name, e.args.map((a) => toIRExpr(a, refs)))
      return f(toBuilderExpr(e.args[0], refs))
    }
  }
  throw new Error(`unknown expression type ${e.type}`)
}

// For names the builder does not export (not generated; kept for completeness).
function toIRExpr(e, refs) {
  const x = toBuilderExpr(e, refs)
  if (x instanceof IR.Func || x instanceof IR.Aggregate || x instanceof IR.Value || x instanceof IR.PropRef) return x
  if (x !== null && typeof x === 'object' && '__path' in x) return new IR.PropRef(x.__path)
  return new IR.Value(x)
}

function toBuilderSelect(list, refs) {
  let obj = {}
  for (const s of list) {
    if (s.spread) obj = { ...obj, ...walk(refs, s.spread) }
    else if (s.select) obj[s.field] = toBuilderSelect(s.select, refs)
    else if (s.expr.type === 'val' && s.expr.value !== null && typeof s.expr.value === 'object') {
      // a raw object/array constant would read as a nested select: wrap it
      obj[s.field] = new IR.Value(s.expr.value)
    } else obj[s.field] = toBuilderExpr(s.expr, refs)
  }
  return obj
}

function orderOptions(o) {
  if (o._style === 'string' && o.nulls === 'first' && !o.stringSort) return o.direction
  const opts = { direction: o.direction, nulls: o.nulls }
  if (o.stringSort !== undefined) opts.stringSort = o.stringSort
  if (o.locale !== undefined) opts.locale = o.locale
  if (o.localeOptions !== undefined) opts.localeOptions = o.localeOptions
  return opts
}

function sourceValue(src, collections) {
  if (src.query) return buildQuery(src.query, collections)
  const c = collections[src.collection]
  if (!c) throw new Error(`unknown collection ${src.collection}`)
  return c
}

const JOIN_METHODS = { inner: 'innerJoin', left: 'leftJoin', right: 'rightJoin', full: 'fullJoin' }

/** buildQuery builds a plan with TanStack's query builder. */
export function buildQuery(plan, collections) {
  let q = new Query().from({ [plan.from.alias]: sourceValue(plan.from, collections) })
  for (const j of plan.join ?? []) {
    const src = { [j.source.alias]: sourceValue(j.source, collections) }
    const on = (refs) => toBuilderExpr(j.on, refs)
    q = j._method && JOIN_METHODS[j.type] ? q[JOIN_METHODS[j.type]](src, on) : q.join(src, on, j.type)
  }
  for (const w of plan.where ?? []) q = q.where((refs) => toBuilderExpr(w, refs))
  if (plan.groupBy) {
    if (plan._groupByCalls) for (const g of plan.groupBy) q = q.groupBy((refs) => toBuilderExpr(g, refs))
    else q = q.groupBy((refs) => plan.groupBy.map((g) => toBuilderExpr(g, refs)))
  }
  if (plan.select) {
    if (plan._selectAlias && plan.select.length === 1 && plan.select[0].spread) {
      q = q.select((refs) => walk(refs, plan.select[0].spread))
    } else q = q.select((refs) => toBuilderSelect(plan.select, refs))
  }
  for (const h of plan.having ?? []) q = q.having((refs) => toBuilderExpr(h, refs))
  for (const o of plan.orderBy ?? []) q = q.orderBy((refs) => toBuilderExpr(o.expr, refs), orderOptions(o))
  if (plan.limit !== undefined) q = q.limit(plan.limit)
  if (plan.offset !== undefined) q = q.offset(plan.offset)
  if (plan.distinct) q = q.distinct()
  if (plan.findOne) q = q.findOne()
  return q
}

// ---------------------------------------------------------------------------
// TanStack QueryIR → our IR

function convExpr(e) {
  switch (e?.type) {
    case 'ref': return { type: 'ref', path: [...e.path] }
    case 'val': return e.value === undefined ? { type: 'val' } : { type: 'val', value: e.value }
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
    } else if (v instanceof IR.IncludesSubquery || v instanceof IR.ConditionalSelect) {
      throw new Error(`unsupported select entry ${v.type}`)
    } else if (v !== null && typeof v === 'object') {
      out.push({ field: k, select: convSelect(v) })
    } else throw new Error(`unsupported select entry ${typeof v}`)
  }
  return out
}

function convSource(s) {
  if (s.type === 'collectionRef') return { alias: s.alias, collection: s.collection.id }
  if (s.type === 'queryRef') return { alias: s.alias, query: toOurIR(s.query) }
  throw new Error(`unsupported source ${s.type}`)
}

const whereExpr = (w) => IR.getWhereExpression(w)

/** toOurIR converts TanStack's QueryIR to our IR JSON (a plain object). */
export function toOurIR(q) {
  if (q.fnSelect || q.fnWhere?.length || q.fnHaving?.length) throw new Error('fn.* clauses are not supported')
  const out = { from: convSource(q.from) }
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
  return out
}
