package ivm

// GroupedTopK is a TopK per group of rows: for each group (a string the
// group function gives a row) it emits the rows entering and leaving the
// window [offset, offset+limit) of that group's rows ordered by cmp
// (TanStack DB's groupedOrderByWithFractionalIndex, which includes use to
// apply a child query's orderBy, offset and limit per parent).
//
// The group of a key must never change (a row's removal and its
// re-addition are in the same group): includes key child rows by the pair
// (child key, parent group), so that holds. A change costs what it costs
// in its group's TopK; an empty group's TopK is dropped.
type GroupedTopK struct {
	group         func(*Row) string
	cmp           func(a, b *Row) int
	offset, limit int
	groups        map[string]*TopK
}

// NewGroupedTopK returns an empty GroupedTopK.
func NewGroupedTopK(group func(*Row) string, cmp func(a, b *Row) int, offset, limit int) *GroupedTopK {
	return &GroupedTopK{group: group, cmp: cmp, offset: offset, limit: limit, groups: map[string]*TopK{}}
}

// Len returns the number of rows held, in every group.
func (g *GroupedTopK) Len() int {
	n := 0
	for _, t := range g.groups {
		n += t.Len()
	}
	return n
}

// Push applies a batch and returns the changes of the groups' windows, the
// groups in the order they first appear in the batch.
func (g *GroupedTopK) Push(in Batch) Batch {
	if len(in) == 0 {
		return nil
	}
	var order []string
	parts := map[string]Batch{}
	for _, d := range in {
		if d.Row == nil || d.Mult == 0 {
			continue
		}
		k := g.group(d.Row)
		if _, ok := parts[k]; !ok {
			order = append(order, k)
		}
		parts[k] = append(parts[k], d)
	}
	var out Batch
	for _, k := range order {
		t := g.groups[k]
		if t == nil {
			t = NewTopK(g.cmp, g.offset, g.limit)
			g.groups[k] = t
		}
		out = append(out, t.Push(parts[k])...)
		if t.Len() == 0 {
			delete(g.groups, k)
		}
	}
	return out
}
