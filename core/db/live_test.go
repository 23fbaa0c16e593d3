package db_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamdb/streamdb/core/db"
	"github.com/streamdb/streamdb/core/ir"
	"github.com/streamdb/streamdb/core/ivm"
	"github.com/streamdb/streamdb/core/value"
)

// The chat query of the seed: messages with their authors' names, newest
// first.
const chatQuery = `{
  "from": {"alias": "m", "collection": "messages"},
  "join": [{"type": "inner", "source": {"alias": "u", "collection": "users"},
            "on": {"type": "func", "name": "eq", "args": [{"type": "ref", "path": ["m", "userId"]}, {"type": "ref", "path": ["u", "id"]}]}}],
  "select": [{"field": "text", "expr": {"type": "ref", "path": ["m", "text"]}},
             {"field": "author", "expr": {"type": "ref", "path": ["u", "name"]}}],
  "orderBy": [{"expr": {"type": "ref", "path": ["m", "ts"]}, "direction": "desc"}],
  "limit": 2
}`

// liveRecorder keeps the change batches a live query delivered.
type liveRecorder struct {
	mu      sync.Mutex
	batches [][]db.QueryChange
}

func (r *liveRecorder) add(ch []db.QueryChange) {
	r.mu.Lock()
	r.batches = append(r.batches, ch)
	r.mu.Unlock()
}

func (r *liveRecorder) brief() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, b := range r.batches {
		s := ""
		for i, c := range b {
			if i > 0 {
				s += ", "
			}
			k, ok := c.Key.Str()
			if !ok {
				k = c.Key.String()
			}
			s += fmt.Sprintf("%s %s", c.Type, k)
		}
		out = append(out, s)
	}
	return out
}

func texts(l *db.Live) []string {
	var out []string
	for _, r := range l.Rows() {
		out = append(out, r.Get("author").String()+": "+r.Get("text").String())
	}
	return out
}

// A live query follows the stream: each stream batch changes its result in
// one step, and the subscribers see the result changes, not the raw rows.
func TestLiveQueryFollowsTheStream(t *testing.T) {
	s := newJSONStream(t, nil)
	post(t, s,
		ev("user", "1", "insert", `{"id":"1","name":"Kyle"}`),
		ev("user", "2", "insert", `{"id":"2","name":"Sam"}`),
		ev("message", "a", "insert", `{"id":"a","userId":"1","text":"hi","ts":1}`),
		ev("message", "b", "insert", `{"id":"b","userId":"2","text":"hello","ts":2}`),
		ev("message", "c", "insert", `{"id":"c","userId":"9","text":"orphan","ts":3}`),
	)
	o := preloaded(t, s)
	q, err := ir.Parse([]byte(chatQuery))
	require.NoError(t, err)
	live, err := o.Query(q)
	require.NoError(t, err)
	t.Cleanup(live.Close)
	assert.Equal(t, []string{`"Sam": "hello"`, `"Kyle": "hi"`}, texts(live), "newest first, the orphan left out by the inner join")

	rec := &liveRecorder{}
	live.Subscribe(rec.add, true)
	assert.Equal(t, []string{`insert ["b","2"], insert ["a","1"]`}, rec.brief(), "the initial result, in order")

	// One stream batch: a new message enters the top 2 and the user 9 turns
	// up, which brings the orphan (the newest) in too.
	post(t, s,
		ev("message", "d", "insert", `{"id":"d","userId":"1","text":"again","ts":2.5}`),
		ev("user", "9", "insert", `{"id":"9","name":"Zed"}`),
	)
	eventually(t, func() bool { return len(rec.brief()) == 2 }, "one more change batch")
	assert.Equal(t, []string{`"Zed": "orphan"`, `"Kyle": "again"`}, texts(live))
	assert.ElementsMatch(t, []string{`delete ["b","2"]`, `delete ["a","1"]`, `insert ["c","9"]`, `insert ["d","1"]`},
		splitBatch(rec.brief()[1]), "one batch for the step")

	// A rename reaches the joined rows.
	post(t, s, ev("user", "9", "update", `{"name":"Zoe"}`))
	eventually(t, func() bool { return len(rec.brief()) == 3 }, "the rename")
	assert.Equal(t, `update ["c","9"]`, rec.brief()[2])
	assert.Equal(t, []string{`"Zoe": "orphan"`, `"Kyle": "again"`}, texts(live))
}

