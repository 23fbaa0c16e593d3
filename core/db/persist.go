package db

import (
	"context"
	"errors"
	"io"
	"strings"
	"time"

	"github.com/streamdb/streamdb/core/collection"
	"github.com/streamdb/streamdb/core/snapshot"
	"github.com/streamdb/streamdb/core/state"
	"github.com/streamdb/streamdb/core/stream"
	"github.com/streamdb/streamdb/core/value"
	"github.com/streamdb/streamdb/internal/strfmt"
)

// Store keeps a database's snapshot between runs (Options.Persist): a file
// natively (FileStore), OPFS or IndexedDB in the browser.
type Store interface {
	// Load returns the stored snapshot, or nil when there is none.
	Load(ctx context.Context) ([]byte, error)
	// Create starts writing a new snapshot. It returns nil and no error
	// when another writer holds the store right now (another tab): the
	// database then tries again at its next save.
	Create(ctx context.Context) (SnapshotWriter, error)
	// Remove deletes the stored snapshot, if any.
	Remove(ctx context.Context) error
}

// SnapshotWriter receives a new snapshot in pieces. The previous snapshot
// stays the stored one until Commit returns nil; Abort drops the new one.
type SnapshotWriter interface {
	io.Writer
	Commit() error
	Abort() error
}

// DefaultPersistEvery is Options.PersistEvery's default.
const DefaultPersistEvery = 3 * time.Second

// maxSavedTxIDs bounds the txids a snapshot keeps: the most recent ones.
const maxSavedTxIDs = 10_000

// saveChunk is the size of the pieces a snapshot is written in: each is
// encoded, copied to the store and written in one go, so it stays small
// next to the main thread's budget (in the browser about 2 ms of copying
// and writing per 512 KiB).
var saveChunk = 512 << 10

// Phases of Progress.Phase.
const (
	// PhaseRestore: a snapshot was restored (Progress.Restored rows).
	PhaseRestore = "restore"
	// PhaseCatchUp: reading the stream up to its end, after a snapshot or
	// from the start.
	PhaseCatchUp = "catch-up"
	// PhaseLive: following the stream.
	PhaseLive = "live"
)

// SaveInfo describes a snapshot written by Save.
type SaveInfo struct {
	// Bytes is the snapshot's size; Rows the rows it holds.
	Bytes, Rows int64
	// Offset is the stream offset it is exact at.
	Offset string
	// Skipped is true when no snapshot was written: another writer held
	// the store, or nothing changed since the last one.
	Skipped bool
}

// ErrNotReady is returned by Save before preload has completed.
var ErrNotReady = errors.New("StreamDB not ready: nothing to save before preload completes")

// header is the snapshot header of this database.
func (d *DB) header() snapshot.Header {
	h := snapshot.Header{Stream: d.s.URL()}
	for _, c := range d.order {
		h.Collections = append(h.Collections, snapshot.Collection{Name: c.Name(), Type: c.Type(), PrimaryKey: c.PrimaryKey()})
	}
	return h
}

// discard reports a snapshot that cannot be used and removes it from the
// store, so that the next run does not meet it again.
func (d *DB) discard(err *snapshot.Error) {
	d.report(err)
	if rerr := d.opts.Persist.Remove(d.ctx); rerr != nil && d.ctx.Err() == nil {
		d.report(&snapshot.Error{Reason: snapshot.ReasonStorage, Msg: "removing the unusable snapshot failed", Err: rerr})
	}
}

