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
// Join relies on the Batch contract that a removal carries the row as it
// was added: it finds the row in its join key's bucket, and retracts the
// pairs made with it.
//
// PushLeft and PushRight each apply their batch to the current state of
// the other side, so pushing the left changes and then the right ones of
// one step gives ΔL⋈R_old + L_new⋈ΔR, the exact change of L⋈R.
type Join struct {
	typ                   JoinType
	leftKey, rightKey     func(*Row) value.Value
	leftWidth, rightWidth int
	left, right           joinIndex
	stream                func(Batch) // see StreamFirst
}

// StreamFirst sets where a first load's pairs go (nil: back to the
// default). By default a first load returns all its pairs as one batch,
// as any push does. With fn set, it passes them to fn a chunk at a time
// as it makes them and returns nothing, and each chunk's rows, and the
// batch itself, are made again from the same memory for the next chunk:
// fn must keep neither (it may change the rows in place). A first load of
// n pairs then allocates a few blocks of rows instead of n rows. Other
// pushes are not affected.
func (j *Join) StreamFirst(fn func(Batch)) { j.stream = fn }

// joinIndex holds one input of a join: the rows of each join key. A row
// whose join key matches nothing is not kept: its removal, which carries
// it (the Batch contract), is all an outer join needs to retract its
// padding.
type joinIndex struct {
	idMap[*joinBucket]     // the buckets by join key
	n                  int // rows held, unmatched ones included
}

// joinBucket holds the rows of one join key. A removal finds its row by
// key: by a scan while the bucket is small, through pos once it grows.
type joinBucket struct {
	id   keyID
	rows []*Row
	pos  map[keyID]int // row key -> index in rows; nil while small
	slot int32         // its index during a first load (pushFirst)
}

// bucketIndexAt is the size from which a bucket indexes its rows by key.
const bucketIndexAt = 32

func (b *joinBucket) add(r *Row) {
	b.rows = append(b.rows, r)
	switch {
	case b.pos != nil:
		b.pos[idOf(r.Key)] = len(b.rows) - 1
	case len(b.rows) > bucketIndexAt:
		b.index()
	}
}

// index indexes the bucket's rows by key (pos).
func (b *joinBucket) index() {
	b.pos = make(map[keyID]int, 2*len(b.rows))
	for i, x := range b.rows {
		b.pos[idOf(x.Key)] = i
	}
}

// remove takes the row with key k out of the bucket, reporting whether it
// was there.
func (b *joinBucket) remove(k value.Value) bool {
	id := idOf(k)
	i := -1
	if b.pos != nil {
		if p, ok := b.pos[id]; ok {
			i = p
			delete(b.pos, id)
		}
	} else {
		for p, r := range b.rows {
			if idOf(r.Key) == id {
				i = p
				break
			}
		}
	}
	if i < 0 {
		return false
	}
	last := len(b.rows) - 1
	if i != last {
		moved := b.rows[last]
		b.rows[i] = moved
		if b.pos != nil {
			b.pos[idOf(moved.Key)] = i
		}
	}
	b.rows[last] = nil
	b.rows = b.rows[:last]
	return true
}

