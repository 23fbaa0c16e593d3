package db_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamdb/streamdb/core/db"
	"github.com/streamdb/streamdb/core/state"
	"github.com/streamdb/streamdb/core/stream"
)

const (
	kyle  = `{"id":"1","name":"Kyle","email":"kyle@example.com"}`
	alice = `{"id":"2","name":"Alice","email":"alice@example.com"}`
)

// urlRecorder records request URLs.
type urlRecorder struct {
	stream.Transport
	mu   sync.Mutex
	urls []string
}

func (u *urlRecorder) RoundTrip(ctx context.Context, r *stream.Request) (*stream.Response, error) {
	u.mu.Lock()
	u.urls = append(u.urls, r.URL)
	u.mu.Unlock()
	return u.Transport.RoundTrip(ctx, r)
}

func (u *urlRecorder) list() []string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]string(nil), u.urls...)
}

// Scenarios 1-2: fetch-then-live.
func TestFirstRequestIsNeverLive(t *testing.T) {
	for _, mode := range []db.LiveMode{db.LiveLongPoll, db.LiveOff} {
		rec := &urlRecorder{Transport: newTransport()}
		s := newJSONStream(t, newClient(t, rec))
		rec.mu.Lock()
		rec.urls = nil
		rec.mu.Unlock()
		o := preloaded(t, s, func(o *db.Options) { o.Live = mode })
		if mode == db.LiveLongPoll {
			eventually(t, func() bool { return len(rec.list()) >= 2 }, "a live request follows")
			assert.Contains(t, rec.list()[1], "live=long-poll")
		}
		assert.NotContains(t, rec.list()[0], "live=")
		o.Close()
	}
}

// Scenarios 3, 10: routing by type, the key written into the row, _seq.
func TestPreloadRoutesEventsByType(t *testing.T) {
	s := newJSONStream(t, nil)
	appendEach(t, s,
		ev("message", "m1", "insert", `{"text":"Hello!","userId":"1"}`),
		ev("user", "1", "insert", kyle),
		ev("user", "2", "insert", `{"name":"Alice","email":"alice@example.com"}`),
		ev("message", "m2", "insert", `{"text":"Bye","userId":"2"}`),
	)
	o := preloaded(t, s)
	users, msgs := o.Collection("users"), o.Collection("messages")
	assert.Equal(t, 2, users.Size())
	assert.Equal(t, 2, msgs.Size())
	assert.Equal(t, `"Kyle"`, field(t, users, "1", "name"))
	assert.Equal(t, `"2"`, field(t, users, "2", "id"), "the key is written into the primary-key field")
	assert.Equal(t, `"Hello!"`, field(t, msgs, "m1", "text"))
	assert.Equal(t, `"1"`, field(t, msgs, "m1", "userId"))
	row, _ := users.Get("1")
	assert.Contains(t, row.JSON(), `"_seq":`)
	assert.Empty(t, o.errors())
}

// Scenarios 4-9, 11, 12, 15: lifecycle of rows.
func TestRowLifecycle(t *testing.T) {
	s := newJSONStream(t, nil)
	assert.Equal(t, "-1", open(t, s).Offset(), "offset is -1 before preload")
	appendEach(t, s,
		ev("user", "1", "insert", kyle),
		ev("user", "1", "update", `{"email":"new@example.com"}`),
		ev("user", "2", "insert", alice),
		ev("user", "2", "delete", ""),
		ev("unknown_type", "x", "insert", `{"a":1}`),
		ev("user", "3", "insert", `{"name":"Charlie"}`),
		ev("user", "3", "update", `{"name":"Charlie Updated"}`),
		ev("user", "9", "delete", ""), // unknown key: nothing
		ev("user", "4", "insert", `{"name":"A"}`),
		ev("user", "4", "update", `{"name":"B"}`),
		ev("user", "4", "delete", ""),
		ev("user", "4", "insert", `{"name":"Reborn"}`),
	)
	o := preloaded(t, s)
	users := o.Collection("users")
	assert.NotEqual(t, "-1", o.Offset())
	assert.Equal(t, `"new@example.com"`, field(t, users, "1", "email"))
	assert.Equal(t, `"Kyle"`, field(t, users, "1", "name"), "update is a shallow merge")
	assert.False(t, users.Has("2"))
	assert.Equal(t, `"Charlie Updated"`, field(t, users, "3", "name"))
	assert.Equal(t, `"Reborn"`, field(t, users, "4", "name"))
	assert.Equal(t, 3, users.Size())

	// Scenario 9/15: live appends arrive after preload.
	appendEach(t, s, ev("user", "5", "insert", alice), ev("user", "6", "insert", kyle))
	eventually(t, func() bool { return users.Has("5") && users.Has("6") }, "live inserts")
	assert.Equal(t, 5, users.Size())
}

