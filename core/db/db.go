// Package db is StreamDB's core: it reads a Durable Stream of State Protocol
// events, materializes one collection per entity type, keeps an optimistic
// layer for pending transactions, and tells subscribers what changed, one
// atomic batch at a time.
//
// Semantics follow the reference StreamDB (@durable-streams/state) where it
// is sound: the event key is written into the row's primary-key field, an
// update (or upsert, or insert of an existing key) is a shallow merge, an
// update of an unknown key inserts, a delete of an unknown key does nothing,
// rows carry a `_seq` counter, unknown types are ignored while their txids
// still count. Where the reference breaks (reset, malformed items, unbounded
// txid memory), this package does what the design asks instead: see Open.
package db

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/streamdb/streamdb/core/collection"
	"github.com/streamdb/streamdb/core/query"
	"github.com/streamdb/streamdb/core/snapshot"
	"github.com/streamdb/streamdb/core/state"
	"github.com/streamdb/streamdb/core/stream"
	"github.com/streamdb/streamdb/core/value"
	"github.com/streamdb/streamdb/internal/strfmt"
)

// CollectionDef declares one collection.
type CollectionDef struct {
	// Name is the collection's name (db.Collection(name)).
	Name string
	// Type is the value of `type` in the change events routed to it.
	Type string
	// PrimaryKey is the row field that holds the key.
	PrimaryKey string
	// ID is the collection id its rows report as $collectionId in
	// queries; empty: "stream-db:<stream URL>:<name>", the id
	// @durable-streams/state gives it (getStreamDBCollectionId).
	ID string
}

// LiveMode says how the database follows the stream after preload.
type LiveMode string

// The live modes. The zero value follows with long-poll, like the
// reference's `live: true`.
const (
	LiveLongPoll LiveMode = ""
	LiveSSE      LiveMode = "sse"
	LiveOff      LiveMode = "off"
)

// Progress reports how far reading has come.
type Progress struct {
	// Bytes and Events count what was read so far.
	Bytes, Events int64
	// Offset is the stream offset reached.
	Offset string
	// Ready is true once preload has completed.
	Ready bool
	// Phase is where reading is: PhaseRestore (once, after a snapshot was
	// restored), PhaseCatchUp, or PhaseLive.
	Phase string
	// Restored is the number of rows a restored snapshot held, and
	// SnapshotBytes its size (PhaseRestore only).
	Restored, SnapshotBytes int64
}

// Options configure Open.
type Options struct {
	// Collections declares the collections. Names and types must be unique.
	Collections []CollectionDef
	// Live selects how to follow the stream after preload.
	Live LiveMode
	// OnError receives every error the consumer meets and goes on from:
	// invalid events (a *state.Error with offset, type and key), and read
	// failures. A failure that stops the consumer (the stream is gone) is
	// also passed here.
	OnError func(error)
	// OnProgress is called after every batch read.
	OnProgress func(Progress)
	// OnEvent is called for every valid change event (of any type) after
	// its batch is applied.
	OnEvent func(*state.Event)
	// OnBatch is called once per batch read, after it is applied and after
	// its OnEvent calls, with the batch as read (its items are only valid
	// during the call).
	OnBatch func(*stream.Batch)
	// MaxTxIDs bounds the seen-txid memory (DefaultMaxTxIDs when 0).
	MaxTxIDs int
	// VirtualProps compiles every query with query.Options.AllVirtual: its
	// source rows and group rows carry TanStack DB's virtual fields, as the
	// rows a user reads do with the virtualProps option.
	VirtualProps bool
	// ReadHeader is sent with every read request of the stream (on top of
	// the client's headers), e.g. an authorization token.
	ReadHeader stream.Header
	// ReadParams are query parameters added to every read request.
	ReadParams map[string]string
	// ReadRefresh, when set, gives header fields and query parameters
	// computed anew for each read request (stream.ReadOptions.Refresh),
	// such as a token that expires.
	ReadRefresh func(ctx context.Context) (stream.Header, map[string]string, error)
	// Yield, when set, lets the caller's other work run during long work:
	// the consumer calls it (without its lock held) whenever a response's
	// events have kept it busy for Budget, and goes on when it returns.
	// During the first preload nothing is visible until its end; once live,
	// the events applied so far are committed (a prefix of the stream) and
	// their subscribers told before the yield. The browser passes a
	// function that waits for one turn of the page's event loop, so that
	// the page paints and handles input while a large stream loads or a
	// burst of events arrives; natively there is nothing to yield to.
	Yield func()
	// Budget is the longest stretch of work between two Yield calls
	// (DefaultBudget when 0).
	Budget time.Duration
	// Retry, when set, replaces the client's retry policy for the reads of
	// this database: a finite MaxRetries makes a server that stays
	// unreachable (or keeps failing) end the database in ConnFailed, and
	// pending Preload calls fail.
	Retry *stream.RetryPolicy
	// OnConnection, when set, is called on every change of the
	// connection's state (each retry is one), from the reading goroutine.
	OnConnection func(Connection)
	// PartBytes is the size of the parts a response is read and applied in
	// (DefaultPartBytes when 0): beyond the state itself and one event, the
	// most of a body the database holds at once. A negative value reads
	// each response whole before applying it.
	PartBytes int
	// MaxEventBytes bounds one event, an SSE data event or an item of a
	// response (stream.DefaultSSEMaxLine, 64 MiB, when 0): a longer one is
	// left out and reported as a *state.Error, and the stream goes on
	// after it.
	MaxEventBytes int
	// IdleTimeout is how long a read may hear nothing from the server
	// before it is taken for dead and made again from the offset
	// (stream.ReadOptions.IdleTimeout: stream.DefaultIdleTimeout when 0,
	// never when negative).
	IdleTimeout time.Duration
	// Source, when set, is where the stream's batches come from instead of
	// the stream's own HTTP reads: a WebSocket gateway's subscription, say.
	// It gets the same ReadOptions (offset, header fields, parameters); the
	// options of the HTTP reader it has no use for it may ignore.
	Source Source
	// Persist, when set, keeps the synced state between runs: Preload
	// first restores the stored snapshot (the collections are readable
	// from then on, and Progress says PhaseRestore), then reads the stream
	// from the snapshot's offset; a snapshot is saved after preload and
	// then at most every PersistEvery while the state changes. A snapshot
	// that cannot be used (another schema or stream, another format
	// version, damaged, cut, or the stream was deleted or recreated) is
	// reported to OnError as a *snapshot.Error, removed, and the stream is
	// read from the start instead: never stale data. FileStore keeps it in
	// a file.
	Persist Store
	// PersistEvery is the least time between two saves while live
	// (DefaultPersistEvery when 0).
	PersistEvery time.Duration
	// Collator makes the locale collations of live queries' orderBy
	// (stringSort 'locale', TanStack DB's default). Nil orders strings by
	// UTF-16 code units; native programs pass core/collate, the browser
	// Intl.Collator.
	Collator query.Collator
}

