package ivm

// multiset is an ordered multiset: elements with a count each, kept sorted
// by a comparison function, with O(log n) addition, removal, minimum and
// maximum (n = distinct elements). Elements that compare equal are one
// element: the first one added is kept while its count stays above zero.
// GroupBy keeps one per group for each min and max aggregate.
type multiset[T any] struct {
	t     *tree[msEntry[T]]
	total int
}

// msEntry is an element and its count, held in the tree's nodes by value
// (comparisons read no pointer).
type msEntry[T any] struct {
	v T
	n int
}

// newMultiset returns an empty multiset ordered by cmp.
func newMultiset[T any](cmp func(a, b T) int) *multiset[T] {
	return &multiset[T]{t: newTreeDegree(func(a, b msEntry[T]) int { return cmp(a.v, b.v) }, msDegree)}
}

// msDegree is smaller than treeDegree: most groups are small, and a
// multiset's leaf grows by append up to 2·msDegree−1 elements.
const msDegree = 16

// ref returns a pointer to the stored element equal to x, or nil. The
// pointer is valid until the tree next changes.
func (m *multiset[T]) ref(x msEntry[T]) *msEntry[T] {
	t := m.t
	n := t.root
	for n != nil {
		i, found := t.find(n, x)
		if found {
			return &n.items[i]
		}
		if n.children == nil {
			return nil
		}
		n = n.children[i]
	}
	return nil
}

// Add adds one occurrence of v.
func (m *multiset[T]) Add(v T) {
	m.total++
	x := msEntry[T]{v: v, n: 1}
	if e := m.ref(x); e != nil {
		e.n++
		return
	}
	m.t.Insert(x)
}

// Remove removes one occurrence of v and reports whether there was one.
func (m *multiset[T]) Remove(v T) bool {
	x := msEntry[T]{v: v}
	e := m.ref(x)
	if e == nil {
		return false
	}
	m.total--
	if e.n--; e.n == 0 {
		m.t.Delete(x)
	}
	return true
}

// Len returns the number of occurrences (counting repeats).
func (m *multiset[T]) Len() int { return m.total }

// Distinct returns the number of distinct elements.
func (m *multiset[T]) Distinct() int { return m.t.Len() }

// Count returns the number of occurrences of v.
func (m *multiset[T]) Count(v T) int {
	if e := m.ref(msEntry[T]{v: v}); e != nil {
		return e.n
	}
	return 0
}

// Min returns the smallest element.
func (m *multiset[T]) Min() (T, bool) {
	e, ok := m.t.Min()
	return e.v, ok
}

// Max returns the largest element.
func (m *multiset[T]) Max() (T, bool) {
	e, ok := m.t.Max()
	return e.v, ok
}
