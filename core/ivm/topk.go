package ivm

import (
	"container/heap"
	"slices"
)

// TopK emits the rows entering (+1) and leaving (-1) the window of
// positions [offset, offset+limit) (all positions from offset when
// limit < 0) of the rows it is given, ordered by cmp: the result of
// orderBy with offset and limit (TanStack DB's topKWithFractionalIndex,
// without the fractional indexes: the output stage orders rows with the
// same cmp).
//
// Without a limit every row is kept in an order-statistic tree. With one,
// only the best rows are kept in order: the window and a slack beyond it.
// The other rows wait in a bag, unordered, and all sort after the tree's
// last row; a row that arrives after that last row joins the bag with one
// comparison. When removals leave the tree shorter than the window, the
// best rows of the bag are selected into it (a pass over the bag) and the
// slack doubles, so that a stream of removals at the top costs O(log n)
// comparisons per row amortized, while the common change (a row far from
// the window) costs one. Removals of rows in the bag are recorded and
// dropped at the next pass over it.
//
// A row that stays in the window but changes (its removal and re-addition
// in one batch) is emitted as a removal and an addition. A change in the
// tree costs O(log n); building from n rows in one batch O(n log n).
//
// TopK relies on the Batch contract that a removal carries the row as it
// was added (the tree and the bag find the row to delete by its order),
// and that a key's removal comes before its re-addition.
type TopK struct {
	cmp           func(a, b *Row) int
	offset, limit int
	tree          *tree[*Row]
	numKey        func(*Row) (float64, int, bool)

	bag   []*Row        // with a limit: rows after every row of tree, unordered
	dead  idMap[[]*Row] // rows removed from the bag but still in it, by key
	ndead int           // the rows in dead
	slack int           // rows kept in the tree beyond the window's end
}

// topKSlack is the least slack of a TopK with a limit.
const topKSlack = 64

// SetNumberKey gives the TopK a shortcut for its first build: key returns
// a number and a class such that, between rows of one class, the numbers
// order rows as cmp does first (key(a) < key(b) means a before b; equal
// numbers leave it to cmp), or false for a row it cannot tell. When every
// row of the first batch has a number of the same class, the batch is
// sorted by those numbers, which costs a fraction of cmp's work per
// comparison.
func (t *TopK) SetNumberKey(key func(*Row) (num float64, class int, ok bool)) { t.numKey = key }

// NewTopK returns a TopK ordering rows by cmp, which must be a total order
// (the compiler ends it with a key comparison; rows cmp finds equal are
// further ordered by CompareKeys, so that two rows are never one element).
// offset < 0 counts as 0.
func NewTopK(cmp func(a, b *Row) int, offset, limit int) *TopK {
	order := totalOrder(cmp)
	return &TopK{
		cmp:    order,
		offset: max(offset, 0),
		limit:  limit,
		tree:   newTree(order),
		dead:   newIDMap[[]*Row](0),
		slack:  topKSlack,
	}
}

// totalOrder returns cmp with ties broken by the rows' keys.
func totalOrder(cmp func(a, b *Row) int) func(a, b *Row) int {
	return func(a, b *Row) int {
		if c := cmp(a, b); c != 0 {
			return c
		}
		return CompareKeys(a.Key, b.Key)
	}
}

// Len returns the number of rows held (in or out of the window).
func (t *TopK) Len() int { return t.tree.Len() + t.bagLen() }

// bagLen returns the number of rows in the bag that were not removed.
func (t *TopK) bagLen() int { return len(t.bag) - t.ndead }

// end returns the end of the window, or -1 when it has none.
func (t *TopK) end() int {
	if t.limit < 0 {
		return -1
	}
	return t.offset + t.limit
}

// inBag reports whether r belongs in the bag (for an addition) or is in
// it (for a removal): it sorts after the tree's last row while the bag
// holds rows, or the tree already holds the window and its slack.
func (t *TopK) inBag(r *Row, adding bool) bool {
	e := t.end()
	if e < 0 {
		return false
	}
	n := t.tree.Len()
	if t.bagLen() == 0 && (!adding || n < e+t.slack) {
		return false
	}
	if n == 0 {
		return true
	}
	last, _ := t.tree.At(n - 1)
	return t.cmp(r, last) > 0
}

// Push applies a batch of input changes and returns the rows entering
// (+1) and leaving (-1) the window, consolidated per key.
func (t *TopK) Push(in Batch) Batch {
	if t.Len() == 0 && len(in) > 64 && t.build(in) {
		return t.window(nil, 1)
	}
	var out Batch
	for _, d := range in {
		if d.Row == nil || d.Mult == 0 {
			continue
		}
		if d.Mult < 0 {
			out = t.remove(d.Row, out)
		} else {
			out = t.add(d.Row, out)
		}
	}
	out = t.settle(out)
	return Consolidate(out)
}

