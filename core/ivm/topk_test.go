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
	return window(rows, offset, limit)
}

// window returns the rows of sorted from offset, at most limit of them
// (all when limit < 0).
func window(rows []*Row, offset, limit int) []*Row {
	if offset > len(rows) {
		return nil
	}
	rows = rows[offset:]
	if limit >= 0 && limit < len(rows) {
		rows = rows[:limit]
	}
	return rows
}

// checkTopK checks what tk holds against all, every row given and not
// removed: the tree holds a prefix of all's order, at least the window
// when the bag holds rows, and the bag the other rows.
func checkTopK(t *testing.T, step int, tk *TopK, all []*Row) {
	t.Helper()
	checkTopKOrder(t, step, tk, topKModel(imagesOf(tk, all), tk.cmp, 0, -1))
}

// checkTopKOrder is checkTopK given every row's image in order.
func checkTopKOrder(t *testing.T, step int, tk *TopK, want []*Row) {
	t.Helper()
	n := tk.tree.Len()
	if n > len(want) {
		t.Fatalf("step %d: tree holds %d rows of %d", step, n, len(want))
	}
	checkTree(t, tk.tree, want[:n])
	if e := tk.end(); n < len(want) && (e < 0 || n < e) {
		t.Fatalf("step %d: tree holds %d rows, window ends at %d, %d rows in all", step, n, e, len(want))
	}
	// The bag's removed rows are still in it: each removal hides one.
	dead := map[keyID][]*Row{}
	for _, ds := range tk.dead.strs {
		for _, d := range ds {
			dead[idOf(d.Key)] = append(dead[idOf(d.Key)], d)
		}
	}
	for id, ds := range tk.dead.other {
		dead[id] = append(dead[id], ds...)
	}
	var live []*Row
	for _, r := range imagesOf(tk, tk.bag) {
		id := idOf(r.Key)
		if i := slices.IndexFunc(dead[id], func(d *Row) bool { return tk.cmp(d, r) == 0 }); i >= 0 {
			dead[id] = slices.Delete(dead[id], i, i+1)
			continue
		}
		live = append(live, r)
	}
	got := topKModel(live, tk.cmp, 0, -1)
	if len(got) != len(want)-n || tk.bagLen() != len(got) {
		t.Fatalf("step %d: bag holds %d rows (bagLen %d), want %d", step, len(got), tk.bagLen(), len(want)-n)
	}
	for i, r := range got {
		if tk.cmp(r, want[n+i]) != 0 {
			t.Fatalf("step %d: bag row %s, want %s", step, fmtRow(r), fmtRow(want[n+i]))
		}
	}
}

// imagesOf returns the images of rows as tk orders them (the rows
// themselves without SetSource).
func imagesOf(tk *TopK, rows []*Row) []*Row {
	if tk.sortValues == nil {
		return rows
	}
	out := make([]*Row, len(rows))
	for i, r := range rows {
		out[i] = &Row{Key: r.Key, Sel: r.Sel, Vals: make([]value.Value, tk.width)}
		tk.sortValues(r, out[i].Vals)
	}
	return out
}

// TestTopKModel checks a TopK against a full sort after every step, for
// windows with and without a limit, small and default slacks, and rows
// given as they are (the TopK's own rows) or before their sort values
// (SetSource: the rows carry [other, sort value] and the TopK orders by
// the second, so that comparing a row as given would read the wrong
// value).
func TestTopKModel(t *testing.T) {
	windows := [][2]int{{0, -1}, {0, 5}, {3, 4}, {2, 0}, {10, -1}, {0, 1}}
	for _, w := range windows {
		for _, slack := range []int{1, 3, topKSlack} {
			for _, source := range []bool{false, true} {
				t.Run(fmt.Sprintf("offset%d/limit%d/slack%d/source=%v", w[0], w[1], slack, source), func(t *testing.T) {
					testTopKModel(t, w, slack, source)
				})
			}
		}
	}
}

func testTopKModel(t *testing.T, w [2]int, slack int, source bool) {
	rng := rand.New(rand.NewPCG(50, uint64(w[0]*100+w[1]+slack*10000)))
	src := newSource(rng, "k", 120, func(rng *rand.Rand) []value.Value {
		if source {
			return []value.Value{pick(rng, pool), pick(rng, pool)}
		}
		return []value.Value{pick(rng, pool)}
	})
	tk := NewTopK(byVal0, w[0], w[1])
	tk.slack = slack
	if source {
		tk.SetSource(1, func(r *Row, vals []value.Value) { vals[0] = r.Vals[1] }, nil)
	}
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
		order := topKModel(imagesOf(tk, src.list()), byVal0, 0, -1)
		out.check(t, step, window(order, offset, limit), false)
		if tk.Len() != len(src.rows) {
			t.Fatalf("step %d: Len %d want %d", step, tk.Len(), len(src.rows))
		}
		checkTopKOrder(t, step, tk, order)
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
	checkTopK(t, 0, tk, rows)
	if tk.tree.Len() != 30+topKSlack {
		t.Fatalf("tree holds %d rows, want the window and the slack, %d", tk.tree.Len(), 30+topKSlack)
	}
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
			for _, whole := range []bool{false, true} {
				tk := NewTopK(cmp, 10, 20)
				tk.SetNumberKey(numKey, whole)
				out := acc{}
				out.apply(t, 0, tk.Push(b))
				out.check(t, 0, topKModel(rows, cmp, 10, 20), false)
				checkTopK(t, 0, tk, rows)
			}
		})
	}
}
