package query

import (
	"fmt"
	"math"
	"testing"

	"github.com/streamdb/streamdb/core/collate"
	"github.com/streamdb/streamdb/core/ir"
	"github.com/streamdb/streamdb/core/ivm"
	"github.com/streamdb/streamdb/core/value"
)

// orderPool mixes every kind an orderBy column can hold, with the values
// on which JavaScript's comparison is not an order ("abc" ties with every
// number; "10" < "9" but 9 < "10").
var orderPool = []value.Value{
	value.Undefined(), value.Null(), value.Number(math.NaN()), value.Number(math.Inf(-1)),
	value.Number(-1), value.Number(0), value.Number(math.Copysign(0, -1)), value.Number(1), value.Number(9),
	value.Number(10), value.Number(1e308), value.Bool(false), value.Bool(true),
	value.String(""), value.String("1"), value.String("9"), value.String("10"), value.String("abc"),
	value.String("Abc"), value.String("é"), value.String("\U0001F600"),
	value.MustParse(`[]`), value.MustParse(`[1]`), value.MustParse(`["1"]`), value.MustParse(`[1,"a"]`),
	value.MustParse(`["a",1]`), value.MustParse(`[null]`), value.MustParse(`[[2],true]`),
	value.MustParse(`{}`), value.MustParse(`{"a":1}`), value.MustParse(`{"a":"1"}`),
}

// TestAscCompareIsATotalOrder checks that the orderBy comparison is a
// total preorder over mixed kinds, for both null placements and with and
// without a locale collation: antisymmetric, and transitive in its ties as
// in its orders. The ordered operators (top-K's tree, the ordered output)
// rely on it; a comparison that broke it made a live top-K spin forever.
func TestAscCompareIsATotalOrder(t *testing.T) {
	coll, err := collate.New("", collate.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		coll value.Collation
	}{{"lexical", nil}, {"locale", coll}} {
		for _, nullsLast := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s nullsLast=%v", c.name, nullsLast), func(t *testing.T) {
				cmp := func(a, b value.Value) int { return ascCompare(a, b, nullsLast, c.coll) }
				for _, a := range orderPool {
					if cmp(a, a) != 0 {
						t.Fatalf("%s is not equal to itself", a)
					}
					for _, b := range orderPool {
						if ab, ba := cmp(a, b), cmp(b, a); sign(ab) != -sign(ba) {
							t.Fatalf("not antisymmetric: cmp(%s, %s) = %d, cmp(%s, %s) = %d", a, b, ab, b, a, ba)
						}
						for _, x := range orderPool {
							ab, bx, ax := sign(cmp(a, b)), sign(cmp(b, x)), sign(cmp(a, x))
							if ab <= 0 && bx <= 0 && ax > 0 || ab >= 0 && bx >= 0 && ax < 0 {
								t.Fatalf("not transitive: %s, %s, %s compare %d, %d, then %d", a, b, x, ab, bx, ax)
							}
						}
					}
				}
			})
		}
	}
}

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}

// firstNumber keys numbers whatever the collation (a locale column of
// numbers keeps its fast first sort), strings by their rank when the
// collation ranks them, in separate classes, and nothing else.
func TestFirstNumber(t *testing.T) {
	ranked := Collation{Rank: func(s string) (float64, bool) { return float64(len(s)), s != "unranked" }}
	row := func(v value.Value) *ivm.Row { return &ivm.Row{Vals: []value.Value{value.String("x"), v}} }
	for _, tc := range []struct {
		name  string
		desc  bool
		coll  Collation
		v     value.Value
		key   float64
		class int
		ok    bool
	}{
		{"number", false, Collation{}, value.Number(3), 3, 0, true},
		{"number, locale column", false, ranked, value.Number(3), 3, 0, true},
		{"number, descending", true, ranked, value.Number(3), -3, 0, true},
		{"NaN", false, ranked, value.Number(math.NaN()), 0, 0, false},
		{"string, ranked", false, ranked, value.String("abc"), 3, 1, true},
		{"string, descending", true, ranked, value.String("abc"), -3, 1, true},
		{"string, not ranked", false, ranked, value.String("unranked"), 0, 1, false},
		{"string, lexical", false, Collation{}, value.String("abc"), 0, 0, false},
		{"null", false, ranked, value.Null(), 0, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			key, class, ok := firstNumber([]ir.Order{{Desc: tc.desc}}, tc.coll)(row(tc.v))
			if ok != tc.ok || ok && (key != tc.key || class != tc.class) {
				t.Fatalf("got %v %d %v, want %v %d %v", key, class, ok, tc.key, tc.class, tc.ok)
			}
		})
	}
}
