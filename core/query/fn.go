package query

import (
	"github.com/streamdb/streamdb/internal/strfmt"
	"strconv"

	"github.com/streamdb/streamdb/core/expr"
	"github.com/streamdb/streamdb/core/ir"
	"github.com/streamdb/streamdb/core/ivm"
	"github.com/streamdb/streamdb/core/value"
)

// TanStack DB's functional clauses, fn.where, fn.select and fn.having, are
// callbacks of the caller's language (JS in the browser): the IR names
// each by an index (ir.Query.FnWhere, FnSelect, FnHaving) and Compile
// calls them through Options.Funcs. They run where TanStack DB 0.15.2 runs
// them:
//
//	fn.where   after the where clauses, over the namespaced row
//	           {alias: row, ...}; a row passes when the callback returns
//	           exactly true.
//	fn.select  instead of a select: its result is the row's selected value
//	           (orderBy may read it as $selected, distinct compares it); with
//	           a groupBy it is FnSelectWithGroupByError.
//	fn.having  after the having clauses. In a grouped query (a groupBy, or
//	           aggregates in the select) over {$selected: the group's
//	           selected value} (without a select {$selected: {__key_0: the
//	           first groupBy value, ...}}), kept when exactly true; in an
//	           ungrouped one over {alias: row, ..., $selected}, kept when
//	           truthy.
//
// A stage hands the callback the rows of one batch at once (FnRows), in
// the batch's order, so that a bridge to another language crosses once a
// batch, not once a row. The callbacks must be functions of their row: a
// row's removal calls them again (as in TanStack DB), and a different
// answer then would leave a stale row. A callback that fails (a JS throw)
// stops its live query (Err): it applies no later step, and its result
// stays what it was before the failing step; other queries go on.

// Funcs runs a query's callbacks, by the indexes of the IR.
type Funcs interface {
	// Len returns how many callbacks there are (indexes 0 to Len()-1).
	Len() int
	// Test calls callback fn with each row, in order, and sets keep[i] to
	// whether it returned true (exact), or a truthy value (!exact).
	Test(fn int, rows *FnRows, exact bool, keep []bool) error
	// Map calls callback fn with each row, in order, and sets out[i] to
	// what it returned.
	Map(fn int, rows *FnRows, out []value.Value) error
}

// FnRows is the batch of rows a callback is called with. Row i is the
// object {alias: value, ...} of the aliases' values (an Undefined value,
// the missing side of an outer join, has no member), with a "$selected"
// member when the rows carry one.
type FnRows struct {
	aliases []string
	vals    [][]value.Value
	sel     []value.Value
	withSel bool
}

// Len returns the number of rows.
func (r *FnRows) Len() int { return len(r.vals) }

// Row returns row i as an object.
func (r *FnRows) Row(i int) value.Value {
	var b value.ObjectBuilder
	for j, a := range r.aliases {
		b.Add(a, r.vals[i][j])
	}
	if r.withSel {
		b.Add("$selected", r.sel[i])
	}
	return b.Build()
}

// AppendJSON appends the rows as the JSON text of an array of objects
// (Row's objects, without building them one by one).
func (r *FnRows) AppendJSON(dst []byte) []byte {
	dst = append(dst, '[')
	for i := range r.vals {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, '{')
		first := true
		member := func(name string, v value.Value) {
			if v.IsUndefined() {
				return
			}
			if !first {
				dst = append(dst, ',')
			}
			first = false
			dst = value.AppendJSON(dst, value.String(name))
			dst = append(dst, ':')
			dst = value.AppendJSON(dst, v)
		}
		for j, a := range r.aliases {
			member(a, r.vals[i][j])
		}
		if r.withSel {
			member("$selected", r.sel[i])
		}
		dst = append(dst, '}')
	}
	return append(dst, ']')
}

// add appends a row: the aliases' values and the selected value.
func (r *FnRows) add(vals []value.Value, sel value.Value) {
	r.vals = append(r.vals, vals)
	if r.withSel {
		r.sel = append(r.sel, sel)
	}
}

// reset empties the batch, keeping no reference to its rows.
func (r *FnRows) reset() {
	clear(r.vals)
	clear(r.sel)
	r.vals, r.sel = r.vals[:0], r.sel[:0]
}

// CallbackError is a callback that failed; Err is what Funcs returned.
type CallbackError struct {
	// Clause is "fn.where", "fn.select" or "fn.having".
	Clause string
	// Fn is the callback's index.
	Fn  int
	Err error
}

