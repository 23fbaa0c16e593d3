package ivm

import (
	"cmp"
	"math"

	"github.com/streamdb/streamdb/core/value"
)

// AggKind is an aggregate function.
type AggKind uint8

// The aggregate functions, with TanStack DB 0.15.2's semantics.
const (
	// AggCount counts the rows whose argument is not null or undefined.
	AggCount AggKind = iota
	// AggSum sums the arguments: numbers as they are, null and undefined
	// as 0, anything else through Number() (a NaN makes the sum NaN).
	AggSum
	// AggAvg is the sum (as AggSum) divided by the number of rows of the
	// group, rows with a null or undefined argument included.
	AggAvg
	// AggMin is the smallest argument: numbers and strings as they are,
	// null and undefined as 0, anything else through Number(); see
	// minMaxCompare for the order and NaN.
	AggMin
	// AggMax is the largest argument, as AggMin.
	AggMax
)

// AggSpec is one aggregate of a GroupBy: its function and its argument,
// evaluated on each input row.
type AggSpec struct {
	Kind AggKind
	Arg  func(*Row) value.Value
}

// aggState is the running state of one aggregate in one group.
type aggState struct {
	count int64                  // AggCount
	sum   exactSum               // AggSum, AggAvg
	ms    *multiset[value.Value] // AggMin, AggMax: the non-NaN inputs
	nan   int64                  // AggMin, AggMax: NaN inputs
}

// sumInput is the value sum and avg add for an argument (TanStack's
// extractor: a number as is, null/undefined as 0, else Number(v)).
func sumInput(v value.Value) float64 {
	if f, ok := v.Num(); ok {
		return f
	}
	if v.IsNullish() {
		return 0
	}
	return value.ToNumber(v)
}

// minMaxInput is the value min and max compare for an argument
// (TanStack's extractor: numbers and strings as they are, null/undefined
// as 0, else Number(v)). -0 becomes 0, so that the result does not depend
// on which of two equal zeros came first.
func minMaxInput(v value.Value) value.Value {
	switch v.Kind() {
	case value.KindNumber:
		if f, _ := v.Num(); f == 0 {
			return value.Number(0)
		}
		return v
	case value.KindString:
		return v
	case value.KindUndefined, value.KindNull:
		return value.Number(0)
	}
	return value.Number(value.ToNumber(v) + 0)
}

// minMaxCompare orders min/max inputs (numbers without NaN, and strings).
// Numbers compare by value and strings by UTF-16 code units, as JS's <
// does. JS's < between a number and a string converts the string to a
// number, which is not a consistent order (its result depends on the order
// values are folded in), so here every number is smaller than every string:
// the min of a group mixing them is its smallest number, the max its
// largest string.
//
// NaN: JS's fold keeps a NaN it meets first and skips one it meets later,
// so 0.15.2's result depends on the order rows arrive in. Our rule is that NaN
// inputs do not take part unless every input of the group is NaN, in which
// case min and max are NaN.
func minMaxCompare(a, b value.Value) int {
	ka, kb := a.Kind(), b.Kind()
	if ka != kb {
		return cmp.Compare(ka, kb) // KindNumber < KindString
	}
	if ka == value.KindNumber {
		x, _ := a.Num()
		y, _ := b.Num()
		return cmp.Compare(x, y)
	}
	x, _ := a.Str()
	y, _ := b.Str()
	return value.Lexical(x, y)
}

// apply adds (sign > 0) or removes (sign < 0) one row's argument v.
func (s *aggState) apply(kind AggKind, v value.Value, sign int, sc *sumScratch) {
	switch kind {
	case AggCount:
		if !v.IsNullish() {
			s.count += int64(sign)
		}
	case AggSum, AggAvg:
		s.sum.add(sumInput(v), sign, sc)
	case AggMin, AggMax:
		m := minMaxInput(v)
		if f, ok := m.Num(); ok && math.IsNaN(f) {
			s.nan += int64(sign)
			return
		}
		if s.ms == nil {
			s.ms = newMultiset(minMaxCompare)
		}
		if sign > 0 {
			s.ms.Add(m)
		} else {
			s.ms.Remove(m)
		}
	}
}

// result returns the aggregate's value for a group of n rows.
func (s *aggState) result(kind AggKind, n int, sc *sumScratch) value.Value {
	switch kind {
	case AggCount:
		return value.Number(float64(s.count))
	case AggSum:
		return value.Number(s.sum.value(sc))
	case AggAvg:
		return value.Number(s.sum.value(sc) / float64(n))
	}
	var (
		v  value.Value
		ok bool
	)
	if s.ms != nil {
		if kind == AggMin {
			v, ok = s.ms.Min()
		} else {
			v, ok = s.ms.Max()
		}
	}
	if ok {
		return v
	}
	if s.nan > 0 {
		return value.Number(math.NaN())
	}
	// No input at all: the group is empty and is not emitted.
	return value.Undefined()
}
