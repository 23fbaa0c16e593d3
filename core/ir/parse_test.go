package ir

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseFullQuery(t *testing.T) {
	q, err := Parse([]byte(`{
	  "from": {"alias": "m", "collection": "messages"},
	  "join": [{"type": "inner", "source": {"alias": "u", "query": {"from": {"alias": "uu", "collection": "users"}}},
	            "on": {"type": "func", "name": "eq", "args": [{"type": "ref", "path": ["m", "userId"]}, {"type": "ref", "path": ["u", "id"]}]}}],
	  "where": [{"type": "func", "name": "gt", "args": [{"type": "ref", "path": ["m", "ts"]}, {"type": "val", "value": 10}]}],
	  "select": [{"field": "text", "expr": {"type": "ref", "path": ["m", "text"]}},
	             {"field": "author", "select": [{"spread": ["u"]}]},
	             {"field": "n", "expr": {"type": "agg", "name": "count", "args": [{"type": "ref", "path": ["m", "id"]}]}}],
	  "groupBy": [{"type": "ref", "path": ["m", "text"]}],
	  "having": [{"type": "val", "value": true}],
	  "orderBy": [{"expr": {"type": "ref", "path": ["m", "ts"]}, "direction": "desc", "nulls": "last", "stringSort": "lexical"},
	              {"expr": {"type": "val"}, "locale": "de", "localeOptions": {"numeric": true}}],
	  "limit": 50, "offset": 5, "distinct": true, "findOne": false
	}`))
	require.NoError(t, err)
	assert.Equal(t, Source{Alias: "m", Collection: "messages"}, q.From)
	require.Len(t, q.Joins, 1)
	assert.Equal(t, Inner, q.Joins[0].Type)
	assert.Equal(t, "users", q.Joins[0].Source.Query.From.Collection)
	assert.Equal(t, "eq", q.Joins[0].On.Name)
	assert.Equal(t, []string{"m", "userId"}, q.Joins[0].On.Args[0].Path)
	require.Len(t, q.Where, 1)
	assert.Equal(t, Val, q.Where[0].Args[1].Kind)
	assert.Equal(t, "10", q.Where[0].Args[1].Value.String())
	require.Len(t, q.Select, 3)
	assert.Equal(t, []string{"u"}, q.Select[1].Select[0].Spread)
	assert.Equal(t, Agg, q.Select[2].Expr.Kind)
	require.Len(t, q.OrderBy, 2)
	assert.True(t, q.OrderBy[0].Desc && q.OrderBy[0].NullsLast && q.OrderBy[0].Lexical)
	assert.True(t, q.OrderBy[1].Expr.Value.IsUndefined(), "a val without value is undefined")
	assert.Equal(t, "de", q.OrderBy[1].Locale)
	assert.Equal(t, 50, q.Limit)
	assert.Equal(t, 5, q.Offset)
	assert.True(t, q.Distinct)
	assert.False(t, q.FindOne)
}

func TestParseDefaults(t *testing.T) {
	q, err := Parse([]byte(`{"from":{"alias":"u","collection":"users"},"join":[{"source":{"alias":"p","collection":"posts"},"on":{"type":"func","name":"eq","args":[]}}],"select":[]}`))
	require.NoError(t, err)
	assert.Equal(t, -1, q.Limit)
	assert.Equal(t, -1, q.Offset)
	assert.Equal(t, Left, q.Joins[0].Type, "TanStack's default join type is left")
	assert.NotNil(t, q.Select, "an empty select is a select")
	q, err = Parse([]byte(`{"from":{"alias":"u","collection":"users"}}`))
	require.NoError(t, err)
	assert.Nil(t, q.Select)
}

