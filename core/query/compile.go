package query

import (
	"slices"
	"strconv"

	"github.com/streamdb/streamdb/core/expr"
	"github.com/streamdb/streamdb/core/ir"
	"github.com/streamdb/streamdb/core/ivm"
	"github.com/streamdb/streamdb/core/value"
)

// Collator returns the collation of stringSort 'locale' for a locale ("" is
// the default locale) and Intl.Collator options (an Object, or Undefined).
type Collator func(locale string, options value.Value) (value.Collation, error)

// Options configure Compile.
type Options struct {
	// HasCollection reports whether a collection exists; nil accepts every
	// name.
	HasCollection func(name string) bool
	// Collator makes locale collations. Nil orders strings by UTF-16 code
	// units for every stringSort (the browser passes Intl.Collator, native
	// programs core/collate).
	Collator Collator
}

// compiler holds the state of one Compile call.
type compiler struct {
	opts    Options
	lq      *LiveQuery
	aliases map[string]bool // every alias of the query tree: TanStack rejects shadowing
	depth   int
}

// Compile turns a query into a live query, empty until Load. Errors are
// *ir.Error values naming the clause at fault.
func Compile(q *ir.Query, opts Options) (*LiveQuery, error) {
	lq := &LiveQuery{leaves: map[string][]*leaf{}, col: &collector{}}
	c := &compiler{opts: opts, lq: lq, aliases: map[string]bool{}}
	p, err := c.query(q)
	if err != nil {
		return nil, err
	}
	p.out.setNext(lq.col)
	lq.out = ivm.NewOutput(func(r *ivm.Row) value.Value { return r.Sel }, p.order)
	lq.single = q.FindOne
	lq.ordered = p.order != nil
	for name := range lq.leaves {
		lq.collections = append(lq.collections, name)
	}
	slices.Sort(lq.collections)
	return lq, nil
}

// plan is a compiled (sub)query: where its result rows come out, and the
// order they are kept in (nil: key order).
type plan struct {
	out   outlet
	order func(a, b *ivm.Row) int
}

// scope resolves the refs of expressions evaluated over rows of the main
// pipeline: alias i is slot i; "$selected" is slot sel (when >= 0).
type scope struct {
	clause  string
	aliases []string
	sel     int
}

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
	return 0, nil, ir.Errorf(s.clause, "unknown alias %q in ref %v (the query's aliases: %v)", path[0], path, s.aliases)
}