// NewJoin returns a Join of type t. leftKey and rightKey compute the join
// key of a left and a right row (an Array for a composite key); leftWidth
// and rightWidth are the number of Vals of a left and a right row.
func NewJoin(t JoinType, leftKey, rightKey func(*Row) value.Value, leftWidth, rightWidth int) *Join {
	return &Join{
		typ: t, leftKey: leftKey, rightKey: rightKey,
		leftWidth: leftWidth, rightWidth: rightWidth,
		left:  joinIndex{idMap: newIDMap[*joinBucket](0)},
		right: joinIndex{idMap: newIDMap[*joinBucket](0)},
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
func (j *Join) LeftLen() int { return j.left.n }

// RightLen returns the number of rows held for the right input.
func (j *Join) RightLen() int { return j.right.n }

// push applies in to self. pad: self's unmatched rows are kept (padded);
// padOther: the other side's unmatched rows are.
func (j *Join) push(in Batch, self, other *joinIndex, key func(*Row) value.Value, selfLeft, pad, padOther bool) Batch {
	if self.n == 0 && len(in) > 1024 && !hasRemoval(in) {
		return j.pushFirst(in, self, other, key, selfLeft, pad, padOther)
	}
	e := &joinEmitter{j: j, selfLeft: selfLeft, pad: pad, padOther: padOther}
	for _, d := range in {
		if d.Row == nil || d.Mult == 0 {
			continue
		}
		jk, ok := joinKeyID(key(d.Row))
		if d.Mult < 0 {
			j.retract(d.Row, jk, ok, self, other, pad, padOther, e.emit)
			continue
		}
		self.n++
		if !ok {
			e.add(d.Row, nil, nil)
			continue
		}
		b := self.get(jk)
		if b == nil {
			b = &joinBucket{id: jk}
			self.set(jk, b)
		}
		e.add(d.Row, b, other.get(jk))
	}
	return Consolidate(e.out)
}

// joinEmitter makes the joined rows of one push.
type joinEmitter struct {
	j                       *Join
	selfLeft, pad, padOther bool
	rows                    Rows
	keys                    *keyArena // a first load's keys (nil: each its own)
	out                     Batch
}

// emit adds the pair of s (a row of the side pushed) and o (of the other
// side) with multiplicity mult; either may be nil (padding).
func (e *joinEmitter) emit(s, o *Row, mult int) {
	var r *Row
	if e.selfLeft {
		r = e.j.pair(&e.rows, e.keys, s, o)
	} else {
		r = e.j.pair(&e.rows, e.keys, o, s)
	}
	e.out = append(e.out, Delta{Row: r, Mult: mult})
}

// add adds row r to its bucket b (nil for a key that matches nothing) and
// emits what that changes: its pairs with the rows of ob, the other side's
// bucket of the key (nil when it has none), or its padding; and the
// retraction of the other rows' padding when r is the first of its key.
func (e *joinEmitter) add(r *Row, b, ob *joinBucket) {
	e.pairs(r, b != nil, b != nil && len(b.rows) == 0, ob)
	if b != nil {
		b.add(r)
	}
}

// pairs emits what adding row r changes: its pairs with the rows of ob
// (the other side's bucket of its join key, nil when it has none) or its
// padding, and, when r is the first of its key (first), the retraction
// of the other rows' padding. matchable is false for a key that matches
// nothing.
func (e *joinEmitter) pairs(r *Row, matchable, first bool, ob *joinBucket) {
	switch {
	case !matchable:
		if e.pad {
			e.emit(r, nil, 1)
		}
	case ob != nil:
		if e.padOther && first {
			for _, o := range ob.rows {
				e.emit(nil, o, -1)
			}
		}
		for _, o := range ob.rows {
			e.emit(r, o, 1)
		}
	case e.pad:
		e.emit(r, nil, 1)
	}
}

// pushFirst is push for a first load: a large batch of additions into an
// empty side. It goes through the batch in chunks, finding the buckets of
// a chunk's rows (the other side's bucket is looked up once per join key)
// and emitting their pairs in the batch's order, as push does, while the
// chunk's rows are in the cache; the rows go into their buckets at the
// end, each bucket's rows one slice of a single allocation (instead of
// growing one by one).
func (j *Join) pushFirst(in Batch, self, other *joinIndex, key func(*Row) value.Value, selfLeft, pad, padOther bool) Batch {
	self.strs = make(map[string]*joinBucket, distinctKeys(in, key)) // sized once instead of rehashing
	f := firstLoad{self: self, other: other, key: key, at: make([]int32, len(in))}
	e := &joinEmitter{j: j, selfLeft: selfLeft, pad: pad, padOther: padOther, keys: &keyArena{}}
	stream := j.stream
	switch {
	case stream != nil:
		e.rows.Reuse()
		e.out = make(Batch, 0, firstChunk)
	case other.n > 0 || pad:
		e.out = make(Batch, 0, len(in)) // most first loads pair a row about once
	}
	for start := 0; start < len(in); start += firstChunk {
		end := min(start+firstChunk, len(in))
		f.find(in[start:end], start)
		self.n += e.addFirst(in[start:end], f.at[start:end], &f)
		if stream != nil && len(e.out) > 0 {
			// A first load's pairs all have distinct keys: a chunk needs
			// no consolidation, and neither do chunks together.
			stream(e.out)
			clear(e.out)
			e.out = e.out[:0]
			e.rows.Rewind()
		}
	}
	f.fill(in)
	if stream != nil {
		return nil
	}
	return Consolidate(e.out)
}

// keySample is how many rows distinctKeys reads.
const keySample = 4096

// distinctKeys estimates how many distinct join keys the rows of in hold,
// the size of a first load's map of buckets: sized to len(in) it would
// hold that many slots where the keys may be far fewer (1M messages hold
// 100k user ids: 29 MB of slots for 4). The estimate counts the repeated
// keys c among the first keySample rows: n draws from D equally likely
// keys repeat about n²/2D times, so D is about n²/2c (len(in) when no key
// repeats; where the sample repeats most keys, it saw most of them).
// Too low an estimate costs the map's growth, no more.
func distinctKeys(in Batch, key func(*Row) value.Value) int {
	n := keySample
	if len(in) < 4*n {
		return len(in)
	}
	seen := newIDMap[struct{}](n) // strings by the string alone: a keyID hashes slowly in wasm
	for _, d := range in[:n] {
		if d.Row == nil {
			continue
		}
		if id, ok := joinKeyID(key(d.Row)); ok {
			seen.set(id, struct{}{})
		}
	}
	d := seen.len()
	switch c := n - d; {
	case c == 0:
		return len(in)
	case d <= n/2: // few keys, most of them seen
		return 2*d + 64
	default:
		return min(len(in), n*n/(2*c)*5/4+64)
	}
}

// A first load goes through its rows in chunks of firstChunk rows, each
// chunk a call (find, addFirst): in wasm a long loop runs on the code its
// function had when the loop began (V8 has no on-stack replacement for
// wasm), its baseline code for a first load, while later calls get the
// optimized code that tier-up made meanwhile.
const firstChunk = 2048

// A first load's row that is not added (skip) or whose join key matches
// nothing (unmatched), in place of its bucket's index.
const skip, unmatched = -1, -2

// firstLoad is the state of a first load (pushFirst).
type firstLoad struct {
	self, other *joinIndex
	key         func(*Row) value.Value
	at          []int32       // each row's bucket, by index into buckets
	buckets     []*joinBucket // the buckets made, in order
	others      []*joinBucket // the other side's bucket of each, or nil
	want        []int32       // the rows of each found so far
	added       []int32       // the rows of each added so far
	block       []joinBucket
	// ids holds copies of the string keys of the buckets made: the map
	// finds a bucket by comparing its key, and keys side by side are read
	// from the cache, where each in its row's text would cost a fetch from
	// memory per lookup in a large load.
	ids keyArena
}

// fill puts each row of the load in into its bucket (in the batch's
// order), the buckets' rows taking slices of one allocation, and indexes
// the rows of the large buckets.
func (f *firstLoad) fill(in Batch) {
	total := 0
	for _, n := range f.want {
		total += int(n)
	}
	arena := make([]*Row, total)
	off := 0
	for i, b := range f.buckets {
		n := int(f.want[i])
		b.rows = arena[off : off : off+n]
		off += n
	}
	for i, s := range f.at {
		if s >= 0 {
			b := f.buckets[s]
			b.rows = append(b.rows, in[i].Row)
		}
	}
	for _, b := range f.buckets {
		if len(b.rows) > bucketIndexAt {
			b.index()
		}
	}
}

// find finds the buckets of the rows in, which start at row from of the
// load, making those that are new.
//
//go:noinline
func (f *firstLoad) find(in Batch, from int) {
	at := f.at[from : from+len(in)]
	for i, d := range in {
		if d.Row == nil || d.Mult == 0 {
			at[i] = skip
			continue
		}
		jk, ok := joinKeyID(f.key(d.Row))
		if !ok {
			at[i] = unmatched
			continue
		}
		b := f.self.get(jk)
		if b == nil {
			if len(f.block) == 0 {
				f.block = make([]joinBucket, 256)
			}
			b, f.block = &f.block[0], f.block[1:]
			if jk.kind == value.KindString {
				jk.s = f.ids.own(jk.s)
			}
			b.id = jk
			b.slot = int32(len(f.buckets))
			f.self.set(jk, b)
			f.buckets = append(f.buckets, b)
			f.others = append(f.others, f.other.get(jk))
			f.want = append(f.want, 0)
			f.added = append(f.added, 0)
		}
		f.want[b.slot]++
		at[i] = b.slot
	}
}

// addFirst emits what adding the rows of a first load's chunk in changes
// (at: each row's index in f.buckets, or skip or unmatched), and returns
// how many rows it adds; fill puts them into their buckets.
//
//go:noinline
func (e *joinEmitter) addFirst(in Batch, at []int32, f *firstLoad) int {
	n := 0
	for i, d := range in {
		switch s := at[i]; s {
		case skip:
		case unmatched:
			n++
			e.pairs(d.Row, false, false, nil)
		default:
			n++
			e.pairs(d.Row, true, f.added[s] == 0, f.others[s])
			f.added[s]++
		}
	}
	return n
}

// retract removes row r (a removal: the row as it was added, with join
// key jk, matchable when ok) and emits the removal of its joined rows.
func (j *Join) retract(r *Row, jk keyID, ok bool, self, other *joinIndex, pad, padOther bool, emit func(s, o *Row, mult int)) {
	if !ok {
		if self.n > 0 {
			self.n--
			if pad {
				emit(r, nil, -1)
			}
		}
		return
	}
	b := self.get(jk)
	if b == nil || !b.remove(r.Key) {
		return // never added: nothing to retract
	}
	self.n--
	if len(b.rows) == 0 {
		self.remove(jk)
	}
	ob := other.get(jk)
	if ob == nil {
		if pad {
			emit(r, nil, -1)
		}
		return
	}
	for _, o := range ob.rows {
		emit(r, o, -1)
	}
	if padOther && len(b.rows) == 0 {
		for _, o := range ob.rows {
			emit(nil, o, 1)
		}
	}
}

// pair returns the joined row of l and r (either may be nil).
func (j *Join) pair(rows *Rows, keys *keyArena, l, r *Row) *Row {
	row := rows.New(keys.joinKey(l, r), j.leftWidth+j.rightWidth)
	// Value by value: copy() of a few Values is a call into the runtime
	// (typedslicecopy) that costs more than the copy.
	if l != nil {
		for i := range min(len(l.Vals), j.leftWidth) {
			row.Vals[i] = l.Vals[i]
		}
	}
	if r != nil {
		right := row.Vals[j.leftWidth:]
		for i := range min(len(r.Vals), j.rightWidth) {
			right[i] = r.Vals[i]
		}
	}
	return row
}
