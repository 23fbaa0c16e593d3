package db

import (
	"context"
	"errors"
	"github.com/streamdb/streamdb/internal/strfmt"

	"github.com/streamdb/streamdb/core/collection"
	"github.com/streamdb/streamdb/core/value"
)

// Local collections are collections that no stream feeds: the caller writes
// their synced rows with Sync (TanStack DB's sync transactions: a
// collection made with createCollection and a sync function of the user's,
// or a local-only collection), gives each row's key with the write, and
// changes them optimistically through transactions as any other
// collection. Live queries read them like the stream's collections and
// join them with those. They are never persisted, and a reset control
// event of the stream does not touch them.

// Errors of local collections.
var (
	// ErrNotLocal is returned by Sync for a collection the stream feeds.
	ErrNotLocal = errors.New("not a local collection")
	// ErrDuplicateSyncKey is returned by Sync for an insert of a key that
	// already has a different synced row (TanStack's DuplicateKeySyncError).
	ErrDuplicateSyncKey = errors.New("a sync transaction inserted a key that already exists")
)

// OpenLocal returns a database that reads no stream: it holds local
// collections only (AddLocal), and is ready at once.
func OpenLocal(opts Options) *DB {
	d := &DB{opts: opts, colls: map[string]*Collection{}, byType: map[string]*Collection{},
		txids: newTxids(opts.MaxTxIDs), readyCh: make(chan struct{}),
		conn: Connection{State: ConnLive}, dirty: make(chan struct{}, 1), saveChunk: saveChunk,
		ready: true, started: true, readyOut: true}
	close(d.readyCh)
	d.ctx, d.cancel = context.WithCancel(context.Background())
	return d
}

// AddLocal adds a local collection named name, empty. Its rows are keyed
// by the key each write gives (there is no primary-key field).
func (d *DB) AddLocal(name string) error {
	if name == "" {
		return errors.New("db.AddLocal: a collection has no name")
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return ErrClosed
	}
	if d.colls[name] != nil {
		return strfmt.Errorf("db.AddLocal: duplicate collection name %q", name)
	}
	c := &Collection{db: d, c: collection.New(name, "", ""), idx: -1, local: true}
	c.c.Quiet()
	if d.open {
		c.c.Begin()
	}
	d.colls[name] = c
	d.locals = append(d.locals, c)
	return nil
}

// SyncType is what one write of a sync transaction does.
type SyncType uint8

// The sync write types.
const (
	// SyncInsert adds a row. A key whose synced row differs is refused
	// (ErrDuplicateSyncKey); one with an equal row is taken as an update.
	SyncInsert SyncType = iota + 1
	// SyncUpdate shallow-merges the value into the synced row (TanStack's
	// rowUpdateMode 'partial'); a missing row becomes the value.
	SyncUpdate
	// SyncReplace sets the synced row to the value (rowUpdateMode 'full').
	SyncReplace
	// SyncDelete removes the synced row, if any.
	SyncDelete
)

// SyncOp is one write of a sync transaction.
type SyncOp struct {
	Type  SyncType
	Key   string
	Value value.Value // the row, or for SyncUpdate the fields to merge
}

// Sync applies one sync transaction to local collection name, atomically:
// with truncate every synced row is dropped first, then ops apply in
// order. Live queries and subscribers see the whole transaction as one
// step. A refused write (ErrDuplicateSyncKey, a value that is not an
// object) leaves the collection as it was.
func (d *DB) Sync(name string, truncate bool, ops []SyncOp) error {
	d.mu.Lock()
	err := d.syncLocked(name, truncate, ops)
	d.mu.Unlock()
	d.pub.drain()
	return err
}

