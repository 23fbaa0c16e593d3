package collection

import (
	"testing"

	"github.com/streamdb/streamdb/core/value"
)

// A stage's rows become visible in one step, with the changes a batch
// writing them one by one would report, over optimistic rows too.
func TestAdoptStage(t *testing.T) {
	for _, withOverlay := range []bool{false, true} {
		staged, direct := New("c", "t", "id"), New("c", "t", "id")
		if withOverlay {
			for _, c := range []*Collection{staged, direct} {
				c.Begin()
				c.SetOverlay(map[string]Overlay{"b": {Value: value.MustParse(`{"v":"opt"}`)}, "z": {Value: value.MustParse(`{"v":"z"}`)}})
				c.End(false)
			}
		}
		s := NewStage()
		direct.Begin()
		for _, w := range []struct {
			key, val string
			del      bool
		}{{"a", `{"v":1}`, false}, {"b", `{"v":2}`, false}, {"a", `{"w":3}`, false}, {"c", `{"v":4}`, false}, {"c", "", true}} {
			if w.del {
				s.Remove(w.key)
				direct.Remove(w.key)
				continue
			}
			s.Upsert(w.key, value.MustParse(w.val), value.Merge)
			direct.Upsert(w.key, value.MustParse(w.val), value.Merge)
		}
		if v, ok := staged.Get("a"); ok && !withOverlay {
			t.Fatalf("a staged row is visible before Adopt: %s", v)
		}
		want := direct.End(true)
		staged.Begin()
		staged.Adopt(s)
		got := staged.End(true)
		if len(got) != len(want) {
			t.Fatalf("overlay %v: %d changes, want %d: %v vs %v", withOverlay, len(got), len(want), got, want)
		}
		for i := range want {
			g, w := got[i], want[i]
			if g.Type != w.Type || g.Key != w.Key || g.Value.JSON() != w.Value.JSON() || g.Previous.JSON() != w.Previous.JSON() {
				t.Fatalf("overlay %v: change %d is %+v, want %+v", withOverlay, i, g, w)
			}
		}
		if staged.Size() != direct.Size() || s.Len() != 0 {
			t.Fatalf("overlay %v: size %d, want %d; stage left with %d", withOverlay, staged.Size(), direct.Size(), s.Len())
		}
	}
}
