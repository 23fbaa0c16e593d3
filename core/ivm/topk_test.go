package ivm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/streamdb/streamdb/core/value"
)

// byVal0 orders rows by their first value (nullish first, then
// value.Compare), without a key tie-break: TopK adds it.
func byVal0(a, b *Row) int {
	x, y := a.Vals[0], b.Vals[0]
	xn, yn := x.IsNullish(), y.IsNullish()
	switch {
	case xn && yn:
		return 0
	case xn:
		return -1
	case yn:
		return 1
	}
	return value.Compare(x, y, nil)
}

func topKModel(rows []*Row, cmp func(a, b *Row) int, offset, limit int) []*Row {
	rows = slices.Clone(rows)
	slices.SortFunc(rows, totalOrder(cmp))
	if offset > len(rows) {
		return nil
	}
	rows = rows[offset:]
	if limit >= 0 && limit < len(rows) {
		rows = rows[:limit]
	}
	return rows
}

func TestTopKModel(t *testing.T) {
	windows := [][2]int{{0, -1}, {0, 5}, {3, 4}, {2, 0}, {10, -1}, {0, 1}}
	for _, w := range windows {
		t.Run(fmt.Sprintf("offset%d/limit%d", w[0], w[1]), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(50, uint64(w[0]*100+w[1])))
			src := newSource(rng, "k", 120, func(rng *rand.Rand) []value.Value {
				return []value.Value{pick(rng, pool)}
			})
			tk := NewTopK(byVal0, w[0], w[1])
			offset, limit := w[0], w[1]
			out := acc{}
			for step := range steps() {
				if rng.IntN(20) == 0 {
					// Move the window.
					offset, limit = rng.IntN(8), rng.IntN(10)-1
					out.apply(t, step, tk.SetWindow(offset, limit))
				} else {
					out.apply(t, step, tk.Push(src.batch()))
				}
				out.check(t, step, topKModel(src.list(), byVal0, offset, limit), false)
				if tk.Len() != len(src.rows) {
					t.Fatalf("step %d: Len %d want %d", step, tk.Len(), len(src.rows))
				}
			}
		})
	}
}

// The first batch into an empty TopK is built at once.
func TestTopKBuild(t *testing.T) {
	rng := rand.New(rand.NewPCG(51, 1))
	var b Batch
	var rows []*Row
	for i := range 1000 {
		r := &Row{Key: str(fmt.Sprint("k", i)), Vals: []value.Value{num(float64(rng.IntN(100)))}}
		rows = append(rows, r)
		b = append(b, Delta{Row: r, Mult: 1})
	}
	tk := NewTopK(byVal0, 10, 20)
	out := acc{}
	out.apply(t, 0, tk.Push(b))
	out.check(t, 0, topKModel(rows, byVal0, 10, 20), false)
	checkTree(t, tk.tree, topKModel(rows, byVal0, 0, -1))
	// A first batch that is not only additions goes one by one: k5 is
	// added, removed (the removal carries the row) and added again.
	tk2 := NewTopK(byVal0, 0, 3)
	b2 := append(Batch{}, b[:100]...)
	b2 = append(b2, Delta{Row: rows[5], Mult: -1}, Delta{Row: &Row{Key: str("k5"), Vals: []value.Value{num(-1)}}, Mult: 1})
	out2 := acc{}
	out2.apply(t, 0, tk2.Push(b2))
	if tk2.Len() != 100 {
		t.Fatalf("Len %d", tk2.Len())
	}
	if first, _ := tk2.tree.At(0); first == nil || !value.Equal(first.Key, str("k5")) {
		t.Fatalf("first row %v, want k5", first)
	}
}

// A first build sorted by number keys (SetNumberKey) gives the tree and
// window cmp gives, with ties (equal numbers, -0 and 0) left to cmp, and
// falls back to cmp when a row has no number.
func TestTopKBuildByNumber(t *testing.T) {
	numKey := func(r *Row) (float64, int, bool) {
		f, ok := r.Vals[0].Num()
		return f, 0, ok && f == f
	}
	for _, tc := range []struct {
		name  string
		value func(rng *rand.Rand, i int) value.Value
	}{
		{"numbers with ties", func(rng *rand.Rand, i int) value.Value { return num(float64(rng.IntN(50))) }},
		{"zeros", func(rng *rand.Rand, i int) value.Value {
			if i%2 == 0 {
				return num(0)
			}
			return num(math.Copysign(0, -1))
		}},
		{"one string", func(rng *rand.Rand, i int) value.Value {
			if i == 500 {
				return str("x")
			}
			return num(rng.Float64())
		}},
		{"NaN and null", func(rng *rand.Rand, i int) value.Value {
			switch i % 7 {
			case 0:
				return value.Null()
			case 1:
				return num(math.NaN())
			}
			return num(float64(rng.IntN(9)))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(52, 1))
			var b Batch
			var rows []*Row
			for i := range 1000 {
				r := &Row{Key: str(fmt.Sprint("k", rng.IntN(1e6), "-", i)), Vals: []value.Value{tc.value(rng, i)}}
				rows = append(rows, r)
				b = append(b, Delta{Row: r, Mult: 1})
			}
			cmp := func(a, b *Row) int {
				if c := byVal0(a, b); c != 0 {
					return c
				}
				return CompareKeys(a.Key, b.Key)
			}
			tk := NewTopK(cmp, 10, 20)
			tk.SetNumberKey(numKey)
			out := acc{}
			out.apply(t, 0, tk.Push(b))
			out.check(t, 0, topKModel(rows, cmp, 10, 20), false)
			checkTree(t, tk.tree, topKModel(rows, cmp, 0, -1))
		})
	}
}
