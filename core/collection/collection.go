// Package collection holds the rows of one StreamDB collection: a synced
// layer written by the stream, in key order with O(log n) writes, and an
// optimistic overlay written by pending transactions. Every visible change
// comes out of a change feed as batches of {type, key, value, previous}.
//
// A Collection does no locking of its own: its owner (the database)
// serialises writes and publishes the change batches. Reads are safe while
// no write runs.
package collection

import (
	"sort"

	"github.com/streamdb/streamdb/core/value"
)

// ChangeType says what happened to a row.
type ChangeType uint8

// The change types.
const (
	Insert ChangeType = iota + 1
	Update
	Delete
)

func (t ChangeType) String() string {
	switch t {
	case Insert:
		return "insert"
	case Update:
		return "update"
	case Delete:
		return "delete"
	}
	return "unknown"
}

// Change is one visible change of a row. For a delete, Value is the row
// that went away; Previous is set for updates only.
type Change struct {
	Type     ChangeType
	Key      string
	Value    value.Value
	Previous value.Value
	// Meta is the row's state with Value (see Meta); PrevMeta with
	// Previous. An update may change only the state: the synced row that
	// replaces an optimistic one can be equal to it.
	Meta, PrevMeta Meta
}

// Overlay is one optimistic entry: a row value, or a deletion.
type Overlay struct {
	Deleted bool
	Value   value.Value
}

// Collection is one collection's rows.
type Collection struct {
	name, typ, pk string

	synced  *rows
	overlay map[string]Overlay
	// local holds the keys whose synced row was written while the key
	// had an optimistic entry (their $origin stays 'local', see Meta).
	local map[string]struct{}
	id    string // the collection id rows report as $collectionId
	quiet bool   // changes of a row's state alone are not reported (Quiet)

	// The batch in progress: the visible value of each key before its first
	// change, in the order keys were first touched. When the batch starts
	// on an empty collection (a preload, say) nothing needs recording: every
	// row visible at the end is an insert.
	inBatch    bool
	emptyStart bool
	before     map[string]value.Value
	beforeMeta map[string]Meta // the state of the keys of before whose state was not 0
	touched    []string

	version uint64 // batches that wrote something
}

// Version returns a number that changes with every batch that wrote to the
// collection: equal versions, equal rows.
func (c *Collection) Version() uint64 { return c.version }

// New returns an empty collection named name, fed by change events of type
// typ, whose rows carry their key in field pk.
func New(name, typ, pk string) *Collection {
	return &Collection{name: name, typ: typ, pk: pk, synced: newRows(), overlay: map[string]Overlay{}}
}

// Name returns the collection's name.
func (c *Collection) Name() string { return c.name }

// Type returns the event type routed to the collection.
func (c *Collection) Type() string { return c.typ }

// PrimaryKey returns the name of the field that holds a row's key.
func (c *Collection) PrimaryKey() string { return c.pk }

// Get returns the visible row for key.
func (c *Collection) Get(key string) (value.Value, bool) {
	if o, ok := c.overlay[key]; ok {
		if o.Deleted {
			return value.Value{}, false
		}
		return o.Value, true
	}
	return c.synced.get(key)
}

// Synced returns the synced row for key, ignoring the overlay.
func (c *Collection) Synced(key string) (value.Value, bool) {
	return c.synced.get(key)
}

// Has reports whether a row is visible for key.
func (c *Collection) Has(key string) bool {
	_, ok := c.Get(key)
	return ok
}

// Size returns the number of visible rows.
func (c *Collection) Size() int {
	n := c.synced.len()
	for k, o := range c.overlay {
		_, inSynced := c.synced.find(k)
		switch {
		case o.Deleted && inSynced:
			n--
		case !o.Deleted && !inSynced:
			n++
		}
	}
	return n
}

// Range calls fn for every visible row in key order until fn returns false.
func (c *Collection) Range(fn func(key string, v value.Value) bool) {
	if len(c.overlay) == 0 {
		c.synced.ascend(fn)
		return
	}
	extra := make([]string, 0, len(c.overlay))
	for k, o := range c.overlay {
		if !o.Deleted {
			if _, ok := c.synced.find(k); !ok {
				extra = append(extra, k)
			}
		}
	}
	sort.Slice(extra, func(i, j int) bool { return value.CompareKeys(extra[i], extra[j]) < 0 })
	stopped := false
	c.synced.ascend(func(key string, val value.Value) bool {
		for len(extra) > 0 && value.CompareKeys(extra[0], key) < 0 {
			if !fn(extra[0], c.overlay[extra[0]].Value) {
				stopped = true
				return false
			}
			extra = extra[1:]
		}
		if o, ok := c.overlay[key]; ok {
			if o.Deleted {
				return true
			}
			if !fn(key, o.Value) {
				stopped = true
				return false
			}
			return true
		}
		if !fn(key, val) {
			stopped = true
			return false
		}
		return true
	})
	for !stopped && len(extra) > 0 {
		if !fn(extra[0], c.overlay[extra[0]].Value) {
			return
		}
		extra = extra[1:]
	}
}

// RangeKeys is Range with each key as a String Value: one that a stored
// row's key made says whether its JSON needs escapes (value.Quoted), which
// saves the check wherever the key is written as JSON.
func (c *Collection) RangeKeys(fn func(key, v value.Value) bool) {
	if len(c.overlay) == 0 {
		c.synced.ascendSlots(func(s *slot) bool { return fn(s.keyValue(), s.val) })
		return
	}
	c.Range(func(k string, v value.Value) bool { return fn(value.String(k), v) })
}

