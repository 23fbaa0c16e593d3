package db_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamdb/streamdb/core/db"
	"github.com/streamdb/streamdb/core/ir"
	"github.com/streamdb/streamdb/core/value"
)

func syncOp(typ db.SyncType, key, v string) db.SyncOp {
	op := db.SyncOp{Type: typ, Key: key}
	if v != "" {
		op.Value = value.MustParse(v)
	}
	return op
}

func localRows(c *db.Collection) []string {
	var out []string
	c.Range(func(k string, v value.Value) bool {
		out = append(out, k+"="+v.JSON())
		return true
	})
	return out
}

// A local collection takes sync transactions: each applies whole, as one
// change batch, or not at all.
func TestLocalSync(t *testing.T) {
	d := db.OpenLocal(db.Options{})
	t.Cleanup(d.Close)
	require.NoError(t, d.Preload(ctxT(t)), "a local database is ready at once")
	require.NoError(t, d.AddLocal("todos"))
	require.Error(t, d.AddLocal("todos"), "names are unique")
	c := d.Collection("todos")
	rec := record(c)

	require.NoError(t, d.Sync("todos", false, []db.SyncOp{
		syncOp(db.SyncInsert, "1", `{"id":1,"t":"a"}`),
		syncOp(db.SyncInsert, "2", `{"id":2,"t":"b","done":false}`),
	}))
	assert.Equal(t, []string{`1={"id":1,"t":"a"}`, `2={"id":2,"t":"b","done":false}`}, localRows(c))

	err := d.Sync("todos", false, []db.SyncOp{
		syncOp(db.SyncDelete, "1", ""),
		syncOp(db.SyncInsert, "2", `{"id":2,"t":"other"}`),
	})
	require.ErrorIs(t, err, db.ErrDuplicateSyncKey)
	assert.Len(t, localRows(c), 2, "a refused transaction applies nothing, not even its delete")
	require.ErrorIs(t, d.Sync("todos", false, []db.SyncOp{syncOp(db.SyncReplace, "3", `[1]`)}), db.ErrNotObject)

	require.NoError(t, d.Sync("todos", false, []db.SyncOp{
		syncOp(db.SyncInsert, "2", `{"id":2,"t":"b","done":false}`), // equal: taken as an update
		syncOp(db.SyncUpdate, "2", `{"done":true}`),
		syncOp(db.SyncDelete, "1", ""),
		syncOp(db.SyncInsert, "1", `{"id":1,"t":"again"}`),
		syncOp(db.SyncReplace, "4", `{"id":4}`),
	}))
	assert.Equal(t, []string{`1={"id":1,"t":"again"}`, `2={"id":2,"t":"b","done":true}`, `4={"id":4}`}, localRows(c))

	require.NoError(t, d.Sync("todos", true, []db.SyncOp{syncOp(db.SyncInsert, "4", `{"id":4,"t":"new"}`)}))
	assert.Equal(t, []string{`4={"id":4,"t":"new"}`}, localRows(c), "a truncate drops the rows before the transaction's own")
	assert.Equal(t, 3, rec.count(), "one change batch per applied transaction")

	require.ErrorIs(t, d.Sync("nope", false, nil), db.ErrUnknownCollection)
	d.Close()
	require.ErrorIs(t, d.Sync("todos", false, nil), db.ErrClosed)
}

// The stream's collections are not local: Sync refuses them.
func TestSyncRefusesStreamCollections(t *testing.T) {
	o := preloaded(t, newJSONStream(t, nil))
	require.ErrorIs(t, o.Sync("users", false, nil), db.ErrNotLocal)
}

