package ivm

import (
	"cmp"

	"github.com/streamdb/streamdb/core/collection"
	"github.com/streamdb/streamdb/core/value"
)

// ChangeType is the kind of a result change: the collections' change
// types (insert, update, delete), so that one name serves both feeds.
type ChangeType = collection.ChangeType

// The kinds of result change, as TanStack DB's change messages.
const (
	// Insert: a key entered the result.
	Insert = collection.Insert
	// Update: a key's value changed (to a value not deep-equal to the
	// previous one), or, in an ordered result, its row moved.
	Update = collection.Update
	// Delete: a key left the result.
	Delete = collection.Delete
)

// Change is one change of a query result. Value is the new value (for an
// Insert or Update) or the value removed (for a Delete); Previous is the
// value before an Update (Undefined otherwise).
type Change struct {
	Type     ChangeType
	Key      value.Value
	Value    value.Value
	Previous value.Value
	// OldRank is the row's position in result order before the batch
	// (Delete, Update), and Rank its position after the whole batch
	// (Insert, Update); -1 when not applicable. A mirror of the ordered
	// result applies a batch by removing the rows with an OldRank from the
	// highest position down, then inserting the rows with a Rank from the
	// lowest up (an update of an ordered result is both; in key order an
	// update stays in place).
	OldRank, Rank int
}

// Output is the last stage of a query graph: it turns row deltas into
// result changes and keeps the current result in result order.
//
// Per key, the deltas of a batch are consolidated into their net effect:
// an Insert, a Delete, an Update when the value (val of the row) is not
// deep-equal (value.Equal) to the previous one, or nothing. Changes come in
// the order their keys first appear in the batch.
type Output struct {
	val   func(*Row) value.Value
	order func(a, b *Row) int // nil when keyed
	tree  *tree[*outEntry]
	byKey map[keyID]*outEntry // the entries by key; nil when keyed (the tree finds them)
	keyed bool                // ordered by key: a row's position never changes
	probe outEntry            // what find looks up in the tree (a keyed Output)
	nets  []net               // push's buffer
	ints  []int               // push's buffer of positions (old ranks, then placed changes)
	ents  []*outEntry         // push's buffer of the placed changes' entries
	spare []outEntry          // the unused rest of the block that live inserts take entries from
	free  []*outEntry         // entries of rows that left, cleared, taken first by inserts
}

type outEntry struct {
	key value.Value // the row's key
	row *Row        // the row, kept only by an ordered Output (its order reads it)
	v   value.Value
	pre uint64 // the key's prefix (keyPrefix): a keyed Output compares it first
}

// keyPrefix returns a number whose order agrees with the key order of k
// against any other key with a prefix, when the two numbers differ (equal
// numbers say nothing): for a string key whose first eight bytes (or all,
// when shorter) are ASCII, those bytes as a big-endian number, zero-padded,
// with the top bit set; 0 (no prefix) for any other key. ASCII bytes order
// as UTF-16 code units do, and a shorter key that is a prefix of another
// comes first either way. Comparing it instead of the key's bytes saves a
// fetch from memory at each step of a search through the result.
func keyPrefix(k value.Value) uint64 {
	s, ok := k.Str()
	if !ok {
		return 0
	}
	var p uint64
	n := min(len(s), 8)
	for i := 0; i < n; i++ {
		c := s[i]
		if c >= 0x80 {
			return 0
		}
		p |= uint64(c) << (56 - 8*i)
	}
	return p | 1<<63
}

// NewOutput returns an empty Output. val computes a row's result value.
// order orders the result (ties broken by key); nil orders it by key with
// CompareKeys, as TanStack DB orders a result without orderBy.
func NewOutput(val func(*Row) value.Value, order func(a, b *Row) int) *Output {
	o := &Output{val: val}
	if order == nil {
		o.keyed = true
		o.tree = newTree(compareEntryKeys)
	} else {
		o.byKey = map[keyID]*outEntry{}
		cmp := totalOrder(order)
		o.order = cmp
		o.tree = newTree(func(a, b *outEntry) int { return cmp(a.row, b.row) })
	}
	return o
}

// Push applies a batch of row deltas and returns the result changes, with
// their ranks (see Change).
func (o *Output) Push(in Batch) []Change { return o.push(in, true) }

