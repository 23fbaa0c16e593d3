package query

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamdb/streamdb/core/collection"
	"github.com/streamdb/streamdb/core/value"
)

// Where clauses move before the joins exactly when they read one source
// whose rows no join null-extends; and with them moved, every result
// equals the result without the move, after each of many random steps.
func TestPushdown(t *testing.T) {
	const (
		userActive = `{"type":"func","name":"eq","args":[{"type":"ref","path":["u","active"]},{"type":"val","value":true}]}`
		postLikes  = `{"type":"func","name":"gt","args":[{"type":"ref","path":["p","likes"]},{"type":"val","value":1}]}`
		both       = `{"type":"func","name":"lt","args":[{"type":"ref","path":["p","likes"]},{"type":"ref","path":["u","age"]}]}`
		nullish    = `{"type":"func","name":"isUndefined","args":[{"type":"ref","path":["u"]}]}`
	)
	join := func(typ string) string {
		return fmt.Sprintf(`"join":[{"type":%q,"source":{"alias":"u","collection":"users"},"on":{"type":"func","name":"eq","args":[{"type":"ref","path":["p","userId"]},{"type":"ref","path":["u","id"]}]}}]`, typ)
	}
	for _, tc := range []struct {
		name  string
		query string
		moved []string // alias: number of clauses moved to it
	}{
		{"inner: both sides move, the pair stays", `{"from":{"alias":"p","collection":"posts"},` + join("inner") + `,"where":[` + userActive + `,` + postLikes + `,` + both + `]}`, []string{"p:1", "u:1"}},
		{"left: the preserved side moves", `{"from":{"alias":"p","collection":"posts"},` + join("left") + `,"where":[` + userActive + `,` + postLikes + `]}`, []string{"p:1"}},
		{"right: the preserved side moves", `{"from":{"alias":"p","collection":"posts"},` + join("right") + `,"where":[` + userActive + `,` + postLikes + `]}`, []string{"u:1"}},
		{"full: nothing moves", `{"from":{"alias":"p","collection":"posts"},` + join("full") + `,"where":[` + userActive + `,` + postLikes + `]}`, nil},
		{"a test for the missing side stays", `{"from":{"alias":"p","collection":"posts"},` + join("left") + `,"where":[` + nullish + `]}`, nil},
		{"a constant stays", `{"from":{"alias":"p","collection":"posts"},` + join("inner") + `,"where":[{"type":"val","value":true},` + userActive + `]}`, []string{"u:1"}},
		{"a second join null-extends the first two", `{"from":{"alias":"p","collection":"posts"},` + join("inner")[:len(join("inner"))-1] +
			`,{"type":"right","source":{"alias":"v","collection":"users"},"on":{"type":"func","name":"eq","args":[{"type":"ref","path":["v","team"]},{"type":"ref","path":["u","team"]}]}}],"where":[` + userActive + `,` + postLikes +
			`,{"type":"func","name":"eq","args":[{"type":"ref","path":["v","active"]},{"type":"val","value":false}]}]}`, []string{"v:1"}},
		{"a subquery source moves too", `{"from":{"alias":"p","query":{"from":{"alias":"pp","collection":"posts"},"select":[{"field":"userId","expr":{"type":"ref","path":["pp","userId"]}},{"field":"likes","expr":{"type":"ref","path":["pp","likes"]}}]}},` + join("inner") + `,"where":[` + postLikes + `]}`, []string{"p:1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := mustQuery(t, tc.query)
			by, rest := pushdown(q)
			var moved []string
			n := 0
			for a, cs := range by {
				moved = append(moved, fmt.Sprintf("%s:%d", a, len(cs)))
				n += len(cs)
			}
			sort.Strings(moved)
			assert.Equal(t, tc.moved, moved)
			assert.Equal(t, len(q.Where), n+len(rest), "every clause is kept once")

			r := rand.New(rand.NewPCG(5, uint64(len(tc.name))))
			d := randDB(r)
			lq, err := Compile(q, Options{})
			require.NoError(t, err)
			noPushdown = true
			plain, err := Compile(q, Options{})
			noPushdown = false
			require.NoError(t, err)
			lq.Load(d.reader())
			plain.Load(d.reader())
			nonEmpty := 0
			for s := range 200 {
				name, ch := step(r, d)
				lq.Apply(name, ch)
				plain.Apply(name, slices.Clone(ch))
				want := result(plain)
				require.Equal(t, want, result(lq), "step %d", s)
				if len(want) > 0 {
					nonEmpty++
				}
			}
			assert.Greater(t, nonEmpty, 50, "the results were not mostly empty")
		})
	}
}

