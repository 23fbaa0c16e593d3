package query

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamdb/streamdb/core/collection"
	"github.com/streamdb/streamdb/core/ir"
	"github.com/streamdb/streamdb/core/value"
)

// unionQueries are unionAll queries in both forms, added to testQueries
// (init below), so that TestIncrementalMatchesRecompute and TestSharedStep
// check each against its recomputation after every random step.
var unionQueries = []string{
	// unionAll({u: users, p: posts}) with where and orderBy over coalesce
	`{"from":{"union":[{"alias":"u","collection":"users"},{"alias":"p","collection":"posts"}]},"where":[{"type":"func","name":"gt","args":[{"type":"func","name":"coalesce","args":[{"type":"ref","path":["u","age"]},{"type":"ref","path":["p","likes"]}]},{"type":"val","value":1}]}],"orderBy":[{"expr":{"type":"func","name":"coalesce","args":[{"type":"ref","path":["u","name"]},{"type":"ref","path":["p","title"]}]},"stringSort":"lexical"}],"limit":6}`,
	// one collection twice, a subquery source, a select, a join after it
	`{"from":{"union":[{"alias":"a","collection":"users"},{"alias":"b","query":{"from":{"alias":"x","collection":"users"},"where":[{"type":"ref","path":["x","active"]}]}}]},"join":[{"type":"left","source":{"alias":"p","collection":"posts"},"on":{"type":"func","name":"eq","args":[{"type":"func","name":"coalesce","args":[{"type":"ref","path":["a","id"]},{"type":"ref","path":["b","id"]}]},{"type":"ref","path":["p","userId"]}]}}],"select":[{"field":"who","expr":{"type":"func","name":"coalesce","args":[{"type":"ref","path":["a","id"]},{"type":"ref","path":["b","id"]}]}},{"field":"b","expr":{"type":"ref","path":["b"]}},{"field":"post","expr":{"type":"ref","path":["p","id"]}}]}`,
	// grouped over a union of sources
	`{"from":{"union":[{"alias":"u","collection":"users"},{"alias":"p","collection":"posts"}]},"groupBy":[{"type":"func","name":"coalesce","args":[{"type":"ref","path":["u","id"]},{"type":"ref","path":["p","userId"]}]}],"select":[{"field":"k","expr":{"type":"func","name":"coalesce","args":[{"type":"ref","path":["u","id"]},{"type":"ref","path":["p","userId"]}]}},{"field":"n","expr":{"type":"agg","name":"count","args":[{"type":"ref","path":["p","id"]}]}}]}`,
	// unionAll(query, query): branches with select, orderBy+limit and a
	// join; the result read by field
	`{"from":{"unionAll":[{"from":{"alias":"u","collection":"users"},"select":[{"field":"id","expr":{"type":"ref","path":["u","id"]}},{"field":"v","expr":{"type":"ref","path":["u","age"]}}]},{"from":{"alias":"p","collection":"posts"},"select":[{"field":"id","expr":{"type":"ref","path":["p","id"]}},{"field":"v","expr":{"type":"ref","path":["p","likes"]}}],"orderBy":[{"expr":{"type":"ref","path":["p","likes"]}}],"limit":4},{"from":{"alias":"q","collection":"posts"},"join":[{"type":"inner","source":{"alias":"w","collection":"users"},"on":{"type":"func","name":"eq","args":[{"type":"ref","path":["q","userId"]},{"type":"ref","path":["w","id"]}]}}],"select":[{"field":"id","expr":{"type":"ref","path":["q","id"]}},{"field":"v","expr":{"type":"ref","path":["w","age"]}}]}]},"where":[{"type":"func","name":"not","args":[{"type":"func","name":"isNull","args":[{"type":"ref","path":["v"]}]}]}],"orderBy":[{"expr":{"type":"ref","path":["v"]},"direction":"desc"}],"limit":8,"offset":1}`,
	// unionAll(query, query) then a join, without select: {...row, alias}
	`{"from":{"unionAll":[{"from":{"alias":"u","collection":"users"}},{"from":{"alias":"p","collection":"posts"}}]},"join":[{"type":"left","source":{"alias":"t","collection":"users"},"on":{"type":"func","name":"eq","args":[{"type":"ref","path":["userId"]},{"type":"ref","path":["t","id"]}]}}]}`,
	// grouped over a union of queries
	`{"from":{"unionAll":[{"from":{"alias":"u","collection":"users"}},{"from":{"alias":"p","collection":"posts"}}]},"groupBy":[{"type":"ref","path":["active"]}],"select":[{"field":"active","expr":{"type":"ref","path":["active"]}},{"field":"n","expr":{"type":"agg","name":"count","args":[{"type":"ref","path":["id"]}]}}]}`,
}

