package query

import (
	"strconv"

	"github.com/streamdb/streamdb/core/ir"
	"github.com/streamdb/streamdb/core/ivm"
	"github.com/streamdb/streamdb/core/value"
)

// TanStack DB's unionAll, in its two forms:
//
//   - unionAll({a: c1, b: c2}) reads several sources: each row holds one of
//     the aliases (slot i for source i, the others Undefined), is keyed
//     "a:" + ivm.UnionKey(key), and the clauses after it read the aliases
//     as those of a join (coalesce(a.t, b.t)); without a select a row is
//     {a: row} or {b: row}.
//   - unionAll(q1, q2, ...) reads the result rows of whole queries: each
//     row is one of them, keyed "i:" + ivm.UnionKey(key) for query i, held
//     in slot 0 under rowAlias; the clauses after it read the row's fields
//     as TanStack's callbacks do, each field a namespace (r.t, r.author.name),
//     and a later join adds its alias to the row ({...row, c: joined}).

// rowAlias is the alias of slot 0 for unionAll(q1, q2, ...): a ref whose
// first name is no alias of the query reads that row's field of that name
// (scope.Ref).
const rowAlias = "\x00row"

// from compiles a query's from: a source (from.go), or a union. It returns
// where its rows come out and the aliases of their slots.
func (c *compiler) from(s ir.Source, reads map[string]fields) (outlet, []string, error) {
	switch {
	case s.Union != nil:
		return c.unionSources(s.Union, reads)
	case s.Branches != nil:
		return c.unionBranches(s.Branches)
	}
	out, err := c.source("from", s, reads)
	return out, []string{s.Alias}, err
}

// unionSources compiles unionAll({a: c1, b: c2, ...}).
func (c *compiler) unionSources(srcs []ir.Source, reads map[string]fields) (outlet, []string, error) {
	aliases := make([]string, len(srcs))
	inputs := make([]ivm.UnionInput, len(srcs))
	outs := make([]outlet, len(srcs))
	for i, s := range srcs {
		out, err := c.source("from", s, reads)
		if err != nil {
			return nil, nil, err
		}
		aliases[i], outs[i] = s.Alias, out
		inputs[i] = ivm.UnionInput{Tag: s.Alias + ":", Slot: i}
	}
	n := &unionNode{u: ivm.NewUnion(len(srcs), inputs)}
	for i, out := range outs {
		out.setNext(unionInput{n: n, i: i})
	}
	return n, aliases, nil
}

// unionBranches compiles unionAll(q1, q2, ...).
func (c *compiler) unionBranches(branches []*ir.Query) (outlet, []string, error) {
	// TanStack rejects an alias that two queries both use at their top
	// level (their from and joins); the rest of the tree is checked by
	// source, as for every query.
	seen := map[string]bool{}
	for _, b := range branches {
		for _, a := range topAliases(b) {
			if seen[a] {
				return nil, nil, ir.Errorf("from", "duplicate source alias %q in unionAll query branches: use distinct aliases in each branch before passing them to unionAll()", a)
			}
			seen[a] = true
		}
	}
	inputs := make([]ivm.UnionInput, len(branches))
	outs := make([]outlet, len(branches))
	for i, b := range branches {
		c.depth++
		sub, err := c.query(b)
		c.depth--
		if err != nil {
			if e, ok := err.(*ir.Error); ok {
				return nil, nil, &ir.Error{Clause: "from", Reason: "unionAll query " + strconv.Itoa(i) + ": " + e.Clause + ": " + e.Reason, Kind: e.Kind}
			}
			return nil, nil, err
		}
		outs[i] = sub.out
		inputs[i] = ivm.UnionInput{Tag: strconv.Itoa(i) + ":", Slot: 0, Sel: true}
	}
	n := &unionNode{u: ivm.NewUnion(1, inputs)}
	for i, out := range outs {
		out.setNext(unionInput{n: n, i: i})
	}
	return n, []string{rowAlias}, nil
}

// topAliases returns the aliases of a query's from and joins.
func topAliases(q *ir.Query) []string {
	out := fromAliases(q.From)
	for _, j := range q.Joins {
		out = append(out, j.Source.Alias)
	}
	return out
}

// fromAliases returns the aliases a from gives its query's rows: the
// source's, the union's sources', or none for a union of queries (whose
// rows are read by field, see rowAlias).
func fromAliases(s ir.Source) []string {
	switch {
	case s.Union != nil:
		out := make([]string, len(s.Union))
		for i, u := range s.Union {
			out[i] = u.Alias
		}
		return out
	case s.Branches != nil:
		return nil
	}
	return []string{s.Alias}
}

// fromSources returns the sources a from reads directly (the union's
// sources), or nil for a union of queries.
func fromSources(s ir.Source) []ir.Source {
	switch {
	case s.Union != nil:
		return s.Union
	case s.Branches != nil:
		return nil
	}
	return []ir.Source{s}
}

// querySources returns the sources q reads directly: its from's
// (fromSources) and its joins', in a slice of its own (appending to
// fromSources' result could write into the query's union).
func querySources(q *ir.Query) []ir.Source {
	from := fromSources(q.From)
	out := make([]ir.Source, 0, len(from)+len(q.Joins))
	out = append(out, from...)
	for _, j := range q.Joins {
		out = append(out, j.Source)
	}
	return out
}

// rowSelection is the selected value of a unionAll(q1, ...) row without a
// select: the row, with each joined alias added as a field.
func rowSelection(aliases []string) func([]value.Value) value.Value {
	if len(aliases) == 1 {
		return func(vals []value.Value) value.Value { return vals[0] }
	}
	var b value.ObjectBuilder
	return func(vals []value.Value) value.Value {
		vals[0].Fields(func(k string, v value.Value) bool {
			b.Add(k, v)
			return true
		})
		for i, a := range aliases[1:] {
			b.Add(a, vals[i+1])
		}
		return b.Build()
	}
}

// unionNode runs an ivm.Union; unionInput is the sink of its input i.
type unionNode struct {
	u    *ivm.Union
	next sink
}

func (n *unionNode) setNext(s sink) { n.next = s }

type unionInput struct {
	n *unionNode
	i int
}

func (in unionInput) push(b ivm.Batch) {
	if out := in.n.u.Push(in.i, b); len(out) > 0 {
		in.n.next.push(out)
	}
}
