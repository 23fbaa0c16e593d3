// Package ir holds the query IR: a live query as plain data, decoded from
// JSON. The JS query builder (TanStack DB's builder API) produces it; the
// query compiler (core/query) turns it into an incremental operator graph.
//
// The JSON form of a query:
//
//	{
//	  "from":    Source,
//	  "join":    [{"type": "inner"|"left"|"right"|"full", "source": Source, "on": Expr}],
//	  "where":   [Expr, ...],
//	  "select":  Select,
//	  "groupBy": [Expr, ...],
//	  "having":  [Expr, ...],
//	  "orderBy": [{"expr": Expr, "direction": "asc"|"desc", "nulls": "first"|"last",
//	               "stringSort": "locale"|"lexical", "locale": "en", "localeOptions": {...}}],
//	  "limit": 10, "offset": 0, "distinct": true, "findOne": true,
//	  "fnWhere": [0], "fnSelect": 1, "fnHaving": [2]
//	}
//
// fnWhere, fnSelect and fnHaving are TanStack DB's fn.where, fn.select and
// fn.having: JS callbacks, which JSON cannot carry, so each is the index of
// a callback the caller hands the compiler beside the query (see
// core/query's Funcs); the indexes of a query tree share one numbering.
//
// Source is {"alias": "u", "collection": "users"} or {"alias": "x", "query": Query}.
// A from may also be a union (TanStack DB's unionAll), with no alias of its
// own: {"union": [Source, ...]} for unionAll({a: c1, b: c2}), or
// {"unionAll": [Query, ...]} for unionAll(query1, query2, ...).
//
// Select is an ordered list of entries, each one of
//
//	{"field": "name", "expr": Expr}       a field computed by an expression
//	{"field": "author", "select": Select} a nested object
//	{"spread": ["u"]}                     every field of the object a ref path points at (...u)
//	{"field": "posts", "include": Include} a subquery's rows for this row (includes)
//
// Include is {"query": Query, "materialize": "array"|"concat"|"singleton"|"collection",
// "scalar": Expr}: the subquery's where correlates it with the row (see
// Include); scalar, when present, is the subquery's select of one value
// (the subquery then has no select).
//
// Expr is one of
//
//	{"type": "ref", "path": ["u", "name"]}             a property path: alias first
//	{"type": "val", "value": 1}                        a constant; no "value" member means undefined
//	{"type": "val", "number": "NaN"}                   NaN, "Infinity" or "-Infinity" (JSON has no literal for them)
//	{"type": "func", "name": "eq", "args": [Expr, ...]} a function (core/expr's funcs table)
//	{"type": "agg", "name": "count", "args": [Expr]}    an aggregate: count, sum, avg, min, max
package ir

import "github.com/streamdb/streamdb/core/value"

// ExprKind says what an Expr node is.
type ExprKind uint8

// The kinds of expression node.
const (
	// Ref reads a property path; Path[0] is the alias (or "$selected").
	Ref ExprKind = iota + 1
	// Val is a constant.
	Val
	// Func calls the function Name with Args.
	Func
	// Agg is the aggregate Name over Args[0].
	Agg
)

// Expr is one node of an expression tree.
type Expr struct {
	Kind  ExprKind
	Path  []string    // Ref: alias, then field names
	Value value.Value // Val: the constant (Undefined allowed)
	Name  string      // Func, Agg: the function name as the IR spells it ("in" for inArray)
	Args  []*Expr     // Func, Agg: the arguments
}

// Query is one query (or subquery) of the IR.
type Query struct {
	From    Source
	Joins   []Join
	Where   []*Expr
	Select  []SelectEntry // nil when the query has no select
	GroupBy []*Expr
	Having  []*Expr
	OrderBy []Order
	Limit   int // -1 when absent
	Offset  int // -1 when absent
	// Distinct keeps one row per distinct selected value.
	Distinct bool
	// FindOne asks for one row: the first in orderBy order, or the
	// smallest key.
	FindOne bool
	// FnWhere, FnSelect (nil when absent) and FnHaving are the query's
	// callbacks (fn.where, fn.select, fn.having), by index.
	FnWhere  []int
	FnSelect *int
	FnHaving []int
}

// Source is what a from or join reads: a collection or a subquery; a from
// may also be a union of sources or of queries (then Alias is empty).
type Source struct {
	Alias      string
	Collection string // set for a collection source
	Query      *Query // set for a subquery source
	// Union, set for unionAll({a: c1, b: c2}), holds the sources (two or
	// more) whose rows the from gives: each row has one of their aliases.
	Union []Source
	// Branches, set for unionAll(query1, query2, ...), holds the queries
	// whose result rows the from gives; clauses after it read the fields
	// of those rows.
	Branches []*Query
}

// IsUnion reports whether s is a union (Union or Branches).
func (s Source) IsUnion() bool { return s.Union != nil || s.Branches != nil }

// JoinType is inner, left, right or full.
type JoinType string

// The join types.
const (
	Inner JoinType = "inner"
	Left  JoinType = "left"
	Right JoinType = "right"
	Full  JoinType = "full"
)

// Join is one join clause: the rows of Source matched to the rows so far
// by On, an equality or an and of equalities.
type Join struct {
	Type   JoinType
	Source Source
	On     *Expr
}

// SelectEntry is one entry of a select: exactly one of Expr (a computed
// field), Select (a nested object), Spread (every field of the object the
// ref path points at) or Include (a subquery's rows) is set.
type SelectEntry struct {
	Field   string
	Expr    *Expr
	Select  []SelectEntry
	Spread  []string
	Include *Include
}

// Order is one orderBy column.
type Order struct {
	Expr *Expr
	// Desc orders descending.
	Desc bool
	// NullsLast puts null and undefined after the other values (the
	// default, false, puts them first, in both directions).
	NullsLast bool
	// Lexical orders strings by UTF-16 code units instead of the locale.
	Lexical bool
	// Locale and LocaleOptions choose the locale collation (Intl.Collator's
	// arguments); empty for the default locale.
	Locale        string
	LocaleOptions value.Value
}
