package ivm

// TopK keeps every row it is given in an order-statistic tree ordered by
// cmp, and emits the rows entering and leaving the window of positions
// [offset, offset+limit) (all positions from offset when limit < 0): the
// result of orderBy with offset and limit (TanStack DB's
// topKWithFractionalIndex, without the fractional indexes: the output
// stage orders rows with the same cmp).
//
// A row that stays in the window but changes (its removal and re-addition
// in one batch) is emitted as a removal and an addition. A change costs
// O(log n); building from n rows in one batch O(n log n).
//
// TopK relies on the Batch contract that a removal carries the row as it
// was added: the tree finds the row to delete by its order.
type TopK struct {
	cmp           func(a, b *Row) int
	offset, limit int
	tree          *tree[*Row]
	numKey        func(*Row) (float64, int, bool)
}

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
	return &TopK{
		cmp:    totalOrder(cmp),
		offset: max(offset, 0),
		limit:  limit,
		tree:   newTree(totalOrder(cmp)),
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
func (t *TopK) Len() int { return t.tree.Len() }

// end returns the end of the window, or -1 when it has none.
func (t *TopK) end() int {
	if t.limit < 0 {
		return -1
	}
	return t.offset + t.limit
}

// Push applies a batch of input changes and returns the rows entering
// (+1) and leaving (-1) the window, consolidated per key.
func (t *TopK) Push(in Batch) Batch {
	if t.tree.Len() == 0 && len(in) > 64 && t.build(in) {
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
	return Consolidate(out)
}

// build loads a batch of additions into the empty tree at once: sort,
// then build the tree bottom-up. It reports false, changing nothing, when
// the batch is not made of additions of distinct keys.
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
	t.tree.Build(rows)
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
// changes to out.
func (t *TopK) remove(r *Row, out Batch) Batch {
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
// plus the rows that move.
func (t *TopK) SetWindow(offset, limit int) Batch {
	offset = max(offset, 0)
	oldStart, oldEnd := t.offset, t.end()
	t.offset, t.limit = offset, limit
	newStart, newEnd := t.offset, t.end()
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
