package query

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/streamdb/streamdb/core/collection"
	"github.com/streamdb/streamdb/core/ir"
	"github.com/streamdb/streamdb/core/ivm"
	"github.com/streamdb/streamdb/core/value"
)

// Queries with includes, as the JS builder writes them: users, each with
// their posts (p.userId = u.id).
const (
	inclUsers = `"from":{"alias":"u","collection":"users"}`
	inclPosts = `"from":{"alias":"p","collection":"posts"}`
	inclCorr  = `{"type":"func","name":"eq","args":[{"type":"ref","path":["p","userId"]},{"type":"ref","path":["u","id"]}]}`
)

func inclRef(p ...string) string {
	s := `{"type":"ref","path":[`
	for i, x := range p {
		if i > 0 {
			s += ","
		}
		s += `"` + x + `"`
	}
	return s + `]}`
}

// inclQuery is users selecting id and an include field "ps" of the child
// query child (its JSON members) materialized as mat, scalar its scalar
// select (or "").
func inclQuery(child, mat, scalar string) string {
	inc := `{"query":{` + child + `},"materialize":"` + mat + `"`
	if scalar != "" {
		inc += `,"scalar":` + scalar
	}
	return `{` + inclUsers + `,"select":[{"field":"id","expr":` + inclRef("u", "id") + `},{"field":"ps","include":` + inc + `}},{"field":"name","expr":` + inclRef("u", "name") + `}]}`
}

var includeQueries = []string{
	// toArray of selected objects, in key order.
	inclQuery(inclPosts+`,"where":[`+inclCorr+`],"select":[{"field":"t","expr":`+inclRef("p", "title")+`},{"field":"l","expr":`+inclRef("p", "likes")+`}]`, "array", ""),
	// toArray of whole rows, the correlation inside an and with a child filter.
	inclQuery(inclPosts+`,"where":[{"type":"func","name":"and","args":[{"type":"func","name":"gt","args":[`+inclRef("p", "likes")+`,{"type":"val","value":0}]},`+inclCorr+`]}]`, "array", ""),
	// concat(toArray(scalar)), ordered.
	inclQuery(inclPosts+`,"where":[`+inclCorr+`],"orderBy":[{"expr":`+inclRef("p", "likes")+`,"direction":"desc"}]`, "concat", inclRef("p", "title")),
	// Per-parent top 2 of a scalar array.
	inclQuery(inclPosts+`,"where":[`+inclCorr+`],"orderBy":[{"expr":`+inclRef("p", "likes")+`},{"expr":`+inclRef("p", "title")+`,"stringSort":"lexical"}],"limit":2,"offset":1`, "array", inclRef("p", "likes")),
	// materialize(findOne): the first post by key, or nothing.
	inclQuery(inclPosts+`,"where":[`+inclCorr+`],"select":[{"field":"t","expr":`+inclRef("p", "title")+`}],"findOne":true`, "singleton", ""),
	// A filter and a select that read the parent (its context).
	inclQuery(inclPosts+`,"where":[`+inclCorr+`,{"type":"func","name":"gte","args":[`+inclRef("p", "likes")+`,`+inclRef("u", "age")+`]}],"select":[{"field":"t","expr":`+inclRef("p", "title")+`},{"field":"who","expr":`+inclRef("u", "name")+`}]`, "array", ""),
	// The collection form (an array in the core), under a parent window.
	`{` + inclUsers + `,"select":[{"field":"o","select":[{"field":"ps","include":{"query":{` + inclPosts + `,"where":[` + inclCorr + `]},"materialize":"collection"}}]}],"orderBy":[{"expr":` + inclRef("u", "age") + `}],"limit":4}`,
	// Nested includes: posts with the other posts of the same title.
	inclQuery(inclPosts+`,"where":[`+inclCorr+`],"select":[{"field":"t","expr":`+inclRef("p", "title")+`},{"field":"same","include":{"query":{"from":{"alias":"q","collection":"posts"},"where":[{"type":"func","name":"eq","args":[`+inclRef("q", "title")+`,`+inclRef("p", "title")+`]}]},"materialize":"array","scalar":`+inclRef("q", "id")+`}}]`, "array", ""),
	// A child that joins: posts with their author's team.
	inclQuery(inclPosts+`,"join":[{"type":"left","source":{"alias":"a","collection":"users"},"on":{"type":"func","name":"eq","args":[`+inclRef("a", "id")+`,`+inclRef("p", "userId")+`]}}],"where":[`+inclCorr+`],"select":[{"field":"t","expr":`+inclRef("p", "title")+`},{"field":"team","expr":`+inclRef("a", "team")+`}]`, "array", ""),
}

// TestIncludesIncrementalMatchesRecompute runs random change batches
// through every include query and checks after every step that the live
// result equals the query compiled afresh over the current collections,
// and that the change feed gives it.
func TestIncludesIncrementalMatchesRecompute(t *testing.T) {
	for qi, qs := range includeQueries {
		t.Run(fmt.Sprint(qi), func(t *testing.T) {
			r := rand.New(rand.NewPCG(uint64(qi), 11))
			checkIncremental(t, mustQuery(t, qs), Options{}, r, randDB(r), 150)
		})
	}
}

