package query

import (
	"github.com/streamdb/streamdb/core/expr"
	"github.com/streamdb/streamdb/core/ir"
	"github.com/streamdb/streamdb/core/ivm"
	"github.com/streamdb/streamdb/core/value"
)

// checkWindow rejects a limit or offset without an orderBy, as TanStack DB
// does.
func checkWindow(q *ir.Query) error {
	if len(q.OrderBy) > 0 {
		return nil
	}
	if q.Limit >= 0 {
		return ir.Errorf("limit", "limit needs an orderBy")
	}
	if q.Offset >= 0 {
		return ir.Errorf("offset", "offset needs an orderBy")
	}
	return nil
}

// window adds what orders the result and cuts its window: with an orderBy,
// the sort values and a top-K of offset and limit; findOne without orderBy
// keeps the row of the smallest key. It returns the result's order (nil:
// key order).
func (c *compiler) window(p *pipeline, q *ir.Query, orderBy []ir.Order, r scoped) (func(a, b *ivm.Row) int, error) {
	switch {
	case len(orderBy) > 0:
		cmp, keyStage, err := c.orderBy(orderBy, r)
		if err != nil {
			return nil, err
		}
		p.add(keyStage)
		limit, offset := q.Limit, max(q.Offset, 0)
		if q.FindOne && (limit < 0 || limit > 1) {
			limit = 1 // findOne: one row, or none under limit(0)
		}
		topK := ivm.NewTopK(cmp, offset, limit)
		topK.SetNumberKey(firstNumber(orderBy))
		p.add(topK.Push)
		return cmp, nil
	case q.FindOne:
		p.add(ivm.NewTopK(byKey, 0, 1).Push)
	}
	return nil, nil
}

// byKey orders rows by their keys, as a result without orderBy is ordered.
func byKey(a, b *ivm.Row) int { return ivm.CompareKeys(a.Key, b.Key) }

// orderBy compiles the orderBy columns: a stage appending each row's sort
// values to its Vals, and the comparator over them (ties broken by key).
func (c *compiler) orderBy(cols []ir.Order, r scoped) (func(a, b *ivm.Row) int, func(ivm.Batch) ivm.Batch, error) {
	evs := make([]expr.Eval, len(cols))
	colls := make([]value.Collation, len(cols))
	for i, o := range cols {
		var err error
		if evs[i], colls[i], err = c.orderColumn(o, r); err != nil {
			return nil, nil, err
		}
	}
	k := len(cols)
	m := ivm.NewMap(func(row *ivm.Row, rows *ivm.Rows) *ivm.Row {
		n := len(row.Vals)
		out := rows.New(row.Key, n+k)
		copy(out.Vals, row.Vals)
		for i, ev := range evs {
			out.Vals[n+i] = ev(row.Vals)
		}
		out.Sel = row.Sel
		return out
	})
	return sortValuesCompare(cols, colls), m.Push, nil
}

// orderColumn compiles one orderBy column: its expression, and the
// collation of its strings (nil: UTF-16 code units).
func (c *compiler) orderColumn(o ir.Order, r scoped) (expr.Eval, value.Collation, error) {
	if expr.HasAggregate(o.Expr) {
		return nil, nil, ir.Errorf("orderBy", "an aggregate in orderBy must be in the select (order by $selected.field)")
	}
	ev, err := compileExpr("orderBy", o.Expr, r.withClause("orderBy"))
	if err != nil {
		return nil, nil, err
	}
	if o.Lexical || c.opts.Collator == nil {
		return ev, nil, nil
	}
	coll, err := c.opts.Collator(o.Locale, o.LocaleOptions)
	if err != nil {
		return nil, nil, ir.Errorf("orderBy", "locale %q: %v", o.Locale, err)
	}
	return ev, coll, nil
}

// firstNumber returns the number key of a TopK (ivm.TopK.SetNumberKey)
// ordered by cols: the first sort value when it is a number other than
// NaN, negated for a descending column. Between two such numbers
// ascCompare is the numbers' order (-0 equal to 0, as here).
func firstNumber(cols []ir.Order) func(*ivm.Row) (float64, bool) {
	k, desc := len(cols), cols[0].Desc
	return func(r *ivm.Row) (float64, bool) {
		f, ok := r.Vals[len(r.Vals)-k].Num()
		if !ok || f != f {
			return 0, false
		}
		if desc {
			return -f, true
		}
		return f, true
	}
}

// sortValuesCompare orders rows by the sort values of cols, the last
// len(cols) of their Vals, then by key. Descending keeps null and undefined
// where nullsFirst/nullsLast put them.
func sortValuesCompare(cols []ir.Order, colls []value.Collation) func(a, b *ivm.Row) int {
	k := len(cols)
	return func(a, b *ivm.Row) int {
		na, nb := len(a.Vals)-k, len(b.Vals)-k
		for i, o := range cols {
			x, y := a.Vals[na+i], b.Vals[nb+i]
			var d int
			if o.Desc && !x.IsNullish() && !y.IsNullish() {
				d = ascCompare(y, x, o.NullsLast, colls[i])
			} else {
				d = ascCompare(x, y, o.NullsLast, colls[i])
			}
			if d != 0 {
				return d
			}
		}
		return ivm.CompareKeys(a.Key, b.Key)
	}
}
