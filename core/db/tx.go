package db

import (
	"context"
	"errors"
	"time"

	"github.com/streamdb/streamdb/core/collection"
	"github.com/streamdb/streamdb/core/value"
	"github.com/streamdb/streamdb/internal/strfmt"
)

// TxState is where a transaction is in its life.
type TxState int

// The transaction states, as in TanStack DB.
const (
	TxPending    TxState = iota // taking mutations
	TxPersisting                // its persist function runs
	TxCompleted                 // persisted
	TxFailed                    // rolled back
)

func (s TxState) String() string {
	return [...]string{"pending", "persisting", "completed", "failed"}[s]
}

// Errors of optimistic mutations.
var (
	ErrDuplicateKey = errors.New("a row with this key already exists")
	ErrKeyNotFound  = errors.New("no row with this key")
	ErrNoKey        = errors.New("the row has no usable primary key")
	ErrNotObject    = errors.New("rows must be JSON objects")
	ErrTxNotPending = errors.New("transaction is no longer pending")
)

// DefaultConfirmTimeout is how long a completed transaction with a txid
// keeps its optimistic rows while waiting for the txid to come back.
const DefaultConfirmTimeout = 30 * time.Second

// TxOptions configure Begin.
type TxOptions struct {
	// TxID, when set, is the txid the transaction's writes carry on the
	// stream: after it persists, its optimistic rows stay until a batch with
	// that txid is visible, then give way to the synced rows in the same
	// change batch, so the feed never shows the old value again.
	TxID string
	// ConfirmTimeout bounds that wait (DefaultConfirmTimeout when 0).
	ConfirmTimeout time.Duration
}

// Mutation is one optimistic change a transaction holds.
type Mutation struct {
	// Collection is the collection's name.
	Collection string
	// Key is the row's key.
	Key string
	// Type is Insert, Update or Delete.
	Type collection.ChangeType
	// Original is the visible row before the transaction touched it
	// (Undefined for an insert).
	Original value.Value
	// Modified is the row as the transaction leaves it (Undefined for a
	// delete).
	Modified value.Value
	coll     *Collection
}

// Tx is an optimistic transaction: its mutations are visible at once, on
// top of the synced rows, until it completes (and its txid comes back) or
// fails (and they are rolled back).
type Tx struct {
	d    *DB
	id   int64
	opts TxOptions

	state    TxState
	muts     []*Mutation
	err      error
	awaiting bool // completed, waiting for its txid to drop its rows
	done     chan struct{}
	// stop ends the context its persist function runs with (set while it
	// persists): a rollback or Close tells persist nobody waits any more.
	stop context.CancelFunc
	// confirm drops the rows of a completed transaction whose txid does
	// not come back in time (set while awaiting).
	confirm *time.Timer
}

// Begin starts a transaction.
func (d *DB) Begin(o TxOptions) *Tx {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.nextTx++
	t := &Tx{d: d, id: d.nextTx, opts: o, done: make(chan struct{})}
	d.txs = append(d.txs, t)
	return t
}

// ID returns the transaction's number (increasing with creation).
func (t *Tx) ID() int64 { return t.id }

// TxID returns the txid given in TxOptions.
func (t *Tx) TxID() string { return t.opts.TxID }

// State returns the transaction's state.
func (t *Tx) State() TxState {
	t.d.mu.Lock()
	defer t.d.mu.Unlock()
	return t.state
}

// Err returns why the transaction failed, or nil.
func (t *Tx) Err() error {
	t.d.mu.Lock()
	defer t.d.mu.Unlock()
	return t.err
}

// Done is closed when the transaction has completed or failed.
func (t *Tx) Done() <-chan struct{} { return t.done }

// Mutations returns the transaction's mutations, merged per key, in the
// order keys were first touched.
func (t *Tx) Mutations() []Mutation {
	t.d.mu.Lock()
	defer t.d.mu.Unlock()
	out := make([]Mutation, len(t.muts))
	for i, m := range t.muts {
		out[i] = *m
	}
	return out
}

