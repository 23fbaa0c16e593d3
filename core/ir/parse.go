package ir

import (
	"errors"
	"math"
	"strings"

	"github.com/streamdb/streamdb/core/value"
	"github.com/streamdb/streamdb/internal/strfmt"
)

// Error is an invalid query: its JSON does not have the IR's shape, or the
// compiler rejects what it says. Clause names the part of the query at
// fault ("from", "join", "where", "select", "groupBy", "having", "orderBy",
// "limit", "offset", or "query" for the whole).
type Error struct {
	Clause string
	Reason string
	// Kind, when set, is the name of the error class TanStack DB throws
	// for the same query (LimitOffsetRequireOrderByError, ...), so that
	// the package can throw one of that name.
	Kind string
}

// Error returns "invalid query: <clause>: <reason>".
func (e *Error) Error() string {
	return "invalid query: " + e.Clause + ": " + e.Reason
}

// Is makes errors.Is(err, ErrInvalidQuery) true for every *Error.
func (e *Error) Is(target error) bool { return target == ErrInvalidQuery }

// ErrInvalidQuery matches every *Error with errors.Is.
var ErrInvalidQuery = errors.New("invalid query")

// Errorf returns an *Error for clause with a formatted reason.
func Errorf(clause, format string, args ...any) *Error {
	return &Error{Clause: clause, Reason: strfmt.Sprintf(format, args...)}
}

// nonFinite are the numbers a val names, JSON having no literal for them.
var nonFinite = map[string]float64{"NaN": math.NaN(), "Infinity": math.Inf(1), "-Infinity": math.Inf(-1)}

// Kindf is Errorf for an error TanStack DB names: kind is its class name.
func Kindf(kind, clause, format string, args ...any) *Error {
	e := Errorf(clause, format, args...)
	e.Kind = kind
	return e
}

// maxDepth bounds the nesting of expressions, selects and subqueries, so
// that hostile input cannot exhaust the stack.
const maxDepth = 200

// Parse decodes the JSON form of a query (see the package comment). It
// checks shapes only; what the query means is checked by the compiler.
func Parse(data []byte) (*Query, error) {
	v, err := value.Parse(data)
	if err != nil {
		return nil, &Error{Clause: "query", Reason: "malformed JSON: " + err.Error()}
	}
	return fromValue(v)
}

// fromValue decodes a query already parsed into a value.
func fromValue(v value.Value) (*Query, error) {
	p := parser{}
	return p.query(v, 0)
}

type parser struct{}

var queryMembers = map[string]bool{
	"from": true, "join": true, "where": true, "select": true, "groupBy": true, "having": true,
	"orderBy": true, "limit": true, "offset": true, "distinct": true, "findOne": true,
	"fnWhere": true, "fnSelect": true, "fnHaving": true,
}

func (p parser) query(v value.Value, depth int) (*Query, error) {
	if depth > maxDepth {
		return nil, Errorf("query", "subqueries nested too deeply (more than %d levels)", maxDepth)
	}
	if v.Kind() != value.KindObject {
		return nil, Errorf("query", "want an object, got %s", v.Kind())
	}
	var unknown []string
	v.Fields(func(k string, _ value.Value) bool {
		if !queryMembers[k] {
			unknown = append(unknown, k)
		}
		return true
	})
	if len(unknown) > 0 {
		return nil, Errorf("query", "unknown member %q", unknown[0])
	}
	q := &Query{Limit: -1, Offset: -1}
	from := v.Get("from")
	if from.IsUndefined() {
		return nil, Errorf("from", "a query needs a from")
	}
	var err error
	if q.From, err = p.from(from, depth); err != nil {
		return nil, err
	}
	if j := v.Get("join"); !j.IsUndefined() {
		if j.Kind() != value.KindArray {
			return nil, Errorf("join", "want an array, got %s", j.Kind())
		}
		for i := range j.Len() {
			jc, err := p.join(j.Index(i), depth)
			if err != nil {
				return nil, err
			}
			q.Joins = append(q.Joins, jc)
		}
	}
	if q.Where, err = p.exprList("where", v.Get("where"), depth); err != nil {
		return nil, err
	}
	if s := v.Get("select"); !s.IsUndefined() {
		if q.Select, err = p.selectList(s, depth); err != nil {
			return nil, err
		}
		if q.Select == nil {
			q.Select = []SelectEntry{}
		}
	}
	if q.GroupBy, err = p.exprList("groupBy", v.Get("groupBy"), depth); err != nil {
		return nil, err
	}
	if q.Having, err = p.exprList("having", v.Get("having"), depth); err != nil {
		return nil, err
	}
	if o := v.Get("orderBy"); !o.IsUndefined() {
		if o.Kind() != value.KindArray {
			return nil, Errorf("orderBy", "want an array, got %s", o.Kind())
		}
		for i := range o.Len() {
			ord, err := p.order(o.Index(i), depth)
			if err != nil {
				return nil, err
			}
			q.OrderBy = append(q.OrderBy, ord)
		}
	}
	if q.Limit, err = count("limit", v.Get("limit")); err != nil {
		return nil, err
	}
	if q.Offset, err = count("offset", v.Get("offset")); err != nil {
		return nil, err
	}
	if q.Distinct, err = flag("distinct", v.Get("distinct")); err != nil {
		return nil, err
	}
	if q.FindOne, err = flag("query", v.Get("findOne")); err != nil {
		return nil, err
	}
	if err := fns(q, v); err != nil {
		return nil, err
	}
	return q, nil
}

