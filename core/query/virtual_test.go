package query

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamdb/streamdb/core/collection"
	"github.com/streamdb/streamdb/core/value"
)

// virtualDB is a collection "items" with rows a (synced) and b, c; its
// queries read the rows' state from the collection.
func virtualDB(t *testing.T) db {
	t.Helper()
	c := collection.New("items", "item", "id")
	c.SetID("stream-db:http://x/s:items")
	c.Begin()
	for _, row := range []string{`{"id":"a","n":1}`, `{"id":"b","n":2}`} {
		v := value.MustParse(row)
		k, _ := v.Get("id").Str()
		c.Put(k, v)
	}
	c.End(false)
	return db{"items": c}
}

func (d db) options() Options {
	return Options{Virtual: func(name string) Virtual {
		c := d[name]
		return Virtual{ID: c.ID(), Meta: c.Meta}
	}}
}

// virtualStep is one write to the collection: it runs fn in a batch and
// feeds the changes to every query, then checks each against a query
// compiled and loaded afresh.
func virtualStep(t *testing.T, d db, qs []string, lqs []*LiveQuery, maps []map[string]string, fn func(c *collection.Collection)) {
	t.Helper()
	c := d["items"]
	c.Begin()
	fn(c)
	ch := c.End(true)
	for i, lq := range lqs {
		applyChanges(t, maps[i], lq.Apply("items", ch), lq.Ordered())
		fresh, err := Compile(mustQuery(t, qs[i]), d.options())
		require.NoError(t, err)
		fresh.Load(d.reader())
		require.Equal(t, result(fresh), result(lq), "query %d against a full recomputation", i)
		require.Equal(t, asMap(result(fresh)), maps[i], "query %d: its changes against a full recomputation", i)
	}
}

