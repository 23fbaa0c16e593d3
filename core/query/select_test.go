package query

import (
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamdb/streamdb/core/collection"
	"github.com/streamdb/streamdb/core/ir"
	"github.com/streamdb/streamdb/core/value"
)

// TestFlatSelectMatchesBuilder checks the flat select (the object's text
// written from its fields' texts) against the ObjectBuilder's select, for
// selects of refs, whole aliases and computed fields over rows with
// missing fields, nullish and non-object slots, escapes, lone surrogates,
// nested values and numbers JSON cannot hold.
func TestFlatSelectMatchesBuilder(t *testing.T) {
	ref := func(path ...string) *ir.Expr { return &ir.Expr{Kind: ir.Ref, Path: path} }
	fn := func(name string, args ...*ir.Expr) *ir.Expr { return &ir.Expr{Kind: ir.Func, Name: name, Args: args} }
	entry := func(field string, e *ir.Expr) ir.SelectEntry { return ir.SelectEntry{Field: field, Expr: e} }
	selects := map[string][]ir.SelectEntry{
		"two refs":           {entry("text", ref("m", "text")), entry("userName", ref("u", "name"))},
		"whole aliases":      {entry("m", ref("m")), entry("u", ref("u"))},
		"escaped names":      {entry(`a"b`, ref("m", "text")), entry("\u00e9\n", ref("u", "id"))},
		"nested paths":       {entry("deep", ref("m", "meta", "tag")), entry("len", ref("m", "text", "length"))},
		"computed":           {entry("up", fn("upper", ref("m", "text"))), entry("sum", fn("add", ref("m", "n"), ref("u", "n")))},
		"undefined computed": {entry("x", fn("add", ref("m", "missing"), ref("u", "missing"))), entry("id", ref("m", "id"))},
		"one field":          {entry("id", ref("u", "id"))},
		"empty field name":   {entry("e", ref("m", "")), entry("f", ref("u", ""))},
	}
	rows := [][]value.Value{
		{value.MustParse(`{"id":"m1","text":"hello","n":2,"meta":{"tag":"x"}}`), value.MustParse(`{"id":"u1","name":"Ann","n":3}`)},
		{value.MustParse(`{"id":"m\"2","text":"tab\there \\ \"q\"","n":1.5}`), value.MustParse(`{"id":"u\u00e92","name":"Zo\u00eb \ud83d\ude00"}`)},
		{value.MustParse(`{"id":"m3","text":"\ud800 lone"}`), value.MustParse(`{"name":null,"n":null}`)},
		{value.MustParse(`{"id":"m4"}`), value.Undefined()},
		{value.MustParse(`{"":1,"id":"m7"}`), value.MustParse(`{"id":"u7","":{"":2}}`)},
		{value.MustParse(`{"id":"m5","text":["a",{"b":1}],"n":1e300}`), value.Null()},
		{value.String("not an object"), value.MustParse(`{"id":"u6","name":{"first":"A"},"n":1e300}`)},
		{value.Number(math.Inf(1)), value.MustParse(`{}`)},
		{},
	}
	for name, entries := range selects {
		sc := &scope{clause: "select", aliases: []string{"m", "u"}, sel: -1}
		parts := make([]selectPart, len(entries))
		for i, e := range entries {
			var err error
			if parts[i], err = compileSelectEntry(e, sc); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		}
		flat := flatSelect(entries, parts, sc)
		if flat == nil {
			t.Fatalf("%s: not a flat select", name)
		}
		built := builtSelect(parts)
		for _, vals := range rows {
			// Twice: the flat select reuses its buffers.
			for range 2 {
				got, want := flat(vals), built(vals)
				if got.JSON() != want.JSON() || got.Kind() != want.Kind() {
					t.Errorf("%s over %v: flat %s, built %s", name, vals, got.JSON(), want.JSON())
				}
			}
		}
	}
}