func (t *Tx) find(c *Collection, key string) (int, *Mutation) {
	for i, m := range t.muts {
		if m.coll == c && m.Key == key {
			return i, m
		}
	}
	return -1, nil
}

// mutate runs fn under the lock on a pending transaction, then refreshes the
// overlays and publishes what became visible.
func (t *Tx) mutate(coll string, fn func(c *Collection) error) error {
	d := t.d
	d.mu.Lock()
	c := d.colls[coll]
	var err error
	switch {
	case d.closed:
		err = ErrClosed
	case c == nil:
		err = strfmt.Errorf("%w: %q", ErrUnknownCollection, coll)
	case t.state != TxPending:
		err = strfmt.Errorf("%w (it is %s)", ErrTxNotPending, t.state)
	default:
		err = fn(c)
	}
	if err == nil {
		d.refreshLocked()
	}
	d.mu.Unlock()
	d.pub.drain()
	return err
}

// Insert adds row optimistically. Its key is the row's primary-key field
// (a string, or a number in its JavaScript string form). A visible row with
// that key gives ErrDuplicateKey.
func (t *Tx) Insert(coll string, row value.Value) error {
	return t.insert(coll, "", row)
}

// InsertKey adds row optimistically under key: how rows of a local
// collection, which has no primary-key field, are inserted.
func (t *Tx) InsertKey(coll, key string, row value.Value) error {
	return t.insert(coll, key, row)
}

// insert is Insert and InsertKey. It is not inlined: inlined, its
// closure would be compiled into the wasm once per caller.
//
//go:noinline
func (t *Tx) insert(coll, key string, row value.Value) error {
	return t.mutate(coll, func(c *Collection) error {
		if row.Kind() != value.KindObject {
			return strfmt.Errorf("insert into %s: %w", coll, ErrNotObject)
		}
		if key == "" && !c.local {
			var ok bool
			if key, ok = rowKey(row, c.PrimaryKey()); !ok {
				return strfmt.Errorf("insert into %s: %w (field %q)", coll, ErrNoKey, c.PrimaryKey())
			}
		}
		if c.c.Has(key) {
			return strfmt.Errorf("insert into %s key %q: %w", coll, key, ErrDuplicateKey)
		}
		if _, m := t.find(c, key); m != nil { // deleted earlier in this transaction
			m.Type, m.Modified = collection.Update, row
			return nil
		}
		t.muts = append(t.muts, &Mutation{Collection: coll, Key: key, Type: collection.Insert, Modified: row, coll: c})
		return nil
	})
}

// Update shallow-merges patch into the visible row for key. A missing row
// gives ErrKeyNotFound; a patch that changes nothing records nothing.
func (t *Tx) Update(coll, key string, patch value.Value) error {
	return t.mutate(coll, func(c *Collection) error {
		if patch.Kind() != value.KindObject {
			return strfmt.Errorf("update of %s: %w", coll, ErrNotObject)
		}
		cur, ok := c.c.Get(key)
		if !ok {
			return strfmt.Errorf("update of %s key %q: %w", coll, key, ErrKeyNotFound)
		}
		if pk, ok := rowKey(patch, c.PrimaryKey()); ok && !c.local && pk != key {
			return strfmt.Errorf("update of %s key %q: the primary key cannot change (to %q)", coll, key, pk)
		}
		next := value.Merge(cur, patch)
		if value.Equal(next, cur) {
			return nil
		}
		if _, m := t.find(c, key); m != nil {
			m.Modified = next // an insert stays an insert
			return nil
		}
		t.muts = append(t.muts, &Mutation{Collection: coll, Key: key, Type: collection.Update, Original: cur, Modified: next, coll: c})
		return nil
	})
}

