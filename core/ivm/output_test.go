package ivm

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/streamdb/streamdb/core/value"
)

func TestOutputModel(t *testing.T) {
	for _, ordered := range []bool{false, true} {
		t.Run(fmt.Sprint("ordered=", ordered), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(60, 1))
			// Rows keyed by keys of every kind (as group keys are), valued
			// by Vals[0] (few values, so that many updates change nothing),
			// ordered by Vals[1] (which the value does not hold).
			src := newSource(rng, "k", 40, func(rng *rand.Rand) []value.Value {
				return []value.Value{pick(rng, small[:4]), pick(rng, pool)}
			})
			val := func(r *Row) value.Value { return r.Vals[0] }
			var order func(a, b *Row) int
			if ordered {
				order = func(a, b *Row) int { return byVal0(&Row{Vals: a.Vals[1:]}, &Row{Vals: b.Vals[1:]}) }
			}
			o := NewOutput(val, order)
			model := map[keyID]value.Value{}
			var mirror []keyID // the result order as a mirror applying ranks keeps it
			for step := range steps() {
				b := src.batch()
				for i, d := range b {
					c := *d.Row
					c.Key = rekey(d.Row.Key)
					b[i].Row = &c
				}
				changes := o.Push(b)
				mirror = applyRanks(t, mirror, changes, ordered)
				for _, c := range changes {
					id := idOf(c.Key)
					prev, present := model[id]
					switch c.Type {
					case Insert:
						if present {
							t.Fatalf("step %d: insert of present key %v", step, c.Key)
						}
						model[id] = c.Value
					case Update:
						if !present || !value.Equal(prev, c.Previous) {
							t.Fatalf("step %d: update of %v: previous %v, model %v (present %v)", step, c.Key, c.Previous, prev, present)
						}
						// An ordered result reports a row that only moved
						// (same value, another place in the order).
						if value.Equal(c.Value, c.Previous) && !ordered {
							t.Fatalf("step %d: update of %v that changes nothing", step, c.Key)
						}
						model[id] = c.Value
					case Delete:
						if !present || !value.Equal(prev, c.Value) {
							t.Fatalf("step %d: delete of %v (present %v)", step, c.Key, present)
						}
						delete(model, id)
					}
				}
				// The result: every current row, in order.
				var want []*Row
				for _, r := range src.list() {
					want = append(want, &Row{Key: rekey(r.Key), Vals: r.Vals})
				}
				if order == nil {
					slices.SortFunc(want, func(a, b *Row) int { return CompareKeys(a.Key, b.Key) })
				} else {
					slices.SortFunc(want, totalOrder(order))
				}
				if o.Len() != len(want) || len(model) != len(want) {
					t.Fatalf("step %d: Len %d, changes give %d, want %d", step, o.Len(), len(model), len(want))
				}
				i := 0
				o.Range(func(k, v value.Value) bool {
					w := want[i]
					if !value.Equal(k, w.Key) || !value.Equal(v, val(w)) {
						t.Fatalf("step %d: row %d is %v=%v, want %v=%v", step, i, k, v, w.Key, val(w))
					}
					if !value.Equal(model[idOf(k)], v) {
						t.Fatalf("step %d: changes give %v=%v, result %v", step, k, model[idOf(k)], v)
					}
					if g, ok := o.Get(k); !ok || !value.Equal(g, v) {
						t.Fatalf("step %d: Get(%v) = %v,%v", step, k, g, ok)
					}
					if mirror[i] != idOf(k) {
						t.Fatalf("step %d: the rank mirror has %v at %d, want %v", step, mirror[i], i, k)
					}
					if r := o.Rank(k); r != i {
						t.Fatalf("step %d: Rank(%v) = %d, want %d", step, k, r, i)
					}
					if ak, _, ok := o.At(i); !ok || !value.Equal(ak, k) {
						t.Fatalf("step %d: At(%d) = %v", step, i, ak)
					}
					i++
					return true
				})
				if o.Rank(str("absent")) != -1 {
					t.Fatal("Rank of an absent key")
				}
			}
		})
	}
}

