package query

import (
	"fmt"
	"math"
	"testing"

	"github.com/streamdb/streamdb/core/collate"
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
