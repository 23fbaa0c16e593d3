package expr

import (
	"slices"
	"strings"

	"github.com/streamdb/streamdb/core/ir"
	"github.com/streamdb/streamdb/core/value"
	"github.com/streamdb/streamdb/internal/strfmt"
)

// Resolver maps an expression's refs and aggregates to the slots of the
// []value.Value an Eval reads.
type Resolver interface {
	// Ref resolves a property path: the slot whose value the path starts at,
	// and the field names below it.
	Ref(path []string) (slot int, fields []string, err error)
	// Agg resolves an aggregate node to the slot that will hold its current
	// value; it returns an error where aggregates are not allowed.
	Agg(e *ir.Expr) (slot int, err error)
}

// Eval is a compiled expression: it reads slots of vals and returns the
// expression's value. It never panics: a slot out of range reads as
// undefined. It holds no mutable state, so it is safe for concurrent use.
type Eval func(vals []value.Value) value.Value

// Error is an expression that cannot be compiled. Func names the function
// (or "ref", "agg", "val" for those nodes) and Reason says what is wrong.
type Error struct {
	Func   string
	Reason string
	cause  error
}

// Error returns "expression: <func>: <reason>".
func (e *Error) Error() string {
	return "expression: " + e.Func + ": " + e.Reason
}

// Unwrap returns the resolver's error that made this one, if any.
func (e *Error) Unwrap() error { return e.cause }

// maxDepth bounds the nesting of the trees Compile accepts, so that a
// hostile tree cannot exhaust the stack (the IR parser allows 200).
const maxDepth = 1000

// Compile compiles e. Errors (unknown function, wrong number of arguments,
// an error from the resolver) are *Error values naming the function and the
// problem.
func Compile(e *ir.Expr, r Resolver) (Eval, error) {
	c := compiler{r: r}
	o, err := c.compile(e, 0)
	if err != nil {
		return nil, err
	}
	return o.eval(), nil
}

// HasAggregate reports whether e contains an Agg node.
func HasAggregate(e *ir.Expr) bool {
	if e == nil {
		return false
	}
	if e.Kind == ir.Agg {
		return true
	}
	return slices.ContainsFunc(e.Args, HasAggregate)
}

// opKind says how an operand gets its value.
type opKind uint8

const (
	opConst opKind = iota // a constant
	opField               // one field of a slot (the commonest ref)
	opRef                 // a slot and a path of fields below it (maybe none)
	opEval                // anything else: a compiled function
)

// operand is a compiled argument. Refs and constants are read inline by
// get instead of through a closure call.
type operand struct {
	kind   opKind
	slot   int
	field  string
	fields []string
	c      value.Value
	ev     Eval
	node   *ir.Expr
}

// get returns the operand's value for the slots vals.
func (o *operand) get(vals []value.Value) value.Value {
	switch o.kind {
	case opConst:
		return o.c
	case opField:
		if uint(o.slot) >= uint(len(vals)) {
			return value.Undefined()
		}
		v := vals[o.slot]
		if v.Kind() == value.KindObject {
			return v.Get(o.field)
		}
		if v.IsNullish() {
			return value.Undefined()
		}
		return prop(v, o.field)
	case opRef:
		return readRef(vals, o.slot, o.fields)
	}
	return o.ev(vals)
}

// eval returns the operand as an Eval.
func (o operand) eval() Eval {
	switch o.kind {
	case opConst:
		c := o.c
		return func([]value.Value) value.Value { return c }
	case opEval:
		return o.ev
	}
	return func(vals []value.Value) value.Value { return o.get(vals) }
}

// sameObject reports whether a and b always yield the same JavaScript
// object in TanStack: the same ref (slot and path) or the same constant
// node.
func sameObject(a, b *operand) bool {
	switch a.kind {
	case opField:
		return b.kind == opField && a.slot == b.slot && a.field == b.field
	case opRef:
		return b.kind == opRef && a.slot == b.slot && slices.Equal(a.fields, b.fields)
	case opConst:
		return b.kind == opConst && a.node != nil && a.node == b.node
	}
	return false
}

// compiler holds what compiling one expression needs.
type compiler struct {
	r Resolver
}

func (c *compiler) compile(e *ir.Expr, depth int) (operand, error) {
	if e == nil {
		return operand{}, &Error{Func: "expression", Reason: "missing (nil) expression"}
	}
	if depth > maxDepth {
		return operand{}, &Error{Func: e.Name, Reason: "expression nested too deeply"}
	}
	switch e.Kind {
	case ir.Val:
		return operand{kind: opConst, c: e.Value, node: e}, nil
	case ir.Ref:
		if c.r == nil {
			return operand{}, &Error{Func: "ref", Reason: "refs are not allowed here"}
		}
		slot, fields, err := c.r.Ref(e.Path)
		if err != nil {
			return operand{}, &Error{Func: "ref", Reason: strfmt.Sprintf("%s: %v", strings.Join(e.Path, "."), err), cause: err}
		}
		if len(fields) == 1 {
			return operand{kind: opField, slot: slot, field: fields[0]}, nil
		}
		return operand{kind: opRef, slot: slot, fields: slices.Clone(fields)}, nil
	case ir.Agg:
		if c.r == nil {
			return operand{}, &Error{Func: e.Name, Reason: "aggregates are not allowed here"}
		}
		slot, err := c.r.Agg(e)
		if err != nil {
			return operand{}, &Error{Func: e.Name, Reason: err.Error(), cause: err}
		}
		return operand{kind: opRef, slot: slot}, nil
	case ir.Func:
		return c.compileFunc(e, depth)
	}
	return operand{}, &Error{Func: e.Name, Reason: strfmt.Sprintf("unknown expression kind %d", int(e.Kind))}
}