func TestParseErrors(t *testing.T) {
	from := `"from":{"alias":"u","collection":"users"}`
	tests := []struct{ in, clause, reason string }{
		{`{`, "query", "malformed JSON"},
		{`[]`, "query", "want an object"},
		{`{}`, "from", "needs a from"},
		{`{` + from + `,"wher":[]}`, "query", `unknown member "wher"`},
		{`{"from":{"collection":"users"}}`, "from", "alias"},
		{`{"from":{"alias":"$x","collection":"users"}}`, "from", "reserved"},
		{`{"from":{"alias":"u"}}`, "from", "needs a collection or a query"},
		{`{"from":{"alias":"u","collection":"a","query":{}}}`, "from", "both"},
		{`{"from":{"alias":"u","query":{"from":{"alias":"v"}}}}`, "from", `subquery "u": from`},
		{`{` + from + `,"join":{}}`, "join", "want an array"},
		{`{` + from + `,"join":[{"type":"cross","source":{"alias":"p","collection":"posts"},"on":{"type":"val","value":1}}]}`, "join", "unknown join type"},
		{`{` + from + `,"join":[{"type":"inner","source":{"alias":"p","collection":"posts"}}]}`, "join", "needs an on"},
		{`{` + from + `,"where":[1]}`, "where", "must be an object"},
		{`{` + from + `,"where":[{"type":"nope"}]}`, "where", "unknown expression type"},
		{`{` + from + `,"where":[{"type":"ref","path":[]}]}`, "where", "non-empty path"},
		{`{` + from + `,"where":[{"type":"ref","path":[1]}]}`, "where", "must be strings"},
		{`{` + from + `,"where":[{"type":"func","args":[]}]}`, "where", "needs a name"},
		{`{` + from + `,"where":[{"type":"func","name":"eq","args":{}}]}`, "where", "args must be an array"},
		{`{` + from + `,"select":{}}`, "select", "want an array"},
		{`{` + from + `,"select":[{"expr":{"type":"val","value":1}}]}`, "select", "needs a string field"},
		{`{` + from + `,"where":[{"type":"val","number":"nan"}]}`, "where", `"NaN", "Infinity" or "-Infinity"`},
		{`{` + from + `,"select":[{"field":"a"}]}`, "select", "exactly one of expr and select"},
		{`{` + from + `,"select":[{"spread":[]}]}`, "select", "spread needs"},
		{`{` + from + `,"orderBy":[{"expr":{"type":"val","value":1},"direction":"up"}]}`, "orderBy", "asc or desc"},
		{`{` + from + `,"orderBy":[{"expr":{"type":"val","value":1},"nulls":"middle"}]}`, "orderBy", "first or last"},
		{`{` + from + `,"orderBy":[{"expr":{"type":"val","value":1},"stringSort":"custom"}]}`, "orderBy", "locale or lexical"},
		{`{` + from + `,"orderBy":[{"expr":{"type":"val","value":1},"locale":1}]}`, "orderBy", "locale must be a string"},
		{`{` + from + `,"limit":-1}`, "limit", "non-negative integer"},
		{`{` + from + `,"offset":1.5}`, "offset", "non-negative integer"},
		{`{` + from + `,"distinct":1}`, "distinct", "true or false"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			_, err := Parse([]byte(tc.in))
			require.Error(t, err)
			var e *Error
			require.True(t, errors.As(err, &e), "error %v is not an *ir.Error", err)
			assert.Equal(t, tc.clause, e.Clause)
			assert.Contains(t, e.Reason, tc.reason)
			assert.True(t, errors.Is(err, ErrInvalidQuery))
			assert.True(t, strings.HasPrefix(err.Error(), "invalid query: "+tc.clause+": "))
		})
	}
}

// Expressions, objects of fields and subqueries nested past maxDepth give
// an *Error naming the clause (the parser recurses; it must not overflow
// the stack on any input), and maxDepth levels still parse.
func TestParseDepthLimit(t *testing.T) {
	nest := func(n int, inner, open, close string) string {
		return strings.Repeat(open, n) + inner + strings.Repeat(close, n)
	}
	where := func(n int) string {
		return `{"from":{"alias":"u","collection":"c"},"where":[` +
			nest(n, `{"type":"val","value":1}`, `{"type":"func","name":"not","args":[`, `]}`) + `]}`
	}
	sel := func(n int) string {
		return `{"from":{"alias":"u","collection":"c"},"select":` +
			nest(n, `[{"field":"a","expr":{"type":"val","value":1}}]`, `[{"field":"a","select":`, `}]`) + `}`
	}
	sub := func(n int) string {
		return nest(n, `{"from":{"alias":"u","collection":"c"}}`, `{"from":{"alias":"u","query":`, `}}`)
	}
	for _, tc := range []struct {
		name   string
		query  func(int) string
		clause string
	}{
		{"expression", where, "where"},
		{"select", sel, "select"},
		{"subquery", sub, "from"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.query(maxDepth - 2)))
			require.NoError(t, err, "within the bound")
			_, err = Parse([]byte(tc.query(maxDepth + 10)))
			var e *Error
			require.True(t, errors.As(err, &e), "error %v is not an *ir.Error", err)
			assert.Equal(t, tc.clause, e.Clause)
			assert.Contains(t, e.Reason, "nested too deeply (more than 200 levels)")
		})
	}
}

// FuzzParse checks that no input makes Parse panic, and that what it
// accepts has a from.
func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"from":{"alias":"u","collection":"users"},"where":[{"type":"func","name":"eq","args":[{"type":"ref","path":["u","id"]},{"type":"val","value":"1"}]}],"select":[{"field":"a","expr":{"type":"ref","path":["u","a"]}},{"spread":["u"]}],"orderBy":[{"expr":{"type":"ref","path":["u","a"]},"direction":"desc"}],"limit":3}`))
	f.Add([]byte(`{"from":{"alias":"x","query":{"from":{"alias":"u","collection":"users"},"groupBy":[{"type":"ref","path":["u","t"]}]}},"join":[{"type":"full","source":{"alias":"p","collection":"p"},"on":{"type":"val"}}]}`))
	f.Add([]byte(`{"from":1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		q, err := Parse(data)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v is not an *ir.Error", err)
			}
			return
		}
		if q.From.Alias == "" || (q.From.Collection == "") == (q.From.Query == nil) {
			t.Fatalf("accepted a query without a proper from: %+v", q.From)
		}
	})
}

// NaN and ±Infinity constants come by name, JSON having no literal for them.
func TestNonFiniteConstants(t *testing.T) {
	for name, want := range map[string]float64{"NaN": math.NaN(), "Infinity": math.Inf(1), "-Infinity": math.Inf(-1)} {
		q, err := Parse([]byte(`{"from":{"alias":"p","collection":"posts"},"where":[{"type":"val","number":"` + name + `"}]}`))
		if err != nil {
			t.Fatal(err)
		}
		got, ok := q.Where[0].Value.Num()
		if !ok || !(got == want || got != got && want != want) {
			t.Fatalf("%s: got %v", name, q.Where[0].Value)
		}
	}
}
