package query

import (
	"github.com/streamdb/streamdb/core/expr"
	"github.com/streamdb/streamdb/core/ir"
)

// pushdown splits the where clauses of a query with joins into those that
// filter one source's rows before the joins, by alias, and the rest, which
// filter the joined rows. A clause moves when it reads one source alone and
// that source's rows are never null-extended: it is the left side of every
// inner or left join and the right side of every inner or right join it
// takes part in. Such a clause gives a joined row the value it gives the
// source row the joined row holds, so dropping the source rows first drops
// exactly the joined rows the clause would: the same result, as TanStack
// DB's optimizer pushes these predicates down, but a change to a source row
// the clause rejects (a user of another team, for a join filtered on the
// team) no longer goes through the join at all.
func pushdown(q *ir.Query) (bySource map[string][]*ir.Expr, rest []*ir.Expr) {
	if noPushdown || len(q.Joins) == 0 || q.From.Union != nil || q.From.Branches != nil {
		return nil, q.Where
	}
	kept := map[string]bool{q.From.Alias: true}
	for _, j := range q.Joins {
		left := j.Type == ir.Inner || j.Type == ir.Left
		for a := range kept {
			kept[a] = kept[a] && left
		}
		kept[j.Source.Alias] = j.Type == ir.Inner || j.Type == ir.Right
	}
	for _, w := range q.Where {
		if a := soleAlias(w); a != "" && kept[a] && !expr.HasAggregate(w) {
			if bySource == nil {
				bySource = map[string][]*ir.Expr{}
			}
			bySource[a] = append(bySource[a], w)
			continue
		}
		rest = append(rest, w)
	}
	return bySource, rest
}

// noPushdown turns pushdown off: for the test that compares results with
// and without it.
var noPushdown bool

// soleAlias returns the one alias e's refs read, or "" when they read none,
// several, or $selected.
func soleAlias(e *ir.Expr) string {
	alias, ok := "", true
	eachRef(e, func(path []string) {
		switch {
		case len(path) == 0 || path[0] == "$selected":
			ok = false
		case alias == "":
			alias = path[0]
		case alias != path[0]:
			ok = false
		}
	})
	if !ok {
		return ""
	}
	return alias
}

// filtered returns o's rows of alias that pass every clause.
func filtered(o outlet, alias string, clauses []*ir.Expr) (outlet, error) {
	if len(clauses) == 0 {
		return o, nil
	}
	p := &pipeline{tail: o}
	if err := where(p, clauses, []string{alias}); err != nil {
		return nil, err
	}
	return p.tail, nil
}
