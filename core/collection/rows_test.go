package collection

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"

	"github.com/streamdb/streamdb/core/value"
)

// checkTree verifies the B-tree's shape (node sizes, equal leaf depth, keys
// in order with their prefixes) and returns its keys in order.
func checkTree(t *testing.T, r *rows) []string {
	t.Helper()
	var keys []string
	leafDepth := -1
	var walk func(nd *node, depth int, root bool)
	walk = func(nd *node, depth int, root bool) {
		if !root && (nd.n < minItems || nd.n > maxItems) {
			t.Fatalf("node with %d items (want %d..%d)", nd.n, minItems, maxItems)
		}
		for i := 0; i <= nd.n; i++ {
			if nd.kids != nil {
				walk(nd.kids[i], depth+1, false)
			}
			if i == nd.n {
				break
			}
			s := r.slot(nd.idx[i])
			if got, want := nd.pre[i], keyPrefix(s.key, s.plain); got != want {
				t.Fatalf("key %q: prefix %x, want %x", s.key, got, want)
			}
			keys = append(keys, s.key)
		}
		if nd.kids == nil {
			if leafDepth >= 0 && leafDepth != depth {
				t.Fatalf("leaves at depths %d and %d", leafDepth, depth)
			}
			leafDepth = depth
		} else {
			for i := nd.n + 1; i < len(nd.kids); i++ {
				if nd.kids[i] != nil {
					t.Fatalf("stale child pointer at %d of a node with %d items", i, nd.n)
				}
			}
		}
	}
	if r.root != nil {
		walk(r.root, 0, true)
	}
	for i := 1; i < len(keys); i++ {
		if value.CompareKeys(keys[i-1], keys[i]) >= 0 {
			t.Fatalf("keys out of order: %q before %q", keys[i-1], keys[i])
		}
	}
	return keys
}

// TestRowsModel runs random upserts and removes against a map and checks,
// after every step, the tree's shape, its order (JavaScript's, by UTF-16
// code units) and its contents against the map.
func TestRowsModel(t *testing.T) {
	// Keys share long prefixes and mix characters whose UTF-8 order differs
	// from their UTF-16 order (U+E000..U+FFFF against supplementary ones).
	parts := []string{"a", "b", "message-0000", "é", "\ue000", "\uffff", "😀", "\U0010FFFF", "\x00", "z"}
	rng := rand.New(rand.NewPCG(7, 9))
	randKey := func() string {
		k := ""
		for range 1 + rng.IntN(4) {
			k += parts[rng.IntN(len(parts))]
		}
		return k
	}
	for round := range 6 {
		r := newRows()
		model := map[string]string{}
		steps := 3000
		if round == 0 {
			steps = 20000
		}
		for step := range steps {
			key := randKey()
			if rng.IntN(3) == 0 {
				_, had := model[key]
				if got := r.remove(key); got != had {
					t.Fatalf("round %d step %d: remove(%q) = %v, want %v", round, step, key, got, had)
				}
				delete(model, key)
			} else {
				val := strconv.Itoa(step)
				r.upsert(key, value.String(val), nil)
				model[key] = val
			}
			if step%97 == 0 || step == steps-1 {
				got := checkTree(t, r)
				want := make([]string, 0, len(model))
				for k := range model {
					want = append(want, k)
				}
				slices.SortFunc(want, value.CompareKeys)
				if !slices.Equal(got, want) {
					t.Fatalf("round %d step %d: keys differ\n got %q\nwant %q", round, step, got, want)
				}
				// ascendAfter from a random key (present or not) gives the
				// tail of the order after it.
				from := randKey()
				var after []string
				r.ascendAfter(from, func(k string, _ value.Value) bool {
					after = append(after, k)
					return true
				})
				i := 0
				for i < len(want) && value.CompareKeys(want[i], from) <= 0 {
					i++
				}
				if !slices.Equal(after, want[i:]) && !(len(after) == 0 && i == len(want)) {
					t.Fatalf("round %d step %d: ascendAfter(%q)\n got %q\nwant %q", round, step, from, after, want[i:])
				}
				if len(want) > 0 { // from an existing key, and stopping early
					from, n := want[rng.IntN(len(want))], 0
					r.ascendAfter(from, func(k string, _ value.Value) bool {
						if value.CompareKeys(k, from) <= 0 {
							t.Fatalf("ascendAfter(%q) gave %q", from, k)
						}
						n++
						return n < 3
					})
				}
			}
			if r.len() != len(model) {
				t.Fatalf("len %d, want %d", r.len(), len(model))
			}
			probe := randKey()
			v, ok := r.get(probe)
			if want, had := model[probe]; ok != had || (ok && !value.Equal(v, value.String(want))) {
				t.Fatalf("get(%q) = %v %v, want %q %v", probe, v, ok, want, had)
			}
		}
		// Empty it completely.
		for k := range model {
			if !r.remove(k) {
				t.Fatalf("remove(%q) found nothing", k)
			}
		}
		if r.len() != 0 || len(checkTree(t, r)) != 0 {
			t.Fatalf("not empty after removing every key")
		}
	}
}

// TestRowsSequential grows and shrinks a large tree in ascending and
// descending key order, the shapes a stream of numbered keys gives.
func TestRowsSequential(t *testing.T) {
	r := newRows()
	const n = 50_000
	key := func(i int) string { return "k" + strconv.Itoa(1_000_000+i) }
	for i := range n {
		r.upsert(key(i), value.Number(float64(i)), nil)
	}
	if got := checkTree(t, r); len(got) != n {
		t.Fatalf("%d keys, want %d", len(got), n)
	}
	r.upsert(key(5), value.Number(-1), func(old, v value.Value) value.Value {
		n, _ := old.Num()
		return value.Number(n + 100)
	})
	if v, _ := r.get(key(5)); !value.Equal(v, value.Number(105)) {
		t.Fatalf("merged value %v, want 105", v)
	}
	for i := n - 1; i >= 0; i -= 2 {
		if !r.remove(key(i)) {
			t.Fatalf("remove(%q) found nothing", key(i))
		}
	}
	if got := checkTree(t, r); len(got) != n/2 || got[0] != key(0) {
		t.Fatalf("%d keys after removing half, first %q", len(got), got[0])
	}
	slotsBefore := len(r.chunks)
	for i := 1; i < n; i += 2 {
		r.upsert(key(i), value.Number(0), nil)
	}
	if len(r.chunks) != slotsBefore {
		t.Fatalf("the slab grew from %d to %d chunks: freed slots are not reused", slotsBefore, len(r.chunks))
	}
	for i := range n {
		r.remove(key(i))
	}
	if r.len() != 0 || r.root.n != 0 {
		t.Fatalf("not empty: len %d", r.len())
	}
}
