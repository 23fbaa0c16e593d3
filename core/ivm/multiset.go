package ivm

// multiset is an ordered multiset: elements with a count each, kept sorted
// by a comparison function, with O(log n) addition, removal, minimum and
// maximum (n = distinct elements). Elements that compare equal are one
// element: the first one added is kept while its count stays above zero.
// GroupBy keeps one per group for each min and max aggregate.
type multiset[T any] struct {
	t     *tree[*msEntry[T]]
	total int
	probe msEntry[T] // what ref looks up
	// The entries come from blocks (block: the rest of the current one)
	// and removed ones are used again (free), so that a change costs no
	// allocation once the multiset has its size.
	block []msEntry[T]
	free  []*msEntry[T]
}

// msEntry is an element and its count. The tree holds pointers to them,
// so that it shares its code with the other trees of pointers (a tree of
// entries held by value is another 35 KB of wasm code, 5 KB brotli).
type msEntry[T any] struct {
	v T
	n int
}

// msBlockMax is the most entries a multiset allocates at once.
const msBlockMax = 64

// entry returns a new entry of v with a count of one.
func (m *multiset[T]) entry(v T) *msEntry[T] {
	var e *msEntry[T]
	if n := len(m.free); n > 0 {
		e, m.free = m.free[n-1], m.free[:n-1]
	} else {
		if len(m.block) == 0 {
			m.block = make([]msEntry[T], min(max(m.t.Len(), 2), msBlockMax))
		}
		e, m.block = &m.block[0], m.block[1:]
	}
	e.v, e.n = v, 1
	return e
}

// newMultiset returns an empty multiset ordered by cmp.
func newMultiset[T any](cmp func(a, b T) int) *multiset[T] {
	return &multiset[T]{t: newTreeDegree(func(a, b *msEntry[T]) int { return cmp(a.v, b.v) }, msDegree)}
}

// msDegree is smaller than treeDegree: most groups are small, and a
// multiset's leaf grows by append up to 2·msDegree−1 elements.
const msDegree = 16

// ref returns the stored element equal to v, or nil.
func (m *multiset[T]) ref(v T) *msEntry[T] {
	m.probe.v = v
	e, _ := m.t.Get(&m.probe)
	var zero T
	m.probe.v = zero
	return e
}

// Add adds one occurrence of v.
func (m *multiset[T]) Add(v T) {
	m.total++
	if e := m.ref(v); e != nil {
		e.n++
		return
	}
	m.t.Insert(m.entry(v))
}

// Remove removes one occurrence of v and reports whether there was one.
func (m *multiset[T]) Remove(v T) bool {
	e := m.ref(v)
	if e == nil {
		return false
	}
	m.total--
	if e.n--; e.n == 0 {
		m.t.Delete(e)
		var zero T
		e.v = zero
		m.free = append(m.free, e)
	}
	return true
}

// Len returns the number of occurrences (counting repeats).
func (m *multiset[T]) Len() int { return m.total }

// Distinct returns the number of distinct elements.
func (m *multiset[T]) Distinct() int { return m.t.Len() }

// Count returns the number of occurrences of v.
func (m *multiset[T]) Count(v T) int {
	if e := m.ref(v); e != nil {
		return e.n
	}
	return 0
}

// Min returns the smallest element.
func (m *multiset[T]) Min() (T, bool) {
	e, ok := m.t.Min()
	if !ok {
		var zero T
		return zero, false
	}
	return e.v, true
}

// Max returns the largest element.
func (m *multiset[T]) Max() (T, bool) {
	e, ok := m.t.Max()
	if !ok {
		var zero T
		return zero, false
	}
	return e.v, true
}
