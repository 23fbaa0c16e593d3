// Package query compiles live queries (core/ir) into incremental operator
// graphs (core/ivm) and runs them over collections: Load gives the first
// result, and each later batch of collection changes gives the batch of
// result changes it causes.
//
// The semantics are TanStack DB 0.15.2's (the @tanstack/db npm package;
// internal/querydiff compares the two on random data and changes):
// evaluation runs from, joins, where, select (or group-by with aggregates
// and having), distinct, then orderBy with offset and limit. Result keys
// are the source key for one source, the JSON text of [leftKey, rightKey]
// for joins, the group's key for group-by, and a key derived from the
// value for distinct. Without orderBy the result is in key order.
package query

import (
	"github.com/streamdb/streamdb/core/collection"
	"github.com/streamdb/streamdb/core/ivm"
	"github.com/streamdb/streamdb/core/value"
)

// LiveQuery is a compiled query and its current result. It is not safe for
// concurrent use: its owner feeds it one batch at a time.
type LiveQuery struct {
	leaves      map[string][]*leaf
	collections []string
	// loadOrder lists the collections in the order the query's sources
	// first read them (its from's first).
	loadOrder []string
	col       *collector
	out       *ivm.Output
	single    bool
	ordered   bool
	// shared: the source rows in flight belong to a Step, which every
	// live query of the database reads; no stage may change them.
	shared bool
	// err: a callback failed; the query applies nothing more (fn.go).
	err *CallbackError
	// stream: the query's last join, when nothing after it but the result
	// keeps a row: its first load is streamed (see load).
	stream *pairNode
}

// Collections returns the names of the collections the query reads, sorted.
func (lq *LiveQuery) Collections() []string { return lq.collections }

// Ordered reports whether the result is in orderBy order (else it is in
// key order, where an update never moves a row).
func (lq *LiveQuery) Ordered() bool { return lq.ordered }

// SingleResult reports whether the query asked for one row (findOne).
func (lq *LiveQuery) SingleResult() bool { return lq.single }

// Reader reads every row of a collection, in any order, until fn returns
// false.
type Reader func(collection string, fn func(key string, v value.Value) bool)

// Load computes the first result from the current rows of the collections;
// read it with Range.
func (lq *LiveQuery) Load(read Reader) { lq.LoadSized(read, nil) }

// LoadSized is Load told how many rows each collection holds (size may be
// nil, and a wrong size costs only time): a first result then builds each
// collection's batch in one allocation instead of growing it.
func (lq *LiveQuery) LoadSized(read Reader, size func(collection string) int) {
	lq.load(func(name string) ivm.Batch {
		n := 0
		if size != nil {
			n = size(name)
		}
		return SourceRows(func(fn func(key, v value.Value) bool) {
			read(name, func(k string, v value.Value) bool { return fn(value.String(k), v) })
		}, n)
	})
}

// LoadRows computes the first result from rows(name), each collection's
// current rows as additions, which the caller may give to other live
// queries too: no stage changes them (as in a Step). A database that opens
// several queries on a collection gives them all one batch of rows, made
// once.
func (lq *LiveQuery) LoadRows(rows func(collection string) ivm.Batch) {
	lq.shared = true
	defer func() { lq.shared = false }()
	lq.load(rows)
}

// load feeds each collection's rows(name) and fills the result. The
// sources load last to first (loadOrder reversed, a collection's leaves
// too): a join emits its pairs when its second side loads, in that side's
// order, and with the from's rows last the pairs come in the from's row
// order, which is its key order: the result's order, so that filling the
// result needs no sort (Output.Fill).
func (lq *LiveQuery) load(rows func(collection string) ivm.Batch) {
	if lq.err != nil {
		return
	}
	defer lq.catch()
	var fill *ivm.Filler
	if lq.stream != nil && lq.out.Len() == 0 {
		// The join's first load passes its pairs on a chunk at a time,
		// each chunk's rows made from the memory of the chunk before, and
		// the result takes each row's key and value as it comes: a first
		// result of n pairs allocates a few blocks of rows, not n rows.
		j, next := lq.stream.join, lq.stream.next
		fill = lq.out.NewFiller()
		j.StreamFirst(next.push)
		lq.col.fill = fill
		defer func() {
			j.StreamFirst(nil)
			lq.col.fill = nil
		}()
	}
	for i := len(lq.loadOrder) - 1; i >= 0; i-- {
		name := lq.loadOrder[i]
		b := rows(name)
		if len(b) == 0 {
			continue
		}
		leaves := lq.leaves[name]
		for j := len(leaves) - 1; j >= 0; j-- {
			leaves[j].pushLoad(b)
		}
	}
	if fill != nil {
		fill.Done()
		return
	}
	b := lq.col.buf
	lq.col.buf = nil
	lq.out.Fill(b)
}

