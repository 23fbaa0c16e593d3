// Package ivm holds the incremental operators that live queries are built
// from: filter, project, join, group-by with aggregates, distinct, top-K and
// the output stage that turns row deltas into result changes.
//
// Data flows as batches of Deltas. A Delta adds (+1) or removes (-1) one
// Row. At every stage of a query graph rows are unique by key: a stage
// never holds two rows with the same key at once, so an update of a row is
// the removal of its old version followed by the addition of the new one,
// in one batch, and operators find the row to remove by its key.
//
// Every operator is incremental: the work for a batch is proportional to
// the batch (times the matches of a join key, or log n for ordered state),
// never to the size of its inputs.
package ivm

import (
	"github.com/streamdb/streamdb/core/value"
)

// Row is one row at some stage of a query graph.
type Row struct {
	// Key identifies the row at its stage: a source row's key (a String),
	// the JSON text of [leftKey, rightKey] after a join (see Join), a
	// group's key after a group-by (see GroupBy: the group value itself,
	// a serialized tuple, or "single_group"), the serialized selected value
	// after distinct (see Distinct).
	Key value.Value
	// Vals holds one value per source alias of the query, in the order the
	// query names its aliases (from, then each join); the missing side of an
	// outer join is Undefined. After an orderBy's stage it holds the row's
	// sort values instead (core/query's orderBy), all that TopK and an
	// ordered Output read.
	Vals []value.Value
	// Sel is the selected value (TanStack DB's $selected), set by the
	// project stage; Undefined before it.
	Sel value.Value
}

// Delta is the addition (Mult > 0) or removal (Mult < 0) of a Row.
type Delta struct {
	Row  *Row
	Mult int
}

// Batch is the deltas of one step, in the order they happened. Within a
// batch a key's removal comes before its re-addition; a key may change
// several times in one batch (its deltas then alternate: added, removed,
// added...). Operators treat Mult by its sign.
//
// A removal carries the row as it was added (the same Vals; a copy will
// do): operators that keep nothing per row (GroupBy, TopK, Join's
// buckets) find what to undo from it. The collections' change feed has
// the old row of every update and delete, and every operator emits its
// removals that way. A live query may drop an update that changes no
// field it reads (core/query's reads.go): a later removal then carries a
// row that differs from the one added only in fields no operator of that
// query reads, which is as good. An addition of a key that is present, or a removal of
// a key that is absent, is malformed: operators never panic on one, but
// their results are then undefined.
type Batch []Delta

// KeyID returns a string that identifies the key k among keys of every
// kind, for use as a Go map key: equal keys (value.Equal) give equal IDs,
// and keys of different kinds (the number 1 and the string "1", null and
// undefined) give different IDs. The form is a kind letter and the
// JavaScript text of the key: "s" + the string, "n" + String(number)
// ("n-1.5", "nNaN"), "b" + "true"/"false", "z" for null, "u" for undefined,
// "a"/"o" + JSON text for arrays and objects. A JS program computes the same
// ID from a TanStack DB key, which the differential tests rely on.
func KeyID(k value.Value) string {
	switch k.Kind() {
	case value.KindString:
		s, _ := k.Str()
		return "s" + s
	case value.KindUndefined:
		return "u"
	case value.KindNull:
		return "z"
	case value.KindNumber:
		// JavaScript's String(n): -0 is "0", NaN is "NaN".
		f, _ := k.Num()
		return "n" + value.NumberToString(f)
	case value.KindBool:
		return "b" + k.JSON()
	case value.KindArray:
		return "a" + k.JSON()
	default:
		return "o" + k.JSON()
	}
}

// NewRow returns a Row with key k and n Vals (all Undefined), allocated
// together with its Vals in one block for the common small widths: rows
// are made per source row and per stage, so this halves the allocations
// of a query's first result.
func NewRow(k value.Value, n int) *Row {
	switch n {
	case 1:
		r := &struct {
			Row
			v [1]value.Value
		}{}
		r.Key, r.Vals = k, r.v[:]
		return &r.Row
	case 2:
		r := &struct {
			Row
			v [2]value.Value
		}{}
		r.Key, r.Vals = k, r.v[:]
		return &r.Row
	case 3:
		r := &struct {
			Row
			v [3]value.Value
		}{}
		r.Key, r.Vals = k, r.v[:]
		return &r.Row
	case 4:
		r := &struct {
			Row
			v [4]value.Value
		}{}
		r.Key, r.Vals = k, r.v[:]
		return &r.Row
	}
	return &Row{Key: k, Vals: make([]value.Value, n)}
}
