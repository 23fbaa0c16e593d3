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
		return ir.Kindf("LimitOffsetRequireOrderByError", "limit", "limit needs an orderBy")
	}
	if q.Offset >= 0 {
		return ir.Kindf("LimitOffsetRequireOrderByError", "offset", "offset needs an orderBy")
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
		// Rows the select made or owns, which no distinct keeps, can take
		// their sort values in place.
		var inPlace ownedRows
		if a, ok := r.(*aliasScope); ok && !q.Distinct {
			inPlace = a.owned
		}
		cmp, keyStage, colls, err := c.orderBy(orderBy, r, inPlace)
		if err != nil {
			return nil, err
		}
		p.add(keyStage)
		limit, offset := q.Limit, max(q.Offset, 0)
		if q.FindOne && (limit < 0 || limit > 1) {
			limit = 1 // findOne: one row, or none under limit(0)
		}
		topK := ivm.NewTopK(cmp, offset, limit)
		topK.SetNumberKey(firstNumber(orderBy, colls[0]))
		p.add(topK.Push)
		return cmp, nil
	case q.FindOne:
		p.add(ivm.NewTopK(byKey, 0, 1).Push)
	}
	return nil, nil
}

// byKey orders rows by their keys, as a result without orderBy is ordered.
func byKey(a, b *ivm.Row) int { return ivm.CompareKeys(a.Key, b.Key) }

// orderBy compiles the orderBy columns: a stage that makes each row's Vals
// its sort values (in the row itself when inPlace says the rows are owned,
// else in an image of it), and the comparator over them (ties broken by
// key).
//
// A column whose collation can prepare its strings (Collation.Prepare) has
// them prepared per batch, in this stage, before anything compares them.
func (c *compiler) orderBy(cols []ir.Order, r scoped, inPlace ownedRows) (func(a, b *ivm.Row) int, func(ivm.Batch) ivm.Batch, []Collation, error) {
	evs := make([]expr.Eval, len(cols))
	colls := make([]Collation, len(cols))
	compares := make([]value.Collation, len(cols))
	var prepared []int // the columns whose strings are prepared
	for i, o := range cols {
		var err error
		if evs[i], colls[i], err = c.orderColumn(o, r); err != nil {
			return nil, nil, nil, err
		}
		compares[i] = colls[i].Compare
		if colls[i].Prepare != nil {
			prepared = append(prepared, i)
		}
	}
	k := len(cols)
	// After this stage only the sort values (the comparator) and Sel (the
	// result value) are read: a row's Vals become its sort values.
	stage := ivm.NewMap(func(row *ivm.Row, rows *ivm.Rows) *ivm.Row {
		out := rows.New(row.Key, k)
		for i, ev := range evs {
			out.Vals[i] = ev(row.Vals)
		}
		out.Sel = row.Sel
		return out
	}).Push
	if inPlace != nil {
		buf := make([]value.Value, k)
		images := stage
		stage = func(in ivm.Batch) ivm.Batch {
			if !inPlace() {
				return images(in)
			}
			for _, d := range in {
				r := d.Row
				if r == nil {
					continue
				}
				for i, ev := range evs {
					buf[i] = ev(r.Vals)
				}
				if cap(r.Vals) < k {
					r.Vals = make([]value.Value, k)
				}
				r.Vals = r.Vals[:k]
				copy(r.Vals, buf)
			}
			return in
		}
	}
	m := stage
	if len(prepared) > 0 {
		stage = func(in ivm.Batch) ivm.Batch {
			out := m(in)
			var strs []string
			for _, i := range prepared {
				strs = strs[:0]
				for _, d := range out {
					if s, ok := d.Row.Vals[len(d.Row.Vals)-k+i].Str(); ok {
						strs = append(strs, s)
					}
				}
				if len(strs) > 0 {
					colls[i].Prepare(strs)
				}
			}
			return out
		}
	}
	return sortValuesCompare(cols, compares), stage, colls, nil
}

// orderColumn compiles one orderBy column: its expression, and the
// collation of its strings (a zero Collation: UTF-16 code units).
func (c *compiler) orderColumn(o ir.Order, r scoped) (expr.Eval, Collation, error) {
	if expr.HasAggregate(o.Expr) {
		return nil, Collation{}, ir.Kindf("AggregateFunctionNotInSelectError", "orderBy", "an aggregate in orderBy must be in the select (order by $selected.field)")
	}
	ev, err := compileExpr("orderBy", o.Expr, r.withClause("orderBy"))
	if err != nil {
		return nil, Collation{}, err
	}
	if o.Lexical || c.opts.Collator == nil {
		return ev, Collation{}, nil
	}
	coll, err := c.opts.Collator(o.Locale, o.LocaleOptions)
	if err != nil {
		return nil, Collation{}, ir.Errorf("orderBy", "locale %q: %v", o.Locale, err)
	}
	return ev, coll, nil
}

// firstNumber returns the number key of a TopK (ivm.TopK.SetNumberKey)
// ordered by cols, from the first sort value: a number other than NaN
// (class 0), negated for a descending column (between two such numbers
// ascCompare is the numbers' order, -0 equal to 0 as here); or, when the
// first column's collation ranks strings (coll.Rank), a string's rank
// (class 1), which orders strings as the collation does. Numbers sort
// before strings: a batch that mixes the two classes is sorted by its
// comparator.
func firstNumber(cols []ir.Order, coll Collation) func(*ivm.Row) (float64, int, bool) {
	k, desc := len(cols), cols[0].Desc
	sign := 1.0
	if desc {
		sign = -1
	}
	return func(r *ivm.Row) (float64, int, bool) {
		v := r.Vals[len(r.Vals)-k]
		if f, ok := v.Num(); ok {
			return sign * f, 0, f == f
		}
		if s, ok := v.Str(); ok && coll.Rank != nil {
			f, ok := coll.Rank(s)
			return sign * f, 1, ok
		}
		return 0, 0, false
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