// TestFlatSelectLeavesOtherSelects: a select with a spread, a nested
// select, an array-index name or a repeated name is built by the
// ObjectBuilder (property order, replacement).
func TestFlatSelectLeavesOtherSelects(t *testing.T) {
	ref := func(path ...string) *ir.Expr { return &ir.Expr{Kind: ir.Ref, Path: path} }
	for name, entries := range map[string][]ir.SelectEntry{
		"spread":      {{Spread: []string{"m"}}, {Field: "x", Expr: ref("m", "id")}},
		"nested":      {{Field: "inner", Select: []ir.SelectEntry{{Field: "id", Expr: ref("m", "id")}}}},
		"array index": {{Field: "b", Expr: ref("m", "id")}, {Field: "0", Expr: ref("m", "text")}},
		"repeated":    {{Field: "a", Expr: ref("m", "id")}, {Field: "a", Expr: ref("m", "text")}},
	} {
		sc := &scope{clause: "select", aliases: []string{"m"}, sel: -1}
		parts := make([]selectPart, len(entries))
		for i, e := range entries {
			var err error
			if parts[i], err = compileSelectEntry(e, sc); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		}
		if flatSelect(entries, parts, sc) != nil {
			t.Errorf("%s: flat, want the ObjectBuilder", name)
		}
	}
}

// TestSpreadOfSubqueryDeclaresItsFields: a subquery's select sets each of
// its fields on every row, a missing one too (TanStack DB: an own property
// whose value is undefined), so a spread of that row after a field of the
// same name leaves the field out, and a field after the spread sets it.
func TestSpreadOfSubqueryDeclaresItsFields(t *testing.T) {
	c := collection.New("posts", "post", "id")
	c.Begin()
	for _, row := range []string{`{"id":"p1","title":"hello","team":"t1"}`, `{"id":"p2","title":"world"}`} {
		v := value.MustParse(row)
		k, _ := v.Get("id").Str()
		c.Put(k, v)
	}
	c.End(false)
	d := db{"posts": c}
	sub := `{"alias":"s","query":{"from":{"alias":"p","collection":"posts"},"select":[{"field":"id","expr":{"type":"ref","path":["p","id"]}},{"field":"team","expr":{"type":"ref","path":["p","team"]}}]}}`
	spreading := `{"alias":"s","query":{"from":{"alias":"p","collection":"posts"},"select":[{"spread":["p"]},{"field":"team","expr":{"type":"ref","path":["p","team"]}},{"field":"id","expr":{"type":"ref","path":["p","id"]}},{"field":"rating","expr":{"type":"ref","path":["p","rating"]}}]}}`
	for name, tc := range map[string]struct {
		sel  string
		want []string
	}{
		"field then spread": {
			`[{"field":"team","expr":{"type":"val","value":"x"}},{"spread":["s"]}]`,
			[]string{`sp1={"team":"t1","id":"p1"}`, `sp2={"id":"p2"}`},
		},
		"spread then field": {
			`[{"spread":["s"]},{"field":"team","expr":{"type":"val","value":"x"}}]`,
			[]string{`sp1={"id":"p1","team":"x"}`, `sp2={"id":"p2","team":"x"}`},
		},
		// A subquery that spreads its row keeps that row's order for the
		// fields it names again ({...p, team, id}: id, title, team); a
		// named field the row lacks (rating) is an undefined property
		// after them, where a later field of that name lands.
		"subquery that spreads, then field": {
			`[{"spread":["s"]},{"field":"rating","expr":{"type":"val","value":5}}]`,
			[]string{`sp1={"id":"p1","title":"hello","team":"t1","rating":5}`, `sp2={"id":"p2","title":"world","rating":5}`},
		},
		"field, then subquery that spreads": {
			`[{"field":"title","expr":{"type":"val","value":"x"}},{"field":"rating","expr":{"type":"val","value":5}},{"spread":["s"]}]`,
			[]string{`sp1={"title":"hello","id":"p1","team":"t1"}`, `sp2={"title":"world","id":"p2"}`},
		},
	} {
		t.Run(name, func(t *testing.T) {
			from := sub
			if strings.Contains(name, "subquery that spreads") {
				from = spreading
			}
			lq, err := Compile(mustQuery(t, `{"from":`+from+`,"select":`+tc.sel+`}`), Options{})
			require.NoError(t, err)
			lq.Load(d.reader())
			assert.Equal(t, tc.want, result(lq))
		})
	}
}