// SourceRows returns the rows of a collection as LoadRows takes them: read
// calls fn for every row, with its key as a String Value (a
// value.QuotedString where the collection knows its key needs no escape);
// size is how many rows it holds (a wrong size costs only time).
func SourceRows(read func(fn func(key, v value.Value) bool), size int) ivm.Batch {
	rows := make(ivm.Batch, 0, size)
	var alloc ivm.Rows
	read(func(key, v value.Value) bool {
		r := alloc.New(key, 1)
		r.Vals[0] = v
		rows = append(rows, ivm.Delta{Row: r, Mult: 1})
		return true
	})
	return rows
}

// Apply feeds one committed batch of changes of one collection through the
// graph and returns the result changes it causes (nil when the result did
// not change).
func (lq *LiveQuery) Apply(name string, changes []collection.Change) []ivm.Change {
	return lq.ApplyStep(NewStep(map[string][]collection.Change{name: changes}))
}

// ApplyAll feeds one atomic step that changed several collections (a
// stream batch, or a transaction) and returns its result changes as one
// batch.
func (lq *LiveQuery) ApplyAll(changes map[string][]collection.Change) []ivm.Change {
	return lq.ApplyStep(NewStep(changes))
}

// Step is one atomic step's changes (a stream batch, or a transaction) by
// collection, as every live query of a database reads them: a collection's
// changes become row deltas once, the first time a query asks, and every
// query reads the same rows (none changes them). A step with n live
// queries on a collection allocates its rows once instead of n times.
type Step struct {
	changes map[string][]collection.Change
	batches map[string]ivm.Batch
}

// NewStep returns the step of changes.
func NewStep(changes map[string][]collection.Change) *Step {
	return &Step{changes: changes}
}

// batch returns the row deltas of collection name's changes.
func (s *Step) batch(name string) ivm.Batch {
	if b, ok := s.batches[name]; ok {
		return b
	}
	b := deltas(s.changes[name])
	if s.batches == nil {
		s.batches = map[string]ivm.Batch{}
	}
	s.batches[name] = b
	return b
}

// ApplyStep feeds one atomic step and returns its result changes as one
// batch (nil when the result did not change).
func (lq *LiveQuery) ApplyStep(s *Step) []ivm.Change {
	if lq.err != nil {
		return nil
	}
	defer lq.catch()
	lq.shared = true
	defer func() { lq.shared = false }()
	for _, name := range lq.collections {
		if len(s.changes[name]) == 0 {
			continue
		}
		for _, l := range lq.leaves[name] {
			l.pushStep(s)
		}
	}
	return lq.flush()
}

func (lq *LiveQuery) flush() []ivm.Change {
	if len(lq.col.buf) == 0 {
		return nil
	}
	b := lq.col.buf
	lq.col.buf = nil
	return lq.out.Push(b)
}

// deltas turns a collection's changes into row deltas: an update is the
// removal of the previous row and the addition of the new one.
func deltas(changes []collection.Change) ivm.Batch {
	b := make(ivm.Batch, 0, len(changes)+len(changes)/2)
	var rows ivm.Rows
	row := func(k, v value.Value) *ivm.Row {
		r := rows.New(k, 1)
		r.Vals[0] = v
		return r
	}
	for _, c := range changes {
		if metaOnly(c) {
			continue
		}
		k := value.String(c.Key)
		switch c.Type {
		case collection.Insert:
			b = append(b, ivm.Delta{Row: row(k, c.Value), Mult: 1})
		case collection.Update:
			b = append(b,
				ivm.Delta{Row: row(k, c.Previous), Mult: -1},
				ivm.Delta{Row: row(k, c.Value), Mult: 1})
		case collection.Delete:
			b = append(b, ivm.Delta{Row: row(k, c.Value), Mult: -1})
		}
	}
	return b
}

// Len returns the number of rows in the result.
func (lq *LiveQuery) Len() int { return lq.out.Len() }

// Get returns the result row with key k.
func (lq *LiveQuery) Get(k value.Value) (value.Value, bool) { return lq.out.Get(k) }

// Range calls fn for every result row in result order until fn returns
// false.
func (lq *LiveQuery) Range(fn func(key, v value.Value) bool) { lq.out.Range(fn) }

// Rank returns the position of the row with key k in the result order, or
// -1.
func (lq *LiveQuery) Rank(k value.Value) int { return lq.out.Rank(k) }
