package query

import (
	"slices"
	"strconv"
	"strings"

	"github.com/streamdb/streamdb/core/expr"
	"github.com/streamdb/streamdb/core/ir"
	"github.com/streamdb/streamdb/core/ivm"
	"github.com/streamdb/streamdb/core/value"
)

// Includes (TanStack DB's nested results): a select field whose value is
// made of the rows of a child query correlated with the row by an
// eq(child.f, parent.g) in the child's where.
//
// A parent row's group is its correlation value and the values of the
// parent fields the child query reads elsewhere (its context). The graph:
//
//	parent rows ─┬─ groups: (g, context…), distinct ───────────┐
//	             │                                             ▼
//	             │      child sources ─ + child key ─ join on f = g (inner)
//	             │                                             │
//	             │        where, select (with the context's values), and
//	             │        orderBy, offset, limit per group (GroupedTopK)
//	             ▼                                             │
//	           Nest: each parent gets its group's rows, materialized ◀┘
//
// so the child query computes its rows once per group that a parent needs
// (null correlation values match nothing, as in TanStack), a child change
// updates the parents of its group only, and a parent sees its group's
// rows in the child's order (orderBy, else the child key).

// includeScalarField is the field TanStack DB wraps a child's scalar
// select in.
const includeScalarField = "__includes_scalar__"

// Pseudo aliases of a child query's rows: the child key, the correlation
// value and the context values, after the child's own aliases.
const (
	childKeyAlias = "\x00key"
	corrAlias     = "\x00corr"
	ctxAlias      = "\x00ctx"
)

// includeAt is an include entry of a select and where its value goes.
type includeAt struct {
	path []string
	inc  *ir.Include
}

// selectIncludes returns the include entries of a select, nested objects
// included, with their paths.
func selectIncludes(entries []ir.SelectEntry, prefix []string) []includeAt {
	var out []includeAt
	for _, e := range entries {
		path := append(slices.Clip(prefix), e.Field)
		switch {
		case e.Include != nil:
			out = append(out, includeAt{path: path, inc: e.Include})
		case e.Select != nil:
			out = append(out, selectIncludes(e.Select, path)...)
		}
	}
	return out
}

// withoutIncludes returns entries with each include replaced by a null
// field, which keeps its place in the object until the Nest sets it.
func withoutIncludes(entries []ir.SelectEntry) []ir.SelectEntry {
	out := slices.Clone(entries)
	for i, e := range out {
		switch {
		case e.Include != nil:
			out[i] = ir.SelectEntry{Field: e.Field, Expr: &ir.Expr{Kind: ir.Val, Value: value.Null()}}
		case e.Select != nil:
			out[i].Select = withoutIncludes(e.Select)
		}
	}
	return out
}

// selectWithIncludes compiles the select of an ungrouped query whose
// select has includes: the select without them, then one Nest per
// include.
func (c *compiler) selectWithIncludes(p *pipeline, q *ir.Query, aliases []string, incs []includeAt) (scoped, []ir.Order, error) {
	plain := *q
	plain.Select = withoutIncludes(q.Select)
	sc, orderBy, err := selectStage(p, &plain, aliases, nil, false)
	if err != nil {
		return nil, nil, err
	}
	for _, at := range incs {
		if err := c.include(p, at, aliases); err != nil {
			return nil, nil, err
		}
	}
	// The rows after the Nests share their Vals with the select's images:
	// orderBy must not change them in place.
	if a, ok := sc.(*aliasScope); ok {
		sc = &aliasScope{scope: a.scope}
	}
	return sc, orderBy, nil
}

// correlation finds the child's correlation, eq(child ref, parent ref) as
// a where condition or an argument of a top-level and, as TanStack DB's
// builder does (the first one), and returns the child and parent refs and
// the where without it.
func correlation(where []*ir.Expr, parent, child []string) (childRef, parentRef *ir.Expr, rest []*ir.Expr, ok bool) {
	match := func(e *ir.Expr) (*ir.Expr, *ir.Expr, bool) {
		if e.Kind != ir.Func || e.Name != "eq" || len(e.Args) != 2 {
			return nil, nil, false
		}
		a, b := e.Args[0], e.Args[1]
		if a.Kind != ir.Ref || b.Kind != ir.Ref {
			return nil, nil, false
		}
		switch {
		case slices.Contains(parent, a.Path[0]) && slices.Contains(child, b.Path[0]):
			return b, a, true
		case slices.Contains(parent, b.Path[0]) && slices.Contains(child, a.Path[0]):
			return a, b, true
		}
		return nil, nil, false
	}
	for i, w := range where {
		if cr, pr, ok := match(w); ok {
			return cr, pr, slices.Delete(slices.Clone(where), i, i+1), true
		}
		if w.Kind == ir.Func && w.Name == "and" && len(w.Args) >= 2 {
			for j, a := range w.Args {
				cr, pr, ok := match(a)
				if !ok {
					continue
				}
				left := slices.Delete(slices.Clone(w.Args), j, j+1)
				rest = slices.Clone(where)
				if len(left) == 1 {
					rest[i] = left[0]
				} else {
					rest[i] = &ir.Expr{Kind: ir.Func, Name: "and", Args: left}
				}
				return cr, pr, rest, true
			}
		}
	}
	return nil, nil, nil, false
}

