package ivm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/streamdb/streamdb/core/value"
)

// This file holds the randomized model tests' harness: a keyed source that
// makes random batches, and an accumulator of an operator's output that
// checks the invariant (rows unique by key, removals of present rows).

// pool is the values random rows are made of: nullable, mixed-type, with
// the edge cases of keys (-0, NaN, 1 and "1", null and undefined).
var pool = []value.Value{
	value.Undefined(), value.Null(),
	value.Number(0), value.Number(math.Copysign(0, -1)), value.Number(1), value.Number(2),
	value.Number(-3), value.Number(1.5), value.Number(0.1), value.Number(0.2),
	value.Number(1e300), value.Number(math.NaN()), value.Number(math.Inf(1)), value.Number(math.Inf(-1)),
	value.String("1"), value.String("a"), value.String("b"), value.String(""), value.String("10"),
	value.Bool(true), value.Bool(false),
	value.MustParse(`[1,2]`), value.MustParse(`{"x":1,"y":2}`), value.MustParse(`{"y":2,"x":1}`),
}

// small is a pool of few values, so that keys collide often.
var small = []value.Value{
	value.Null(), value.Undefined(), value.Number(1), value.String("1"), value.Number(2),
	value.String("a"), value.Number(0), value.Number(math.Copysign(0, -1)), value.Number(math.NaN()),
}

func pick(rng *rand.Rand, vs []value.Value) value.Value { return vs[rng.IntN(len(vs))] }

// source is a keyed input: its current rows, and a generator of random
// batches of changes to them.
type source struct {
	rng  *rand.Rand
	name string
	keys int // size of the key space
	rows map[string]*Row
	gen  func(rng *rand.Rand) []value.Value
}

func newSource(rng *rand.Rand, name string, keys int, gen func(rng *rand.Rand) []value.Value) *source {
	return &source{rng: rng, name: name, keys: keys, rows: map[string]*Row{}, gen: gen}
}

// removal returns the delta removing r: half the time a copy of r, so
// that operators must find rows by key, not by pointer.
func (s *source) removal(r *Row) Delta {
	if s.rng.IntN(2) == 0 {
		c := *r
		return Delta{Row: &c, Mult: -1}
	}
	return Delta{Row: r, Mult: -1}
}

// batch returns a random batch of changes and applies it to s.rows. It
// mixes single changes, several changes of one key, removals followed by
// re-additions, bulk loads and clears.
func (s *source) batch() Batch {
	var b Batch
	if len(s.rows) == 0 && s.rng.IntN(3) == 0 {
		// A bulk load: additions only, into an empty input.
		for i := range s.keys {
			if s.rng.IntN(4) != 0 {
				k := fmt.Sprintf("%s%d", s.name, i)
				r := &Row{Key: value.String(k), Vals: s.gen(s.rng)}
				s.rows[k] = r
				b = append(b, Delta{Row: r, Mult: 1})
			}
		}
		return b
	}
	n := 1
	switch s.rng.IntN(10) {
	case 0, 1, 2:
		n = 1
	case 3, 4, 5, 6:
		n = 1 + s.rng.IntN(6)
	case 7, 8:
		n = 1 + s.rng.IntN(40)
	case 9:
		if s.rng.IntN(4) == 0 {
			// Clear, sometimes re-adding in the same batch.
			for _, k := range s.sortedKeys() {
				b = append(b, s.removal(s.rows[k]))
				delete(s.rows, k)
			}
		}
		n = s.rng.IntN(3 * s.keys)
	}
	for range n {
		k := fmt.Sprintf("%s%d", s.name, s.rng.IntN(s.keys))
		old, ok := s.rows[k]
		switch {
		case !ok:
			r := &Row{Key: value.String(k), Vals: s.gen(s.rng)}
			s.rows[k] = r
			b = append(b, Delta{Row: r, Mult: 1})
		case s.rng.IntN(3) == 0:
			b = append(b, s.removal(old))
			delete(s.rows, k)
		default:
			r := &Row{Key: value.String(k), Vals: s.gen(s.rng)}
			if s.rng.IntN(8) == 0 {
				r.Vals = old.Vals // an update that changes nothing
			}
			s.rows[k] = r
			b = append(b, s.removal(old), Delta{Row: r, Mult: 1})
		}
	}
	return b
}

