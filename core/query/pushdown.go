package query

import (
	"github.com/streamdb/streamdb/core/expr"
	"github.com/streamdb/streamdb/core/ir"
)

// cond is one where conjunct, and how TanStack DB's optimizer leaves it
// (0.15.2, optimizer.ts): it splits the where clauses at their top-level
// and()s and joins the conjuncts of each filter it builds into one and().
// A conjunct in such an and() with others is lenient: its row passes
// unless it is false, null or undefined (and()'s rule: 1 or "yes" passes).
// A conjunct alone in its filter is strict: only exactly true passes.
type cond struct {
	e       *ir.Expr
	lenient bool
}

// conjuncts returns q's where conjuncts with their leniency (see cond):
//   - from a union: each clause alone (the optimizer leaves such a query
//     alone);
//   - no joins: one clause is kept whole (an and() in it is evaluated as
//     written); several are split and joined into one and();
//   - joins: every clause is split, and the conjuncts that read one
//     source's fields and may be pushed to it (a collection whose rows are
//     never null-extended) form that source's filter; all the others form
//     one filter after the joins.
func conjuncts(q *ir.Query, nullable map[string]bool) []cond {
	if q.From.Union != nil || q.From.Branches != nil || len(q.Where) < 2 && len(q.Joins) == 0 {
		return condsOf(q.Where, false)
	}
	split := splitAnd(q.Where)
	if len(q.Joins) == 0 {
		return condsOf(split, len(split) > 1)
	}
	collections := map[string]bool{}
	for _, s := range querySources(q) {
		collections[s.Alias] = s.Query == nil
	}
	group := make([]string, len(split)) // each conjunct's source, "" for the filter after the joins
	size := map[string]int{}            // the conjuncts of each filter
	for i, e := range split {
		if a := soleAlias(e, 2); a != "" && !nullable[a] && collections[a] {
			group[i] = a
		}
		size[group[i]]++
	}
	out := make([]cond, len(split))
	for i, e := range split {
		out[i] = cond{e: e, lenient: size[group[i]] > 1}
	}
	return out
}

// condsOf returns the clauses es as conjuncts, each lenient or not.
func condsOf(es []*ir.Expr, lenient bool) []cond {
	out := make([]cond, len(es))
	for i, e := range es {
		out[i] = cond{e: e, lenient: lenient}
	}
	return out
}

// splitAnd lists the conjuncts of the clauses es: the arguments of each
// top-level and(), recursively (an and() without arguments has none).
func splitAnd(es []*ir.Expr) []*ir.Expr {
	var out []*ir.Expr
	var split func(e *ir.Expr)
	split = func(e *ir.Expr) {
		if e.Kind == ir.Func && e.Name == "and" {
			for _, a := range e.Args {
				split(a)
			}
			return
		}
		out = append(out, e)
	}
	for _, e := range es {
		split(e)
	}
	return out
}

// nullableAliases returns the aliases of q whose rows an outer join may
// null-extend: the right side of a left or full join, and every alias
// before a right or full join.
func nullableAliases(q *ir.Query) map[string]bool {
	out := map[string]bool{}
	before := []string{q.From.Alias}
	for _, j := range q.Joins {
		if j.Type == ir.Left || j.Type == ir.Full {
			out[j.Source.Alias] = true
		}
		if j.Type == ir.Right || j.Type == ir.Full {
			for _, a := range before {
				out[a] = true
			}
		}
		before = append(before, j.Source.Alias)
	}
	return out
}

// pushdown splits the where conjuncts of a query with joins into those that
// filter one source's rows before the joins, by alias, and the rest, which
// filter the joined rows. A conjunct moves when it reads one source alone
// and that source's rows are never null-extended: it is the left side of
// every inner or left join and the right side of every inner or right join
// it takes part in. Such a conjunct gives a joined row the value it gives
// the source row the joined row holds, so dropping the source rows first
// drops exactly the joined rows it would: the same result, as TanStack
// DB's optimizer pushes these predicates down, but a change to a source row
// the conjunct rejects (a user of another team, for a join filtered on the
// team) no longer goes through the join at all.
func pushdown(q *ir.Query) (bySource map[string][]cond, rest []cond) {
	nullable := nullableAliases(q)
	conds := conjuncts(q, nullable)
	if noPushdown || len(q.Joins) == 0 || q.From.Union != nil || q.From.Branches != nil {
		return nil, conds
	}
	for _, c := range conds {
		if a := soleAlias(c.e, 1); a != "" && !nullable[a] && !expr.HasAggregate(c.e) {
			if bySource == nil {
				bySource = map[string][]cond{}
			}
			bySource[a] = append(bySource[a], c)
			continue
		}
		rest = append(rest, c)
	}
	return bySource, rest
}

// noPushdown turns pushdown off: for the test that compares results with
// and without it.
var noPushdown bool

// soleAlias returns the one alias e's refs read, or "" when they read
// none, several, or $selected. minPath (1 or 2) is the length of path from
// which a ref counts: 1 counts a ref to an alias's whole row, 2 only its
// fields (a ref to a whole row then makes it "").
func soleAlias(e *ir.Expr, minPath int) string {
	alias, ok := "", true
	eachRef(e, func(path []string) {
		switch {
		case len(path) < minPath || path[0] == "$selected":
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

// filtered returns o's rows of alias that pass every conjunct.
func filtered(o outlet, alias string, clauses []cond) (outlet, error) {
	if len(clauses) == 0 {
		return o, nil
	}
	p := &pipeline{tail: o}
	if err := where(p, clauses, []string{alias}); err != nil {
		return nil, err
	}
	return p.tail, nil
}