// inclDB holds three users and their posts.
func inclDB(t *testing.T) db {
	d := db{"users": collection.New("users", "user", "id"), "posts": collection.New("posts", "post", "id")}
	d["users"].Begin()
	for _, u := range []string{`{"id":"u1","name":"ann","age":1}`, `{"id":"u2","name":"bob","age":5}`, `{"id":"u3","name":"cy","age":2}`} {
		v := value.MustParse(u)
		k, _ := v.Get("id").Str()
		d["users"].Put(k, v)
	}
	d["users"].End(false)
	d["posts"].Begin()
	for _, p := range []string{
		`{"id":"p1","userId":"u1","title":"a","likes":3}`, `{"id":"p2","userId":"u1","title":"b","likes":1}`,
		`{"id":"p3","userId":"u2","title":"c","likes":7}`, `{"id":"p4","userId":null,"title":"d","likes":0}`,
	} {
		v := value.MustParse(p)
		k, _ := v.Get("id").Str()
		d["posts"].Put(k, v)
	}
	d["posts"].End(false)
	return d
}

// TestIncludesResults checks what each materialization gives, as TanStack
// DB 0.15.2 gives it (probed): arrays in the child's order, concat of the
// scalar values (null as ""), the first row or nothing, and a per-parent
// limit.
func TestIncludesResults(t *testing.T) {
	tests := []struct {
		q    string
		want []string
	}{
		{includeQueries[0], []string{
			`su1={"id":"u1","ps":[{"t":"a","l":3},{"t":"b","l":1}],"name":"ann"}`,
			`su2={"id":"u2","ps":[{"t":"c","l":7}],"name":"bob"}`,
			`su3={"id":"u3","ps":[],"name":"cy"}`,
		}},
		{includeQueries[2], []string{
			`su1={"id":"u1","ps":"ab","name":"ann"}`, `su2={"id":"u2","ps":"c","name":"bob"}`, `su3={"id":"u3","ps":"","name":"cy"}`,
		}},
		{inclQuery(inclPosts+`,"where":[`+inclCorr+`],"orderBy":[{"expr":`+inclRef("p", "likes")+`}],"limit":1`, "array", inclRef("p", "title")), []string{
			`su1={"id":"u1","ps":["b"],"name":"ann"}`, `su2={"id":"u2","ps":["c"],"name":"bob"}`, `su3={"id":"u3","ps":[],"name":"cy"}`,
		}},
		{includeQueries[4], []string{
			`su1={"id":"u1","ps":{"t":"a"},"name":"ann"}`, `su2={"id":"u2","ps":{"t":"c"},"name":"bob"}`, `su3={"id":"u3","name":"cy"}`,
		}},
		{includeQueries[5], []string{
			`su1={"id":"u1","ps":[{"t":"a","who":"ann"},{"t":"b","who":"ann"}],"name":"ann"}`,
			`su2={"id":"u2","ps":[{"t":"c","who":"bob"}],"name":"bob"}`,
			`su3={"id":"u3","ps":[],"name":"cy"}`,
		}},
	}
	for i, tc := range tests {
		lq, err := Compile(mustQuery(t, tc.q), Options{})
		require.NoError(t, err)
		lq.Load(inclDB(t).reader())
		require.Equal(t, tc.want, result(lq), "query %d", i)
	}
}

// TestIncludesChildChangeTouchesItsParent: a post's change updates the
// row of its user only.
func TestIncludesChildChangeTouchesItsParent(t *testing.T) {
	d := inclDB(t)
	lq, err := Compile(mustQuery(t, includeQueries[0]), Options{})
	require.NoError(t, err)
	lq.Load(d.reader())
	d["posts"].Begin()
	d["posts"].Put("p5", value.MustParse(`{"id":"p5","userId":"u2","title":"e","likes":0}`))
	ch := lq.Apply("posts", d["posts"].End(true))
	require.Len(t, ch, 1)
	require.Equal(t, ivm.Update, ch[0].Type)
	require.Equal(t, `{"id":"u2","ps":[{"t":"c","l":7},{"t":"e","l":0}],"name":"bob"}`, ch[0].Value.String())
	// A post of no user changes nothing.
	d["posts"].Begin()
	d["posts"].Put("p6", value.MustParse(`{"id":"p6","userId":"u9","title":"f","likes":0}`))
	require.Empty(t, lq.Apply("posts", d["posts"].End(true)))
}

func TestIncludesErrors(t *testing.T) {
	tests := []struct{ q, kind, reason string }{
		{inclQuery(inclPosts+`,"where":[{"type":"func","name":"gt","args":[`+inclRef("p", "likes")+`,`+inclRef("u", "age")+`]}]`, "array", ""), "", "must have a where clause with an eq()"},
		{inclQuery(inclPosts+`,"where":[`+inclCorr+`]`, "concat", ""), "", "requires the subquery to select a scalar value"},
		{inclQuery(inclPosts+`,"where":[`+inclCorr+`]`, "collection", inclRef("p", "id")), "", "must select an object"},
		{`{` + inclUsers + `,"groupBy":[` + inclRef("u", "team") + `],"select":[{"field":"t","expr":` + inclRef("u", "team") + `},{"field":"ps","include":{"query":{` + inclPosts + `,"where":[` + inclCorr + `]}}}]}`, "NonAggregateExpressionNotInGroupByError", "ps"},
		{inclQuery(inclPosts+`,"where":[`+inclCorr+`],"limit":1`, "array", ""), "LimitOffsetRequireOrderByError", "orderBy"},
	}
	for _, tc := range tests {
		_, err := Compile(mustQuery(t, tc.q), Options{})
		require.Error(t, err, tc.q)
		e, ok := err.(*ir.Error)
		require.True(t, ok, "%T", err)
		require.Equal(t, tc.kind, e.Kind)
		require.Contains(t, e.Error(), tc.reason)
	}
}