// BatchReader is a reader of a stream's batches, in order: Next returns
// the next one (io.EOF at the end of a stream read without following it),
// and its errors are core/stream's *stream.Error, so that the database
// tells fatal failures (the stream is gone) from the rest. *stream.Reader
// is one.
type BatchReader interface {
	Next() (*stream.Batch, error)
	Close()
}

// Source opens BatchReaders of the database's stream (Options.Source).
type Source interface {
	Read(ctx context.Context, o stream.ReadOptions) (BatchReader, error)
}

// DefaultBudget is Options.Budget's default: a page stays responsive when
// no task is longer than about 50 ms.
const DefaultBudget = 50 * time.Millisecond

// Reserved collection names, rejected as in the reference.
var reservedNames = map[string]bool{"collections": true, "preload": true, "close": true, "utils": true, "actions": true}

// Errors returned by the database.
var (
	// ErrClosed is returned by calls on a closed database and by waits that
	// Close interrupted.
	ErrClosed = errors.New("StreamDB closed")
	// ErrTxIDTimeout is returned by AwaitTxID when its timeout passes.
	ErrTxIDTimeout = errors.New("timeout waiting for txid")
	// ErrUnknownCollection is returned for a collection name not declared.
	ErrUnknownCollection = errors.New("unknown collection")
)

