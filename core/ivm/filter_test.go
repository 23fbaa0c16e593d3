package ivm

import (
	"math/rand/v2"
	"testing"

	"github.com/streamdb/streamdb/core/value"
)

func TestFilterTable(t *testing.T) {
	pos := func(r *Row) bool { f, ok := r.Vals[0].Num(); return ok && f > 0 }
	a := &Row{Key: value.String("a"), Vals: []value.Value{value.Number(1)}}
	b := &Row{Key: value.String("b"), Vals: []value.Value{value.Number(-1)}}
	a2 := &Row{Key: value.String("a"), Vals: []value.Value{value.Number(2)}}
	f := NewFilter(pos)
	got := f.Push(Batch{{a, 1}, {b, 1}, {a, -1}, {a2, 1}})
	want := Batch{{a, 1}, {a, -1}, {a2, 1}}
	if len(got) != len(want) {
		t.Fatalf("got %d deltas, want %d", len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("delta %d = %v, want %v", i, got[i], want[i])
		}
	}
	if out := f.Push(Batch{{b, -1}}); len(out) != 0 {
		t.Fatalf("removal of a rejected row passed: %v", out)
	}
	if out := f.Push(nil); len(out) != 0 {
		t.Fatal("empty batch gave output")
	}
}

func TestFilterModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(10, 1))
	src := newSource(rng, "k", 30, func(rng *rand.Rand) []value.Value {
		return []value.Value{pick(rng, pool), pick(rng, pool)}
	})
	keep := func(r *Row) bool {
		k := r.Vals[0].Kind()
		return k == value.KindString || k == value.KindNumber && value.ToNumber(r.Vals[0]) > 0
	}
	f := NewFilter(keep)
	out := acc{}
	for step := range steps() {
		out.apply(t, step, f.Push(src.batch()))
		var want []*Row
		for _, r := range src.list() {
			if keep(r) {
				want = append(want, r)
			}
		}
		out.check(t, step, want, false)
	}
}

func TestMapModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 1))
	src := newSource(rng, "k", 30, func(rng *rand.Rand) []value.Value {
		return []value.Value{pick(rng, pool), pick(rng, pool)}
	})
	fn := func(r *Row) *Row {
		if r.Vals[0].IsUndefined() {
			return nil // dropped
		}
		var ob value.ObjectBuilder
		ob.Add("a", r.Vals[0])
		ob.Add("b", r.Vals[1])
		s := ob.Build()
		return &Row{Vals: []value.Value{r.Vals[1], s}, Sel: s}
	}
	m := NewMap(func(r *Row, _ *Rows) *Row { return fn(r) })
	out := acc{}
	for step := range steps() {
		out.apply(t, step, m.Push(src.batch()))
		var want []*Row
		for _, r := range src.list() {
			if x := fn(r); x != nil {
				x.Key = r.Key
				want = append(want, x)
			}
		}
		out.check(t, step, want, false)
	}
	// A Map may set another key.
	rekey := NewMap(func(r *Row, _ *Rows) *Row { return &Row{Key: value.String("x"), Vals: r.Vals} })
	got := rekey.Push(Batch{{&Row{Key: value.String("a")}, 1}})
	if s, _ := got[0].Row.Key.Str(); s != "x" {
		t.Fatalf("key = %v", got[0].Row.Key)
	}
}
