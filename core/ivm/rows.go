package ivm

import (
	"slices"

	"github.com/streamdb/streamdb/core/value"
)

// Rows allocates the rows a stage makes for one batch. The first row is
// allocated on its own (NewRow), so a batch of one change costs what it
// did; from the second on, rows come from blocks that double from 8 up to
// 512 rows, so the 100,000 rows of a first result cost a few hundred
// allocations instead of 100,000, and the garbage collector, which in a
// browser runs on the page's thread, has that many fewer objects to find.
//
// A block stays allocated while any of its rows is in use: at most the
// memory of the batch that made it, and the last block is at most half
// unused. The zero Rows is ready to use; it is not safe for concurrent use.
type Rows struct {
	made int           // rows handed out
	rows []Row         // the current block's unused rows
	vals []value.Value // the current block's unused Vals
	next int           // the next block's size
}

// rowBlockMax is the largest block, in rows.
const rowBlockMax = 512

// New returns a new Row with key k and width Vals (all Undefined).
func (a *Rows) New(k value.Value, width int) *Row {
	a.made++
	if a.made == 1 {
		return NewRow(k, width)
	}
	if len(a.rows) == 0 || len(a.vals) < width {
		if a.next == 0 {
			a.next = 8
		}
		n := a.next
		a.next = min(2*a.next, rowBlockMax)
		a.rows = make([]Row, n)
		a.vals = make([]value.Value, n*width)
	}
	r := &a.rows[0]
	a.rows = a.rows[1:]
	r.Key = k
	r.Vals = a.vals[:width:width]
	a.vals = a.vals[width:]
	return r
}

// sortedOrder returns the positions 0..n-1 sorted by cmp. Sorting
// positions instead of the pointers themselves moves no pointer while the
// sort runs: in a browser the garbage collector shares the page's thread,
// and while it marks, every pointer a sort moves goes through its write
// barrier.
func sortedOrder(n int, cmp func(a, b int32) int) []int32 {
	order := make([]int32, n)
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, cmp)
	return order
}

// permute rearranges s so that s[i] is the old s[order[i]].
func permute[T any](s []T, order []int32) {
	old := slices.Clone(s)
	for i, j := range order {
		s[i] = old[j]
	}
}