// Delete removes the visible row for key optimistically. A missing row
// gives ErrKeyNotFound.
func (t *Tx) Delete(coll, key string) error {
	return t.mutate(coll, func(c *Collection) error {
		cur, ok := c.c.Get(key)
		if !ok {
			return strfmt.Errorf("delete from %s key %q: %w", coll, key, ErrKeyNotFound)
		}
		if i, m := t.find(c, key); m != nil {
			if m.Type == collection.Insert { // insert then delete: nothing left
				t.muts = append(t.muts[:i], t.muts[i+1:]...)
				return nil
			}
			m.Type, m.Modified = collection.Delete, value.Value{}
			return nil
		}
		t.muts = append(t.muts, &Mutation{Collection: coll, Key: key, Type: collection.Delete, Original: cur, coll: c})
		return nil
	})
}

// rowKey reads a row's key from its primary-key field.
func rowKey(row value.Value, pk string) (string, bool) {
	v := row.Get(pk)
	switch v.Kind() {
	case value.KindString:
		s, _ := v.Str()
		return s, s != ""
	case value.KindNumber:
		return value.Encode(v), true
	}
	return "", false
}

// Commit persists the transaction: it runs persist (which typically
// appends the writes to the stream and waits for their txid), then
// completes the transaction, or rolls it back when persist fails and
// returns that error. A nil persist completes at once. When the
// transaction is rolled back or the database closes while persist runs,
// persist's context ends and Commit returns that failure (ErrClosed for a
// close) once persist has returned.
func (t *Tx) Commit(ctx context.Context, persist func(ctx context.Context) error) error {
	d := t.d
	d.mu.Lock()
	if t.state != TxPending {
		st := t.state
		d.mu.Unlock()
		return strfmt.Errorf("commit: %w (it is %s)", ErrTxNotPending, st)
	}
	t.state = TxPersisting
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	t.stop = stop
	d.mu.Unlock()

	var err error
	if persist != nil {
		err = safeCall(ctx, persist)
	}

	d.mu.Lock()
	t.stop = nil
	if t.state != TxPersisting { // rolled back meanwhile (a conflict cascade)
		err = t.err
		d.mu.Unlock()
		return err
	}
	if err != nil {
		d.failLocked(t, err)
		d.mu.Unlock()
		d.pub.drain()
		return err
	}
	t.state = TxCompleted
	if t.opts.TxID != "" && !d.txids.has(t.opts.TxID) && !d.closed {
		t.awaiting = true
		wait := t.opts.ConfirmTimeout
		if wait <= 0 {
			wait = DefaultConfirmTimeout
		}
		t.confirm = time.AfterFunc(wait, func() { d.confirmTimeout(t) })
	} else {
		d.removeLocked(t)
		d.refreshLocked()
	}
	close(t.done)
	d.mu.Unlock()
	d.pub.drain()
	return nil
}

func safeCall(ctx context.Context, fn func(context.Context) error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = strfmt.Errorf("persist panicked: %v", r)
		}
	}()
	return fn(ctx)
}

// Rollback fails a pending or persisting transaction with reason (a plain
// "rolled back" error when nil): its rows are removed and the change feed
// shows the undo. Pending transactions that touched the same keys are
// rolled back with it.
func (t *Tx) Rollback(reason error) error {
	d := t.d
	d.mu.Lock()
	if t.state != TxPending && t.state != TxPersisting {
		st := t.state
		d.mu.Unlock()
		return strfmt.Errorf("rollback: %w (it is %s)", ErrTxNotPending, st)
	}
	if reason == nil {
		reason = errors.New("transaction rolled back")
	}
	d.failLocked(t, reason)
	d.mu.Unlock()
	d.pub.drain()
	return nil
}

