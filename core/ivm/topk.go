package ivm

import (
	"container/heap"
	"slices"
	"unsafe"

	"github.com/streamdb/streamdb/core/value"
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
	numWhole      bool // equal numbers are ordered by key (SetNumberKey)

	bag   []*Row        // with a limit: rows after every row of tree, unordered, as given
	dead  idMap[[]*Row] // images of rows removed from the bag but still in it, by key
	ndead int           // the rows in dead
	slack int           // rows kept in the tree beyond the window's end

	// With SetSource: rows come in before their sort values.
	width      int
	sortValues func(src *Row, vals []value.Value)
	prepare    func(vals []value.Value)
	scratch    [2]Row // images of bag rows being compared
	views      [2]Row // images of a Push's rows, over its sort values
}

// image is a row a TopK made with SetSource, and the row it was made from:
// a row the tree gives back to the bag goes back as it was given.
type image struct {
	Row
	given *Row
	vals  [2]value.Value // Vals, for up to two sort values
}

// givenOf returns the row the image r was made from (r itself without
// SetSource).
func (t *TopK) givenOf(r *Row) *Row {
	if t.sortValues == nil {
		return r
	}
	// r is the first field of an image: keep made it.
	return (*image)(unsafe.Pointer(r)).given
}

// SetSource makes the TopK take rows as they are before orderBy computes
// their sort values: sortValues writes the width sort values of src into
// vals. The TopK orders and emits images of its rows (src's Key and Sel,
// the sort values as Vals), but makes one only for a row it keeps in
// order: a row that waits in the bag is kept as given, and its image is
// computed again when it is compared. The rows given are never changed.
//
// Each Push computes the sort values of its rows once, in one slice of
// width values per row, and gives that slice to prepare (when not nil)
// before anything compares them (a collation ranks a batch's strings in
// one call).
func (t *TopK) SetSource(width int, sortValues func(src *Row, vals []value.Value), prepare func(vals []value.Value)) {
	t.width, t.sortValues, t.prepare = width, sortValues, prepare
	for i := range t.scratch {
		t.scratch[i].Vals = make([]value.Value, width)
	}
}

// view returns the image of r, a bag row, in scratch row i (r itself
// without SetSource).
func (t *TopK) view(r *Row, i int) *Row {
	if t.sortValues == nil {
		return r
	}
	s := &t.scratch[i]
	s.Key, s.Sel = r.Key, r.Sel
	t.sortValues(r, s.Vals)
	return s
}

// sortValuesOf returns the sort values of in's rows, width per row (nil
// without SetSource), prepared.
func (t *TopK) sortValuesOf(in Batch) []value.Value {
	if t.sortValues == nil {
		return nil
	}
	k := t.width
	vals := make([]value.Value, len(in)*k)
	for i, d := range in {
		if d.Row != nil {
			t.sortValues(d.Row, vals[i*k:(i+1)*k:(i+1)*k])
		}
	}
	if t.prepare != nil {
		t.prepare(vals)
	}
	return vals
}

// viewAt returns the image of r, row i of a Push whose sort values are
// vals, in view row slot (r itself without SetSource).
func (t *TopK) viewAt(r *Row, vals []value.Value, i, slot int) *Row {
	if t.sortValues == nil {
		return r
	}
	k := t.width
	v := &t.views[slot]
	v.Key, v.Sel, v.Vals = r.Key, r.Sel, vals[i*k:(i+1)*k:(i+1)*k]
	return v
}

// keep returns a row of its own with the contents of the image v of the
// row given (v itself without SetSource).
func (t *TopK) keep(v, given *Row) *Row {
	if t.sortValues == nil {
		return v
	}
	im := &image{Row: Row{Key: v.Key, Sel: v.Sel}, given: given}
	if t.width <= len(im.vals) {
		im.Vals = im.vals[:t.width:t.width]
	} else {
		im.Vals = make([]value.Value, t.width)
	}
	copy(im.Vals, v.Vals)
	return &im.Row
}

// topKSlack is the least slack of a TopK with a limit.
const topKSlack = 64

