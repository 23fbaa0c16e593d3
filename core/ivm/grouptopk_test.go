package ivm

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/streamdb/streamdb/core/value"
)

// TestGroupedTopKModel checks a GroupedTopK against a sort of each group's
// rows after every step. Rows carry [group, sort value]; the group is
// part of the key, as includes make it, so that a key stays in its group.
func TestGroupedTopKModel(t *testing.T) {
	for _, w := range [][2]int{{0, -1}, {0, 1}, {1, 2}, {0, 3}, {2, 0}} {
		t.Run(fmt.Sprintf("offset%d/limit%d", w[0], w[1]), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(60, uint64(w[0]*10+w[1]+1)))
			src := newSource(rng, "k", 60, func(rng *rand.Rand) []value.Value {
				return []value.Value{pick(rng, pool), pick(rng, pool)}
			})
			groupOf := func(r *Row) string {
				s, _ := r.Key.Str()
				return s[len(s)-1:] // the key's last digit
			}
			byVal1 := func(a, b *Row) int {
				return byVal0(&Row{Vals: a.Vals[1:]}, &Row{Vals: b.Vals[1:]})
			}
			g := NewGroupedTopK(groupOf, byVal1, w[0], w[1])
			out := acc{}
			for step := range steps() {
				out.apply(t, step, g.Push(src.batch()))
				groups := map[string][]*Row{}
				for _, r := range src.list() {
					groups[groupOf(r)] = append(groups[groupOf(r)], r)
				}
				var want []*Row
				for _, rows := range groups {
					want = append(want, topKModel(rows, byVal1, w[0], w[1])...)
				}
				out.check(t, step, want, false)
				if g.Len() != len(src.rows) {
					t.Fatalf("step %d: Len %d want %d", step, g.Len(), len(src.rows))
				}
			}
			// Removing every row drops every group.
			var clear Batch
			for _, r := range src.list() {
				clear = append(clear, Delta{Row: r, Mult: -1})
			}
			out.apply(t, -1, g.Push(clear))
			if len(out) != 0 || len(g.groups) != 0 {
				t.Fatalf("after removing every row: %d rows out, %d groups held", len(out), len(g.groups))
			}
		})
	}
}