// PushUnranked is Push without the ranks (OldRank and Rank are -1): for a
// first result, which nobody mirrors change by change. Into an empty
// Output it builds the result in one pass.
func (o *Output) PushUnranked(in Batch) []Change { return o.push(in, false) }

// Fill applies a batch like PushUnranked but reports no changes: for a
// first result read through Range. Into an empty Output a batch of
// additions is built in one pass with nothing kept but the result.
func (o *Output) Fill(in Batch) {
	if o.tree.Len() == 0 && !hasRemoval(in) {
		rows := make([]*Row, 0, len(in))
		for _, d := range in {
			if d.Row != nil && d.Mult > 0 {
				rows = append(rows, d.Row)
			}
		}
		o.build(rows, false)
		return
	}
	o.push(in, false)
}

// A Filler fills an empty keyed Output with a first result that comes in
// batches (Add), taking each row's key and value as it comes, so that the
// rows and the batches may be used again once Add returns (a streamed
// first load: Join.StreamFirst). Done builds the result as Fill would have
// from the batches together. Until Done the Output must not be used.
type Filler struct {
	o      *Output
	blocks [][]outEntry // the additions so far, in order, each block full but the last
	n      int          // additions so far
	// plain: every key so far is a string without a byte from 0xED up
	// (sortByStringKey's condition) and its entry has its key prefix;
	// sorted: and they came in key order (last: the last key), which spares
	// Done the pass of sortByStringKey.
	plain, sorted bool
	last          string
	// rest holds copies of the deltas from the first one that is not a
	// plain addition on (a removal: an outer join's padding that a later
	// row of its key retracted): Done then pushes everything as a batch.
	rest Batch
	rows Rows
}

// NewFiller returns a Filler of o, which must be keyed (no order) and
// empty.
func (o *Output) NewFiller() *Filler {
	if !o.keyed || o.tree.Len() > 0 {
		panic("ivm: NewFiller of an ordered or non-empty Output")
	}
	return &Filler{o: o, plain: true, sorted: true}
}

// fillerBlock is the most entries a Filler allocates at once.
const fillerBlock = 4096

// Add takes the deltas of in.
func (f *Filler) Add(in Batch) {
	for _, d := range in {
		switch {
		case d.Row == nil || d.Mult == 0:
		case d.Mult == 1 && f.rest == nil:
			f.add(d.Row)
		default:
			f.rest = append(f.rest, Delta{Row: f.valued(d.Row.Key, f.o.val(d.Row)), Mult: d.Mult})
		}
	}
}

// valued returns a row of key k that carries its value v as its Sel
// (what Done pushes when a removal came).
func (f *Filler) valued(k, v value.Value) *Row {
	r := f.rows.New(k, 0)
	r.Sel = v
	return r
}

// add makes the entry of an added row.
func (f *Filler) add(r *Row) {
	k := len(f.blocks) - 1
	if k < 0 || len(f.blocks[k]) == cap(f.blocks[k]) {
		f.blocks = append(f.blocks, make([]outEntry, 0, min(max(f.n, 64), fillerBlock)))
		k++
	}
	b := f.blocks[k][:len(f.blocks[k])+1]
	f.blocks[k] = b
	e := &b[len(b)-1]
	f.o.fill(e, r)
	f.n++
	if !f.plain {
		return
	}
	// While the key's bytes are at hand.
	s, ok := e.key.Str()
	if !ok || !belowED(s) {
		f.plain = false
		return
	}
	e.pre = keyPrefix(e.key)
	if f.n > 1 && s < f.last {
		f.sorted = false
	}
	f.last = s
}

// belowED reports whether no byte of s is 0xED or above.
func belowED(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0xED {
			return false
		}
	}
	return true
}

// Done builds the result from what Add took.
func (f *Filler) Done() {
	o := f.o
	entries := make([]*outEntry, 0, f.n)
	for _, b := range f.blocks {
		for i := range b {
			entries = append(entries, &b[i])
		}
	}
	f.blocks, f.last = nil, ""
	if f.rest == nil {
		o.place(entries, f.plain && f.sorted)
		return
	}
	b := make(Batch, 0, len(entries)+len(f.rest))
	for _, e := range entries {
		b = append(b, Delta{Row: f.valued(e.key, e.v), Mult: 1})
	}
	// The rows carry their values (Sel): a keyed Output keeps no row, so
	// none of them outlives the push.
	val := o.val
	o.val = func(r *Row) value.Value { return r.Sel }
	defer func() { o.val = val }()
	o.push(append(b, f.rest...), false)
	f.rest = nil
}

