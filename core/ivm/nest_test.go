package ivm

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/streamdb/streamdb/core/value"
)

// nestGroupOf is the group of a test row: its first value's GroupID.
func nestGroupOf(r *Row) string { return GroupID(r.Vals[:1]) }

// nestBuild makes a group's value: the array of its children's second
// values, in order.
func nestBuild(children []*Row) value.Value {
	vals := make([]value.Value, len(children))
	for i, c := range children {
		vals[i] = c.Vals[1]
	}
	return value.ArrayOf(vals)
}

func nestAttach(p *Row, v value.Value) *Row {
	return &Row{Key: p.Key, Vals: p.Vals, Sel: value.With(p.Vals[1], "kids", v)}
}

// byVal1 orders rows by their second value.
func byVal1(a, b *Row) int { return byVal0(&Row{Vals: a.Vals[1:]}, &Row{Vals: b.Vals[1:]}) }

// TestNestModel checks a Nest against a recomputation after every step:
// each parent's output is its value with "kids" set to the array of the
// children of its group in order. Parents and children change in random
// batches, pushed in either order, keys colliding on few groups.
func TestNestModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(70, 1))
	parents := newSource(rng, "p", 30, func(rng *rand.Rand) []value.Value {
		return []value.Value{pick(rng, small), value.MustParse(`{"a":1,"kids":null,"z":2}`)}
	})
	children := newSource(rng, "c", 60, func(rng *rand.Rand) []value.Value {
		return []value.Value{pick(rng, small), pick(rng, pool)}
	})
	n := NewNest(nestGroupOf, nestGroupOf, byVal1, nestBuild, nestAttach)
	out := acc{}
	for step := range steps() {
		if rng.IntN(2) == 0 {
			out.apply(t, step, n.PushParent(parents.batch()))
			out.apply(t, step, n.PushChild(children.batch()))
		} else {
			out.apply(t, step, n.PushChild(children.batch()))
			out.apply(t, step, n.PushParent(parents.batch()))
		}
		kids := children.list()
		slices.SortFunc(kids, totalOrder(byVal1))
		var want []*Row
		for _, p := range parents.list() {
			var mine []*Row
			for _, c := range kids {
				if nestGroupOf(c) == nestGroupOf(p) {
					mine = append(mine, c)
				}
			}
			want = append(want, nestAttach(p, nestBuild(mine)))
		}
		out.check(t, step, want, true)
		if n.Len() != len(parents.rows) {
			t.Fatalf("step %d: Len %d want %d", step, n.Len(), len(parents.rows))
		}
	}
}

// TestNestTouchesOnlyItsGroup: a child change re-emits the parents of its
// group only, and nothing when the group's value does not change.
func TestNestTouchesOnlyItsGroup(t *testing.T) {
	row := func(k string, g, v value.Value) *Row {
		return &Row{Key: value.String(k), Vals: []value.Value{g, v}}
	}
	obj := value.MustParse(`{"kids":null}`)
	n := NewNest(nestGroupOf, nestGroupOf, byVal1, nestBuild, nestAttach)
	out := n.PushParent(Batch{{row("p1", value.Number(1), obj), 1}, {row("p2", value.Number(2), obj), 1}, {row("p3", value.Number(1), obj), 1}})
	if len(out) != 3 || out[0].Row.Sel.JSON() != `{"kids":[]}` {
		t.Fatalf("parents: %v", out)
	}
	out = n.PushChild(Batch{{row("c1", value.Number(1), value.String("x")), 1}})
	if len(out) != 4 {
		t.Fatalf("a child of group 1 gives %d changes, want 4 (p1 and p3, each removed and added)", len(out))
	}
	for _, d := range out {
		if k, _ := d.Row.Key.Str(); k == "p2" {
			t.Fatalf("p2 (group 2) changed: %v", out)
		}
	}
	if got := out[1].Row.Sel.JSON(); got != `{"kids":["x"]}` {
		t.Fatalf("p1 is %s", got)
	}
	// A child of a group without parents changes nothing.
	if out := n.PushChild(Batch{{row("c2", value.Number(9), value.String("y")), 1}}); len(out) != 0 {
		t.Fatalf("child of an unwatched group: %v", out)
	}
	// Its parent, added later, sees it.
	out = n.PushParent(Batch{{row("p4", value.Number(9), obj), 1}})
	if got := out[0].Row.Sel.JSON(); got != `{"kids":["y"]}` {
		t.Fatalf("p4 is %s", got)
	}
}