func splitBatch(s string) []string { return strings.Split(s, ", ") }

// Optimistic changes reach live queries at once, and a rollback undoes
// them there too.
func TestLiveQueryOptimisticAndRollback(t *testing.T) {
	s := newJSONStream(t, nil)
	post(t, s, ev("user", "1", "insert", `{"id":"1","name":"Kyle"}`))
	o := preloaded(t, s)
	q, err := ir.Parse([]byte(`{"from":{"alias":"u","collection":"users"},"select":[{"field":"name","expr":{"type":"func","name":"upper","args":[{"type":"ref","path":["u","name"]}]}}]}`))
	require.NoError(t, err)
	live, err := o.Query(q)
	require.NoError(t, err)
	t.Cleanup(live.Close)
	rec := &liveRecorder{}
	live.Subscribe(rec.add, false)

	tx := o.Begin(db.TxOptions{})
	require.NoError(t, tx.Insert("users", value.MustParse(`{"id":"2","name":"Ghost"}`)))
	require.NoError(t, tx.Update("users", "1", value.MustParse(`{"name":"Kyle?"}`)))
	assert.Equal(t, []string{`{"name":"KYLE?"}`, `{"name":"GHOST"}`}, jsonRows(live), "optimistic rows in the result at once")

	err = tx.Commit(ctxT(t), func(context.Context) error { return errors.New("server said no") })
	require.Error(t, err)
	assert.Equal(t, []string{`{"name":"KYLE"}`}, jsonRows(live), "rolled back")
	b := rec.brief()
	require.Len(t, b, 3, "each step one batch: the undo too")
	assert.Equal(t, []string{"insert 2", "update 1"}, b[:2])
	assert.ElementsMatch(t, []string{"delete 2", "update 1"}, splitBatch(b[2]))
}

func jsonRows(l *db.Live) []string {
	var out []string
	for _, r := range l.Rows() {
		out = append(out, r.JSON())
	}
	return out
}

// Bad queries are rejected with the clause named, and a closed live query
// gets nothing more.
func TestLiveQueryErrorsAndClose(t *testing.T) {
	s := newJSONStream(t, nil)
	o := preloaded(t, s)
	q, err := ir.Parse([]byte(`{"from":{"alias":"x","collection":"nope"}}`))
	require.NoError(t, err)
	_, err = o.Query(q)
	var ie *ir.Error
	require.ErrorAs(t, err, &ie)
	assert.Equal(t, "from", ie.Clause)
	assert.Contains(t, err.Error(), `unknown collection "nope"`)

	q, err = ir.Parse([]byte(`{"from":{"alias":"u","collection":"users"}}`))
	require.NoError(t, err)
	live, err := o.Query(q)
	require.NoError(t, err)
	rec := &liveRecorder{}
	live.Subscribe(rec.add, false)
	post(t, s, ev("user", "1", "insert", `{"id":"1","name":"Kyle"}`))
	eventually(t, func() bool { return len(rec.brief()) == 1 }, "the insert")
	live.Close()
	live.Close()
	post(t, s, ev("user", "2", "insert", `{"id":"2","name":"Sam"}`))
	eventually(t, func() bool { return o.Collection("users").Size() == 2 }, "the second insert")
	assert.Len(t, rec.brief(), 1, "nothing after Close")
	assert.Equal(t, 1, live.Len(), "a closed live query keeps its last result")

	o.Close()
	_, err = o.Query(q)
	assert.ErrorIs(t, err, db.ErrClosed)
	_ = ivm.Insert
}

