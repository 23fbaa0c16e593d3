package ivm

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/streamdb/streamdb/core/value"
)

var joinTypes = []JoinType{JoinInner, JoinLeft, JoinRight, JoinFull}

func (t JoinType) String() string {
	return [...]string{"inner", "left", "right", "full"}[t]
}

// joinModel recomputes a join from its inputs by a nested loop, with the
// key rule written independently of joinKeyID: keys match when neither is
// nullish, no component of a composite (Array) key is nullish, and they are
// equal under value.Equal.
func joinModel(typ JoinType, L, R []*Row, lk, rk func(*Row) value.Value, lw, rw int) []*Row {
	// What the nested loop reads of a row, found once per row rather than
	// once per pair (the first-load test's inputs make a million pairs).
	type side struct {
		key       value.Value
		matchable bool
		json      string // the row's key as JSON, for the pair's key
	}
	sides := func(rows []*Row, key func(*Row) value.Value) []side {
		out := make([]side, len(rows))
		for i, r := range rows {
			k := key(r)
			ok := !k.IsNullish()
			k.Elems(func(_ int, e value.Value) bool { ok = ok && !e.IsNullish(); return true })
			out[i] = side{k, ok, r.Key.JSON()}
		}
		return out
	}
	ls, rs := sides(L, lk), sides(R, rk)
	row := func(l, r int) *Row {
		vals := make([]value.Value, lw+rw)
		lkey, rkey := "null", "null"
		if l >= 0 {
			copy(vals, L[l].Vals)
			lkey = ls[l].json
		}
		if r >= 0 {
			copy(vals[lw:], R[r].Vals)
			rkey = rs[r].json
		}
		return &Row{Key: value.String("[" + lkey + "," + rkey + "]"), Vals: vals}
	}
	var out []*Row
	rMatched := make([]bool, len(R))
	for i, l := range ls {
		found := false
		for j, r := range rs {
			if l.matchable && r.matchable && value.Equal(l.key, r.key) {
				out = append(out, row(i, j))
				found, rMatched[j] = true, true
			}
		}
		if !found && (typ == JoinLeft || typ == JoinFull) {
			out = append(out, row(i, -1))
		}
	}
	if typ == JoinRight || typ == JoinFull {
		for j := range R {
			if !rMatched[j] {
				out = append(out, row(-1, j))
			}
		}
	}
	return out
}

func TestJoinModel(t *testing.T) {
	type keys struct {
		name   string
		lk, rk func(*Row) value.Value
	}
	keySets := []keys{
		{"single", func(r *Row) value.Value { return r.Vals[0] }, func(r *Row) value.Value { return r.Vals[0] }},
		{"composite",
			func(r *Row) value.Value { return value.ArrayOf([]value.Value{r.Vals[0], r.Vals[1]}) },
			func(r *Row) value.Value { return value.ArrayOf([]value.Value{r.Vals[0], r.Vals[1]}) }},
		{"one-key-right", // every right row has the same key: a large bucket
			func(r *Row) value.Value { return r.Vals[0] }, func(r *Row) value.Value { return value.Number(1) }},
	}
	for _, ks := range keySets {
		for _, typ := range joinTypes {
			t.Run(fmt.Sprintf("%s/%s", ks.name, typ), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(20, uint64(typ)))
				gen := func(rng *rand.Rand) []value.Value {
					return []value.Value{pick(rng, small), pick(rng, small[:5])}
				}
				L := newSource(rng, "l", 25, gen)
				rKeys := 25
				if ks.name == "one-key-right" {
					rKeys = 3 * bucketIndexAt // the bucket indexes its rows past bucketIndexAt
				}
				R := newSource(rng, "r", rKeys, gen)
				j := NewJoin(typ, ks.lk, ks.rk, 2, 2)
				out := acc{}
				for step := range steps() {
					// Left only, right only, or both in one step (left
					// first, then right, as the query graph pushes them).
					switch rng.IntN(3) {
					case 0:
						out.apply(t, step, j.PushLeft(L.batch()))
					case 1:
						out.apply(t, step, j.PushRight(R.batch()))
					default:
						lb, rb := L.batch(), R.batch()
						out.apply(t, step, append(j.PushLeft(lb), j.PushRight(rb)...))
					}
					out.check(t, step, joinModel(typ, L.list(), R.list(), ks.lk, ks.rk, 2, 2), false)
					if j.LeftLen() != len(L.rows) || j.RightLen() != len(R.rows) {
						t.Fatalf("step %d: join holds %d+%d rows, inputs %d+%d", step, j.LeftLen(), j.RightLen(), len(L.rows), len(R.rows))
					}
				}
			})
		}
	}
}

