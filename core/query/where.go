package query

import (
	"github.com/streamdb/streamdb/core/expr"
	"github.com/streamdb/streamdb/core/ir"
	"github.com/streamdb/streamdb/core/ivm"
	"github.com/streamdb/streamdb/core/value"
)

// where adds a filter for each where conjunct: a row passes a strict one
// when it is exactly true, and a lenient one unless it is false, null or
// undefined (see cond). The expressions read the sources' rows by alias;
// aggregates belong in having.
func where(p *pipeline, conds []cond, aliases []string) error {
	for _, w := range conds {
		if expr.HasAggregate(w.e) {
			return ir.Kindf("UnknownExpressionTypeError", "where", "aggregates are not allowed in where (use having)")
		}
		ev, err := compileExpr("where", w.e, &scope{clause: "where", aliases: aliases, sel: -1})
		if err != nil {
			return err
		}
		keep := expr.IsTrue
		if w.lenient {
			keep = expr.PassesAnd
		}
		p.pass(filter(ev, keep))
	}
	return nil
}

// filter is the stage keeping the rows for which keep(ev(row)) holds.
func filter(ev expr.Eval, keep func(v value.Value) bool) func(ivm.Batch) ivm.Batch {
	return ivm.NewFilter(func(r *ivm.Row) bool { return keep(ev(r.Vals)) }).Push
}
