package ivm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/streamdb/streamdb/core/value"
)

func num(f float64) value.Value { return value.Number(f) }
func str(s string) value.Value  { return value.String(s) }

// The join keys below were probed on TanStack DB 0.15.2 (Node 20): a full
// join of A{1, 's"1', 3, 4} and B{10, 'b2', 12}, then a full join of that
// with C{'c1', 'c2'}.
func TestJoinResultKeyProbed(t *testing.T) {
	r := func(k value.Value) *Row { return &Row{Key: k} }
	cases := []struct {
		l, r *Row
		want string
	}{
		{r(num(1)), r(num(10)), `[1,10]`},
		{r(str(`s"1`)), r(str("b2")), `["s\"1","b2"]`},
		{r(num(3)), nil, `[3,null]`},
		{nil, r(num(12)), `[null,12]`},
		{r(str(`[1,10]`)), r(str("c1")), `["[1,10]","c1"]`},
		{r(str(`[3,null]`)), nil, `["[3,null]",null]`},
		{r(str(`["s\"1","b2"]`)), nil, `["[\"s\\\"1\",\"b2\"]",null]`},
		{r(str(`[null,12]`)), r(str("c2")), `["[null,12]","c2"]`},
		// Non-finite numeric keys (group keys of a subquery), probed.
		{r(num(math.NaN())), r(str("b1")), `[{"number":"NaN"},"b1"]`},
		{r(num(math.Inf(1))), r(str("b1")), `[{"number":"Infinity"},"b1"]`},
		{r(num(math.Inf(-1))), r(str("b6")), `[{"number":"-Infinity"},"b6"]`},
		{r(num(math.Copysign(0, -1))), r(str("b4")), `[0,"b4"]`},
		{r(num(1e21)), r(str("b4")), `[1e+21,"b4"]`},
		{r(num(1.5)), r(str("b5")), `[1.5,"b5"]`},
		// Nullish keys print as null, like a missing side.
		{r(value.Null()), r(str("b1")), `[null,"b1"]`},
		{r(value.Undefined()), nil, `[null,null]`},
		{r(value.Bool(true)), r(str("x")), `[true,"x"]`},
	}
	// Every key is also made in one keyArena (a first load's), which must
	// give the same text and never change a key it handed out before.
	var arena keyArena
	var made, wanted []string
	check := func(l, r *Row, want string) {
		t.Helper()
		if s, _ := joinResultKey(l, r).Str(); s != want {
			t.Errorf("joinResultKey = %s, want %s", s, want)
		}
		s, _ := arena.joinKey(l, r).Str()
		if s != want {
			t.Errorf("keyArena.joinKey = %s, want %s", s, want)
		}
		made, wanted = append(made, s), append(wanted, want)
	}
	for _, c := range cases {
		check(c.l, c.r, c.want)
	}
	// String keys are written as JSON.stringify writes them, whether they
	// take the plain path (printable ASCII) or not; a key longer than a
	// block, and escapes longer than the estimate, too.
	long := strings.Repeat("k", keyBlock+10)
	keys := []string{"", "m1", "u 2", `a\b`, `q"`, "tab\t", "del\x7f", "é", "日本", "😀", "~", " ", long, strings.Repeat("\x01", 300)}
	for range 20 {
		for _, a := range keys {
			for _, b := range keys {
				check(r(str(a)), r(str(b)), "["+string(value.AppendJSON(nil, str(a)))+","+string(value.AppendJSON(nil, str(b)))+"]")
			}
		}
	}
	// Keys a collection marked as needing no escape (value.QuotedString)
	// are written the same, without the check.
	quoted := func(s string) value.Value {
		if value.StringNeedsEscape(s) {
			return str(s)
		}
		return value.QuotedString(s)
	}
	for _, a := range keys {
		for _, b := range keys {
			check(r(quoted(a)), r(str(b)), "["+string(value.AppendJSON(nil, str(a)))+","+string(value.AppendJSON(nil, str(b)))+"]")
			check(r(str(a)), r(quoted(b)), "["+string(value.AppendJSON(nil, str(a)))+","+string(value.AppendJSON(nil, str(b)))+"]")
		}
	}
	if !slices.Equal(made, wanted) {
		t.Error("a key of the arena changed after it was made")
	}
}

