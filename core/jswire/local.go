package jswire

import (
	"github.com/streamdb/streamdb/core/db"
	"github.com/streamdb/streamdb/core/value"
)

// syncTypes maps the wire's one-letter sync write types to db's.
var syncTypes = map[string]db.SyncType{
	"i": db.SyncInsert,
	"u": db.SyncUpdate,
	"r": db.SyncReplace,
	"d": db.SyncDelete,
}

// ParseSyncOps parses localSync's writes: a JSON array of [TYPE, KEY,
// VALUE] arrays, TYPE one of "i" (insert), "u" (update: merged), "r"
// (replace) or "d" (delete, without VALUE), KEY a string. Anything else is
// an *ArgError naming the write.
func ParseSyncOps(text string) ([]db.SyncOp, error) {
	v, err := value.ParseString(text)
	if err != nil || v.Kind() != value.KindArray {
		return nil, argErrorf("localSync: writes must be a JSON array")
	}
	ops := make([]db.SyncOp, 0, v.Len())
	var bad error
	v.Elems(func(i int, e value.Value) bool {
		t, _ := e.Index(0).Str()
		typ, ok := syncTypes[t]
		key, isStr := e.Index(1).Str()
		switch {
		case e.Kind() != value.KindArray:
			bad = argErrorf("localSync: write %d is not an array", i)
		case !ok:
			bad = argErrorf("localSync: write %d has an unknown type %q", i, t)
		case !isStr:
			bad = argErrorf("localSync: write %d has no string key", i)
		case typ != db.SyncDelete && e.Index(2).Kind() != value.KindObject:
			bad = argErrorf("localSync: write %d (key %q) has no object value", i, key)
		}
		if bad != nil {
			return false
		}
		op := db.SyncOp{Type: typ, Key: key}
		if typ != db.SyncDelete {
			op.Value = e.Index(2)
		}
		ops = append(ops, op)
		return true
	})
	if bad != nil {
		return nil, bad
	}
	return ops, nil
}