func (c *compiler) compileFunc(e *ir.Expr, depth int) (operand, error) {
	def, ok := funcs[e.Name]
	if !ok {
		if why, known := unsupported[e.Name]; known {
			return operand{}, &Error{Func: e.Name, Reason: why}
		}
		return operand{}, &Error{Func: e.Name, Reason: "unknown function"}
	}
	n := len(e.Args)
	if n < def.min || (def.max >= 0 && n > def.max) {
		return operand{}, &Error{Func: e.Name, Reason: arity(def.min, def.max, n)}
	}
	args := make([]operand, n)
	allConst := true
	for i, a := range e.Args {
		o, err := c.compile(a, depth+1)
		if err != nil {
			return operand{}, err
		}
		args[i] = o
		allConst = allConst && o.kind == opConst
	}
	ev := def.build(args)
	if allConst {
		// Every function is pure: a function of constants is a constant.
		return operand{kind: opConst, c: ev(nil)}, nil
	}
	return operand{kind: opEval, ev: ev}, nil
}

// arity describes a wrong number of arguments.
func arity(min, max, got int) string {
	switch {
	case min == max:
		return strfmt.Sprintf("takes %d argument%s, got %d", min, plural(min), got)
	case max < 0:
		return strfmt.Sprintf("takes at least %d argument%s, got %d", min, plural(min), got)
	}
	return strfmt.Sprintf("takes %d to %d arguments, got %d", min, max, got)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// funcDef is a function's arity (max < 0: any number) and the builder of
// its evaluator.
type funcDef struct {
	min, max int
	build    func(args []operand) Eval
}

// funcs are the functions of TanStack DB 0.15.2's evaluator that Compile
// knows, by IR name.
var funcs map[string]funcDef

// unsupported names TanStack functions that Compile rejects, and why.
var unsupported = map[string]string{
	"date":        "date functions are not supported",
	"datetime":    "date functions are not supported",
	"strftime":    "date functions are not supported",
	"toArray":     "an includes helper, allowed only as a select value",
	"materialize": "an includes helper, allowed only as a select value",
}

func init() {
	funcs = map[string]funcDef{
		"eq":          {2, 2, buildEq},
		"gt":          {2, 2, buildOrder(gt)},
		"gte":         {2, 2, buildOrder(gte)},
		"lt":          {2, 2, buildOrder(lt)},
		"lte":         {2, 2, buildOrder(lte)},
		"and":         {0, -1, buildAnd},
		"or":          {0, -1, buildOr},
		"not":         {1, 1, buildNot},
		"in":          {2, 2, buildIn},
		"like":        {2, 2, buildLike(false)},
		"ilike":       {2, 2, buildLike(true)},
		"isNull":      {1, 1, buildIsNull},
		"isUndefined": {1, 1, buildIsUndefined},
		"upper":       {1, 1, buildCase(jsToUpper)},
		"lower":       {1, 1, buildCase(jsToLower)},
		"length":      {1, 1, buildLength},
		"concat":      {0, -1, buildConcat},
		"coalesce":    {0, -1, buildCoalesce},
		"caseWhen":    {2, -1, buildCaseWhen},
		"add":         {2, 2, buildAdd},
		"subtract":    {2, 2, buildArith(subtract)},
		"multiply":    {2, 2, buildArith(multiply)},
		"divide":      {2, 2, buildArith(divide)},
		"array":       {0, -1, buildArray},
	}
}

// readRef reads the path fields below vals[slot] as TanStack's ref
// evaluation does: a one-field path of a null or undefined slot value is
// undefined (row?.[f]); a longer walk stops at the first null or undefined
// and returns it.
func readRef(vals []value.Value, slot int, fields []string) value.Value {
	if uint(slot) >= uint(len(vals)) {
		return value.Undefined()
	}
	v := vals[slot]
	switch len(fields) {
	case 0:
		return v
	case 1:
		if v.IsNullish() {
			return value.Undefined()
		}
		return prop(v, fields[0])
	}
	if v.IsUndefined() {
		return v
	}
	for _, f := range fields {
		if v.IsNullish() {
			return v
		}
		v = prop(v, f)
	}
	return v
}

// prop is JavaScript's v[name] for a non-nullish v, as far as JSON values
// have it: an object's own field, an array's or string's length and
// elements (a string's element is one UTF-16 code unit). Inherited
// properties (methods, constructor) have no JSON value; they read as
// undefined.
func prop(v value.Value, name string) value.Value {
	switch v.Kind() {
	case value.KindObject:
		return v.Get(name)
	case value.KindArray:
		if name == "length" {
			return value.Number(float64(v.Len()))
		}
		if i, ok := arrayIndex(name); ok {
			return v.Index(i)
		}
	case value.KindString:
		s, _ := v.Str()
		if name == "length" {
			return value.Number(float64(value.UTF16Len(s)))
		}
		if i, ok := arrayIndex(name); ok {
			if u, ok := unitAt(s, i); ok {
				return value.String(u)
			}
		}
	}
	return value.Undefined()
}

// arrayIndex parses a canonical array index ("0", "17"; not "01", "-1",
// "1.0"), below 2^32-1.
func arrayIndex(s string) (int, bool) {
	if s == "" || len(s) > 10 || (s[0] == '0' && len(s) > 1) {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	if n >= 1<<32-1 {
		return 0, false
	}
	return n, true
}
