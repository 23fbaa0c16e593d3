package expr

import (
	"cmp"
	"math"

	"github.com/streamdb/streamdb/core/value"
)

// isNaN reports whether v is the number NaN (TanStack's "unorderable").
func isNaN(v value.Value) bool {
	f, ok := v.Num()
	return ok && f != f
}

// eqValues is TanStack's eq: null if either side is null or undefined; NaN
// equals NaN and nothing else; otherwise JavaScript's ===, under which an
// array or object equals only itself (same says that the operands are one
// object).
func eqValues(x, y value.Value, same bool) value.Value {
	kx, ky := x.Kind(), y.Kind()
	if kx == ky {
		switch kx {
		case value.KindString:
			s, _ := x.Str()
			t, _ := y.Str()
			return value.Bool(s == t)
		case value.KindBool, value.KindNumber:
			f, _ := x.Num()
			if kx == value.KindBool {
				f = boolNum(x)
			}
			g, _ := y.Num()
			if ky == value.KindBool {
				g = boolNum(y)
			}
			if f != f || g != g {
				return value.Bool(f != f && g != g)
			}
			return value.Bool(f == g)
		case value.KindArray, value.KindObject:
			return value.Bool(same)
		}
	}
	if kx <= value.KindNull || ky <= value.KindNull {
		return vNull
	}
	return vFalse
}

// boolNum is a Bool's 0 or 1.
func boolNum(v value.Value) float64 {
	if b, _ := v.BoolVal(); b {
		return 1
	}
	return 0
}

// strictEqual is === with NaN equal to NaN, for non-nullish x and y:
// arrays and objects are never equal (distinct objects).
func strictEqual(x, y value.Value) bool {
	r := eqValues(x, y, false)
	return IsTrue(r)
}

func buildEq(args []operand) Eval {
	a, b := args[0], args[1]
	same := sameObject(&a, &b)
	if b.kind == opConst {
		if s, ok := b.c.Str(); ok {
			// The commonest filter: a field equals a string.
			return func(vals []value.Value) value.Value {
				x := a.get(vals)
				if t, ok := x.Str(); ok {
					return value.Bool(s == t)
				}
				return eqValues(x, b.c, false)
			}
		}
		c := b.c
		return func(vals []value.Value) value.Value { return eqValues(a.get(vals), c, same) }
	}
	return func(vals []value.Value) value.Value {
		return eqValues(a.get(vals), b.get(vals), same)
	}
}

// orderOp is one of gt, gte, lt, lte.
type orderOp uint8

const (
	gt orderOp = iota
	gte
	lt
	lte
)

func buildOrder(op orderOp) func(args []operand) Eval {
	return func(args []operand) Eval {
		a, b := args[0], args[1]
		return func(vals []value.Value) value.Value {
			return order(a.get(vals), b.get(vals), op)
		}
	}
}

// order is TanStack's gt/gte/lt/lte: null if either side is null or
// undefined; NaN is greater than everything else and equal to NaN;
// otherwise JavaScript's < and > (so values that < cannot order, such as
// "abc" and 1, are neither less nor greater: gte and lte are true).
func order(x, y value.Value, op orderOp) value.Value {
	if x.IsNullish() || y.IsNullish() {
		return vNull
	}
	var c int
	xn, yn := isNaN(x), isNaN(y)
	if xn || yn {
		switch {
		case xn && yn:
			c = 0
		case xn:
			c = 1
		default:
			c = -1
		}
	} else {
		c = jsCompare(x, y)
	}
	switch op {
	case gt:
		return value.Bool(c > 0)
	case gte:
		return value.Bool(c >= 0)
	case lt:
		return value.Bool(c < 0)
	}
	return value.Bool(c <= 0)
}

// jsCompare is -1 if x < y, 1 if x > y, else 0, with JavaScript's
// relational operators on non-nullish values: strings by UTF-16 code units;
// arrays and objects through their string form; anything else as numbers,
// where NaN is neither less nor greater.
func jsCompare(x, y value.Value) int {
	if f, ok := x.Num(); ok {
		if g, ok := y.Num(); ok {
			return compareFloats(f, g)
		}
	}
	px, py := toPrimitive(x), toPrimitive(y)
	if s, ok := px.Str(); ok {
		if t, ok := py.Str(); ok {
			return value.Lexical(s, t)
		}
	}
	return compareFloats(value.ToNumber(px), value.ToNumber(py))
}

// compareFloats compares as < and > do: NaN is neither.
func compareFloats(f, g float64) int {
	if math.IsNaN(f) || math.IsNaN(g) {
		return 0
	}
	return cmp.Compare(f, g)
}

// toPrimitive is JavaScript's ToPrimitive for JSON values: arrays and
// objects become their String() form, other values stay as they are.
func toPrimitive(v value.Value) value.Value {
	switch v.Kind() {
	case value.KindArray, value.KindObject:
		return value.String(value.ToString(v))
	}
	return v
}
