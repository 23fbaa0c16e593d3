package query

import (
	"cmp"
	"math"

	"github.com/streamdb/streamdb/core/value"
)

// ascCompare orders two orderBy values ascending as TanStack DB's
// ascComparator does. nullsLast places null and undefined (also inside
// arrays); coll orders two strings (nil: UTF-16 code units).
//
//   - NaN is greater than every other non-null value and equal to NaN;
//   - two strings compare by the collation;
//   - two arrays compare element by element, then by length;
//   - arrays and objects come after primitives; two of them (not both
//     arrays) compare by their canonical JSON text, a deterministic stand-in
//     for TanStack's per-object identity order;
//   - other primitives compare as JavaScript's < and > do, converting to
//     numbers when the types differ (true > 0.5; "abc" and 1 tie).
func ascCompare(a, b value.Value, nullsLast bool, coll value.Collation) int {
	an, bn := a.IsNullish(), b.IsNullish()
	switch {
	case an && bn:
		return 0
	case an:
		if nullsLast {
			return 1
		}
		return -1
	case bn:
		if nullsLast {
			return -1
		}
		return 1
	}
	anan, bnan := isNaN(a), isNaN(b)
	switch {
	case anan && bnan:
		return 0
	case anan:
		return 1
	case bnan:
		return -1
	}
	ak, bk := a.Kind(), b.Kind()
	if ak == value.KindString && bk == value.KindString {
		x, _ := a.Str()
		y, _ := b.Str()
		if coll != nil {
			return coll(x, y)
		}
		return value.Lexical(x, y)
	}
	if ak == value.KindArray && bk == value.KindArray {
		n, m := a.Len(), b.Len()
		for i := range min(n, m) {
			if d := ascCompare(a.Index(i), b.Index(i), nullsLast, coll); d != 0 {
				return d
			}
		}
		return cmp.Compare(n, m)
	}
	ao, bo := ak == value.KindArray || ak == value.KindObject, bk == value.KindArray || bk == value.KindObject
	switch {
	case ao && bo:
		return value.Compare(a, b, nil)
	case ao:
		return 1
	case bo:
		return -1
	}
	if ak == bk && ak == value.KindNumber {
		x, _ := a.Num()
		y, _ := b.Num()
		return cmp.Compare(x, y)
	}
	// Mixed primitive kinds: JavaScript's relational comparison converts
	// both sides to numbers; NaN makes both < and > false, a tie.
	x, y := value.ToNumber(a), value.ToNumber(b)
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

func isNaN(v value.Value) bool {
	f, ok := v.Num()
	return ok && math.IsNaN(f)
}