// restore loads the stored snapshot, if any, and makes its rows the
// collections' synced rows. It returns the offset to read the stream from:
// the snapshot's, or the start when there is none or it cannot be used.
func (d *DB) restore() string {
	b, err := d.opts.Persist.Load(d.ctx)
	if err != nil {
		if d.ctx.Err() == nil {
			d.report(&snapshot.Error{Reason: snapshot.ReasonStorage, Msg: "loading the snapshot failed; reading the stream from the start", Err: err})
		}
		return ""
	}
	if b == nil {
		return ""
	}
	var pause func()
	if d.opts.Yield != nil {
		d.slice = time.Now()
		pause = d.pause
	}
	s, err := snapshot.DecodePaused(b, pause)
	if err != nil {
		var se *snapshot.Error
		if !errors.As(err, &se) {
			se = &snapshot.Error{Reason: snapshot.ReasonFormat, Msg: "decode", Err: err}
		}
		d.discard(se)
		return ""
	}
	h := d.header()
	switch {
	case s.Stream != h.Stream:
		d.discard(&snapshot.Error{Reason: snapshot.ReasonStream, Msg: strfmt.Sprintf("taken of %s, this database reads %s", s.Stream, h.Stream)})
		return ""
	case !sameSchema(s.Collections, h.Collections):
		d.discard(&snapshot.Error{Reason: snapshot.ReasonSchema, Msg: strfmt.Sprintf("taken with collections %s, this database has %s", collectionsText(s.Collections), collectionsText(h.Collections))})
		return ""
	}
	rows, err := d.fill(s)
	if d.ctx.Err() != nil {
		return "" // closed while restoring: the snapshot is fine
	}
	if err != nil {
		d.discard(&snapshot.Error{Reason: snapshot.ReasonFormat, Msg: "reading its records", Err: err})
		return ""
	}
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return ""
	}
	d.resumed = true
	d.commitLocked()
	d.changed = false // the state is the stored one: nothing to save yet
	d.offset, d.seq = s.Offset, s.Seq
	d.resumeFrom = s.Offset
	for _, id := range s.TxIDs {
		d.txids.add(id)
	}
	d.progress.Offset = s.Offset
	p := Progress{Offset: s.Offset, Phase: PhaseRestore, Restored: rows, SnapshotBytes: int64(len(b))}
	d.mu.Unlock()
	d.pub.drain()
	if d.opts.OnProgress != nil {
		d.opts.OnProgress(p)
	}
	return s.Offset
}

// fill applies a snapshot's records to the collections' stages, in slices
// when the database yields, and returns how many rows they hold.
func (d *DB) fill(s *snapshot.Snapshot) (int64, error) {
	stages := make([]*collection.Stage, len(d.order))
	for i := range stages {
		stages[i] = collection.NewStage()
	}
	replace := func(_, v value.Value) value.Value { return v }
	rs := s.Records()
	d.slice = time.Now()
	for n := 1; ; n++ {
		r, ok, err := rs.Next()
		if err != nil {
			return 0, err
		}
		if !ok {
			break
		}
		switch r.Op {
		case snapshot.Put:
			stages[r.Coll].Upsert(r.Key, value.Canonical(r.Row), replace)
		case snapshot.Delete:
			stages[r.Coll].Remove(r.Key)
		case snapshot.Truncate:
			for _, st := range stages {
				st.Truncate()
			}
		}
		if n&1023 == 0 && d.sliceUsed() {
			d.opts.Yield()
			d.slice = time.Now()
			if d.ctx.Err() != nil {
				return 0, d.ctx.Err()
			}
		}
	}
	var rows int64
	d.mu.Lock()
	for i, c := range d.order {
		c.stage = stages[i]
		rows += int64(stages[i].Len())
	}
	d.mu.Unlock()
	return rows, nil
}

func sameSchema(a, b []snapshot.Collection) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// logRecord is a change to the synced rows made while a save runs.
type logRecord struct {
	op   snapshot.Op
	coll int
	key  string
	row  string
}

// logWriteLocked records, while a save runs, what a write left in the
// synced rows.
func (d *DB) logWriteLocked(p *pendingOp) {
	switch {
	case p.ctl != 0:
		d.saveLog = append(d.saveLog, logRecord{op: snapshot.Truncate})
	case p.op == state.OpDelete:
		d.saveLog = append(d.saveLog, logRecord{op: snapshot.Delete, coll: p.coll.idx, key: p.key})
	default:
		if v, ok := p.coll.c.Synced(p.key); ok {
			d.saveLog = append(d.saveLog, logRecord{op: snapshot.Put, coll: p.coll.idx, key: p.key, row: v.JSON()})
		}
	}
}

// Save writes a snapshot of the synced state to Options.Persist now, and
// returns what it wrote. The database saves by itself after preload and
// then at most every PersistEvery while live; Save is for a page about to
// go away, and for tests. It works in slices (the database's lock is
// released between them, and the engine yields in the browser), and the
// stored snapshot is replaced only once the new one is complete.
func (d *DB) Save(ctx context.Context) (SaveInfo, error) {
	if d.opts.Persist == nil {
		return SaveInfo{}, errors.New("db.Save: the database has no Persist store")
	}
	d.saveMu.Lock()
	defer d.saveMu.Unlock()
	return d.save(ctx, true)
}