func init() { testQueries = append(testQueries, unionQueries...) }

// unionDB is a small fixed database.
func unionDB(t *testing.T) db {
	d := db{"users": collection.New("users", "user", "id"), "posts": collection.New("posts", "post", "id")}
	d["users"].Begin()
	d["users"].Put("1", value.MustParse(`{"id":"1","t":5,"n":"x"}`))
	d["users"].Put("2", value.MustParse(`{"id":"2","t":3,"n":"y"}`))
	d["users"].End(false)
	d["posts"].Begin()
	d["posts"].Put("k1", value.MustParse(`{"id":"k1","t":4,"m":"z"}`))
	d["posts"].Put("2", value.MustParse(`{"id":"2","t":1,"m":"w"}`))
	d["posts"].End(false)
	return d
}

// TestUnionResults checks results, keys and order against what TanStack
// DB 0.15.2 gives for the same rows (probed: its live query's entries()).
func TestUnionResults(t *testing.T) {
	for _, c := range []struct {
		name, q string
		want    []string
	}{
		{"sources", `{"from":{"union":[{"alias":"a","collection":"users"},{"alias":"b","collection":"posts"}]}}`, []string{
			`sa:string:1={"a":{"id":"1","t":5,"n":"x"}}`, `sa:string:2={"a":{"id":"2","t":3,"n":"y"}}`,
			`sb:string:2={"b":{"id":"2","t":1,"m":"w"}}`, `sb:string:k1={"b":{"id":"k1","t":4,"m":"z"}}`}},
		{"sources orderBy limit", `{"from":{"union":[{"alias":"a","collection":"users"},{"alias":"b","collection":"posts"}]},"orderBy":[{"expr":{"type":"func","name":"coalesce","args":[{"type":"ref","path":["a","t"]},{"type":"ref","path":["b","t"]}]}}],"limit":2}`, []string{
			`sb:string:2={"b":{"id":"2","t":1,"m":"w"}}`, `sa:string:2={"a":{"id":"2","t":3,"n":"y"}}`}},
		{"sources select", `{"from":{"union":[{"alias":"a","collection":"users"},{"alias":"b","collection":"posts"}]},"where":[{"type":"func","name":"gt","args":[{"type":"func","name":"coalesce","args":[{"type":"ref","path":["a","t"]},{"type":"ref","path":["b","t"]}]},{"type":"val","value":2}]}],"select":[{"field":"t","expr":{"type":"func","name":"coalesce","args":[{"type":"ref","path":["a","t"]},{"type":"ref","path":["b","t"]}]}},{"field":"a","expr":{"type":"ref","path":["a","n"]}}]}`, []string{
			`sa:string:1={"t":5,"a":"x"}`, `sa:string:2={"t":3,"a":"y"}`, `sb:string:k1={"t":4}`}},
		{"sources join", `{"from":{"union":[{"alias":"a","collection":"users"},{"alias":"b","collection":"posts"}]},"join":[{"type":"inner","source":{"alias":"c","collection":"users"},"on":{"type":"func","name":"eq","args":[{"type":"func","name":"coalesce","args":[{"type":"ref","path":["a","id"]},{"type":"ref","path":["b","id"]}]},{"type":"ref","path":["c","id"]}]}}],"select":[{"field":"c","expr":{"type":"ref","path":["c","n"]}}]}`, []string{
			`s["a:string:1","1"]={"c":"x"}`, `s["a:string:2","2"]={"c":"y"}`, `s["b:string:2","2"]={"c":"y"}`}},
		{"sources groupBy", `{"from":{"union":[{"alias":"a","collection":"users"},{"alias":"b","collection":"posts"}]},"groupBy":[{"type":"func","name":"coalesce","args":[{"type":"ref","path":["a","id"]},{"type":"ref","path":["b","id"]}]}],"select":[{"field":"k","expr":{"type":"func","name":"coalesce","args":[{"type":"ref","path":["a","id"]},{"type":"ref","path":["b","id"]}]}},{"field":"c","expr":{"type":"agg","name":"count","args":[{"type":"ref","path":["a","id"]}]}},{"field":"s","expr":{"type":"agg","name":"sum","args":[{"type":"func","name":"coalesce","args":[{"type":"ref","path":["a","t"]},{"type":"ref","path":["b","t"]}]}]}}]}`, []string{
			`s1={"k":"1","c":1,"s":5}`, `s2={"k":"2","c":1,"s":4}`, `sk1={"k":"k1","c":0,"s":4}`}},
		{"branches", `{"from":{"unionAll":[{"from":{"alias":"a","collection":"users"}},{"from":{"alias":"b","collection":"posts"}}]}}`, []string{
			`s0:string:1={"id":"1","t":5,"n":"x"}`, `s0:string:2={"id":"2","t":3,"n":"y"}`,
			`s1:string:2={"id":"2","t":1,"m":"w"}`, `s1:string:k1={"id":"k1","t":4,"m":"z"}`}},
		{"branches where orderBy", `{"from":{"unionAll":[{"from":{"alias":"a","collection":"users"},"select":[{"field":"t","expr":{"type":"ref","path":["a","t"]}},{"field":"k","expr":{"type":"ref","path":["a","id"]}}]},{"from":{"alias":"b","collection":"posts"},"select":[{"field":"t","expr":{"type":"ref","path":["b","t"]}},{"field":"k","expr":{"type":"ref","path":["b","id"]}}]}]},"where":[{"type":"func","name":"gt","args":[{"type":"ref","path":["t"]},{"type":"val","value":1}]}],"orderBy":[{"expr":{"type":"ref","path":["t"]}}]}`, []string{
			`s0:string:2={"t":3,"k":"2"}`, `s1:string:k1={"t":4,"k":"k1"}`, `s0:string:1={"t":5,"k":"1"}`}},
		{"branches join", `{"from":{"unionAll":[{"from":{"alias":"a","collection":"users"}},{"from":{"alias":"b","collection":"posts"}}]},"join":[{"type":"left","source":{"alias":"c","collection":"users"},"on":{"type":"func","name":"eq","args":[{"type":"ref","path":["id"]},{"type":"ref","path":["c","id"]}]}}]}`, []string{
			`s["0:string:1","1"]={"id":"1","t":5,"n":"x","c":{"id":"1","t":5,"n":"x"}}`, `s["0:string:2","2"]={"id":"2","t":3,"n":"y","c":{"id":"2","t":3,"n":"y"}}`,
			`s["1:string:2","2"]={"id":"2","t":1,"m":"w","c":{"id":"2","t":3,"n":"y"}}`, `s["1:string:k1",null]={"id":"k1","t":4,"m":"z"}`}},
		{"branches groupBy", `{"from":{"unionAll":[{"from":{"alias":"a","collection":"users"}},{"from":{"alias":"b","collection":"posts"}}]},"groupBy":[{"type":"ref","path":["id"]}],"select":[{"field":"id","expr":{"type":"ref","path":["id"]}},{"field":"n","expr":{"type":"agg","name":"count","args":[{"type":"ref","path":["t"]}]}},{"field":"s","expr":{"type":"agg","name":"sum","args":[{"type":"ref","path":["t"]}]}}]}`, []string{
			`s1={"id":"1","n":1,"s":5}`, `s2={"id":"2","n":2,"s":4}`, `sk1={"id":"k1","n":1,"s":4}`}},
		{"nested branches", `{"from":{"unionAll":[{"from":{"unionAll":[{"from":{"alias":"a","collection":"users"}},{"from":{"alias":"b","collection":"posts"}}]},"where":[{"type":"func","name":"eq","args":[{"type":"ref","path":["id"]},{"type":"val","value":"2"}]}]},{"from":{"alias":"c","collection":"posts"},"where":[{"type":"func","name":"eq","args":[{"type":"ref","path":["c","id"]},{"type":"val","value":"k1"}]}]}]}}`, []string{
			`s0:string:0:string:2={"id":"2","t":3,"n":"y"}`, `s0:string:1:string:2={"id":"2","t":1,"m":"w"}`, `s1:string:k1={"id":"k1","t":4,"m":"z"}`}},
		{"union subquery", `{"from":{"alias":"s","query":{"from":{"union":[{"alias":"x","collection":"users"},{"alias":"y","collection":"posts"}]}}},"select":[{"field":"v","expr":{"type":"func","name":"coalesce","args":[{"type":"ref","path":["s","x","t"]},{"type":"ref","path":["s","y","t"]}]}}]}`, []string{
			`sx:string:1={"v":5}`, `sx:string:2={"v":3}`, `sy:string:2={"v":1}`, `sy:string:k1={"v":4}`}},
	} {
		t.Run(c.name, func(t *testing.T) {
			lq, err := Compile(mustQuery(t, c.q), Options{})
			require.NoError(t, err)
			lq.Load(unionDB(t).reader())
			assert.Equal(t, c.want, result(lq))
		})
	}
}

