package ivm

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/streamdb/streamdb/core/value"
)

// Benchmarks. The per-change benchmarks time one change (a -old +new
// update, or an insertion and its removal) against state of n rows built
// before the timer starts; the cost should stay flat as n grows.

// cpuTimer reports the process's CPU time per op next to the wall time:
// on a shared machine the wall time of a benchmark is inflated by the time
// it waits for a CPU. Call it after the setup; its result reports.
func cpuTimer(b *testing.B) func() {
	b.Helper()
	start := cpuNow()
	return func() {
		b.ReportMetric(float64(cpuNow()-start)/float64(b.N), "cpu-ns/op")
	}
}

// benchRow is a row as the orderBy stage leaves it: the source value,
// then the evaluated order key.
func benchRow(i int, score float64) *Row {
	r := NewRow(value.String(fmt.Sprintf("k%07d", i)), 2)
	r.Vals[1] = value.Number(score)
	return r
}

func byScore(a, b *Row) int {
	if c := value.Compare(a.Vals[1], b.Vals[1], nil); c != 0 {
		return c
	}
	return CompareKeys(a.Key, b.Key)
}

func BenchmarkTopK(b *testing.B) {
	const big = 1_000_000
	rng := rand.New(rand.NewPCG(1, 1))
	rows := make([]*Row, big)
	load := make(Batch, big)
	for i := range rows {
		rows[i] = benchRow(i, float64(rng.IntN(1<<30)))
		load[i] = Delta{Row: rows[i], Mult: 1}
	}
	b.Run("build1M", func(b *testing.B) {
		defer cpuTimer(b)()
		for b.Loop() {
			t := NewTopK(byScore, 0, 10)
			t.Push(load)
		}
	})
	b.Run("build1M-one-by-one", func(b *testing.B) {
		defer cpuTimer(b)()
		for b.Loop() {
			t := NewTopK(byScore, 0, 10)
			for i := range load {
				t.Push(load[i : i+1])
			}
		}
	})
	for _, n := range []int{10_000, 100_000, big} {
		b.Run(fmt.Sprintf("change/%d", n), func(b *testing.B) {
			t := NewTopK(byScore, 0, 10)
			t.Push(load[:n])
			cur := append([]*Row(nil), rows[:n]...)
			rng := rand.New(rand.NewPCG(2, 2))
			b.ResetTimer()
			defer cpuTimer(b)()
			for b.Loop() {
				i := rng.IntN(n)
				nr := NewRow(cur[i].Key, 2)
				nr.Vals[1] = value.Number(float64(rng.IntN(1 << 30)))
				t.Push(Batch{{Row: cur[i], Mult: -1}, {Row: nr, Mult: 1}})
				cur[i] = nr
			}
		})
	}
}