// save writes one snapshot; saveMu is held. Unless forced, it skips when
// nothing changed since the last snapshot (written or restored).
func (d *DB) save(ctx context.Context, force bool) (SaveInfo, error) {
	d.mu.Lock()
	switch {
	case d.closed:
		d.mu.Unlock()
		return SaveInfo{}, ErrClosed
	case !d.ready:
		d.mu.Unlock()
		return SaveInfo{}, ErrNotReady
	case !force && !d.changed:
		d.mu.Unlock()
		return SaveInfo{Skipped: true}, nil
	}
	d.mu.Unlock()
	w, err := d.opts.Persist.Create(ctx)
	if err != nil {
		return SaveInfo{}, &snapshot.Error{Reason: snapshot.ReasonStorage, Msg: "starting a snapshot failed", Err: err}
	}
	if w == nil {
		return SaveInfo{Skipped: true}, nil
	}
	info, err := d.encode(ctx, w)
	if err == nil {
		err = w.Commit()
	}
	if err != nil {
		if aerr := w.Abort(); aerr != nil {
			err = errors.Join(err, aerr)
		}
		var se *snapshot.Error
		if !errors.As(err, &se) && !errors.Is(err, ErrClosed) {
			err = &snapshot.Error{Reason: snapshot.ReasonStorage, Msg: "writing the snapshot failed", Err: err}
		}
		return SaveInfo{}, err
	}
	return info, nil
}

// encode writes the snapshot to w: the synced rows collection by
// collection in key order, a slice at a time under the lock, then what
// changed meanwhile (the log), then, at a moment the state is exactly the
// stream's up to an offset, the footer.
func (d *DB) encode(ctx context.Context, w SnapshotWriter) (SaveInfo, error) {
	chunk := d.saveChunk
	enc := snapshot.NewEncoderSize(w, d.header(), chunk+64<<10)
	var info SaveInfo
	ci, last, first := 0, "", true
	d.mu.Lock()
	d.saving = true
	d.changed = false
	d.mu.Unlock()
	defer func() {
		d.mu.Lock()
		d.saving = false
		clear(d.saveLog)
		d.saveLog = d.saveLog[:0]
		d.mu.Unlock()
	}()
	budget := d.opts.Budget
	if budget == 0 {
		budget = DefaultBudget
	}
	for {
		if err := ctx.Err(); err != nil {
			return info, err
		}
		d.mu.Lock()
		if d.closed {
			d.mu.Unlock()
			return info, ErrClosed
		}
		start := time.Now()
		d.flushLogLocked(enc)
		for n := 0; ci < len(d.order) && enc.Buffered() < chunk; {
			stopped := false
			d.order[ci].c.RangeSyncedAfter(last, first, func(k string, v value.Value) bool {
				enc.Put(ci, k, v.JSON())
				info.Rows++
				last, first = k, false
				n++
				if enc.Buffered() >= chunk || (n&255 == 0 && d.opts.Yield != nil && time.Since(start) >= budget) {
					stopped = true
					return false
				}
				return true
			})
			if stopped {
				break
			}
			ci, last, first = ci+1, "", true
		}
		done := ci == len(d.order) && d.cleanLocked()
		if done {
			d.flushLogLocked(enc)
			info.Offset = d.offset
			enc.Finish(snapshot.Footer{Offset: d.offset, Seq: d.seq, TxIDs: d.txids.recent(maxSavedTxIDs)})
		}
		d.mu.Unlock()
		if err := enc.Flush(); err != nil {
			return info, err
		}
		if done {
			info.Bytes = enc.Written()
			return info, nil
		}
		if ci == len(d.order) || (d.opts.Yield != nil && time.Since(start) >= budget) {
			// Waiting for a moment the state is exact, or out of budget:
			// let the page (and the consumer) run.
			if d.opts.Yield != nil {
				d.opts.Yield()
			} else {
				time.Sleep(time.Millisecond)
			}
		}
	}
}

