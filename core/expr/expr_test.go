package expr

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/streamdb/streamdb/core/ir"
	"github.com/streamdb/streamdb/core/value"
)

// slotResolver resolves every alias to slot 0 (or to aliases[path[0]]),
// aggregates to aggSlot.
type slotResolver struct {
	aliases map[string]int
	aggSlot int
	aggErr  error
	refErr  error
}

func (r slotResolver) Ref(path []string) (int, []string, error) {
	if r.refErr != nil {
		return 0, nil, r.refErr
	}
	return r.aliases[path[0]], path[1:], nil
}

func (r slotResolver) Agg(*ir.Expr) (int, error) { return r.aggSlot, r.aggErr }

func num(f float64) *ir.Expr    { return valExpr(value.Number(f)) }
func str(s string) *ir.Expr     { return valExpr(value.String(s)) }
func jsonVal(s string) *ir.Expr { return valExpr(value.MustParse(s)) }

func TestCompileErrors(t *testing.T) {
	r := slotResolver{}
	tests := []struct {
		name   string
		e      *ir.Expr
		fn     string
		reason string
	}{
		{"unknown", funcExpr("frobnicate", num(1)), "frobnicate", "unknown function"},
		{"inArray is spelled in", funcExpr("inArray", num(1), jsonVal("[1]")), "inArray", "unknown function"},
		{"date", funcExpr("date", str("2024-01-01")), "date", "not supported"},
		{"toArray", funcExpr("toArray", num(1)), "toArray", "includes helper"},
		{"eq one arg", funcExpr("eq", num(1)), "eq", "takes 2 arguments, got 1"},
		{"eq three args", funcExpr("eq", num(1), num(1), num(1)), "eq", "takes 2 arguments, got 3"},
		{"not none", funcExpr("not"), "not", "takes 1 argument, got 0"},
		{"caseWhen one", funcExpr("caseWhen", num(1)), "caseWhen", "at least 2"},
		{"nested", funcExpr("and", funcExpr("eq", num(1), funcExpr("nope"))), "nope", "unknown function"},
		{"nil", nil, "expression", "nil"},
		{"bad kind", &ir.Expr{Kind: 99}, "", "unknown expression kind"},
		{"agg not allowed", funcExpr("eq", &ir.Expr{Kind: ir.Agg, Name: "sum", Args: []*ir.Expr{num(1)}}, num(1)), "sum", "no aggregates"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := r
			r.aggErr = errors.New("no aggregates in where")
			_, err := Compile(tt.e, r)
			var ee *Error
			if !errors.As(err, &ee) {
				t.Fatalf("error %v, want an *Error", err)
			}
			if ee.Func != tt.fn || !strings.Contains(ee.Reason, tt.reason) {
				t.Errorf("error %+v, want func %q and a reason with %q", ee, tt.fn, tt.reason)
			}
			if !strings.HasPrefix(err.Error(), "expression: ") {
				t.Errorf("Error() = %q", err.Error())
			}
		})
	}
}

func TestResolverErrorWrapped(t *testing.T) {
	cause := errors.New("unknown alias x")
	_, err := Compile(funcExpr("eq", refExpr("x", "a"), num(1)), slotResolver{refErr: cause})
	if !errors.Is(err, cause) {
		t.Fatalf("error %v does not wrap the resolver's", err)
	}
	if !strings.Contains(err.Error(), "x.a") {
		t.Errorf("error %q does not name the path", err)
	}
	if _, err := Compile(refExpr("x"), nil); err == nil {
		t.Error("a ref with no resolver compiled")
	}
	if ev, err := Compile(funcExpr("add", num(1), num(2)), nil); err != nil || !sameJS(ev(nil), value.Number(3)) {
		t.Errorf("constants with no resolver: %v", err)
	}
}

func TestAggregates(t *testing.T) {
	sum := &ir.Expr{Kind: ir.Agg, Name: "sum", Args: []*ir.Expr{refExpr("u", "n")}}
	e := funcExpr("gt", sum, num(10))
	if !HasAggregate(e) || HasAggregate(funcExpr("gt", refExpr("u", "n"), num(1))) || HasAggregate(nil) {
		t.Error("HasAggregate")
	}
	ev, err := Compile(e, slotResolver{aggSlot: 3})
	if err != nil {
		t.Fatal(err)
	}
	vals := []value.Value{value.Undefined(), value.Undefined(), value.Undefined(), value.Number(11)}
	if got := ev(vals); !IsTrue(got) {
		t.Errorf("sum > 10 with sum 11 = %s", got)
	}
	vals[3] = value.Number(10)
	if got := ev(vals); IsTrue(got) {
		t.Errorf("sum > 10 with sum 10 = %s", got)
	}
}

func TestSlotOutOfRange(t *testing.T) {
	r := slotResolver{aliases: map[string]int{"u": 5, "v": -1}}
	for _, e := range []*ir.Expr{refExpr("u"), refExpr("u", "a"), refExpr("u", "a", "b"), refExpr("v", "a")} {
		ev, err := Compile(e, r)
		if err != nil {
			t.Fatal(err)
		}
		if got := ev([]value.Value{value.MustParse(`{"a":{"b":1}}`)}); !got.IsUndefined() {
			t.Errorf("%v out of range = %s, want undefined", e.Path, got)
		}
	}
}