// netsKept is the largest per-key buffer an Output keeps between pushes
// (entries; 56 bytes each).
const netsKept = 4096

// net is the effect of a batch on one key of an Output.
type net struct {
	id      keyID
	before  *outEntry // nil: absent before the batch
	after   *Row      // nil: absent after
	present bool
	changed bool // a delta of the batch touched the key
	rank    int  // before's position when looked up with it (findRank), else -1; for a key absent before, where it would go
}

func (o *Output) push(in Batch, ranked bool) []Change {
	// The per-key effects, in a buffer kept from push to push (cleared
	// after, so that it holds no rows) unless it is large: a first
	// result's would hold memory until the next change.
	nets := o.nets[:0]
	if cap(nets) < len(in) {
		nets = make([]net, 0, len(in))
	}
	defer func() {
		o.nets = nil
		if cap(nets) <= netsKept {
			clear(nets)
			o.nets = nets[:0]
		}
	}()
	var idx *keyIndex
	if len(in) > 2 {
		idx = getKeyIndex()
		defer idx.put()
	}
	for _, d := range in {
		if d.Row == nil || d.Mult == 0 {
			continue
		}
		id := idOf(d.Row.Key)
		i := -1
		if idx != nil {
			if j, seen := idx.index(d.Row.Key, len(nets)); seen {
				i = j
			}
		} else {
			for j := range nets {
				if nets[j].id == id {
					i = j
				}
			}
		}
		if i < 0 {
			i = len(nets)
			var b *outEntry
			rank := -1
			if ranked && o.keyed {
				b, rank = o.findRank(d.Row.Key)
			} else {
				b = o.find(id, d.Row.Key)
			}
			nets = append(nets, net{id: id, before: b, present: b != nil, rank: rank})
			if b != nil {
				nets[i].after = b.row
			}
		}
		nets[i].changed = true
		if d.Mult > 0 {
			nets[i].after, nets[i].present = d.Row, true
		} else {
			nets[i].after, nets[i].present = nil, false
		}
	}
	if !ranked && o.tree.Len() == 0 && len(nets) > 16 {
		return o.build(nets2rows(nets, func(n net) (*Row, bool) { return n.after, n.present }), true)
	}
	// Positions before the batch of the rows that leave or may move: all
	// taken before the tree changes.
	// Its other buffers too, kept while small: a live change of a few rows
	// allocates only what it returns.
	ints, ents := o.ints, o.ents
	if cap(ints) < 2*len(nets) {
		ints = make([]int, 2*len(nets))
	}
	if cap(ents) < len(nets) {
		ents = make([]*outEntry, 0, len(nets))
	}
	defer func() {
		o.ints, o.ents = nil, nil
		if cap(ents) <= netsKept {
			clear(ents[:cap(ents)])
			o.ints, o.ents = ints[:0], ents[:0]
		}
	}()
	oldRank := ints[:len(nets)]
	for i, n := range nets {
		oldRank[i] = -1
		if b := n.before; ranked && b != nil && (!n.present || (!o.keyed && n.after != b.row)) {
			if oldRank[i] = n.rank; n.rank < 0 {
				oldRank[i], _ = o.tree.Rank(b)
			}
		}
	}
	out := make([]Change, 0, len(nets))
	placed := ints[len(nets):len(nets)] // indexes into out of the changes whose new rank is due
	entries := ents[:0]
	membership := false // a row came or went: positions after it moved
	for i, n := range nets {
		b := n.before
		switch {
		case b == nil && n.present:
			membership = true
			e := o.entry(n.after)
			if o.byKey != nil {
				o.byKey[n.id] = e
			}
			o.tree.Insert(e)
			out = append(out, Change{Type: Insert, Key: n.after.Key, Value: e.v, OldRank: -1})
			placed, entries = append(placed, len(out)-1), append(entries, e)
		case b != nil && !n.present:
			membership = true
			if o.byKey != nil {
				delete(o.byKey, n.id)
			}
			o.tree.Delete(b)
			out = append(out, Change{Type: Delete, Key: b.key, Value: b.v, OldRank: oldRank[i], Rank: -1})
			o.release(b)
		case b != nil && (o.keyed && n.changed || !o.keyed && n.after != b.row):
			v := o.val(n.after)
			moved := false
			if !o.keyed {
				moved = o.order(b.row, n.after) != 0
				o.tree.Delete(b)
			}
			if !o.keyed {
				b.row = n.after
				o.tree.Insert(b)
			}
			if !value.Equal(v, b.v) || moved {
				// A row whose value is unchanged but whose place in the
				// order changed is reported too, so that a mirror of the
				// ordered result can move it.
				prev := b.v
				b.v = v
				old := oldRank[i]
				if o.keyed {
					old = n.rank // key order: its place before the batch, when known
				}
				out = append(out, Change{Type: Update, Key: b.key, Value: v, Previous: prev, OldRank: old})
				placed, entries = append(placed, len(out)-1), append(entries, b)
			} else {
				b.v = v
			}
		}
	}
	for j, k := range placed {
		if o.keyed && out[k].Type == Update && !membership && out[k].OldRank >= 0 {
			out[k].Rank = out[k].OldRank // no row came or went, and none moves
			continue
		}
		if ranked && o.keyed && len(nets) == 1 && out[k].Type == Insert {
			out[k].Rank = nets[0].rank // the only change: it went where findRank found its place
			continue
		}
		out[k].Rank = -1
		if ranked {
			out[k].Rank, _ = o.tree.Rank(entries[j])
		}
		if o.keyed && out[k].Type == Update {
			out[k].OldRank = out[k].Rank // key order: an update never moves
		}
	}
	return out
}

