package query

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/streamdb/streamdb/core/collection"
	"github.com/streamdb/streamdb/core/value"
)

func TestAliasReads(t *testing.T) {
	for _, tc := range []struct {
		name, query string
		want        map[string][]string // alias → fields; absent: whole rows
	}{
		{"no select reads the row whole",
			`{"from":{"alias":"u","collection":"users"},"where":[{"type":"func","name":"eq","args":[{"type":"ref","path":["u","active"]},{"type":"val","value":true}]}]}`,
			map[string][]string{}},
		{"join, where and select",
			`{"from":{"alias":"m","collection":"messages"},"join":[{"type":"inner","source":{"alias":"u","collection":"users"},"on":{"type":"func","name":"eq","args":[{"type":"ref","path":["m","userId"]},{"type":"ref","path":["u","id"]}]}}],"where":[{"type":"func","name":"gt","args":[{"type":"ref","path":["m","likes"]},{"type":"val","value":1}]}],"select":[{"field":"t","expr":{"type":"ref","path":["m","text"]}},{"field":"n","expr":{"type":"func","name":"upper","args":[{"type":"ref","path":["u","name","first"]}]}}]}`,
			map[string][]string{"m": {"likes", "text", "userId"}, "u": {"id", "name"}}},
		{"a spread reads the row whole",
			`{"from":{"alias":"u","collection":"users"},"select":[{"spread":["u"]},{"field":"x","expr":{"type":"val","value":1}}]}`,
			map[string][]string{}},
		{"a ref to the alias itself reads the row whole",
			`{"from":{"alias":"u","collection":"users"},"join":[{"type":"left","source":{"alias":"p","collection":"posts"},"on":{"type":"func","name":"eq","args":[{"type":"ref","path":["p","userId"]},{"type":"ref","path":["u","id"]}]}}],"select":[{"field":"has","expr":{"type":"func","name":"isUndefined","args":[{"type":"ref","path":["p"]}]}},{"field":"n","expr":{"type":"ref","path":["u","name"]}}]}`,
			map[string][]string{"u": {"id", "name"}}},
		{"group by, aggregates, having, orderBy on $selected",
			`{"from":{"alias":"p","collection":"posts"},"groupBy":[{"type":"ref","path":["p","userId"]}],"select":[{"field":"userId","expr":{"type":"ref","path":["p","userId"]}},{"field":"s","expr":{"type":"agg","name":"sum","args":[{"type":"ref","path":["p","likes"]}]}}],"having":[{"type":"func","name":"gt","args":[{"type":"agg","name":"count","args":[{"type":"ref","path":["p","id"]}]},{"type":"val","value":1}]}],"orderBy":[{"expr":{"type":"ref","path":["$selected","s"]}}]}`,
			map[string][]string{"p": {"id", "likes", "userId"}}},
		{"a nested select and orderBy",
			`{"from":{"alias":"u","collection":"users"},"select":[{"field":"o","select":[{"field":"a","expr":{"type":"ref","path":["u","age"]}}]}],"orderBy":[{"expr":{"type":"ref","path":["u","name"]}}],"limit":3}`,
			map[string][]string{"u": {"age", "name"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := map[string][]string{}
			for a, f := range aliasReads(mustQuery(t, tc.query)) {
				got[a] = slices.Sorted(slices.Values(f))
			}
			require.Equal(t, tc.want, got)
		})
	}
}

// An update that leaves every field a query reads as it was is dropped
// before the query's graph: the join is not pushed the user's pairs again,
// and the result does not change; an update of a field it reads is not.
func TestUnreadUpdateIsDropped(t *testing.T) {
	users := collection.New("users", "user", "id")
	posts := collection.New("posts", "post", "id")
	d := db{"users": users, "posts": posts}
	users.Begin()
	users.Put("u1", value.MustParse(`{"id":"u1","name":"ann","active":true}`))
	users.End(false)
	posts.Begin()
	for _, k := range []string{"p1", "p2", "p3"} {
		posts.Put(k, value.MustParse(`{"id":"`+k+`","userId":"u1","title":"t `+k+`"}`))
	}
	posts.End(false)
	q := mustQuery(t, `{"from":{"alias":"p","collection":"posts"},"join":[{"type":"inner","source":{"alias":"u","collection":"users"},"on":{"type":"func","name":"eq","args":[{"type":"ref","path":["p","userId"]},{"type":"ref","path":["u","id"]}]}}],"select":[{"field":"title","expr":{"type":"ref","path":["p","title"]}},{"field":"who","expr":{"type":"ref","path":["u","name"]}}]}`)
	lq, err := Compile(q, Options{})
	require.NoError(t, err)
	lq.Load(d.reader())
	var userLeaf *leaf
	for _, l := range lq.leaves["users"] {
		userLeaf = l
	}
	require.Equal(t, []string{"id", "name"}, slices.Sorted(slices.Values(userLeaf.reads)))

	update := func(v string) *Step {
		users.Begin()
		users.Put("u1", value.MustParse(v))
		return NewStep(map[string][]collection.Change{"users": users.End(true)})
	}
	// active is not read: nothing reaches the join.
	s := update(`{"id":"u1","name":"ann","active":false}`)
	require.Len(t, s.batch("users"), 2)
	require.Empty(t, s.batchFor("users", userLeaf.reads))
	require.Empty(t, lq.ApplyStep(s))
	// name is read: the three pairs change.
	s = update(`{"id":"u1","name":"bob","active":false}`)
	require.Len(t, s.batchFor("users", userLeaf.reads), 2)
	require.Len(t, lq.ApplyStep(s), 3)
	fresh, err := Compile(q, Options{})
	require.NoError(t, err)
	fresh.Load(d.reader())
	require.Equal(t, result(fresh), result(lq))
}
