package query

import (
	"github.com/streamdb/streamdb/core/ir"
)

// A ref to $selected.field in orderBy or having reads, in TanStack DB, the
// JS value the select computed for field: a NaN or ±Infinity stays what it
// is. Here the selected value is an object held as JSON text, where a NaN
// (and, in JSON, an infinity) is null, so reading the field back from it
// would order a NaN as null (TanStack orders it after every other value)
// and make gte(NaN, x) unknown (TanStack: true). So such a ref is replaced
// by the field's own expression, which the select evaluates on the same
// row: the clause then sees the value itself.

// inlineSelected returns e with every ref to a field of the select entries
// sel ($selected.f, or $selected.f.g into a nested select) replaced by that
// field's expression. A ref the select does not settle (a field a later
// spread may overwrite, a path into a computed value, the whole $selected
// or a nested object) is kept: it reads the selected object. e is not
// modified.
func inlineSelected(e *ir.Expr, sel []ir.SelectEntry) *ir.Expr {
	switch e.Kind {
	case ir.Ref:
		if len(e.Path) > 1 && e.Path[0] == "$selected" {
			if x := selectedField(sel, e.Path[1:]); x != nil {
				return x
			}
		}
	case ir.Func:
		var out *ir.Expr
		for i, a := range e.Args {
			x := inlineSelected(a, sel)
			if x == a {
				continue
			}
			if out == nil {
				c := *e
				c.Args = append([]*ir.Expr(nil), e.Args...)
				out = &c
			}
			out.Args[i] = x
		}
		if out != nil {
			return out
		}
	}
	return e
}

// inlineSelectedOrder applies inlineSelected to each orderBy column.
func inlineSelectedOrder(cols []ir.Order, sel []ir.SelectEntry) []ir.Order {
	out := make([]ir.Order, len(cols))
	for i, o := range cols {
		out[i] = o
		out[i].Expr = inlineSelected(o.Expr, sel)
	}
	return out
}

// selectedField returns the expression of the field at path in the select
// entries sel, or nil when the entries do not settle it (see
// inlineSelected). The last entry naming a field sets it, as in a JS object
// literal; a spread after it may overwrite it.
func selectedField(sel []ir.SelectEntry, path []string) *ir.Expr {
	found := -1
	for i, e := range sel {
		switch {
		case e.Spread != nil:
			found = -1
		case e.Field == path[0]:
			found = i
		}
	}
	if found < 0 {
		return nil
	}
	e := sel[found]
	switch {
	case e.Select != nil && len(path) > 1:
		return selectedField(e.Select, path[1:])
	case e.Expr != nil && len(path) == 1:
		return e.Expr
	}
	return nil
}