// TestJoinFirstLoad covers pushFirst, the path of a large batch of
// additions into an empty side: both sides loaded in either order or in one
// step, with a few large buckets (few), buckets large enough to index their
// rows (indexed), many small ones (wide) or string keys (strings), then
// random changes; the output is checked against the model after the load
// and at the end.
func TestJoinFirstLoad(t *testing.T) {
	const keys = 1100 // a bulk load above pushFirst's threshold of 1024 rows
	gens := map[string]func(rng *rand.Rand) []value.Value{
		"few": func(rng *rand.Rand) []value.Value { // a few large buckets
			if rng.IntN(20) == 0 {
				return []value.Value{value.Undefined(), value.Number(1)} // matches nothing
			}
			return []value.Value{value.Number(float64(rng.IntN(40))), pick(rng, small)}
		},
		"wide": func(rng *rand.Rand) []value.Value {
			if rng.IntN(20) == 0 {
				return []value.Value{value.Null(), value.Number(1)} // matches nothing
			}
			return []value.Value{value.Number(float64(rng.IntN(400))), value.Number(1)}
		},
		"indexed": func(rng *rand.Rand) []value.Value { // buckets above bucketIndexAt (about 46 rows each)
			return []value.Value{value.Number(float64(rng.IntN(24))), value.Number(1)}
		},
		"strings": func(rng *rand.Rand) []value.Value { // keys held in the load's own blocks
			if rng.IntN(50) == 0 {
				return []value.Value{value.String(""), value.Number(1)}
			}
			return []value.Value{value.String(fmt.Sprintf("user \"%d\"", rng.IntN(300))), value.Number(1)}
		},
	}
	load := func(s *source) Batch { return s.bulk(keys) }
	key := func(r *Row) value.Value { return r.Vals[0] }
	for name, gen := range gens {
		for _, typ := range joinTypes {
			for order := range 3 {
				t.Run(fmt.Sprintf("%s/%s/%d", name, typ, order), func(t *testing.T) {
					rng := rand.New(rand.NewPCG(21, uint64(typ)*3+uint64(order)))
					L, R := newSource(rng, "l", keys, gen), newSource(rng, "r", keys, gen)
					j := NewJoin(typ, key, key, 2, 2)
					out := acc{}
					switch order {
					case 0: // left, then right: the right's load meets a full left
						out.apply(t, 0, j.PushLeft(load(L)))
						out.apply(t, 0, j.PushRight(load(R)))
					case 1:
						out.apply(t, 0, j.PushRight(load(R)))
						out.apply(t, 0, j.PushLeft(load(L)))
					default: // one step
						lb, rb := load(L), load(R)
						out.apply(t, 0, append(j.PushLeft(lb), j.PushRight(rb)...))
					}
					out.check(t, 0, joinModel(typ, L.list(), R.list(), key, key, 2, 2), false)
					// Then random changes, checked at the end (the model is a
					// nested loop: a check costs a second in wasm).
					for step := 1; step < 4; step++ {
						if rng.IntN(2) == 0 {
							out.apply(t, step, j.PushLeft(L.batch()))
						} else {
							out.apply(t, step, j.PushRight(R.batch()))
						}
						if step == 3 {
							out.check(t, step, joinModel(typ, L.list(), R.list(), key, key, 2, 2), false)
						}
						if j.LeftLen() != len(L.rows) || j.RightLen() != len(R.rows) {
							t.Fatalf("step %d: join holds %d+%d rows, inputs %d+%d", step, j.LeftLen(), j.RightLen(), len(L.rows), len(R.rows))
						}
					}
				})
			}
		}
	}
}

