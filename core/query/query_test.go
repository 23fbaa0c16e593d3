package query

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamdb/streamdb/core/collection"
	"github.com/streamdb/streamdb/core/ir"
	"github.com/streamdb/streamdb/core/ivm"
	"github.com/streamdb/streamdb/core/value"
)

// mustQuery parses the JSON form of a query.
func mustQuery(t testing.TB, s string) *ir.Query {
	t.Helper()
	q, err := ir.Parse([]byte(s))
	require.NoError(t, err, s)
	return q
}

// db is a set of collections for tests.
type db map[string]*collection.Collection

func (d db) reader() Reader {
	return func(name string, fn func(string, value.Value) bool) { d[name].Range(fn) }
}

// result is a live query's current result in order, as "key=value" lines.
func result(lq *LiveQuery) []string {
	var out []string
	lq.Range(func(k, v value.Value) bool {
		out = append(out, ivm.KeyID(k)+"="+v.String())
		return true
	})
	return out
}

// applyChanges applies result changes to a result held as a map, checking
// that each change is consistent with what came before.
func applyChanges(t *testing.T, m map[string]string, ch []ivm.Change, ordered bool) {
	t.Helper()
	for _, c := range ch {
		id := ivm.KeyID(c.Key)
		old, had := m[id]
		switch c.Type {
		case ivm.Insert:
			require.False(t, had, "insert of present key %s", id)
			m[id] = c.Value.String()
		case ivm.Update:
			require.True(t, had, "update of absent key %s", id)
			require.Equal(t, old, c.Previous.String(), "update's previous value of %s", id)
			if !ordered { // an ordered result also reports rows that only moved
				require.NotEqual(t, old, c.Value.String(), "update of %s that changes nothing", id)
			}
			m[id] = c.Value.String()
		case ivm.Delete:
			require.True(t, had, "delete of absent key %s", id)
			delete(m, id)
		}
	}
}

func asMap(lines []string) map[string]string {
	m := map[string]string{}
	for _, l := range lines {
		k, v, _ := strings.Cut(l, "=")
		m[k] = v
	}
	return m
}

var names = []string{"ann", "Bob", "carl", "Dora", "eve", "Émile", "bob", ""}

func randUser(r *rand.Rand, id string) value.Value {
	var b value.ObjectBuilder
	b.Add("id", value.String(id))
	if r.IntN(8) > 0 {
		b.Add("name", value.String(names[r.IntN(len(names))]))
	} else if r.IntN(2) == 0 {
		b.Add("name", value.Null())
	}
	b.Add("age", mixed(r, float64(r.IntN(6)*5)))
	b.Add("active", value.Bool(r.IntN(2) == 0))
	if r.IntN(6) > 0 {
		b.Add("team", value.Number(float64(r.IntN(3))))
	}
	return b.Build()
}

func randPost(r *rand.Rand, id string) value.Value {
	var b value.ObjectBuilder
	b.Add("id", value.String(id))
	if r.IntN(10) > 0 {
		b.Add("userId", value.String(fmt.Sprintf("u%d", r.IntN(12))))
	} else {
		b.Add("userId", value.Null())
	}
	b.Add("likes", mixed(r, float64(r.IntN(7)-1)))
	b.Add("title", value.String(names[r.IntN(len(names))]+fmt.Sprint(r.IntN(3))))
	return b.Build()
}

// mixedValues are what a field holds when it is not the usual number:
// every kind TanStack's comparison meets in one column (numeric and other
// strings, booleans, null, NaN, arrays mixing kinds, objects).
var mixedValues = []value.Value{
	value.String("3"), value.String("10"), value.String("abc"), value.String(""), value.Bool(true),
	value.Bool(false), value.Null(), value.Number(math.NaN()), value.Number(math.Inf(-1)),
	value.MustParse(`[1,"a"]`), value.MustParse(`["a",1]`), value.MustParse(`[true]`), value.MustParse(`{"a":1}`),
}

