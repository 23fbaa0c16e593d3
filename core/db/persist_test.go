package db_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/streamdb/streamdb/core/db"
	"github.com/streamdb/streamdb/core/snapshot"
	"github.com/streamdb/streamdb/core/stream"
	"github.com/streamdb/streamdb/core/value"
)

// memStore is a Store in memory; its writer can be slowed down.
type memStore struct {
	mu       sync.Mutex
	data     []byte
	slow     time.Duration // per Write
	busy     bool          // Create reports another writer
	removals int
	commits  int
}

func (m *memStore) Load(context.Context) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return bytes.Clone(m.data), nil
}

func (m *memStore) Create(context.Context) (db.SnapshotWriter, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.busy {
		return nil, nil
	}
	return &memWriter{m: m}, nil
}

func (m *memStore) Remove(context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.data = nil
	m.removals++
	return nil
}

func (m *memStore) get() []byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.data
}

func (m *memStore) set(b []byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.data = b
}

type memWriter struct {
	m   *memStore
	buf bytes.Buffer
}

func (w *memWriter) Write(p []byte) (int, error) {
	if w.m.slow > 0 {
		time.Sleep(w.m.slow)
	}
	return w.buf.Write(p)
}

func (w *memWriter) Commit() error {
	w.m.set(bytes.Clone(w.buf.Bytes()))
	w.m.mu.Lock()
	w.m.commits++
	w.m.mu.Unlock()
	return nil
}

func (w *memWriter) Abort() error { return nil }

// offsetLog is a transport that records the offset of every read request.
type offsetLog struct {
	stream.Transport
	mu      sync.Mutex
	offsets []string
	catchUp []string      // the offsets of the reads without live
	hold    chan struct{} // when set, reads wait for it to close
}

func (o *offsetLog) RoundTrip(ctx context.Context, r *stream.Request) (*stream.Response, error) {
	if r.Method == "GET" {
		if u, err := url.Parse(r.URL); err == nil {
			o.mu.Lock()
			o.offsets = append(o.offsets, u.Query().Get("offset"))
			if !u.Query().Has("live") {
				o.catchUp = append(o.catchUp, u.Query().Get("offset"))
			}
			hold := o.hold
			o.mu.Unlock()
			if hold != nil {
				select {
				case <-hold:
				case <-ctx.Done():
					return nil, ctx.Err()
				}
			}
		}
	}
	return o.Transport.RoundTrip(ctx, r)
}

// catchUps returns the offsets of the catch-up reads (not long-polls, which
// a reader may send ahead while the database applies what it read).
func (o *offsetLog) catchUps() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]string(nil), o.catchUp...)
}

func (o *offsetLog) first() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.offsets) == 0 {
		return ""
	}
	return o.offsets[0]
}

// dump lists every collection's rows as "name key row" lines.
func dump(d *db.DB) []string {
	var out []string
	for _, c := range d.Collections() {
		c.Range(func(k string, v value.Value) bool {
			out = append(out, c.Name()+" "+k+" "+v.JSON())
			return true
		})
	}
	return out
}

// fresh reads the whole stream without a snapshot and returns its rows.
func fresh(t *testing.T, s *stream.Stream) []string {
	d := preloaded(t, s, func(o *db.Options) { o.Live = db.LiveOff })
	return dump(d.DB)
}

// persisted opens a database over the stream at url with store, reading
// through its own transport so that its requests can be watched.
func persisted(t *testing.T, url string, store db.Store, mut ...func(*db.Options)) (*opened, *offsetLog) {
	tr := &offsetLog{Transport: newTransport()}
	s := newClient(t, tr).Stream(url)
	s.SetContentType("application/json")
	o := open(t, s, append([]func(*db.Options){func(o *db.Options) {
		o.Persist = store
		o.PersistEvery = time.Hour
	}}, mut...)...)
	return o, tr
}

