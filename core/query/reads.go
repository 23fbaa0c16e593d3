package query

import (
	"github.com/streamdb/streamdb/core/collection"
	"github.com/streamdb/streamdb/core/ir"
	"github.com/streamdb/streamdb/core/ivm"
	"github.com/streamdb/streamdb/core/value"
)

// fields is the set of top-level fields a query reads of one source
// alias's rows. An update of a row that leaves all of them as they were
// cannot change the result: the query drops it (both its removal and its
// addition) before its graph, instead of computing the same rows again (a
// join would pair the row with all its matches twice).
type fields []string

// same reports whether a and b agree on every field of f.
func (f fields) same(a, b value.Value) bool {
	for _, name := range f {
		if !value.Equal(a.Get(name), b.Get(name)) {
			return false
		}
	}
	return true
}

// aliasReads returns the fields q reads of each of its aliases, found in
// every clause; an alias whose rows are read whole (a ref to the alias
// itself, a spread, the result of a query without select) is left out,
// and so is every alias when a ref names something this query does not
// know.
func aliasReads(q *ir.Query) map[string]fields {
	aliases := fromAliases(q.From)
	for _, j := range q.Joins {
		aliases = append(aliases, j.Source.Alias)
	}
	reads := map[string]map[string]bool{}
	for _, a := range aliases {
		reads[a] = map[string]bool{}
	}
	whole := map[string]bool{}
	unknown := false
	walk := func(e *ir.Expr) {
		eachRef(e, func(path []string) {
			if len(path) == 0 || path[0] == "$selected" {
				return
			}
			r, ok := reads[path[0]]
			switch {
			case !ok:
				unknown = true
			case len(path) == 1:
				whole[path[0]] = true
			default:
				r[path[1]] = true
			}
		})
	}
	var walkSelect func(entries []ir.SelectEntry)
	walkSelect = func(entries []ir.SelectEntry) {
		for _, s := range entries {
			if s.Include != nil {
				unknown = true // an includes subquery reads the row too
			}
			walk(s.Expr)
			walkSelect(s.Select)
			for _, a := range s.Spread {
				whole[a] = true
			}
		}
	}
	// A callback may read any field (fn.go).
	if q.Select == nil || len(q.FnWhere) > 0 || len(q.FnHaving) > 0 {
		for _, a := range aliases {
			whole[a] = true
		}
	}
	walkSelect(q.Select)
	eachClauseExpr(q, walk)
	out := map[string]fields{}
	if unknown {
		return out
	}
	for a, r := range reads {
		if whole[a] {
			continue
		}
		f := fields{}
		for name := range r {
			f = append(f, name)
		}
		out[a] = f
	}
	return out
}

// deltaCount returns how many row deltas deltas makes of a change.
func deltaCount(c collection.Change) int {
	switch c.Type {
	case collection.Insert, collection.Delete:
		return 1
	case collection.Update:
		if metaOnly(c) {
			return 0
		}
		return 2
	}
	return 0
}

// batchFor returns the row deltas of collection name's changes for a leaf
// that reads the fields f of its rows (nil: whole rows): the step's
// shared batch without the updates that leave every field of f as it was.
func (s *Step) batchFor(name string, f fields) ivm.Batch {
	b := s.batch(name)
	if f == nil {
		return b
	}
	var out ivm.Batch // nil until an update is dropped
	at := 0
	for _, c := range s.changes[name] {
		n := deltaCount(c)
		drop := c.Type == collection.Update && f.same(c.Previous, c.Value)
		switch {
		case drop && out == nil:
			out = append(make(ivm.Batch, 0, len(b)), b[:at]...)
		case !drop && out != nil:
			out = append(out, b[at:at+n]...)
		}
		at += n
	}
	if out == nil {
		return b
	}
	return out
}

// eachClauseExpr calls fn with each expression of q's join conditions,
// where, groupBy, having and orderBy (its select is the caller's).
func eachClauseExpr(q *ir.Query, fn func(*ir.Expr)) {
	for _, j := range q.Joins {
		fn(j.On)
	}
	for _, list := range [][]*ir.Expr{q.Where, q.GroupBy, q.Having} {
		for _, e := range list {
			fn(e)
		}
	}
	for _, o := range q.OrderBy {
		fn(o.Expr)
	}
}

// eachRef calls fn with the path of every ref in e (nil: none).
func eachRef(e *ir.Expr, fn func(path []string)) {
	if e == nil {
		return
	}
	switch e.Kind {
	case ir.Ref:
		fn(e.Path)
	case ir.Func, ir.Agg:
		for _, a := range e.Args {
			eachRef(a, fn)
		}
	}
}
