package query

import (
	"slices"
	"strconv"
	"strings"

	"github.com/streamdb/streamdb/core/ir"
	"github.com/streamdb/streamdb/core/value"
)

// Marker names of the synthetic refs a grouped query's expressions are
// rewritten to: group key i and aggregate j.
const (
	groupRef = "\x00group"
	aggRef   = "\x00agg"
)

// groupedClauses are a grouped query's select, having and orderBy rewritten
// to read its group rows, and the aggregates they compute, in the order of
// their aggRef indexes.
type groupedClauses struct {
	sel     []ir.SelectEntry
	having  []*ir.Expr
	orderBy []ir.Order
	aggs    []*ir.Expr
}

// rewriteGrouped rewrites the select, having and orderBy of a grouped query
// as TanStack DB reads them (see rewriteMode).
func rewriteGrouped(q *ir.Query) (*groupedClauses, error) {
	rw := &rewriter{keys: q.GroupBy}
	sel, err := rw.selectEntries(q.Select)
	if err != nil {
		return nil, err
	}
	for _, e := range q.Select {
		if e.Expr != nil && e.Expr.Kind == ir.Agg {
			rw.selAggs = append(rw.selAggs, e.Expr)
		}
	}
	having := make([]*ir.Expr, len(q.Having))
	for i, h := range q.Having {
		if having[i], err = rw.expr("having", h, rewriteHaving); err != nil {
			return nil, err
		}
	}
	orderBy := slices.Clone(q.OrderBy)
	for i, o := range q.OrderBy {
		if orderBy[i].Expr, err = rw.expr("orderBy", o.Expr, rewriteOrderBy); err != nil {
			return nil, err
		}
	}
	return &groupedClauses{sel: sel, having: having, orderBy: orderBy, aggs: rw.aggs}, nil
}

// rewriter replaces, in the expressions of a grouped query, the subtrees
// equal to a groupBy expression and the aggregates by synthetic refs.
type rewriter struct {
	keys    []*ir.Expr
	aggs    []*ir.Expr // the distinct aggregates met so far
	selAggs []*ir.Expr // the select's top-level aggregate fields
}

// rewriteMode says which clause of a grouped query an expression is in;
// TanStack DB 0.15.2 reads each differently:
//   - select: group expressions read the group's key, aggregates are
//     computed, any other source ref is an error;
//   - having: the same, except that an aggregate must be one of the
//     select's top-level aggregate fields;
//   - orderBy: aggregates as in having; source refs, group expressions
//     included, read nothing (undefined): order by $selected.field
//     instead.
type rewriteMode uint8

const (
	rewriteSelect rewriteMode = iota
	rewriteHaving
	rewriteOrderBy
)

func (rw *rewriter) selectEntries(entries []ir.SelectEntry) ([]ir.SelectEntry, error) {
	if entries == nil {
		return nil, nil
	}
	out := make([]ir.SelectEntry, len(entries))
	for i, e := range entries {
		out[i] = e
		switch {
		case e.Spread != nil:
			return nil, ir.Kindf("NonAggregateExpressionNotInGroupByError", "select", "a spread (...%s) is not allowed in a grouped select", e.Spread[0])
		case e.Select != nil:
			s, err := rw.selectEntries(e.Select)
			if err != nil {
				return nil, err
			}
			out[i].Select = s
		default:
			x, err := rw.expr("select", e.Expr, rewriteSelect)
			if err != nil {
				return nil, err
			}
			if x.Kind == ir.Ref && x.Path[0] != groupRef && x.Path[0] != aggRef {
				return nil, ir.Kindf("NonAggregateExpressionNotInGroupByError", "select", "field %q: %s is neither an aggregate nor a groupBy expression", e.Field, exprString(e.Expr))
			}
			out[i].Expr = x
		}
	}
	return out, nil
}

func (rw *rewriter) expr(clause string, e *ir.Expr, mode rewriteMode) (*ir.Expr, error) {
	if mode != rewriteOrderBy {
		for i, k := range rw.keys {
			if equalExpr(e, k) {
				return syntheticRef(groupRef, i), nil
			}
		}
	}
	switch e.Kind {
	case ir.Agg:
		return rw.agg(clause, e, mode)
	case ir.Func:
		out := &ir.Expr{Kind: ir.Func, Name: e.Name, Args: make([]*ir.Expr, len(e.Args))}
		for i, a := range e.Args {
			x, err := rw.expr(clause, a, mode)
			if err != nil {
				return nil, err
			}
			out.Args[i] = x
		}
		return out, nil
	case ir.Ref:
		switch {
		case e.Path[0] == "$selected":
			return e, nil
		case mode == rewriteOrderBy:
			return &ir.Expr{Kind: ir.Val}, nil
		}
		return nil, ir.Kindf("NonAggregateExpressionNotInGroupByError", clause, "%s is neither an aggregate nor a groupBy expression", exprString(e))
	}
	return e, nil
}

// agg rewrites an aggregate to the ref of its slot, the slot of an equal
// aggregate met before or a new one.
func (rw *rewriter) agg(clause string, e *ir.Expr, mode rewriteMode) (*ir.Expr, error) {
	if mode != rewriteSelect && !slices.ContainsFunc(rw.selAggs, func(a *ir.Expr) bool { return equalExpr(a, e) }) {
		return nil, ir.Kindf("AggregateFunctionNotInSelectError", clause, "aggregate %s must also be a field of the select (and be used as is)", exprString(e))
	}
	j := slices.IndexFunc(rw.aggs, func(a *ir.Expr) bool { return equalExpr(a, e) })
	if j < 0 {
		rw.aggs = append(rw.aggs, e)
		j = len(rw.aggs) - 1
	}
	return syntheticRef(aggRef, j), nil
}

// syntheticRef is the ref to group key or aggregate i.
func syntheticRef(marker string, i int) *ir.Expr {
	return &ir.Expr{Kind: ir.Ref, Path: []string{marker, strconv.Itoa(i)}}
}

// equalExpr reports whether two expressions are the same tree.
func equalExpr(a, b *ir.Expr) bool {
	if a.Kind != b.Kind || a.Name != b.Name || len(a.Args) != len(b.Args) || !slices.Equal(a.Path, b.Path) {
		return false
	}
	if a.Kind == ir.Val && !value.Equal(a.Value, b.Value) {
		return false
	}
	for i := range a.Args {
		if !equalExpr(a.Args[i], b.Args[i]) {
			return false
		}
	}
	return true
}

// exprString shows an expression in error messages.
func exprString(e *ir.Expr) string {
	switch e.Kind {
	case ir.Ref:
		return strings.Join(e.Path, ".")
	case ir.Val:
		return e.Value.String()
	}
	args := make([]string, len(e.Args))
	for i, a := range e.Args {
		args[i] = exprString(a)
	}
	return e.Name + "(" + strings.Join(args, ", ") + ")"
}