// saveOnce preloads a database over the stream at url with store, saves a
// snapshot, closes it, and returns what was saved and the database's
// offset.
func saveOnce(t *testing.T, url string, store db.Store) (db.SaveInfo, string) {
	t.Helper()
	d, _ := persisted(t, url, store)
	require.NoError(t, d.Preload(ctxT(t)))
	info, err := d.Save(ctxT(t))
	require.NoError(t, err)
	off := d.Offset()
	d.Close()
	return info, off
}

// history appends a mix of events: inserts, merges, deletes, an unknown
// type, txids.
func history(t *testing.T, s *stream.Stream, from, n int) {
	var items []string
	for i := from; i < from+n; i++ {
		items = append(items, ev("user", fmt.Sprintf("u%d", i%7), "upsert", fmt.Sprintf(`{"name":"n%d"}`, i), "txid", fmt.Sprintf("t%d", i)))
		items = append(items, ev("message", fmt.Sprintf("m%d", i), "insert", fmt.Sprintf(`{"text":"hello %d","user":"u%d"}`, i, i%7)))
		if i%3 == 0 {
			items = append(items, ev("message", fmt.Sprintf("m%d", i-1), "delete", ""))
		}
		if i%5 == 0 {
			items = append(items, ev("message", fmt.Sprintf("m%d", i-2), "update", `{"edited":true}`))
			items = append(items, ev("other", "x", "insert", `{"a":1}`))
		}
	}
	post(t, s, items...)
}

func reasons(errs []error) []snapshot.Reason {
	var out []snapshot.Reason
	for _, err := range errs {
		var se *snapshot.Error
		if errors.As(err, &se) {
			out = append(out, se.Reason)
		}
	}
	return out
}

// A database with a snapshot restores it, reads only what came after its
// offset, and ends with exactly the state of a full replay, _seq
// included; recent txids are known at once.
func TestPersistResumesFromOffset(t *testing.T) {
	s := newJSONStream(t, nil)
	history(t, s, 0, 40)
	store := &memStore{}
	first, _ := persisted(t, s.URL(), store)
	require.NoError(t, first.Preload(ctxT(t)))
	info, err := first.Save(ctxT(t))
	require.NoError(t, err)
	require.Greater(t, info.Rows, int64(20))
	require.Equal(t, first.Offset(), info.Offset)
	first.Close()

	history(t, s, 40, 25)

	var phases []db.Progress
	var pmu sync.Mutex
	second, tr := persisted(t, s.URL(), store, func(o *db.Options) {
		o.OnProgress = func(p db.Progress) { pmu.Lock(); phases = append(phases, p); pmu.Unlock() }
	})
	hold := make(chan struct{})
	tr.mu.Lock()
	tr.hold = hold
	tr.mu.Unlock()
	go func() { _ = second.Preload(ctxT(t)) }()
	// Restored, not caught up: the snapshot's rows are readable.
	eventually(t, func() bool { return second.Collection("messages").Size() > 0 }, "restored rows visible")
	require.False(t, second.Ready())
	pmu.Lock()
	require.Equal(t, db.PhaseRestore, phases[0].Phase)
	require.Equal(t, info.Rows, phases[0].Restored)
	pmu.Unlock()
	require.NoError(t, second.AwaitTxID(ctxT(t), "t39", time.Second), "a txid of the snapshot")
	close(hold)
	require.NoError(t, second.Preload(ctxT(t)))
	require.Equal(t, info.Offset, tr.first(), "the catch-up starts at the snapshot's offset")
	require.Equal(t, fresh(t, s), dump(second.DB))
	require.Empty(t, second.errors())
}

// While a save runs in many slices, events keep being applied; the
// snapshot is still exact at its offset: restored and caught up, it
// equals a full replay.
func TestPersistSaveWhileLive(t *testing.T) {
	defer db.SetSaveChunk(300)()
	s := newJSONStream(t, nil)
	history(t, s, 0, 60)
	store := &memStore{slow: 2 * time.Millisecond}
	first, _ := persisted(t, s.URL(), store)
	require.NoError(t, first.Preload(ctxT(t)))
	// The automatic save after preload first, so that the one below is
	// the last (the next automatic one is an hour away).
	eventually(t, func() bool { return store.get() != nil }, "the save after preload")
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 60; i < 90; i++ {
			history(t, s, i, 1)
			time.Sleep(3 * time.Millisecond)
		}
	}()
	info, err := first.Save(ctxT(t))
	require.NoError(t, err)
	<-done
	require.Greater(t, info.Bytes, int64(300*10), "written in many pieces")
	first.Close()

	second, tr := persisted(t, s.URL(), store)
	require.NoError(t, second.Preload(ctxT(t)))
	require.Equal(t, info.Offset, tr.first())
	require.Equal(t, fresh(t, s), dump(second.DB))
}