func (d *DB) syncLocked(name string, truncate bool, ops []SyncOp) error {
	c := d.colls[name]
	switch {
	case d.closed:
		return ErrClosed
	case c == nil:
		return strfmt.Errorf("%w: %q", ErrUnknownCollection, name)
	case !c.local:
		return strfmt.Errorf("sync of %s: %w", name, ErrNotLocal)
	}
	if err := checkSync(c.c, name, truncate, ops); err != nil {
		return err
	}
	wasOpen := d.open
	d.beginLocked()
	if truncate {
		c.c.Truncate()
	}
	for _, op := range ops {
		switch op.Type {
		case SyncDelete:
			c.c.Remove(op.Key)
		case SyncUpdate:
			c.c.Upsert(op.Key, op.Value, value.Merge)
		default:
			c.c.Upsert(op.Key, op.Value, nil)
		}
	}
	if !wasOpen {
		// A batch of the stream that is open (between two slices of its
		// work) publishes these changes with its own at its end.
		if d.dropConfirmedLocked() {
			d.setOverlaysLocked()
		}
		d.endLocked()
		d.open = false
	}
	return nil
}

// checkSync refuses a sync transaction before any of it applies: values
// must be objects, and an insert must not meet a different row (the
// transaction's own earlier writes count, a truncate empties the start).
func checkSync(c *collection.Collection, name string, truncate bool, ops []SyncOp) error {
	var mine map[string]value.Value // rows as the transaction leaves them so far
	gone := map[string]bool{}
	current := func(key string) (value.Value, bool) {
		if v, ok := mine[key]; ok {
			return v, true
		}
		if truncate || gone[key] {
			return value.Value{}, false
		}
		return c.Synced(key)
	}
	for i, op := range ops {
		if op.Type != SyncDelete && op.Value.Kind() != value.KindObject {
			return strfmt.Errorf("sync of %s, write %d (key %q): %w", name, i, op.Key, ErrNotObject)
		}
		if mine == nil {
			mine = map[string]value.Value{}
		}
		switch op.Type {
		case SyncDelete:
			delete(mine, op.Key)
			gone[op.Key] = true
		case SyncInsert:
			if old, ok := current(op.Key); ok && !value.Equal(old, op.Value) {
				return strfmt.Errorf("sync of %s: key %q: %w", name, op.Key, ErrDuplicateSyncKey)
			}
			mine[op.Key] = op.Value
		case SyncUpdate:
			old, _ := current(op.Key)
			mine[op.Key] = value.Merge(old, op.Value)
		default:
			mine[op.Key] = op.Value
		}
	}
	return nil
}

// Mirror makes local collection as of d a copy of collection name of src
// (usually a local collection of the database that holds them, so that
// queries of d can join it with d's own collections): its visible rows
// now, then every change of them, each applied to d as a sync transaction
// in the step that made it. It returns the function that ends the copy.
func (d *DB) Mirror(src *DB, name, as string) (stop func(), err error) {
	c := src.Collection(name)
	if c == nil {
		return nil, strfmt.Errorf("mirror: %w: %q", ErrUnknownCollection, name)
	}
	if err := d.AddLocal(as); err != nil {
		return nil, strfmt.Errorf("mirror of %s: %w", name, err)
	}
	// Watch first, then copy: a change the copy already holds applies
	// again, which changes nothing.
	_, unwatch := src.Watch([]string{name}, func(st *Step) {
		ch := st.Collections[name]
		if len(ch) == 0 {
			return
		}
		ops := make([]SyncOp, len(ch))
		for i, x := range ch {
			ops[i] = SyncOp{Type: SyncReplace, Key: x.Key, Value: x.Value}
			if x.Type == Delete {
				ops[i] = SyncOp{Type: SyncDelete, Key: x.Key}
			}
		}
		if err := d.Sync(as, false, ops); err != nil && !errors.Is(err, ErrClosed) {
			d.report(strfmt.Errorf("mirror of %s: %w", name, err))
		}
	})
	var rows []SyncOp
	c.Range(func(k string, v value.Value) bool {
		rows = append(rows, SyncOp{Type: SyncReplace, Key: k, Value: v})
		return true
	})
	if err := d.Sync(as, true, rows); err != nil {
		unwatch()
		return nil, strfmt.Errorf("mirror of %s: %w", name, err)
	}
	return unwatch, nil
}