// DB is an open StreamDB.
type DB struct {
	s    *stream.Stream
	opts Options

	mu     sync.Mutex
	colls  map[string]*Collection
	byType map[string]*Collection
	order  []*Collection // the stream's collections, in declaration order
	locals []*Collection // local collections (AddLocal), in creation order
	offset string
	seq    float64
	txids  *txids
	txs    []*Tx // active transactions, in creation order
	nextTx int64

	conn     Connection
	ready    bool
	readyCh  chan struct{} // closed once preload is over: ready, failed or closed
	readyOut bool          // readyCh is closed
	fatal    error
	started  bool
	closed   bool
	ctx      context.Context
	cancel   context.CancelFunc

	// Events read but not applied yet, in stream order: during preload
	// everything up to the first up-to-date batch, and from an open
	// snapshot's start on. Only the complete prefix (pending[:complete] and
	// pendingTxids[:completeTx]: nothing of an unfinished snapshot) may
	// be applied; the rest waits for the snapshot's end. Once anything is
	// queued, every later event is queued behind it, so that the events are
	// applied in stream order however the responses group them.
	pending      []pendingOp
	pendingTxids []string // txids of the pending ops
	appliedTxids []string // txids of what the open batch applied
	complete     int      // pending[:complete] is outside any open snapshot
	completeTx   int      // pendingTxids[:completeTx] likewise
	inSnapshot   bool
	// slice is when the current slice of work began (of the first
	// preload, or of live batches; Yield resets it); contd says that the
	// last batch was a part of a response, which the next one goes on
	// with; batchEnd is when the last batch ended. Only the consumer
	// goroutine uses them.
	slice    time.Time
	contd    bool
	batchEnd time.Time
	// uncommitted counts the events taken since the last commit, and
	// perEvent is what a live commit costs per event (learnCost).
	uncommitted int
	perEvent    time.Duration
	// costFrom and costN: the start and the events of the last live commit
	// whose cost is not learnt yet (learnCost).
	costFrom time.Time
	costN    int
	open     bool // a batch is open on the collections
	progress Progress
	dec      state.Decoder

	pub publisher

	// Persistence (persist.go). resumed: a snapshot was restored and the
	// stream is being read from its offset (resumeFrom) up to its end;
	// batches are then applied as they come, but the database is not ready.
	// replaying: the commit that empties the collections when a restored
	// snapshot turns out unusable, which must not make the database ready.
	resumed    bool
	replaying  bool
	resumeFrom string
	changed    bool          // the synced state changed since the last snapshot
	dirty      chan struct{} // wakes the persist loop
	saving     bool          // a save runs: writes are logged in saveLog
	saveLog    []logRecord
	saveMu     sync.Mutex // one save at a time
	saveChunk  int        // saveChunk when the database was opened
	midBatch   bool       // a batch is being applied (its offset is set, its events not all in)

	lives    []*Live             // open live queries, in creation order
	loadRows map[string]loadRows // source rows shared by first results (sourceRowsLocked)
	readers  map[string]int      // collection name → number of live queries reading it
	watchers []*watcher
}

// pendingOp is an event waiting to be applied, reduced to what applying
// needs.
type pendingOp struct {
	ctl  state.Control
	op   state.Operation
	coll *Collection
	key  string
	val  value.Value // the row, for inserts, updates and upserts
}

// Open returns a database over stream s. It makes no request until Preload.
func Open(s *stream.Stream, opts Options) (*DB, error) {
	if s == nil {
		return nil, errors.New("db.Open: nil stream")
	}
	d := &DB{s: s, opts: opts, colls: map[string]*Collection{}, byType: map[string]*Collection{},
		offset: stream.OffsetStart, txids: newTxids(opts.MaxTxIDs), readyCh: make(chan struct{}),
		conn: Connection{State: ConnConnecting}, dirty: make(chan struct{}, 1), saveChunk: saveChunk}
	for _, def := range opts.Collections {
		switch {
		case def.Name == "":
			return nil, errors.New("db.Open: a collection has no name")
		case reservedNames[def.Name]:
			return nil, strfmt.Errorf("db.Open: Reserved collection name %q", def.Name)
		case d.colls[def.Name] != nil:
			return nil, strfmt.Errorf("db.Open: duplicate collection name %q", def.Name)
		case def.Type == "":
			return nil, strfmt.Errorf("db.Open: collection %q has no event type", def.Name)
		case d.byType[def.Type] != nil:
			return nil, strfmt.Errorf("db.Open: Duplicate event type %q (collections %q and %q)", def.Type, d.byType[def.Type].Name(), def.Name)
		case def.PrimaryKey == "":
			return nil, strfmt.Errorf("db.Open: collection %q has no primary key", def.Name)
		}
		c := &Collection{db: d, c: collection.New(def.Name, def.Type, def.PrimaryKey), idx: len(d.order)}
		c.c.SetID(def.ID)
		if def.ID == "" {
			c.c.SetID("stream-db:" + s.URL() + ":" + def.Name)
		}
		d.colls[def.Name] = c
		d.byType[def.Type] = c
		d.order = append(d.order, c)
	}
	pks := make(map[string]string, len(d.order))
	for _, c := range d.order {
		pks[c.c.Type()] = c.c.PrimaryKey()
	}
	d.dec.UseRows(pks, seqField)
	d.ctx, d.cancel = context.WithCancel(context.Background())
	return d, nil
}

// Stream returns the stream the database reads.
func (d *DB) Stream() *stream.Stream { return d.s }

// Collection returns the named collection, or nil.
func (d *DB) Collection(name string) *Collection { return d.colls[name] }

// Collections returns the collections in declaration order.
func (d *DB) Collections() []*Collection { return append([]*Collection(nil), d.order...) }

// Offset returns the offset of the last batch read: "-1" before the first.
func (d *DB) Offset() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.offset
}

