// The deviations from TanStack DB that StreamDB documents (README, "Query
// semantics") and that a query can meet at any depth, as rewrites of our IR:
// TanStack computes, from scratch, what StreamDB must give for the same
// query. The harness asks them only after every other comparison failed.

const fn = (name, ...args) => ({ type: 'func', name, args })
const val = (value) => ({ type: 'val', value })
const nullish = (e) => fn('or', fn('isNull', e), fn('isUndefined', e))
// NaN, told from everything else, the string "NaN" too (TanStack's eq
// holds NaN equal to NaN, so eq(e, e) does not tell it)
const isNaN = (e) => fn('and', fn('eq', fn('concat', e), val('NaN')), fn('not', fn('eq', e, val('NaN'))))

/**
 * rewriteQueries returns ir with each query in it (ir itself, subqueries of
 * from and joins, include children) passed through f(q, isSubquery), or
 * null when f changed nothing. f returns a new query or q itself.
 */
function rewriteQueries(ir, f) {
  let changed = false
  const query = (q, sub) => {
    let out = { ...q }
    if (q.from?.query) out.from = { ...q.from, query: query(q.from.query, true) }
    if (q.join) out.join = q.join.map((j) => (j.source?.query ? { ...j, source: { ...j.source, query: query(j.source.query, true) } } : j))
    if (q.select) out.select = select(q.select)
    const g = f(out, sub)
    if (g !== out) changed = true
    return g
  }
  const select = (sel) => sel.map((e) => {
    if (e.include) return { ...e, include: { ...e.include, query: query(e.include.query, false) } }
    if (e.select) return { ...e, select: select(e.select) }
    return e
  })
  const out = query(ir, false)
  return changed ? out : null
}

/**
 * documentedOrderIR returns ir with every orderBy, at any depth (subqueries,
 * joins' sources, includes), made to sort in StreamDB's documented order
 * under TanStack's own comparator, or null when ir sorts nothing. Each
 * column gets a rank column before it, with its direction and nulls: null
 * for null or undefined, 0 for a number or boolean, 1 for a string, 2 for
 * NaN. Ranks put numbers before strings (StreamDB's order, where TanStack's
 * JavaScript < ties a non-numeric string with every number and orders a
 * numeric string as a number), and the column itself then orders values of
 * one rank, where both orders agree. Where a column mixes no strings with
 * numbers the rank is constant within each kind and the order is TanStack's
 * own. It lets TanStack compute what StreamDB must give for a query whose
 * sorted values mix types anywhere, windows and includes included.
 */
export function documentedOrderIR(ir) {
  const rank = (e) => fn('caseWhen',
    nullish(e), val(null),
    isNaN(e), val(2),
    fn('eq', fn('concat', e), e), val(1),
    val(0))
  return rewriteQueries(ir, (q) => (q.orderBy?.length
    ? { ...q, orderBy: q.orderBy.flatMap((o) => [{ expr: rank(o.expr), direction: o.direction, nulls: o.nulls }, o]) }
    : q))
}

/**
 * nanAsNullIR returns ir with every field that a subquery of a from or a
 * join selects turned from NaN into null, as StreamDB's rows, JSON, hold it
 * when an outer query reads them; null when ir has no such subquery.
 */
export function nanAsNullIR(ir) {
  const guard = (e) => fn('caseWhen', isNaN(e), val(null), e)
  const select = (sel) => sel.map((e) => (e.expr ? { ...e, expr: guard(e.expr) } : e.select ? { ...e, select: select(e.select) } : e))
  return rewriteQueries(ir, (q, sub) => (sub && q.select ? { ...q, select: select(q.select) } : q))
}