// TestUnionLive: a change to a collection read by both sides of a union
// changes each side's row, under its own key.
func TestUnionLive(t *testing.T) {
	d := unionDB(t)
	lq, err := Compile(mustQuery(t, `{"from":{"union":[{"alias":"a","collection":"users"},{"alias":"b","collection":"users"}]},"select":[{"field":"t","expr":{"type":"func","name":"coalesce","args":[{"type":"ref","path":["a","t"]},{"type":"ref","path":["b","t"]}]}}]}`), Options{})
	require.NoError(t, err)
	lq.Load(d.reader())
	assert.Equal(t, []string{`sa:string:1={"t":5}`, `sa:string:2={"t":3}`, `sb:string:1={"t":5}`, `sb:string:2={"t":3}`}, result(lq))
	d["users"].Begin()
	d["users"].Put("1", value.MustParse(`{"id":"1","t":7}`))
	d["users"].Remove("2")
	ch := lq.Apply("users", d["users"].End(true))
	var got []string
	for _, c := range ch {
		got = append(got, c.Type.String()+" "+c.Key.String()+" "+c.Value.String())
	}
	assert.ElementsMatch(t, []string{`update "a:string:1" {"t":7}`, `delete "a:string:2" {"t":3}`, `update "b:string:1" {"t":7}`, `delete "b:string:2" {"t":3}`}, got)
	assert.Equal(t, []string{`sa:string:1={"t":7}`, `sb:string:1={"t":7}`}, result(lq))
}