func TestIsTrueTruthy(t *testing.T) {
	tests := []struct {
		v              value.Value
		isTrue, truthy bool
	}{
		{value.Bool(true), true, true},
		{value.Bool(false), false, false},
		{value.Null(), false, false},
		{value.Undefined(), false, false},
		{value.Number(1), false, true},
		{value.Number(0), false, false},
		{value.Number(math.Copysign(0, -1)), false, false},
		{value.Number(math.NaN()), false, false},
		{value.Number(math.Inf(-1)), false, true},
		{value.String(""), false, false},
		{value.String("false"), false, true},
		{value.String("0"), false, true},
		{value.MustParse(`[]`), false, true},
		{value.MustParse(`{}`), false, true},
	}
	for _, tt := range tests {
		if got := IsTrue(tt.v); got != tt.isTrue {
			t.Errorf("IsTrue(%s) = %v", show(tt.v), got)
		}
		if got := Truthy(tt.v); got != tt.truthy {
			t.Errorf("Truthy(%s) = %v", show(tt.v), got)
		}
	}
}

// TestDeviations pins down where JSON values cannot do what JavaScript
// values do (see the package comment and the report).
func TestDeviations(t *testing.T) {
	vals := []value.Value{value.MustParse(`{"e":"a😀b","o":{"x":1}}`)}
	r := slotResolver{}
	tests := []struct {
		name string
		e    *ir.Expr
		want value.Value
	}{
		// JS gives the lone surrogate "\ud83d", held in its WTF-8 form.
		{"half a surrogate pair", refExpr("u", "e", "1"), value.String("\xed\xa0\xbd")},
		// JS keeps NaN in the array, so NaN is found; JSON arrays hold null.
		{"array keeps no NaN", funcExpr("in", num(math.NaN()), funcExpr("array", num(math.NaN()))), value.Bool(false)},
		// Inherited properties (functions in JS) read as undefined.
		{"inherited property", refExpr("u", "o", "toString"), value.Undefined()},
		// One object reached along two paths (JS: equal by reference).
		{"one object, two paths", funcExpr("eq", refExpr("u", "o"), funcExpr("coalesce", refExpr("u", "o"))), value.Bool(false)},
	}
	for _, tt := range tests {
		ev, err := Compile(tt.e, r)
		if err != nil {
			t.Fatal(err)
		}
		if got := ev(vals); !sameJS(got, tt.want) {
			t.Errorf("%s: got %s, want %s", tt.name, show(got), show(tt.want))
		}
	}
}

func TestUTF16(t *testing.T) {
	tests := []struct {
		s string
		n int
	}{{"", 0}, {"abc", 3}, {"é", 1}, {"😀", 2}, {"a😀b", 4}, {"\xff", 1}, {"日本", 2}, {"\xed\xa0\x80", 1}, {"\xed\xa0", 2}}
	for _, tt := range tests {
		if got := value.UTF16Len(tt.s); got != tt.n {
			t.Errorf("value.UTF16Len(%q) = %d, want %d", tt.s, got, tt.n)
		}
	}
	for i, want := range []string{"a", "\xed\xa0\xbd", "\xed\xb8\x80", "b", ""} {
		got, ok := unitAt("a😀b", i)
		if got != want || ok != (want != "") {
			t.Errorf("unitAt(a😀b, %d) = %q, %v", i, got, ok)
		}
	}
}

func TestArrayIndex(t *testing.T) {
	for s, want := range map[string]int{"0": 0, "7": 7, "4294967294": 4294967294} {
		if got, ok := arrayIndex(s); !ok || got != want {
			t.Errorf("arrayIndex(%q) = %d, %v", s, got, ok)
		}
	}
	for _, s := range []string{"", "01", "-1", "1.0", "4294967295", "99999999999", "1e3", " 1", "length"} {
		if _, ok := arrayIndex(s); ok {
			t.Errorf("arrayIndex(%q) ok", s)
		}
	}
}

// TestConstantFolding checks that constant subtrees are computed once and
// still give TanStack's answer, and that refs stop the folding.
func TestConstantFolding(t *testing.T) {
	c := compiler{r: slotResolver{}}
	o, err := c.compile(funcExpr("add", num(1), funcExpr("multiply", num(2), num(3))), 0)
	if err != nil || o.kind != opConst || !sameJS(o.c, value.Number(7)) {
		t.Errorf("1 + 2*3 = %+v, %v", o, err)
	}
	o, _ = c.compile(funcExpr("add", refExpr("u", "a"), num(1)), 0)
	if o.kind != opEval {
		t.Errorf("a ref was folded")
	}
	o, _ = c.compile(funcExpr("and"), 0)
	if o.kind != opConst || !IsTrue(o.c) {
		t.Errorf("and() = %+v", o)
	}
}

func TestInLargeConstantList(t *testing.T) {
	list := jsonVal(`[0,1,2,3,4,5,6,7,8,9,"a","b",true]`)
	r := slotResolver{}
	ev, err := Compile(funcExpr("in", refExpr("u"), list), r)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		v    value.Value
		want value.Value
	}{
		{value.Number(3), value.Bool(true)},
		{value.Number(math.Copysign(0, -1)), value.Bool(true)},
		{value.Number(10), value.Bool(false)},
		{value.Number(math.NaN()), value.Bool(false)},
		{value.String("b"), value.Bool(true)},
		{value.String("3"), value.Bool(false)},
		{value.Bool(true), value.Bool(true)},
		{value.Bool(false), value.Bool(false)},
		{value.Null(), value.Null()},
		{value.MustParse(`[1]`), value.Bool(false)},
	} {
		if got := ev([]value.Value{tt.v}); !sameJS(got, tt.want) {
			t.Errorf("in(%s) = %s, want %s", show(tt.v), show(got), show(tt.want))
		}
	}
}
