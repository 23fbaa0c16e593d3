package ivm

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/streamdb/streamdb/core/value"
)

func TestUnionKey(t *testing.T) {
	// The texts are TanStack DB 0.15.2's (encodeKeyForUnionBranch) for the
	// same JavaScript keys.
	for _, c := range []struct {
		k    value.Value
		want string
	}{
		{value.String("u1"), "string:u1"},
		{value.String(""), "string:"},
		{value.String(`["a","b"]`), `string:["a","b"]`},
		{value.Number(2), "number:2"},
		{value.Number(-1.5), "number:-1.5"},
		{value.Number(math.Copysign(0, -1)), "number:0"},
		{value.Number(1e300), "number:1e+300"},
		{value.Number(1e21), "number:1e+21"},
		{value.Number(0.1), "number:0.1"},
		{value.Number(math.NaN()), "number:NaN"},
		{value.Number(math.Inf(-1)), "number:-Infinity"},
		{value.Bool(true), "boolean:true"},
		{value.Null(), "object:null"},
		{value.Undefined(), "undefined:undefined"},
		{value.MustParse(`[1,"x"]`), `object:[1,"x"]`},
	} {
		if got := UnionKey(c.k); got != c.want {
			t.Errorf("UnionKey(%v) = %q, want %q", c.k, got, c.want)
		}
	}
}

// TestUnionModel feeds random batches to the inputs of a union, one input a
// step, and checks the accumulated output against the union recomputed
// from every input's current rows.
func TestUnionModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 1))
	gen := func(rng *rand.Rand) []value.Value { return []value.Value{pick(rng, pool)} }
	// Inputs a and b use equal keys ("k3" in both), so only the tags keep
	// their rows apart; input c gives its value in Sel, as a query's rows.
	srcs := []*source{newSource(rng, "k", 20, gen), newSource(rng, "k", 20, gen), newSource(rng, "c", 10, gen)}
	inputs := []UnionInput{{Tag: "a:", Slot: 0}, {Tag: "b:", Slot: 1}, {Tag: "2:", Slot: 2, Sel: true}}
	asSel := func(b Batch) Batch {
		out := make(Batch, len(b))
		for i, d := range b {
			out[i] = Delta{Row: &Row{Key: d.Row.Key, Sel: d.Row.Vals[0]}, Mult: d.Mult}
		}
		return out
	}
	u := NewUnion(3, inputs)
	out := acc{}
	for step := range steps() {
		i := rng.IntN(len(srcs))
		b := srcs[i].batch()
		if inputs[i].Sel {
			b = asSel(b)
		}
		out.apply(t, step, u.Push(i, b))
		var want []*Row
		for j, s := range srcs {
			for _, r := range s.list() {
				w := &Row{Key: value.String(inputs[j].Tag + UnionKey(r.Key)), Vals: make([]value.Value, 3)}
				w.Vals[inputs[j].Slot] = r.Vals[0]
				want = append(want, w)
			}
		}
		out.check(t, step, want, false)
	}
}