// Ready reports whether preload has completed.
func (d *DB) Ready() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.ready
}

// Preload starts reading the stream (once) and returns when every event up
// to the first up-to-date response is visible, as one atomic batch, and the
// subscribers and callbacks have been told about it. It
// fails when the stream cannot be read (not found, say), when ctx ends, or
// when the database is closed first. It may be called any number of times.
func (d *DB) Preload(ctx context.Context) error {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return ErrClosed
	}
	if !d.started {
		d.started = true
		go d.consume()
		if d.opts.Persist != nil {
			go d.persistLoop()
		}
	}
	d.mu.Unlock()
	select {
	case <-d.readyCh:
		d.mu.Lock()
		defer d.mu.Unlock()
		if d.ready {
			return nil
		}
		if d.closed {
			return ErrClosed
		}
		return d.fatal
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close stops reading, rejects pending Preload and AwaitTxID calls with
// ErrClosed, fails every transaction that has not persisted with ErrClosed
// (dropping the optimistic rows of all of them), and keeps the
// collections' synced rows readable. Nothing is applied after it returns.
// It does not wait for the reading goroutine to end, so a subscriber may
// call it. It cannot be undone.
func (d *DB) Close() {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return
	}
	d.closed = true
	d.txids.failAll(ErrClosed)
	d.closeTxsLocked()
	d.endPreloadLocked()
	d.mu.Unlock()
	d.pub.drain()
	d.cancel()
	d.setConn(Connection{State: ConnClosed})
}

// maxEventBytes is the SSE event size limit in force.
func (d *DB) maxEventBytes() int {
	if d.opts.MaxEventBytes > 0 {
		return d.opts.MaxEventBytes
	}
	return stream.DefaultSSEMaxLine
}

// Err returns the failure that stopped the consumer, if any.
func (d *DB) Err() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.fatal
}

// AwaitTxID returns once a batch carrying txid is visible in the
// collections: at once if it already is. It fails with ErrTxIDTimeout after
// timeout (DefaultTxIDTimeout when 0; a negative timeout sets no timer, for
// a caller whose ctx bounds the wait), with ErrClosed when the database
// closes, and with the consumer's failure if reading stops.
func (d *DB) AwaitTxID(ctx context.Context, txid string, timeout time.Duration) error {
	if timeout == 0 {
		timeout = DefaultTxIDTimeout
	}
	d.mu.Lock()
	if d.txids.has(txid) {
		d.mu.Unlock()
		return nil
	}
	if d.closed {
		d.mu.Unlock()
		return ErrClosed
	}
	if d.fatal != nil {
		err := d.fatal
		d.mu.Unlock()
		return err
	}
	ch := d.txids.wait(txid)
	d.mu.Unlock()
	var expired <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		expired = t.C
	}
	select {
	case err := <-ch:
		return err
	case <-expired:
	case <-ctx.Done():
	}
	d.mu.Lock()
	d.txids.forget(txid, ch)
	d.mu.Unlock()
	select {
	case err := <-ch: // resolved while we were giving up
		return err
	default:
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return strfmt.Errorf("%w: %s", ErrTxIDTimeout, txid)
}

func (d *DB) report(err error) {
	if d.opts.OnError != nil && err != nil {
		d.opts.OnError(err)
	}
}

// consume reads the stream until it ends, the database closes, or a fatal
// error: from a restored snapshot's offset when there is one, and from
// the start again when that read shows the snapshot unusable.
func (d *DB) consume() {
	from := stream.OffsetStart
	if d.opts.Persist != nil {
		if off := d.restore(); off != "" {
			from = off
		}
	}
	for d.read(from) {
		from = stream.OffsetStart
	}
}

