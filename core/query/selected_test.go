package query

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/streamdb/streamdb/core/collection"
	"github.com/streamdb/streamdb/core/value"
)

// TestSelectedFieldKeepsNaN checks that orderBy and having read a
// $selected field as the value the select computed, NaN and ±Infinity
// included, as TanStack DB 0.15.2 does (the wanted orders are its answers
// on the same rows): NaN after every other value, gte(NaN, x) and
// gt(NaN, x) true, lt(NaN, x) false. Read back from the selected object's
// JSON text they were null.
func TestSelectedFieldKeepsNaN(t *testing.T) {
	posts := collection.New("posts", "post", "id")
	posts.Begin()
	for _, r := range []string{
		`{"id":"p1","likes":6,"g":"a"}`, `{"id":"p2","likes":"b","g":"a"}`,
		`{"id":"p3","likes":1,"g":"b"}`, `{"id":"p4","likes":1e308,"g":"c"}`,
	} {
		v := value.MustParse(r)
		id, _ := v.Get("id").Str()
		posts.Put(id, v)
	}
	posts.End(false)
	d := db{"posts": posts}

	from := `"from":{"alias":"p","collection":"posts"}`
	grouped := from + `,"groupBy":[{"type":"ref","path":["p","g"]}]`
	ref := func(p ...string) string {
		s := `{"type":"ref","path":[`
		for i, x := range p {
			if i > 0 {
				s += ","
			}
			s += `"` + x + `"`
		}
		return s + `]}`
	}
	fn := func(name string, args ...string) string {
		s := `{"type":"func","name":"` + name + `","args":[`
		for i, a := range args {
			if i > 0 {
				s += ","
			}
			s += a
		}
		return s + `]}`
	}
	agg := func(name, arg string) string { return `{"type":"agg","name":"` + name + `","args":[` + arg + `]}` }
	val := func(v string) string { return `{"type":"val","value":` + v + `}` }
	order := func(e string, desc bool) string {
		d := "asc"
		if desc {
			d = "desc"
		}
		return `"orderBy":[{"expr":` + e + `,"direction":"` + d + `","nulls":"first"}]`
	}
	tests := []struct {
		name, q, field string
		want           []string
	}{
		{"avg over a string, orderBy asc", `{` + grouped + `,"select":[{"field":"k","expr":` + ref("p", "g") + `},{"field":"s2","expr":` +
			fn("add", agg("avg", ref("p", "likes")), val("3")) + `}],` + order(ref("$selected", "s2"), false) + `}`,
			"k", []string{"b", "c", "a"}},
		{"sum over a string and Infinity, orderBy desc", `{` + grouped + `,"select":[{"field":"k","expr":` + ref("p", "g") + `},{"field":"s2","expr":` +
			fn("multiply", agg("sum", ref("p", "likes")), val("10")) + `}],` + order(ref("$selected", "s2"), true) + `}`,
			"k", []string{"a", "c", "b"}},
		{"having gte(NaN, -1)", `{` + grouped + `,"select":[{"field":"k","expr":` + ref("p", "g") + `},{"field":"m","expr":` +
			fn("multiply", agg("min", ref("p", "id")), val("3")) + `}],"having":[` + fn("gte", ref("$selected", "m"), val("-1")) + `]}`,
			"k", []string{"a", "b", "c"}},
		{"having lt(NaN, 100)", `{` + grouped + `,"select":[{"field":"k","expr":` + ref("p", "g") + `},{"field":"s","expr":` +
			agg("sum", ref("p", "likes")) + `}],"having":[` + fn("lt", ref("$selected", "s"), val("100")) + `]}`,
			"k", []string{"b"}},
		{"having gt(NaN, 100)", `{` + grouped + `,"select":[{"field":"k","expr":` + ref("p", "g") + `},{"field":"s","expr":` +
			agg("sum", ref("p", "likes")) + `}],"having":[` + fn("gt", ref("$selected", "s"), val("100")) + `]}`,
			"k", []string{"a", "c"}},
		{"ungrouped select, orderBy asc", `{` + from + `,"select":[{"field":"id","expr":` + ref("p", "id") + `},{"field":"x","expr":` +
			fn("multiply", ref("p", "likes"), val("10")) + `}],` + order(ref("$selected", "x"), false) + `}`,
			"id", []string{"p3", "p1", "p4", "p2"}},
		{"nested select, orderBy desc", `{` + from + `,"select":[{"field":"id","expr":` + ref("p", "id") + `},{"field":"n","select":[{"field":"x","expr":` +
			fn("multiply", ref("p", "likes"), val("10")) + `}]}],` + order(ref("$selected", "n", "x"), true) + `}`,
			"id", []string{"p2", "p4", "p1", "p3"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			lq, err := Compile(mustQuery(t, tc.q), Options{})
			require.NoError(t, err)
			lq.Load(d.reader())
			var got []string
			lq.Range(func(_, v value.Value) bool {
				s, _ := v.Get(tc.field).Str()
				got = append(got, s)
				return true
			})
			require.Equal(t, tc.want, got)
		})
	}
}
