package query

import (
	"sort"
	"strings"

	"github.com/streamdb/streamdb/core/ir"
	"github.com/streamdb/streamdb/core/ivm"
	"github.com/streamdb/streamdb/core/value"
)

// The compiler builds a query's operator graph clause by clause, in the
// order TanStack DB evaluates them, one file a clause:
//
//	from.go     from and join: collection leaves, subqueries, join keys
//	where.go    where filters
//	select.go   the select of an ungrouped query
//	groupby.go  groupBy with its aggregates, and having
//	rewrite.go  how a grouped query's select, having and orderBy read a group
//	orderby.go  orderBy with offset and limit (and findOne)
//	scope.go    how an expression's refs resolve in each clause

// Collator returns the collation of stringSort 'locale' for a locale ("" is
// the default locale) and Intl.Collator options (an Object, or Undefined).
type Collator func(locale string, options value.Value) (Collation, error)

// Collation is a locale order of strings.
type Collation struct {
	// Compare orders two strings.
	Compare value.Collation
	// Prepare, when set, is given the strings of a batch's sort values
	// before they are compared, all at once: a collation that asks the
	// page's Intl.Collator ranks them in one call, instead of one call per
	// comparison.
	Prepare func(strs []string)
	// Rank, when set, returns a number that orders the prepared strings as
	// Compare does (strings Compare finds equal have equal ranks), or false
	// for a string that was not prepared.
	Rank func(s string) (float64, bool)
}

// Options configure Compile.
type Options struct {
	// HasCollection reports whether a collection exists; nil accepts every
	// name.
	HasCollection func(name string) bool
	// Collator makes locale collations. Nil orders strings by UTF-16 code
	// units for every stringSort (the browser passes Intl.Collator, native
	// programs core/collate).
	Collator Collator
	// Virtual gives what the virtual fields ($synced, $key, …) of a
	// collection's rows report; nil: the collection's name is its id and
	// every row is synced, of remote origin.
	Virtual func(collection string) Virtual
	// Funcs runs the query's callbacks (fn.where, fn.select, fn.having);
	// nil rejects a query that has one.
	Funcs Funcs
	// AllVirtual gives every collection source's rows the virtual fields
	// and every group row TanStack DB's group fields (see groupVirtual), as
	// the rows a user reads carry them with the virtualProps option.
	AllVirtual bool
}

// compiler holds the state of one Compile call.
type compiler struct {
	opts    Options
	lq      *LiveQuery
	aliases map[string]bool // every alias of the query tree: TanStack rejects shadowing
	// readsOnce: the query tree reads each collection through one source,
	// so a source row reaches one stage of this query only (see
	// selectStage).
	readsOnce bool
	depth     int             // subqueries entered
	virtual   map[string]bool // the aliases whose virtual fields the query reads
}

// ownedRows says when the rows reaching a stage belong to it, so that it
// may change them in place: always for rows a join made; for source rows,
// only while the query loads its first result (LiveQuery.shared: the rows
// of a later Step are shared by every live query of the database); never
// (nil) otherwise.
type ownedRows func() bool

// sourceRows returns when the query's source rows reach a stage as its own.
func (c *compiler) sourceRows() ownedRows {
	if !c.readsOnce {
		return nil
	}
	lq := c.lq
	return func() bool { return !lq.shared }
}

// joinRows is ownedRows for rows a join made.
func joinRows() bool { return true }

// Compile turns a query into a live query, empty until Load. Errors are
// *ir.Error values naming the clause at fault.
func Compile(q *ir.Query, opts Options) (*LiveQuery, error) {
	lq := &LiveQuery{leaves: map[string][]*leaf{}, col: &collector{}}
	c := &compiler{opts: opts, lq: lq, aliases: map[string]bool{}, readsOnce: readsEachOnce(q), virtual: virtualAliases(q)}
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
	sort.Slice(lq.collections, func(i, j int) bool { return lq.collections[i] < lq.collections[j] })
	return lq, nil
}

// plan is a compiled (sub)query: where its result rows come out, and the
// order they are kept in (nil: key order).
type plan struct {
	out   outlet
	order func(a, b *ivm.Row) int
}

// pipeline is the chain of unary stages that follows a query's sources and
// joins; tail is where its rows come out so far.
type pipeline struct {
	tail outlet
	// keeps: a stage of the pipeline may keep rows it was given (see pass).
	keeps bool
}

