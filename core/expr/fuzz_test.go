package expr

import (
	"errors"
	"math"
	"slices"
	"testing"

	"github.com/streamdb/streamdb/core/ir"
	"github.com/streamdb/streamdb/core/value"
)

// fuzzNames are the functions trees are built from, with a few names that
// must fail to compile.
var fuzzNames = func() []string {
	var names []string
	for n := range funcs {
		names = append(names, n)
	}
	slices.Sort(names)
	return append(names, "date", "nope")
}()

var fuzzPool = []value.Value{
	value.Undefined(), value.Null(), value.Bool(true), value.Bool(false),
	value.Number(0), value.Number(1), value.Number(-1.5), value.Number(math.NaN()), value.Number(math.Inf(1)),
	value.String(""), value.String("a"), value.String("ABC"), value.String("ß"), value.String("ΑΣ"),
	value.String("😀"), value.String("%a_"), value.String("10"),
	value.MustParse(`[]`), value.MustParse(`[1,"a",null]`), value.MustParse(`{}`), value.MustParse(`{"a":[1,{"b":2}]}`),
}

var fuzzRow = value.MustParse(`{"a":1,"b":"x","c":null,"d":[1,"two",[3]],"e":{"f":"ΣΑΣ","g":2.5},"h":true}`)

var fuzzFields = []string{"a", "b", "c", "d", "e", "f", "g", "h", "length", "0", "1", "missing"}

// treeBuilder makes an expression tree from fuzz bytes. It builds two
// versions of every tree: one whose leaves are val nodes, and one whose
// leaves are refs to slots that hold the same values, so that constant
// folding and run-time evaluation can be compared.
type treeBuilder struct {
	data  []byte
	s     string
	f     float64
	slots []value.Value
}

func (b *treeBuilder) next() int {
	if len(b.data) == 0 {
		return 0
	}
	c := int(b.data[0])
	b.data = b.data[1:]
	return c
}

func (b *treeBuilder) leaf() value.Value {
	switch c := b.next(); {
	case c < 200:
		return fuzzPool[c%len(fuzzPool)]
	case c < 225:
		return value.String(b.s)
	default:
		return value.Number(b.f)
	}
}

func (b *treeBuilder) tree(depth int) (vals, refs *ir.Expr) {
	c := b.next()
	if depth > 6 || len(b.data) == 0 || c < 80 {
		if c%5 == 0 {
			// A path into the fixed row (slot 0), the same in both trees.
			path := []string{"row"}
			for n := b.next() % 4; n > 0; n-- {
				path = append(path, fuzzFields[b.next()%len(fuzzFields)])
			}
			return &ir.Expr{Kind: ir.Ref, Path: path}, &ir.Expr{Kind: ir.Ref, Path: path}
		}
		v := b.leaf()
		b.slots = append(b.slots, v)
		return &ir.Expr{Kind: ir.Val, Value: v}, &ir.Expr{Kind: ir.Ref, Path: []string{"slot", string(rune(len(b.slots) - 1))}}
	}
	name := fuzzNames[b.next()%len(fuzzNames)]
	n := b.next() % 5
	ev := &ir.Expr{Kind: ir.Func, Name: name}
	er := &ir.Expr{Kind: ir.Func, Name: name}
	for range n {
		a, r := b.tree(depth + 1)
		ev.Args = append(ev.Args, a)
		er.Args = append(er.Args, r)
	}
	return ev, er
}

// fuzzResolver: "row" is slot 0 with fields below it; ("slot", k) is slot k.
type fuzzResolver struct{}

func (fuzzResolver) Ref(path []string) (int, []string, error) {
	if path[0] == "slot" {
		return int([]rune(path[1])[0]), nil, nil
	}
	return 0, path[1:], nil
}

func (fuzzResolver) Agg(*ir.Expr) (int, error) { return 0, errors.New("no aggregates") }

func FuzzEval(f *testing.F) {
	f.Add([]byte{100, 0, 2, 10, 20}, "a%", 1.0)
	f.Add([]byte{90, 3, 2, 100, 1, 2, 5, 6, 7}, "ΣΑΣ", math.NaN())
	f.Add([]byte{150, 7, 3, 85, 22, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, "😀_", math.Copysign(0, -1))
	f.Add([]byte{200, 12, 2, 90, 1, 1, 210, 240}, "", math.Inf(-1))
	f.Fuzz(func(t *testing.T, data []byte, s string, num float64) {
		b := &treeBuilder{data: data, s: s, f: num, slots: []value.Value{fuzzRow}}
		withVals, withRefs := b.tree(0)
		ev1, err1 := Compile(withVals, fuzzResolver{})
		ev2, err2 := Compile(withRefs, fuzzResolver{})
		if (err1 == nil) != (err2 == nil) {
			t.Fatalf("compile errors differ: %v / %v", err1, err2)
		}
		if err1 != nil {
			var e *Error
			if !errors.As(err1, &e) {
				t.Fatalf("error %v is not an *Error", err1)
			}
			return
		}
		r1 := ev1(b.slots)
		r2 := ev2(b.slots)
		if again := ev1(b.slots); !sameJS(r1, again) {
			t.Fatalf("not deterministic: %s then %s", show(r1), show(again))
		}
		if !sameJS(r1, r2) {
			t.Fatalf("constants give %s, the same values read from slots %s", show(r1), show(r2))
		}
		// Fewer slots than the refs want: undefined, no panic.
		ev2(b.slots[:1])
		ev2(nil)
	})
}
