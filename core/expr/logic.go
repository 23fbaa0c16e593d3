package expr

import (
	"math"

	"github.com/streamdb/streamdb/core/value"
)

// IsTrue reports whether v is exactly true: the WHERE/HAVING rule
// (toBooleanPredicate). Null (UNKNOWN), undefined, 1 and "true" are not.
func IsTrue(v value.Value) bool {
	b, ok := v.BoolVal()
	return ok && b
}

// PassesAnd reports whether v lets a row through an and() (buildAnd):
// it is not false, null or undefined, so 1 and "yes" pass. A where
// conjunct that TanStack DB's optimizer joins with others into one and()
// keeps a row by this rule instead of IsTrue.
func PassesAnd(v value.Value) bool {
	return !isFalse(v) && !v.IsNullish()
}

// Truthy is JavaScript truthiness (caseWhen conditions): undefined, null,
// false, 0, NaN and "" are false; everything else, arrays and objects
// included (even empty ones), is true.
func Truthy(v value.Value) bool {
	switch v.Kind() {
	case value.KindBool:
		b, _ := v.BoolVal()
		return b
	case value.KindNumber:
		f, _ := v.Num()
		return f != 0 && !math.IsNaN(f)
	case value.KindString:
		s, _ := v.Str()
		return s != ""
	case value.KindArray, value.KindObject:
		return true
	}
	return false
}

var (
	vTrue  = value.Bool(true)
	vFalse = value.Bool(false)
	vNull  = value.Null()
)

// isFalse reports whether v is exactly false.
func isFalse(v value.Value) bool {
	b, ok := v.BoolVal()
	return ok && !b
}

// buildAnd is Kleene AND: false if any argument is exactly false, else null
// if any is null or undefined, else true (other values count as true).
func buildAnd(args []operand) Eval {
	if len(args) == 2 {
		a, b := args[0], args[1]
		return func(vals []value.Value) value.Value {
			x := a.get(vals)
			if isFalse(x) {
				return vFalse
			}
			y := b.get(vals)
			if isFalse(y) {
				return vFalse
			}
			if x.IsNullish() || y.IsNullish() {
				return vNull
			}
			return vTrue
		}
	}
	return func(vals []value.Value) value.Value {
		unknown := false
		for i := range args {
			x := args[i].get(vals)
			if isFalse(x) {
				return vFalse
			}
			unknown = unknown || x.IsNullish()
		}
		if unknown {
			return vNull
		}
		return vTrue
	}
}

// buildOr is Kleene OR: true if any argument is exactly true, else null if
// any is null or undefined, else false (other values count as false).
func buildOr(args []operand) Eval {
	return func(vals []value.Value) value.Value {
		unknown := false
		for i := range args {
			x := args[i].get(vals)
			if IsTrue(x) {
				return vTrue
			}
			unknown = unknown || x.IsNullish()
		}
		if unknown {
			return vNull
		}
		return vFalse
	}
}

// buildNot is Kleene NOT over JavaScript's !: null for null or undefined.
func buildNot(args []operand) Eval {
	a := args[0]
	return func(vals []value.Value) value.Value {
		x := a.get(vals)
		if x.IsNullish() {
			return vNull
		}
		return value.Bool(!Truthy(x))
	}
}

func buildIsNull(args []operand) Eval {
	a := args[0]
	return func(vals []value.Value) value.Value { return value.Bool(a.get(vals).IsNull()) }
}

func buildIsUndefined(args []operand) Eval {
	a := args[0]
	return func(vals []value.Value) value.Value { return value.Bool(a.get(vals).IsUndefined()) }
}

// buildCoalesce returns the first argument that is neither null nor
// undefined, else null.
func buildCoalesce(args []operand) Eval {
	return func(vals []value.Value) value.Value {
		for i := range args {
			if x := args[i].get(vals); !x.IsNullish() {
				return x
			}
		}
		return vNull
	}
}

// buildCaseWhen evaluates condition/value pairs in order and returns the
// value of the first truthy condition; an odd last argument is the default;
// no match and no default is null.
func buildCaseWhen(args []operand) Eval {
	pairs := len(args) / 2
	return func(vals []value.Value) value.Value {
		for i := 0; i < pairs; i++ {
			if Truthy(args[2*i].get(vals)) {
				return args[2*i+1].get(vals)
			}
		}
		if len(args)%2 == 1 {
			return args[len(args)-1].get(vals)
		}
		return vNull
	}
}
