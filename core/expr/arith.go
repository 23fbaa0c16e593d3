package expr

import (
	"github.com/streamdb/streamdb/core/value"
)

// orZero is JavaScript's x ?? 0.
func orZero(x value.Value) value.Value {
	if x.IsNullish() {
		return value.Number(0)
	}
	return x
}

// buildAdd is JavaScript's (a ?? 0) + (b ?? 0): string concatenation when
// either side is a string, an array or an object (through String()),
// numeric addition otherwise (booleans as 0 and 1).
func buildAdd(args []operand) Eval {
	a, b := args[0], args[1]
	return func(vals []value.Value) value.Value {
		x, y := orZero(a.get(vals)), orZero(b.get(vals))
		if f, ok := x.Num(); ok {
			if g, ok := y.Num(); ok {
				return value.Number(f + g)
			}
		}
		px, py := toPrimitive(x), toPrimitive(y)
		if px.Kind() == value.KindString || py.Kind() == value.KindString {
			return value.String(value.ToString(px) + value.ToString(py))
		}
		return value.Number(value.ToNumber(px) + value.ToNumber(py))
	}
}

// arithOp is subtract, multiply or divide.
type arithOp uint8

const (
	subtract arithOp = iota
	multiply
	divide
)

// buildArith is JavaScript's (a ?? 0) - (b ?? 0), * and /, operands
// converted with Number(); divide gives null when the divisor is the number
// 0 (a divisor "0" or false is not 0 and divides: Infinity).
func buildArith(op arithOp) func(args []operand) Eval {
	return func(args []operand) Eval {
		a, b := args[0], args[1]
		return func(vals []value.Value) value.Value {
			x, y := orZero(a.get(vals)), orZero(b.get(vals))
			g := value.ToNumber(y)
			switch op {
			case subtract:
				return value.Number(value.ToNumber(x) - g)
			case multiply:
				return value.Number(value.ToNumber(x) * g)
			}
			if _, isNum := y.Num(); isNum && g == 0 {
				return vNull
			}
			return value.Number(value.ToNumber(x) / g)
		}
	}
}
