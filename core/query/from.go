package query

import (
	"slices"

	"github.com/streamdb/streamdb/core/expr"
	"github.com/streamdb/streamdb/core/ir"
	"github.com/streamdb/streamdb/core/ivm"
	"github.com/streamdb/streamdb/core/value"
)

// sources compiles the from source and the joins, left to right. Each row
// that comes out holds one value per alias (nil on the missing side of an
// outer join), in the order of the returned aliases.
//
// It also returns the where clauses left to filter the joined rows: those
// pushdown does not apply to a source's rows before the joins.
func (c *compiler) sources(q *ir.Query) (outlet, []string, []cond, error) {
	reads := aliasReads(q)
	pushed, rest := pushdown(q)
	cur, aliases, err := c.from(q.From, reads)
	if err == nil {
		cur, err = filtered(cur, q.From.Alias, pushed[q.From.Alias])
	}
	if err != nil {
		return nil, nil, nil, err
	}
	for _, j := range q.Joins {
		right, err := c.source("join", j.Source, reads)
		if err == nil {
			right, err = filtered(right, j.Source.Alias, pushed[j.Source.Alias])
		}
		if err != nil {
			return nil, nil, nil, err
		}
		leftKey, rightKey, err := joinKeys(j, aliases)
		if err != nil {
			return nil, nil, nil, err
		}
		jn := joinNode(ivm.NewJoin(joinType(j.Type), leftKey, rightKey, len(aliases), 1))
		cur.setNext(pairSide{n: jn})
		right.setNext(pairSide{n: jn, second: true})
		aliases = append(aliases, j.Source.Alias)
		cur = jn
	}
	return cur, aliases, rest, nil
}

// source compiles a from or join source: a leaf reading a collection, or
// a subquery whose result rows become this alias's rows.
func (c *compiler) source(clause string, s ir.Source, reads map[string]fields) (outlet, error) {
	if c.aliases[s.Alias] {
		return nil, ir.Errorf(clause, "alias %q is used twice", s.Alias)
	}
	c.aliases[s.Alias] = true
	if s.Query == nil {
		if c.opts.HasCollection != nil && !c.opts.HasCollection(s.Collection) {
			return nil, ir.Errorf(clause, "unknown collection %q", s.Collection)
		}
		r := reads[s.Alias]
		if c.opts.AllVirtual && r != nil {
			// A change of a row's state changes its virtual fields,
			// which the rows carry on (Options.AllVirtual).
			r = append(r[:len(r):len(r)], "$synced", "$origin")
		}
		l := &leaf{collection: s.Collection, reads: r, virt: c.virtualLeafFor(s)}
		if c.lq.leaves[s.Collection] == nil {
			c.lq.loadOrder = append(c.lq.loadOrder, s.Collection)
		}
		c.lq.leaves[s.Collection] = append(c.lq.leaves[s.Collection], l)
		return l, nil
	}
	c.depth++
	sub, err := c.query(s.Query)
	c.depth--
	if err != nil {
		if e, ok := err.(*ir.Error); ok {
			return nil, ir.Errorf(clause, "subquery %q: %s: %s", s.Alias, e.Clause, e.Reason)
		}
		return nil, err
	}
	adapt := ivm.NewMap(func(r *ivm.Row, rows *ivm.Rows) *ivm.Row {
		out := rows.New(r.Key, 1)
		out.Vals[0] = r.Sel
		return out
	})
	st := &stage{fn: adapt.Push}
	sub.out.setNext(st)
	return st, nil
}

func joinType(t ir.JoinType) ivm.JoinType {
	switch t {
	case ir.Inner:
		return ivm.JoinInner
	case ir.Right:
		return ivm.JoinRight
	case ir.Full:
		return ivm.JoinFull
	}
	return ivm.JoinLeft
}

