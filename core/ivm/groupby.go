package ivm

import "github.com/streamdb/streamdb/core/value"

// GroupBy groups rows by the values of key expressions and maintains
// aggregates per group (TanStack DB's groupBy with 0.15.2's aggregate
// semantics, see AggKind).
//
// Each group has one output row, made by the build function from the
// group's key values and aggregate values, with the key TanStack DB gives
// the group:
//   - no key expressions (aggregates without groupBy): the single group
//     "single_group", which exists only while there are input rows (an
//     empty input gives an empty result, as 0.15.2 does);
//   - one key expression: the key value itself, type-sensitive (1 and "1"
//     are different groups; null and undefined are different groups), -0
//     as 0; an array or object value (which TanStack groups by reference)
//     groups by content under the key serializeTuple([v]), e.g. "[[1,2]]";
//   - several: serializeTuple of the values, e.g. "[\"a\",1]", or
//     "~[\"array\",[[\"string\",\"a\"],[\"undefined\"]]]" when a value is
//     undefined or a non-finite number.
//
// The key values passed to build are those of the row that created the
// group (-0 as 0); values of one group are equal under value.Equal.
//
// A group whose row count drops to 0 disappears. For each group a batch
// touches, Push emits the removal of its previous output row (if any) then
// the addition of its new one (if it still has rows). count, sum and avg
// cost O(1) per change, min and max O(log g) (an ordered multiset per
// group).
//
// GroupBy keeps nothing per input row: it relies on the Batch contract
// that a removal carries the row as it was added (its group and aggregate
// arguments are computed again from it), and that a key is removed before
// it is added again. Its memory is its groups.
type GroupBy struct {
	keys   []func(*Row) value.Value
	aggs   []AggSpec
	build  func(key []value.Value, aggs []value.Value) *Row
	groups idMap[*group]
	sc     sumScratch
	kbuf   []value.Value
	avbuf  []value.Value
	tbuf   []*group
}

// tupleKind marks the keyID of a group of several key expressions (or
// none): its text is the serialized tuple.
const tupleKind value.Kind = 100

type group struct {
	id      keyID
	key     value.Value
	keyVals []value.Value
	n       int // input rows
	aggs    []aggState
	out     *Row // current output row; nil while the group has no rows
	prev    *Row // output row before the batch being pushed
	touched bool
}

// NewGroupBy returns a GroupBy with the given key expressions, aggregates
// and output row builder. build receives the group's key values (one per
// key expression) and aggregate values (one per AggSpec, in order) and
// returns a new Row; GroupBy sets its Key. The slices passed to build must
// not be kept.
func NewGroupBy(keys []func(*Row) value.Value, aggs []AggSpec,
	build func(key []value.Value, aggs []value.Value) *Row) *GroupBy {
	return &GroupBy{
		keys: keys, aggs: aggs, build: build,
		groups: newIDMap[*group](0),
	}
}

// Len returns the number of groups.
func (g *GroupBy) Len() int { return g.groups.len() }

// Push applies a batch of input changes and returns the changes of the
// groups' output rows.
func (g *GroupBy) Push(in Batch) Batch {
	touched := g.tbuf[:0]
	touch := func(gr *group) {
		if !gr.touched {
			gr.touched = true
			gr.prev = gr.out
			touched = append(touched, gr)
		}
	}
	for _, d := range in {
		if d.Row == nil || d.Mult == 0 {
			continue
		}
		gr := g.groupOf(d.Row, d.Mult > 0)
		if gr == nil || d.Mult < 0 && gr.n == 0 {
			continue // the removal of a row never added: nothing to undo
		}
		touch(gr)
		g.apply(gr, d.Row, d.Mult)
	}
	var out Batch
	if len(touched) > 0 {
		out = make(Batch, 0, 2*len(touched)) // a removal and an addition each
	}
	if cap(g.avbuf) < len(g.aggs) {
		g.avbuf = make([]value.Value, len(g.aggs))
	}
	av := g.avbuf[:len(g.aggs)]
	for _, gr := range touched {
		gr.touched = false
		if gr.prev != nil {
			out = append(out, Delta{Row: gr.prev, Mult: -1})
			gr.prev = nil
		}
		if gr.n <= 0 {
			gr.out = nil
			g.groups.remove(gr.id)
			continue
		}
		for i, a := range g.aggs {
			av[i] = gr.aggs[i].result(a.Kind, gr.n, &g.sc)
		}
		r := g.build(gr.keyVals, av)
		if r == nil {
			r = &Row{}
		}
		r.Key = gr.key
		gr.out = r
		out = append(out, Delta{Row: r, Mult: 1})
	}
	clear(touched)
	g.tbuf = touched[:0]
	return out
}

// apply adds (mult > 0) or removes (mult < 0) row r in group gr.
func (g *GroupBy) apply(gr *group, r *Row, mult int) {
	sign := 1
	if mult < 0 {
		sign = -1
	}
	gr.n += sign
	for i, a := range g.aggs {
		var v value.Value
		if a.Arg != nil {
			v = a.Arg(r)
		}
		gr.aggs[i].apply(a.Kind, v, sign, &g.sc)
	}
}

// groupOf returns the group of row r, creating it when needed and create
// is set (otherwise nil when it has none).
func (g *GroupBy) groupOf(r *Row, create bool) *group {
	kv := g.kbuf[:0]
	for _, k := range g.keys {
		v := k(r)
		if f, ok := v.Num(); ok && f == 0 {
			v = value.Number(0) // -0 is the group of 0
		}
		kv = append(kv, v)
	}
	g.kbuf = kv
	id, key := groupID(kv)
	if gr := g.groups.get(id); gr != nil || !create {
		return gr
	}
	gr := &group{id: id, key: key, keyVals: append([]value.Value(nil), kv...), aggs: make([]aggState, len(g.aggs))}
	g.groups.set(id, gr)
	return gr
}

// groupID returns the identity and result key of the group of key values
// kv.
func groupID(kv []value.Value) (keyID, value.Value) {
	switch len(kv) {
	case 0:
		return keyID{kind: tupleKind}, value.String("single_group")
	case 1:
		switch kv[0].Kind() {
		case value.KindArray, value.KindObject:
			return idOf(kv[0]), value.String(serializeTuple(kv))
		}
		return idOf(kv[0]), kv[0]
	}
	s := serializeTuple(kv)
	return keyID{kind: tupleKind, s: s}, value.String(s)
}

// GroupKey returns the result key of the group whose groupBy values are
// kv (as the group-by stage passes them to its build function).
func GroupKey(kv []value.Value) value.Value {
	_, k := groupID(kv)
	return k
}