func TestUnionErrors(t *testing.T) {
	has := func(n string) bool { return n == "users" || n == "posts" }
	for _, c := range []struct{ q, reason string }{
		{`{"from":{"unionAll":[{"from":{"alias":"a","collection":"users"}},{"from":{"alias":"a","collection":"posts"}}]}}`, `duplicate source alias "a" in unionAll query branches`},
		{`{"from":{"union":[{"alias":"a","collection":"users"},{"alias":"a","collection":"posts"}]}}`, `alias "a" is used twice`},
		{`{"from":{"union":[{"alias":"a","collection":"users"},{"alias":"b","collection":"nope"}]}}`, `unknown collection "nope"`},
		{`{"from":{"unionAll":[{"from":{"alias":"a","collection":"users"}},{"from":{"alias":"b","collection":"posts"},"limit":1}]}}`, "unionAll query 1: limit: "},
		{`{"from":{"union":[{"alias":"a","collection":"users"},{"alias":"b","collection":"posts"}]},"where":[{"type":"ref","path":["c","x"]}]}`, `unknown alias "c"`},
	} {
		_, err := Compile(mustQuery(t, c.q), Options{HasCollection: has})
		require.Error(t, err, c.q)
		var e *ir.Error
		require.True(t, errors.As(err, &e), "%T %v", err, err)
		assert.Contains(t, e.Error(), c.reason)
	}
	// TanStack's class name survives from a branch.
	_, err := Compile(mustQuery(t, `{"from":{"unionAll":[{"from":{"alias":"a","collection":"users"},"limit":1}]}}`), Options{})
	var e *ir.Error
	require.True(t, errors.As(err, &e))
	assert.Equal(t, "LimitOffsetRequireOrderByError", e.Kind)
}
