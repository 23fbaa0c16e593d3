package ivm

import (
	"testing"

	"github.com/streamdb/streamdb/core/value"
)

// FuzzKeys checks that the keys derived from values (idOf, joinKeyID,
// serializeValue, Distinct's key) agree with value.Equal: equal values
// have equal keys and values with equal keys are equal, and that nothing
// panics on any JSON.
func FuzzKeys(f *testing.F) {
	seeds := [][2]string{
		{`{"x":1,"y":2}`, `{"y":2,"x":1}`},
		{`[1,"1"]`, `[1,1]`},
		{`1`, `"1"`},
		{`null`, `null`},
		{`-0`, `0`},
		{`{"a":[{"c":1,"b":2}]}`, `{"a":[{"b":2,"c":1}]}`},
		{`"\u2028é"`, `"\u2028é"`},
		{`1e21`, `1000000000000000000000`},
		{`{"1":1,"a":2}`, `{"a":2,"1":1}`},
	}
	for _, s := range seeds {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		x, err1 := value.ParseString(a)
		y, err2 := value.ParseString(b)
		if err1 != nil || err2 != nil {
			return
		}
		eq := value.Equal(x, y)
		if got := serializeValue(x) == serializeValue(y); got != eq {
			t.Fatalf("serializeValue(%s) == serializeValue(%s): %v, Equal: %v", a, b, got, eq)
		}
		if got := idOf(x) == idOf(y); got != eq {
			t.Fatalf("idOf(%s) == idOf(%s): %v, Equal: %v", a, b, got, eq)
		}
		if got := CompareKeys(x, y) == 0; got != eq {
			t.Fatalf("CompareKeys(%s, %s) == 0: %v, Equal: %v", a, b, got, eq)
		}
		kx, okx := joinKeyID(x)
		ky, oky := joinKeyID(y)
		if okx && oky && (kx == ky) != eq {
			t.Fatalf("joinKeyID(%s) == joinKeyID(%s): %v, Equal: %v", a, b, kx == ky, eq)
		}
		_ = serializeTuple([]value.Value{x, y, value.Undefined()})
		_ = joinResultKey(&Row{Key: x}, &Row{Key: y})
	})
}
