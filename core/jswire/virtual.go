package jswire

import (
	"strings"

	"github.com/streamdb/streamdb/core/collection"
	"github.com/streamdb/streamdb/core/db"
	"github.com/streamdb/streamdb/core/value"
)

// With the virtualProps option every row a user reads carries TanStack DB
// 0.15.2's virtual fields after its own: {...row, $hasPendingWrites,
// $synced, $origin, $key, $collectionId}. They are written here, where the
// row's text is written, so that no object is made twice: a collection
// row's from its state (collection.Meta), its key and its collection's id;
// a live query's result row keeps the ones it holds (a source row passed
// through, a spread, a group's) and gets the others as TanStack DB's live
// query collection gives them: synced, of remote origin, $key the result
// key, $collectionId the live query's id.

// Virtual names the ids the virtual fields of a step's rows report.
type Virtual struct {
	// Collection returns a collection's id by name.
	Collection func(name string) string
	// Query returns a live query's id.
	Query func(*db.Live) string
}

// virtualSize is about the length of the virtual fields without the key
// and the id.
const virtualSize = 96

// CollectionRow returns the text of a collection row with its virtual
// fields (collGet with the virtualProps option).
func CollectionRow(row value.Value, m collection.Meta, key, id string) []byte {
	buf := make([]byte, 0, jsonSize(row)+virtualSize+len(key)+len(id))
	return appendCollectionRow(buf, row, m, key, id)
}

// CollectionRowsVirtual is CollectionRows with each row's virtual fields:
// rows gives each row with its state (a *db.Collection's RangeMeta), id
// is the collection's id.
func CollectionRowsVirtual(rows func(func(key string, v value.Value, m collection.Meta) bool), id string) []byte {
	size := 2
	rows(func(k string, v value.Value, _ collection.Meta) bool {
		size += 2*len(k) + jsonSize(v) + 6 + virtualSize + len(id)
		return true
	})
	buf := make([]byte, 0, size)
	buf = append(buf, '[')
	first := true
	rows(func(k string, v value.Value, m collection.Meta) bool {
		if !first {
			buf = append(buf, ',')
		}
		first = false
		buf = append(buf, '[')
		buf = value.AppendJSON(buf, value.String(k))
		buf = append(buf, ',')
		buf = appendCollectionRow(buf, v, m, k, id)
		buf = append(buf, ']')
		return true
	})
	return append(buf, ']')
}

// appendCollectionRow appends a collection row with its virtual fields.
func appendCollectionRow(buf []byte, row value.Value, m collection.Meta, key, id string) []byte {
	return appendVirtual(buf, row, m.Synced(), m.Origin(), value.String(key), id)
}

// appendResultRow appends a live query's result row with the virtual
// fields it lacks.
func appendResultRow(buf []byte, row, key value.Value, id string) []byte {
	return appendVirtual(buf, row, true, "remote", key, id)
}

// appendVirtual appends row (an object; anything else as it is) with the
// virtual fields after its own. A virtual field the row holds (not null)
// keeps its value, and $hasPendingWrites is the opposite of $synced, as
// TanStack DB's enrichment does.
func appendVirtual(buf []byte, row value.Value, synced bool, origin string, key value.Value, id string) []byte {
	if row.Kind() != value.KindObject {
		return value.AppendJSON(buf, row)
	}
	s := row.JSON()
	if strings.Contains(s, `"$`) {
		if hasVirtual(row) {
			return append(buf, s...) // a source row passed through
		}
		return value.AppendJSON(buf, mergeVirtual(row, synced, origin, key, id))
	}
	if len(s) > 2 {
		buf = append(buf, s[:len(s)-1]...)
		buf = append(buf, ',')
	} else {
		buf = append(buf, '{')
	}
	if synced {
		buf = append(buf, `"$hasPendingWrites":false,"$synced":true,"$origin":`...)
	} else {
		buf = append(buf, `"$hasPendingWrites":true,"$synced":false,"$origin":`...)
	}
	buf = value.AppendJSON(buf, value.String(origin))
	buf = append(buf, `,"$key":`...)
	buf = value.AppendJSON(buf, key)
	buf = append(buf, `,"$collectionId":`...)
	buf = value.AppendJSON(buf, value.String(id))
	return append(buf, '}')
}

// mergeVirtual is appendVirtual's row for a row that may hold a virtual
// field already.
func mergeVirtual(row value.Value, synced bool, origin string, key value.Value, id string) value.Value {
	keep := func(name string, v value.Value) value.Value {
		if old := row.Get(name); !old.IsNullish() {
			return old
		}
		return v
	}
	sv := keep("$synced", value.Bool(synced))
	b, ok := sv.BoolVal()
	out := value.With(row, "$hasPendingWrites", value.Bool(ok && !b))
	out = value.With(out, "$synced", sv)
	out = value.With(out, "$origin", keep("$origin", value.String(origin)))
	out = value.With(out, "$key", keep("$key", key))
	return value.With(out, "$collectionId", keep("$collectionId", value.String(id)))
}

// hasVirtual reports whether row holds every virtual field, consistent
// (not null, $hasPendingWrites the opposite of $synced), as a source row
// does: the enrichment leaves it as it is.
func hasVirtual(row value.Value) bool {
	for _, f := range collection.VirtualFields {
		if row.Get(f).IsNullish() {
			return false
		}
	}
	p, ok1 := row.Get("$hasPendingWrites").BoolVal()
	s, ok2 := row.Get("$synced").BoolVal()
	return ok1 && ok2 && p != s
}