// Group keys of two groupBy expressions, probed on 0.15.2 (groupBy [h, g]
// and [g, h]).
func TestSerializeTupleProbed(t *testing.T) {
	obj := value.MustParse(`{"b":1,"a":[2,{"d":1,"c":2}]}`)
	cases := []struct {
		vals []value.Value
		want string
	}{
		{[]value.Value{str("a"), str("1")}, `["a","1"]`},
		{[]value.Value{str("a"), num(1)}, `["a",1]`},
		{[]value.Value{str("é\u2028\"\\"), str("x")}, "[\"é\u2028\\\"\\\\\",\"x\"]"},
		{[]value.Value{num(math.Copysign(0, -1)), num(0)}, `[0,0]`},
		{[]value.Value{value.Null(), value.Null()}, `[null,null]`},
		{[]value.Value{num(math.Inf(1)), value.Bool(true)}, `~["array",[["number","Infinity"],["boolean",true]]]`},
		{[]value.Value{num(1.5), num(math.NaN())}, `~["array",[["number",1.5],["number","NaN"]]]`},
		{[]value.Value{num(math.NaN()), num(1.5)}, `~["array",[["number","NaN"],["number",1.5]]]`},
		{[]value.Value{value.Undefined(), value.Undefined()}, `~["array",[["undefined"],["undefined"]]]`},
		{[]value.Value{value.Bool(true), num(math.Inf(1))}, `~["array",[["boolean",true],["number","Infinity"]]]`},
		// Objects: TanStack uses a per-process reference id here; we
		// serialize the content with sorted fields (db-ivm's structural
		// form for plain objects).
		{[]value.Value{obj, str("b")}, `[{"a":[2,{"c":2,"d":1}],"b":1},"b"]`},
		{[]value.Value{obj, value.Undefined()}, `~["array",[["object",[["a",["array",[["number",2],["object",[["c",["number",2]],["d",["number",1]]]]]]],["b",["number",1]]]],["undefined"]]]`},
		{[]value.Value{num(0), value.Number(math.Copysign(0, -1)), value.Undefined()}, `~["array",[["number",0],["number",0],["undefined"]]]`},
	}
	for _, c := range cases {
		if got := serializeTuple(c.vals); got != c.want {
			t.Errorf("serializeTuple(%v) =\n %s, want\n %s", c.vals, got, c.want)
		}
	}
	if got := serializeValue(value.Undefined()); got != `~["undefined"]` {
		t.Errorf("serializeValue(undefined) = %s", got)
	}
	if got := serializeValue(value.MustParse(`{"y":2,"x":1}`)); got != `{"x":1,"y":2}` {
		t.Errorf("serializeValue(object) = %s", got)
	}
}

func TestCompareKeys(t *testing.T) {
	// Strings first, then numbers (NaN last among them), then the rest.
	order := []value.Value{
		str(""), str("1"), str("10"), str("9"), str("a"), str("\uffff"),
		num(math.Inf(-1)), num(-1), num(0), num(1.5), num(10), num(math.Inf(1)), num(math.NaN()),
		value.Undefined(), value.Null(), value.Bool(false), value.Bool(true),
		value.MustParse(`[1]`), value.MustParse(`[2]`), value.MustParse(`{"a":1}`),
	}
	for i, a := range order {
		for j, b := range order {
			got := CompareKeys(a, b)
			want := 0
			if i < j {
				want = -1
			} else if i > j {
				want = 1
			}
			if got != want {
				t.Errorf("CompareKeys(%v, %v) = %d, want %d", a, b, got, want)
			}
		}
	}
	if CompareKeys(num(0), num(math.Copysign(0, -1))) != 0 {
		t.Error("-0 and 0 differ")
	}
	// UTF-16 order: U+FFFF sorts after U+10000 in JS.
	if CompareKeys(str("\U00010000"), str("\uffff")) >= 0 {
		t.Error("supplementary character not before U+FFFF")
	}
}

func TestJoinKeyID(t *testing.T) {
	id := func(v value.Value) (keyID, bool) { return joinKeyID(v) }
	same := func(a, b value.Value) bool {
		x, ok1 := id(a)
		y, ok2 := id(b)
		return ok1 && ok2 && x == y
	}
	cases := []struct {
		a, b  value.Value
		match bool
	}{
		{num(1), num(1), true},
		{num(1), str("1"), false},
		{num(0), num(math.Copysign(0, -1)), true},
		{num(math.NaN()), num(math.NaN()), true},
		{num(math.Inf(1)), num(math.Inf(1)), true},
		{value.Bool(true), value.Bool(true), true},
		{value.Bool(true), num(1), false},
		{value.Null(), value.Null(), false},
		{value.Undefined(), value.Undefined(), false},
		{value.Null(), value.Undefined(), false},
		{value.MustParse(`[1,"a"]`), value.MustParse(`[1,"a"]`), true},
		{value.MustParse(`[1,null]`), value.MustParse(`[1,null]`), false},
		{value.MustParse(`[1,"1"]`), value.MustParse(`[1,1]`), false},
		{value.MustParse(`{"x":1,"y":2}`), value.MustParse(`{"y":2,"x":1}`), true},
	}
	for _, c := range cases {
		if got := same(c.a, c.b); got != c.match {
			t.Errorf("match(%v, %v) = %v, want %v", c.a, c.b, got, c.match)
		}
	}
}