func BenchmarkGroupBy(b *testing.B) {
	b.Run("load-count/1000000", func(b *testing.B) {
		n, groups := 1_000_000, 10_000
		load := make(Batch, n)
		for i := range load {
			r := benchRow(i, float64(i%groups))
			r.Vals[0] = value.Number(1)
			load[i] = Delta{Row: r, Mult: 1}
		}
		defer cpuTimer(b)()
		for b.Loop() {
			g := NewGroupBy(
				[]func(*Row) value.Value{func(r *Row) value.Value { return r.Vals[1] }},
				[]AggSpec{{Kind: AggCount, Arg: func(r *Row) value.Value { return r.Vals[0] }}},
				func(key, av []value.Value) *Row { return &Row{Vals: []value.Value{key[0], av[0]}} })
			g.Push(load)
		}
	})
	for _, n := range []int{10_000, 1_000_000} {
		groups := n / 100
		b.Run(fmt.Sprintf("count/%d", n), func(b *testing.B) {
			g := NewGroupBy(
				[]func(*Row) value.Value{func(r *Row) value.Value { return r.Vals[1] }},
				[]AggSpec{{Kind: AggCount, Arg: func(r *Row) value.Value { return r.Vals[0] }}},
				func(key, av []value.Value) *Row { return &Row{Vals: []value.Value{key[0], av[0]}} })
			rows := make([]*Row, n)
			load := make(Batch, n)
			for i := range rows {
				rows[i] = benchRow(i, float64(i%groups))
				rows[i].Vals[0] = value.Number(1)
				load[i] = Delta{Row: rows[i], Mult: 1}
			}
			g.Push(load)
			rng := rand.New(rand.NewPCG(3, 3))
			b.ResetTimer()
			defer cpuTimer(b)()
			for b.Loop() {
				// Move a row to another group: two groups change.
				i := rng.IntN(n)
				nr := &Row{Key: rows[i].Key, Vals: []value.Value{value.Number(1), value.Number(float64(rng.IntN(groups)))}}
				g.Push(Batch{{Row: rows[i], Mult: -1}, {Row: nr, Mult: 1}})
				rows[i] = nr
			}
		})
	}
	for _, n := range []int{10_000, 1_000_000} {
		b.Run(fmt.Sprintf("sum-avg-min-max/%d", n), func(b *testing.B) {
			groups := n / 100
			arg := func(r *Row) value.Value { return r.Vals[0] }
			g := NewGroupBy(
				[]func(*Row) value.Value{func(r *Row) value.Value { return r.Vals[1] }},
				[]AggSpec{{AggSum, arg}, {AggAvg, arg}, {AggMin, arg}, {AggMax, arg}},
				func(key, av []value.Value) *Row { return &Row{Vals: append([]value.Value{key[0]}, av...)} })
			rng := rand.New(rand.NewPCG(4, 4))
			rows := make([]*Row, n)
			load := make(Batch, n)
			for i := range rows {
				rows[i] = benchRow(i, float64(i%groups))
				rows[i].Vals[0] = value.Number(float64(rng.IntN(100000)) / 100) // prices
				load[i] = Delta{Row: rows[i], Mult: 1}
			}
			g.Push(load)
			b.ResetTimer()
			defer cpuTimer(b)()
			for b.Loop() {
				// Change the argument of a row: one group changes.
				i := rng.IntN(n)
				nr := &Row{Key: rows[i].Key, Vals: []value.Value{value.Number(float64(rng.IntN(100000)) / 100), rows[i].Vals[1]}}
				g.Push(Batch{{Row: rows[i], Mult: -1}, {Row: nr, Mult: 1}})
				rows[i] = nr
			}
		})
	}
}

func BenchmarkJoin(b *testing.B) {
	const n = 1_000_000
	key := func(r *Row) value.Value { return r.Vals[0] }
	j := NewJoin(JoinLeft, key, key, 1, 1)
	right := make(Batch, n)
	for i := range right {
		right[i] = Delta{Row: &Row{Key: value.String(fmt.Sprintf("r%07d", i)), Vals: []value.Value{value.Number(float64(i))}}, Mult: 1}
	}
	j.PushRight(right)
	rng := rand.New(rand.NewPCG(5, 5))
	b.Run("left-row-matching-1M-side", func(b *testing.B) {
		defer cpuTimer(b)()
		for b.Loop() {
			// A left row joins one of the 1M right rows, then leaves.
			r := &Row{Key: value.String("l"), Vals: []value.Value{value.Number(float64(rng.IntN(n)))}}
			j.PushLeft(Batch{{Row: r, Mult: 1}})
			j.PushLeft(Batch{{Row: r, Mult: -1}})
		}
	})
	b.Run("insert-into-1M-side", func(b *testing.B) {
		defer cpuTimer(b)()
		for b.Loop() {
			r := &Row{Key: value.String("new"), Vals: []value.Value{value.Number(float64(rng.IntN(n)))}}
			j.PushRight(Batch{{Row: r, Mult: 1}})
			j.PushRight(Batch{{Row: r, Mult: -1}})
		}
	})
}

