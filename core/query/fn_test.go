package query

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamdb/streamdb/core/collection"
	"github.com/streamdb/streamdb/core/ir"
	"github.com/streamdb/streamdb/core/value"
)

// num reads a number field of a row's alias; ok is false for anything
// else.
func num(row value.Value, alias, field string) (float64, bool) {
	return row.Get(alias).Get(field).Num()
}

// testFns are Go callbacks standing for JS ones, by index.
var testFns = FuncList{
	// 0: fn.where: posts with more than 1 like (a number).
	func(row value.Value) (value.Value, error) {
		n, ok := num(row, "p", "likes")
		return value.Bool(ok && n > 1), nil
	},
	// 1: fn.where returning the field itself: only true passes.
	func(row value.Value) (value.Value, error) { return row.Get("u").Get("active"), nil },
	// 2: fn.select: a new object from the row.
	func(row value.Value) (value.Value, error) {
		var b value.ObjectBuilder
		b.Add("id", row.Get("p").Get("id"))
		n, _ := num(row, "p", "likes")
		b.Add("twice", value.Number(2*n))
		b.Add("user", row.Get("u").Get("name"))
		return b.Build(), nil
	},
	// 3: fn.having of a grouped query: groups of more than one post.
	func(row value.Value) (value.Value, error) {
		n, _ := row.Get("$selected").Get("n").Num()
		return value.Bool(n > 1), nil
	},
	// 4: fn.having of an ungrouped query: a truthy selected field.
	func(row value.Value) (value.Value, error) { return row.Get("$selected").Get("likes"), nil },
	// 5: fn.having over a groupBy without select: a string key.
	func(row value.Value) (value.Value, error) {
		_, ok := row.Get("$selected").Get("__key_0").Str()
		return value.Bool(ok), nil
	},
	// 6: fn.select of one alias: its team.
	func(row value.Value) (value.Value, error) {
		var b value.ObjectBuilder
		b.Add("team", row.Get("u").Get("team"))
		return b.Build(), nil
	},
	// 7: fn.where: the unmatched side of an outer join has no member.
	func(row value.Value) (value.Value, error) { return value.Bool(row.Get("u").IsUndefined()), nil },
	// 8: fn.having of an ungrouped query: a truthy team.
	func(row value.Value) (value.Value, error) { return row.Get("$selected").Get("team"), nil },
	// 9: fn.where over a subquery's row and a joined one.
	func(row value.Value) (value.Value, error) { return value.Bool(!row.Get("v").IsUndefined()), nil },
	// 10: unused.
	func(row value.Value) (value.Value, error) { return value.Value{}, nil },
	// 11: fn.select of users (alias vv) with name and team.
	func(row value.Value) (value.Value, error) {
		var b value.ObjectBuilder
		b.Add("name", row.Get("vv").Get("name"))
		b.Add("team", row.Get("vv").Get("team"))
		return b.Build(), nil
	},
}

const (
	fnPosts = `"from":{"alias":"p","collection":"posts"}`
	fnUsers = `"from":{"alias":"u","collection":"users"}`
	fnJoin  = `"join":[{"type":"left","source":{"alias":"u","collection":"users"},"on":{"type":"func","name":"eq","args":[{"type":"ref","path":["u","id"]},{"type":"ref","path":["p","userId"]}]}}]`
)