// Each unusable snapshot is reported with its reason, removed, and the
// stream replayed from the start: the result equals a full replay.
func TestPersistInvalidation(t *testing.T) {
	s := newJSONStream(t, nil)
	history(t, s, 0, 20)
	good := &memStore{}
	saveOnce(t, s.URL(), good)
	snap := good.get()
	want := fresh(t, s)

	flipped := bytes.Clone(snap)
	flipped[len(flipped)/2] ^= 0x40
	versioned := bytes.Clone(snap)
	versioned[8] = snapshot.Version + 1
	cases := []struct {
		name   string
		data   []byte
		url    string
		schema []db.CollectionDef
		reason snapshot.Reason
	}{
		{name: "checksum", data: flipped, reason: snapshot.ReasonChecksum},
		{name: "truncated", data: snap[:len(snap)-40], reason: snapshot.ReasonTruncated},
		{name: "version", data: versioned, reason: snapshot.ReasonVersion},
		{name: "not a snapshot", data: []byte(`[{"type":"user"}]`), reason: snapshot.ReasonFormat},
		{name: "schema", data: snap, reason: snapshot.ReasonSchema, schema: []db.CollectionDef{
			{Name: "users", Type: "user", PrimaryKey: "id"}, {Name: "messages", Type: "message", PrimaryKey: "key"}}},
		{name: "stream", data: snap, reason: snapshot.ReasonStream, url: s.URL() + "-other"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			store := &memStore{data: bytes.Clone(tc.data)}
			u := s.URL()
			if tc.url != "" { // another stream with the same content
				other := newClient(t, nil).Stream(tc.url)
				_, err := other.Create(ctxT(t), stream.CreateOptions{ContentType: "application/json"})
				require.NoError(t, err)
				history(t, other, 0, 20)
				u = tc.url
			}
			d, tr := persisted(t, u, store, func(o *db.Options) {
				if tc.schema != nil {
					o.Collections = tc.schema
				}
			})
			require.NoError(t, d.Preload(ctxT(t)))
			require.Equal(t, []snapshot.Reason{tc.reason}, reasons(d.errors()))
			require.Equal(t, "-1", tr.first(), "replayed from the start")
			require.Equal(t, 1, store.removals, "the unusable snapshot is removed")
			if tc.schema == nil {
				require.Equal(t, want, dump(d.DB))
			}
		})
	}
}

// A snapshot of a stream that was then deleted and created again (with
// fewer events) is found out by the resumed read, its rows dropped, and
// the new stream read from the start.
func TestPersistStreamRecreated(t *testing.T) {
	s := newJSONStream(t, nil)
	history(t, s, 0, 30)
	store := &memStore{}
	_, firstOffset := saveOnce(t, s.URL(), store)

	require.NoError(t, s.Delete(ctxT(t), nil))
	_, err := s.Create(ctxT(t), stream.CreateOptions{ContentType: "application/json"})
	require.NoError(t, err)
	history(t, s, 100, 3)

	d, tr := persisted(t, s.URL(), store)
	require.NoError(t, d.Preload(ctxT(t)))
	require.Equal(t, []snapshot.Reason{snapshot.ReasonRecreated}, reasons(d.errors()))
	require.Equal(t, []string{firstOffset, "-1"}, tr.catchUps()[:2])
	require.Equal(t, fresh(t, s), dump(d.DB))
}

