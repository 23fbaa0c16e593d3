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
		limit, offset := q.Limit, max(q.Offset, 0)
		if q.FindOne && (limit < 0 || limit > 1) {
			limit = 1 // findOne: one row, or none under limit(0)
		}
		// Without a limit every row is kept in order, with its sort values:
		// rows the select made or owns, which no distinct keeps, can take
		// them in place. With a limit the top-K makes the sort values of
		// the rows it keeps in order only.
		var inPlace ownedRows
		if a, ok := r.(*aliasScope); ok && !q.Distinct {
			inPlace = a.owned
		}
		s, err := c.orderBy(orderBy, r, inPlace)
		if err != nil {
			return nil, err
		}
		topK := ivm.NewTopK(s.cmp, offset, limit)
		topK.SetNumberKey(firstNumber(orderBy, s.colls[0]), len(orderBy) == 1)
		if limit < 0 {
			p.add(s.images)
		} else {
			topK.SetSource(len(orderBy), s.sortValues, s.prepare)
		}
		p.add(topK.Push)
		return s.cmp, nil
	case q.FindOne:
		p.add(ivm.NewTopK(byKey, 0, 1).Push)
	}
	return nil, nil
}

// byKey orders rows by their keys, as a result without orderBy is ordered.
func byKey(a, b *ivm.Row) int { return ivm.CompareKeys(a.Key, b.Key) }

// sorting is what orderBy compiles.
type sorting struct {
	// cmp orders rows by their sort values, the last len(cols) of their
	// Vals, ties broken by key.
	cmp func(a, b *ivm.Row) int
	// images is a stage that makes each row's Vals its sort values (in the
	// row itself when the rows are owned, else in an image of it), the
	// columns' strings prepared (Collation.Prepare) before anything
	// compares them.
	images func(ivm.Batch) ivm.Batch
	// sortValues writes a row's sort values (ivm.TopK.SetSource).
	sortValues func(src *ivm.Row, vals []value.Value)
	// prepare, when a column's collation prepares its strings, prepares
	// the strings of a batch's sort values, len(cols) per row (nil
	// otherwise).
	prepare func(vals []value.Value)
	colls   []Collation
}

// orderBy compiles the orderBy columns. inPlace says when the rows reaching
// the images stage are owned.
func (c *compiler) orderBy(cols []ir.Order, r scoped, inPlace ownedRows) (sorting, error) {
	evs := make([]expr.Eval, len(cols))
	colls := make([]Collation, len(cols))
	compares := make([]value.Collation, len(cols))
	var prepared []int // the columns whose strings are prepared
	for i, o := range cols {
		var err error
		if evs[i], colls[i], err = c.orderColumn(o, r); err != nil {
			return sorting{}, err
		}
		compares[i] = colls[i].Compare
		if colls[i].Prepare != nil {
			prepared = append(prepared, i)
		}
	}
	k := len(cols)
	sortValues := func(src *ivm.Row, vals []value.Value) {
		for i, ev := range evs {
			vals[i] = ev(src.Vals)
		}
	}
	// After the images stage only the sort values (the comparator) and Sel
	// (the result value) are read: a row's Vals become its sort values.
	stage := ivm.NewMap(func(row *ivm.Row, rows *ivm.Rows) *ivm.Row {
		out := rows.New(row.Key, k)
		sortValues(row, out.Vals)
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
				sortValues(r, buf)
				if cap(r.Vals) < k {
					r.Vals = make([]value.Value, k)
				}
				r.Vals = r.Vals[:k]
				copy(r.Vals, buf)
			}
			return in
		}
	}
	s := sorting{cmp: sortValuesCompare(cols, compares), images: stage, sortValues: sortValues, colls: colls}
	if len(prepared) == 0 {
		return s, nil
	}
	// prepareBy prepares the strings of the n rows' values of each column
	// whose collation prepares them, as get reads them.
	prepareBy := func(n int, get func(row, col int) value.Value) {
		var strs []string
		for _, i := range prepared {
			strs = strs[:0]
			for j := range n {
				if s, ok := get(j, i).Str(); ok {
					strs = append(strs, s)
				}
			}
			if len(strs) > 0 {
				colls[i].Prepare(strs)
			}
		}
	}
	s.images = func(in ivm.Batch) ivm.Batch {
		out := stage(in)
		prepareBy(len(out), func(j, i int) value.Value {
			if r := out[j].Row; r != nil {
				return r.Vals[len(r.Vals)-k+i]
			}
			return value.Undefined()
		})
		return out
	}
	s.prepare = func(vals []value.Value) {
		prepareBy(len(vals)/k, func(j, i int) value.Value { return vals[j*k+i] })
	}
	return s, nil
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