// A watcher gets one call per step with the followed collections' changes
// and every live query's result changes together.
func TestWatchDeliversWholeSteps(t *testing.T) {
	s := newJSONStream(t, nil)
	o := preloaded(t, s)
	q, err := ir.Parse([]byte(`{"from":{"alias":"m","collection":"messages"},"select":[{"field":"text","expr":{"type":"ref","path":["m","text"]}}]}`))
	require.NoError(t, err)
	live, err := o.Query(q)
	require.NoError(t, err)
	t.Cleanup(live.Close)

	var mu sync.Mutex
	var steps []*db.Step
	setFollow, unwatch := o.Watch([]string{"users"}, func(st *db.Step) {
		mu.Lock()
		steps = append(steps, st)
		mu.Unlock()
	})
	count := func() int { mu.Lock(); defer mu.Unlock(); return len(steps) }

	post(t, s,
		ev("user", "1", "insert", `{"id":"1","name":"Kyle"}`),
		ev("message", "a", "insert", `{"id":"a","userId":"1","text":"hi"}`),
	)
	eventually(t, func() bool { return count() == 1 }, "one step")
	st := steps[0]
	require.Len(t, st.Collections["users"], 1)
	assert.Nil(t, st.Collections["messages"], "messages are not followed")
	require.Len(t, st.Queries, 1)
	assert.Same(t, live, st.Queries[0].Live)
	assert.Equal(t, `{"text":"hi"}`, st.Queries[0].Changes[0].Value.JSON())

	// Following nothing: a users-only step is not delivered at all.
	setFollow(nil)
	post(t, s, ev("user", "2", "insert", `{"id":"2","name":"Sam"}`))
	post(t, s, ev("message", "b", "insert", `{"id":"b","userId":"2","text":"yo"}`))
	eventually(t, func() bool { return count() == 2 }, "the message step")
	assert.Nil(t, steps[1].Collections)
	unwatch()
	post(t, s, ev("message", "c", "insert", `{"id":"c","userId":"2","text":"?"}`))
	eventually(t, func() bool { return live.Len() == 3 }, "the last message")
	assert.Equal(t, 2, count(), "nothing after unwatch")
}

// A live query open before the first preload (and so before any row): the
// preload's commit brings it every row in one step. Its subscriber gets
// the result as inserts in one batch; the result equals
// the same query opened afterwards, and later changes go on from it.
func TestLiveQueryOpenBeforePreload(t *testing.T) {
	s := newJSONStream(t, nil)
	var events []string
	for i := range 40 {
		events = append(events, ev("user", fmt.Sprint(i), "insert", fmt.Sprintf(`{"id":"%d","name":"u%d"}`, i, i)))
	}
	for i := range 120 {
		events = append(events, ev("message", fmt.Sprint("m", i), "insert", fmt.Sprintf(`{"id":"m%d","userId":"%d","text":"t%d","ts":%d}`, i, i%50, i, i)))
	}
	post(t, s, events...)
	q, err := ir.Parse([]byte(strings.Replace(chatQuery, `"limit": 2`, `"limit": 1000`, 1)))
	require.NoError(t, err)
	o := open(t, s)
	early, err := o.Query(q)
	require.NoError(t, err)
	t.Cleanup(early.Close)
	rec := &liveRecorder{}
	early.Subscribe(rec.add, false)
	require.NoError(t, o.Preload(ctxT(t)))
	later, err := o.Query(q)
	require.NoError(t, err)
	t.Cleanup(later.Close)
	require.Len(t, texts(later), 100, "the messages of users 0-39")
	assert.Equal(t, texts(later), texts(early))
	eventually(t, func() bool { return len(rec.brief()) == 1 }, "one batch")
	var keys []string
	early.Range(func(k, _ value.Value) bool {
		s, ok := k.Str()
		if !ok {
			s = k.String()
		}
		keys = append(keys, "insert "+s)
		return true
	})
	assert.ElementsMatch(t, keys, splitBatch(rec.brief()[0]), "the result as inserts")

	post(t, s, ev("message", "new", "insert", `{"id":"new","userId":"3","text":"newest","ts":1000}`), ev("user", "3", "update", `{"name":"Three"}`))
	eventually(t, func() bool { return len(rec.brief()) == 2 }, "the next step")
	assert.Equal(t, `"Three": "newest"`, texts(early)[0])
	assert.Equal(t, texts(later), texts(early))
}
