package ir

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseUnion(t *testing.T) {
	q, err := Parse([]byte(`{"from": {"union": [{"alias": "a", "collection": "users"}, {"alias": "b", "query": {"from": {"alias": "x", "collection": "posts"}}}]}}`))
	require.NoError(t, err)
	require.True(t, q.From.IsUnion())
	require.Len(t, q.From.Union, 2)
	assert.Equal(t, Source{Alias: "a", Collection: "users"}, q.From.Union[0])
	assert.Equal(t, "posts", q.From.Union[1].Query.From.Collection)
	assert.Empty(t, q.From.Alias)

	q, err = Parse([]byte(`{"from": {"unionAll": [{"from": {"alias": "a", "collection": "users"}}, {"from": {"alias": "b", "collection": "posts"}, "limit": 3}]}, "where": [{"type": "ref", "path": ["active"]}]}`))
	require.NoError(t, err)
	require.Len(t, q.From.Branches, 2)
	assert.Equal(t, "users", q.From.Branches[0].From.Collection)
	assert.Equal(t, 3, q.From.Branches[1].Limit)
	assert.False(t, Source{Alias: "a", Collection: "users"}.IsUnion())
}

func TestParseUnionErrors(t *testing.T) {
	for _, c := range []struct{ json, want string }{
		{`{"from": {"union": [{"alias": "a", "collection": "users"}]}}`, "two or more sources"},
		{`{"from": {"union": {"alias": "a", "collection": "users"}}}`, "two or more sources"},
		{`{"from": {"unionAll": []}}`, "one or more queries"},
		{`{"from": {"union": [], "unionAll": []}}`, "not both"},
		{`{"from": {"union": [{"alias": "a", "collection": "users"}, {"alias": "b", "collection": "posts"}], "alias": "u"}}`, `no member "alias"`},
		{`{"from": {"union": [{"alias": "a", "collection": "users"}, {"alias": "b"}]}}`, `source "b" needs a collection or a query`},
		{`{"from": {"unionAll": [{"from": {"alias": "a", "collection": "users"}}, {"limit": 1}]}}`, "unionAll query 1: from: a query needs a from"},
		{`{"from": {"alias": "a", "collection": "users"}, "join": [{"source": {"union": [{"alias": "b", "collection": "posts"}, {"alias": "c", "collection": "posts"}]}, "on": {"type": "val", "value": true}}]}`, "a source needs a non-empty string alias"},
	} {
		_, err := Parse([]byte(c.json))
		require.Error(t, err, c.json)
		assert.ErrorIs(t, err, ErrInvalidQuery)
		assert.Contains(t, err.Error(), c.want, c.json)
	}
}
