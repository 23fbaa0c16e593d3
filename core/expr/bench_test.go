package expr

import (
	"testing"

	"github.com/streamdb/streamdb/core/ir"
	"github.com/streamdb/streamdb/core/value"
)

// benchRow is a small row of 5 fields: numbers, strings and a boolean.
var benchRow = value.MustParse(`{"id":42,"name":"Alice Smith","email":"alice@example.com","age":37,"active":true}`)

// benchExpr is and(eq(u.active, true), gt(u.age, 30)).
func benchExpr() *ir.Expr {
	return funcExpr("and",
		funcExpr("eq", refExpr("u", "active"), valExpr(value.Bool(true))),
		funcExpr("gt", refExpr("u", "age"), valExpr(value.Number(30))))
}

func compileBench(tb testing.TB, e *ir.Expr) Eval {
	ev, err := Compile(e, slotResolver{})
	if err != nil {
		tb.Fatal(err)
	}
	return ev
}

func TestHotPathNoAlloc(t *testing.T) {
	vals := []value.Value{benchRow}
	for name, e := range map[string]*ir.Expr{
		"and(eq,gt)":     benchExpr(),
		"eq string":      funcExpr("eq", refExpr("u", "name"), valExpr(value.String("Alice Smith"))),
		"or(lt,not)":     funcExpr("or", funcExpr("lt", refExpr("u", "age"), valExpr(value.Number(18))), funcExpr("not", refExpr("u", "active"))),
		"in const list":  funcExpr("in", refExpr("u", "id"), valExpr(value.MustParse(`[1,2,3,42]`))),
		"like const":     funcExpr("like", refExpr("u", "email"), valExpr(value.String("%@example.com"))),
		"ilike const":    funcExpr("ilike", refExpr("u", "name"), valExpr(value.String("alice%"))),
		"isNull":         funcExpr("isNull", refExpr("u", "missing")),
		"arith compare":  funcExpr("gte", funcExpr("add", refExpr("u", "age"), valExpr(value.Number(1))), valExpr(value.Number(38))),
		"caseWhen":       funcExpr("caseWhen", refExpr("u", "active"), refExpr("u", "age"), valExpr(value.Number(0))),
		"nested path":    funcExpr("eq", refExpr("u", "a", "b"), valExpr(value.Number(1))),
		"length of name": funcExpr("gt", funcExpr("length", refExpr("u", "name")), valExpr(value.Number(3))),
	} {
		ev := compileBench(t, e)
		if n := testing.AllocsPerRun(200, func() { ev(vals) }); n != 0 {
			t.Errorf("%s allocates %v times per evaluation", name, n)
		}
	}
	if got := compileBench(t, benchExpr())(vals); !IsTrue(got) {
		t.Errorf("bench expression = %s", got)
	}
}

// BenchmarkEval evaluates and(eq(ref, val), gt(ref, val)) on a 5-field row.
func BenchmarkEval(b *testing.B) {
	ev := compileBench(b, benchExpr())
	vals := []value.Value{benchRow}
	b.ReportAllocs()
	for b.Loop() {
		ev(vals)
	}
}

// BenchmarkEvalLike is like(u.email, '%@example.com') on the same row.
func BenchmarkEvalLike(b *testing.B) {
	ev := compileBench(b, funcExpr("ilike", refExpr("u", "email"), valExpr(value.String("%@EXAMPLE.com"))))
	vals := []value.Value{benchRow}
	b.ReportAllocs()
	for b.Loop() {
		ev(vals)
	}
}