// Error returns "<clause> callback failed: <Err>".
func (e *CallbackError) Error() string {
	return strfmt.Sprintf("%s callback failed: %v", e.Clause, e.Err)
}

// Unwrap returns Err.
func (e *CallbackError) Unwrap() error { return e.Err }

// Err returns what stopped the live query, a *CallbackError, or nil. A
// stopped query ignores later steps; its result is what it was before the
// step that failed.
func (lq *LiveQuery) Err() error {
	if lq.err == nil {
		return nil
	}
	return lq.err
}

// catch ends the push a failing callback aborted (deferred by load and
// ApplyStep): the query records the error and drops what the push left.
// Any other panic goes on.
func (lq *LiveQuery) catch() {
	r := recover()
	if r == nil {
		return
	}
	ce, ok := r.(*CallbackError)
	if !ok {
		panic(r)
	}
	lq.err = ce
	lq.col.buf = nil
}

// fail aborts the push with a callback's error (see catch).
func fail(clause string, fn int, err error) {
	panic(&CallbackError{Clause: clause, Fn: fn, Err: err})
}

// checkFns checks a query's callback indexes against Options.Funcs.
func (c *compiler) checkFns(q *ir.Query) error {
	check := func(clause string, fns []int) error {
		for _, i := range fns {
			if c.opts.Funcs == nil {
				return ir.Errorf(clause, "the query has a callback, and nothing runs callbacks here (query.Options.Funcs)")
			}
			if i >= c.opts.Funcs.Len() {
				return ir.Errorf(clause, "callback %d does not exist (%d callbacks)", i, c.opts.Funcs.Len())
			}
		}
		return nil
	}
	var sel []int
	if q.FnSelect != nil {
		sel = []int{*q.FnSelect}
		if q.Select != nil {
			return ir.Errorf("fn.select", "a query has either a select or an fn.select")
		}
		if len(q.GroupBy) > 0 {
			return ir.Kindf("FnSelectWithGroupByError", "fn.select", "fn.select() cannot be used with groupBy(): use select() with aggregates instead")
		}
	}
	// (errors.Join would link 3 KB more into the wasm.)
	if err := check("fn.where", q.FnWhere); err != nil {
		return err
	}
	if err := check("fn.select", sel); err != nil {
		return err
	}
	return check("fn.having", q.FnHaving)
}

// fnWhere adds a stage for each fn.where callback, after the where clauses.
func (c *compiler) fnWhere(p *pipeline, q *ir.Query, aliases []string) {
	for _, fn := range q.FnWhere {
		p.add(c.fnFilter("fn.where", fn, aliases, nil, true))
	}
}

// fnFilter is the stage keeping the rows callback fn accepts. The callback
// gets the aliases' values (the first len(aliases) of Vals), and the
// selected value made by sel(row) when sel is set.
//
// It is not inlined: inlined, its closures would be compiled into the
// wasm once per caller.
//
//go:noinline
func (c *compiler) fnFilter(clause string, fn int, aliases []string, sel func(*ivm.Row) value.Value, exact bool) func(ivm.Batch) ivm.Batch {
	funcs := c.opts.Funcs
	rows := &FnRows{aliases: aliases, withSel: sel != nil}
	var keep []bool
	return func(in ivm.Batch) ivm.Batch {
		defer rows.reset()
		n := len(aliases)
		for _, d := range in {
			if d.Row == nil {
				continue
			}
			var s value.Value
			if sel != nil {
				s = sel(d.Row)
			}
			rows.add(d.Row.Vals[:n], s)
		}
		if rows.Len() == 0 {
			return nil
		}
		keep = append(keep[:0], make([]bool, rows.Len())...)
		if err := funcs.Test(fn, rows, exact, keep); err != nil {
			fail(clause, fn, err)
		}
		var out ivm.Batch
		i := 0
		for _, d := range in {
			if d.Row == nil {
				continue
			}
			if keep[i] {
				out = append(out, d)
			}
			i++
		}
		return out
	}
}

// fnProject compiles what each row of an ungrouped query with fn.select or
// fn.having becomes: the selected value (fn.select's, or the select's),
// then the fn.having filters over {alias: row, ..., $selected}.
func (c *compiler) fnProject(p *pipeline, q *ir.Query, aliases []string, owned ownedRows) (scoped, []ir.Order, error) {
	// fn.having reads the selected value of removals too.
	top := c.depth == 0 && len(q.FnHaving) == 0
	var (
		sc      scoped
		orderBy []ir.Order
		err     error
	)
	if q.FnSelect != nil {
		sc, orderBy = c.fnSelect(p, q, aliases, top)
	} else if sc, orderBy, err = selectStage(p, q, aliases, owned, top); err != nil {
		return nil, nil, err
	}
	sel := func(r *ivm.Row) value.Value { return r.Sel }
	for _, fn := range q.FnHaving {
		p.add(c.fnFilter("fn.having", fn, aliases, sel, false))
	}
	return sc, orderBy, nil
}