// contextRefs rewrites the refs to parent aliases in a child query's
// clauses to pseudo aliases (ctxAlias + i), one per distinct ref path, and
// returns those paths in order. The child query is changed in place (it is
// a copy).
type contextRefs struct {
	parent []string
	paths  [][]string
}

func (cr *contextRefs) expr(e *ir.Expr) *ir.Expr {
	if e == nil {
		return nil
	}
	switch e.Kind {
	case ir.Ref:
		if !slices.Contains(cr.parent, e.Path[0]) {
			return e
		}
		i := slices.IndexFunc(cr.paths, func(p []string) bool { return slices.Equal(p, e.Path) })
		if i < 0 {
			cr.paths = append(cr.paths, e.Path)
			i = len(cr.paths) - 1
		}
		return &ir.Expr{Kind: ir.Ref, Path: []string{ctxAlias + strconv.Itoa(i)}}
	case ir.Func, ir.Agg:
		out := *e
		out.Args = make([]*ir.Expr, len(e.Args))
		for i, a := range e.Args {
			out.Args[i] = cr.expr(a)
		}
		return &out
	}
	return e
}

func (cr *contextRefs) exprs(es []*ir.Expr) []*ir.Expr {
	out := make([]*ir.Expr, len(es))
	for i, e := range es {
		out[i] = cr.expr(e)
	}
	return out
}

func (cr *contextRefs) selectEntries(entries []ir.SelectEntry) []ir.SelectEntry {
	if entries == nil {
		return nil
	}
	out := slices.Clone(entries)
	for i := range out {
		out[i].Expr = cr.expr(out[i].Expr)
		out[i].Select = cr.selectEntries(out[i].Select)
	}
	return out
}