// stringOrder sorts as strings.Compare does: keys with a long common
// prefix, keys that end inside the radix digits, keys holding zero bytes,
// duplicates, and keys with nothing in common.
func TestStringOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(61, 1))
	gen := map[string]func() string{
		"join keys": func() string { return fmt.Sprintf(`["m%d","u%d"]`, rng.IntN(100000), rng.IntN(1000)) },
		"short":     func() string { return strings.Repeat("x", rng.IntN(12)) + string(rune('a'+rng.IntN(3))) },
		"zeros":     func() string { return "p\x00" + strings.Repeat("\x00", rng.IntN(10)) + string(rune(rng.IntN(3))) },
		"random": func() string {
			b := make([]byte, rng.IntN(20))
			for i := range b {
				b[i] = byte(rng.IntN(256))
			}
			return string(b)
		},
	}
	for name, g := range gen {
		for _, n := range []int{0, 1, 255, 256, 5000} {
			keys := make([]string, n)
			for i := range keys {
				keys[i] = g()
			}
			order := stringOrder(keys)
			got := make([]string, n)
			for i, j := range order {
				got[i] = keys[j]
			}
			want := slices.Clone(keys)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Fatalf("%s, n=%d: not in order", name, n)
			}
		}
	}
}

// numberOrder sorts by number, then by the tie order: negatives and
// positives, -0 beside 0, infinities, many equal numbers, and numbers that
// differ only in their lowest bits.
func TestNumberOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(62, 1))
	gen := map[string]func() float64{
		"mixed": func() float64 { return (rng.Float64() - 0.5) * math.Pow(10, float64(rng.IntN(40)-20)) },
		"few": func() float64 {
			return []float64{0, math.Copysign(0, -1), 1, -1, math.Inf(1), math.Inf(-1)}[rng.IntN(6)]
		},
		"ints":   func() float64 { return float64(rng.IntN(1000000)) },
		"ulps":   func() float64 { return math.Nextafter(1, 1+float64(rng.IntN(3))) * float64(1+rng.IntN(2)) },
		"negint": func() float64 { return -float64(rng.IntN(50)) },
	}
	for name, g := range gen {
		for _, n := range []int{0, 1, 255, 256, 5000} {
			ks := make([]float64, n)
			for i := range ks {
				ks[i] = g()
			}
			tie := func(a, b int32) int { return int(b) - int(a) } // later positions first
			order := numberOrder(ks, tie)
			want := sortedOrder(n, byNumber(ks, tie)) // a comparison sort
			if !slices.Equal(order, want) {
				t.Fatalf("%s, n=%d: not in order", name, n)
			}
		}
	}
}

// selectOrder puts the first keep positions of a sort first, in order, and
// every other position after them once: for any keep, with many ties
// broken by position, and in ascending, descending and random order.
func TestSelectOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(63, 1))
	for _, n := range []int{0, 1, 7, 100, 3000} {
		for _, arrange := range []string{"random", "ascending", "descending"} {
			ks := make([]float64, n)
			for i := range ks {
				switch arrange {
				case "random":
					ks[i] = float64(rng.IntN(20))
				case "ascending":
					ks[i] = float64(i / 3)
				default:
					ks[i] = float64(-i / 3)
				}
			}
			cmp := byNumber(ks, func(a, b int32) int { return int(a) - int(b) })
			want := sortedOrder(n, cmp)
			for _, keep := range []int{0, 1, 5, n / 2, n} {
				got := selectOrder(n, keep, cmp)
				keep := min(keep, n)
				if !slices.Equal(got[:keep], want[:keep]) {
					t.Fatalf("n=%d %s keep=%d: the first positions are not the sort's", n, arrange, keep)
				}
				all := slices.Clone(got)
				slices.Sort(all)
				for i, p := range all {
					if p != int32(i) {
						t.Fatalf("n=%d %s keep=%d: not every position once", n, arrange, keep)
					}
				}
			}
		}
	}
}