// read reads the stream from offset from. It reports true when the read
// must start again from the beginning (a restored snapshot proved
// unusable; see replayLocked).
func (d *DB) read(from string) bool {
	live := stream.LiveLongPoll
	switch d.opts.Live {
	case LiveSSE:
		live = stream.LiveSSE
	case LiveOff:
		live = stream.LiveOff
	}
	ro := stream.ReadOptions{Offset: from, Live: live, LenientItems: true, Header: d.opts.ReadHeader,
		IdleTimeout: d.opts.IdleTimeout, Retry: d.opts.Retry, OnRetry: d.onRetry, CatchUpAfterFailure: true,
		Params: d.opts.ReadParams, Refresh: d.opts.ReadRefresh, SSEMaxLine: d.opts.MaxEventBytes,
		PartBytes: cmp.Or(d.opts.PartBytes, DefaultPartBytes), MaxItemBytes: d.opts.MaxEventBytes, ReadAhead: true}
	if d.opts.Yield != nil {
		ro.Pause = d.pause
	}
	var r BatchReader
	var err error
	if d.opts.Source != nil {
		r, err = d.opts.Source.Read(d.ctx, ro)
	} else {
		r, err = d.s.Read(d.ctx, ro)
	}
	if err != nil {
		d.stop(err)
		return false
	}
	defer r.Close()
	retries := 0
	for {
		b, err := r.Next()
		if err == io.EOF {
			d.mu.Lock()
			if !d.ready && !d.closed {
				d.resumed = false
				d.commitLocked()
			}
			d.mu.Unlock()
			d.pub.drain()
			d.announceReady()
			d.setConn(Connection{State: ConnStopped})
			return false
		}
		if err != nil {
			if d.ctx.Err() != nil {
				return false
			}
			// A body or event the reader could not use leaves it where it
			// was: report it and ask again after a pause.
			if c := stream.CodeOf(err); c == stream.CodeParse || c == stream.CodeProtocol {
				d.report(err)
				retries++
				wait := backoff(retries)
				d.setConn(Connection{State: ConnRetrying, Attempt: retries, Delay: wait, Err: err})
				select {
				case <-d.ctx.Done():
					return false
				case <-time.After(wait):
				}
				continue
			}
			if d.resumedFailure(err) {
				return true
			}
			d.stop(err)
			return false
		}
		retries = 0
		// Offsets only grow: a stream that answers a resumed read with an
		// offset below the snapshot's was deleted and created anew.
		if d.resuming() && b.Offset < d.resumeFrom {
			d.replay(&snapshot.Error{Reason: snapshot.ReasonRecreated, Msg: strfmt.Sprintf(
				"the stream answered offset %s to a read from the snapshot's %s: it was recreated; reading it from the start", b.Offset, d.resumeFrom)})
			return true
		}
		d.batch(b) // which says the connection's state
	}
}

// sliceUsed reports whether the first preload's current slice of work has
// used its budget, so that it is time to yield. Only the consumer
// goroutine calls it; d.ready is written by that goroutine alone.
func (d *DB) sliceUsed() bool { return !d.ready && d.budgetUsed() }

// pause is the reader's Pause while it reads and splits a large body: it
// yields when the slice's budget is used. It holds no lock.
func (d *DB) pause() {
	if d.sliceUsed() {
		d.opts.Yield()
		d.slice = time.Now()
	}
}

// DefaultPartBytes is Options.PartBytes' default.
const DefaultPartBytes = 1 << 20

func backoff(n int) time.Duration {
	d := 100 * time.Millisecond << min(n, 8)
	return min(d, 10*time.Second)
}

// stop ends the consumer on a fatal error.
func (d *DB) stop(err error) {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return
	}
	d.fatal = err
	d.txids.failAll(err)
	d.mu.Unlock()
	d.report(err)
	d.setConn(Connection{State: ConnFailed, Err: err})
	// Preload callers wake last, with the failure reported and the
	// connection failed, as they wake after a batch's callbacks.
	d.mu.Lock()
	d.endPreloadLocked()
	d.mu.Unlock()
}