// fnSelect adds the fn.select stage: each row's selected value is what
// the callback returns for it. When orderBy reads $selected, the value is
// slot len(aliases) of Vals too. top: the query is not a subquery and no
// fn.having follows, so nothing reads the selected value of a removal,
// which is not computed (see selectStage).
func (c *compiler) fnSelect(p *pipeline, q *ir.Query, aliases []string, top bool) (scoped, []ir.Order) {
	funcs, fn := c.opts.Funcs, *q.FnSelect
	n := len(aliases)
	slot := readsSelected(q.OrderBy)
	rows := &FnRows{aliases: aliases}
	var res []value.Value
	p.add(func(in ivm.Batch) ivm.Batch {
		defer rows.reset()
		needs := func(d ivm.Delta) bool { return d.Row != nil && (slot || !top || d.Mult >= 0) }
		for _, d := range in {
			if needs(d) {
				rows.add(d.Row.Vals[:n], value.Value{})
			}
		}
		res = append(res[:0], make([]value.Value, rows.Len())...)
		if rows.Len() > 0 {
			if err := funcs.Map(fn, rows, res); err != nil {
				fail("fn.select", fn, err)
			}
		}
		var alloc ivm.Rows
		out := make(ivm.Batch, 0, len(in))
		i := 0
		for _, d := range in {
			if d.Row == nil {
				continue
			}
			var r *ivm.Row
			if slot {
				r = alloc.New(d.Row.Key, n+1)
				copy(r.Vals, d.Row.Vals[:n])
			} else {
				// The Vals are shared: no later stage changes them (orderBy
				// gets no ownership below).
				r = alloc.New(d.Row.Key, 0)
				r.Vals = d.Row.Vals
			}
			if needs(d) {
				r.Sel = res[i]
				i++
				if slot {
					r.Vals[n] = r.Sel
				}
			}
			out = append(out, ivm.Delta{Row: r, Mult: d.Mult})
		}
		clear(res)
		return out
	})
	if slot {
		return &aliasScope{scope: scope{aliases: aliases, sel: n}, owned: joinRows}, q.OrderBy
	}
	return &aliasScope{scope: scope{aliases: aliases, sel: -1}}, q.OrderBy
}

// fnHavingGrouped adds the fn.having filters of a grouped query, after its
// having clauses: each callback gets {$selected: the group's selected
// value}, or without a select {$selected: {__key_0: the first groupBy
// value, ...}}, and keeps the group when it returns exactly true.
func (c *compiler) fnHavingGrouped(p *pipeline, q *ir.Query) {
	nk := len(q.GroupBy)
	keys := make([]string, nk)
	for i := range keys {
		keys[i] = "__key_" + strconv.Itoa(i)
	}
	sel := func(r *ivm.Row) value.Value { return r.Sel }
	if q.Select == nil {
		var b value.ObjectBuilder
		sel = func(r *ivm.Row) value.Value {
			for i, k := range keys {
				b.Add(k, r.Vals[i])
			}
			return b.Build()
		}
	}
	for _, fn := range q.FnHaving {
		p.add(c.fnFilter("fn.having", fn, nil, sel, true))
	}
}

// FuncList is Funcs for Go callbacks: callback i is FuncList[i], called
// with each row as an object; an error it returns fails the query.
type FuncList []func(row value.Value) (value.Value, error)

// Len implements Funcs.
func (l FuncList) Len() int { return len(l) }

// Test implements Funcs.
func (l FuncList) Test(fn int, rows *FnRows, exact bool, keep []bool) error {
	ok := expr.Truthy
	if exact {
		ok = expr.IsTrue
	}
	for i := range rows.Len() {
		v, err := l[fn](rows.Row(i))
		if err != nil {
			return err
		}
		keep[i] = ok(v)
	}
	return nil
}

// Map implements Funcs.
func (l FuncList) Map(fn int, rows *FnRows, out []value.Value) error {
	for i := range rows.Len() {
		v, err := l[fn](rows.Row(i))
		if err != nil {
			return err
		}
		out[i] = v
	}
	return nil
}