// flushLogLocked encodes the changes logged since the last slice.
func (d *DB) flushLogLocked(enc *snapshot.Encoder) {
	for _, r := range d.saveLog {
		switch r.op {
		case snapshot.Put:
			enc.Put(r.coll, r.key, r.row)
		case snapshot.Delete:
			enc.Delete(r.coll, r.key)
		case snapshot.Truncate:
			enc.Truncate()
		}
	}
	clear(d.saveLog)
	d.saveLog = d.saveLog[:0]
}

// cleanLocked reports whether the synced state is exactly the stream's up
// to d.offset: nothing read is waiting to be applied (an open state
// snapshot), no batch is open or half applied (a live batch yields in its
// middle), and no response is half applied.
func (d *DB) cleanLocked() bool {
	return d.ready && len(d.pending) == 0 && !d.inSnapshot && !d.open && !d.contd && !d.midBatch
}

// persistLoop saves a snapshot once preload has completed, then whenever
// the state changed, at most every PersistEvery and never more often than
// ten times what the last save took.
func (d *DB) persistLoop() {
	select {
	case <-d.readyCh:
	case <-d.ctx.Done():
		return
	}
	every := d.opts.PersistEvery
	if every <= 0 {
		every = DefaultPersistEvery
	}
	for {
		d.saveMu.Lock()
		start := time.Now()
		_, err := d.save(d.ctx, false)
		took := time.Since(start)
		d.saveMu.Unlock()
		if err != nil {
			if d.ctx.Err() != nil || errors.Is(err, ErrClosed) || errors.Is(err, ErrNotReady) {
				return
			}
			d.report(err)
		}
		select {
		case <-d.ctx.Done():
			return
		case <-time.After(max(every, 10*took)):
		}
		select {
		case <-d.ctx.Done():
			return
		case <-d.dirty:
		}
	}
}

// markChangedLocked notes that the synced state changed since the last
// snapshot, and wakes the persist loop.
func (d *DB) markChangedLocked() {
	d.changed = true
	select {
	case d.dirty <- struct{}{}:
	default:
	}
}

// resuming reports whether the consumer is reading the stream from a
// restored snapshot's offset and has not caught up yet. Only the consumer
// goroutine calls it.
func (d *DB) resuming() bool { return d.resumed && d.resumeFrom != "" }

// replay drops a restored snapshot found unusable while reading from its
// offset: the collections are emptied at once (never stale data), the
// snapshot is reported and removed, and the stream is then read from the
// start as a first preload.
func (d *DB) replay(err *snapshot.Error) {
	d.mu.Lock()
	if !d.closed {
		d.resumed, d.resumeFrom = false, ""
		d.pending = shift(d.pending, len(d.pending))
		d.pendingTxids = shift(d.pendingTxids, len(d.pendingTxids))
		d.complete, d.completeTx, d.inSnapshot, d.contd = 0, 0, false, false
		d.replaying = true
		d.beginLocked()
		d.apply(&pendingOp{ctl: state.ControlReset})
		d.commitLocked()
		d.replaying = false
		d.offset, d.seq = stream.OffsetStart, 0
		d.progress.Offset = stream.OffsetStart
	}
	d.mu.Unlock()
	d.pub.drain()
	d.discard(err)
}

// resumedFailure handles a read failure that would stop the consumer while
// it reads from a restored snapshot's offset: a server that refuses the
// offset means the snapshot is of no use (the stream is read from the
// start: true); a stream gone (404, 410) takes the restored rows with it
// before the failure ends the database (false).
func (d *DB) resumedFailure(err error) bool {
	if !d.resuming() {
		return false
	}
	switch stream.CodeOf(err) {
	case stream.CodeInvalidOffset, stream.CodeBadRequest:
		d.replay(&snapshot.Error{Reason: snapshot.ReasonOffset, Msg: strfmt.Sprintf(
			"the server refused the snapshot's offset %s; reading the stream from the start", d.resumeFrom), Err: err})
		return true
	case stream.CodeNotFound, stream.CodeGone:
		d.replay(&snapshot.Error{Reason: snapshot.ReasonGone, Msg: "the stream is gone; its restored rows are dropped", Err: err})
	}
	return false
}

// collectionsText writes a schema as fmt's %v would: [{name type key} ...].
func collectionsText(cs []snapshot.Collection) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, c := range cs {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString("{" + c.Name + " " + c.Type + " " + c.PrimaryKey + "}")
	}
	b.WriteByte(']')
	return b.String()
}
