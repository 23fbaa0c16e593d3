package query

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/streamdb/streamdb/core/collection"
	"github.com/streamdb/streamdb/core/value"
	"github.com/stretchr/testify/require"
)

// TestStreamedFirstLoad covers the first loads whose last join streams its
// pairs (LiveQuery.load): several thousand rows a side, so that the join's
// first load takes several chunks. Each query's result must equal that of
// the same query loaded without streaming, after the load and after every
// step of random changes; the queries that keep rows after their last join
// (orderBy, groupBy, distinct, a join after it) must not stream.
func TestStreamedFirstLoad(t *testing.T) {
	join := func(typ, right string) string {
		return `"join":[{"type":"` + typ + `","source":{"alias":"u","collection":"` + right + `"},"on":{"type":"func","name":"eq","args":[{"type":"ref","path":["p","userId"]},{"type":"ref","path":["u","id"]}]}}]`
	}
	from := `"from":{"alias":"p","collection":"posts"}`
	sel := `"select":[{"field":"title","expr":{"type":"ref","path":["p","title"]}},{"field":"name","expr":{"type":"ref","path":["u","name"]}}]`
	where := `"where":[{"type":"func","name":"gt","args":[{"type":"ref","path":["p","likes"]},{"type":"val","value":2}]}]`
	cases := []struct {
		name    string
		q       string
		streams bool
	}{
		{"inner, select", `{` + from + `,` + join("inner", "users") + `,` + sel + `}`, true},
		{"inner, where, select", `{` + from + `,` + join("inner", "users") + `,` + where + `,` + sel + `}`, true},
		{"left, no select", `{` + from + `,` + join("left", "users") + `}`, true},
		{"right, select", `{` + from + `,` + join("right", "users") + `,` + sel + `}`, true},
		{"full, where", `{` + from + `,` + join("full", "users") + `,` + where + `}`, true},
		{"select reads $selected in orderBy", `{` + from + `,` + join("inner", "users") + `,` + sel + `,"orderBy":[{"expr":{"type":"ref","path":["$selected","title"]}}]}`, false},
		{"distinct", `{` + from + `,` + join("inner", "users") + `,"select":[{"field":"name","expr":{"type":"ref","path":["u","name"]}}],"distinct":true}`, false},
		{"group by", `{` + from + `,` + join("inner", "users") + `,"groupBy":[{"type":"ref","path":["u","id"]}],"select":[{"field":"n","expr":{"type":"agg","name":"count","args":[{"type":"ref","path":["p","id"]}]}}]}`, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(17, 3))
			d := bigDB(r, 3000, 7000)
			q := mustQuery(t, tc.q)
			lq, err := Compile(q, Options{})
			require.NoError(t, err)
			require.Equal(t, tc.streams, lq.stream != nil, "streams")
			plain, err := Compile(q, Options{})
			require.NoError(t, err)
			plain.stream = nil
			lq.Load(d.reader())
			plain.Load(d.reader())
			want := result(plain)
			require.NotEmpty(t, want)
			require.Equal(t, want, result(lq), "first result")
			for s := range 20 {
				name, ch := bigStep(r, d)
				lq.Apply(name, ch)
				plain.Apply(name, ch)
				require.Equal(t, result(plain), result(lq), "step %d", s)
			}
		})
	}
}

// bigDB is users u0000.. and posts p00000.. with random fields; a post's
// userId names a user or, one in ten, nobody.
func bigDB(r *rand.Rand, users, posts int) db {
	d := db{"users": collection.New("users", "user", "id"), "posts": collection.New("posts", "post", "id")}
	d["users"].Begin()
	for i := range users {
		k := fmt.Sprintf("u%04d", i)
		d["users"].Put(k, value.MustParse(fmt.Sprintf(`{"id":%q,"name":"user %d","team":%d}`, k, r.IntN(500), r.IntN(4))))
	}
	d["users"].End(false)
	d["posts"].Begin()
	for i := range posts {
		d["posts"].Put(fmt.Sprintf("p%05d", i), bigPost(r, i, users))
	}
	d["posts"].End(false)
	return d
}

func bigPost(r *rand.Rand, i, users int) value.Value {
	return value.MustParse(fmt.Sprintf(`{"id":"p%05d","userId":"u%04d","title":"post %d","likes":%d}`, i, r.IntN(users*11/10), r.IntN(1000), r.IntN(6)))
}

// bigStep changes a few rows of bigDB's users or posts.
func bigStep(r *rand.Rand, d db) (string, []collection.Change) {
	name := "users"
	if r.IntN(2) == 0 {
		name = "posts"
	}
	c := d[name]
	c.Begin()
	for range 1 + r.IntN(5) {
		switch i := r.IntN(3000); {
		case r.IntN(3) == 0 && name == "users":
			c.Remove(fmt.Sprintf("u%04d", i))
		case name == "users":
			k := fmt.Sprintf("u%04d", i)
			c.Put(k, value.MustParse(fmt.Sprintf(`{"id":%q,"name":"renamed %d","team":1}`, k, r.IntN(50))))
		case r.IntN(3) == 0:
			c.Remove(fmt.Sprintf("p%05d", i))
		default:
			c.Put(fmt.Sprintf("p%05d", i), bigPost(r, i, 3000))
		}
	}
	return name, c.End(true)
}