// settle ends a batch: a tree left shorter than the window while the bag
// holds rows takes the bag's best rows, which enter the window (the
// removals that shortened it could not name them); a tree grown well past
// the window and its slack gives its last rows to the bag.
func (t *TopK) settle(out Batch) Batch {
	e := t.end()
	if e < 0 {
		return out
	}
	n := t.tree.Len()
	switch {
	case n < e && t.bagLen() > 0:
		t.refill(e + t.slack - n)
		t.slack = min(2*t.slack, 1<<20)
		out = t.span(out, max(n, t.offset), min(e, t.tree.Len()), 1)
	case n > e+2*t.slack:
		t.trim(e + t.slack)
	}
	if t.ndead > 64 && 2*t.ndead > len(t.bag) {
		t.sweep()
	}
	return out
}

// refill moves the best want rows of the bag (all of them when it holds
// fewer) into the tree.
func (t *TopK) refill(want int) {
	t.sweep()
	if want >= len(t.bag) {
		sortByPosition(t.bag, t.cmp)
		for _, r := range t.bag {
			t.tree.Insert(r)
		}
		clear(t.bag)
		t.bag = t.bag[:0]
		return
	}
	// A max-heap of the want best rows seen; every other row stays.
	h := &rowHeap{cmp: t.cmp, rows: make([]*Row, 0, want)}
	rest := t.bag[:0]
	for _, r := range t.bag {
		switch {
		case len(h.rows) < want:
			heap.Push(h, r)
		case t.cmp(r, h.rows[0]) < 0:
			rest = append(rest, h.rows[0])
			h.rows[0] = r
			heap.Fix(h, 0)
		default:
			rest = append(rest, r)
		}
	}
	clear(t.bag[len(rest):])
	t.bag = rest
	for _, r := range h.rows {
		t.tree.Insert(r)
	}
}

// trim keeps the first keep rows in the tree and moves the others to the
// bag.
func (t *TopK) trim(keep int) {
	rows := make([]*Row, 0, t.tree.Len())
	t.tree.Ascend(0, func(r *Row) bool {
		rows = append(rows, r)
		return true
	})
	t.tree.Build(rows[:keep])
	t.bag = append(t.bag, rows[keep:]...)
}

// sweep drops the removed rows from the bag.
func (t *TopK) sweep() {
	if t.ndead == 0 {
		return
	}
	kept := t.bag[:0]
	for _, r := range t.bag {
		if !t.takeDead(r) {
			kept = append(kept, r)
		}
	}
	clear(t.bag[len(kept):])
	t.bag = kept
	t.dead = newIDMap[[]*Row](0)
	t.ndead = 0
}

// takeDead reports whether r was removed from the bag, and forgets that
// removal.
func (t *TopK) takeDead(r *Row) bool {
	id := idOf(r.Key)
	ds := t.dead.get(id)
	for i, d := range ds {
		if t.cmp(d, r) == 0 {
			ds = slices.Delete(ds, i, i+1)
			if len(ds) == 0 {
				t.dead.remove(id)
			} else {
				t.dead.set(id, ds)
			}
			return true
		}
	}
	return false
}

// rowHeap is a max-heap of rows under cmp (the worst row on top).
type rowHeap struct {
	cmp  func(a, b *Row) int
	rows []*Row
}

func (h *rowHeap) Len() int           { return len(h.rows) }
func (h *rowHeap) Less(i, j int) bool { return h.cmp(h.rows[i], h.rows[j]) > 0 }
func (h *rowHeap) Swap(i, j int)      { h.rows[i], h.rows[j] = h.rows[j], h.rows[i] }
func (h *rowHeap) Push(x any)         { h.rows = append(h.rows, x.(*Row)) }
func (h *rowHeap) Pop() any {
	r := h.rows[len(h.rows)-1]
	h.rows = h.rows[:len(h.rows)-1]
	return r
}

// build loads a batch of additions into the empty TopK at once: sort,
// then build the tree bottom-up from the window and its slack (all rows
// without a limit), the other rows going to the bag. It reports false,
// changing nothing, when the batch is not made of additions of distinct
// keys.
func (t *TopK) build(in Batch) bool {
	rows := make([]*Row, 0, len(in))
	for _, d := range in {
		if d.Mult <= 0 || d.Row == nil {
			return false
		}
		rows = append(rows, d.Row)
	}
	if !t.sortByNumber(rows) {
		sortByPosition(rows, t.cmp)
		for i := 1; i < len(rows); i++ {
			if t.cmp(rows[i-1], rows[i]) == 0 {
				return false
			}
		}
	}
	keep := len(rows)
	if e := t.end(); e >= 0 {
		keep = min(keep, e+t.slack)
	}
	t.tree.Build(rows[:keep])
	t.bag = append(t.bag[:0], rows[keep:]...)
	return true
}