// mixed returns n most of the time, and otherwise a value of another kind.
func mixed(r *rand.Rand, n float64) value.Value {
	if r.IntN(3) > 0 {
		return value.Number(n)
	}
	return mixedValues[r.IntN(len(mixedValues))]
}

// step makes a random batch of synced writes to one collection and
// returns its changes.
func step(r *rand.Rand, d db) (string, []collection.Change) {
	name := "users"
	gen := randUser
	prefix := "u"
	if r.IntN(2) == 0 {
		name, gen, prefix = "posts", randPost, "p"
	}
	c := d[name]
	c.Begin()
	for range 1 + r.IntN(4) {
		key := fmt.Sprintf("%s%d", prefix, r.IntN(12))
		switch r.IntN(4) {
		case 0:
			c.Remove(key)
		case 1:
			var b value.ObjectBuilder
			b.Add("likes", mixed(r, float64(r.IntN(5))))
			b.Add("active", value.Bool(r.IntN(2) == 0))
			c.Upsert(key, b.Build(), value.Merge)
		default:
			c.Put(key, gen(r, key))
		}
	}
	return name, c.End(true)
}

// testQueries cover every clause; each must stay equal to its recomputation.
var testQueries = []string{
	`{"from":{"alias":"u","collection":"users"},"where":[{"type":"func","name":"eq","args":[{"type":"ref","path":["u","active"]},{"type":"val","value":true}]}]}`,
	`{"from":{"alias":"u","collection":"users"},"select":[{"field":"n","expr":{"type":"func","name":"upper","args":[{"type":"ref","path":["u","name"]}]}},{"field":"o","select":[{"spread":["u"]},{"field":"age","expr":{"type":"val","value":1}}]}]}`,
	`{"from":{"alias":"p","collection":"posts"},"join":[{"type":"inner","source":{"alias":"u","collection":"users"},"on":{"type":"func","name":"eq","args":[{"type":"ref","path":["p","userId"]},{"type":"ref","path":["u","id"]}]}}],"select":[{"field":"title","expr":{"type":"ref","path":["p","title"]}},{"field":"userName","expr":{"type":"ref","path":["u","name"]}}]}`,
	`{"from":{"alias":"p","collection":"posts"},"join":[{"type":"left","source":{"alias":"u","collection":"users"},"on":{"type":"func","name":"eq","args":[{"type":"ref","path":["u","id"]},{"type":"ref","path":["p","userId"]}]}}]}`,
	`{"from":{"alias":"u","collection":"users"},"join":[{"type":"right","source":{"alias":"p","collection":"posts"},"on":{"type":"func","name":"eq","args":[{"type":"ref","path":["p","userId"]},{"type":"ref","path":["u","id"]}]}}],"where":[{"type":"func","name":"or","args":[{"type":"func","name":"isUndefined","args":[{"type":"ref","path":["u"]}]},{"type":"func","name":"gt","args":[{"type":"ref","path":["p","likes"]},{"type":"val","value":1}]}]}]}`,
	`{"from":{"alias":"u","collection":"users"},"join":[{"type":"full","source":{"alias":"p","collection":"posts"},"on":{"type":"func","name":"eq","args":[{"type":"ref","path":["p","userId"]},{"type":"ref","path":["u","id"]}]}},{"type":"left","source":{"alias":"v","collection":"users"},"on":{"type":"func","name":"eq","args":[{"type":"ref","path":["v","team"]},{"type":"ref","path":["u","team"]}]}}],"select":[{"field":"u","expr":{"type":"ref","path":["u","id"]}},{"field":"p","expr":{"type":"ref","path":["p","id"]}},{"field":"v","expr":{"type":"ref","path":["v","id"]}}]}`,
	`{"from":{"alias":"p","collection":"posts"},"groupBy":[{"type":"ref","path":["p","userId"]}],"select":[{"field":"userId","expr":{"type":"ref","path":["p","userId"]}},{"field":"n","expr":{"type":"agg","name":"count","args":[{"type":"ref","path":["p","id"]}]}},{"field":"s","expr":{"type":"agg","name":"sum","args":[{"type":"ref","path":["p","likes"]}]}},{"field":"a","expr":{"type":"agg","name":"avg","args":[{"type":"ref","path":["p","likes"]}]}},{"field":"lo","expr":{"type":"agg","name":"min","args":[{"type":"ref","path":["p","likes"]}]}},{"field":"hi","expr":{"type":"func","name":"add","args":[{"type":"agg","name":"max","args":[{"type":"ref","path":["p","likes"]}]},{"type":"val","value":1}]}}],"having":[{"type":"func","name":"gt","args":[{"type":"agg","name":"count","args":[{"type":"ref","path":["p","id"]}]},{"type":"val","value":1}]}]}`,
	`{"from":{"alias":"u","collection":"users"},"groupBy":[{"type":"ref","path":["u","team"]},{"type":"ref","path":["u","active"]}],"select":[{"field":"team","expr":{"type":"ref","path":["u","team"]}},{"field":"active","expr":{"type":"ref","path":["u","active"]}},{"field":"n","expr":{"type":"agg","name":"count","args":[{"type":"ref","path":["u","id"]}]}}],"orderBy":[{"expr":{"type":"ref","path":["$selected","n"]},"direction":"desc"}]}`,
	`{"from":{"alias":"u","collection":"users"},"select":[{"field":"n","expr":{"type":"agg","name":"count","args":[{"type":"ref","path":["u","id"]}]}},{"field":"s","expr":{"type":"agg","name":"sum","args":[{"type":"ref","path":["u","age"]}]}}]}`,
	`{"from":{"alias":"p","collection":"posts"},"orderBy":[{"expr":{"type":"ref","path":["p","likes"]},"direction":"desc"},{"expr":{"type":"ref","path":["p","title"]},"nulls":"last","stringSort":"lexical"}],"limit":3,"offset":1}`,
	`{"from":{"alias":"u","collection":"users"},"orderBy":[{"expr":{"type":"ref","path":["u","name"]}}]}`,
	// Mixed kinds in the sort columns, under a window (../shared/repro's
	// orderby-spin: these looped forever when the comparison was not an
	// order).
	`{"from":{"alias":"p","collection":"posts"},"orderBy":[{"expr":{"type":"ref","path":["p","likes"]},"direction":"desc"},{"expr":{"type":"ref","path":["p","userId"]}}],"limit":7,"offset":2}`,
	`{"from":{"alias":"u","collection":"users"},"join":[{"type":"left","source":{"alias":"p","collection":"posts"},"on":{"type":"func","name":"eq","args":[{"type":"ref","path":["u","age"]},{"type":"ref","path":["p","likes"]}]}}],"orderBy":[{"expr":{"type":"ref","path":["p","likes"]}},{"expr":{"type":"ref","path":["u","age"]},"direction":"desc","nulls":"last"}],"limit":5}`,
	`{"from":{"alias":"u","collection":"users"},"select":[{"field":"team","expr":{"type":"ref","path":["u","team"]}}],"distinct":true}`,
	`{"from":{"alias":"u","collection":"users"},"where":[{"type":"func","name":"like","args":[{"type":"ref","path":["u","name"]},{"type":"val","value":"%o%"}]}],"findOne":true}`,
	`{"from":{"alias":"x","query":{"from":{"alias":"p","collection":"posts"},"where":[{"type":"func","name":"gte","args":[{"type":"ref","path":["p","likes"]},{"type":"val","value":2}]}],"select":[{"field":"id","expr":{"type":"ref","path":["p","id"]}},{"field":"userId","expr":{"type":"ref","path":["p","userId"]}}]}},"join":[{"type":"inner","source":{"alias":"u","query":{"from":{"alias":"uu","collection":"users"},"orderBy":[{"expr":{"type":"ref","path":["uu","age"]}}],"limit":5}},"on":{"type":"func","name":"eq","args":[{"type":"ref","path":["x","userId"]},{"type":"ref","path":["u","id"]}]}}]}`,
	// Two subqueries read users: their selects see the same source rows
	// (neither may set Sel on them in place), one of them behind distinct.
	`{"from":{"alias":"t","query":{"from":{"alias":"a","collection":"users"},"select":[{"field":"team","expr":{"type":"ref","path":["a","team"]}}],"distinct":true}},"join":[{"type":"inner","source":{"alias":"m","query":{"from":{"alias":"b","collection":"users"},"select":[{"field":"team","expr":{"type":"ref","path":["b","team"]}},{"field":"who","expr":{"type":"ref","path":["b","id"]}}]}},"on":{"type":"func","name":"eq","args":[{"type":"ref","path":["t","team"]},{"type":"ref","path":["m","team"]}]}}]}`,
	`{"from":{"alias":"p","collection":"posts"},"join":[{"type":"inner","source":{"alias":"q","collection":"posts"},"on":{"type":"func","name":"and","args":[{"type":"func","name":"eq","args":[{"type":"ref","path":["p","userId"]},{"type":"ref","path":["q","userId"]}]},{"type":"func","name":"eq","args":[{"type":"ref","path":["p","likes"]},{"type":"ref","path":["q","likes"]}]}]}}],"select":[{"field":"a","expr":{"type":"ref","path":["p","id"]}},{"field":"b","expr":{"type":"ref","path":["q","id"]}}]}`,
}