// fnQueries use every callback clause; each must stay equal to its
// recomputation.
var fnQueries = []string{
	`{` + fnPosts + `,"fnWhere":[0]}`,
	`{` + fnUsers + `,"where":[{"type":"func","name":"gte","args":[{"type":"ref","path":["u","age"]},{"type":"val","value":5}]}],"fnWhere":[1]}`,
	// The select reads no field the callback reads: an update of active
	// alone must still reach it.
	`{` + fnUsers + `,"select":[{"field":"id","expr":{"type":"ref","path":["u","id"]}}],"fnWhere":[1]}`,
	`{` + fnPosts + `,` + fnJoin + `,"fnWhere":[0],"fnSelect":2}`,
	`{` + fnPosts + `,` + fnJoin + `,"fnSelect":2,"orderBy":[{"expr":{"type":"ref","path":["$selected","twice"]},"direction":"desc"},{"expr":{"type":"ref","path":["p","id"]}}],"limit":3}`,
	`{` + fnPosts + `,` + fnJoin + `,"fnWhere":[7]}`,
	`{` + fnUsers + `,"fnSelect":6,"distinct":true}`,
	`{` + fnPosts + `,"select":[{"field":"id","expr":{"type":"ref","path":["p","id"]}},{"field":"likes","expr":{"type":"ref","path":["p","likes"]}}],"fnHaving":[4]}`,
	`{` + fnPosts + `,"fnHaving":[0]}`,
	`{` + fnPosts + `,"groupBy":[{"type":"ref","path":["p","userId"]}],"select":[{"field":"userId","expr":{"type":"ref","path":["p","userId"]}},{"field":"n","expr":{"type":"agg","name":"count","args":[{"type":"ref","path":["p","id"]}]}}],"fnHaving":[3]}`,
	`{` + fnPosts + `,"select":[{"field":"n","expr":{"type":"agg","name":"count","args":[{"type":"ref","path":["p","id"]}]}}],"fnHaving":[3]}`,
	`{` + fnPosts + `,"groupBy":[{"type":"ref","path":["p","userId"]}],"fnHaving":[5]}`,
	`{"from":{"alias":"x","query":{` + fnPosts + `,` + fnJoin + `,"fnWhere":[0],"fnSelect":2}},"join":[{"type":"left","source":{"alias":"v","query":{"from":{"alias":"vv","collection":"users"},"fnSelect":11}},"on":{"type":"func","name":"eq","args":[{"type":"ref","path":["x","user"]},{"type":"ref","path":["v","name"]}]}}],"fnWhere":[9]}`,
	`{` + fnUsers + `,"fnWhere":[1],"fnSelect":6,"fnHaving":[8],"orderBy":[{"expr":{"type":"ref","path":["u","age"]}}]}`,
}

// TestFnIncrementalMatchesRecompute runs random change batches through
// queries with callbacks and checks after every step that the live result
// and its change feed equal the result of the query compiled afresh.
func TestFnIncrementalMatchesRecompute(t *testing.T) {
	opts := Options{Funcs: testFns}
	for qi, qs := range fnQueries {
		t.Run(fmt.Sprint(qi), func(t *testing.T) {
			r := rand.New(rand.NewPCG(uint64(qi), 11))
			d := randDB(r)
			q := mustQuery(t, qs)
			first, err := Compile(q, opts)
			require.NoError(t, err)
			first.Load(d.reader())
			require.NoError(t, first.Err(), "the callbacks run without error")
			nonEmpty := checkIncremental(t, q, opts, r, d, 150)
			assert.Greater(t, nonEmpty, 50, "the query's result is mostly empty: it tests little")
		})
	}
}

// TestFnMatchesExpressions checks the callbacks' semantics against the
// same clauses written as expressions: fn.where is a where, fn.select a
// select, fn.having over a grouped query a having.
func TestFnMatchesExpressions(t *testing.T) {
	ref := func(p ...string) string { return `{"type":"ref","path":["` + strings.Join(p, `","`) + `"]}` }
	pairs := []struct{ fn, expr string }{
		{`{` + fnUsers + `,"fnWhere":[1]}`, `{` + fnUsers + `,"where":[` + ref("u", "active") + `]}`},
		{`{` + fnUsers + `,"fnSelect":6,"orderBy":[{"expr":` + ref("$selected", "team") + `},{"expr":` + ref("u", "id") + `}]}`,
			`{` + fnUsers + `,"select":[{"field":"team","expr":` + ref("u", "team") + `}],"orderBy":[{"expr":` + ref("u", "team") + `},{"expr":` + ref("u", "id") + `}]}`},
		{`{` + fnPosts + `,"groupBy":[` + ref("p", "userId") + `],"select":[{"field":"userId","expr":` + ref("p", "userId") + `},{"field":"n","expr":{"type":"agg","name":"count","args":[` + ref("p", "id") + `]}}],"fnHaving":[3]}`,
			`{` + fnPosts + `,"groupBy":[` + ref("p", "userId") + `],"select":[{"field":"userId","expr":` + ref("p", "userId") + `},{"field":"n","expr":{"type":"agg","name":"count","args":[` + ref("p", "id") + `]}}],"having":[{"type":"func","name":"gt","args":[` + ref("$selected", "n") + `,{"type":"val","value":1}]}]}`},
	}
	r := rand.New(rand.NewPCG(3, 3))
	d := randDB(r)
	for i, pc := range pairs {
		a, err := Compile(mustQuery(t, pc.fn), Options{Funcs: testFns})
		require.NoError(t, err)
		b, err := Compile(mustQuery(t, pc.expr), Options{})
		require.NoError(t, err)
		a.Load(d.reader())
		b.Load(d.reader())
		for s := range 60 {
			name, ch := step(r, d)
			a.Apply(name, ch)
			b.Apply(name, ch)
			require.Equal(t, result(b), result(a), "pair %d step %d", i, s)
		}
	}
}

