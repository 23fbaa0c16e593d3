package ivm

// Multiset is an ordered multiset: elements with a count each, kept sorted
// by a comparison function, with O(log n) addition, removal, minimum and
// maximum (n = distinct elements). Elements that compare equal are one
// element: the first one added is kept while its count stays above zero.
// GroupBy keeps one per group for each min and max aggregate.
type Multiset[T any] struct {
	t     *Tree[*msEntry[T]]
	total int
}

type msEntry[T any] struct {
	v T
	n int
}

// NewMultiset returns an empty Multiset ordered by cmp.
func NewMultiset[T any](cmp func(a, b T) int) *Multiset[T] {
	return &Multiset[T]{t: newTreeDegree(func(a, b *msEntry[T]) int { return cmp(a.v, b.v) }, msDegree)}
}

// msDegree is smaller than treeDegree: most groups are small, and a
// multiset's leaf grows by append up to 2·msDegree−1 elements.
const msDegree = 16

// Add adds one occurrence of v.
func (m *Multiset[T]) Add(v T) {
	m.total++
	probe := &msEntry[T]{v: v, n: 1}
	if e, ok := m.t.Get(probe); ok {
		e.n++
		return
	}
	m.t.Insert(probe)
}

// Remove removes one occurrence of v and reports whether there was one.
func (m *Multiset[T]) Remove(v T) bool {
	probe := &msEntry[T]{v: v}
	e, ok := m.t.Get(probe)
	if !ok {
		return false
	}
	m.total--
	if e.n--; e.n == 0 {
		m.t.Delete(probe)
	}
	return true
}

// Len returns the number of occurrences (counting repeats).
func (m *Multiset[T]) Len() int { return m.total }

// Distinct returns the number of distinct elements.
func (m *Multiset[T]) Distinct() int { return m.t.Len() }

// Count returns the number of occurrences of v.
func (m *Multiset[T]) Count(v T) int {
	if e, ok := m.t.Get(&msEntry[T]{v: v}); ok {
		return e.n
	}
	return 0
}

// Min returns the smallest element.
func (m *Multiset[T]) Min() (T, bool) {
	e, ok := m.t.Min()
	if !ok {
		var zero T
		return zero, false
	}
	return e.v, true
}

// Max returns the largest element.
func (m *Multiset[T]) Max() (T, bool) {
	e, ok := m.t.Max()
	if !ok {
		var zero T
		return zero, false
	}
	return e.v, true
}