// failLocked rolls t back, cascading to pending transactions that share a
// key with it, and publishes the undo as one batch.
func (d *DB) failLocked(t *Tx, reason error) {
	failed := []*Tx{t}
	t.state, t.err = TxFailed, reason
	for i := 0; i < len(failed); i++ {
		f := failed[i]
		for _, o := range d.txs {
			if o.state == TxPending && o != f && sharesKey(o, f) {
				o.state = TxFailed
				o.err = strfmt.Errorf("rolled back because transaction %d, which touched the same rows, failed: %w", f.id, reason)
				failed = append(failed, o)
			}
		}
	}
	for _, f := range failed {
		d.removeLocked(f)
		f.end()
	}
	d.refreshLocked()
}

// end lets go of a transaction that failed: its persist function's context
// ends and Done is closed.
func (t *Tx) end() {
	if t.stop != nil {
		t.stop()
	}
	close(t.done)
}

// closeTxsLocked is Close's part: every pending or persisting transaction
// fails with ErrClosed (persist functions see their context end), and
// completed ones stop waiting for their txid, so that no optimistic row is
// left and nothing keeps a transaction alive.
func (d *DB) closeTxsLocked() {
	if len(d.txs) == 0 {
		return
	}
	for _, t := range d.txs {
		switch t.state {
		case TxPending, TxPersisting:
			t.state = TxFailed
			t.err = strfmt.Errorf("transaction %d did not persist: %w", t.id, ErrClosed)
			t.end()
		case TxCompleted:
			t.awaiting = false
			if t.confirm != nil {
				t.confirm.Stop()
			}
		}
	}
	d.txs = nil
	d.refreshLocked()
}

func sharesKey(a, b *Tx) bool {
	for _, m := range a.muts {
		for _, n := range b.muts {
			if m.coll == n.coll && m.Key == n.Key {
				return true
			}
		}
	}
	return false
}

func (d *DB) removeLocked(t *Tx) {
	for i, o := range d.txs {
		if o == t {
			d.txs = append(d.txs[:i], d.txs[i+1:]...)
			return
		}
	}
}

// confirmTimeout drops the rows of a completed transaction whose txid did
// not come back in time.
func (d *DB) confirmTimeout(t *Tx) {
	d.mu.Lock()
	if !t.awaiting {
		d.mu.Unlock()
		return
	}
	t.awaiting = false
	d.removeLocked(t)
	d.refreshLocked()
	d.mu.Unlock()
	d.pub.drain()
	d.report(strfmt.Errorf("transaction %d: txid %q did not come back within the confirm timeout; its optimistic rows were dropped", t.id, t.opts.TxID))
}

// dropConfirmedLocked removes completed transactions whose txid is now
// seen. It reports whether any went.
func (d *DB) dropConfirmedLocked() bool {
	dropped := false
	for i := 0; i < len(d.txs); i++ {
		t := d.txs[i]
		if t.awaiting && d.txids.has(t.opts.TxID) {
			t.awaiting = false
			d.txs = append(d.txs[:i], d.txs[i+1:]...)
			i--
			dropped = true
		}
	}
	return dropped
}

// refreshLocked recomputes the overlays in a batch of its own and queues
// the visible changes.
func (d *DB) refreshLocked() {
	for _, cs := range d.all() {
		for _, c := range cs {
			c.c.Begin()
		}
	}
	d.setOverlaysLocked()
	d.endLocked()
}

// setOverlaysLocked rebuilds every collection's overlay from the active
// transactions, in creation order: a later transaction's write to a key
// wins. Must run inside a collection batch.
func (d *DB) setOverlaysLocked() {
	per := map[*Collection]map[string]collection.Overlay{}
	for _, t := range d.txs {
		if t.state == TxFailed || (t.state == TxCompleted && !t.awaiting) {
			continue
		}
		for _, m := range t.muts {
			o := per[m.coll]
			if o == nil {
				o = map[string]collection.Overlay{}
				per[m.coll] = o
			}
			o[m.Key] = collection.Overlay{Deleted: m.Type == collection.Delete, Value: m.Modified}
		}
	}
	for _, cs := range d.all() {
		for _, c := range cs {
			c.c.SetOverlay(per[c])
		}
	}
}
