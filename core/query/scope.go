package query

import (
	"github.com/streamdb/streamdb/core/expr"
	"github.com/streamdb/streamdb/core/ir"
)

// scope resolves the refs of expressions evaluated over rows of the main
// pipeline: alias i is slot i; "$selected" is slot sel (when >= 0).
type scope struct {
	clause  string
	aliases []string
	sel     int
	// declared holds, for an alias whose source is a subquery with a
	// select, the fields that select always sets (subqueryFields).
	declared map[string]declared
}

// Ref implements expr.Resolver.
func (s *scope) Ref(path []string) (int, []string, error) {
	if path[0] == "$selected" {
		if s.sel < 0 {
			return 0, nil, ir.Errorf(s.clause, "$selected is only available after a select")
		}
		return s.sel, path[1:], nil
	}
	for i, a := range s.aliases {
		if a == path[0] {
			return i, path[1:], nil
		}
	}
	if len(s.aliases) > 0 && s.aliases[0] == rowAlias {
		return 0, path, nil // a field of a unionAll(q1, ...) row
	}
	return 0, nil, ir.Errorf(s.clause, "unknown alias %q in ref %v (the query's aliases: %v)", path[0], path, s.aliases)
}

// Agg implements expr.Resolver: no aggregate is allowed outside a grouped
// query's rewritten clauses.
func (s *scope) Agg(e *ir.Expr) (int, error) {
	return 0, ir.Errorf(s.clause, "aggregate %s is not allowed here", e.Name)
}

// scoped is a resolver that can be re-labelled with the clause its errors
// name.
type scoped interface {
	expr.Resolver
	withClause(clause string) expr.Resolver
}

// aliasScope is the scope of orderBy in an ungrouped query. owned: when
// the rows that reach orderBy are made for this path (by the select stage,
// or owned by it), so that orderBy may replace their Vals by its sort
// values; nil: never.
type aliasScope struct {
	scope
	owned ownedRows
}

func (s *aliasScope) withClause(clause string) expr.Resolver {
	t := *s
	t.clause = clause
	return &t
}

// compileExpr compiles e and turns the evaluator's errors into *ir.Error
// for clause.
func compileExpr(clause string, e *ir.Expr, r expr.Resolver) (expr.Eval, error) {
	ev, err := expr.Compile(e, r)
	if err != nil {
		if ie, ok := err.(*ir.Error); ok {
			return nil, ie
		}
		return nil, ir.Errorf(clause, "%v", err)
	}
	return ev, nil
}
