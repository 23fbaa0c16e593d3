package ivm

// Filter keeps the rows a predicate accepts. It is stateless: a removal is
// kept when the removed row is accepted, which is when its addition was,
// since the predicate sees the same row.
type Filter struct {
	keep func(*Row) bool
}

// NewFilter returns a Filter keeping the rows keep accepts. keep must be
// deterministic.
func NewFilter(keep func(*Row) bool) *Filter { return &Filter{keep: keep} }

// Push returns the deltas of in whose rows keep accepts, in order.
func (f *Filter) Push(in Batch) Batch {
	var out Batch
	for i, d := range in {
		if d.Row == nil || !f.keep(d.Row) {
			continue
		}
		if out == nil {
			// Most batches keep all or none of their deltas; size for all.
			out = make(Batch, 0, len(in)-i)
		}
		out = append(out, d)
	}
	return out
}
