package collection

import (
	"strings"

	"github.com/streamdb/streamdb/core/value"
)

// Meta is the state of a visible row that TanStack DB's virtual fields
// report: $synced is false (and $hasPendingWrites true) while an optimistic
// entry overlays the row, and $origin is 'local' for an optimistic row and
// for a synced row written while the key had an optimistic entry (the
// confirmation of a local write), until the next synced write of the key.
// The zero Meta is a synced row of remote origin.
type Meta uint8

// The bits of Meta.
const (
	// Optimistic: the visible row is an optimistic entry.
	Optimistic Meta = 1 << iota
	// LocalOrigin: the row comes from a local write.
	LocalOrigin
)

// Synced reports the row's $synced.
func (m Meta) Synced() bool { return m&Optimistic == 0 }

// Origin reports the row's $origin: "local" or "remote".
func (m Meta) Origin() string {
	if m&(Optimistic|LocalOrigin) != 0 {
		return "local"
	}
	return "remote"
}

// Meta returns the state of the visible row for key (0 when there is none).
func (c *Collection) Meta(key string) Meta {
	if len(c.overlay) > 0 {
		if _, ok := c.overlay[key]; ok {
			return Optimistic | LocalOrigin
		}
	}
	if len(c.local) > 0 {
		if _, ok := c.local[key]; ok {
			return LocalOrigin
		}
	}
	return 0
}

// syncedWrite records where key's new synced row comes from: a key with an
// optimistic entry receives the confirmation of a local write.
func (c *Collection) syncedWrite(key string) {
	if len(c.overlay) == 0 && len(c.local) == 0 {
		return // the stream's usual write: nothing to record
	}
	if _, ok := c.overlay[key]; ok {
		if c.local == nil {
			c.local = map[string]struct{}{}
		}
		c.local[key] = struct{}{}
		return
	}
	if len(c.local) > 0 {
		delete(c.local, key)
	}
}

// ID returns the collection id its rows report as $collectionId (the
// collection's name unless SetID gave another).
func (c *Collection) ID() string {
	if c.id == "" {
		return c.name
	}
	return c.id
}

// SetID sets the collection id its rows report as $collectionId.
func (c *Collection) SetID(id string) { c.id = id }

// VirtualFields are the names of TanStack DB's virtual row fields, in the
// order it adds them to a row.
var VirtualFields = [...]string{"$hasPendingWrites", "$synced", "$origin", "$key", "$collectionId"}

// IsVirtual reports whether name is one of VirtualFields.
func IsVirtual(name string) bool {
	for _, f := range VirtualFields {
		if f == name {
			return true
		}
	}
	return false
}

// VirtualRow returns row with TanStack DB's virtual fields added after its
// own, as TanStack DB gives a row of a collection ({...row,
// $hasPendingWrites, $synced, $origin, $key, $collectionId}); a virtual
// field the row already holds (not null) keeps its value, as it does for a
// row that comes from another collection. A row that is not an Object is
// returned as is.
func (m Meta) VirtualRow(row value.Value, key, id string) value.Value {
	if row.Kind() != value.KindObject {
		return row
	}
	s := row.JSON()
	if strings.Contains(s, `"$`) {
		return m.virtualMerge(row, key, id)
	}
	synced := m.Synced()
	b := make([]byte, 0, len(s)+96+len(key)+len(id))
	if len(s) > 2 {
		b = append(b, s[:len(s)-1]...)
		b = append(b, ',')
	} else {
		b = append(b, '{')
	}
	if synced {
		b = append(b, `"$hasPendingWrites":false,"$synced":true,"$origin":`...)
	} else {
		b = append(b, `"$hasPendingWrites":true,"$synced":false,"$origin":`...)
	}
	b = append(b, '"')
	b = append(b, m.Origin()...)
	b = append(b, `","$key":`...)
	b = value.AppendJSON(b, value.String(key))
	b = append(b, `,"$collectionId":`...)
	b = value.AppendJSON(b, value.String(id))
	b = append(b, '}')
	return value.Canonical(string(b))
}

// virtualMerge is VirtualRow for a row that holds a field named like a
// virtual one.
func (m Meta) virtualMerge(row value.Value, key, id string) value.Value {
	keep := func(name string, v value.Value) value.Value {
		if old := row.Get(name); old.Kind() != value.KindUndefined && old.Kind() != value.KindNull {
			return old
		}
		return v
	}
	synced := keep("$synced", value.Bool(m.Synced()))
	b, _ := synced.BoolVal()
	out := value.With(row, "$hasPendingWrites", value.Bool(!b))
	out = value.With(out, "$synced", synced)
	out = value.With(out, "$origin", keep("$origin", value.String(m.Origin())))
	out = value.With(out, "$key", keep("$key", value.String(key)))
	return value.With(out, "$collectionId", keep("$collectionId", value.String(id)))
}
