package ivm

import "github.com/streamdb/streamdb/core/value"

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
	rows []Row         // the current block
	vals []value.Value // the current block's Vals
	ri   int           // the first unused row of rows
	vi   int           // the first unused value of vals
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
	// Indexes move through the block, not the slices: a slice header
	// written to the heap is a pointer write, which pays the garbage
	// collector's write barrier while it marks.
	if a.ri == len(a.rows) || len(a.vals)-a.vi < width {
		if a.next == 0 {
			a.next = 8
		}
		n := a.next
		a.next = min(2*a.next, rowBlockMax)
		a.rows = make([]Row, n)
		a.vals = make([]value.Value, n*width)
		a.ri, a.vi = 0, 0
	}
	r := &a.rows[a.ri]
	a.ri++
	r.Key = k
	r.Vals = a.vals[a.vi : a.vi+width : a.vi+width]
	a.vi += width
	return r
}
