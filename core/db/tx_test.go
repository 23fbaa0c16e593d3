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