// A stream gone since the snapshot takes the restored rows with it.
func TestPersistStreamGone(t *testing.T) {
	s := newJSONStream(t, nil)
	history(t, s, 0, 10)
	store := &memStore{}
	saveOnce(t, s.URL(), store)
	require.NoError(t, s.Delete(ctxT(t), nil))

	d, _ := persisted(t, s.URL(), store)
	err := d.Preload(ctxT(t))
	require.Equal(t, stream.CodeNotFound, stream.CodeOf(err))
	require.Contains(t, reasons(d.errors()), snapshot.ReasonGone)
	require.Empty(t, dump(d.DB), "no stale rows")
	require.Nil(t, store.get())
}

// A saved offset the server refuses (400) means a replay.
func TestPersistOffsetRefused(t *testing.T) {
	s := newJSONStream(t, nil)
	history(t, s, 0, 10)
	var buf bytes.Buffer
	enc := snapshot.NewEncoder(&buf, snapshot.Header{Stream: s.URL(), Collections: []snapshot.Collection{
		{Name: "users", Type: "user", PrimaryKey: "id"}, {Name: "messages", Type: "message", PrimaryKey: "id"}}})
	enc.Put(0, "stale", `{"id":"stale","_seq":0}`)
	require.NoError(t, enc.Close(snapshot.Footer{Offset: "not-an-offset", Seq: 1}))
	store := &memStore{data: buf.Bytes()}
	d, tr := persisted(t, s.URL(), store)
	require.NoError(t, d.Preload(ctxT(t)))
	require.Equal(t, []snapshot.Reason{snapshot.ReasonOffset}, reasons(d.errors()))
	require.Equal(t, []string{"not-an-offset", "-1"}, tr.catchUps()[:2])
	require.Equal(t, fresh(t, s), dump(d.DB))
}

// A reset after the snapshot's offset is reported; the state rebuilds
// from the events after it, as without a snapshot.
func TestPersistResetAfterOffset(t *testing.T) {
	s := newJSONStream(t, nil)
	history(t, s, 0, 10)
	store := &memStore{}
	saveOnce(t, s.URL(), store)
	post(t, s, control("reset"))
	history(t, s, 50, 2)

	d, _ := persisted(t, s.URL(), store)
	require.NoError(t, d.Preload(ctxT(t)))
	require.Equal(t, []snapshot.Reason{snapshot.ReasonReset}, reasons(d.errors()))
	require.Equal(t, fresh(t, s), dump(d.DB))
}

// The database saves by itself after preload and after changes; a store
// held by another writer is skipped, not an error.
func TestPersistLoop(t *testing.T) {
	s := newJSONStream(t, nil)
	history(t, s, 0, 5)
	store := &memStore{}
	d, _ := persisted(t, s.URL(), store, func(o *db.Options) { o.PersistEvery = 10 * time.Millisecond })
	require.NoError(t, d.Preload(ctxT(t)))
	eventually(t, func() bool { return store.get() != nil }, "a snapshot after preload")
	before := d.Offset()
	history(t, s, 5, 1)
	eventually(t, func() bool { return d.Offset() != before }, "the change read")
	eventually(t, func() bool {
		sn, err := snapshot.Decode(store.get())
		return err == nil && sn.Offset == d.Offset()
	}, "a snapshot after a change")

	store.mu.Lock()
	store.busy = true
	store.mu.Unlock()
	info, err := d.Save(ctxT(t))
	require.NoError(t, err)
	require.True(t, info.Skipped)
	require.Empty(t, d.errors())
	d.Close()

	// Reopened with nothing new on the stream: restored, caught up, and
	// not written again (the stored snapshot is the state).
	store.mu.Lock()
	store.busy, store.commits = false, 0
	store.mu.Unlock()
	again, _ := persisted(t, s.URL(), store, func(o *db.Options) { o.PersistEvery = 10 * time.Millisecond })
	require.NoError(t, again.Preload(ctxT(t)))
	time.Sleep(100 * time.Millisecond)
	store.mu.Lock()
	require.Equal(t, 0, store.commits, "nothing changed since the restore")
	store.mu.Unlock()
	history(t, s, 6, 1)
	eventually(t, func() bool { store.mu.Lock(); defer store.mu.Unlock(); return store.commits == 1 }, "a save after a change")
}