// entry makes the result entry of row r. A keyed Output keeps its key and
// value only, so the row (and what it holds: a join's pair, the source
// rows) can go.
func (o *Output) entry(r *Row) *outEntry {
	var e *outEntry
	if n := len(o.free); n > 0 {
		e = o.free[n-1]
		o.free[n-1] = nil
		o.free = o.free[:n-1]
	} else {
		// Live inserts take their entries from blocks: one object for
		// the collector per block instead of one per row.
		if len(o.spare) == 0 {
			o.spare = make([]outEntry, min(max(o.tree.Len()/8, 8), outBlock))
		}
		e = &o.spare[0]
		o.spare = o.spare[1:]
	}
	o.fill(e, r)
	if o.keyed {
		e.pre = keyPrefix(r.Key)
	}
	return e
}

// outBlock is the most entries a block of live inserts holds (64 bytes
// each).
const outBlock = 128

// release takes back the entry of a row that left the result: cleared, so
// that it holds nothing, and kept for the next insert. The free list never
// grows beyond the result's size (past a few blocks' worth): a result that
// shrank lets its spare entries go.
func (o *Output) release(e *outEntry) {
	*e = outEntry{}
	if len(o.free) >= 4*outBlock && len(o.free) >= o.tree.Len() {
		clear(o.free)
		o.free = o.free[:0]
		return
	}
	o.free = append(o.free, e)
}

// fill makes e the result entry of row r.
func (o *Output) fill(e *outEntry, r *Row) {
	e.key, e.v = r.Key, o.val(r)
	if !o.keyed {
		e.row = r
	}
}

// nets2rows returns the rows present after a batch, from its per-key net
// effects.
func nets2rows[N any](nets []N, after func(N) (*Row, bool)) []*Row {
	rows := make([]*Row, 0, len(nets))
	for _, n := range nets {
		if r, ok := after(n); ok {
			rows = append(rows, r)
		}
	}
	return rows
}

// build fills an empty Output with rows (unique keys): sorted once and
// built bottom-up, instead of n tree insertions. With report, it returns
// the inserts in result order, unranked.
// place builds the result of an empty Output from its entries, sorted
// first unless inOrder says they are (in key order, with their prefixes).
func (o *Output) place(entries []*outEntry, inOrder bool) {
	if !inOrder && (!o.keyed || !sortByStringKey(entries)) {
		sortByPosition(entries, o.tree.cmp)
	}
	o.tree.Build(entries)
}