// TestIncrementalMatchesRecompute runs random change batches through
// every test query and checks after every step that the live result equals
// the result of compiling the query afresh over the current collections,
// and that the change feed, applied to the previous result, gives it.
func TestIncrementalMatchesRecompute(t *testing.T) {
	for qi, qs := range testQueries {
		t.Run(fmt.Sprint(qi), func(t *testing.T) {
			r := rand.New(rand.NewPCG(uint64(qi), 7))
			checkIncremental(t, mustQuery(t, qs), Options{}, r, randDB(r), 150)
		})
	}
}

// randDB is the test collections with 8 random rows each.
func randDB(r *rand.Rand) db {
	d := db{"users": collection.New("users", "user", "id"), "posts": collection.New("posts", "post", "id")}
	for _, name := range []string{"users", "posts"} {
		d[name].Begin()
		for i := range 8 {
			k := fmt.Sprintf("%s%d", name[:1], i)
			if name == "users" {
				d[name].Put(k, randUser(r, k))
			} else {
				d[name].Put(k, randPost(r, k))
			}
		}
		d[name].End(false)
	}
	return d
}

// checkIncremental applies steps random change batches to d and requires
// after each that q's live result, and its change feed applied to the
// previous result, equal q compiled afresh. It returns how many steps had
// a result that was not empty.
func checkIncremental(t *testing.T, q *ir.Query, opts Options, r *rand.Rand, d db, steps int) (nonEmpty int) {
	t.Helper()
	lq, err := Compile(q, opts)
	require.NoError(t, err)
	lq.Load(d.reader())
	feed := asMap(result(lq))
	for s := range steps {
		name, ch := step(r, d)
		applyChanges(t, feed, lq.Apply(name, ch), lq.Ordered())
		fresh, err := Compile(q, opts)
		require.NoError(t, err)
		fresh.Load(d.reader())
		want := result(fresh)
		require.Equal(t, want, result(lq), "step %d", s)
		require.Equal(t, asMap(want), feed, "change feed after step %d", s)
		if len(want) > 0 {
			nonEmpty++
		}
	}
	return nonEmpty
}

