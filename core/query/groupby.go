package query

import (
	"strconv"

	"github.com/streamdb/streamdb/core/expr"
	"github.com/streamdb/streamdb/core/ir"
	"github.com/streamdb/streamdb/core/ivm"
	"github.com/streamdb/streamdb/core/value"
)

// grouped compiles a grouped query: its groupBy keys, the aggregates its
// select, having and orderBy use, the group-by stage and the having
// filters. It returns the scope over the group rows and the orderBy,
// rewritten to read them.
func (c *compiler) grouped(p *pipeline, q *ir.Query, aliases []string) (scoped, []ir.Order, error) {
	in := &scope{clause: "groupBy", aliases: aliases, sel: -1}
	keys, err := groupKeys(q.GroupBy, in)
	if err != nil {
		return nil, nil, err
	}
	gc, err := rewriteGrouped(q)
	if err != nil {
		return nil, nil, err
	}
	specs, err := aggSpecs(gc.aggs, in)
	if err != nil {
		return nil, nil, err
	}
	gv, err := c.groupVirtual(q, aliases, in)
	if err != nil {
		return nil, nil, err
	}
	if gv != nil {
		specs = append(specs, gv.specs()...)
	}
	sc := &groupScope{clause: "select", nk: len(q.GroupBy), na: len(specs)}
	var build func([]value.Value) value.Value
	if gc.sel != nil {
		if build, err = compileSelect(gc.sel, sc); err != nil {
			return nil, nil, err
		}
		if gv != nil {
			build = gv.wrap(build, sc.nk, len(gc.aggs))
		}
	}
	p.add(ivm.NewGroupBy(keys, specs, groupRow(sc.nk, sc.na, build)).Push)
	conds := make([]*ir.Expr, len(gc.having))
	for i, h := range gc.having {
		conds[i] = inlineSelected(h, gc.sel)
	}
	if err := having(p, conds, sc, len(q.GroupBy) == 0); err != nil {
		return nil, nil, err
	}
	c.fnHavingGrouped(p, q)
	return sc, inlineSelectedOrder(gc.orderBy, gc.sel), nil
}

// groupKeys compiles the groupBy expressions over the sources' rows.
func groupKeys(groupBy []*ir.Expr, in expr.Resolver) ([]func(*ivm.Row) value.Value, error) {
	keys := make([]func(*ivm.Row) value.Value, len(groupBy))
	for i, g := range groupBy {
		if expr.HasAggregate(g) {
			return nil, ir.Kindf("UnknownExpressionTypeError", "groupBy", "aggregates are not allowed in groupBy")
		}
		ev, err := compileExpr("groupBy", g, in)
		if err != nil {
			return nil, err
		}
		keys[i] = func(r *ivm.Row) value.Value { return ev(r.Vals) }
	}
	return keys, nil
}

// aggSpecs compiles the aggregates a grouped query computes: each one's
// kind and its argument over the sources' rows.
func aggSpecs(aggs []*ir.Expr, in expr.Resolver) ([]ivm.AggSpec, error) {
	specs := make([]ivm.AggSpec, len(aggs))
	for i, a := range aggs {
		kind, err := aggKind(a)
		if err != nil {
			return nil, err
		}
		if expr.HasAggregate(a.Args[0]) {
			return nil, ir.Kindf("UnknownExpressionTypeError", "select", "aggregate %s nested in another aggregate", a.Name)
		}
		ev, err := compileExpr("select", a.Args[0], in)
		if err != nil {
			return nil, err
		}
		specs[i] = ivm.AggSpec{Kind: kind, Arg: func(r *ivm.Row) value.Value { return ev(r.Vals) }}
	}
	return specs, nil
}

func aggKind(a *ir.Expr) (ivm.AggKind, error) {
	if len(a.Args) != 1 {
		return 0, ir.Errorf("select", "aggregate %s takes one argument, got %d", a.Name, len(a.Args))
	}
	switch a.Name {
	case "count":
		return ivm.AggCount, nil
	case "sum":
		return ivm.AggSum, nil
	case "avg":
		return ivm.AggAvg, nil
	case "min":
		return ivm.AggMin, nil
	case "max":
		return ivm.AggMax, nil
	}
	return 0, ir.Errorf("select", "unknown aggregate %q (want count, sum, avg, min or max)", a.Name)
}

// groupRow returns the function that makes a group's row from its key and
// aggregate values: Vals [keys..., aggregates..., selected], and the
// selected value (Undefined without a select) as the result value.
func groupRow(nk, na int, build func([]value.Value) value.Value) func(key, aggs []value.Value) *ivm.Row {
	return func(key, aggs []value.Value) *ivm.Row {
		var row *ivm.Row
		var vals []value.Value
		if nk+na+1 <= len(smallGroupRow{}.vals) {
			// The row and its values in one object (a group's row stays
			// until the group's next change, and is remade at each).
			g := &smallGroupRow{}
			row, vals = &g.row, g.vals[:nk+na+1]
		} else {
			row, vals = &ivm.Row{}, make([]value.Value, nk+na+1)
		}
		copy(vals, key)
		copy(vals[nk:], aggs)
		var s value.Value
		if build != nil {
			s = build(vals)
		}
		vals[nk+na] = s
		row.Vals, row.Sel = vals, s
		return row
	}
}

// smallGroupRow is a group's row with room for its values: keys,
// aggregates and the selected value, up to four.
type smallGroupRow struct {
	row  ivm.Row
	vals [4]value.Value
}

// having adds a filter for each (rewritten) having expression. TanStack DB
// keeps a group when having is truthy, but the single group of an aggregate
// select without groupBy only when it is exactly true.
func having(p *pipeline, conds []*ir.Expr, sc *groupScope, single bool) error {
	keep := expr.Truthy
	if single {
		keep = expr.IsTrue
	}
	for _, h := range conds {
		ev, err := compileExpr("having", h, sc.withClause("having"))
		if err != nil {
			return err
		}
		p.add(filter(ev, keep))
	}
	return nil
}

// groupScope resolves the rewritten expressions of a grouped query over
// its group rows: groupRef i is slot i, aggRef j slot nk+j, $selected slot
// nk+na.
type groupScope struct {
	clause string
	nk, na int
}

func (s *groupScope) withClause(clause string) expr.Resolver {
	t := *s
	t.clause = clause
	return &t
}

// Ref implements expr.Resolver.
func (s *groupScope) Ref(path []string) (int, []string, error) {
	switch path[0] {
	case groupRef, aggRef:
		i, _ := strconv.Atoi(path[1])
		if path[0] == aggRef {
			i += s.nk
		}
		return i, path[2:], nil
	case "$selected":
		return s.nk + s.na, path[1:], nil
	}
	return 0, nil, ir.Kindf("NonAggregateExpressionNotInGroupByError", s.clause, "%s is neither an aggregate nor a groupBy expression", exprString(&ir.Expr{Kind: ir.Ref, Path: path}))
}

// Agg implements expr.Resolver: aggregates were rewritten to refs, so one
// left is misplaced.
func (s *groupScope) Agg(e *ir.Expr) (int, error) {
	return 0, ir.Errorf(s.clause, "aggregate %s is not allowed here", e.Name)
}
