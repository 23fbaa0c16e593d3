package query

import (
	"github.com/streamdb/streamdb/core/expr"
	"github.com/streamdb/streamdb/core/ir"
	"github.com/streamdb/streamdb/core/ivm"
	"github.com/streamdb/streamdb/core/value"
)

// selectStage adds the select of an ungrouped query: each row gains its
// selected value, as slot len(aliases) (where orderBy's $selected reads it)
// and as the row's result value. It returns the scope of orderBy.
func selectStage(p *pipeline, q *ir.Query, aliases []string) (scoped, []ir.Order, error) {
	sel, err := selection(q, aliases)
	if err != nil {
		return nil, nil, err
	}
	n := len(aliases)
	orderBy := inlineSelectedOrder(q.OrderBy, q.Select)
	m := ivm.NewMap(func(r *ivm.Row, rows *ivm.Rows) *ivm.Row {
		s := sel(r.Vals)
		row := rows.New(r.Key, n+1)
		copy(row.Vals, r.Vals)
		row.Vals[n], row.Sel = s, s
		return row
	})
	if len(orderBy) == 0 {
		// Without an orderBy nothing reads the selected slot of Vals (only
		// orderBy's $selected refs do): the image shares its input's Vals,
		// which no stage changes, instead of copying them.
		m = ivm.NewMap(func(r *ivm.Row, rows *ivm.Rows) *ivm.Row {
			row := rows.New(r.Key, 0)
			row.Vals, row.Sel = r.Vals, sel(r.Vals)
			return row
		})
	}
	p.add(m.Push)
	return &aliasScope{scope: scope{aliases: aliases, sel: n}}, orderBy, nil
}

// selection compiles the select of an ungrouped query into the function
// that computes a row's selected value; without a select the value is the
// row itself (one source) or the object {alias: row} (joins).
func selection(q *ir.Query, aliases []string) (func([]value.Value) value.Value, error) {
	if q.Select == nil {
		if len(aliases) == 1 {
			return func(vals []value.Value) value.Value { return vals[0] }, nil
		}
		var b value.ObjectBuilder
		return func(vals []value.Value) value.Value {
			for i, a := range aliases {
				b.Add(a, vals[i])
			}
			return b.Build()
		}, nil
	}
	return compileSelect(q.Select, &scope{clause: "select", aliases: aliases, sel: -1})
}

// selectPart is one compiled select entry: a field computed by ev, a field
// holding a nested select's object, or a spread of ev's object.
type selectPart struct {
	field  string
	ev     expr.Eval
	nested func([]value.Value) value.Value
	spread bool
}

// compileSelect compiles select entries into a function building the
// selected object.
func compileSelect(entries []ir.SelectEntry, r expr.Resolver) (func([]value.Value) value.Value, error) {
	parts := make([]selectPart, len(entries))
	for i, e := range entries {
		var err error
		if parts[i], err = compileSelectEntry(e, r); err != nil {
			return nil, err
		}
	}
	var b value.ObjectBuilder
	return func(vals []value.Value) value.Value {
		// A nested select builds its own object first, so one builder per
		// level is enough.
		var nested []value.Value
		for _, p := range parts {
			if p.nested != nil {
				nested = append(nested, p.nested(vals))
			}
		}
		k := 0
		for _, p := range parts {
			switch {
			case p.spread:
				p.ev(vals).Fields(func(key string, v value.Value) bool {
					b.Add(key, v)
					return true
				})
			case p.nested != nil:
				b.Add(p.field, nested[k])
				k++
			default:
				b.Add(p.field, p.ev(vals))
			}
		}
		return b.Build()
	}, nil
}

func compileSelectEntry(e ir.SelectEntry, r expr.Resolver) (selectPart, error) {
	switch {
	case e.Spread != nil:
		ev, err := compileExpr("select", &ir.Expr{Kind: ir.Ref, Path: e.Spread}, r)
		return selectPart{ev: ev, spread: true}, err
	case e.Select != nil:
		n, err := compileSelect(e.Select, r)
		return selectPart{field: e.Field, nested: n}, err
	}
	ev, err := compileExpr("select", e.Expr, r)
	return selectPart{field: e.Field, ev: ev}, err
}

// selectHasAggregate reports whether a select computes an aggregate, which
// makes its query a grouped one (a single group without a groupBy).
func selectHasAggregate(entries []ir.SelectEntry) bool {
	for _, e := range entries {
		if e.Expr != nil && expr.HasAggregate(e.Expr) {
			return true
		}
		if e.Select != nil && selectHasAggregate(e.Select) {
			return true
		}
	}
	return false
}