func (s *source) sortedKeys() []string {
	ks := make([]string, 0, len(s.rows))
	for k := range s.rows {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// list returns the current rows in key order.
func (s *source) list() []*Row {
	out := make([]*Row, 0, len(s.rows))
	for _, k := range s.sortedKeys() {
		out = append(out, s.rows[k])
	}
	return out
}

// acc accumulates an operator's output, checking that every addition is of
// an absent key and every removal of a present row (with the same content).
type acc map[keyID]*Row

func (a acc) apply(t *testing.T, step int, b Batch) {
	t.Helper()
	for _, d := range b {
		id := idOf(d.Row.Key)
		switch {
		case d.Mult == 1:
			if old, ok := a[id]; ok {
				t.Fatalf("step %d: addition of present key %v (present %s, added %s)", step, d.Row.Key, fmtRow(old), fmtRow(d.Row))
			}
			a[id] = d.Row
		case d.Mult == -1:
			old, ok := a[id]
			if !ok {
				t.Fatalf("step %d: removal of absent key %v", step, d.Row.Key)
			}
			if !rowsEqual(old, d.Row) {
				t.Fatalf("step %d: removal of %s, but the row is %s", step, fmtRow(d.Row), fmtRow(old))
			}
			delete(a, id)
		default:
			t.Fatalf("step %d: multiplicity %d", step, d.Mult)
		}
	}
}

// check compares the accumulated rows with want.
func (a acc) check(t *testing.T, step int, want []*Row, cmpSel bool) {
	t.Helper()
	w := map[keyID]*Row{}
	for _, r := range want {
		id := idOf(r.Key)
		if _, dup := w[id]; dup {
			t.Fatalf("step %d: model has key %v twice", step, r.Key)
		}
		w[id] = r
	}
	for id, r := range a {
		e, ok := w[id]
		if !ok {
			t.Fatalf("step %d: output has %s, the model does not\nmodel: %s", step, fmtRow(r), fmtRows(want))
		}
		if cmpSel && !value.Equal(r.Sel, e.Sel) || !cmpSel && !rowsEqual(r, e) {
			t.Fatalf("step %d: output has %s, the model %s", step, fmtRow(r), fmtRow(e))
		}
	}
	for id, r := range w {
		if _, ok := a[id]; !ok {
			t.Fatalf("step %d: model has %s, the output does not", step, fmtRow(r))
		}
	}
}

func rowsEqual(a, b *Row) bool {
	if !value.Equal(a.Key, b.Key) || !value.Equal(a.Sel, b.Sel) || len(a.Vals) != len(b.Vals) {
		return false
	}
	for i := range a.Vals {
		if !value.Equal(a.Vals[i], b.Vals[i]) {
			return false
		}
	}
	return true
}

func fmtRow(r *Row) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "{%v:", r.Key)
	for _, v := range r.Vals {
		fmt.Fprintf(&sb, " %v", v)
	}
	if !r.Sel.IsUndefined() {
		fmt.Fprintf(&sb, " sel=%v", r.Sel)
	}
	return sb.String() + "}"
}

func fmtRows(rs []*Row) string {
	var s []string
	for _, r := range rs {
		s = append(s, fmtRow(r))
	}
	return strings.Join(s, " ")
}

// steps is the number of random steps of each model test. The wasm run
// (make test-js) takes a third of the native one's: it is there to show the
// same code behaves the same compiled to wasm, where each step costs about
// three times as much; the native runs (with the race detector in CI) walk
// the full length.
func steps() int {
	switch {
	case testing.Short():
		return 500
	case runtime.GOOS == "js":
		return 1000
	}
	return 3000
}
