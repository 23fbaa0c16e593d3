package query

import (
	"github.com/streamdb/streamdb/core/expr"
	"github.com/streamdb/streamdb/core/ir"
	"github.com/streamdb/streamdb/core/ivm"
	"github.com/streamdb/streamdb/core/value"
)

// where adds a filter for each where expression: a row passes when every
// one is exactly true (three-valued logic: null and undefined do not pass).
// The expressions read the sources' rows by alias; aggregates belong in
// having.
func where(p *pipeline, conds []*ir.Expr, aliases []string) error {
	for _, w := range conds {
		if expr.HasAggregate(w) {
			return ir.Kindf("UnknownExpressionTypeError", "where", "aggregates are not allowed in where (use having)")
		}
		ev, err := compileExpr("where", w, &scope{clause: "where", aliases: aliases, sel: -1})
		if err != nil {
			return err
		}
		p.add(filter(ev, expr.IsTrue))
	}
	return nil
}

// filter is the stage keeping the rows for which keep(ev(row)) holds.
func filter(ev expr.Eval, keep func(v value.Value) bool) func(ivm.Batch) ivm.Batch {
	return ivm.NewFilter(func(r *ivm.Row) bool { return keep(ev(r.Vals)) }).Push
}
