package ivm

import (
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/streamdb/streamdb/core/value"
)

var allAggs = []AggKind{AggCount, AggSum, AggAvg, AggMin, AggMax}

// aggModel computes an aggregate afresh over args, written independently
// of aggState: sums with a wide big.Float, min and max by a linear scan.
func aggModel(kind AggKind, args []value.Value) value.Value {
	switch kind {
	case AggCount:
		n := 0
		for _, a := range args {
			if !a.IsNullish() {
				n++
			}
		}
		return num(float64(n))
	case AggSum, AggAvg:
		s := new(big.Float).SetPrec(4096)
		nan, pinf, ninf := false, false, false
		for _, a := range args {
			var f float64
			switch {
			case a.Kind() == value.KindNumber:
				f, _ = a.Num()
			case a.IsNullish():
				f = 0
			default:
				f = value.ToNumber(a)
			}
			switch {
			case math.IsNaN(f):
				nan = true
			case math.IsInf(f, 1):
				pinf = true
			case math.IsInf(f, -1):
				ninf = true
			default:
				s.Add(s, new(big.Float).SetFloat64(f))
			}
		}
		var v float64
		switch {
		case nan || pinf && ninf:
			v = math.NaN()
		case pinf:
			v = math.Inf(1)
		case ninf:
			v = math.Inf(-1)
		default:
			v, _ = s.Float64()
		}
		if kind == AggAvg {
			v /= float64(len(args))
		}
		return num(v)
	}
	var best value.Value
	found, sawNaN := false, false
	for _, a := range args {
		var m value.Value
		switch a.Kind() {
		case value.KindNumber, value.KindString:
			m = a
		case value.KindNull, value.KindUndefined:
			m = num(0)
		default:
			m = num(value.ToNumber(a))
		}
		if f, ok := m.Num(); ok && math.IsNaN(f) {
			sawNaN = true
			continue
		}
		if !found {
			best, found = m, true
			continue
		}
		// numbers before strings; numbers by value, strings by code units
		less := false
		switch {
		case m.Kind() != best.Kind():
			less = m.Kind() == value.KindNumber
		case m.Kind() == value.KindNumber:
			x, _ := m.Num()
			y, _ := best.Num()
			less = x < y
		default:
			x, _ := m.Str()
			y, _ := best.Str()
			less = value.Lexical(x, y) < 0
		}
		greater := !less && !value.Equal(m, best)
		if kind == AggMin && less || kind == AggMax && greater {
			best = m
		}
	}
	if !found && sawNaN {
		return num(math.NaN())
	}
	return best
}

// groupModel recomputes a GroupBy's output from its input rows.
func groupModel(rows []*Row, keys []func(*Row) value.Value, aggs []AggSpec) []*Row {
	type grp struct {
		kv   []value.Value
		rows []*Row
	}
	var groups []*grp
	for _, r := range rows {
		kv := make([]value.Value, len(keys))
		for i, k := range keys {
			kv[i] = k(r)
		}
		var g *grp
		for _, x := range groups {
			eq := true
			for i := range kv {
				eq = eq && value.Equal(kv[i], x.kv[i])
			}
			if eq {
				g = x
				break
			}
		}
		if g == nil {
			g = &grp{kv: kv}
			groups = append(groups, g)
		}
		g.rows = append(g.rows, r)
	}
	var out []*Row
	for _, g := range groups {
		vals := append([]value.Value(nil), g.kv...)
		for _, a := range aggs {
			args := make([]value.Value, len(g.rows))
			for i, r := range g.rows {
				args[i] = a.Arg(r)
			}
			vals = append(vals, aggModel(a.Kind, args))
		}
		var key value.Value
		switch {
		case len(keys) == 0:
			key = str("single_group")
		case len(keys) == 1 && g.kv[0].Kind() != value.KindArray && g.kv[0].Kind() != value.KindObject:
			key = g.kv[0]
		default:
			key = str(serializeTuple(g.kv))
		}
		out = append(out, &Row{Key: key, Vals: vals})
	}
	return out
}

func TestGroupByModel(t *testing.T) {
	arg := func(r *Row) value.Value { return r.Vals[1] }
	var specs []AggSpec
	for _, k := range allAggs {
		specs = append(specs, AggSpec{Kind: k, Arg: arg})
	}
	build := func(key, av []value.Value) *Row {
		return &Row{Vals: append(append([]value.Value(nil), key...), av...)}
	}
	keySets := map[string][]func(*Row) value.Value{
		"none": nil,
		"one":  {func(r *Row) value.Value { return r.Vals[0] }},
		"two":  {func(r *Row) value.Value { return r.Vals[0] }, func(r *Row) value.Value { return r.Vals[2] }},
	}
	for name, keys := range keySets {
		for _, argPool := range []string{"mixed", "numbers"} {
			t.Run(name+"/"+argPool, func(t *testing.T) {
				rng := rand.New(rand.NewPCG(30, uint64(len(keys))))
				src := newSource(rng, "k", 40, func(rng *rand.Rand) []value.Value {
					a := pick(rng, pool)
					if argPool == "numbers" {
						a = num(float64(rng.IntN(2000)-1000) / 8)
						if rng.IntN(10) == 0 {
							a = num(rng.NormFloat64() * 1e6)
						}
					}
					return []value.Value{pick(rng, small), a, pick(rng, small[:4])}
				})
				g := NewGroupBy(keys, specs, build)
				out := acc{}
				for step := range steps() {
					out.apply(t, step, g.Push(src.batch()))
					out.check(t, step, groupModel(src.list(), keys, specs), false)
				}
			})
		}
	}
}