// Scenario 7: an empty stream.
func TestEmptyStream(t *testing.T) {
	o := preloaded(t, newJSONStream(t, nil))
	assert.Equal(t, 0, o.Collection("users").Size())
	assert.False(t, o.Collection("users").Has("1"))
	assert.True(t, o.Ready())
}

// Scenarios 37-41, 40 and the 3.8 table: upsert and duplicate inserts merge.
func TestUpsertAndDuplicateInsert(t *testing.T) {
	s := newJSONStream(t, nil)
	appendEach(t, s,
		ev("user", "1", "insert", `{"name":"One","extra":1}`),
		ev("user", "2", "upsert", `{"name":"Two"}`),
		ev("user", "1", "upsert", `{"name":"One b"}`),
		ev("user", "3", "insert", `{"name":"Three"}`),
		ev("user", "3", "insert", `{"name":"Three b"}`),
		ev("user", "5", "update", `{"name":"Five"}`),
		ev("user", "6", "insert", `{"id":"999","name":"Six"}`),
	)
	users := preloaded(t, s).Collection("users")
	assert.Equal(t, 5, users.Size())
	assert.Equal(t, `"One b"`, field(t, users, "1", "name"))
	assert.Equal(t, `1`, field(t, users, "1", "extra"), "upsert of an existing key merges")
	assert.Equal(t, `"Two"`, field(t, users, "2", "name"))
	assert.Equal(t, `"Three b"`, field(t, users, "3", "name"), "a second insert wins")
	assert.Equal(t, `"Five"`, field(t, users, "5", "name"), "an update of an unknown key inserts")
	assert.Equal(t, `"6"`, field(t, users, "6", "id"), "the event key overwrites the primary-key field")
}

func TestNumericKey(t *testing.T) {
	s := newJSONStream(t, nil)
	post(t, s, `{"type":"user","key":5,"value":{"name":"Five"},"headers":{"operation":"insert"}}`)
	users := preloaded(t, s).Collection("users")
	assert.Equal(t, `5`, field(t, users, "5", "id"), "a numeric key stays a number in the row; the collection key is its string")
}

// Scenario 13: the preload is one atomic batch.
func TestPreloadIsOneBatch(t *testing.T) {
	s := newJSONStream(t, nil)
	for i := range 10 {
		post(t, s, ev("user", fmt.Sprint(i), "insert", `{"name":"u"}`))
	}
	o := open(t, s)
	rec := record(o.Collection("users"))
	require.NoError(t, o.Preload(ctxT(t)))
	assert.Equal(t, 1, rec.count(), "one change batch for the whole preload")
	assert.Len(t, rec.all(), 10)
}

