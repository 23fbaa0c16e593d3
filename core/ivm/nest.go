package ivm

import "github.com/streamdb/streamdb/core/value"

// Nest attaches to each parent row a value made of the child rows of its
// group: TanStack DB's includes, where a select field is a subquery
// correlated with the parent row (toArray, concat(toArray(...)),
// materialize). Parents and children meet by group, a string: the
// correlation value and the parent fields the child query reads.
//
// Nest keeps, per group, its child rows in order (cmp, a total order) and
// its parents. A parent row's addition emits the parent as attach makes it
// with its group's value (build of the group's children in order; of none
// for an empty group); its removal emits the removal of the row it emitted
// for it. A change of a group's children rebuilds the group's value once
// and, when it changed (value.Equal), re-emits that group's parents only
// (a removal and an addition each): a child change costs O(log c) plus the
// rebuild, O(c) for a group of c children, and touches no other parent.
type Nest struct {
	parentGroup func(*Row) string
	childGroup  func(*Row) string
	cmp         func(a, b *Row) int
	build       func(children []*Row) value.Value
	attach      func(parent *Row, v value.Value) *Row
	parents     map[keyID]*nestParent
	groups      map[string]*nestGroup
}

type nestParent struct {
	in, out *Row
	g       *nestGroup
	i       int // index in g.parents
}

type nestGroup struct {
	key      string
	children *tree[*Row]
	parents  []*nestParent
	val      value.Value
	stale    bool
	dirty    bool // children changed during the current PushChild
}

// NewNest returns an empty Nest. parentGroup and childGroup give the group
// of a parent row and of a child row; cmp orders a group's children (ties
// broken by key); build makes the value of a group from its children in
// order; attach makes the output row of a parent given that value (a new
// Row with the parent's key).
func NewNest(parentGroup, childGroup func(*Row) string, cmp func(a, b *Row) int,
	build func(children []*Row) value.Value, attach func(parent *Row, v value.Value) *Row) *Nest {
	return &Nest{
		parentGroup: parentGroup, childGroup: childGroup, cmp: totalOrder(cmp), build: build, attach: attach,
		parents: map[keyID]*nestParent{}, groups: map[string]*nestGroup{},
	}
}

func (n *Nest) group(k string) *nestGroup {
	g := n.groups[k]
	if g == nil {
		g = &nestGroup{key: k, children: newTree(n.cmp), stale: true}
		n.groups[k] = g
	}
	return g
}

// value returns the group's value, built again when its children changed.
func (n *Nest) value(g *nestGroup) value.Value {
	if g.stale {
		rows := make([]*Row, 0, g.children.Len())
		g.children.Ascend(0, func(r *Row) bool {
			rows = append(rows, r)
			return true
		})
		g.val, g.stale = n.build(rows), false
	}
	return g.val
}

// drop forgets a group with neither children nor parents.
func (n *Nest) drop(g *nestGroup) {
	if g.children.Len() == 0 && len(g.parents) == 0 {
		delete(n.groups, g.key)
	}
}

// PushParent applies a batch of parent changes and returns the changes of
// the output rows.
func (n *Nest) PushParent(in Batch) Batch {
	var out Batch
	for _, d := range in {
		if d.Row == nil || d.Mult == 0 {
			continue
		}
		id := idOf(d.Row.Key)
		if d.Mult < 0 {
			p := n.parents[id]
			if p == nil {
				continue
			}
			out = append(out, Delta{Row: p.out, Mult: -1})
			g := p.g
			last := len(g.parents) - 1
			g.parents[p.i] = g.parents[last]
			g.parents[p.i].i = p.i
			g.parents[last] = nil
			g.parents = g.parents[:last]
			delete(n.parents, id)
			n.drop(g)
			continue
		}
		if p := n.parents[id]; p != nil {
			continue // malformed: the key is present
		}
		g := n.group(n.parentGroup(d.Row))
		p := &nestParent{in: d.Row, g: g, i: len(g.parents)}
		p.out = n.attach(d.Row, n.value(g))
		g.parents = append(g.parents, p)
		n.parents[id] = p
		out = append(out, Delta{Row: p.out, Mult: 1})
	}
	return out
}

// PushChild applies a batch of child changes and returns the changes of
// the output rows of the parents whose group's value changed.
func (n *Nest) PushChild(in Batch) Batch {
	var dirty []*nestGroup
	for _, d := range in {
		if d.Row == nil || d.Mult == 0 {
			continue
		}
		g := n.group(n.childGroup(d.Row))
		if d.Mult > 0 {
			g.children.Insert(d.Row)
		} else {
			g.children.Delete(d.Row)
		}
		if !g.dirty {
			g.dirty = true
			dirty = append(dirty, g)
		}
	}
	var out Batch
	for _, g := range dirty {
		g.dirty = false
		old, had := g.val, !g.stale
		g.stale = true
		if len(g.parents) > 0 {
			v := n.value(g)
			if !had || !value.Equal(old, v) {
				for _, p := range g.parents {
					out = append(out, Delta{Row: p.out, Mult: -1})
					p.out = n.attach(p.in, v)
					out = append(out, Delta{Row: p.out, Mult: 1})
				}
			}
		}
		n.drop(g)
	}
	return out
}

// Len returns the number of parent rows held.
func (n *Nest) Len() int { return len(n.parents) }

// GroupID returns a string that identifies a tuple of values (db-ivm's
// serializeValue of the array of vals): equal tuples (value.Equal, NaN
// equal to NaN, -0 to 0) give equal strings and different ones different
// strings. Includes name a parent's group by it.
func GroupID(vals []value.Value) string { return serializeTuple(vals) }
