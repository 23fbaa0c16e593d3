package ivm

import (
	"math/rand/v2"
	"testing"

	"github.com/streamdb/streamdb/core/value"
)

func TestDistinctModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(40, 1))
	src := newSource(rng, "k", 40, func(rng *rand.Rand) []value.Value {
		return []value.Value{pick(rng, pool)}
	})
	d := NewDistinct()
	out := acc{}
	for step := range steps() {
		b := src.batch()
		// Sel is the row's only value.
		for _, dl := range b {
			dl.Row.Sel = dl.Row.Vals[0]
		}
		out.apply(t, step, d.Push(b))
		var want []*Row
		seen := map[string]bool{}
		for _, r := range src.list() {
			k := serializeValue(r.Vals[0])
			if !seen[k] {
				seen[k] = true
				want = append(want, &Row{Key: str(k), Sel: r.Vals[0]})
			}
		}
		out.check(t, step, want, true)
		// Distinct values are distinct under value.Equal.
		var sels []value.Value
		for _, r := range out {
			for _, s := range sels {
				if value.Equal(s, r.Sel) {
					t.Fatalf("step %d: %v twice", step, s)
				}
			}
			sels = append(sels, r.Sel)
			// The output row's Vals are those of a row with the value.
			if !value.Equal(r.Vals[0], r.Sel) {
				t.Fatalf("step %d: row %s", step, fmtRow(r))
			}
		}
		if d.Len() != len(want) {
			t.Fatalf("step %d: Len %d want %d", step, d.Len(), len(want))
		}
	}
}

func TestDistinctTable(t *testing.T) {
	r := func(k, sel string) *Row {
		v := value.MustParse(sel)
		return &Row{Key: str(k), Vals: []value.Value{v}, Sel: v}
	}
	d := NewDistinct()
	out := d.Push(Batch{{r("a", `{"x":1,"y":2}`), 1}, {r("b", `{"y":2,"x":1}`), 1}, {r("c", `1`), 1}})
	if len(out) != 2 {
		t.Fatalf("got %d rows", len(out))
	}
	if k, _ := out[0].Row.Key.Str(); k != `{"x":1,"y":2}` {
		t.Fatalf("key %q", k)
	}
	// Removing one of two rows with the value changes nothing.
	if out := d.Push(Batch{{r("a", `{"x":1,"y":2}`), -1}}); len(out) != 0 {
		t.Fatalf("got %v", out)
	}
	// An update of the last row to the same value changes nothing.
	if out := d.Push(Batch{{r("b", `{"y":2,"x":1}`), -1}, {r("b", `{"x":1,"y":2}`), 1}}); len(out) != 0 {
		t.Fatalf("got %v", out)
	}
	if out := d.Push(Batch{{r("b", `{}`), -1}}); len(out) != 1 || out[0].Mult != -1 {
		t.Fatalf("got %v", out)
	}
}
