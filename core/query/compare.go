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
//   - numbers and booleans compare as JavaScript's < and > do (false is 0,
//     true is 1: true > 0.5, and true ties with 1);
//   - every number and boolean comes before every string.
//
// The last rule is where this order leaves TanStack's: JavaScript converts
// a string compared with a number to a number, so "abc" ties with every
// number while 1 < 2, and "10" < "9" while 9 < "10". That is no order at
// all, and TanStack's result over such values depends on the order the
// rows arrived in. The incremental operators keep rows in trees that need
// a total order (a comparison that is not one made a live top-K loop
// forever), so ascCompare is a total order over every value
// (TestAscCompareIsATotalOrder), equal to TanStack's wherever the values
// of an orderBy column do not mix strings with numbers or booleans.
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
	if ak == value.KindNumber && bk == value.KindNumber { // the usual case, first
		x, _ := a.Num()
		y, _ := b.Num()
		return cmp.Compare(x, y)
	}
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
	as, bs := ak == value.KindString, bk == value.KindString
	switch {
	case as:
		return 1
	case bs:
		return -1
	}
	// Numbers and booleans: JavaScript's relational comparison converts
	// booleans to 0 and 1 (NaN was handled above).
	return cmp.Compare(value.ToNumber(a), value.ToNumber(b))
}

func isNaN(v value.Value) bool {
	f, ok := v.Num()
	return ok && math.IsNaN(f)
}
