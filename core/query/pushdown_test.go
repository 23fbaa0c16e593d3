package query

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
