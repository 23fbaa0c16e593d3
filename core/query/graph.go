package query

import (
	"slices"

	"github.com/streamdb/streamdb/core/ivm"
)

// sink receives the batches a graph node produces.
type sink interface{ push(b ivm.Batch) }

// outlet is a graph node whose output goes to a sink set after it is
// built (graphs are compiled from the sources towards the result).
type outlet interface{ setNext(s sink) }

// leaf is where one source alias reads a collection: it turns the
// collection's changes into row deltas.
type leaf struct {
	collection string
	next       sink
	reads      fields       // the fields the query reads of its rows; nil: whole rows
	virt       *virtualLeaf // set when the query reads the rows' virtual fields
}

func (l *leaf) setNext(s sink) { l.next = s }

// stage runs one unary operator.
type stage struct {
	fn   func(ivm.Batch) ivm.Batch
	next sink
}

func (s *stage) setNext(n sink) { s.next = n }

func (s *stage) push(b ivm.Batch) {
	if out := s.fn(b); len(out) > 0 {
		s.next.push(out)
	}
}

// pairNode feeds an operator of two inputs (a join: left and right; a
// Nest: parents and children) and passes on what it outputs.
type pairNode struct {
	first, second func(ivm.Batch) ivm.Batch
	next          sink
	join          *ivm.Join // the join it feeds, if it is one
}

func (n *pairNode) setNext(s sink) { n.next = s }

// pairSide is the sink of one input of a pairNode.
type pairSide struct {
	n      *pairNode
	second bool
}

func (s pairSide) push(b ivm.Batch) {
	var out ivm.Batch
	if s.second {
		out = s.n.second(b)
	} else {
		out = s.n.first(b)
	}
	if len(out) > 0 {
		s.n.next.push(out)
	}
}

// joinNode returns the node of join j: its left input first.
func joinNode(j *ivm.Join) *pairNode {
	return &pairNode{first: j.PushLeft, second: j.PushRight, join: j}
}

// collector gathers what reaches the result during one step, so that the
// output stage sees the step as one batch however many leaves it fed; or,
// while a streamed first load fills it, hands each batch to the result
// at once.
type collector struct {
	buf  ivm.Batch
	fill *ivm.Filler
}

func (c *collector) push(b ivm.Batch) {
	if c.fill != nil {
		c.fill.Add(b)
		return
	}
	if c.buf == nil {
		// The first batch is kept as it is (a first result's rows need no
		// copy); clipped, so that appending to it copies.
		c.buf = slices.Clip(b)
		return
	}
	c.buf = append(c.buf, b...)
}