// add appends a stage running fn.
func (p *pipeline) add(fn func(ivm.Batch) ivm.Batch) {
	p.pass(fn)
	p.keeps = true
}

// pass appends a stage running fn, which keeps neither the rows nor the
// batch it is given once it returns (it may change the rows in place and
// pass them on): a filter, a select. A join's first load may then make its
// pairs from the same memory chunk after chunk (LiveQuery.load).
func (p *pipeline) pass(fn func(ivm.Batch) ivm.Batch) {
	st := &stage{fn: fn}
	p.tail.setNext(st)
	p.tail = st
}

// query compiles one (sub)query: sources and joins, where, then either
// groupBy with having or select, distinct, and orderBy with its window.
func (c *compiler) query(q *ir.Query) (*plan, error) {
	if err := checkWindow(q); err != nil {
		return nil, err
	}
	src, aliases, conds, err := c.sources(q)
	if err != nil {
		return nil, err
	}
	p := &pipeline{tail: src}
	if err := where(p, conds, aliases); err != nil {
		return nil, err
	}
	if err := c.checkFns(q); err != nil {
		return nil, err
	}
	c.fnWhere(p, q, aliases)
	post, orderBy, err := c.project(p, q, aliases)
	if err != nil {
		return nil, err
	}
	if q.Distinct {
		p.add(ivm.NewDistinct().Push)
	}
	order, err := c.window(p, q, orderBy, post)
	if err != nil {
		return nil, err
	}
	if jn, ok := src.(*pairNode); ok && jn.join != nil && c.depth == 0 && !p.keeps && order == nil {
		// The result is all that follows the last join, and it keeps
		// only each row's key and value.
		c.lq.stream = jn
	}
	return &plan{out: p.tail, order: order}, nil
}

// project compiles what each row becomes: a group of a grouped query (one
// with a groupBy or an aggregate in its select), or the row's selected
// value. It returns the scope that resolves orderBy over the projected rows
// and the orderBy to compile there.
func (c *compiler) project(p *pipeline, q *ir.Query, aliases []string) (scoped, []ir.Order, error) {
	if len(q.GroupBy) > 0 || selectHasAggregate(q.Select) {
		if incs := selectIncludes(q.Select, nil); len(incs) > 0 {
			return nil, nil, ir.Kindf("NonAggregateExpressionNotInGroupByError", "select", "non-aggregate expression '%s' must also appear in GROUP BY clause (includes cannot be grouped)", strings.Join(incs[0].path, "."))
		}
		return c.grouped(p, q, aliases)
	}
	if len(q.Having) > 0 {
		return nil, nil, ir.Kindf("HavingRequiresGroupByError", "having", "having needs a groupBy or aggregates in the select")
	}
	// Rows that come out of a join are made by it for this path; source
	// rows are shared by the leaves of their collection, and by every live
	// query after the first result, so only a query that reads each
	// collection once owns them, and only while it loads.
	owned := c.sourceRows()
	if len(q.Joins) > 0 || q.From.IsUnion() {
		owned = joinRows // rows a join or a union made
	}
	if q.FnSelect != nil || len(q.FnHaving) > 0 {
		return c.fnProject(p, q, aliases, owned)
	}
	return c.ungroupedSelect(p, q, aliases, owned, c.depth == 0)
}

// ungroupedSelect compiles the select of an ungrouped query: with its
// includes when it has some (include.go).
func (c *compiler) ungroupedSelect(p *pipeline, q *ir.Query, aliases []string, owned ownedRows, top bool) (scoped, []ir.Order, error) {
	if incs := selectIncludes(q.Select, nil); len(incs) > 0 {
		return c.selectWithIncludes(p, q, aliases, incs)
	}
	return selectStage(p, q, aliases, owned, top)
}

// readsEachOnce reports whether the query tree reads each collection
// through one source only (from and joins, subqueries included).
func readsEachOnce(q *ir.Query) bool {
	seen := map[string]bool{}
	var walk func(q *ir.Query) bool
	walk = func(q *ir.Query) bool {
		for _, b := range q.From.Branches {
			if !walk(b) {
				return false
			}
		}
		for _, s := range querySources(q) {
			if s.Query != nil {
				if !walk(s.Query) {
					return false
				}
				continue
			}
			if seen[s.Collection] {
				return false
			}
			seen[s.Collection] = true
		}
		return true
	}
	return walk(q)
}
