package ivm

import "github.com/streamdb/streamdb/core/value"

// JoinType is the kind of a join: which unmatched rows it keeps.
type JoinType uint8

// The join types. An outer join keeps the rows of its outer side(s) that
// match nothing, padded with Undefined for the other side.
const (
	// JoinInner keeps only matched pairs.
	JoinInner JoinType = iota
	// JoinLeft also keeps unmatched left rows.
	JoinLeft
	// JoinRight also keeps unmatched right rows.
	JoinRight
	// JoinFull also keeps unmatched rows of both sides.
	JoinFull
)

// Join is an incremental equi-join of two inputs (TanStack DB's join
// operator with 0.15.2's key rules).
//
// A joined row has Vals = the left row's Vals then the right row's Vals
// (Undefined × that side's width for the missing side of an outer join)
// and the key TanStack DB gives it: the JSON text of [leftKey, rightKey]
// with null for a missing side (see joinResultKey).
//
// Join keys match as TanStack's equality identity does (see joinKeyID): a
// null or undefined key, or a composite key (an Array) with a nullish
// component, matches nothing. Both inputs are indexed by join key; a
// change costs O(matches of its key). Outer joins keep padding rows
// incrementally: a row's padding is retracted when the other side's key
// gains its first row and re-emitted when it loses its last.
//
// PushLeft and PushRight each apply their batch to the current state of
// the other side, so pushing the left changes and then the right ones of
// one step gives ΔL⋈R_old + L_new⋈ΔR, the exact change of L⋈R.
type Join struct {
	typ                   JoinType
	leftKey, rightKey     func(*Row) value.Value
	leftWidth, rightWidth int
	left, right           joinIndex
}

// joinIndex holds one input of a join: its rows by row key, and the rows
// of each join key.
type joinIndex struct {
	rows    map[keyID]*joinEntry
	buckets map[keyID]*joinBucket
}

type joinEntry struct {
	row *Row
	b   *joinBucket // nil when the row's join key matches nothing
	i   int         // position in b.entries
}

type joinBucket struct {
	id      keyID
	entries []*joinEntry
}

// NewJoin returns a Join of type t. leftKey and rightKey compute the join
// key of a left and a right row (an Array for a composite key); leftWidth
// and rightWidth are the number of Vals of a left and a right row.
func NewJoin(t JoinType, leftKey, rightKey func(*Row) value.Value, leftWidth, rightWidth int) *Join {
	return &Join{
		typ: t, leftKey: leftKey, rightKey: rightKey,
		leftWidth: leftWidth, rightWidth: rightWidth,
		left:  joinIndex{rows: map[keyID]*joinEntry{}, buckets: map[keyID]*joinBucket{}},
		right: joinIndex{rows: map[keyID]*joinEntry{}, buckets: map[keyID]*joinBucket{}},
	}
}

// PushLeft applies changes of the left input and returns the changes of
// the joined rows.
func (j *Join) PushLeft(in Batch) Batch {
	pad := j.typ == JoinLeft || j.typ == JoinFull
	padOther := j.typ == JoinRight || j.typ == JoinFull
	return j.push(in, &j.left, &j.right, j.leftKey, true, pad, padOther)
}

// PushRight applies changes of the right input and returns the changes of
// the joined rows.
func (j *Join) PushRight(in Batch) Batch {
	pad := j.typ == JoinRight || j.typ == JoinFull
	padOther := j.typ == JoinLeft || j.typ == JoinFull
	return j.push(in, &j.right, &j.left, j.rightKey, false, pad, padOther)
}

// LeftLen and RightLen return the number of rows held for each input.
func (j *Join) LeftLen() int { return len(j.left.rows) }

// RightLen returns the number of rows held for the right input.
func (j *Join) RightLen() int { return len(j.right.rows) }

// push applies in to self. pad: self's unmatched rows are kept (padded);
// padOther: the other side's unmatched rows are.
func (j *Join) push(in Batch, self, other *joinIndex, key func(*Row) value.Value, selfLeft, pad, padOther bool) Batch {
	if len(self.rows) == 0 && len(in) > 1024 {
		// A first load: size the maps once instead of rehashing.
		self.rows = make(map[keyID]*joinEntry, len(in))
		self.buckets = make(map[keyID]*joinBucket, len(in))
	}
	var out Batch
	emit := func(s, o *Row, mult int) {
		var r *Row
		if selfLeft {
			r = j.pair(s, o)
		} else {
			r = j.pair(o, s)
		}
		out = append(out, Delta{Row: r, Mult: mult})
	}
	for _, d := range in {
		if d.Row == nil || d.Mult == 0 {
			continue
		}
		id := idOf(d.Row.Key)
		if d.Mult < 0 {
			if e := self.rows[id]; e != nil {
				delete(self.rows, id)
				j.retract(e, self, other, pad, padOther, emit)
			}
			continue
		}
		if e := self.rows[id]; e != nil {
			// An addition over a present key replaces its row.
			delete(self.rows, id)
			j.retract(e, self, other, pad, padOther, emit)
		}
		e := &joinEntry{row: d.Row}
		self.rows[id] = e
		jk, ok := joinKeyID(key(d.Row))
		if !ok {
			if pad {
				emit(d.Row, nil, 1)
			}
			continue
		}
		b := self.buckets[jk]
		if b == nil {
			b = &joinBucket{id: jk}
			self.buckets[jk] = b
		}
		if ob := other.buckets[jk]; ob != nil {
			if padOther && len(b.entries) == 0 {
				for _, oe := range ob.entries {
					emit(nil, oe.row, -1)
				}
			}
			for _, oe := range ob.entries {
				emit(d.Row, oe.row, 1)
			}
		} else if pad {
			emit(d.Row, nil, 1)
		}
		e.b, e.i = b, len(b.entries)
		b.entries = append(b.entries, e)
	}
	return Consolidate(out)
}

// retract removes the row of e (already out of self.rows) and emits the
// removal of its joined rows.
func (j *Join) retract(e *joinEntry, self, other *joinIndex, pad, padOther bool, emit func(s, o *Row, mult int)) {
	b := e.b
	if b == nil {
		if pad {
			emit(e.row, nil, -1)
		}
		return
	}
	last := len(b.entries) - 1
	moved := b.entries[last]
	b.entries[e.i] = moved
	moved.i = e.i
	b.entries[last] = nil
	b.entries = b.entries[:last]
	if len(b.entries) == 0 {
		delete(self.buckets, b.id)
	}
	ob := other.buckets[b.id]
	if ob == nil {
		if pad {
			emit(e.row, nil, -1)
		}
		return
	}
	for _, oe := range ob.entries {
		emit(e.row, oe.row, -1)
	}
	if padOther && len(b.entries) == 0 {
		for _, oe := range ob.entries {
			emit(nil, oe.row, 1)
		}
	}
}

// pair returns the joined row of l and r (either may be nil).
func (j *Join) pair(l, r *Row) *Row {
	row := NewRow(joinResultKey(l, r), j.leftWidth+j.rightWidth)
	if l != nil {
		copy(row.Vals[:j.leftWidth], l.Vals)
	}
	if r != nil {
		copy(row.Vals[j.leftWidth:], r.Vals)
	}
	return row
}