// sortByNumber sorts rows by numKey, cmp breaking ties, and reports
// whether it did: false when there is no numKey, a row has none, or two
// rows are equal under cmp (rows leaves it unsorted then).
func (t *TopK) sortByNumber(rows []*Row) bool {
	if t.numKey == nil {
		return false
	}
	ks := make([]float64, len(rows))
	first := 0
	for i, r := range rows {
		k, class, ok := t.numKey(r)
		if i == 0 {
			first = class
		}
		if !ok || class != first {
			return false
		}
		ks[i] = k
	}
	order := numberOrder(ks, func(a, b int32) int { return t.cmp(rows[a], rows[b]) })
	for i := 1; i < len(order); i++ {
		a, b := order[i-1], order[i]
		if ks[a] == ks[b] && t.cmp(rows[a], rows[b]) == 0 {
			return false
		}
	}
	permute(rows, order)
	return true
}

// window returns the rows of the window as deltas of multiplicity mult.
func (t *TopK) window(out Batch, mult int) Batch {
	e := t.end()
	t.tree.Ascend(t.offset, func(r *Row) bool {
		if e >= 0 && t.offset+len(out) >= e {
			return false
		}
		out = append(out, Delta{Row: r, Mult: mult})
		return true
	})
	return out
}

// add inserts r and appends the window changes to out.
func (t *TopK) add(r *Row, out Batch) Batch {
	if t.inBag(r, true) {
		// After the tree's last row: not in the window.
		t.bag = append(t.bag, r)
		return out
	}
	p, _ := t.tree.Insert(r)
	e := t.end()
	if t.limit == 0 || e >= 0 && p >= e {
		return out
	}
	if p >= t.offset {
		out = append(out, Delta{Row: r, Mult: 1})
	} else if x, ok := t.tree.At(t.offset); ok {
		// Rows before the window shift the row at its start into it.
		out = append(out, Delta{Row: x, Mult: 1})
	}
	if e >= 0 {
		if x, ok := t.tree.At(e); ok {
			out = append(out, Delta{Row: x, Mult: -1})
		}
	}
	return out
}

// remove deletes the row equal to r (under cmp) and appends the window
// changes to out. A row of the window whose place a bag row takes is
// emitted by settle.
func (t *TopK) remove(r *Row, out Batch) Batch {
	if t.inBag(r, false) {
		id := idOf(r.Key)
		t.dead.set(id, append(t.dead.get(id), r))
		t.ndead++
		return out
	}
	p, ok := t.tree.Delete(r)
	e := t.end()
	if !ok || t.limit == 0 || e >= 0 && p >= e {
		return out
	}
	if p >= t.offset {
		out = append(out, Delta{Row: r, Mult: -1})
	} else if x, ok := t.tree.At(t.offset - 1); ok {
		// The row at the window's start shifts out before it.
		out = append(out, Delta{Row: x, Mult: -1})
	}
	if e >= 0 {
		if x, ok := t.tree.At(e - 1); ok {
			out = append(out, Delta{Row: x, Mult: 1})
		}
	}
	return out
}

// SetWindow moves the window to [offset, offset+limit) (limit < 0: no
// limit) and returns the rows leaving and entering it. It costs O(log n)
// plus the rows that move, and a pass over the bag when the tree must
// grow.
func (t *TopK) SetWindow(offset, limit int) Batch {
	offset = max(offset, 0)
	oldStart, oldEnd := t.offset, t.end()
	t.offset, t.limit = offset, limit
	newStart, newEnd := t.offset, t.end()
	// The tree takes what the new window needs from the bag first: rows
	// join it after its last, so the old window's positions stay.
	if n := t.tree.Len(); t.bagLen() > 0 && (newEnd < 0 || n < newEnd+t.slack) {
		if newEnd < 0 {
			t.refill(len(t.bag))
		} else {
			t.refill(newEnd + t.slack - n)
		}
	}
	n := t.tree.Len()
	clip := func(e int) int {
		if e < 0 || e > n {
			return n
		}
		return e
	}
	oldEnd, newEnd = clip(oldEnd), clip(newEnd)
	var out Batch
	// Positions in the old window and not the new one leave...
	out = t.span(out, oldStart, min(oldEnd, newStart), -1)
	out = t.span(out, max(oldStart, newEnd), oldEnd, -1)
	// ...and positions in the new window and not the old one enter.
	out = t.span(out, newStart, min(newEnd, oldStart), 1)
	out = t.span(out, max(newStart, oldEnd), newEnd, 1)
	return out
}

// span appends the rows at positions [from, to) as deltas of mult.
func (t *TopK) span(out Batch, from, to, mult int) Batch {
	if from >= to {
		return out
	}
	i := from
	t.tree.Ascend(from, func(r *Row) bool {
		if i >= to {
			return false
		}
		out = append(out, Delta{Row: r, Mult: mult})
		i++
		return true
	})
	return out
}