// batch decodes one stream batch and applies what it may: during preload
// everything waits for the first up-to-date batch, events from a
// snapshot's start wait for its end, and otherwise each batch is one atomic
// step. While nothing is queued and the batch will be committed at its end
// anyway, events are applied as they are decoded instead of being queued
// first; once one event is queued, the rest of the batch queues behind it.
// The state after a batch is therefore the state of the stream read one
// event at a time, up to the last event outside an open snapshot
// (TestBatchingIsInvisible).
func (d *DB) batch(b *stream.Batch) {
	var events []*state.Event
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return
	}
	d.offset = b.Offset
	d.midBatch = true // until the end: a yield may let the lock go before
	d.progress.Bytes += int64(b.WireBytes)
	d.progress.Events += int64(len(b.Items))
	d.progress.Offset = b.Offset
	// A part of a response (b.Partial) is a prefix of the stream too, so
	// once ready it is committed like a whole response; the first preload
	// waits for the end of its up-to-date response.
	// A resumed read (after a restored snapshot) applies each batch as it
	// comes, every one a prefix of the stream; the database is ready at the
	// commit of its up-to-date batch.
	commit := d.ready || d.resumed || b.UpToDate || b.Closed
	staging := !d.ready && !d.resumed // a first preload fills stages (see take)
	var errs []error
	live := d.ready || d.resumed
	if live && !d.contd && time.Since(d.batchEnd) > restGap {
		d.slice = time.Now() // live work starts after a rest
	}
	for i, item := range b.Items {
		if i&31 == 31 && d.budgetUsed() && !d.yieldLocked() {
			return
		}
		e, err := d.dec.DecodeLazy(item)
		if err == nil {
			now := (commit || staging) && len(d.pending) == 0 && !d.inSnapshot
			if now && !staging {
				d.beginLocked()
			}
			err = d.take(&e, now)
		}
		if err != nil {
			var se *state.Error
			if errors.As(err, &se) {
				se.Offset, se.Index, se.Key, se.TxID = b.Offset, i, strings.Clone(se.Key), strings.Clone(se.TxID)
			}
			errs = append(errs, err)
			continue
		}
		d.uncommitted++
		if e.Control == state.ControlReset && d.resumed {
			errs = append(errs, &snapshot.Error{Reason: snapshot.ReasonReset, Msg: strfmt.Sprintf(
				"a reset at offset %s, after the snapshot's %s: the state rebuilds from the events that follow", b.Offset, d.resumeFrom)})
		}
		if d.opts.OnEvent != nil && e.IsChange() {
			events = append(events, handOut(e))
		}
	}
	for _, at := range b.Skipped {
		errs = append(errs, &state.Error{Offset: b.Offset, Index: at, Reason: strfmt.Sprintf(
			"an event longer than %d bytes (MaxEventBytes) was left out; the stream goes on after it", d.maxEventBytes())})
	}
	if commit {
		if b.UpToDate || b.Closed {
			d.resumed = false
		}
		d.commitLocked()
	}
	p := d.progress
	p.Ready = d.ready
	p.Phase = PhaseCatchUp
	if d.ready {
		p.Phase = PhaseLive
	}
	d.midBatch = false
	d.contd = b.Partial // written under the lock: a save reads it
	d.mu.Unlock()
	d.pub.drain()
	for _, err := range errs {
		d.report(err)
	}
	if d.opts.OnProgress != nil {
		d.opts.OnProgress(p)
	}
	for _, e := range events {
		d.opts.OnEvent(e)
	}
	if d.opts.OnBatch != nil {
		d.opts.OnBatch(b)
	}
	// The connection's state after the batch (connecting, or live once
	// ready), said before the Preload callers wake.
	d.setConn(Connection{State: d.readState()})
	d.announceReady()
	d.learnCost()
	// The parts of one live response, and live batches whose bytes were
	// already there (SSE events read in a burst: each read resolves at
	// once, in the same task of the page), follow each other in one task
	// unless the engine yields between them.
	if live && d.budgetUsed() {
		d.opts.Yield()
		d.slice = time.Now()
	}
	d.batchEnd = time.Now()
}

// restGap is the least time between two live batches after which the
// second starts a new slice of work: the reader waited for the network,
// and the page had its turns meanwhile. Batches closer together are taken
// to follow each other in one task, and count against one budget.
const restGap = 3 * time.Millisecond

// budgetUsed reports whether the current slice of work (of the first
// preload, or of one live response, all its parts) has used its budget.
// Once live, the commit the slice owes counts too: with live queries open
// it costs far more than taking the events in.
func (d *DB) budgetUsed() bool {
	if d.opts.Yield == nil {
		return false
	}
	owed := time.Duration(0)
	if d.ready {
		if d.perEvent == 0 && d.uncommitted > 0 && len(d.lives) > 0 {
			return true // commit early once, to learn what it costs
		}
		owed = time.Duration(d.uncommitted) * d.perEvent
	}
	return time.Since(d.slice)+owed >= cmp.Or(d.opts.Budget, DefaultBudget)
}

// yieldLocked lets the caller's other work run in the middle of a batch:
// the page's main thread, in the browser. Nothing of a first preload is
// visible before its commit, so the lock can simply go; once live, what
// the batch applied so far is a prefix of the stream, so it is committed
// (and its subscribers told) first. It reports false when the database
// was closed meanwhile (the lock is then released).
func (d *DB) yieldLocked() bool {
	live := d.ready || d.resumed
	if live {
		d.commitLocked()
	}
	d.mu.Unlock()
	if live {
		d.pub.drain()
		d.learnCost()
	}
	d.opts.Yield()
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return false
	}
	d.slice = time.Now()
	return true
}

// handOut copies an event for OnEvent: its value parsed, and nothing left
// sharing the batch's memory.
func handOut(e state.Event) *state.Event {
	if e.ValueRaw != nil && e.Value.IsUndefined() {
		e.Value, _ = value.Parse(e.ValueRaw)
	}
	e.Key, e.ValueRaw, e.HeadersRaw = strings.Clone(e.Key), nil, bytes.Clone(e.HeadersRaw)
	e.TxID, e.Timestamp, e.Offset = strings.Clone(e.TxID), strings.Clone(e.Timestamp), strings.Clone(e.Offset)
	if e.KeyValue.Kind() == value.KindString {
		e.KeyValue = value.String(e.Key)
	}
	return &e
}