// count decodes limit or offset: absent (-1) or a non-negative integer.
func count(clause string, v value.Value) (int, error) {
	if v.IsUndefined() {
		return -1, nil
	}
	f, ok := v.Num()
	if !ok || f < 0 || f != math.Trunc(f) || f > math.MaxInt32 {
		return 0, Errorf(clause, "want a non-negative integer, got %s", v)
	}
	return int(f), nil
}

func flag(clause string, v value.Value) (bool, error) {
	if v.IsUndefined() {
		return false, nil
	}
	b, ok := v.BoolVal()
	if !ok {
		return false, Errorf(clause, "want true or false, got %s", v)
	}
	return b, nil
}

func (p parser) source(clause string, v value.Value, depth int) (Source, error) {
	if v.Kind() != value.KindObject {
		return Source{}, Errorf(clause, "a source must be an object, got %s", v.Kind())
	}
	alias, ok := v.Get("alias").Str()
	if !ok || alias == "" {
		return Source{}, Errorf(clause, "a source needs a non-empty string alias")
	}
	if strings.HasPrefix(alias, "$") {
		return Source{}, Errorf(clause, "alias %q: names starting with $ are reserved", alias)
	}
	s := Source{Alias: alias}
	c, q := v.Get("collection"), v.Get("query")
	switch {
	case !c.IsUndefined() && !q.IsUndefined():
		return Source{}, Errorf(clause, "source %q has both a collection and a query", alias)
	case !c.IsUndefined():
		if s.Collection, ok = c.Str(); !ok || s.Collection == "" {
			return Source{}, Errorf(clause, "source %q: collection must be a non-empty string", alias)
		}
	case !q.IsUndefined():
		sub, err := p.query(q, depth+1)
		if err != nil {
			var e *Error
			if errors.As(err, &e) {
				return Source{}, Errorf(clause, "subquery %q: %s: %s", alias, e.Clause, e.Reason)
			}
			return Source{}, err
		}
		s.Query = sub
	default:
		return Source{}, Errorf(clause, "source %q needs a collection or a query", alias)
	}
	return s, nil
}

func (p parser) join(v value.Value, depth int) (Join, error) {
	if v.Kind() != value.KindObject {
		return Join{}, Errorf("join", "want an object, got %s", v.Kind())
	}
	t, _ := v.Get("type").Str()
	j := Join{Type: JoinType(t)}
	switch j.Type {
	case Inner, Left, Right, Full:
	case "":
		j.Type = Left // TanStack's default join type
	default:
		return Join{}, Errorf("join", "unknown join type %q (want inner, left, right or full)", t)
	}
	var err error
	if j.Source, err = p.source("join", v.Get("source"), depth); err != nil {
		return Join{}, err
	}
	on := v.Get("on")
	if on.IsUndefined() {
		return Join{}, Errorf("join", "join %q needs an on condition", j.Source.Alias)
	}
	if j.On, err = p.expr("join", on, depth); err != nil {
		return Join{}, err
	}
	return j, nil
}