// include compiles one include of a select whose rows (over aliases) come
// out of p: the child query, and the Nest that attaches its rows to the
// parent rows, which becomes p's tail.
func (c *compiler) include(p *pipeline, at includeAt, aliases []string) error {
	field := strings.Join(at.path, ".")
	inc := at.inc
	child := *inc.Query
	if inc.Scalar != nil {
		child.Select = []ir.SelectEntry{{Field: includeScalarField, Expr: inc.Scalar}}
	}
	childAliases := []string{child.From.Alias}
	for _, j := range child.Joins {
		childAliases = append(childAliases, j.Source.Alias)
	}
	childRef, parentRef, rest, ok := correlation(child.Where, aliases, childAliases)
	if !ok {
		return ir.Errorf("select", "includes subquery for %q must have a where clause with an eq() condition that correlates a parent field with a child field, such as .where(({child}) => eq(child.parentId, parent.id))", field)
	}
	switch {
	case len(child.GroupBy) > 0 || selectHasAggregate(child.Select) || len(child.Having) > 0:
		return ir.Errorf("select", "includes subquery for %q: groupBy, aggregates and having in an includes subquery are not supported by StreamDB", field)
	case child.Distinct:
		return ir.Errorf("select", "includes subquery for %q: distinct in an includes subquery is not supported by StreamDB", field)
	case inc.Materialize == ir.MaterializeCollection && inc.Scalar != nil:
		return ir.Errorf("select", "includes subquery for %q must select an object when materializing as a Collection", field)
	case inc.Materialize == ir.MaterializeConcat && inc.Scalar == nil:
		return ir.Errorf("select", "concat(toArray(...)) for %q requires the subquery to select a scalar value", field)
	}
	if err := checkWindow(&child); err != nil {
		return err
	}

	// The parent side: each parent row's group.
	parentScope := &scope{clause: "select", aliases: aliases, sel: -1}
	ctx := &contextRefs{parent: aliases}
	child.Where = ctx.exprs(rest)
	child.Select = ctx.selectEntries(child.Select)
	child.OrderBy = slices.Clone(child.OrderBy)
	for i := range child.OrderBy {
		child.OrderBy[i].Expr = ctx.expr(child.OrderBy[i].Expr)
	}
	groupEvs := make([]expr.Eval, 1+len(ctx.paths))
	var err error
	if groupEvs[0], err = compileExpr("select", parentRef, parentScope); err != nil {
		return err
	}
	for i, path := range ctx.paths {
		if groupEvs[i+1], err = compileExpr("select", &ir.Expr{Kind: ir.Ref, Path: path}, parentScope); err != nil {
			return err
		}
	}
	groupVals := func(r *ivm.Row) []value.Value {
		vals := make([]value.Value, len(groupEvs))
		for i, ev := range groupEvs {
			vals[i] = ev(r.Vals)
		}
		return vals
	}
	groups := &stage{fn: ivm.NewMap(func(r *ivm.Row, rows *ivm.Rows) *ivm.Row {
		vals := groupVals(r)
		if vals[0].IsNullish() {
			return nil // matches no child row
		}
		return &ivm.Row{Key: r.Key, Vals: vals, Sel: value.String(ivm.GroupID(vals))}
	}).Push}
	distinct := ivm.NewDistinct()
	groupsOut := &stage{fn: distinct.Push}
	groups.setNext(groupsOut)

	// The child side: its sources (read as the query names them: the
	// original where still holds the correlation), then the groups. The
	// child's where is applied whole after the correlation (its clauses
	// that pushdown moves before the child's joins are checked again
	// there, which changes nothing).
	src, childAliases, _, err := c.sources(inc.Query)
	if err != nil {
		return err
	}
	n := len(childAliases)
	withKey := &stage{fn: ivm.NewMap(func(r *ivm.Row, rows *ivm.Rows) *ivm.Row {
		out := rows.New(r.Key, n+1)
		copy(out.Vals, r.Vals)
		out.Vals[n] = r.Key
		return out
	}).Push}
	src.setNext(withKey)
	corrEv, err := compileExpr("where", childRef, &scope{clause: "where", aliases: childAliases, sel: -1})
	if err != nil {
		return err
	}
	k := len(ctx.paths)
	jn := joinNode(ivm.NewJoin(ivm.JoinInner,
		func(r *ivm.Row) value.Value { return corrEv(r.Vals) },
		func(r *ivm.Row) value.Value { return r.Vals[0] },
		n+1, 1+k))
	withKey.setNext(pairSide{n: jn})
	groupsOut.setNext(pairSide{n: jn, second: true})
	all := append(slices.Clip(childAliases), childKeyAlias, corrAlias)
	for i := range k {
		all = append(all, ctxAlias+strconv.Itoa(i))
	}
	cp := &pipeline{tail: jn}
	if err := where(cp, condsOf(child.Where, false), all); err != nil {
		return err
	}
	if child.Select == nil {
		// The child's value: its row (one source) or {alias: row} (joins).
		if len(childAliases) == 1 {
			child.Select = []ir.SelectEntry{{Spread: []string{childAliases[0]}}}
		} else {
			for _, a := range childAliases {
				child.Select = append(child.Select, ir.SelectEntry{Field: a, Expr: &ir.Expr{Kind: ir.Ref, Path: []string{a}}})
			}
		}
	}
	sc, orderBy, err := c.ungroupedSelect(cp, &child, all, joinRows, false)
	if err != nil {
		return err
	}
	groupOf := func(r *ivm.Row) value.Value { return value.String(ivm.GroupID(r.Vals[n+1 : n+2+k])) }
	cmp, err := c.childWindow(cp, &child, orderBy, sc, groupOf, n)
	if err != nil {
		return err
	}

	// The Nest.
	build := materializer(inc)
	nest := ivm.NewNest(
		func(r *ivm.Row) string { return ivm.GroupID(groupVals(r)) },
		func(r *ivm.Row) string { s, _ := r.Vals[0].Str(); return s },
		cmp, build,
		func(parent *ivm.Row, v value.Value) *ivm.Row {
			return &ivm.Row{Key: parent.Key, Vals: parent.Vals, Sel: withPath(parent.Sel, at.path, v)}
		})
	nn := &pairNode{first: nest.PushParent, second: nest.PushChild}
	cp.tail.setNext(pairSide{n: nn, second: true})
	p.tail.setNext(&tee{to: []sink{groups, pairSide{n: nn}}})
	p.tail = nn
	return nil
}