func (s *scope) Agg(e *ir.Expr) (int, error) {
	return 0, ir.Errorf(s.clause, "aggregate %s is not allowed here", e.Name)
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

func (c *compiler) query(q *ir.Query) (*plan, error) {
	c.depth++
	defer func() { c.depth-- }()
	if len(q.OrderBy) == 0 {
		if q.Limit >= 0 {
			return nil, ir.Errorf("limit", "limit needs an orderBy")
		}
		if q.Offset >= 0 {
			return nil, ir.Errorf("offset", "offset needs an orderBy")
		}
	}

	// Sources and joins.
	aliases := []string{}
	from, err := c.source("from", q.From)
	if err != nil {
		return nil, err
	}
	aliases = append(aliases, q.From.Alias)
	cur := from
	for _, j := range q.Joins {
		right, err := c.source("join", j.Source)
		if err != nil {
			return nil, err
		}
		leftKey, rightKey, err := joinKeys(j, aliases)
		if err != nil {
			return nil, err
		}
		jn := &joinNode{j: ivm.NewJoin(joinType(j.Type), leftKey, rightKey, len(aliases), 1)}
		cur.setNext(joinSide{n: jn})
		right.setNext(joinSide{n: jn, right: true})
		aliases = append(aliases, j.Source.Alias)
		cur = jn
	}
	var stages []*stage
	add := func(fn func(ivm.Batch) ivm.Batch) { stages = append(stages, &stage{fn: fn}) }

	// where
	for _, w := range q.Where {
		if expr.HasAggregate(w) {
			return nil, ir.Errorf("where", "aggregates are not allowed in where (use having)")
		}
		ev, err := compileExpr("where", w, &scope{clause: "where", aliases: aliases, sel: -1})
		if err != nil {
			return nil, err
		}
		f := ivm.NewFilter(func(r *ivm.Row) bool { return expr.IsTrue(ev(r.Vals)) })
		add(f.Push)
	}

	grouped := len(q.GroupBy) > 0 || selectHasAggregate(q.Select)
	var post scoped // resolves having and orderBy
	orderBy := q.OrderBy
	if grouped {
		gb, sc, having, ob, err := c.groupBy(q, aliases)
		if err != nil {
			return nil, err
		}
		add(gb.Push)
		post, orderBy = sc, ob
		for _, h := range having {
			ev, err := compileExpr("having", h, sc.withClause("having"))
			if err != nil {
				return nil, err
			}
			// TanStack DB keeps a group when having is truthy, but the single
			// group of an aggregate select only when it is exactly true.
			keep := expr.Truthy
			if len(q.GroupBy) == 0 {
				keep = expr.IsTrue
			}
			f := ivm.NewFilter(func(r *ivm.Row) bool { return keep(ev(r.Vals)) })
			add(f.Push)
		}
	} else {
		if len(q.Having) > 0 {
			return nil, ir.Errorf("having", "having needs a groupBy or aggregates in the select")
		}
		sel, err := c.selection(q, aliases)
		if err != nil {
			return nil, err
		}
		n := len(aliases)
		m := ivm.NewMap(func(r *ivm.Row) *ivm.Row {
			s := sel(r.Vals)
			row := ivm.NewRow(r.Key, n+1)
			copy(row.Vals, r.Vals)
			row.Vals[n], row.Sel = s, s
			return row
		})
		add(m.Push)
		post = &aliasScope{scope: scope{aliases: aliases, sel: n}}
	}

	if q.Distinct {
		d := ivm.NewDistinct()
		add(d.Push)
	}

	p := &plan{}
	switch {
	case len(orderBy) > 0:
		cmp, keyStage, err := c.orderBy(orderBy, post)
		if err != nil {
			return nil, err
		}
		add(keyStage)
		limit, offset := q.Limit, max(q.Offset, 0)
		if q.FindOne && (limit < 0 || limit > 1) {
			limit = 1 // findOne: one row, or none under limit(0)
		}
		t := ivm.NewTopK(cmp, offset, limit)
		add(t.Push)
		p.order = cmp
	case q.FindOne:
		t := ivm.NewTopK(byKey, 0, 1)
		add(t.Push)
	}

	for i := range stages {
		if i == 0 {
			cur.setNext(stages[0])
		} else {
			stages[i-1].setNext(stages[i])
		}
	}
	if len(stages) > 0 {
		p.out = stages[len(stages)-1]
	} else {
		p.out = cur
	}
	return p, nil
}

// byKey orders rows by their keys, as a result without orderBy is ordered.
func byKey(a, b *ivm.Row) int { return ivm.CompareKeys(a.Key, b.Key) }

// source compiles a from or join source: a leaf reading a collection, or
// a subquery whose result rows become this alias's rows.
func (c *compiler) source(clause string, s ir.Source) (outlet, error) {
	if c.aliases[s.Alias] {
		return nil, ir.Errorf(clause, "alias %q is used twice", s.Alias)
	}
	c.aliases[s.Alias] = true
	if s.Query == nil {
		if c.opts.HasCollection != nil && !c.opts.HasCollection(s.Collection) {
			return nil, ir.Errorf(clause, "unknown collection %q", s.Collection)
		}
		l := &leaf{collection: s.Collection}
		c.lq.leaves[s.Collection] = append(c.lq.leaves[s.Collection], l)
		return l, nil
	}
	sub, err := c.query(s.Query)
	if err != nil {
		if e, ok := err.(*ir.Error); ok {
			return nil, ir.Errorf(clause, "subquery %q: %s: %s", s.Alias, e.Clause, e.Reason)
		}
		return nil, err
	}
	adapt := ivm.NewMap(func(r *ivm.Row) *ivm.Row {
		return &ivm.Row{Key: r.Key, Vals: []value.Value{r.Sel}}
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
	var eqs []*ir.Expr
	on := j.On
	switch {
	case on.Kind == ir.Func && on.Name == "eq" && len(on.Args) == 2:
		eqs = []*ir.Expr{on}
	case on.Kind == ir.Func && on.Name == "and" && len(on.Args) > 0:
		for _, a := range on.Args {
			if a.Kind != ir.Func || a.Name != "eq" || len(a.Args) != 2 {
				return nil, nil, ir.Errorf("join", "join %q: the condition must be eq or an and of eqs", j.Source.Alias)
			}
		}
		eqs = on.Args
	default:
		return nil, nil, ir.Errorf("join", "join %q: the condition must be an equality (eq), or an and of equalities", j.Source.Alias)
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
		default:
			return nil, nil, ir.Errorf("join", "join %q: each side of an equality must reference only the joined source or only the sources before it", j.Source.Alias)
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
	var walk func(e *ir.Expr)
	walk = func(e *ir.Expr) {
		switch e.Kind {
		case ir.Ref:
			t := sideNone
			if e.Path[0] == right {
				t = sideRight
			} else if slices.Contains(left, e.Path[0]) {
				t = sideLeft
			} else {
				t = sideBoth // unknown alias: reject
			}
			if s == sideNone {
				s = t
			} else if s != t {
				s = sideBoth
			}
		case ir.Func, ir.Agg:
			for _, a := range e.Args {
				walk(a)
			}
		}
	}
	walk(e)
	return s
}

// selection compiles the select of an ungrouped query into the function
// that computes a row's selected value; without a select the value is the
// row itself (one source) or the object {alias: row} (joins).
func (c *compiler) selection(q *ir.Query, aliases []string) (func([]value.Value) value.Value, error) {
	if q.Select == nil {
		if len(aliases) == 1 {
			return func(vals []value.Value) value.Value { return vals[0] }, nil
		}
		var b value.ObjectBuilder
		return func(vals []value.Value) value.Value {
			for i, a := range aliases {
				b.Add(a, vals[i])
			}
			return b.Build()
		}, nil
	}
	return compileSelect(q.Select, &scope{clause: "select", aliases: aliases, sel: -1})
}

// compileSelect compiles select entries into a function building the
// selected object.
func compileSelect(entries []ir.SelectEntry, r expr.Resolver) (func([]value.Value) value.Value, error) {
	type part struct {
		field  string
		ev     expr.Eval
		nested func([]value.Value) value.Value
		spread bool
	}
	parts := make([]part, 0, len(entries))
	for _, e := range entries {
		switch {
		case e.Spread != nil:
			ev, err := compileExpr("select", &ir.Expr{Kind: ir.Ref, Path: e.Spread}, r)
			if err != nil {
				return nil, err
			}
			parts = append(parts, part{ev: ev, spread: true})
		case e.Select != nil:
			n, err := compileSelect(e.Select, r)
			if err != nil {
				return nil, err
			}
			parts = append(parts, part{field: e.Field, nested: n})
		default:
			ev, err := compileExpr("select", e.Expr, r)
			if err != nil {
				return nil, err
			}
			parts = append(parts, part{field: e.Field, ev: ev})
		}
	}
	var b value.ObjectBuilder
	return func(vals []value.Value) value.Value {
		// A nested select builds its own object first, so one builder per
		// level is enough.
		var nested []value.Value
		for _, p := range parts {
			if p.nested != nil {
				nested = append(nested, p.nested(vals))
			}
		}
		k := 0
		for _, p := range parts {
			switch {
			case p.spread:
				p.ev(vals).Fields(func(key string, v value.Value) bool {
					b.Add(key, v)
					return true
				})
			case p.nested != nil:
				b.Add(p.field, nested[k])
				k++
			default:
				b.Add(p.field, p.ev(vals))
			}
		}
		return b.Build()
	}, nil
}

func selectHasAggregate(entries []ir.SelectEntry) bool {
	for _, e := range entries {
		if e.Expr != nil && expr.HasAggregate(e.Expr) {
			return true
		}
		if e.Select != nil && selectHasAggregate(e.Select) {
			return true
		}
	}
	return false
}

// scoped is a resolver that can be re-labelled with the clause its errors
// name.
type scoped interface {
	expr.Resolver
	withClause(clause string) expr.Resolver
}

// aliasScope is the scope of orderBy in an ungrouped query.
type aliasScope struct{ scope }

func (s *aliasScope) withClause(clause string) expr.Resolver {
	t := *s
	t.clause = clause
	return &t
}

// Marker names of the synthetic refs a grouped query's expressions are
// rewritten to: group key i and aggregate j.
const (
	groupRef = "\x00group"
	aggRef   = "\x00agg"
)

// groupScope resolves the rewritten expressions of a grouped query, whose
// rows after the group-by hold [keys..., aggregates..., selected].
type groupScope struct {
	clause string
	nk, na int
	keys   []*ir.Expr
	aggs   *[]*ir.Expr
}

func (s *groupScope) withClause(clause string) expr.Resolver {
	t := *s
	t.clause = clause
	return &t
}

func (s *groupScope) Ref(path []string) (int, []string, error) {
	switch path[0] {
	case groupRef, aggRef:
		i, _ := strconv.Atoi(path[1])
		if path[0] == aggRef {
			i += s.nk
		}
		return i, path[2:], nil
	case "$selected":
		return s.nk + s.na, path[1:], nil
	}
	return 0, nil, ir.Errorf(s.clause, "%s is neither an aggregate nor a groupBy expression", exprString(&ir.Expr{Kind: ir.Ref, Path: path}))
}

func (s *groupScope) Agg(e *ir.Expr) (int, error) {
	return 0, ir.Errorf(s.clause, "aggregate %s is not allowed here", e.Name)
}

// groupBy compiles the group-by of q with its aggregates and select; the
// returned scope resolves the returned (rewritten) having and orderBy over
// its output rows.
func (c *compiler) groupBy(q *ir.Query, aliases []string) (gb *ivm.GroupBy, sc *groupScope, having []*ir.Expr, orderBy []ir.Order, err error) {
	gb, sc, having, orderBy, err = c.groupByRewrite(q, aliases)
	return
}

func (c *compiler) groupByRewrite(q *ir.Query, aliases []string) (*ivm.GroupBy, *groupScope, []*ir.Expr, []ir.Order, error) {
	in := &scope{clause: "groupBy", aliases: aliases, sel: -1}
	keys := make([]func(*ivm.Row) value.Value, len(q.GroupBy))
	for i, g := range q.GroupBy {
		if expr.HasAggregate(g) {
			return nil, nil, nil, nil, ir.Errorf("groupBy", "aggregates are not allowed in groupBy")
		}
		ev, err := compileExpr("groupBy", g, in)
		if err != nil {
			return nil, nil, nil, nil, err
		}
		keys[i] = func(r *ivm.Row) value.Value { return ev(r.Vals) }
	}
	var aggs []*ir.Expr
	sc := &groupScope{clause: "select", nk: len(q.GroupBy), keys: q.GroupBy, aggs: &aggs}
	rw := &rewriter{keys: q.GroupBy, aggs: &aggs}

	// Rewrite select, having and orderBy into expressions over the group
	// row, as TanStack DB reads them (see rewriteMode).
	sel, err := rw.selectEntries(q.Select)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	for _, e := range q.Select {
		if e.Expr != nil && e.Expr.Kind == ir.Agg {
			rw.selAggs = append(rw.selAggs, e.Expr)
		}
	}
	having := make([]*ir.Expr, len(q.Having))
	for i, h := range q.Having {
		if having[i], err = rw.expr("having", h, rewriteHaving); err != nil {
			return nil, nil, nil, nil, err
		}
	}
	orderBy := slices.Clone(q.OrderBy)
	for i, o := range q.OrderBy {
		if orderBy[i].Expr, err = rw.expr("orderBy", o.Expr, rewriteOrderBy); err != nil {
			return nil, nil, nil, nil, err
		}
	}
	sc.na = len(aggs)
	specs := make([]ivm.AggSpec, len(aggs))
	for i, a := range aggs {
		kind, err := aggKind(a)
		if err != nil {
			return nil, nil, nil, nil, err
		}
		if expr.HasAggregate(a.Args[0]) {
			return nil, nil, nil, nil, ir.Errorf("select", "aggregate %s nested in another aggregate", a.Name)
		}
		ev, err := compileExpr("select", a.Args[0], in)
		if err != nil {
			return nil, nil, nil, nil, err
		}
		specs[i] = ivm.AggSpec{Kind: kind, Arg: func(r *ivm.Row) value.Value { return ev(r.Vals) }}
	}
	var build func([]value.Value) value.Value
	if sel != nil {
		if build, err = compileSelect(sel, sc); err != nil {
			return nil, nil, nil, nil, err
		}
	}
	nk, na := sc.nk, sc.na
	gb := ivm.NewGroupBy(keys, specs, func(key []value.Value, av []value.Value) *ivm.Row {
		vals := make([]value.Value, nk+na+1)
		copy(vals, key)
		copy(vals[nk:], av)
		var s value.Value
		if build != nil {
			s = build(vals)
		}
		vals[nk+na] = s
		return &ivm.Row{Vals: vals, Sel: s}
	})
	return gb, sc, having, orderBy, nil
}

func aggKind(a *ir.Expr) (ivm.AggKind, error) {
	if len(a.Args) != 1 {
		return 0, ir.Errorf("select", "aggregate %s takes one argument, got %d", a.Name, len(a.Args))
	}
	switch a.Name {
	case "count":
		return ivm.AggCount, nil
	case "sum":
		return ivm.AggSum, nil
	case "avg":
		return ivm.AggAvg, nil
	case "min":
		return ivm.AggMin, nil
	case "max":
		return ivm.AggMax, nil
	}
	return 0, ir.Errorf("select", "unknown aggregate %q (want count, sum, avg, min or max)", a.Name)
}

// rewriter replaces, in the expressions of a grouped query, the subtrees
// equal to a groupBy expression and the aggregates by synthetic refs.
type rewriter struct {
	keys    []*ir.Expr
	aggs    *[]*ir.Expr
	selAggs []*ir.Expr // the select's top-level aggregate fields
}

// rewriteMode says which clause of a grouped query an expression is in;
// TanStack DB 0.15.2 reads each differently:
//   - select: group expressions read the group's key, aggregates are
//     computed, any other source ref is an error;
//   - having: the same, except that an aggregate must be one of the
//     select's top-level aggregate fields;
//   - orderBy: aggregates as in having; source refs, group expressions
//     included, read nothing (undefined): order by $selected.field
//     instead.
type rewriteMode uint8

const (
	rewriteSelect rewriteMode = iota
	rewriteHaving
	rewriteOrderBy
)

func (rw *rewriter) selectEntries(entries []ir.SelectEntry) ([]ir.SelectEntry, error) {
	if entries == nil {
		return nil, nil
	}
	out := make([]ir.SelectEntry, len(entries))
	for i, e := range entries {
		out[i] = e
		switch {
		case e.Spread != nil:
			return nil, ir.Errorf("select", "a spread (...%s) is not allowed in a grouped select", e.Spread[0])
		case e.Select != nil:
			s, err := rw.selectEntries(e.Select)
			if err != nil {
				return nil, err
			}
			out[i].Select = s
		default:
			x, err := rw.expr("select", e.Expr, rewriteSelect)
			if err != nil {
				return nil, err
			}
			if x.Kind == ir.Ref && x.Path[0] != groupRef && x.Path[0] != aggRef {
				return nil, ir.Errorf("select", "field %q: %s is neither an aggregate nor a groupBy expression", e.Field, exprString(e.Expr))
			}
			out[i].Expr = x
		}
	}
	return out, nil
}

func (rw *rewriter) expr(clause string, e *ir.Expr, mode rewriteMode) (*ir.Expr, error) {
	if mode != rewriteOrderBy {
		for i, k := range rw.keys {
			if equalExpr(e, k) {
				return &ir.Expr{Kind: ir.Ref, Path: []string{groupRef, strconv.Itoa(i)}}, nil
			}
		}
	}
	switch e.Kind {
	case ir.Agg:
		if mode != rewriteSelect && !slices.ContainsFunc(rw.selAggs, func(a *ir.Expr) bool { return equalExpr(a, e) }) {
			return nil, ir.Errorf(clause, "aggregate %s must also be a field of the select (and be used as is)", exprString(e))
		}
		for j, a := range *rw.aggs {
			if equalExpr(a, e) {
				return &ir.Expr{Kind: ir.Ref, Path: []string{aggRef, strconv.Itoa(j)}}, nil
			}
		}
		*rw.aggs = append(*rw.aggs, e)
		return &ir.Expr{Kind: ir.Ref, Path: []string{aggRef, strconv.Itoa(len(*rw.aggs) - 1)}}, nil
	case ir.Func:
		out := &ir.Expr{Kind: ir.Func, Name: e.Name, Args: make([]*ir.Expr, len(e.Args))}
		for i, a := range e.Args {
			x, err := rw.expr(clause, a, mode)
			if err != nil {
				return nil, err
			}
			out.Args[i] = x
		}
		return out, nil
	case ir.Ref:
		switch {
		case e.Path[0] == "$selected":
			return e, nil
		case mode == rewriteOrderBy:
			return &ir.Expr{Kind: ir.Val}, nil
		}
		return nil, ir.Errorf(clause, "%s is neither an aggregate nor a groupBy expression", exprString(e))
	}
	return e, nil
}

// equalExpr reports whether two expressions are the same tree.
func equalExpr(a, b *ir.Expr) bool {
	if a.Kind != b.Kind || a.Name != b.Name || len(a.Args) != len(b.Args) || !slices.Equal(a.Path, b.Path) {
		return false
	}
	if a.Kind == ir.Val && !value.Equal(a.Value, b.Value) {
		return false
	}
	for i := range a.Args {
		if !equalExpr(a.Args[i], b.Args[i]) {
			return false
		}
	}
	return true
}

// exprString shows an expression in error messages.
func exprString(e *ir.Expr) string {
	switch e.Kind {
	case ir.Ref:
		s := ""
		for i, p := range e.Path {
			if i > 0 {
				s += "."
			}
			s += p
		}
		return s
	case ir.Val:
		return e.Value.String()
	}
	s := e.Name + "("
	for i, a := range e.Args {
		if i > 0 {
			s += ", "
		}
		s += exprString(a)
	}
	return s + ")"
}

// orderBy compiles the orderBy columns: a stage appending each row's sort
// values to its Vals, and the comparator over them (ties broken by key).
func (c *compiler) orderBy(cols []ir.Order, r scoped) (func(a, b *ivm.Row) int, func(ivm.Batch) ivm.Batch, error) {
	evs := make([]expr.Eval, len(cols))
	colls := make([]value.Collation, len(cols))
	for i, o := range cols {
		if expr.HasAggregate(o.Expr) {
			return nil, nil, ir.Errorf("orderBy", "an aggregate in orderBy must be in the select (order by $selected.field)")
		}
		ev, err := compileExpr("orderBy", o.Expr, r.withClause("orderBy"))
		if err != nil {
			return nil, nil, err
		}
		evs[i] = ev
		if !o.Lexical && c.opts.Collator != nil {
			coll, err := c.opts.Collator(o.Locale, o.LocaleOptions)
			if err != nil {
				return nil, nil, ir.Errorf("orderBy", "locale %q: %v", o.Locale, err)
			}
			colls[i] = coll
		}
	}
	k := len(cols)
	m := ivm.NewMap(func(row *ivm.Row) *ivm.Row {
		n := len(row.Vals)
		out := ivm.NewRow(row.Key, n+k)
		copy(out.Vals, row.Vals)
		for i, ev := range evs {
			out.Vals[n+i] = ev(row.Vals)
		}
		out.Sel = row.Sel
		return out
	})
	cmp := func(a, b *ivm.Row) int {
		na, nb := len(a.Vals)-k, len(b.Vals)-k
		for i, o := range cols {
			x, y := a.Vals[na+i], b.Vals[nb+i]
			var d int
			if o.Desc && !x.IsNullish() && !y.IsNullish() {
				d = ascCompare(y, x, o.NullsLast, colls[i])
			} else {
				d = ascCompare(x, y, o.NullsLast, colls[i])
			}
			if d != 0 {
				return d
			}
		}
		return ivm.CompareKeys(a.Key, b.Key)
	}
	return cmp, m.Push, nil
}
