//go:build js && wasm

package main

import (
	"github.com/streamdb/streamdb/wasm/internal/jsval"

	"github.com/streamdb/streamdb/core/db"
	"github.com/streamdb/streamdb/core/jswire"
)

// Local collections (createCollection, localOnlyCollectionOptions) live in
// a database of their own that reads no stream (db.OpenLocal): the shim
// opens one per module and reads it with the db* and coll* calls, as any
// StreamDB. A StreamDB whose query reads a local collection gets a mirror
// of it (dbMirror), so that the query runs in one database.

func (a *dbAPI) registerLocal() error {
	for _, e := range []struct {
		name string
		fn   func([]jsval.Value) (any, error)
	}{
		{"localOpen", a.localOpen},
		{"localAdd", a.localAdd},
		{"localSync", a.localSync},
		{"dbMirror", a.mirror},
	} {
		if err := a.b.export(e.name, e.fn); err != nil {
			return err
		}
	}
	return nil
}

// localOpen: localOpen(onStep, onError) → handle of a database for local
// collections.
func (a *dbAPI) localOpen(args []jsval.Value) (any, error) {
	h := a.newHandle(argFunc(arg(args, 0), "onStep"), argFunc(arg(args, 1), "onError"))
	h.d = db.OpenLocal(db.Options{Collator: jswire.Collator(a.b.newJSCompare), OnError: h.report})
	h.setFollow, h.unwatch = h.d.Watch(nil, h.deliver)
	return a.add(h), nil
}

// newHandle returns the handle of a database not open yet, with its step
// and error callbacks.
func (a *dbAPI) newHandle(onStep, onError jsval.Value) *dbHandle {
	return &dbHandle{b: a.b, onStep: onStep, onError: onError,
		lives: map[int]*db.Live{}, liveIDs: map[*db.Live]int{}, txs: map[int]*db.Tx{}}
}

// add registers an open database and returns its handle.
func (a *dbAPI) add(h *dbHandle) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.next++
	if a.dbs == nil {
		a.dbs = map[int]*dbHandle{}
	}
	a.dbs[a.next] = h
	return a.next
}

// localAdd: localAdd(h, name) adds an empty local collection.
func (a *dbAPI) localAdd(args []jsval.Value) (any, error) {
	h := a.handle(arg(args, 0))
	return nil, h.d.AddLocal(argStored(arg(args, 1), "collection"))
}

// localSync: localSync(h, name, truncate, writes) applies one sync
// transaction (writes: jswire.ParseSyncOps's JSON).
func (a *dbAPI) localSync(args []jsval.Value) (any, error) {
	h := a.handle(arg(args, 0))
	name := argStored(arg(args, 1), "collection")
	truncate, err := arg(args, 2).Truthy()
	if err != nil {
		badArg("localSync: truncate: %v", err)
	}
	ops, err := jswire.ParseSyncOps(argString(arg(args, 3), "writes"))
	if err != nil {
		return nil, err
	}
	return nil, h.d.Sync(name, truncate, ops)
}

// mirror: dbMirror(h, local, name, as) makes collection as of database h a
// copy of local collection name of database local, kept in step until h
// closes.
func (a *dbAPI) mirror(args []jsval.Value) (any, error) {
	h := a.handle(arg(args, 0))
	src := a.handle(arg(args, 1))
	stop, err := h.d.Mirror(src.d, argStored(arg(args, 2), "collection"), argStored(arg(args, 3), "as"))
	if err != nil {
		return nil, err
	}
	h.mu.Lock()
	h.mirrors = append(h.mirrors, stop)
	h.mu.Unlock()
	return nil, nil
}