// SetNumberKey gives the TopK a shortcut for its first build: key returns
// a number and a class such that, between rows of one class, the numbers
// order rows as cmp does first (key(a) < key(b) means a before b; equal
// numbers leave it to cmp), or false for a row it cannot tell. When every
// row of the first batch has a number of the same class, the batch is
// sorted by those numbers, which costs a fraction of cmp's work per
// comparison. whole says that the number is all cmp compares before the
// key: rows with equal numbers are ordered by key alone.
func (t *TopK) SetNumberKey(key func(*Row) (num float64, class int, ok bool), whole bool) {
	t.numKey, t.numWhole = key, whole
}

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
	vals := t.sortValuesOf(in)
	defer func() { t.views = [2]Row{} }()
	if t.Len() == 0 && len(in) > 64 && t.build(in, vals) {
		return t.window(nil, 1)
	}
	var out Batch
	for i, d := range in {
		if d.Row == nil || d.Mult == 0 {
			continue
		}
		v := t.viewAt(d.Row, vals, i, 0)
		if d.Mult < 0 {
			out = t.remove(d.Row, v, out)
		} else {
			out = t.add(d.Row, v, out)
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
	// A max-heap of the images of the want best rows seen; every other row
	// stays in the bag.
	h := &rowHeap{cmp: t.cmp, rows: make([]*Row, 0, min(want, len(t.bag)))}
	bag := t.bag[:0]
	for _, r := range t.bag {
		v := t.view(r, 0)
		switch {
		case len(h.rows) < want:
			heap.Push(h, t.keep(v, r))
		case t.cmp(v, h.rows[0]) < 0:
			bag = append(bag, t.givenOf(h.rows[0]))
			h.rows[0] = t.keep(v, r)
			heap.Fix(h, 0)
		default:
			bag = append(bag, r)
		}
	}
	clear(t.bag[len(bag):])
	t.bag = bag
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
	for _, r := range rows[keep:] {
		t.bag = append(t.bag, t.givenOf(r))
	}
}

// sweep drops the removed rows from the bag.
func (t *TopK) sweep() {
	if t.ndead == 0 {
		return
	}
	kept := t.bag[:0]
	for _, r := range t.bag {
		if !t.takeDead(t.view(r, 1)) {
			kept = append(kept, r)
		}
	}
	clear(t.bag[len(kept):])
	t.bag = kept
	t.dead = newIDMap[[]*Row](0)
	t.ndead = 0
}

// takeDead reports whether the row of image v was removed from a bag, and
// forgets that removal.
func (t *TopK) takeDead(v *Row) bool {
	id := idOf(v.Key)
	ds := t.dead.get(id)
	for i, d := range ds {
		if t.cmp(d, v) == 0 {
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

// build loads a batch of additions into the empty TopK at once: sort (or,
// when the window and its slack are under an eighth of the batch, select
// them), then build the tree bottom-up from the window and its slack (all
// rows without a limit), the other rows going to the bag. vals are the rows'
// sort values (sortValuesOf). It reports false, changing nothing, when the
// batch is not made of additions of distinct keys.
func (t *TopK) build(in Batch, vals []value.Value) bool {
	rows := make([]*Row, 0, len(in))
	for _, d := range in {
		if d.Mult <= 0 || d.Row == nil {
			return false
		}
		rows = append(rows, d.Row)
	}
	keep := len(rows)
	if e := t.end(); e >= 0 {
		keep = min(keep, e+t.slack)
	}
	// The bag is unordered: only the rows the tree keeps need an order,
	// which selecting them finds with a fraction of a sort's comparisons.
	selected := keep*8 < len(rows)
	order, ok := t.orderByNumber(rows, vals, selected, keep)
	if !ok {
		if order, ok = t.orderByImage(rows, vals, selected, keep); !ok {
			return false
		}
	}
	kept := make([]*Row, keep)
	for j, i := range order[:keep] {
		kept[j] = t.keep(t.viewAt(rows[i], vals, int(i), 0), rows[i])
	}
	t.tree.Build(kept)
	permute(rows, order)
	// The bag held only removed rows, if any.
	t.bag = rows[keep:]
	t.dead, t.ndead = newIDMap[[]*Row](0), 0
	return true
}

// orderByImage returns the positions of rows sorted by cmp over their
// images (vals holds their sort values), and false when two rows are
// equal under cmp. With selected, only the first keep positions are in
// order (selectOrder), and only they are checked.
func (t *TopK) orderByImage(rows []*Row, vals []value.Value, selected bool, keep int) ([]int32, bool) {
	images := rows
	if t.sortValues != nil {
		slab := make([]Row, len(rows))
		images = make([]*Row, len(rows))
		for i, r := range rows {
			slab[i] = *t.viewAt(r, vals, i, 0)
			images[i] = &slab[i]
		}
	}
	cmp := func(a, b int32) int { return t.cmp(images[a], images[b]) }
	order := orderOf(len(rows), selected, keep, cmp)
	return order, distinctInOrder(order, selected, keep, cmp)
}

// orderOf is sortedOrder, or with selected selectOrder.
func orderOf(n int, selected bool, keep int, cmp func(a, b int32) int) []int32 {
	if selected {
		return selectOrder(n, keep, cmp)
	}
	return sortedOrder(n, cmp)
}

// distinctInOrder reports whether no two neighbours of order (its first
// keep with selected) are equal under cmp: the rows of a build must have
// distinct keys, which cmp ends with. (Selected, the other rows are taken
// on the Batch contract: a batch of additions has distinct keys.)
func distinctInOrder(order []int32, selected bool, keep int, cmp func(a, b int32) int) bool {
	if selected {
		order = order[:keep]
	}
	for i := 1; i < len(order); i++ {
		if cmp(order[i-1], order[i]) == 0 {
			return false
		}
	}
	return true
}

// orderByNumber returns the positions of rows sorted by numKey, cmp
// breaking ties, and false when there is no numKey, a row has none, or
// two rows are equal under cmp. With selected, only the first keep
// positions are in order (selectOrder), and only they are checked.
func (t *TopK) orderByNumber(rows []*Row, vals []value.Value, selected bool, keep int) ([]int32, bool) {
	if t.numKey == nil {
		return nil, false
	}
	ks := make([]float64, len(rows))
	first := 0
	for i, r := range rows {
		k, class, ok := t.numKey(t.viewAt(r, vals, i, 0))
		if i == 0 {
			first = class
		}
		if !ok || class != first {
			return nil, false
		}
		ks[i] = k
	}
	tie := func(a, b int32) int {
		return t.cmp(t.viewAt(rows[a], vals, int(a), 0), t.viewAt(rows[b], vals, int(b), 1))
	}
	if t.numWhole {
		tie = func(a, b int32) int { return CompareKeys(rows[a].Key, rows[b].Key) }
	}
	cmp := byNumber(ks, tie)
	var order []int32
	if selected {
		order = selectOrder(len(ks), keep, cmp)
	} else {
		order = numberOrder(ks, tie)
	}
	return order, distinctInOrder(order, selected, keep, cmp)
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

// add inserts r, whose image is v, and appends the window changes to out.
func (t *TopK) add(r, v *Row, out Batch) Batch {
	if t.inBag(v, true) {
		// After the tree's last row: not in the window.
		t.bag = append(t.bag, r)
		return out
	}
	r = t.keep(v, r)
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

// remove deletes the row equal to r, whose image is v (under cmp), and
// appends the window changes to out. A row of the window whose place a bag
// row takes is emitted by settle.
func (t *TopK) remove(r, v *Row, out Batch) Batch {
	if t.inBag(v, false) {
		id := idOf(v.Key)
		t.dead.set(id, append(t.dead.get(id), t.keep(v, r)))
		t.ndead++
		return out
	}
	if t.sortValues != nil {
		// The row leaves as the tree holds it.
		x, ok := t.tree.Get(v)
		if !ok {
			return out
		}
		r = x
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