// Scenario 14: the change feed.
func TestChangeFeed(t *testing.T) {
	s := newJSONStream(t, nil)
	appendEach(t, s, ev("user", "1", "insert", kyle), ev("user", "2", "insert", alice))
	o := open(t, s)
	rec := record(o.Collection("users"))
	require.NoError(t, o.Preload(ctxT(t)))
	assert.Equal(t, []string{"insert 1", "insert 2"}, brief(rec.all()))

	post(t, s, ev("user", "1", "update", `{"name":"Kyle Updated"}`))
	eventually(t, func() bool { return len(rec.all()) == 3 }, "update change")
	up := rec.all()[2]
	assert.Equal(t, db.Update, up.Type)
	assert.Equal(t, `"Kyle Updated"`, string(up.Value.Get("name").JSON()))
	assert.Equal(t, `"Kyle"`, string(up.Previous.Get("name").JSON()))

	post(t, s, ev("user", "2", "delete", ""))
	eventually(t, func() bool { return len(rec.all()) == 4 }, "delete change")
	del := rec.all()[3]
	assert.Equal(t, db.Delete, del.Type)
	assert.Equal(t, `"Alice"`, del.Value.Get("name").JSON(), "a delete carries the old row")
}

// Scenarios 16-18 and the malformed-input rules of the issue.
func TestMalformedInputIsReportedAndSkipped(t *testing.T) {
	s := newJSONStream(t, nil)
	post(t, s,
		ev("user", "1", "insert", kyle),
		`{"type":"user","key":"x","value":{"a":1}}`,                                   // no headers
		`{"type":"user","key":"y","value":"dark","headers":{"operation":"insert"}}`,   // non-object value
		`{"type":"user","key":"z","value":null,"headers":{"operation":"update"}}`,     // null value
		`{"type":"user","key":"w","value":{"a":1},"headers":{"operation":"explode"}}`, // unknown operation
		`"just a string"`,
		`{"headers":{"control":"rewind"}}`,
		`{"type":"user","value":{"a":1},"headers":{"operation":"insert"}}`, // no key
		ev("user", "2", "insert", alice),
	)
	o := preloaded(t, s)
	users := o.Collection("users")
	assert.Equal(t, 2, users.Size(), "valid events around the bad ones are all applied")
	errs := o.errors()
	require.Len(t, errs, 7)
	for _, err := range errs {
		assert.ErrorIs(t, err, state.ErrInvalidEvent)
		var se *state.Error
		require.ErrorAs(t, err, &se)
		assert.Equal(t, o.Offset(), se.Offset)
	}
	var se *state.Error
	require.ErrorAs(t, errs[1], &se)
	assert.Equal(t, "user", se.Type)
	assert.Equal(t, "y", se.Key)
	assert.Contains(t, se.Error(), "object value")

	// The consumer goes on.
	post(t, s, ev("user", "3", "insert", `{"name":"Later"}`))
	eventually(t, func() bool { return users.Has("3") }, "live event after bad ones")
}

func TestOpenRejectsBadSchemas(t *testing.T) {
	s := newJSONStream(t, nil)
	_, err := db.Open(s, db.Options{Collections: []db.CollectionDef{{Name: "a", Type: "person", PrimaryKey: "id"}, {Name: "b", Type: "person", PrimaryKey: "id"}}})
	assert.ErrorContains(t, err, "Duplicate event type")
	for _, name := range []string{"preload", "close", "collections", "utils", "actions"} {
		_, err := db.Open(s, db.Options{Collections: []db.CollectionDef{{Name: name, Type: "t", PrimaryKey: "id"}}})
		assert.ErrorContains(t, err, "Reserved collection name", name)
	}
}

func TestPreloadOfMissingStreamFails(t *testing.T) {
	c := newClient(t, nil)
	s := c.Stream(newJSONStream(t, c).URL() + "-missing")
	d, err := db.Open(s, db.Options{Collections: schema})
	require.NoError(t, err)
	defer d.Close()
	err = d.Preload(ctxT(t))
	require.ErrorIs(t, err, stream.ErrNotFound)
}