func TestCompileErrors(t *testing.T) {
	from := `"from":{"alias":"u","collection":"users"}`
	ref := func(p ...string) string { return `{"type":"ref","path":["` + strings.Join(p, `","`) + `"]}` }
	tests := []struct{ q, clause, reason string }{
		{`{"from":{"alias":"u","collection":"nope"}}`, "from", `unknown collection "nope"`},
		{`{` + from + `,"limit":1}`, "limit", "needs an orderBy"},
		{`{` + from + `,"offset":1}`, "offset", "needs an orderBy"},
		{`{` + from + `,"join":[{"type":"inner","source":{"alias":"p","collection":"posts"},"on":{"type":"func","name":"gt","args":[` + ref("u", "id") + `,` + ref("p", "userId") + `]}}]}`, "join", "equality"},
		{`{` + from + `,"join":[{"type":"inner","source":{"alias":"p","collection":"posts"},"on":{"type":"func","name":"eq","args":[` + ref("u", "id") + `,` + ref("u", "x") + `]}}]}`, "join", "each side"},
		{`{` + from + `,"join":[{"type":"inner","source":{"alias":"u","collection":"posts"},"on":{"type":"func","name":"eq","args":[` + ref("u", "id") + `,` + ref("u", "x") + `]}}]}`, "join", `alias "u" is used twice`},
		{`{` + from + `,"where":[` + ref("x", "id") + `]}`, "where", `unknown alias "x"`},
		{`{` + from + `,"where":[{"type":"agg","name":"count","args":[` + ref("u", "id") + `]}]}`, "where", "aggregates are not allowed"},
		{`{` + from + `,"groupBy":[` + ref("u", "team") + `],"select":[{"field":"n","expr":` + ref("u", "name") + `}]}`, "select", "neither an aggregate nor a groupBy expression"},
		{`{` + from + `,"having":[{"type":"val","value":true}]}`, "having", "needs a groupBy"},
		{`{` + from + `,"groupBy":[` + ref("u", "team") + `],"select":[{"field":"t","expr":` + ref("u", "team") + `}],"having":[{"type":"func","name":"gt","args":[{"type":"agg","name":"sum","args":[` + ref("u", "age") + `]},{"type":"val","value":1}]}]}`, "having", "must also be a field of the select"},
		{`{` + from + `,"select":[{"field":"n","expr":{"type":"agg","name":"median","args":[` + ref("u", "age") + `]}}]}`, "select", "unknown aggregate"},
		{`{` + from + `,"where":[{"type":"func","name":"frobnicate","args":[]}]}`, "where", "frobnicate"},
		{`{"from":{"alias":"x","query":{` + from + `,"limit":2}}}`, "from", `subquery "x": limit`},
	}
	has := func(n string) bool { return n == "users" || n == "posts" }
	for _, tc := range tests {
		t.Run(tc.clause+"/"+tc.reason, func(t *testing.T) {
			_, err := Compile(mustQuery(t, tc.q), Options{HasCollection: has})
			require.Error(t, err)
			var e *ir.Error
			require.True(t, errors.As(err, &e), "%T %v", err, err)
			assert.Equal(t, tc.clause, e.Clause, e.Error())
			assert.Contains(t, e.Reason, tc.reason)
		})
	}
}

// TestSharedStep feeds every test query from one database, each step's
// rows made once (a Step) and read by all of them, as core/db does: no
// query may change the rows another reads, so each must stay equal to its
// recomputation.
func TestSharedStep(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 7))
	d := randDB(r)
	var qs []*ir.Query
	var lqs []*LiveQuery
	for _, s := range testQueries {
		q := mustQuery(t, s)
		lq, err := Compile(q, Options{})
		require.NoError(t, err)
		lq.Load(d.reader())
		qs, lqs = append(qs, q), append(lqs, lq)
	}
	for s := range 300 {
		name, ch := step(r, d)
		shared := NewStep(map[string][]collection.Change{name: ch})
		for i, lq := range lqs {
			lq.ApplyStep(shared)
			fresh, err := Compile(qs[i], Options{})
			require.NoError(t, err)
			fresh.Load(d.reader())
			require.Equal(t, result(fresh), result(lq), "query %d, step %d", i, s)
		}
	}
}