// rekey maps a source key "kN" to a key of another kind, injectively, so
// that keys of every kind meet in one result.
func rekey(k value.Value) value.Value {
	s, _ := k.Str()
	var n int
	fmt.Sscanf(s[1:], "%d", &n)
	switch n % 5 {
	case 0:
		return num(float64(n))
	case 1:
		return k
	case 2:
		switch n {
		case 2:
			return value.Null()
		case 7:
			return value.Undefined()
		case 12:
			return value.Bool(true)
		}
		return num(float64(-n) / 2)
	case 3:
		return value.ArrayOf([]value.Value{num(float64(n))})
	}
	return str(fmt.Sprint(n))
}

func TestOutputTable(t *testing.T) {
	row := func(k string, v value.Value) *Row { return &Row{Key: str(k), Vals: []value.Value{v}} }
	o := NewOutput(func(r *Row) value.Value { return r.Vals[0] }, nil)
	ch := o.Push(Batch{{row("b", num(1)), 1}, {row("a", num(2)), 1}})
	if len(ch) != 2 || ch[0].Type != Insert || ch[1].Type != Insert {
		t.Fatalf("inserts: %v", ch)
	}
	// -old +new with an equal value: no change.
	if ch := o.Push(Batch{{row("a", num(2)), -1}, {row("a", num(2)), 1}}); len(ch) != 0 {
		t.Fatalf("no-op update: %v", ch)
	}
	ch = o.Push(Batch{{row("a", num(2)), -1}, {row("a", num(3)), 1}, {row("b", num(1)), -1}})
	if len(ch) != 2 || ch[0].Type != Update || !value.Equal(ch[0].Previous, num(2)) || ch[1].Type != Delete || !value.Equal(ch[1].Value, num(1)) {
		t.Fatalf("update+delete: %v", ch)
	}
	// Several changes of one key in one batch fold into one.
	ch = o.Push(Batch{{row("c", num(1)), 1}, {row("c", num(1)), -1}, {row("c", num(5)), 1}})
	if len(ch) != 1 || ch[0].Type != Insert || !value.Equal(ch[0].Value, num(5)) {
		t.Fatalf("folded insert: %v", ch)
	}
	ch = o.Push(Batch{{row("c", num(5)), -1}, {row("c", num(6)), 1}, {row("c", num(6)), -1}})
	if len(ch) != 1 || ch[0].Type != Delete || !value.Equal(ch[0].Value, num(5)) {
		t.Fatalf("folded delete: %v", ch)
	}
	var keys []string
	o.Range(func(k, _ value.Value) bool { s, _ := k.Str(); keys = append(keys, s); return true })
	if fmt.Sprint(keys) != "[a]" {
		t.Fatalf("keys %v", keys)
	}
}

// applyRanks applies a batch of changes to a mirror of the result order
// the way the browser shim does: removals (deletes, and updates of an
// ordered result) from the highest old position down, then insertions from
// the lowest new position up; updates in key order stay in place.
func applyRanks(t *testing.T, mirror []keyID, changes []Change, ordered bool) []keyID {
	t.Helper()
	var removals []int
	type ins struct {
		rank int
		id   keyID
	}
	var inserts, inPlace []ins
	for _, c := range changes {
		switch {
		case c.Type == Delete:
			removals = append(removals, c.OldRank)
		case c.Type == Insert:
			inserts = append(inserts, ins{c.Rank, idOf(c.Key)})
		case ordered:
			removals = append(removals, c.OldRank)
			inserts = append(inserts, ins{c.Rank, idOf(c.Key)})
		case c.OldRank != c.Rank:
			t.Fatalf("an update in key order moved from %d to %d", c.OldRank, c.Rank)
		default:
			inPlace = append(inPlace, ins{c.Rank, idOf(c.Key)})
		}
	}
	slices.Sort(removals)
	for i := len(removals) - 1; i >= 0; i-- {
		r := removals[i]
		mirror = slices.Delete(mirror, r, r+1)
	}
	slices.SortFunc(inserts, func(a, b ins) int { return a.rank - b.rank })
	for _, x := range inserts {
		mirror = slices.Insert(mirror, x.rank, x.id)
	}
	// An update in place replaces the row at its rank: the row must be
	// there.
	for _, x := range inPlace {
		if x.rank < 0 || x.rank >= len(mirror) || mirror[x.rank] != x.id {
			t.Fatalf("an update in place at %d of a row that is not there (%v)", x.rank, x.id)
		}
	}
	return mirror
}

