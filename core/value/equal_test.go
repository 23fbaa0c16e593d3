package value

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestEqualAndHash(t *testing.T) {
	tests := []struct {
		name string
		a, b Value
		eq   bool
	}{
		{"undefined", Undefined(), Undefined(), true},
		{"null", Null(), Null(), true},
		{"null vs undefined", Null(), Undefined(), false},
		{"bools", Bool(true), Bool(true), true},
		{"bools differ", Bool(true), Bool(false), false},
		{"1 and 1.0", Number(1), MustParse("1.0"), true},
		{"1 and 1e0", MustParse("1e0"), MustParse("1"), true},
		{"-0 and 0", Number(math.Copysign(0, -1)), Number(0), true},
		{"NaN", Number(math.NaN()), Number(math.NaN()), true},
		{"NaN vs 1", Number(math.NaN()), Number(1), false},
		{"number vs string", Number(1), String("1"), false},
		{"strings", String("a"), MustParse(`"\u0061"`), true},
		{"strings differ", String("a"), String("b"), false},
		{"arrays", MustParse(`[1,"a",null]`), MustParse(`[1.0, "a", null]`), true},
		{"arrays differ", MustParse(`[1,2]`), MustParse(`[1,2,3]`), false},
		{"arrays prefix", MustParse(`[1,2,3]`), MustParse(`[1,2]`), false},
		{"empty array vs array", MustParse(`[]`), MustParse(`[1]`), false},
		{"objects permuted", MustParse(`{"a":1,"b":[1,{"c":2,"d":3}]}`), MustParse(`{"b":[1,{"d":3,"c":2}],"a":1}`), true},
		{"objects subset", MustParse(`{"a":1}`), MustParse(`{"a":1,"b":2}`), false},
		{"objects superset", MustParse(`{"a":1,"b":2}`), MustParse(`{"b":2}`), false},
		{"objects value differ", MustParse(`{"a":1,"b":2}`), MustParse(`{"b":2,"a":2}`), false},
		{"object vs array", MustParse(`{}`), MustParse(`[]`), false},
		{"nested null vs missing", MustParse(`{"a":null}`), MustParse(`{}`), false},
		{"array of objects", MustParse(`[{"a":1,"b":2},{}]`), MustParse(`[{"b":2,"a":1},{}]`), true},
		{"array of objects differ", MustParse(`[{"a":1,"b":2},{}]`), MustParse(`[{"b":2,"a":1},[]]`), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.eq, Equal(tt.a, tt.b))
			assert.Equal(t, tt.eq, Equal(tt.b, tt.a))
			assert.True(t, Equal(tt.a, tt.a))
			if tt.eq {
				assert.Equal(t, hash(tt.a, 1), hash(tt.b, 1))
			} else {
				assert.NotEqual(t, hash(tt.a, 1), hash(tt.b, 1))
			}
		})
	}
}

func TestHashDeterministic(t *testing.T) {
	// Fixed values: the hash must not change between runs or platforms.
	v := MustParse(`{"a":1,"b":[true,"x"]}`)
	assert.Equal(t, hash(v, 42), hash(MustParse(`{"b":[true,"x"],"a":1.0}`), 42))
	assert.NotEqual(t, hash(v, 1), hash(v, 2))
	assert.Equal(t, uint64(0x54574b2fd093c6c3), hash(String("hello"), 0), "hash of a string changed")
}

// randomJSON builds a random JSON value as a Go value and its text, with
// object keys in random order.
func randomJSON(r *rand.Rand, depth int) string {
	switch k := r.IntN(8); {
	case k == 0:
		return "null"
	case k == 1:
		return []string{"true", "false"}[r.IntN(2)]
	case k == 2:
		return []string{"0", "1", "1.0", "-2.5e3", "1e-7", "123456789"}[r.IntN(6)]
	case k == 3 || depth > 3:
		return []string{`""`, `"a"`, `"\u0041"`, `"é\n"`, `"😀"`}[r.IntN(5)]
	case k < 6:
		n := r.IntN(4)
		parts := make([]string, n)
		for i := range parts {
			parts[i] = randomJSON(r, depth+1)
		}
		return "[" + strings.Join(parts, ",") + "]"
	default:
		keys := []string{"a", "b", "1", "0", "zz", "10"}
		r.Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
		n := r.IntN(len(keys) + 1)
		parts := make([]string, n)
		for i := range parts {
			parts[i] = `"` + keys[i] + `":` + randomJSON(r, depth+1)
		}
		return "{" + strings.Join(parts, ",") + "}"
	}
}

// permute rewrites every object in v with its keys in a random order (not
// JS order, so the text goes through Parse's rewriting path).
func permute(r *rand.Rand, v Value) string {
	switch v.Kind() {
	case KindArray:
		var parts []string
		v.Elems(func(_ int, e Value) bool { parts = append(parts, permute(r, e)); return true })
		return "[" + strings.Join(parts, ",") + "]"
	case KindObject:
		var parts []string
		v.Fields(func(k string, e Value) bool {
			parts = append(parts, Encode(String(k))+":"+permute(r, e))
			return true
		})
		r.Shuffle(len(parts), func(i, j int) { parts[i], parts[j] = parts[j], parts[i] })
		return "{" + strings.Join(parts, ",") + "}"
	}
	return Encode(v)
}

func TestEqualImpliesSameHash(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 5000 {
		a := MustParse(randomJSON(r, 0))
		b := MustParse(permute(r, a))
		assert.True(t, Equal(a, b), "%s vs %s", a, b)
		assert.Equal(t, hash(a, 7), hash(b, 7), "%s vs %s", a, b)
		c := MustParse(randomJSON(r, 0))
		if Equal(a, c) {
			assert.Equal(t, hash(a, 7), hash(c, 7), "%s vs %s", a, c)
		} else if hash(a, 7) == hash(c, 7) {
			t.Errorf("collision: %s vs %s", a, c)
		}
	}
}

func FuzzEqualHash(f *testing.F) {
	f.Add(uint64(1), uint64(2))
	f.Fuzz(func(t *testing.T, s1, s2 uint64) {
		r := rand.New(rand.NewPCG(s1, s2))
		a := MustParse(randomJSON(r, 0))
		b := MustParse(permute(r, a))
		if !Equal(a, b) || hash(a, s1) != hash(b, s1) {
			t.Fatalf("%s vs %s", a, b)
		}
	})
}
