package collection

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamdb/streamdb/core/value"
)

func v(s string) value.Value { return value.MustParse(s) }

func keys(c *Collection) []string {
	var out []string
	c.Range(func(k string, _ value.Value) bool {
		out = append(out, k)
		return true
	})
	return out
}

func TestSyncedWritesAndChanges(t *testing.T) {
	c := New("users", "user", "id")
	c.Begin()
	c.Put("b", v(`{"n":1}`))
	c.Put("a", v(`{"n":2}`))
	c.Put("b", v(`{"n":3}`))
	c.Remove("zz") // unknown: nothing
	ch := c.End(true)
	assert.Equal(t, []Change{{Type: Insert, Key: "a", Value: v(`{"n":2}`)}, {Type: Insert, Key: "b", Value: v(`{"n":3}`)}}, ch,
		"changes compare the state before and after the batch; a batch on an empty collection gives inserts in key order")
	assert.Equal(t, []string{"a", "b"}, keys(c), "rows are kept in key order")

	c.Begin()
	c.Put("b", v(`{"n":4}`))
	c.Put("a", v(`{"n":2}`)) // same value: no change
	c.Remove("a")
	c.Put("c", v(`{}`))
	c.Remove("c") // in and out in one batch: nothing
	ch = c.End(true)
	assert.Equal(t, []Change{{Type: Update, Key: "b", Value: v(`{"n":4}`), Previous: v(`{"n":3}`)}, {Type: Delete, Key: "a", Value: v(`{"n":2}`)}}, ch,
		"otherwise in the order the keys were first touched")

	c.Begin()
	c.Truncate()
	c.Put("b", v(`{"n":4}`))
	assert.Empty(t, c.End(true), "truncate then the same row again: nothing visible changed")
	assert.Equal(t, 1, c.Size())
}

func TestOverlay(t *testing.T) {
	c := New("users", "user", "id")
	c.Begin()
	c.Put("a", v(`{"n":1}`))
	c.Put("c", v(`{"n":3}`))
	c.End(true)

	c.Begin()
	c.SetOverlay(map[string]Overlay{"b": {Value: v(`{"n":2}`)}, "c": {Deleted: true}, "a": {Value: v(`{"n":10}`)}})
	ch := c.End(true)
	assert.ElementsMatch(t, []string{"insert b", "delete c", "update a"}, briefs(ch))
	assert.Equal(t, []string{"a", "b"}, keys(c))
	assert.Equal(t, 2, c.Size())
	got, _ := c.Get("a")
	assert.Equal(t, `{"n":10}`, got.JSON())
	syn, _ := c.Synced("a")
	assert.Equal(t, `{"n":1}`, syn.JSON())

	// A synced change under an overlay is not visible.
	c.Begin()
	c.Put("a", v(`{"n":11}`))
	assert.Empty(t, c.End(true))

	c.Begin()
	c.SetOverlay(nil)
	ch = c.End(true)
	assert.ElementsMatch(t, []string{"delete b", "insert c", "update a"}, briefs(ch))
	got, _ = c.Get("a")
	assert.Equal(t, `{"n":11}`, got.JSON())
}

func TestKeyOrderIsUTF16(t *testing.T) {
	c := New("x", "x", "id")
	c.Begin()
	for _, k := range []string{"b", "a", "\uffff", "😀", "A", "10", "9"} {
		c.Put(k, v(`{}`))
	}
	c.End(true)
	assert.Equal(t, []string{"10", "9", "A", "a", "b", "😀", "\uffff"}, keys(c), "JavaScript string order: surrogate pairs sort before U+E000..U+FFFF")
}

func briefs(ch []Change) []string {
	out := make([]string, len(ch))
	for i, c := range ch {
		out[i] = c.Type.String() + " " + c.Key
	}
	return out
}