// A first result built at once (Fill) is in the order of CompareKeys
// whatever its keys: ASCII and other strings (where the byte order of
// UTF-8 and the UTF-16 order differ: U+E000 and up against characters
// outside the BMP, lone surrogates), numbers, and mixes of kinds.
func TestOutputFillKeyOrder(t *testing.T) {
	pools := map[string][]value.Value{
		"ascii":      {str("a"), str("b"), str("ab"), str(""), str("B"), str("a b"), str("[\"x\",1]")},
		"latin":      {str("é"), str("e"), str("ü"), str("z"), str("ſ"), str("Ω")},
		"above bmp":  {str("\ue000"), str("😀"), str("\uffff"), str("a😀"), str("a\ue000"), str("\ud7ff")},
		"surrogates": {str("\xed\xa0\x80"), str("😀"), str("\xed\xbf\xbf"), str("x")},
		"kinds":      {str("1"), num(1), num(-2), value.Null(), value.Bool(true), str("")},
	}
	for name, pool := range pools {
		t.Run(name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(53, 1))
			seen := map[keyID]bool{}
			var b Batch
			var keys []value.Value
			for range 300 {
				k := pool[rng.IntN(len(pool))]
				if s, ok := k.Str(); ok {
					k = str(s + pool[rng.IntN(len(pool))].JSON())
				}
				if seen[idOf(k)] {
					continue
				}
				seen[idOf(k)] = true
				keys = append(keys, k)
				b = append(b, Delta{Row: &Row{Key: k, Vals: []value.Value{num(1)}}, Mult: 1})
			}
			fill := func(b Batch) []value.Value {
				o := NewOutput(func(r *Row) value.Value { return r.Vals[0] }, nil)
				o.Fill(b)
				var got []value.Value
				o.Range(func(k, _ value.Value) bool { got = append(got, k); return true })
				return got
			}
			got := fill(b)
			// The batch in result order already (as a source's rows come),
			// and then with its last two rows swapped.
			slices.SortFunc(b, func(x, y Delta) int { return CompareKeys(x.Row.Key, y.Row.Key) })
			inOrder := fill(b)
			b[len(b)-1], b[len(b)-2] = b[len(b)-2], b[len(b)-1]
			swapped := fill(b)
			slices.SortFunc(keys, CompareKeys)
			for what, got := range map[string][]value.Value{"shuffled": got, "in order": inOrder, "last two swapped": swapped} {
				if !slices.EqualFunc(got, keys, value.Equal) {
					t.Fatalf("%s: order:\n got %v\nwant %v", what, got, keys)
				}
			}
		})
	}
}

// TestKeyPrefixOrder checks the prefixes a keyed Output compares first
// (keyPrefix) against CompareKeys on random keys: ASCII and other text,
// NUL bytes, keys that are prefixes of others, and keys of other kinds.
// Where two prefixes differ they must order as the keys do, and
// compareEntryKeys must always order as CompareKeys.
func TestKeyPrefixOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	parts := []string{"a", "b", "z", "A", "0", "9", " ", "\x00", "\x7f", "é", "ÿ", "中", "\ue000", "\uffff", "😀", "m1", "u10"}
	var keys []value.Value
	for range 400 {
		var s string
		for n := rng.IntN(7); len(s) < 12 && n > 0; n-- {
			s += parts[rng.IntN(len(parts))]
		}
		keys = append(keys, value.String(s))
	}
	keys = append(keys, value.Number(3), value.Number(-1), value.Null(), value.Undefined(), value.String("abcdefgh"), value.String("abcdefghi"), value.String("abcdefg"))
	sign := func(c int) int { return min(max(c, -1), 1) }
	prefixed := 0
	for _, a := range keys {
		for _, b := range keys {
			want := sign(CompareKeys(a, b))
			ea, eb := &outEntry{key: a, pre: keyPrefix(a)}, &outEntry{key: b, pre: keyPrefix(b)}
			if got := sign(compareEntryKeys(ea, eb)); got != want {
				t.Fatalf("compareEntryKeys(%s, %s) = %d, CompareKeys %d", a.JSON(), b.JSON(), got, want)
			}
			if ea.pre != 0 && eb.pre != 0 && ea.pre != eb.pre {
				prefixed++
				if got := sign(cmp.Compare(ea.pre, eb.pre)); got != want {
					t.Fatalf("prefixes of %s and %s order %d, the keys %d", a.JSON(), b.JSON(), got, want)
				}
			}
		}
	}
	if prefixed < len(keys)*len(keys)/10 {
		t.Fatalf("only %d pairs ordered by their prefixes: the test does not reach the fast path", prefixed)
	}
}

