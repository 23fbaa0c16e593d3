package db_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamdb/streamdb/core/db"
	"github.com/streamdb/streamdb/core/stream"
	"github.com/streamdb/streamdb/core/value"
)

func appendFn(t *testing.T, s *stream.Stream, items ...string) func(context.Context) error {
	return func(ctx context.Context) error {
		appendEach(t, s, items...)
		return nil
	}
}

// An optimistic insert is visible at once, stays through persisting, and
// gives way to the synced row when its txid comes back: one clean update,
// never the old state again.
func TestOptimisticInsertConfirmedByTxID(t *testing.T) {
	s := newJSONStream(t, nil)
	o := preloaded(t, s)
	users := o.Collection("users")
	rec := record(users)

	tx := o.Begin(db.TxOptions{TxID: "tx-kyle"})
	require.NoError(t, tx.Insert("users", value.MustParse(`{"id":"1","name":"Kyle (optimistic)"}`)))
	assert.Equal(t, `"Kyle (optimistic)"`, field(t, users, "1", "name"), "visible at once")
	assert.Equal(t, []string{"insert 1"}, brief(rec.all()))

	err := tx.Commit(ctxT(t), func(ctx context.Context) error {
		post(t, s, ev("user", "1", "insert", `{"name":"Kyle"}`, "txid", "tx-kyle"))
		return o.AwaitTxID(ctx, "tx-kyle", 5*time.Second)
	})
	require.NoError(t, err)
	assert.Equal(t, db.TxCompleted, tx.State())
	eventually(t, func() bool { return field(t, users, "1", "name") == `"Kyle"` }, "synced row wins")
	assert.Equal(t, []string{"insert 1", "update 1"}, brief(rec.all()), "no flicker back to nothing")
	row, _ := users.Get("1")
	assert.Contains(t, row.JSON(), `"_seq"`, "the synced row")
}

// A failed persist rolls the optimistic change back and the feed shows it.
func TestRollbackOnFailure(t *testing.T) {
	s := newJSONStream(t, nil)
	post(t, s, ev("user", "1", "insert", kyle))
	o := preloaded(t, s)
	users := o.Collection("users")
	rec := record(users)

	tx := o.Begin(db.TxOptions{})
	require.NoError(t, tx.Insert("users", value.MustParse(`{"id":"2","name":"Ghost"}`)))
	require.NoError(t, tx.Update("users", "1", value.MustParse(`{"name":"Kyle?"}`)))
	require.NoError(t, tx.Delete("users", "1"))
	assert.False(t, users.Has("1"))
	assert.True(t, users.Has("2"))
	assert.Equal(t, 1, users.Size())

	boom := errors.New("server said no")
	err := tx.Commit(ctxT(t), func(context.Context) error { return boom })
	require.ErrorIs(t, err, boom)
	assert.Equal(t, db.TxFailed, tx.State())
	assert.ErrorIs(t, tx.Err(), boom)
	assert.Equal(t, `"Kyle"`, field(t, users, "1", "name"), "rolled back")
	assert.False(t, users.Has("2"))
	assert.Equal(t, 1, users.Size())
	assert.Equal(t, []string{"insert 2", "update 1", "delete 1", "insert 1", "delete 2"}, brief(rec.all()))
	muts := tx.Mutations()
	require.Len(t, muts, 2, "update then delete merge into one delete")
	assert.Equal(t, db.Delete, muts[1].Type)
}

func TestMutationRules(t *testing.T) {
	s := newJSONStream(t, nil)
	post(t, s, ev("user", "1", "insert", kyle))
	o := preloaded(t, s)
	users := o.Collection("users")

	tx := o.Begin(db.TxOptions{})
	assert.ErrorIs(t, tx.Insert("users", value.MustParse(`{"id":"1"}`)), db.ErrDuplicateKey)
	assert.ErrorIs(t, tx.Insert("users", value.MustParse(`{"name":"no id"}`)), db.ErrNoKey)
	assert.ErrorIs(t, tx.Insert("users", value.MustParse(`[1]`)), db.ErrNotObject)
	assert.ErrorIs(t, tx.Update("users", "9", value.MustParse(`{"a":1}`)), db.ErrKeyNotFound)
	assert.ErrorIs(t, tx.Delete("users", "9"), db.ErrKeyNotFound)
	assert.ErrorIs(t, tx.Insert("nope", value.MustParse(`{"id":"1"}`)), db.ErrUnknownCollection)

	require.NoError(t, tx.Insert("users", value.MustParse(`{"id":"3","name":"A"}`)))
	require.NoError(t, tx.Update("users", "3", value.MustParse(`{"name":"B"}`)))
	muts := tx.Mutations()
	require.Len(t, muts, 1)
	assert.Equal(t, db.Insert, muts[0].Type, "insert then update stays an insert")
	assert.Equal(t, `"B"`, muts[0].Modified.Get("name").JSON())
	require.NoError(t, tx.Delete("users", "3"))
	assert.Empty(t, tx.Mutations(), "insert then delete leaves nothing")
	assert.False(t, users.Has("3"))

	require.NoError(t, tx.Update("users", "1", value.MustParse(`{"name":"Kyle"}`)))
	assert.Empty(t, tx.Mutations(), "an update that changes nothing records nothing")
	require.NoError(t, tx.Rollback(nil))
	assert.ErrorIs(t, tx.Insert("users", value.MustParse(`{"id":"4"}`)), db.ErrTxNotPending)
}