// TestFnRows checks the rows the callbacks get: the namespaced row, the
// missing side of a left join left out, $selected after the select, and a
// grouped query's {$selected}.
func TestFnRows(t *testing.T) {
	d := db{"users": collection.New("users", "user", "id"), "posts": collection.New("posts", "post", "id")}
	d["users"].Begin()
	d["users"].Put("u1", value.MustParse(`{"id":"u1","name":"ann"}`))
	d["users"].End(false)
	d["posts"].Begin()
	d["posts"].Put("p1", value.MustParse(`{"id":"p1","userId":"u1","likes":2}`))
	d["posts"].Put("p2", value.MustParse(`{"id":"p2","userId":"u9","likes":3}`))
	d["posts"].End(false)
	var seen []string
	record := func(ret value.Value) func(value.Value) (value.Value, error) {
		return func(row value.Value) (value.Value, error) {
			seen = append(seen, row.String())
			return ret, nil
		}
	}
	fns := FuncList{record(value.Bool(true)), record(value.MustParse(`{"x":1}`)), record(value.Number(1))}
	cases := []struct {
		q    string
		want []string
	}{
		{`{` + fnPosts + `,` + fnJoin + `,"fnWhere":[0]}`, []string{
			`{"p":{"id":"p1","userId":"u1","likes":2},"u":{"id":"u1","name":"ann"}}`,
			`{"p":{"id":"p2","userId":"u9","likes":3}}`}},
		{`{` + fnPosts + `,"select":[{"field":"l","expr":{"type":"ref","path":["p","likes"]}}],"fnHaving":[2]}`, []string{
			`{"p":{"id":"p1","userId":"u1","likes":2},"$selected":{"l":2}}`,
			`{"p":{"id":"p2","userId":"u9","likes":3},"$selected":{"l":3}}`}},
		{`{` + fnPosts + `,"fnHaving":[2]}`, []string{
			`{"p":{"id":"p1","userId":"u1","likes":2},"$selected":{"id":"p1","userId":"u1","likes":2}}`,
			`{"p":{"id":"p2","userId":"u9","likes":3},"$selected":{"id":"p2","userId":"u9","likes":3}}`}},
		{`{` + fnPosts + `,"groupBy":[{"type":"ref","path":["p","userId"]}],"select":[{"field":"n","expr":{"type":"agg","name":"count","args":[{"type":"ref","path":["p","id"]}]}}],"fnHaving":[0]}`, []string{
			`{"$selected":{"n":1}}`, `{"$selected":{"n":1}}`}},
		{`{` + fnPosts + `,"groupBy":[{"type":"ref","path":["p","userId"]}],"fnHaving":[0]}`, []string{
			`{"$selected":{"__key_0":"u1"}}`, `{"$selected":{"__key_0":"u9"}}`}},
	}
	for _, tc := range cases {
		seen = nil
		lq, err := Compile(mustQuery(t, tc.q), Options{Funcs: fns})
		require.NoError(t, err)
		lq.Load(d.reader())
		assert.Subset(t, seen, tc.want, tc.q)
	}
	// fn.select's value is the result row.
	lq, err := Compile(mustQuery(t, `{`+fnPosts+`,"fnSelect":1}`), Options{Funcs: fns})
	require.NoError(t, err)
	lq.Load(d.reader())
	assert.Equal(t, []string{`sp1={"x":1}`, `sp2={"x":1}`}, result(lq))
}

// TestFnSelectCalls: at the top level, fn.select is not called for a
// row's removal (an update calls it once), and fn.where once per delta.
func TestFnSelectCalls(t *testing.T) {
	d := db{"posts": collection.New("posts", "post", "id")}
	d["posts"].Begin()
	d["posts"].Put("p1", value.MustParse(`{"id":"p1","likes":2}`))
	d["posts"].End(false)
	calls := 0
	fns := FuncList{func(row value.Value) (value.Value, error) {
		calls++
		return row.Get("p"), nil
	}}
	lq, err := Compile(mustQuery(t, `{`+fnPosts+`,"fnSelect":0}`), Options{Funcs: fns})
	require.NoError(t, err)
	lq.Load(d.reader())
	require.Equal(t, 1, calls)
	d["posts"].Begin()
	d["posts"].Put("p1", value.MustParse(`{"id":"p1","likes":3}`))
	ch := lq.Apply("posts", d["posts"].End(true))
	assert.Equal(t, 2, calls, "an update calls fn.select once")
	require.Len(t, ch, 1)
	assert.Equal(t, `{"id":"p1","likes":3}`, ch[0].Value.String())
}