// TestOutputFiller fills a keyed Output in batches (Filler) and checks it
// against Fill of the same deltas as one batch: shuffled keys, keys in
// result order, and batches with removals (retracted outer-join padding),
// with each batch's rows scribbled over once Add returned; then a push of
// changes gives the same changes and result on both.
func TestOutputFiller(t *testing.T) {
	ascii := func(rng *rand.Rand, i int) value.Value { return str(fmt.Sprintf("k%06d", rng.IntN(1_000_000)*10+i%10)) }
	// Keys sortByStringKey leaves to the general sort: numbers, and text
	// above U+D000 among the strings.
	// Strings whose UTF-8 byte order is not their order (UTF-16's):
	// U+FFEF comes after U+1F600 in UTF-16, before it in UTF-8.
	high := func(rng *rand.Rand, i int) value.Value {
		return str(fmt.Sprintf("k%d%s%d", rng.IntN(1000), []string{"\uffef", "\U0001F600"}[i%2], i))
	}
	kinds := func(rng *rand.Rand, i int) value.Value {
		if i%3 == 0 {
			return num(float64(rng.IntN(1_000_000)*10 + i%10))
		}
		return high(rng, i)
	}
	for _, tc := range []struct {
		name     string
		key      func(*rand.Rand, int) value.Value
		sorted   bool
		removals bool
		bytes    bool // in UTF-8 byte order instead
	}{
		{"shuffled", ascii, false, false, false}, {"in order", ascii, true, false, false}, {"with removals", ascii, false, true, false},
		{"other keys, in order", kinds, true, false, false}, {"other keys, shuffled", kinds, false, false, false},
		{"text above U+D000, in byte order", high, true, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(61, 2))
			row := func(k string, v float64) *Row { return &Row{Key: str(k), Vals: []value.Value{num(v)}} }
			var all Batch
			for i := range 5000 {
				all = append(all, Delta{Row: &Row{Key: tc.key(rng, i), Vals: []value.Value{num(float64(i))}}, Mult: 1})
			}
			slices.SortFunc(all, func(x, y Delta) int { return CompareKeys(x.Row.Key, y.Row.Key) })
			all = slices.CompactFunc(all, func(a, b Delta) bool { return value.Equal(a.Row.Key, b.Row.Key) })
			if !tc.sorted {
				rng.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
			}
			if tc.bytes {
				slices.SortFunc(all, func(x, y Delta) int { a, _ := x.Row.Key.Str(); b, _ := y.Row.Key.Str(); return strings.Compare(a, b) })
			}
			if tc.removals {
				for i := 0; i < 200; i++ {
					r := all[rng.IntN(len(all)/2)].Row
					all = append(all, Delta{Row: &Row{Key: r.Key, Vals: slices.Clone(r.Vals)}, Mult: -1})
				}
			}
			val := func(r *Row) value.Value { return r.Vals[0] }
			want := NewOutput(val, nil)
			want.Fill(slices.Clone(all))
			got := NewOutput(val, nil)
			f := got.NewFiller()
			for start := 0; start < len(all); {
				end := min(start+1+rng.IntN(700), len(all))
				chunk := make(Batch, 0, end-start)
				for _, d := range all[start:end] {
					chunk = append(chunk, Delta{Row: &Row{Key: d.Row.Key, Vals: slices.Clone(d.Row.Vals)}, Mult: d.Mult})
				}
				f.Add(chunk)
				for _, d := range chunk { // the rows are the caller's again
					d.Row.Key, d.Row.Vals[0] = str("scribbled"), num(-1)
				}
				start = end
			}
			f.Done()
			sameResult(t, "after the fill", got, want)
			// Then changes: an update, a removal, an addition.
			k0 := all[0].Row.Key
			step := Batch{
				{Row: &Row{Key: k0, Vals: slices.Clone(all[0].Row.Vals)}, Mult: -1}, {Row: &Row{Key: k0, Vals: []value.Value{num(-5)}}, Mult: 1},
				{Row: all[len(all)/2].Row, Mult: -1},
				{Row: row("k-new", 7), Mult: 1},
			}
			step = slices.DeleteFunc(step, func(d Delta) bool { _, ok := want.Get(d.Row.Key); return d.Mult < 0 && !ok })
			gc, wc := got.Push(step), want.Push(step)
			if !slices.EqualFunc(gc, wc, func(a, b Change) bool {
				return a.Type == b.Type && value.Equal(a.Key, b.Key) && value.Equal(a.Value, b.Value) && a.Rank == b.Rank && a.OldRank == b.OldRank
			}) {
				t.Fatalf("changes of a push:\n got %v\nwant %v", gc, wc)
			}
			sameResult(t, "after a push", got, want)
		})
	}
}