// Begin starts a batch of writes whose visible effect End reports.
func (c *Collection) Begin() {
	c.inBatch = true
	c.emptyStart = c.synced.len() == 0 && len(c.overlay) == 0
	if c.before == nil {
		c.before = map[string]value.Value{}
		c.beforeMeta = map[string]Meta{}
	}
}

// touch records key's visible value before the batch changes it.
func (c *Collection) touch(key string) {
	if !c.inBatch {
		panic("collection: write outside Begin/End")
	}
	if c.emptyStart {
		return
	}
	if _, seen := c.before[key]; seen {
		return
	}
	v, _ := c.Get(key) // Undefined when absent
	c.before[key] = v
	if m := c.Meta(key); m != 0 {
		c.beforeMeta[key] = m
	}
	c.touched = append(c.touched, key)
}

// Put sets the synced row for key.
func (c *Collection) Put(key string, v value.Value) {
	c.touch(key)
	c.synced.upsert(key, v, nil)
	c.syncedWrite(key)
}

// Upsert sets the synced row for key to v, or, when there is one already,
// to merge(old, v), in one tree walk for a new key.
func (c *Collection) Upsert(key string, v value.Value, merge func(old, v value.Value) value.Value) {
	c.touch(key)
	c.synced.upsert(key, v, merge)
	c.syncedWrite(key)
}

// Remove deletes the synced row for key, if any.
func (c *Collection) Remove(key string) {
	if _, ok := c.synced.find(key); !ok {
		return
	}
	c.touch(key)
	c.synced.remove(key)
	delete(c.local, key)
}

// Truncate drops every synced row.
func (c *Collection) Truncate() {
	if c.synced.len() == 0 {
		return
	}
	c.synced.ascend(func(key string, _ value.Value) bool {
		c.touch(key)
		return true
	})
	c.synced.clear()
	clear(c.local)
}

// SetOverlay replaces the optimistic overlay. The keys whose entry changed
// are touched in key order, so the changes come out in a stable order.
func (c *Collection) SetOverlay(o map[string]Overlay) {
	var changed []string
	for k, old := range c.overlay {
		if n, ok := o[k]; !ok || !sameOverlay(n, old) {
			changed = append(changed, k)
		}
	}
	for k := range o {
		if _, ok := c.overlay[k]; !ok {
			changed = append(changed, k)
		}
	}
	sort.Slice(changed, func(i, j int) bool { return value.CompareKeys(changed[i], changed[j]) < 0 })
	for _, k := range changed {
		c.touch(k)
	}
	if o == nil {
		o = map[string]Overlay{}
	}
	c.overlay = o
}

func sameOverlay(a, b Overlay) bool {
	return a.Deleted == b.Deleted && value.Equal(a.Value, b.Value) && a.Value.Kind() == b.Value.Kind()
}

// End finishes the batch and returns its visible changes, in the order the
// keys were first touched; a batch that began on an empty collection gives
// its inserts in key order. A key whose visible row ends as it began gives
// no change. With collect false (nobody listens) it only ends the batch.
func (c *Collection) End(collect bool) []Change {
	if c.emptyStart || len(c.touched) > 0 {
		c.version++
	}
	if !collect {
		clear(c.before)
		clear(c.beforeMeta)
		c.touched = c.touched[:0]
		c.inBatch, c.emptyStart = false, false
		return nil
	}
	if c.emptyStart {
		c.inBatch, c.emptyStart = false, false
		out := make([]Change, 0, c.Size())
		c.Range(func(k string, v value.Value) bool {
			out = append(out, Change{Type: Insert, Key: k, Value: v, Meta: c.Meta(k)})
			return true
		})
		return out
	}
	out := make([]Change, 0, len(c.touched))
	for _, k := range c.touched {
		was, wasMeta := c.before[k], c.beforeMeta[k]
		now, present := c.Get(k)
		existed := !was.IsUndefined()
		switch {
		case !existed && present:
			out = append(out, Change{Type: Insert, Key: k, Value: now, Meta: c.Meta(k)})
		case existed && !present:
			out = append(out, Change{Type: Delete, Key: k, Value: was, Meta: wasMeta})
		case existed && present:
			if m := c.Meta(k); (m != wasMeta && !c.quiet) || !value.Equal(was, now) {
				out = append(out, Change{Type: Update, Key: k, Value: now, Previous: was, Meta: m, PrevMeta: wasMeta})
			}
		}
	}
	clear(c.before)
	clear(c.beforeMeta)
	c.touched = c.touched[:0]
	c.inBatch = false
	return out
}

// RangeSyncedAfter calls fn for every synced row (the optimistic layer
// left out) whose key sorts after key, in key order, until fn returns
// false; from the first row when first is set. A caller can go through
// the rows in slices, changing them in between, and pick up after the
// last key it saw.
func (c *Collection) RangeSyncedAfter(key string, first bool, fn func(key string, v value.Value) bool) {
	if first {
		c.synced.ascend(fn)
		return
	}
	c.synced.ascendAfter(key, fn)
}

// Quiet stops the reports of updates that change only a row's state (its
// Meta), as for the collections whose confirmations TanStack DB does not
// publish (local-only collections, whose writes confirm themselves).
func (c *Collection) Quiet() { c.quiet = true }