// joinKeys compiles a join's on condition: an eq, or an and of eqs, each of
// whose sides references only the rows so far or only the joined source.
func joinKeys(j ir.Join, left []string) (leftKey, rightKey func(*ivm.Row) value.Value, err error) {
	eqs, err := joinEqualities(j)
	if err != nil {
		return nil, nil, err
	}
	leftScope := &scope{clause: "join", aliases: left, sel: -1}
	rightScope := &scope{clause: "join", aliases: []string{j.Source.Alias}, sel: -1}
	var lefts, rights []expr.Eval
	for _, eq := range eqs {
		a, b := eq.Args[0], eq.Args[1]
		sa, sb := sideOf(a, left, j.Source.Alias), sideOf(b, left, j.Source.Alias)
		switch {
		case sa == sideLeft && sb == sideRight:
		case sa == sideRight && sb == sideLeft:
			a, b = b, a
		case sa == sb && sa != sideNone:
			return nil, nil, ir.Kindf("InvalidJoinConditionSameSourceError", "join", "join %q: each side of an equality must reference one side of the join, and both refer to the same one", j.Source.Alias)
		default:
			return nil, nil, ir.Kindf("InvalidJoinConditionSourceMismatchError", "join", "join %q: each side of an equality must reference only the joined source or only the sources before it", j.Source.Alias)
		}
		la, err := compileExpr("join", a, leftScope)
		if err != nil {
			return nil, nil, err
		}
		rb, err := compileExpr("join", b, rightScope)
		if err != nil {
			return nil, nil, err
		}
		lefts, rights = append(lefts, la), append(rights, rb)
	}
	return keyFunc(lefts), keyFunc(rights), nil
}

// joinEqualities returns the equalities of a join's on condition, which
// must be one eq or an and of eqs.
func joinEqualities(j ir.Join) ([]*ir.Expr, error) {
	on := j.On
	switch {
	case on.Kind == ir.Func && on.Name == "eq" && len(on.Args) == 2:
		return []*ir.Expr{on}, nil
	case on.Kind == ir.Func && on.Name == "and" && len(on.Args) > 0:
		for _, a := range on.Args {
			if a.Kind != ir.Func || a.Name != "eq" || len(a.Args) != 2 {
				return nil, ir.Kindf("JoinConditionMustBeEqualityError", "join", "join %q: the condition must be eq or an and of eqs", j.Source.Alias)
			}
		}
		return on.Args, nil
	}
	return nil, ir.Kindf("JoinConditionMustBeEqualityError", "join", "join %q: the condition must be an equality (eq), or an and of equalities", j.Source.Alias)
}

// keyFunc evaluates a join key: one value, or an Array of the values of a
// composite key.
func keyFunc(evs []expr.Eval) func(*ivm.Row) value.Value {
	if len(evs) == 1 {
		ev := evs[0]
		return func(r *ivm.Row) value.Value { return ev(r.Vals) }
	}
	return func(r *ivm.Row) value.Value {
		vals := make([]value.Value, len(evs))
		for i, ev := range evs {
			vals[i] = ev(r.Vals)
		}
		return value.ArrayOf(vals)
	}
}

type side uint8

const (
	sideNone side = iota
	sideLeft
	sideRight
	sideBoth
)

// sideOf tells which side of a join the refs of e point at.
func sideOf(e *ir.Expr, left []string, right string) side {
	s := sideNone
	eachRef(e, func(path []string) { s = s.with(refSide(path[0], left, right)) })
	return s
}

// refSide is the side an alias belongs to; an unknown alias counts as both
// (the join rejects it).
func refSide(alias string, left []string, right string) side {
	switch {
	case alias == right:
		return sideRight
	case slices.Contains(left, alias) || left[0] == rowAlias:
		return sideLeft
	}
	return sideBoth
}

// with combines the sides of two parts of an expression.
func (s side) with(t side) side {
	switch {
	case s == sideNone:
		return t
	case s != t:
		return sideBoth
	}
	return s
}