// sameResult compares two Outputs' results, key by key in order.
func sameResult(t *testing.T, when string, got, want *Output) {
	t.Helper()
	var g, w []string
	got.Range(func(k, v value.Value) bool { g = append(g, k.JSON()+"="+v.JSON()); return true })
	want.Range(func(k, v value.Value) bool { w = append(w, k.JSON()+"="+v.JSON()); return true })
	if !slices.Equal(g, w) {
		t.Fatalf("%s: %d rows, want %d\n got %.300v\nwant %.300v", when, len(g), len(w), g, w)
	}
}

// TestOutputEntriesReused: a live result takes its entries from blocks and
// reuses those of rows that left; one that grows, shrinks to a few rows
// (its spare entries let go) and grows again keeps every row's value, in
// key order, with the ranks a mirror needs.
func TestOutputEntriesReused(t *testing.T) {
	o := NewOutput(func(r *Row) value.Value { return r.Vals[0] }, nil)
	model := map[string]float64{}
	var mirror []keyID
	key := func(i int) value.Value { return value.String(fmt.Sprintf("k%05d", i)) }
	push := func(b Batch) {
		t.Helper()
		mirror = applyRanks(t, mirror, o.Push(b), false)
	}
	for round, n := range []int{3000, 10, 2500, 0, 700} {
		var b Batch
		for i := range 3000 {
			_, present := model[fmt.Sprintf("k%05d", i)]
			switch {
			case i < n && !present, i < n && i%3 == round%3:
				v := float64(round*10000 + i)
				r := NewRow(key(i), 1)
				r.Vals[0] = value.Number(v)
				if present {
					old := NewRow(key(i), 1)
					old.Vals[0] = value.Number(model[fmt.Sprintf("k%05d", i)])
					b = append(b, Delta{Row: old, Mult: -1})
				}
				b = append(b, Delta{Row: r, Mult: 1})
				model[fmt.Sprintf("k%05d", i)] = v
			case i >= n && present:
				old := NewRow(key(i), 1)
				old.Vals[0] = value.Number(model[fmt.Sprintf("k%05d", i)])
				b = append(b, Delta{Row: old, Mult: -1})
				delete(model, fmt.Sprintf("k%05d", i))
			}
			if len(b) >= 97 { // many steps of a few rows each: the live path
				push(b)
				b = nil
			}
		}
		push(b)
		if o.Len() != len(model) || len(mirror) != len(model) {
			t.Fatalf("round %d: Len %d, mirror %d, want %d", round, o.Len(), len(mirror), len(model))
		}
		i := 0
		o.Range(func(k, v value.Value) bool {
			ks, _ := k.Str()
			f, _ := v.Num()
			if f != model[ks] || idOf(k) != mirror[i] {
				t.Fatalf("round %d: row %d is %s = %v, want %v at its rank", round, i, ks, f, model[ks])
			}
			i++
			return true
		})
	}
}
