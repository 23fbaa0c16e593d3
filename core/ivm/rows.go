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
	// reuse (Rewind): every block made is kept in blocks, and bi is the
	// next one New hands out again before it makes a new one.
	reuse  bool
	blocks []rowBlock
	bi     int
}

// rowBlock is a block of rows and their Vals, kept for reuse (Rewind).
type rowBlock struct {
	rows []Row
	vals []value.Value
}

// rowBlockMax is the largest block, in rows.
const rowBlockMax = 512

// New returns a new Row with key k and width Vals (all Undefined).
func (a *Rows) New(k value.Value, width int) *Row {
	a.made++
	if a.made == 1 && !a.reuse {
		return NewRow(k, width)
	}
	// Indexes move through the block, not the slices: a slice header
	// written to the heap is a pointer write, which pays the garbage
	// collector's write barrier while it marks.
	if a.ri == len(a.rows) || len(a.vals)-a.vi < width {
		a.nextBlock(width)
	}
	r := &a.rows[a.ri]
	a.ri++
	r.Key = k
	r.Vals = a.vals[a.vi : a.vi+width : a.vi+width]
	a.vi += width
	return r
}

// nextBlock makes the next block current: one kept for reuse when it has
// room for a row of width Vals, else a new one.
func (a *Rows) nextBlock(width int) {
	for a.reuse && a.bi < len(a.blocks) {
		b := a.blocks[a.bi]
		a.bi++
		if len(b.vals) >= width {
			clear(b.rows)
			clear(b.vals)
			a.rows, a.vals, a.ri, a.vi = b.rows, b.vals, 0, 0
			return
		}
	}
	if a.next == 0 {
		a.next = 8
	}
	n := a.next
	a.next = min(2*a.next, rowBlockMax)
	a.rows = make([]Row, n)
	a.vals = make([]value.Value, n*width)
	a.ri, a.vi = 0, 0
	if a.reuse {
		a.blocks = append(a.blocks, rowBlock{a.rows, a.vals})
		a.bi = len(a.blocks)
	}
}

// Reuse makes a keep every block it allocates from now on, so that Rewind
// can hand its rows out again. Call it before the first New.
func (a *Rows) Reuse() { a.reuse = true }

// Rewind takes back every row a handed out since Reuse (the caller must
// hold none of them any more): New hands them out again, zeroed, before
// it allocates. A stage that passes on rows nobody keeps (a first load
// streamed through stages that keep no row) makes a few blocks of rows,
// however many it passes on.
func (a *Rows) Rewind() {
	a.bi = 0
	a.rows, a.vals, a.ri, a.vi = nil, nil, 0, 0
}
