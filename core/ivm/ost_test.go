package ivm

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"testing"
)

// checkTree verifies the B-tree invariants of t and that it holds exactly
// want (sorted).
func checkTree[T any](t *testing.T, tr *tree[T], want []T) {
	t.Helper()
	if tr.Len() != len(want) {
		t.Fatalf("Len = %d, want %d", tr.Len(), len(want))
	}
	var got []T
	tr.Ascend(0, func(x T) bool { got = append(got, x); return true })
	if len(got) != len(want) {
		t.Fatalf("Ascend gave %d elements, want %d", len(got), len(want))
	}
	for i := range got {
		if tr.cmp(got[i], want[i]) != 0 {
			t.Fatalf("element %d = %v, want %v", i, got[i], want[i])
		}
	}
	if tr.root == nil {
		return
	}
	depth := -1
	var walk func(n *tnode[T], d int, root bool) int
	walk = func(n *tnode[T], d int, root bool) int {
		if !root && (len(n.items) < tr.min || len(n.items) > tr.max) {
			t.Fatalf("node with %d items (min %d, max %d)", len(n.items), tr.min, tr.max)
		}
		if len(n.items) == 0 {
			t.Fatalf("empty node")
		}
		size := len(n.items)
		if n.children == nil {
			if depth < 0 {
				depth = d
			} else if depth != d {
				t.Fatalf("leaves at depths %d and %d", depth, d)
			}
		} else {
			if len(n.children) != len(n.items)+1 {
				t.Fatalf("%d children for %d items", len(n.children), len(n.items))
			}
			if len(n.csize) != len(n.children) {
				t.Fatalf("%d child sizes for %d children", len(n.csize), len(n.children))
			}
			for i, c := range n.children {
				cs := walk(c, d+1, false)
				if n.csize[i] != cs {
					t.Fatalf("child size %d recorded as %d", cs, n.csize[i])
				}
				size += cs
			}
		}
		if size != n.size {
			t.Fatalf("node size %d, counted %d", n.size, size)
		}
		return size
	}
	walk(tr.root, 0, true)
}

func TestTreeRandom(t *testing.T) {
	for _, degree := range []int{2, 3, 4, 32} {
		rng := rand.New(rand.NewPCG(1, uint64(degree)))
		tr := newTreeDegree(cmp.Compare[int], degree)
		var model []int // sorted
		for step := range 20000 {
			x := rng.IntN(600)
			pos, found := slices.BinarySearch(model, x)
			switch rng.IntN(7) {
			case 0, 1, 2:
				p, ins := tr.Insert(x)
				if p != pos || ins == found {
					t.Fatalf("degree %d step %d: Insert(%d) = %d,%v want %d,%v", degree, step, x, p, ins, pos, !found)
				}
				if !found {
					model = slices.Insert(model, pos, x)
				}
			case 3, 4:
				p, del := tr.Delete(x)
				if del != found || found && p != pos {
					t.Fatalf("degree %d step %d: Delete(%d) = %d,%v want %d,%v", degree, step, x, p, del, pos, found)
				}
				if found {
					model = slices.Delete(model, pos, pos+1)
				}
			case 5:
				r, ok := tr.Rank(x)
				if r != pos || ok != found {
					t.Fatalf("Rank(%d) = %d,%v want %d,%v", x, r, ok, pos, found)
				}
				if _, ok := tr.Get(x); ok != found {
					t.Fatalf("Get(%d) found=%v want %v", x, ok, found)
				}
			case 6:
				if len(model) > 0 {
					i := rng.IntN(len(model))
					if v, ok := tr.At(i); !ok || v != model[i] {
						t.Fatalf("At(%d) = %d,%v want %d", i, v, ok, model[i])
					}
					n := 0
					tr.Ascend(i, func(v int) bool {
						if v != model[i+n] {
							t.Fatalf("Ascend(%d)[%d] = %d want %d", i, n, v, model[i+n])
						}
						n++
						return n < 5
					})
				}
			}
			if step%500 == 0 {
				checkTree(t, tr, model)
			}
		}
		checkTree(t, tr, model)
		if len(model) > 0 {
			if v, _ := tr.Min(); v != model[0] {
				t.Fatalf("Min = %d", v)
			}
			if v, _ := tr.Max(); v != model[len(model)-1] {
				t.Fatalf("Max = %d", v)
			}
		}
		for _, x := range slices.Clone(model) {
			tr.Delete(x)
		}
		checkTree(t, tr, nil)
		if _, ok := tr.At(0); ok {
			t.Fatal("At on empty tree")
		}
	}
}

func TestTreeBuild(t *testing.T) {
	for _, degree := range []int{2, 3, 5, 32} {
		for n := range 300 {
			tr := newTreeDegree(cmp.Compare[int], degree)
			in := make([]int, n)
			for i := range in {
				in[i] = 2 * i
			}
			tr.Build(in)
			checkTree(t, tr, in)
			// The built tree keeps working.
			for i := range n {
				tr.Insert(2*i + 1)
			}
			for i := 0; i < n; i += 2 {
				tr.Delete(2 * i)
			}
			var want []int
			for i := range 2 * n {
				if i%2 == 1 || (i/2)%2 == 1 {
					want = append(want, i)
				}
			}
			checkTree(t, tr, want)
		}
	}
}

func TestMultiset(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	m := newMultiset(cmp.Compare[int])
	counts := map[int]int{}
	total := 0
	for range 20000 {
		x := rng.IntN(50)
		if rng.IntN(2) == 0 {
			m.Add(x)
			counts[x]++
			total++
		} else {
			ok := m.Remove(x)
			if ok != (counts[x] > 0) {
				t.Fatalf("Remove(%d) = %v with count %d", x, ok, counts[x])
			}
			if ok {
				counts[x]--
				total--
				if counts[x] == 0 {
					delete(counts, x)
				}
			}
		}
		if m.Len() != total || m.Distinct() != len(counts) {
			t.Fatalf("Len %d Distinct %d, want %d %d", m.Len(), m.Distinct(), total, len(counts))
		}
		if m.Count(x) != counts[x] {
			t.Fatalf("Count(%d) = %d want %d", x, m.Count(x), counts[x])
		}
		lo, hi, any := 1<<30, -1, false
		for k := range counts {
			lo, hi, any = min(lo, k), max(hi, k), true
		}
		gl, ok1 := m.Min()
		gh, ok2 := m.Max()
		if ok1 != any || ok2 != any || any && (gl != lo || gh != hi) {
			t.Fatalf("Min/Max = %d,%d want %d,%d", gl, gh, lo, hi)
		}
	}
}