// Concurrent transactions on one key: the later one's value shows; a
// rollback of the earlier one cascades to pending ones on the same key.
func TestConcurrentTransactionsOnOneKey(t *testing.T) {
	s := newJSONStream(t, nil)
	post(t, s, ev("user", "1", "insert", kyle), ev("user", "2", "insert", alice))
	o := preloaded(t, s)
	users := o.Collection("users")

	a := o.Begin(db.TxOptions{})
	b := o.Begin(db.TxOptions{})
	c := o.Begin(db.TxOptions{})
	require.NoError(t, a.Update("users", "1", value.MustParse(`{"name":"A"}`)))
	require.NoError(t, b.Update("users", "1", value.MustParse(`{"name":"B"}`)))
	require.NoError(t, c.Update("users", "2", value.MustParse(`{"name":"C"}`)))
	assert.Equal(t, `"B"`, field(t, users, "1", "name"), "the later transaction wins")

	require.NoError(t, a.Rollback(errors.New("user cancelled")))
	assert.Equal(t, db.TxFailed, b.State(), "a pending transaction on the same key is rolled back too")
	assert.ErrorContains(t, b.Err(), "user cancelled")
	assert.Equal(t, db.TxPending, c.State(), "other keys are not touched")
	assert.Equal(t, `"Kyle"`, field(t, users, "1", "name"))
	assert.Equal(t, `"C"`, field(t, users, "2", "name"))
	require.NoError(t, c.Commit(ctxT(t), nil))
	assert.Equal(t, `"Alice"`, field(t, users, "2", "name"), "without a txid the rows drop on completion")
}

// Synced changes under an optimistic row stay hidden until the
// transaction's rows drop.
func TestSyncUnderOptimisticRow(t *testing.T) {
	s := newJSONStream(t, nil)
	post(t, s, ev("user", "1", "insert", kyle))
	o := preloaded(t, s)
	users := o.Collection("users")
	tx := o.Begin(db.TxOptions{TxID: "tx-9"})
	require.NoError(t, tx.Update("users", "1", value.MustParse(`{"name":"Mine"}`)))
	post(t, s, ev("user", "1", "update", `{"name":"Theirs"}`), ev("user", "5", "insert", alice))
	eventually(t, func() bool { return users.Has("5") }, "other keys sync at once")
	assert.Equal(t, `"Mine"`, field(t, users, "1", "name"))
	require.NoError(t, tx.Commit(ctxT(t), appendFn(t, s, ev("user", "1", "update", `{"name":"Mine"}`, "txid", "tx-9"))))
	eventually(t, func() bool { return field(t, users, "1", "name") == `"Mine"` && tx.State() == db.TxCompleted }, "confirmed")
	require.NoError(t, o.AwaitTxID(ctxT(t), "tx-9", time.Second))
	row, _ := users.Synced("1")
	assert.Equal(t, `"Mine"`, row.Get("name").JSON())
}

func TestConfirmTimeoutDropsRows(t *testing.T) {
	s := newJSONStream(t, nil)
	o := preloaded(t, s)
	users := o.Collection("users")
	tx := o.Begin(db.TxOptions{TxID: "never-comes", ConfirmTimeout: time.Second})
	require.NoError(t, tx.Insert("users", value.MustParse(`{"id":"7"}`)))
	require.NoError(t, tx.Commit(ctxT(t), nil))
	assert.True(t, users.Has("7"), "kept while waiting for the txid")
	eventually(t, func() bool { return !users.Has("7") }, "dropped after the timeout")
	eventually(t, func() bool { return len(o.errors()) == 1 }, "and reported")
}