// A self-join-like step: the same source feeds both sides, and one step
// changes both.
func TestJoinSelf(t *testing.T) {
	for _, typ := range joinTypes {
		rng := rand.New(rand.NewPCG(21, uint64(typ)))
		src := newSource(rng, "k", 20, func(rng *rand.Rand) []value.Value {
			return []value.Value{pick(rng, small), pick(rng, small)}
		})
		lk := func(r *Row) value.Value { return r.Vals[0] }
		rk := func(r *Row) value.Value { return r.Vals[1] }
		j := NewJoin(typ, lk, rk, 2, 2)
		out := acc{}
		for step := range steps() {
			b := src.batch()
			out.apply(t, step, append(j.PushLeft(b), j.PushRight(b)...))
			rows := src.list()
			out.check(t, step, joinModel(typ, rows, rows, lk, rk, 2, 2), false)
		}
	}
}

func TestJoinTable(t *testing.T) {
	row := func(k string, v value.Value) *Row { return &Row{Key: str(k), Vals: []value.Value{v}} }
	key := func(r *Row) value.Value { return r.Vals[0] }
	keysOf := func(b Batch) []string {
		var s []string
		for _, d := range b {
			k, _ := d.Row.Key.Str()
			s = append(s, fmt.Sprintf("%+d%s", d.Mult, k))
		}
		return s
	}
	j := NewJoin(JoinLeft, key, key, 1, 1)
	u1 := row("u1", num(1))
	got := keysOf(j.PushLeft(Batch{{u1, 1}}))
	if fmt.Sprint(got) != `[+1["u1",null]]` {
		t.Fatalf("left add: %v", got)
	}
	p1 := row("p1", num(1))
	got = keysOf(j.PushRight(Batch{{p1, 1}}))
	if fmt.Sprint(got) != `[-1["u1",null] +1["u1","p1"]]` {
		t.Fatalf("right add: %v", got)
	}
	p2 := row("p2", num(1))
	got = keysOf(j.PushRight(Batch{{p2, 1}, {p1, -1}}))
	if fmt.Sprint(got) != `[+1["u1","p2"] -1["u1","p1"]]` {
		t.Fatalf("right swap: %v", got)
	}
	got = keysOf(j.PushRight(Batch{{p2, -1}}))
	if fmt.Sprint(got) != `[-1["u1","p2"] +1["u1",null]]` {
		t.Fatalf("right remove: %v", got)
	}
	// A null key never matches, but the left row is kept.
	n := row("n", value.Null())
	j.PushRight(Batch{{row("pn", value.Null()), 1}})
	got = keysOf(j.PushLeft(Batch{{n, 1}}))
	if fmt.Sprint(got) != `[+1["n",null]]` {
		t.Fatalf("null key: %v", got)
	}
	// Joined row values: left then right, Undefined for the missing side.
	j2 := NewJoin(JoinRight, key, key, 2, 1)
	b := j2.PushRight(Batch{{row("r", num(5)), 1}})
	if len(b) != 1 || len(b[0].Row.Vals) != 3 || !b[0].Row.Vals[0].IsUndefined() || !b[0].Row.Vals[1].IsUndefined() || !value.Equal(b[0].Row.Vals[2], num(5)) {
		t.Fatalf("right padding row: %v", fmtRows([]*Row{b[0].Row}))
	}
}

// TestDistinctKeys: the estimate of a first load's distinct join keys is
// within a factor of two of the truth (plus 64) for uniform keys, and never above
// the rows.
func TestDistinctKeys(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	key := func(row *Row) value.Value { return row.Vals[0] }
	for _, tc := range []struct{ rows, keys int }{
		{100, 100}, {5000, 5000}, {200_000, 10}, {200_000, 1000}, {200_000, 20_000}, {200_000, 200_000}, {1_000_000, 100_000},
	} {
		in := make(Batch, tc.rows)
		for i := range in {
			k := i
			if tc.keys < tc.rows {
				k = r.IntN(tc.keys)
			}
			in[i] = Delta{Row: NewRow(value.String(fmt.Sprint(i)), 1), Mult: 1}
			in[i].Row.Vals[0] = value.String(fmt.Sprintf("u%d", k))
		}
		got := distinctKeys(in, key)
		if got > tc.rows || got < tc.keys/2 || got > 2*tc.keys+64 {
			t.Errorf("%d rows of %d keys: estimate %d", tc.rows, tc.keys, got)
		}
	}
}