// take handles one decoded event: it applies it at once (now) or queues it.
// Either way the row is built here: the value with the event key in the
// primary-key field and a `_seq` number.
func (d *DB) take(e *state.Event, now bool) error {
	var op pendingOp
	switch e.Control {
	case state.ControlSnapshotStart:
		d.inSnapshot = true
		d.noteTxid(e.TxID, false)
		return nil
	case state.ControlSnapshotEnd:
		d.inSnapshot = false
		d.noteTxid(e.TxID, false)
		d.markComplete()
		return nil
	case state.ControlReset:
		op.ctl = state.ControlReset
	default:
		c := d.byType[e.Type]
		if c == nil {
			d.noteTxid(e.TxID, now) // unknown type: ignored, but its txid counts
			d.markComplete()
			return nil
		}
		// e.Key shares the batch's memory: the op keeps a slice of its
		// row's own text when the key is there verbatim (one object per row
		// for the collector), and a copy otherwise.
		op = pendingOp{op: e.Op, coll: c}
		if e.Op != state.OpDelete {
			row, err := d.row(c.PrimaryKey(), e, d.seq) // _seq from 0, as the reference counts
			if err != nil {
				return &state.Error{Type: e.Type, Key: e.Key, Op: e.Op.String(), TxID: e.TxID, Reason: "bad value", Err: err}
			}
			op.val = row
			if k, ok := e.Row.KeyIn(row, e.Key); ok {
				op.key = k
			} else if k, ok := row.Get(c.PrimaryKey()).Str(); ok && k == e.Key {
				op.key = k
			}
		}
		if op.key == "" {
			op.key = strings.Clone(e.Key)
		}
		d.seq++
	}
	d.noteTxid(e.TxID, now)
	switch {
	case now && !d.ready && !d.resumed:
		d.stageOp(&op)
	case now:
		d.apply(&op)
	default:
		d.pending = append(d.pending, op)
	}
	d.markComplete()
	return nil
}

// markComplete records that everything queued so far may be applied,
// unless a snapshot is open.
func (d *DB) markComplete() {
	if !d.inSnapshot {
		d.complete, d.completeTx = len(d.pending), len(d.pendingTxids)
	}
}

// noteTxid records a txid to mark seen when its event becomes visible. The
// id may share the batch's memory: it is copied.
func (d *DB) noteTxid(id string, applied bool) {
	if id != "" {
		id = strings.Clone(id)
	}
	switch {
	case id == "":
	case applied:
		d.appliedTxids = append(d.appliedTxids, id)
	default:
		d.pendingTxids = append(d.pendingTxids, id)
	}
}

// row builds a synced row from an event's value: the value with the event
// key in the primary-key field and a `_seq` number, as the reference's
// {...value, [pk]: key, _seq} has it.
func (d *DB) row(pk string, e *state.Event, seq float64) (value.Value, error) {
	if e.Row.OK() { // the decoder read the value as a row of this type
		return value.BuildRow(e.ValueRaw, e.Row, pk, e.KeyValue, seqField, value.Number(seq))
	}
	return value.ParseRow(e.ValueRaw, pk, e.KeyValue, seqField, value.Number(seq))
}

// seqField is the field every synced row gets: the event's position in the
// stream, as the reference numbers them.
const seqField = "_seq"

// beginLocked opens a batch on every collection, once.
func (d *DB) beginLocked() {
	if d.open {
		return
	}
	d.open = true
	for _, cs := range d.all() {
		for _, c := range cs {
			c.c.Begin()
		}
	}
}

// all returns the stream's collections and the local ones, for the loops
// that go over every collection.
func (d *DB) all() [2][]*Collection { return [2][]*Collection{d.order, d.locals} }

// commitLocked makes the staged rows of a first preload visible, applies
// the complete part of the queue (nothing of an open snapshot; it comes
// after the staged events in the stream), keeps the rest in order, and
// finishes the batch.
func (d *DB) commitLocked() {
	if d.costN > 0 {
		d.learnCost() // a commit whose subscribers were not told through batch
	}
	if n := d.uncommitted; d.ready && n > 0 {
		d.costFrom, d.costN = time.Now(), n
	}
	d.uncommitted = 0
	d.beginLocked()
	for _, c := range d.order {
		if c.stage != nil {
			c.c.Adopt(c.stage)
			c.stage = nil
			d.changed = true
		}
	}
	for i := range d.pending[:d.complete] {
		d.apply(&d.pending[i])
	}
	d.pending = shift(d.pending, d.complete)
	d.appliedTxids = append(d.appliedTxids, d.pendingTxids[:d.completeTx]...)
	d.pendingTxids = shift(d.pendingTxids, d.completeTx)
	d.complete, d.completeTx = 0, 0
	d.finishLocked()
}