func TestPersistPanicRollsBack(t *testing.T) {
	o := preloaded(t, newJSONStream(t, nil))
	tx := o.Begin(db.TxOptions{})
	require.NoError(t, tx.Insert("users", value.MustParse(`{"id":"1"}`)))
	err := tx.Commit(ctxT(t), func(context.Context) error { panic("bug in persist") })
	require.ErrorContains(t, err, "bug in persist")
	assert.False(t, o.Collection("users").Has("1"))
}

// commitUntilCancelled commits tx in a goroutine with a persist function
// that returns only when its context ends, and returns once persist runs.
// wait returns what Commit returned, failing the test when that takes more
// than 5 s.
func commitUntilCancelled(t *testing.T, tx *db.Tx) (wait func() error) {
	started := make(chan struct{})
	res := make(chan error, 1)
	go func() {
		res <- tx.Commit(context.Background(), func(ctx context.Context) error {
			close(started)
			<-ctx.Done()
			return nil // what persist says no longer matters
		})
	}()
	<-started
	return func() error {
		select {
		case err := <-res:
			return err
		case <-time.After(5 * time.Second):
			t.Fatal("Commit still waits: persist's context did not end")
			return nil
		}
	}
}

// Close fails every transaction that has not persisted (pending or
// persisting) with ErrClosed, ends the context of a persist function that
// never returns by itself, and drops every optimistic row, including those
// of a completed transaction still waiting for its txid.
func TestCloseFailsUnpersistedTransactions(t *testing.T) {
	for _, tc := range []struct {
		name string
		// start leaves tx in the state under test; wait, when not nil,
		// returns what its Commit returned.
		start     func(t *testing.T, tx *db.Tx) (wait func() error)
		wantState db.TxState
	}{
		{"pending", func(*testing.T, *db.Tx) func() error { return nil }, db.TxFailed},
		{"persisting, persist never returns by itself", commitUntilCancelled, db.TxFailed},
		{"completed, waiting for its txid", func(t *testing.T, tx *db.Tx) func() error {
			require.NoError(t, tx.Commit(ctxT(t), nil))
			return nil
		}, db.TxCompleted},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := preloaded(t, newJSONStream(t, nil))
			users := o.Collection("users")
			tx := o.Begin(db.TxOptions{TxID: "never-comes"})
			require.NoError(t, tx.Insert("users", value.MustParse(`{"id":"1"}`)))
			wait := tc.start(t, tx)
			require.True(t, users.Has("1"))

			o.Close()
			if wait != nil {
				err := wait()
				require.ErrorIs(t, err, db.ErrClosed)
			}
			assert.Equal(t, tc.wantState, tx.State())
			if tc.wantState == db.TxFailed {
				assert.ErrorIs(t, tx.Err(), db.ErrClosed)
			}
			select {
			case <-tx.Done():
			default:
				t.Fatal("Done is still open after Close")
			}
			assert.False(t, users.Has("1"), "the optimistic row is dropped")
			assert.Equal(t, 0, users.Size())
			assert.ErrorIs(t, tx.Insert("users", value.MustParse(`{"id":"2"}`)), db.ErrClosed)
		})
	}
}

// A rollback while persist runs ends persist's context, so that a persist
// function waiting for something that will never matter can stop.
func TestRollbackEndsPersistContext(t *testing.T) {
	o := preloaded(t, newJSONStream(t, nil))
	tx := o.Begin(db.TxOptions{})
	require.NoError(t, tx.Insert("users", value.MustParse(`{"id":"1"}`)))
	wait := commitUntilCancelled(t, tx)
	require.NoError(t, tx.Rollback(errors.New("user cancelled")))
	require.ErrorContains(t, wait(), "user cancelled")
	assert.Equal(t, db.TxFailed, tx.State())
	assert.False(t, o.Collection("users").Has("1"))
}

// A negative timeout sets no timer: the wait ends with its context (the
// bridge's caller keeps the timer, in JS, and cancels through ctx), or when
// the txid comes.
func TestAwaitTxIDWithoutTimer(t *testing.T) {
	s := newJSONStream(t, nil)
	o := preloaded(t, s)
	ctx, cancel := context.WithTimeout(ctxT(t), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := o.AwaitTxID(ctx, "never", -1)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 3*time.Second, "not the default timeout")

	done := make(chan error, 1)
	go func() { done <- o.AwaitTxID(ctxT(t), "later", -1) }()
	post(t, s, ev("user", "1", "insert", kyle, "txid", "later"))
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("the txid did not end the wait")
	}
}
