// Is TanStack's order of a query's rows defined? TanStack sorts by
// ascComparator (spec a.3), which compares values of different types with
// JavaScript's < : a string that is no number is NaN against a number, so it
// ties with every number while the numbers order among themselves, and
// numeric strings compare as numbers against numbers but as text against each
// other. Over such values the comparator is no order at all, and TanStack's
// result is whatever its binary insertions met, in history order. The harness
// asks this only after a difference: sortProbe builds a query that lists the
// orderBy values of every row that reaches the sort, and isWeakOrder says
// whether the comparator orders those values consistently.

/**
 * ascCompare is TanStack's ascComparator for JSON-like values (own code, spec
 * a.3). With total set it is StreamDB's documented order instead, which
 * differs in one rule: a string and a number or boolean do not compare as
 * JavaScript's < does, every number and boolean comes first (core/query's
 * ascCompare: a total order, where TanStack's is none).
 */
function ascCompare(a, b, o, total = false) {
  if (a == null && b == null) return 0
  if (a == null) return o.nulls === 'last' ? 1 : -1
  if (b == null) return o.nulls === 'last' ? -1 : 1
  const an = Number.isNaN(a), bn = Number.isNaN(b)
  if (an || bn) return an && bn ? 0 : an ? 1 : -1
  if (typeof a === 'string' && typeof b === 'string' && (o.stringSort ?? 'locale') === 'locale') {
    return a.localeCompare(b, o.locale, o.localeOptions)
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      const d = ascCompare(a[i], b[i], o, total)
      if (d !== 0) return d
    }
    return a.length - b.length
  }
  const ao = typeof a === 'object', bo = typeof b === 'object'
  if (ao || bo) return ao && bo ? 0 : ao ? 1 : -1 // objects: by identity in TanStack; none generated
  const as = typeof a === 'string', bs = typeof b === 'string'
  if (total && as !== bs) return as ? 1 : -1
  return a < b ? -1 : a > b ? 1 : 0
}

/**
 * compareTuples orders two rows' orderBy values as TanStack's multi-column
 * orderBy does (total: in StreamDB's documented order, see ascCompare).
 */
export function compareTuples(x, y, orderBy, total = false) {
  for (let i = 0; i < orderBy.length; i++) {
    const o = orderBy[i]
    const a = x[i], b = y[i]
    // desc swaps the operands, except that nulls stay where `nulls` puts them
    const d = o.direction === 'desc' && a != null && b != null ? ascCompare(b, a, o, total) : ascCompare(a, b, o, total)
    if (d !== 0) return Math.sign(d)
  }
  return 0
}

const sameValue = (x, y) => x.length === y.length && x.every((v, i) => Object.is(v, y[i]) || JSON.stringify(v) === JSON.stringify(y[i]) && typeof v === typeof y[i])

/**
 * isWeakOrder reports whether orderBy's comparator is a strict weak order on
 * these tuples (ties then broken by the row key make the order total). Sorted
 * by it, the tuples split into runs of neighbours that tie; it is a weak
 * order exactly when every pair within a run ties and every pair across runs
 * compares as the runs lie, both ways round (a weak order sorts into such
 * runs, and such runs show one).
 */
export function isWeakOrder(tuples, orderBy) {
  const distinct = []
  for (const t of tuples) if (!distinct.some((u) => sameValue(t, u))) distinct.push(t)
  const s = distinct.sort((x, y) => compareTuples(x, y, orderBy))
  const run = [0]
  for (let i = 1; i < s.length; i++) run.push(run[i - 1] + (compareTuples(s[i - 1], s[i], orderBy) === 0 ? 0 : 1))
  for (let i = 0; i < s.length; i++) {
    for (let j = i + 1; j < s.length; j++) {
      const want = run[i] === run[j] ? 0 : -1
      if (compareTuples(s[i], s[j], orderBy) !== want || compareTuples(s[j], s[i], orderBy) !== -want) return false
    }
  }
  return true
}

/**
 * sortProbe returns the IR of a query that lists, for every row that reaches
 * ir's sort, its orderBy values as fields __o0, __o1, ... (ir's own select
 * kept, for having), or null when ir has no orderBy or one the probe cannot
 * restate. `$selected.f` is replaced by f's expression; in a grouped query an
 * expression of source refs without an aggregate is one constant (TanStack
 * reads the refs in the aggregated row, where they are undefined).
 */
export function sortProbe(ir) {
  if (!ir.orderBy?.length || ir.distinct) return null
  const fields = []
  for (const [i, o] of ir.orderBy.entries()) {
    let e = o.expr
    if (e.type === 'ref' && e.path[0] === '$selected' && ir.fnSelect !== undefined) {
      // fn.select's field (gen.mjs q_fn): the field it copies, when it
      // copies one as it is (undefined becomes null there).
      const f = ir._fns?.[ir.fnSelect]?.fields?.find(([name]) => name === e.path[1])
      if (!f || f[3] !== 'id' || e.path.length !== 2) return null
      e = { type: 'func', name: 'coalesce', args: [{ type: 'ref', path: [f[1], f[2]] }, { type: 'val', value: null }] }
    } else if (e.type === 'ref' && e.path[0] === '$selected') {
      e = selectedExpr(ir, e.path)
      if (!e) return null
    } else if (ir.groupBy && !hasAgg(e)) {
      // its source refs read undefined in the aggregated row: the same value
      // for every row, which orders nothing
      e = { type: 'val' }
    }
    fields.push({ field: `__o${i}`, expr: e })
  }
  const probe = { ...ir, select: [...(ir.select ?? []), ...fields] }
  // The sort values replace fn.select's value (which decides no row: the
  // generator's fn.having reads the aliases only).
  delete probe.fnSelect
  delete probe.orderBy
  delete probe.limit
  delete probe.offset
  delete probe.findOne
  return probe
}

function hasAgg(e) {
  return e.type === 'agg' || (e.type === 'func' && e.args.some(hasAgg))
}

function selectedExpr(ir, path) {
  if (path.length !== 2) return null
  for (const s of [...(ir.select ?? [])].reverse()) {
    if (s.field === path[1]) return s.expr ?? null
    if (s.spread) {
      // a spread alias's field, unless a later entry named it (checked first)
      return { type: 'ref', path: [...s.spread, path[1]] }
    }
  }
  // a field the select does not have reads undefined
  return ir.select ? { type: 'val' } : null
}

/** tupleOf reads a probe's row back as the tuple of its orderBy values. */
export function tupleOf(row, n) {
  return Array.from({ length: n }, (_, i) => row?.[`__o${i}`])
}

/**
 * ordersDiffer reports whether StreamDB's documented order and TanStack's
 * comparator disagree on some pair of these tuples (they can only where a
 * column mixes strings with numbers or booleans).
 */
export function ordersDiffer(tuples, orderBy) {
  return tuples.some((x, i) => tuples.some((y, j) => j > i && Math.sign(compareTuples(x, y, orderBy)) !== Math.sign(compareTuples(x, y, orderBy, true))))
}