// learnCost updates perEvent, budgetUsed's estimate of what a live
// commit costs per event, with the last one's: from its start to now, once
// its subscribers were told (the live queries' answers for the page are
// most of it). The estimate follows a costlier commit at once and a
// cheaper one slowly: the events of a slice vary (an update of a user
// moves all their messages through a join), and an estimate that is low
// makes a slice overrun its budget.
func (d *DB) learnCost() {
	if d.costN == 0 {
		return
	}
	per := time.Since(d.costFrom) / time.Duration(d.costN)
	if per < d.perEvent {
		per = (3*d.perEvent + per) / 4
	}
	d.perEvent, d.costN = per, 0
}

// shift drops the first n elements of s in place and zeroes the freed tail,
// so that the collector can reclaim what it referenced.
func shift[T any](s []T, n int) []T {
	m := copy(s, s[n:])
	clear(s[m:])
	return s[:m]
}

// finishLocked ends the open batch: it marks the applied txids seen, drops
// the optimistic rows they confirm, publishes the changes and, the first
// time, marks the database ready.
func (d *DB) finishLocked() {
	d.beginLocked()
	for _, id := range d.appliedTxids {
		d.txids.add(id)
	}
	clear(d.appliedTxids)
	d.appliedTxids = d.appliedTxids[:0]
	if d.dropConfirmedLocked() {
		d.setOverlaysLocked()
	}
	d.endLocked()
	d.open = false
	if !d.resumed && !d.replaying {
		d.ready = true
	}
	if d.changed {
		d.markChangedLocked()
	}
}

// announceReady wakes the Preload callers once the database is ready. It
// runs after the batch's subscribers, progress and event callbacks, so that
// Preload returns with all of them done.
func (d *DB) announceReady() {
	d.mu.Lock()
	if d.ready {
		d.endPreloadLocked()
	}
	d.mu.Unlock()
}

// endPreloadLocked wakes the Preload callers.
func (d *DB) endPreloadLocked() {
	if !d.readyOut {
		d.readyOut = true
		close(d.readyCh)
	}
}

// rows is what a change is written to: a collection's synced layer, or
// during a first preload its stage.
type rows interface {
	Truncate()
	Remove(key string)
	Upsert(key string, v value.Value, merge func(old, v value.Value) value.Value)
}

// synced is apply's target: the collection's synced layer.
func synced(c *Collection) rows { return c.c }

// staged is stageOp's target: the collection's stage, where nobody sees a
// row until the commit adopts the stages. Before the first commit every
// synced layer is empty, so the stages hold everything synced.
func staged(c *Collection) rows {
	if c.stage == nil {
		c.stage = collection.NewStage()
	}
	return c.stage
}

// apply writes one change to its collection's synced layer (and, while a
// snapshot is being saved, to its log).
func (d *DB) apply(p *pendingOp) {
	d.write(p, synced)
	d.changed = true
	if d.saving {
		d.logWriteLocked(p)
	}
}

// stageOp writes one change of a first preload to its collection's stage.
func (d *DB) stageOp(p *pendingOp) { d.write(p, staged) }

// write writes one change to the rows of its collection that to returns
// (a reset to those of every collection).
func (d *DB) write(p *pendingOp, to func(*Collection) rows) {
	if p.ctl == state.ControlReset {
		for _, c := range d.order {
			to(c).Truncate()
		}
		return
	}
	r := to(p.coll)
	if p.op == state.OpDelete {
		r.Remove(p.key)
		return
	}
	r.Upsert(p.key, p.val, value.Merge)
}

// endLocked ends the batch on every collection and queues the changes for
// the subscribers.
func (d *DB) endLocked() {
	defer d.dropLoadRowsLocked()
	var step map[string][]Change // for the live queries and watchers
	if len(d.lives) > 0 || len(d.watchers) > 0 {
		step = map[string][]Change{}
	}
	for _, cs := range d.all() {
		for _, c := range cs {
			keep := step != nil && (d.readers[c.Name()] > 0 || d.watchedLocked(c.Name()))
			if ch := c.c.End(len(c.subs) > 0 || keep); len(ch) > 0 {
				c.publishLocked(ch)
				if keep {
					step[c.Name()] = ch
				}
			}
		}
	}
	if len(step) == 0 {
		return
	}
	var queries []QueryChanges
	shared := query.NewStep(step)
	for _, l := range d.lives {
		if out := l.applyLocked(shared); len(out) > 0 && len(d.watchers) > 0 {
			queries = append(queries, QueryChanges{Live: l, Changes: out})
		}
	}
	for _, w := range d.watchers {
		w.publishLocked(d, step, queries)
	}
}