func (o *Output) build(rows []*Row, report bool) []Change {
	// The entries of a build are one block (it stays while one of them is
	// in the result: at most the memory of this build).
	block := make([]outEntry, len(rows))
	entries := make([]*outEntry, len(rows))
	for i, r := range rows {
		e := &block[i]
		o.fill(e, r)
		entries[i] = e
		if o.byKey != nil {
			o.byKey[idOf(r.Key)] = e
		}
	}
	o.place(entries, false)
	if !report {
		return nil
	}
	out := make([]Change, len(entries))
	for i, e := range entries {
		out[i] = Change{Type: Insert, Key: e.key, Value: e.v, OldRank: -1, Rank: -1}
	}
	return out
}

// Len returns the number of rows in the result.
func (o *Output) Len() int { return o.tree.Len() }

// find returns the entry of the key k (whose keyID is id), or nil: through
// the map by key, or in key order through the tree, which saves a first
// result of n rows n map insertions and their memory.
func (o *Output) find(id keyID, k value.Value) *outEntry {
	if o.byKey != nil {
		return o.byKey[id]
	}
	o.probe.key, o.probe.pre = k, keyPrefix(k)
	e, _ := o.tree.Get(&o.probe)
	o.probe.key = value.Undefined()
	return e
}

// findRank returns the entry of the key k and its position in a keyed
// Output, or nil and the position k would take, in one walk of the tree.
func (o *Output) findRank(k value.Value) (*outEntry, int) {
	o.probe.key, o.probe.pre = k, keyPrefix(k)
	e, r, ok := o.tree.GetRank(&o.probe)
	o.probe.key = value.Undefined()
	if !ok {
		return nil, r
	}
	return e, r
}

// Get returns the value of the row with key key.
func (o *Output) Get(key value.Value) (value.Value, bool) {
	if e := o.find(idOf(key), key); e != nil {
		return e.v, true
	}
	return value.Undefined(), false
}

// Range calls fn for each row of the result, in result order, until fn
// returns false.
func (o *Output) Range(fn func(key, v value.Value) bool) {
	o.tree.Ascend(0, func(e *outEntry) bool { return fn(e.key, e.v) })
}

// RangeFrom calls fn for the rows from position from on, in result order,
// until fn returns false. It costs O(log n) plus the rows visited.
func (o *Output) RangeFrom(from int, fn func(key, v value.Value) bool) {
	o.tree.Ascend(from, func(e *outEntry) bool { return fn(e.key, e.v) })
}

// At returns the key and value of the row at position i in result order.
func (o *Output) At(i int) (key, v value.Value, ok bool) {
	e, ok := o.tree.At(i)
	if !ok {
		return value.Undefined(), value.Undefined(), false
	}
	return e.key, e.v, true
}

// Rank returns the position of the row with key key in result order, or
// -1 when the result has no such row.
func (o *Output) Rank(key value.Value) int {
	e := o.find(idOf(key), key)
	if e == nil {
		return -1
	}
	r, ok := o.tree.Rank(e)
	if !ok {
		return -1
	}
	return r
}

// sortByStringKey sorts entries by key (compareEntryKeys' order) when
// every key is a string without a byte from 0xED up, and reports whether
// it did. Below U+D000 (the last byte a UTF-8 text of such characters
// holds is 0xEC) the order of UTF-8 bytes is that of UTF-16 code units,
// so the sort compares bytes, without decoding. Entries already in order
// (a source's rows come in key order, and a join's pairs in the order of
// its first side's keys) stay as they are. It gives the entries it reads
// their key prefixes (keyPrefix).
func sortByStringKey(entries []*outEntry) bool {
	keys := make([]string, len(entries))
	sorted := true
	for i, e := range entries {
		s, ok := e.key.Str()
		if !ok {
			return false
		}
		// While its bytes are at hand; an entry left without one (0)
		// compares by its key's bytes.
		e.pre = keyPrefix(e.key)
		if !belowED(s) {
			return false
		}
		keys[i] = s
		if i > 0 && sorted && keys[i-1] > s {
			sorted = false
		}
	}
	if !sorted {
		permute(entries, stringOrder(keys))
	}
	return true
}

// compareEntryKeys orders entries by key (CompareKeys), with a fast path
// for the common case of two string keys.
func compareEntryKeys(a, b *outEntry) int {
	if a.pre != b.pre && a.pre != 0 && b.pre != 0 {
		return cmp.Compare(a.pre, b.pre)
	}
	if x, ok := a.key.Str(); ok {
		if y, ok := b.key.Str(); ok {
			return value.Lexical(x, y)
		}
	}
	return CompareKeys(a.key, b.key)
}