// TestJoinStreamFirst checks a streamed first load (StreamFirst) against
// the default one on a copy of the same join: the pairs it passes on,
// taken as they come, are the batch the default returns, for every join
// type and either side loaded first; their rows come from a few blocks
// used again chunk after chunk, and what the sink does to them changes
// nothing; the joins then agree step by step on random changes.
func TestJoinStreamFirst(t *testing.T) {
	const rows = 3*firstChunk + 100 // four chunks
	gen := func(rng *rand.Rand) []value.Value {
		if rng.IntN(30) == 0 {
			return []value.Value{value.Null(), value.Number(1)} // matches nothing
		}
		return []value.Value{value.Number(float64(rng.IntN(2500))), value.Number(float64(rng.IntN(9)))}
	}
	load := func(s *source) Batch { return s.bulk(rows) }
	key := func(r *Row) value.Value { return r.Vals[0] }
	for _, typ := range joinTypes {
		for _, leftFirst := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/leftFirst=%v", typ, leftFirst), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(5, uint64(typ)))
				L, R := newSource(rng, "l", rows, gen), newSource(rng, "r", rows, gen)
				streamed, plain := NewJoin(typ, key, key, 2, 2), NewJoin(typ, key, key, 2, 2)
				var got Batch
				seen := map[*Row]bool{}
				calls := 0
				streamed.StreamFirst(func(b Batch) {
					calls++
					for _, d := range b {
						c := &Row{Key: d.Row.Key, Vals: slices.Clone(d.Row.Vals), Sel: d.Row.Sel}
						got = append(got, Delta{Row: c, Mult: d.Mult})
						seen[d.Row] = true
						// A sink may change the rows it is given.
						d.Row.Sel = value.String("scribbled")
						d.Row.Vals[0] = value.Number(-1)
					}
				})
				lb, rb := load(L), load(R)
				first, second := streamed.PushLeft, streamed.PushRight
				pfirst, psecond := plain.PushLeft, plain.PushRight
				fb, sb := lb, rb
				if !leftFirst {
					first, second, pfirst, psecond, fb, sb = second, first, psecond, pfirst, rb, lb
				}
				want := acc{}
				want.apply(t, 0, pfirst(fb))
				want.apply(t, 0, psecond(sb))
				if out := first(fb); len(out) > 0 {
					t.Fatalf("a streamed first load returned %d deltas", len(out))
				}
				if out := second(sb); len(out) > 0 {
					t.Fatalf("a streamed first load returned %d deltas", len(out))
				}
				have := acc{}
				have.apply(t, 0, got)
				have.check(t, 0, want.list(), false)
				if len(got) > 2*firstChunk && (calls < 2 || len(seen) > len(got)/2) {
					t.Errorf("%d pairs in %d calls from %d distinct rows: the rows were not used again", len(got), calls, len(seen))
				}
				streamed.StreamFirst(nil)
				for step := 1; step <= 6; step++ {
					var out, pout Batch
					if rng.IntN(2) == 0 {
						b := L.batch()
						out, pout = streamed.PushLeft(b), plain.PushLeft(b)
					} else {
						b := R.batch()
						out, pout = streamed.PushRight(b), plain.PushRight(b)
					}
					have.apply(t, step, out)
					want.apply(t, step, pout)
					have.check(t, step, want.list(), false)
				}
			})
		}
	}
}

// list returns the accumulated rows.
func (a acc) list() []*Row {
	out := make([]*Row, 0, len(a))
	for _, r := range a {
		out = append(out, r)
	}
	return out
}

// bulk adds n new rows to s and returns their additions: a first load.
func (s *source) bulk(n int) Batch {
	var b Batch
	for i := range n {
		k := fmt.Sprintf("%s%05d", s.name, i)
		r := &Row{Key: value.String(k), Vals: s.gen(s.rng)}
		s.rows[k] = r
		b = append(b, Delta{Row: r, Mult: 1})
	}
	return b
}