// BenchmarkTreeDegree compares B-tree degrees, and a treap with subtree
// sizes, on 1M ints: random insertions (build), then a deletion and an
// insertion per op, then rank queries.
func BenchmarkTreeDegree(b *testing.B) {
	const n = 1_000_000
	rng := rand.New(rand.NewPCG(6, 6))
	keys := make([]int, n)
	for i := range keys {
		keys[i] = rng.Int()
	}
	for _, d := range []int{8, 16, 32, 64, 128} {
		b.Run(fmt.Sprintf("btree%d/build", d), func(b *testing.B) {
			for b.Loop() {
				t := newTreeDegree(cmp.Compare[int], d)
				for _, k := range keys {
					t.Insert(k)
				}
			}
		})
		b.Run(fmt.Sprintf("btree%d/change", d), func(b *testing.B) {
			t := newTreeDegree(cmp.Compare[int], d)
			for _, k := range keys {
				t.Insert(k)
			}
			ks := append([]int(nil), keys...)
			b.ResetTimer()
			defer cpuTimer(b)()
			for b.Loop() {
				i := rng.IntN(n)
				t.Delete(ks[i])
				ks[i] = rng.Int()
				t.Insert(ks[i])
			}
		})
		b.Run(fmt.Sprintf("btree%d/at", d), func(b *testing.B) {
			t := newTreeDegree(cmp.Compare[int], d)
			for _, k := range keys {
				t.Insert(k)
			}
			b.ResetTimer()
			defer cpuTimer(b)()
			for b.Loop() {
				t.At(rng.IntN(n))
			}
		})
	}
	b.Run("treap/build", func(b *testing.B) {
		for b.Loop() {
			t := &treap{}
			for _, k := range keys {
				t.insert(k)
			}
		}
	})
	b.Run("treap/change", func(b *testing.B) {
		t := &treap{}
		for _, k := range keys {
			t.insert(k)
		}
		ks := append([]int(nil), keys...)
		b.ResetTimer()
		defer cpuTimer(b)()
		for b.Loop() {
			i := rng.IntN(n)
			t.delete(ks[i])
			ks[i] = rng.Int()
			t.insert(ks[i])
		}
	})
	b.Run("treap/at", func(b *testing.B) {
		t := &treap{}
		for _, k := range keys {
			t.insert(k)
		}
		b.ResetTimer()
		defer cpuTimer(b)()
		for b.Loop() {
			t.at(rng.IntN(n))
		}
	})
}

// treap is a treap with subtree sizes over ints, only for comparison in
// BenchmarkTreeDegree.
type treap struct {
	root *tpNode
	rng  uint64
}

type tpNode struct {
	k           int
	pri         uint64
	size        int
	left, right *tpNode
}

func tsize(n *tpNode) int {
	if n == nil {
		return 0
	}
	return n.size
}

func (t *treap) split(n *tpNode, k int) (*tpNode, *tpNode) {
	if n == nil {
		return nil, nil
	}
	if n.k < k {
		l, r := t.split(n.right, k)
		n.right = l
		n.size = 1 + tsize(n.left) + tsize(n.right)
		return n, r
	}
	l, r := t.split(n.left, k)
	n.left = r
	n.size = 1 + tsize(n.left) + tsize(n.right)
	return l, n
}

func (t *treap) merge(a, b *tpNode) *tpNode {
	if a == nil {
		return b
	}
	if b == nil {
		return a
	}
	if a.pri > b.pri {
		a.right = t.merge(a.right, b)
		a.size = 1 + tsize(a.left) + tsize(a.right)
		return a
	}
	b.left = t.merge(a, b.left)
	b.size = 1 + tsize(b.left) + tsize(b.right)
	return b
}

func (t *treap) insert(k int) {
	t.rng = t.rng*6364136223846793005 + 1442695040888963407
	l, r := t.split(t.root, k)
	t.root = t.merge(t.merge(l, &tpNode{k: k, pri: t.rng, size: 1}), r)
}

func (t *treap) delete(k int) {
	l, r := t.split(t.root, k)
	_, r = t.split(r, k+1)
	t.root = t.merge(l, r)
}

func (t *treap) at(i int) int {
	n := t.root
	for {
		ls := tsize(n.left)
		switch {
		case i < ls:
			n = n.left
		case i == ls:
			return n.k
		default:
			i -= ls + 1
			n = n.right
		}
	}
}

// BenchmarkKeyedOutput times one update (-old +new) of a row of a result
// without orderBy, ordered by key: 100k rows keyed as a join's rows are.
func BenchmarkKeyedOutput(b *testing.B) {
	const n = 100_000
	key := func(i int) value.Value { return value.String(fmt.Sprintf(`["m%d","u%d"]`, i, i%10_000)) }
	o := NewOutput(func(r *Row) value.Value { return r.Sel }, nil)
	in := make(Batch, n)
	for i := range in {
		r := NewRow(key(i), 0)
		r.Sel = value.Number(float64(i))
		in[i] = Delta{Row: r, Mult: 1}
	}
	o.Push(in)
	rng := rand.New(rand.NewPCG(1, 2))
	b.ResetTimer()
	defer cpuTimer(b)()
	for b.Loop() {
		k := key(rng.IntN(n))
		old, nw := NewRow(k, 0), NewRow(k, 0)
		nw.Sel = value.Number(rng.Float64())
		o.Push(Batch{{Row: old, Mult: -1}, {Row: nw, Mult: 1}})
	}
}