// TestFnFailure: a callback that fails fails the first result, or stops
// its query at a later step with the result it had; a query sharing the
// step goes on.
func TestFnFailure(t *testing.T) {
	boom := errors.New("boom")
	fns := FuncList{func(row value.Value) (value.Value, error) {
		if n, _ := num(row, "p", "likes"); n == 13 {
			return value.Value{}, boom
		}
		return value.Bool(true), nil
	}}
	d := db{"posts": collection.New("posts", "post", "id")}
	d["posts"].Begin()
	d["posts"].Put("p1", value.MustParse(`{"id":"p1","likes":2}`))
	d["posts"].End(false)

	q := mustQuery(t, `{`+fnPosts+`,"fnWhere":[0],"orderBy":[{"expr":{"type":"ref","path":["p","likes"]}}]}`)
	lq, err := Compile(q, Options{Funcs: fns})
	require.NoError(t, err)
	lq.Load(d.reader())
	other, err := Compile(mustQuery(t, `{`+fnPosts+`}`), Options{})
	require.NoError(t, err)
	other.Load(d.reader())

	d["posts"].Begin()
	d["posts"].Put("p2", value.MustParse(`{"id":"p2","likes":5}`))
	d["posts"].Put("p3", value.MustParse(`{"id":"p3","likes":13}`))
	step := NewStep(map[string][]collection.Change{"posts": d["posts"].End(true)})
	assert.Nil(t, lq.ApplyStep(step))
	assert.Len(t, other.ApplyStep(step), 2, "the other query applies the step")
	var ce *CallbackError
	require.ErrorAs(t, lq.Err(), &ce)
	assert.Equal(t, "fn.where", ce.Clause)
	assert.ErrorIs(t, lq.Err(), boom)
	assert.Equal(t, []string{`sp1={"id":"p1","likes":2}`}, result(lq), "the result before the step")

	d["posts"].Begin()
	d["posts"].Remove("p3")
	assert.Nil(t, lq.Apply("posts", d["posts"].End(true)), "a stopped query applies nothing")
	assert.Equal(t, []string{`sp1={"id":"p1","likes":2}`}, result(lq))

	// The first result: the error is the query's.
	lq2, err := Compile(q, Options{Funcs: fns})
	require.NoError(t, err)
	d["posts"].Begin()
	d["posts"].Put("p3", value.MustParse(`{"id":"p3","likes":13}`))
	d["posts"].End(true)
	lq2.Load(d.reader())
	require.ErrorIs(t, lq2.Err(), boom)
	assert.Equal(t, 0, lq2.Len())
}

func TestFnCompileErrors(t *testing.T) {
	tests := []struct{ q, clause, kind, reason string }{
		{`{` + fnPosts + `,"groupBy":[{"type":"ref","path":["p","userId"]}],"fnSelect":0}`, "fn.select", "FnSelectWithGroupByError", "groupBy"},
		{`{` + fnPosts + `,"fnWhere":[3]}`, "fn.where", "", "callback 3 does not exist"},
		{`{` + fnPosts + `,"select":[],"fnSelect":0}`, "fn.select", "", "either a select or an fn.select"},
		{`{` + fnPosts + `,"fnSelect":0,"having":[{"type":"val","value":true}]}`, "having", "HavingRequiresGroupByError", "needs a groupBy"},
	}
	for _, tc := range tests {
		_, err := Compile(mustQuery(t, tc.q), Options{Funcs: FuncList{nil}})
		var e *ir.Error
		require.ErrorAs(t, err, &e, tc.q)
		assert.Equal(t, tc.clause, e.Clause)
		assert.Equal(t, tc.kind, e.Kind)
		assert.Contains(t, e.Reason, tc.reason)
	}
	_, err := Compile(mustQuery(t, `{`+fnPosts+`,"fnHaving":[0]}`), Options{})
	assert.ErrorContains(t, err, "nothing runs callbacks")
}