// A live query over a local collection, after every random sync
// transaction and optimistic write, equals the same query opened afresh.
func TestLocalLiveQueryMatchesRecomputation(t *testing.T) {
	d := db.OpenLocal(db.Options{})
	t.Cleanup(d.Close)
	require.NoError(t, d.AddLocal("items"))
	q, err := ir.Parse([]byte(`{"from":{"alias":"i","collection":"items"},
		"where":[{"type":"func","name":"gt","args":[{"type":"ref","path":["i","n"]},{"type":"val","value":3}]}],
		"orderBy":[{"expr":{"type":"ref","path":["i","n"]},"direction":"desc"},{"expr":{"type":"ref","path":["i","id"]}}],
		"limit":5}`))
	require.NoError(t, err)
	live, err := d.Query(q)
	require.NoError(t, err)
	t.Cleanup(live.Close)
	rng := rand.New(rand.NewPCG(1, 2))
	for step := range 300 {
		if rng.IntN(5) == 0 {
			tx := d.Begin(db.TxOptions{})
			k := fmt.Sprint(rng.IntN(20))
			if _, ok := d.Collection("items").Get(k); ok {
				require.NoError(t, tx.Update("items", k, value.MustParse(fmt.Sprintf(`{"n":%d}`, rng.IntN(10)))))
			} else {
				require.NoError(t, tx.InsertKey("items", k, value.MustParse(fmt.Sprintf(`{"id":%q,"n":%d}`, k, rng.IntN(10)))))
			}
			if rng.IntN(2) == 0 {
				require.NoError(t, tx.Rollback(nil))
			} else {
				require.NoError(t, tx.Commit(ctxT(t), nil))
			}
		} else {
			var ops []db.SyncOp
			for range 1 + rng.IntN(4) {
				k := fmt.Sprint(rng.IntN(20))
				switch rng.IntN(3) {
				case 0:
					ops = append(ops, syncOp(db.SyncDelete, k, ""))
				case 1:
					ops = append(ops, syncOp(db.SyncUpdate, k, fmt.Sprintf(`{"id":%q,"n":%d}`, k, rng.IntN(10))))
				default:
					ops = append(ops, syncOp(db.SyncReplace, k, fmt.Sprintf(`{"id":%q,"n":%d,"x":%d}`, k, rng.IntN(10), step)))
				}
			}
			require.NoError(t, d.Sync("items", rng.IntN(30) == 0, ops))
		}
		fresh, err := d.Query(q)
		require.NoError(t, err)
		require.Equal(t, jsonRows(fresh), jsonRows(live), "step %d", step)
		fresh.Close()
	}
}

// Optimistic writes to a local collection name the key; a rollback undoes
// them, a commit without persist keeps nothing of them (the synced rows
// are what stays).
func TestLocalTransactions(t *testing.T) {
	d := db.OpenLocal(db.Options{})
	t.Cleanup(d.Close)
	require.NoError(t, d.AddLocal("notes"))
	c := d.Collection("notes")
	require.NoError(t, d.Sync("notes", false, []db.SyncOp{syncOp(db.SyncInsert, "a", `{"text":"synced"}`)}))

	tx := d.Begin(db.TxOptions{})
	require.NoError(t, tx.InsertKey("notes", "b", value.MustParse(`{"text":"draft"}`)))
	require.ErrorIs(t, tx.InsertKey("notes", "a", value.MustParse(`{"text":"dup"}`)), db.ErrDuplicateKey)
	require.NoError(t, tx.Update("notes", "a", value.MustParse(`{"text":"edited"}`)))
	assert.Equal(t, []string{`a={"text":"edited"}`, `b={"text":"draft"}`}, localRows(c))
	require.NoError(t, tx.Rollback(nil))
	assert.Equal(t, []string{`a={"text":"synced"}`}, localRows(c))

	tx = d.Begin(db.TxOptions{})
	require.NoError(t, tx.InsertKey("notes", "b", value.MustParse(`{"text":"draft"}`)))
	// The local-only way: the handler confirms by writing the rows through
	// sync before the transaction completes, so nothing flickers.
	require.NoError(t, tx.Commit(ctxT(t), func(context.Context) error {
		return d.Sync("notes", false, []db.SyncOp{syncOp(db.SyncInsert, "b", `{"text":"draft"}`)})
	}))
	assert.Equal(t, []string{`a={"text":"synced"}`, `b={"text":"draft"}`}, localRows(c))
	v, ok := c.Synced("b")
	require.True(t, ok)
	assert.Equal(t, `{"text":"draft"}`, v.JSON())

	tx = d.Begin(db.TxOptions{})
	require.NoError(t, tx.Delete("notes", "a"))
	require.Error(t, tx.Commit(ctxT(t), func(context.Context) error { return errors.New("no") }))
	assert.Len(t, localRows(c), 2, "a failed handler rolls the delete back")
}