// Reset at every position: first event, mid-batch, at the end of the
// preload, and live after ready.
func TestReset(t *testing.T) {
	t.Run("first event", func(t *testing.T) {
		s := newJSONStream(t, nil)
		appendEach(t, s, control("reset"), ev("user", "1", "insert", kyle))
		users := preloaded(t, s).Collection("users")
		assert.Equal(t, 1, users.Size())
	})
	t.Run("mid batch", func(t *testing.T) {
		s := newJSONStream(t, nil)
		post(t, s, ev("user", "1", "insert", kyle), ev("message", "m", "insert", `{"t":1}`), control("reset"), ev("user", "2", "insert", alice))
		o := preloaded(t, s)
		assert.False(t, o.Collection("users").Has("1"), "rows before the reset are gone")
		assert.True(t, o.Collection("users").Has("2"), "rows after the reset are there")
		assert.Equal(t, 0, o.Collection("messages").Size(), "every collection is reset")
	})
	t.Run("live after ready", func(t *testing.T) {
		s := newJSONStream(t, nil)
		appendEach(t, s, ev("user", "1", "insert", kyle), ev("user", "2", "insert", alice))
		o := preloaded(t, s)
		rec := record(o.Collection("users"))
		post(t, s, control("reset"), ev("user", "2", "insert", `{"name":"Alice again"}`), ev("user", "3", "insert", `{"name":"New"}`))
		users := o.Collection("users")
		eventually(t, func() bool { return users.Has("3") }, "rebuilt")
		assert.False(t, users.Has("1"))
		assert.Equal(t, `"Alice again"`, field(t, users, "2", "name"))
		assert.Equal(t, 1, rec.count(), "the reset and the rebuild are one batch")
		assert.ElementsMatch(t, []string{"delete 1", "update 2", "insert 3"}, brief(rec.all()))
	})
	t.Run("last event", func(t *testing.T) {
		s := newJSONStream(t, nil)
		appendEach(t, s, ev("user", "1", "insert", kyle), control("reset"))
		o := preloaded(t, s)
		assert.Equal(t, 0, o.Collection("users").Size())
		post(t, s, ev("user", "4", "insert", kyle))
		eventually(t, func() bool { return o.Collection("users").Has("4") }, "goes on after")
	})
}

// Events between snapshot-start and snapshot-end become visible together,
// even when the snapshot spans batches.
func TestSnapshot(t *testing.T) {
	s := newJSONStream(t, nil)
	appendEach(t, s, ev("user", "0", "insert", kyle))
	o := preloaded(t, s)
	users := o.Collection("users")
	rec := record(users)
	post(t, s, control("snapshot-start"), ev("user", "1", "insert", kyle))
	time.Sleep(300 * time.Millisecond) // a live batch without the end arrives
	assert.False(t, users.Has("1"), "nothing of an open snapshot is visible")
	post(t, s, ev("user", "2", "insert", alice), control("snapshot-end"))
	eventually(t, func() bool { return users.Has("1") && users.Has("2") }, "snapshot visible")
	assert.Equal(t, 1, rec.count(), "the snapshot arrives as one batch")
}