// childWindow adds what orders a child query's rows per group: rows
// become [group, child key, sort values...] (Vals), and with an offset, a
// limit or findOne a GroupedTopK cuts each group's window. It returns the
// order of a group's rows: orderBy's, else the child key's.
func (c *compiler) childWindow(p *pipeline, q *ir.Query, orderBy []ir.Order, r scoped, groupOf func(*ivm.Row) value.Value, n int) (func(a, b *ivm.Row) int, error) {
	limit, offset := q.Limit, max(q.Offset, 0)
	if q.FindOne && (limit < 0 || limit > 1) {
		limit = 1
	}
	var cmp func(a, b *ivm.Row) int
	if len(orderBy) == 0 {
		p.add(ivm.NewMap(func(r *ivm.Row, rows *ivm.Rows) *ivm.Row {
			out := rows.New(r.Key, 2)
			out.Vals[0], out.Vals[1], out.Sel = groupOf(r), r.Vals[n], r.Sel
			return out
		}).Push)
		cmp = func(a, b *ivm.Row) int { return ivm.CompareKeys(a.Vals[1], b.Vals[1]) }
	} else {
		s, err := c.orderBy(orderBy, r, nil)
		if err != nil {
			return nil, err
		}
		nk := len(orderBy)
		p.add(func(in ivm.Batch) ivm.Batch {
			out := ivm.NewMap(func(r *ivm.Row, rows *ivm.Rows) *ivm.Row {
				o := rows.New(r.Key, 2+nk)
				o.Vals[0], o.Vals[1], o.Sel = groupOf(r), r.Vals[n], r.Sel
				s.sortValues(r, o.Vals[2:])
				return o
			}).Push(in)
			if s.prepare != nil {
				vals := make([]value.Value, 0, nk*len(out))
				for _, d := range out {
					vals = append(vals, d.Row.Vals[2:]...)
				}
				s.prepare(vals)
			}
			return out
		})
		// Ties are broken by the child key (the rows' keys also name the
		// group).
		cmp = func(a, b *ivm.Row) int {
			x, y := *a, *b
			x.Key, y.Key = a.Vals[1], b.Vals[1]
			return s.cmp(&x, &y)
		}
	}
	if limit >= 0 || offset > 0 {
		p.add(ivm.NewGroupedTopK(func(r *ivm.Row) string { s, _ := r.Vals[0].Str(); return s }, cmp, offset, limit).Push)
	}
	return cmp, nil
}

// materializer returns how an include makes its field's value from a
// group's child rows in order.
func materializer(inc *ir.Include) func(rows []*ivm.Row) value.Value {
	sel := func(r *ivm.Row) value.Value {
		if inc.Scalar != nil {
			return r.Sel.Get(includeScalarField)
		}
		return r.Sel
	}
	switch inc.Materialize {
	case ir.MaterializeConcat:
		return func(rows []*ivm.Row) value.Value {
			var sb strings.Builder
			for _, r := range rows {
				if v := sel(r); !v.IsNullish() {
					sb.WriteString(value.ToString(v))
				}
			}
			return value.String(sb.String())
		}
	case ir.MaterializeSingleton:
		return func(rows []*ivm.Row) value.Value {
			if len(rows) == 0 {
				return value.Undefined()
			}
			return sel(rows[0])
		}
	case ir.MaterializeCollection:
		// [key, row] pairs: the package makes a collection of them.
		return func(rows []*ivm.Row) value.Value {
			vals := make([]value.Value, len(rows))
			for i, r := range rows {
				vals[i] = value.ArrayOf([]value.Value{r.Vals[1], sel(r)})
			}
			return value.ArrayOf(vals)
		}
	}
	return func(rows []*ivm.Row) value.Value {
		vals := make([]value.Value, len(rows))
		for i, r := range rows {
			vals[i] = sel(r)
		}
		return value.ArrayOf(vals)
	}
}

// withPath returns obj with the field at path set to v (the objects on
// the way copied, each field keeping its place).
func withPath(obj value.Value, path []string, v value.Value) value.Value {
	if len(path) == 1 {
		return value.With(obj, path[0], v)
	}
	return value.With(obj, path[0], withPath(obj.Get(path[0]), path[1:], v))
}

// tee gives every batch to several sinks, in order.
type tee struct{ to []sink }

func (t *tee) push(b ivm.Batch) {
	for _, s := range t.to {
		s.push(b)
	}
}