// A stream's database joins a local collection through its mirror: the
// mirror starts with the local rows and follows every sync transaction and
// optimistic write in the same call.
func TestMirrorJoinsLocalWithStream(t *testing.T) {
	s := newJSONStream(t, nil)
	post(t, s,
		ev("user", "1", "insert", `{"id":"1","name":"Kyle"}`),
		ev("user", "2", "insert", `{"id":"2","name":"Sam"}`),
	)
	o := preloaded(t, s)
	local := db.OpenLocal(db.Options{})
	t.Cleanup(local.Close)
	require.NoError(t, local.AddLocal("pins"))
	require.NoError(t, local.Sync("pins", false, []db.SyncOp{syncOp(db.SyncInsert, "p1", `{"user":"2","color":"red"}`)}))

	stop, err := o.Mirror(local, "pins", "@pins")
	require.NoError(t, err)
	t.Cleanup(stop)
	_, err = o.Mirror(local, "nope", "@nope")
	require.ErrorIs(t, err, db.ErrUnknownCollection)
	q, err := ir.Parse([]byte(`{"from":{"alias":"p","collection":"@pins"},
		"join":[{"type":"inner","source":{"alias":"u","collection":"users"},"on":{"type":"func","name":"eq","args":[{"type":"ref","path":["p","user"]},{"type":"ref","path":["u","id"]}]}}],
		"select":[{"field":"name","expr":{"type":"ref","path":["u","name"]}},{"field":"color","expr":{"type":"ref","path":["p","color"]}}]}`))
	require.NoError(t, err)
	live, err := o.Query(q)
	require.NoError(t, err)
	t.Cleanup(live.Close)
	assert.Equal(t, []string{`{"name":"Sam","color":"red"}`}, jsonRows(live))

	require.NoError(t, local.Sync("pins", false, []db.SyncOp{
		syncOp(db.SyncInsert, "p2", `{"user":"1","color":"blue"}`),
		syncOp(db.SyncUpdate, "p1", `{"color":"green"}`),
	}))
	assert.Equal(t, []string{`{"name":"Sam","color":"green"}`, `{"name":"Kyle","color":"blue"}`}, jsonRows(live), "the sync reached the join before Sync returned")

	tx := local.Begin(db.TxOptions{})
	require.NoError(t, tx.Delete("pins", "p1"))
	assert.Equal(t, []string{`{"name":"Kyle","color":"blue"}`}, jsonRows(live), "an optimistic delete too")
	require.NoError(t, tx.Rollback(nil))
	assert.Len(t, jsonRows(live), 2, "and its rollback")

	post(t, s, ev("user", "1", "update", `{"name":"Kyla"}`))
	eventually(t, func() bool { return len(jsonRows(live)) == 2 && jsonRows(live)[1] == `{"name":"Kyla","color":"blue"}` }, "the stream side still moves the join")
	require.ErrorIs(t, o.Sync("users", false, nil), db.ErrNotLocal)

	stop()
	require.NoError(t, local.Sync("pins", false, []db.SyncOp{syncOp(db.SyncDelete, "p2", "")}))
	assert.Len(t, jsonRows(live), 2, "a stopped mirror follows no more")
}