// A snapshot and the changes after it in one response: the changes win,
// as when the same events arrive one per response; a reset after a
// snapshot empties it, and one inside it keeps the rows after it.
func TestSnapshotThenChangesInOneResponse(t *testing.T) {
	for _, tc := range []struct {
		name   string
		events []string
		want   map[string]string // key → v, every row
	}{
		{"changes after the end", []string{control("snapshot-start"), ev("user", "a", "insert", `{"v":"old"}`), ev("user", "b", "insert", `{"v":"b"}`),
			control("snapshot-end"), ev("user", "a", "update", `{"v":"new"}`), ev("user", "b", "delete", "")}, map[string]string{"a": `"new"`}},
		{"reset inside", []string{control("snapshot-start"), ev("user", "a", "insert", `{"v":"a"}`), control("reset"),
			ev("user", "b", "insert", `{"v":"b"}`), control("snapshot-end")}, map[string]string{"b": `"b"`}},
		{"reset after", []string{control("snapshot-start"), ev("user", "a", "insert", `{"v":"a"}`), control("snapshot-end"),
			control("reset"), ev("user", "c", "insert", `{"v":"c"}`)}, map[string]string{"c": `"c"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			check := func(users *db.Collection) {
				t.Helper()
				got := map[string]string{}
				for _, r := range users.Rows() {
					k, _ := r.Get("id").Str()
					got[k] = r.Get("v").JSON()
				}
				assert.Equal(t, tc.want, got)
			}
			s := newJSONStream(t, nil)
			post(t, s, tc.events...) // one response at preload
			check(preloaded(t, s).Collection("users"))

			s = newJSONStream(t, nil)
			o := preloaded(t, s)
			post(t, s, tc.events...) // one live response
			users := o.Collection("users")
			eventually(t, func() bool { return o.Offset() != "" && users.Has(firstKey(tc.want)) }, "live batch applied")
			check(users)
		})
	}
}

func firstKey(m map[string]string) string {
	for k := range m {
		return k
	}
	return ""
}

// Txids: scenarios 47-51, timeouts, close, memory bound.
func TestAwaitTxID(t *testing.T) {
	s := newJSONStream(t, nil)
	post(t, s, ev("user", "0", "insert", kyle, "txid", "before"))
	o := preloaded(t, s)
	ctx := ctxT(t)
	require.NoError(t, o.AwaitTxID(ctx, "before", 0), "a txid appended before preload")
	require.NoError(t, o.AwaitTxID(ctx, "before", 0), "and again, at once")

	var wg sync.WaitGroup
	var visible atomic.Int32
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if o.AwaitTxID(ctx, "t1", 5*time.Second) == nil && o.Collection("users").Has("1") {
				visible.Add(1)
			}
		}()
	}
	time.Sleep(50 * time.Millisecond)
	post(t, s, ev("user", "1", "insert", kyle, "txid", "t1"))
	wg.Wait()
	assert.Equal(t, int32(3), visible.Load(), "every waiter resolves, and the row is visible then")

	post(t, s, ev("nobody_reads_this_type", "k", "insert", `{}`, "txid", "t-unknown"))
	require.NoError(t, o.AwaitTxID(ctx, "t-unknown", 5*time.Second), "txids of unknown types count")

	err := o.AwaitTxID(ctx, "never", 100*time.Millisecond)
	require.ErrorIs(t, err, db.ErrTxIDTimeout)
	assert.Contains(t, strings.ToLower(err.Error()), "timeout")

	done := make(chan error, 1)
	go func() { done <- o.AwaitTxID(ctx, "never-either", 10*time.Second) }()
	time.Sleep(50 * time.Millisecond)
	o.Close()
	assert.ErrorIs(t, <-done, db.ErrClosed)
	assert.ErrorIs(t, o.AwaitTxID(ctx, "after-close", time.Second), db.ErrClosed)
	assert.ErrorIs(t, o.Preload(ctx), db.ErrClosed)
}

func TestSeenTxIDsAreBounded(t *testing.T) {
	s := newJSONStream(t, nil)
	var items []string
	for i := range 10 {
		items = append(items, ev("user", fmt.Sprint(i), "insert", kyle, "txid", fmt.Sprint("t", i)))
	}
	post(t, s, items...)
	o := preloaded(t, s, func(o *db.Options) { o.MaxTxIDs = 4 })
	ctx := ctxT(t)
	require.NoError(t, o.AwaitTxID(ctx, "t9", time.Second))
	require.NoError(t, o.AwaitTxID(ctx, "t6", time.Second))
	assert.ErrorIs(t, o.AwaitTxID(ctx, "t0", 50*time.Millisecond), db.ErrTxIDTimeout, "the oldest are forgotten")
}

func TestCloseKeepsRows(t *testing.T) {
	s := newJSONStream(t, nil)
	post(t, s, ev("user", "1", "insert", kyle))
	o := preloaded(t, s)
	o.Close()
	assert.True(t, o.Collection("users").Has("1"))
	post(t, s, ev("user", "2", "insert", kyle))
	time.Sleep(100 * time.Millisecond)
	assert.False(t, o.Collection("users").Has("2"), "no reading after close")
}

func TestStreamDeletedWhileLive(t *testing.T) {
	s := newJSONStream(t, nil)
	post(t, s, ev("user", "1", "insert", kyle))
	o := preloaded(t, s)
	wait := make(chan error, 1)
	go func() { wait <- o.AwaitTxID(context.Background(), "never", 20*time.Second) }()
	time.Sleep(50 * time.Millisecond)
	require.NoError(t, s.Delete(ctxT(t), nil))
	select {
	case err := <-wait:
		assert.ErrorIs(t, err, stream.ErrNotFound)
	case <-time.After(10 * time.Second):
		t.Fatal("waiter not rejected")
	}
	assert.True(t, o.Collection("users").Has("1"), "rows are kept")
	assert.True(t, errors.Is(o.Err(), stream.ErrNotFound))
}

func TestProgress(t *testing.T) {
	s := newJSONStream(t, nil)
	post(t, s, ev("user", "1", "insert", kyle), ev("user", "2", "insert", alice))
	var last db.Progress
	var mu sync.Mutex
	preloaded(t, s, func(o *db.Options) {
		o.OnProgress = func(p db.Progress) { mu.Lock(); last = p; mu.Unlock() }
	})
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, int64(2), last.Events)
	assert.Greater(t, last.Bytes, int64(100))
	assert.True(t, last.Ready)
	assert.NotEqual(t, "-1", last.Offset)
}

// Malformed JSON items can only come from a server that does not check
// what it stores, so this one is scripted: one bad item costs only itself.
func TestMalformedJSONItems(t *testing.T) {
	body := `[` + ev("user", "1", "insert", kyle) + `,{bad json},` +
		`{"type":"user","key":"2","value":{"a":tru},"headers":{"operation":"insert"}},` +
		ev("user", "3", "insert", alice) + `]`
	c, err := stream.NewClient(servedBody{[]byte(body)}, stream.Options{})
	require.NoError(t, err)
	o := preloaded(t, c.Stream("http://scripted/s"), func(o *db.Options) { o.Live = db.LiveOff })
	users := o.Collection("users")
	assert.True(t, users.Has("1"))
	assert.True(t, users.Has("3"))
	assert.False(t, users.Has("2"))
	errs := o.errors()
	require.Len(t, errs, 2)
	var se *state.Error
	require.ErrorAs(t, errs[0], &se)
	assert.Equal(t, 1, se.Index)
	require.ErrorAs(t, errs[1], &se)
	assert.Equal(t, 2, se.Index)
	assert.Equal(t, "2", se.Key)
	assert.Equal(t, "bad value", se.Reason)
}

func TestCloseFromASubscriber(t *testing.T) {
	s := newJSONStream(t, nil)
	o := preloaded(t, s)
	closed := make(chan struct{})
	o.Collection("users").Subscribe(func([]db.Change) {
		o.Close()
		close(closed)
	}, false)
	post(t, s, ev("user", "1", "insert", kyle))
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close from inside a subscriber did not return")
	}
	post(t, s, ev("user", "2", "insert", kyle))
	time.Sleep(100 * time.Millisecond)
	assert.False(t, o.Collection("users").Has("2"))
}

// An event nested deeper than the parser goes (which the reference server
// accepts) is one bad item: it is reported and skipped, and the events
// before and after it in the same response, and later ones, are applied.
// It used to make the whole response unreadable, refetched forever.
func TestDeepEventIsOneBadItem(t *testing.T) {
	s := newJSONStream(t, nil)
	deep := strings.Repeat("[", 1001) + strings.Repeat("]", 1001)
	post(t, s, ev("user", "1", "insert", kyle), ev("user", "2", "insert", `{"id":"2","deep":`+deep+`}`), ev("user", "3", "insert", alice))
	o := preloaded(t, s)
	users := o.Collection("users")
	assert.True(t, users.Has("1"))
	assert.True(t, users.Has("3"))
	assert.False(t, users.Has("2"))
	errs := o.errors()
	require.Len(t, errs, 1)
	var se *state.Error
	require.ErrorAs(t, errs[0], &se)
	assert.Equal(t, 1, se.Index)

	post(t, s, ev("user", "4", "insert", kyle))
	require.Eventually(t, func() bool { return users.Has("4") }, 10*time.Second, 20*time.Millisecond, "the stream goes on")
}