func (p parser) exprList(clause string, v value.Value, depth int) ([]*Expr, error) {
	if v.IsUndefined() {
		return nil, nil
	}
	if v.Kind() != value.KindArray {
		return nil, Errorf(clause, "want an array, got %s", v.Kind())
	}
	out := make([]*Expr, 0, v.Len())
	for i := range v.Len() {
		e, err := p.expr(clause, v.Index(i), depth)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

func (p parser) expr(clause string, v value.Value, depth int) (*Expr, error) {
	if depth > maxDepth {
		return nil, Errorf(clause, "expression nested too deeply (more than %d levels)", maxDepth)
	}
	if v.Kind() != value.KindObject {
		return nil, Errorf(clause, "an expression must be an object, got %s", v)
	}
	t, _ := v.Get("type").Str()
	switch t {
	case "ref":
		path := v.Get("path")
		if path.Kind() != value.KindArray || path.Len() == 0 {
			return nil, Errorf(clause, "a ref needs a non-empty path array")
		}
		e := &Expr{Kind: Ref, Path: make([]string, 0, path.Len())}
		for i := range path.Len() {
			s, ok := path.Index(i).Str()
			if !ok {
				return nil, Errorf(clause, "ref path elements must be strings, got %s", path.Index(i))
			}
			e.Path = append(e.Path, s)
		}
		return e, nil
	case "val":
		// JSON has no NaN or ±Infinity: such a constant comes as its name.
		if n := v.Get("number"); !n.IsUndefined() {
			s, _ := n.Str()
			f, ok := nonFinite[s]
			if !ok {
				return nil, Errorf(clause, `a val's number must be "NaN", "Infinity" or "-Infinity", got %s`, n)
			}
			return &Expr{Kind: Val, Value: value.Number(f)}, nil
		}
		return &Expr{Kind: Val, Value: v.Get("value")}, nil
	case "func", "agg":
		name, ok := v.Get("name").Str()
		if !ok || name == "" {
			return nil, Errorf(clause, "a %s needs a name", t)
		}
		e := &Expr{Kind: Func, Name: name}
		if t == "agg" {
			e.Kind = Agg
		}
		args := v.Get("args")
		if !args.IsUndefined() && args.Kind() != value.KindArray {
			return nil, Errorf(clause, "%s: args must be an array", name)
		}
		for i := range args.Len() {
			a, err := p.expr(clause, args.Index(i), depth+1)
			if err != nil {
				return nil, err
			}
			e.Args = append(e.Args, a)
		}
		return e, nil
	}
	return nil, Errorf(clause, "unknown expression type %q (want ref, val, func or agg)", t)
}

func (p parser) selectList(v value.Value, depth int) ([]SelectEntry, error) {
	if depth > maxDepth {
		return nil, Errorf("select", "objects of fields nested too deeply (more than %d levels)", maxDepth)
	}
	if v.Kind() != value.KindArray {
		return nil, Errorf("select", "want an array of entries, got %s", v.Kind())
	}
	var out []SelectEntry
	for i := range v.Len() {
		ev := v.Index(i)
		if ev.Kind() != value.KindObject {
			return nil, Errorf("select", "entry %d must be an object", i)
		}
		var e SelectEntry
		if sp := ev.Get("spread"); !sp.IsUndefined() {
			if sp.Kind() != value.KindArray || sp.Len() == 0 {
				return nil, Errorf("select", "entry %d: spread needs a non-empty path array", i)
			}
			for j := range sp.Len() {
				s, ok := sp.Index(j).Str()
				if !ok {
					return nil, Errorf("select", "entry %d: spread path elements must be strings", i)
				}
				e.Spread = append(e.Spread, s)
			}
			out = append(out, e)
			continue
		}
		f, ok := ev.Get("field").Str()
		if !ok {
			return nil, Errorf("select", "entry %d needs a string field (or a spread)", i)
		}
		e.Field = f
		ex, sub := ev.Get("expr"), ev.Get("select")
		var err error
		if inc := ev.Get("include"); !inc.IsUndefined() {
			if !ex.IsUndefined() || !sub.IsUndefined() {
				return nil, Errorf("select", "field %q needs exactly one of expr, select and include", f)
			}
			if e.Include, err = p.include(f, inc, depth); err != nil {
				return nil, err
			}
			out = append(out, e)
			continue
		}
		switch {
		case !ex.IsUndefined() && sub.IsUndefined():
			e.Expr, err = p.expr("select", ex, depth+1)
		case ex.IsUndefined() && !sub.IsUndefined():
			e.Select, err = p.selectList(sub, depth+1)
			if e.Select == nil {
				e.Select = []SelectEntry{}
			}
		default:
			return nil, Errorf("select", "field %q needs exactly one of expr and select", f)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

func (p parser) order(v value.Value, depth int) (Order, error) {
	if v.Kind() != value.KindObject {
		return Order{}, Errorf("orderBy", "want an object, got %s", v.Kind())
	}
	var o Order
	var err error
	if o.Expr, err = p.expr("orderBy", v.Get("expr"), depth); err != nil {
		return Order{}, err
	}
	switch d := v.Get("direction"); {
	case d.IsUndefined():
	default:
		s, _ := d.Str()
		switch s {
		case "asc":
		case "desc":
			o.Desc = true
		default:
			return Order{}, Errorf("orderBy", "direction must be asc or desc, got %s", d)
		}
	}
	if n := v.Get("nulls"); !n.IsUndefined() {
		s, _ := n.Str()
		switch s {
		case "first":
		case "last":
			o.NullsLast = true
		default:
			return Order{}, Errorf("orderBy", "nulls must be first or last, got %s", n)
		}
	}
	if ss := v.Get("stringSort"); !ss.IsUndefined() {
		s, _ := ss.Str()
		switch s {
		case "locale":
		case "lexical":
			o.Lexical = true
		default:
			return Order{}, Errorf("orderBy", "stringSort must be locale or lexical, got %s", ss)
		}
	}
	if l := v.Get("locale"); !l.IsUndefined() {
		s, ok := l.Str()
		if !ok {
			return Order{}, Errorf("orderBy", "locale must be a string")
		}
		o.Locale = s
	}
	if lo := v.Get("localeOptions"); !lo.IsUndefined() {
		if lo.Kind() != value.KindObject {
			return Order{}, Errorf("orderBy", "localeOptions must be an object")
		}
		o.LocaleOptions = lo
	}
	return o, nil
}