// TestRandomAgainstModel applies random synced writes, truncates and
// overlays, and after every batch checks the collection, and the changes
// it reported, against a plain map recomputed from scratch.
func TestRandomAgainstModel(t *testing.T) {
	for seed := range uint64(20) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 1))
			c := New("x", "x", "id")
			synced := map[string]value.Value{}
			overlay := map[string]Overlay{}
			visible := func() map[string]value.Value {
				out := map[string]value.Value{}
				for k, v := range synced {
					out[k] = v
				}
				for k, o := range overlay {
					if o.Deleted {
						delete(out, k)
					} else {
						out[k] = o.Value
					}
				}
				return out
			}
			seen := visible()
			// Keys share long prefixes and include characters whose UTF-8
			// order differs from JavaScript's UTF-16 order.
			names := []string{"k0", "k1", "k10", "k2", "key-00000001", "key-00000002", "key-0000000", "😀", "\uffff", "a\ue000", "a😀", "", "ab\x00", "ab"}
			key := func() string { return names[rng.IntN(len(names))] }
			for step := range 200 {
				c.Begin()
				for range rng.IntN(6) {
					k := key()
					val := v(fmt.Sprintf(`{"n":%d}`, rng.IntN(3)))
					switch r := rng.IntN(20); {
					case r < 10:
						c.Put(k, val)
						synced[k] = val
					case r < 17:
						c.Remove(k)
						delete(synced, k)
					case r < 18:
						c.Truncate()
						synced = map[string]value.Value{}
					default:
						next := map[string]Overlay{}
						for range rng.IntN(4) {
							next[key()] = Overlay{Deleted: rng.IntN(3) == 0, Value: val}
						}
						c.SetOverlay(next)
						overlay = next
					}
				}
				changes := c.End(true)
				want := visible()

				// The collection equals the model, in key order.
				var wantKeys []string
				for k := range want {
					wantKeys = append(wantKeys, k)
				}
				sort.Slice(wantKeys, func(i, j int) bool { return value.CompareKeys(wantKeys[i], wantKeys[j]) < 0 })
				if len(wantKeys) == 0 {
					wantKeys = nil
				}
				require.Equal(t, wantKeys, keys(c), "step %d", step)
				require.Equal(t, len(want), c.Size(), "step %d", step)
				for k, wv := range want {
					got, ok := c.Get(k)
					require.True(t, ok)
					require.True(t, value.Equal(wv, got))
				}
				// The reported changes turn the previous state into this one.
				replayed := map[string]value.Value{}
				for k, v := range seen {
					replayed[k] = v
				}
				for _, ch := range changes {
					switch ch.Type {
					case Insert:
						require.NotContains(t, replayed, ch.Key)
						replayed[ch.Key] = ch.Value
					case Update:
						require.True(t, value.Equal(replayed[ch.Key], ch.Previous))
						replayed[ch.Key] = ch.Value
					case Delete:
						require.True(t, value.Equal(replayed[ch.Key], ch.Value))
						delete(replayed, ch.Key)
					}
				}
				require.Equal(t, len(want), len(replayed))
				for k, wv := range want {
					require.True(t, value.Equal(wv, replayed[k]), "step %d key %s", step, k)
				}
				seen = want
			}
		})
	}
}

// TestRangeKeys checks that RangeKeys gives Range's rows with keys as
// String Values, marked value.Quoted exactly when their JSON needs no
// escape (the flag each row's slot keeps), also after a key's slot is
// reused and under an overlay, whose keys it does not mark.
func TestRangeKeys(t *testing.T) {
	names := []string{"m1", "u 2", `q"`, `a\b`, "tab\t", "nl\n", "del\x7f", "é", "日本", "😀", "~", "x"}
	c := New("x", "x", "id")
	c.Begin()
	for _, k := range names {
		c.Put(k, v(`{}`))
	}
	c.End(true)
	// A deleted row's slot is reused by the next key stored.
	c.Begin()
	c.Remove("x")
	c.End(true)
	c.Begin()
	c.Put(`y"`, v(`{}`))
	c.End(true)
	check := func(overlay map[string]bool) {
		t.Helper()
		var got []string
		c.RangeKeys(func(k, _ value.Value) bool {
			s, ok := k.Str()
			require.True(t, ok, "a key that is not a String: %s", k.JSON())
			assert.Equal(t, string(value.AppendJSON(nil, value.String(s))), string(value.AppendJSON(nil, k)), "the JSON of key %q", s)
			want := !value.StringNeedsEscape(s) && !overlay[s]
			assert.Equal(t, want, k.Quoted(), "Quoted of key %q", s)
			got = append(got, s)
			return true
		})
		assert.Equal(t, keys(c), got)
	}
	check(nil)
	c.Begin()
	c.SetOverlay(map[string]Overlay{"b": {Value: v(`{}`)}, `q"`: {Deleted: true}})
	c.End(true)
	// Under an overlay every key goes through Range, unmarked.
	all := map[string]bool{}
	for _, k := range keys(c) {
		all[k] = true
	}
	check(all)
}