// TestWhereConjunctLeniency: TanStack DB's optimizer splits where clauses
// at their and()s and joins the conjuncts of each filter it builds into
// one and(), where a value other than false, null or undefined passes,
// while a conjunct alone passes only when exactly true. The expected keys
// are TanStack DB 0.15.2's for these queries over these rows.
func TestWhereConjunctLeniency(t *testing.T) {
	load := func(name string, rows ...string) *collection.Collection {
		c := collection.New(name, name, "id")
		c.Begin()
		for _, row := range rows {
			v := value.MustParse(row)
			k, _ := v.Get("id").Str()
			c.Put(k, v)
		}
		c.End(false)
		return c
	}
	d := db{
		"users": load("users", `{"id":"u1","active":"yes","team":1}`, `{"id":"u2","active":true,"team":1}`, `{"id":"u3","active":1,"team":2}`,
			`{"id":"u4","active":false,"team":1}`, `{"id":"u5","active":null,"team":1}`, `{"id":"u6","team":1}`),
		"posts": load("posts", `{"id":"p1","userId":"u1"}`, `{"id":"p2","userId":"u2"}`, `{"id":"p3","userId":"u3"}`, `{"id":"p4","userId":"u4"}`, `{"id":"p7","userId":"u9"}`),
	}
	const (
		active = `{"type":"ref","path":["u","active"]}`
		team1  = `{"type":"func","name":"eq","args":[{"type":"ref","path":["u","team"]},{"type":"val","value":1}]}`
		postP1 = `{"type":"func","name":"eq","args":[{"type":"ref","path":["p","id"]},{"type":"val","value":"p1"}]}`
		byU1   = `{"type":"func","name":"eq","args":[{"type":"ref","path":["p","userId"]},{"type":"val","value":"u1"}]}`
		onUser = `{"type":"func","name":"eq","args":[{"type":"ref","path":["p","userId"]},{"type":"ref","path":["u","id"]}]}`
		users  = `{"from":{"alias":"u","collection":"users"},"where":`
		joined = `{"from":{"alias":"p","collection":"posts"},"join":[{"type":"inner","source":{"alias":"u","collection":"users"},"on":` + onUser + `}],"where":`
		leftJ  = `{"from":{"alias":"p","collection":"posts"},"join":[{"type":"left","source":{"alias":"u","collection":"users"},"on":` + onUser + `}],"where":`
		andOf  = `{"type":"func","name":"and","args":[`
		p1u1   = `["p1","u1"]`
		p2u2   = `["p2","u2"]`
	)
	for _, tc := range []struct {
		name, query string
		want        []string
	}{
		{"one bare ref: strict", users + `[` + active + `]}`, []string{`u2`}},
		{"two clauses: one and()", users + `[` + active + `,` + team1 + `]}`, []string{`u1`, `u2`}},
		{"an and() clause", users + `[` + andOf + active + `,` + team1 + `]}]}`, []string{`u1`, `u2`}},
		{"join, one bare ref: strict", joined + `[` + active + `]}`, []string{p2u2}},
		{"join, two clauses of one source: one and()", joined + `[` + active + `,` + team1 + `]}`, []string{p1u1, p2u2}},
		{"join, one clause per source: each strict", joined + `[` + active + `,` + postP1 + `]}`, nil},
		{"join, an and() over two sources is split", joined + `[` + andOf + active + `,` + postP1 + `]}]}`, nil},
		{"join, with a clause of both sources", joined + `[` + active + `,` + onUser + `]}`, []string{p2u2}},
		{"left join, the null-extended side's clause alone after it", leftJ + `[` + active + `,` + byU1 + `]}`, nil},
		{"left join, two clauses after it: one and()", leftJ + `[` + active + `,` + team1 + `]}`, []string{p1u1, p2u2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lq, err := Compile(mustQuery(t, tc.query), Options{})
			require.NoError(t, err)
			lq.Load(d.reader())
			var keys []string
			lq.Range(func(k, _ value.Value) bool {
				if s, ok := k.Str(); ok {
					keys = append(keys, s)
				} else {
					keys = append(keys, k.JSON())
				}
				return true
			})
			assert.Equal(t, tc.want, keys)
		})
	}
}
