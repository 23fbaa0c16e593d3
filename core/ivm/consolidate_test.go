package ivm

import (
	"fmt"
	"testing"
)

func TestConsolidate(t *testing.T) {
	a1, a2, a3 := &Row{Key: str("a")}, &Row{Key: str("a")}, &Row{Key: str("a")}
	b1 := &Row{Key: str("b")}
	n1 := &Row{Key: num(1)}
	name := map[*Row]string{a1: "a1", a2: "a2", a3: "a3", b1: "b1", n1: "n1"}
	show := func(b Batch) string {
		s := ""
		for _, d := range b {
			s += fmt.Sprintf("%+d%s ", d.Mult, name[d.Row])
		}
		return s
	}
	cases := []struct {
		in   Batch
		want string
	}{
		{Batch{}, ""},
		{Batch{{a1, 1}}, "+1a1 "},
		{Batch{{a1, 1}, {a1, -1}}, ""},
		{Batch{{a1, -1}, {a1, 1}}, ""},
		{Batch{{a1, -1}, {a2, 1}}, "-1a1 +1a2 "},
		{Batch{{a1, 1}, {b1, 1}}, "+1a1 +1b1 "},
		{Batch{{a1, -1}, {a2, 1}, {a2, -1}, {a3, 1}}, "-1a1 +1a3 "},
		{Batch{{a1, -1}, {a2, 1}, {a2, -1}, {a1, 1}}, ""},
		{Batch{{a1, 1}, {b1, 1}, {a1, -1}, {n1, 1}}, "+1b1 +1n1 "},
		{Batch{{a1, -1}, {b1, -1}, {a2, 1}}, "-1a1 +1a2 -1b1 "},
		{Batch{{a1, 1}, {a1, -1}, {a2, 1}, {a2, -1}}, ""},
		{Batch{{a1, -1}, {a2, 1}, {a2, -1}}, "-1a1 "},
	}
	for _, c := range cases {
		if got := show(Consolidate(append(Batch{}, c.in...))); got != c.want {
			t.Errorf("Consolidate(%s) = %q, want %q", show(c.in), got, c.want)
		}
	}
}