func TestVirtualFieldsOptimisticThenSynced(t *testing.T) {
	d := virtualDB(t)
	qs := []string{
		// every virtual field in a select
		`{"from":{"alias":"i","collection":"items"},"select":[
			{"field":"id","expr":{"type":"ref","path":["i","id"]}},
			{"field":"k","expr":{"type":"ref","path":["i","$key"]}},
			{"field":"s","expr":{"type":"ref","path":["i","$synced"]}},
			{"field":"o","expr":{"type":"ref","path":["i","$origin"]}},
			{"field":"p","expr":{"type":"ref","path":["i","$hasPendingWrites"]}},
			{"field":"c","expr":{"type":"ref","path":["i","$collectionId"]}}]}`,
		// a where on $synced that reads nothing else of the rows
		`{"from":{"alias":"i","collection":"items"},"where":[{"type":"func","name":"eq","args":[{"type":"ref","path":["i","$synced"]},{"type":"val","value":false}]}],
			"select":[{"field":"id","expr":{"type":"ref","path":["i","id"]}}]}`,
		// orderBy $origin then $key, with a limit
		`{"from":{"alias":"i","collection":"items"},"select":[{"field":"id","expr":{"type":"ref","path":["i","id"]}}],
			"orderBy":[{"expr":{"type":"ref","path":["i","$origin"]},"direction":"asc"},{"expr":{"type":"ref","path":["i","$key"]},"direction":"desc"}],"limit":2}`,
		// groupBy $synced with a count
		`{"from":{"alias":"i","collection":"items"},"groupBy":[{"type":"ref","path":["i","$synced"]}],
			"select":[{"field":"s","expr":{"type":"ref","path":["i","$synced"]}},{"field":"n","expr":{"type":"agg","name":"count","args":[{"type":"ref","path":["i","id"]}]}}]}`,
		// a self join on $key
		`{"from":{"alias":"i","collection":"items"},"join":[{"type":"inner","source":{"alias":"j","collection":"items"},
			"on":{"type":"func","name":"eq","args":[{"type":"ref","path":["i","$key"]},{"type":"ref","path":["j","id"]}]}}],
			"select":[{"field":"id","expr":{"type":"ref","path":["j","id"]}},{"field":"o","expr":{"type":"ref","path":["i","$origin"]}}]}`,
		// a query that reads no virtual field sees no change of state
		`{"from":{"alias":"i","collection":"items"},"select":[{"field":"n","expr":{"type":"ref","path":["i","n"]}}]}`,
	}
	var lqs []*LiveQuery
	var maps []map[string]string
	for _, s := range qs {
		lq, err := Compile(mustQuery(t, s), d.options())
		require.NoError(t, err)
		lq.Load(d.reader())
		lqs = append(lqs, lq)
		maps = append(maps, asMap(result(lq)))
	}
	assert.Equal(t, []string{
		`sa={"id":"a","k":"a","s":true,"o":"remote","p":false,"c":"stream-db:http://x/s:items"}`,
		`sb={"id":"b","k":"b","s":true,"o":"remote","p":false,"c":"stream-db:http://x/s:items"}`,
	}, result(lqs[0]))
	assert.Empty(t, result(lqs[1]))

	// An optimistic insert of c and update of a (a pending transaction).
	c3 := value.MustParse(`{"id":"c","n":3}`)
	a5 := value.MustParse(`{"id":"a","n":5}`)
	virtualStep(t, d, qs, lqs, maps, func(c *collection.Collection) {
		c.SetOverlay(map[string]collection.Overlay{"c": {Value: c3}, "a": {Value: a5}})
	})
	assert.Equal(t, []string{
		`sa={"id":"a","k":"a","s":false,"o":"local","p":true,"c":"stream-db:http://x/s:items"}`,
		`sb={"id":"b","k":"b","s":true,"o":"remote","p":false,"c":"stream-db:http://x/s:items"}`,
		`sc={"id":"c","k":"c","s":false,"o":"local","p":true,"c":"stream-db:http://x/s:items"}`,
	}, result(lqs[0]))
	assert.Equal(t, []string{`sa={"id":"a"}`, `sc={"id":"c"}`}, result(lqs[1]))
	assert.Equal(t, []string{`bfalse={"s":false,"n":2}`, `btrue={"s":true,"n":1}`}, result(lqs[3]))

	// The stream confirms both while the transaction is pending: the rows
	// stay optimistic.
	virtualStep(t, d, qs, lqs, maps, func(c *collection.Collection) {
		c.Put("c", c3)
		c.Put("a", a5)
	})
	assert.Equal(t, []string{`sa={"id":"a"}`, `sc={"id":"c"}`}, result(lqs[1]))

	// The transaction completes: the rows are synced, of local origin, with
	// the same values (a change of state only).
	n5 := result(lqs[5])
	virtualStep(t, d, qs, lqs, maps, func(c *collection.Collection) { c.SetOverlay(nil) })
	assert.Equal(t, []string{
		`sa={"id":"a","k":"a","s":true,"o":"local","p":false,"c":"stream-db:http://x/s:items"}`,
		`sb={"id":"b","k":"b","s":true,"o":"remote","p":false,"c":"stream-db:http://x/s:items"}`,
		`sc={"id":"c","k":"c","s":true,"o":"local","p":false,"c":"stream-db:http://x/s:items"}`,
	}, result(lqs[0]))
	assert.Empty(t, result(lqs[1]))
	assert.Equal(t, []string{`sc={"id":"c"}`, `sa={"id":"a"}`}, result(lqs[2]))
	assert.Equal(t, []string{`btrue={"s":true,"n":3}`}, result(lqs[3]))
	assert.Equal(t, n5, result(lqs[5]))
	assert.Nil(t, lqs[5].Apply("items", nil))

	// A later remote write of a makes it remote again; deleting c drops it.
	virtualStep(t, d, qs, lqs, maps, func(c *collection.Collection) {
		c.Put("a", value.MustParse(`{"id":"a","n":6}`))
		c.Remove("c")
	})
	assert.Equal(t, []string{
		`sa={"id":"a","k":"a","s":true,"o":"remote","p":false,"c":"stream-db:http://x/s:items"}`,
		`sb={"id":"b","k":"b","s":true,"o":"remote","p":false,"c":"stream-db:http://x/s:items"}`,
	}, result(lqs[0]))
}

// A query that reads no virtual field gets no change from a change of
// state only.
func TestVirtualStateChangeSkippedByOtherQueries(t *testing.T) {
	d := virtualDB(t)
	lq, err := Compile(mustQuery(t, `{"from":{"alias":"i","collection":"items"}}`), d.options())
	require.NoError(t, err)
	lq.Load(d.reader())
	c := d["items"]
	c.Begin()
	c.SetOverlay(map[string]collection.Overlay{"a": {Value: value.MustParse(`{"id":"a","n":1}`)}})
	ch := c.End(true)
	require.Len(t, ch, 1, "the collection reports the change of state")
	assert.Equal(t, collection.Update, ch[0].Type)
	assert.Nil(t, lq.Apply("items", ch))
}

// A spread of an alias whose virtual fields the query reads carries them,
// as TanStack DB's rows do.
func TestVirtualFieldsInSpread(t *testing.T) {
	d := virtualDB(t)
	lq, err := Compile(mustQuery(t, `{"from":{"alias":"i","collection":"items"},"where":[{"type":"func","name":"eq","args":[{"type":"ref","path":["i","$key"]},{"type":"val","value":"a"}]}],"select":[{"spread":["i"]}]}`), d.options())
	require.NoError(t, err)
	lq.Load(d.reader())
	assert.Equal(t, []string{`sa={"id":"a","n":1,"$hasPendingWrites":false,"$synced":true,"$origin":"remote","$key":"a","$collectionId":"stream-db:http://x/s:items"}`}, result(lq))
}