func TestGroupByTable(t *testing.T) {
	row := func(k string, g, v value.Value) *Row { return &Row{Key: str(k), Vals: []value.Value{g, v}} }
	gk := []func(*Row) value.Value{func(r *Row) value.Value { return r.Vals[0] }}
	count := []AggSpec{{Kind: AggCount, Arg: func(r *Row) value.Value { return r.Vals[1] }}}
	build := func(key, av []value.Value) *Row { return &Row{Vals: []value.Value{key[0], av[0]}} }
	g := NewGroupBy(gk, count, build)
	out := g.Push(Batch{
		{row("a", num(1), num(1)), 1},
		{row("b", str("1"), num(1)), 1},
		{row("c", value.Null(), value.Null()), 1},
		{row("d", value.Undefined(), num(1)), 1},
		{row("e", num(math.Copysign(0, -1)), num(1)), 1},
		{row("f", num(0), num(1)), 1},
	})
	var got []string
	for _, d := range out {
		got = append(got, fmt.Sprintf("%+d %s:%v=%v", d.Mult, d.Row.Key.Kind(), d.Row.Key, d.Row.Vals[1]))
	}
	want := `[+1 number:1=1 +1 string:"1"=1 +1 null:null=0 +1 undefined:undefined=1 +1 number:0=2]`
	if fmt.Sprint(got) != want {
		t.Fatalf("groups:\n got %v\nwant %s", got, want)
	}
	// The last row of a group leaving removes it; a change emits -old +new.
	// A removal carries the row as it was added.
	out = g.Push(Batch{{row("a", num(1), num(1)), -1}, {row("e", num(math.Copysign(0, -1)), num(1)), -1}})
	if len(out) != 3 || out[0].Mult != -1 || out[1].Mult != -1 || out[2].Mult != 1 || !value.Equal(out[2].Row.Vals[1], num(1)) {
		t.Fatalf("removals: %v", out)
	}
	// No groupBy: one group, "single_group", absent while the input is empty.
	s := NewGroupBy(nil, count, func(_, av []value.Value) *Row { return &Row{Vals: av} })
	if out := s.Push(nil); len(out) != 0 {
		t.Fatal("empty input gave a row")
	}
	out = s.Push(Batch{{row("a", num(1), num(1)), 1}})
	if k, _ := out[0].Row.Key.Str(); len(out) != 1 || k != "single_group" {
		t.Fatalf("single group: %v", out)
	}
	out = s.Push(Batch{{row("a", num(1), num(1)), -1}})
	if len(out) != 1 || out[0].Mult != -1 {
		t.Fatalf("single group removal: %v", out)
	}
}

// 0.15.2 semantics probed: sum with a non-numeric string is NaN, avg
// counts null rows, min/max turn null into 0.
func TestAggregateSemantics(t *testing.T) {
	vals := []value.Value{num(10), value.Null(), str("5"), value.Bool(true), num(2), num(3), num(4)}
	cases := []struct {
		kind AggKind
		want value.Value
	}{
		{AggCount, num(6)},
		{AggSum, num(25)},
		{AggAvg, num(25.0 / 7)},
		{AggMin, num(0)},
		{AggMax, str("5")}, // every string is above every number (our rule)
	}
	for _, c := range cases {
		var s aggState
		var tmp sumScratch
		for _, v := range vals {
			s.apply(c.kind, v, 1, &tmp)
		}
		if got := s.result(c.kind, len(vals), &tmp); !value.Equal(got, c.want) {
			t.Errorf("%d: got %v want %v", c.kind, got, c.want)
		}
	}
	// avg of 10 and null is 5; min of 10 and null is 0.
	var s aggState
	var tmp sumScratch
	s.apply(AggAvg, num(10), 1, &tmp)
	s.apply(AggAvg, value.Null(), 1, &tmp)
	if got := s.result(AggAvg, 2, &tmp); !value.Equal(got, num(5)) {
		t.Errorf("avg(10, null) = %v", got)
	}
	// NaN: ignored unless all inputs are NaN.
	var m aggState
	m.apply(AggMin, num(math.NaN()), 1, &tmp)
	if got := m.result(AggMin, 1, &tmp); !value.Equal(got, num(math.NaN())) {
		t.Errorf("min(NaN) = %v", got)
	}
	m.apply(AggMin, num(3), 1, &tmp)
	if got := m.result(AggMin, 2, &tmp); !value.Equal(got, num(3)) {
		t.Errorf("min(NaN, 3) = %v", got)
	}
	// sum poisoned by a non-numeric string.
	var sm aggState
	sm.apply(AggSum, num(1), 1, &tmp)
	sm.apply(AggSum, str("x"), 1, &tmp)
	if got := sm.result(AggSum, 2, &tmp); !value.Equal(got, num(math.NaN())) {
		t.Errorf("sum(1, 'x') = %v", got)
	}
	sm.apply(AggSum, str("x"), -1, &tmp)
	if got := sm.result(AggSum, 1, &tmp); !value.Equal(got, num(1)) {
		t.Errorf("sum after removing 'x' = %v", got)
	}
}
