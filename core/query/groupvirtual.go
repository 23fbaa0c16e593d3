package query

import (
	"github.com/streamdb/streamdb/core/ir"
	"github.com/streamdb/streamdb/core/ivm"
	"github.com/streamdb/streamdb/core/value"
)

// With Options.AllVirtual, a group's row carries what TanStack DB 0.15.2
// gives it (query/compiler/group-by.js): $synced false (and
// $hasPendingWrites true) when a row of the group, of any alias, is not
// synced, $origin 'local' when one is of local origin, $key the group's
// result key and $collectionId the id of the query's main (from)
// collection; a selected field of the same name (not null) wins. Two
// hidden aggregates (max over 0/1) count the group's unsynced and local
// rows.

// groupVirtualInfo is what a grouped query needs for its group fields.
type groupVirtualInfo struct {
	pending, local func(*ivm.Row) value.Value
	collectionID   string
}

// groupVirtual returns the group fields' aggregates of a grouped query, or
// nil without AllVirtual.
func (c *compiler) groupVirtual(q *ir.Query, aliases []string, in *scope) (*groupVirtualInfo, error) {
	if !c.opts.AllVirtual {
		return nil, nil
	}
	type pair struct {
		synced, origin func([]value.Value) value.Value
	}
	var refs []pair
	for _, a := range aliases {
		s, err := compileExpr("groupBy", &ir.Expr{Kind: ir.Ref, Path: []string{a, "$synced"}}, in)
		if err != nil {
			return nil, err
		}
		o, err := compileExpr("groupBy", &ir.Expr{Kind: ir.Ref, Path: []string{a, "$origin"}}, in)
		if err != nil {
			return nil, err
		}
		refs = append(refs, pair{s, o})
	}
	one, zero := value.Number(1), value.Number(0)
	g := &groupVirtualInfo{collectionID: c.mainCollectionID(q)}
	g.pending = func(r *ivm.Row) value.Value {
		for _, p := range refs {
			if b, ok := p.synced(r.Vals).BoolVal(); ok && !b {
				return one
			}
		}
		return zero
	}
	g.local = func(r *ivm.Row) value.Value {
		for _, p := range refs {
			if s, ok := p.origin(r.Vals).Str(); ok && s == "local" {
				return one
			}
		}
		return zero
	}
	return g, nil
}

// mainCollectionID is the collection id of a query's from source (through
// from subqueries); "" for a union.
func (c *compiler) mainCollectionID(q *ir.Query) string {
	for q.From.Query != nil {
		q = q.From.Query
	}
	if q.From.Collection == "" {
		return ""
	}
	if c.opts.Virtual != nil {
		return c.opts.Virtual(q.From.Collection).ID
	}
	return q.From.Collection
}

// specs returns the two hidden aggregates, added after the query's own.
func (g *groupVirtualInfo) specs() []ivm.AggSpec {
	return []ivm.AggSpec{{Kind: ivm.AggMax, Arg: g.pending}, {Kind: ivm.AggMax, Arg: g.local}}
}

// wrap returns build with the group fields added to the selected row; the
// hidden aggregates are slots nk+na and nk+na+1 of the group row.
func (g *groupVirtualInfo) wrap(build func([]value.Value) value.Value, nk, na int) func([]value.Value) value.Value {
	return func(vals []value.Value) value.Value {
		s := build(vals)
		if s.Kind() != value.KindObject {
			return s
		}
		pending, _ := vals[nk+na].Num()
		local, _ := vals[nk+na+1].Num()
		origin := "remote"
		if local > 0 {
			origin = "local"
		}
		keep := func(name string, v value.Value) value.Value {
			if old := s.Get(name); !old.IsNullish() {
				return old
			}
			return v
		}
		synced := keep("$synced", value.Bool(pending == 0))
		b, _ := synced.BoolVal()
		out := value.With(s, "$hasPendingWrites", keep("$hasPendingWrites", value.Bool(!b)))
		out = value.With(out, "$synced", synced)
		out = value.With(out, "$origin", keep("$origin", value.String(origin)))
		out = value.With(out, "$key", keep("$key", ivm.GroupKey(vals[:nk])))
		if g.collectionID != "" {
			out = value.With(out, "$collectionId", keep("$collectionId", value.String(g.collectionID)))
		}
		return out
	}
}
