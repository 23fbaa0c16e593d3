package ivm

// tree is an order-statistic tree: a set of elements kept sorted by a
// comparison function, with O(log n) insertion, deletion, search, rank
// (position of an element) and selection (element at a position).
//
// It is a B-tree whose nodes record the number of elements below them.
// Elements that compare equal are one element: inserting an element equal
// to one already present replaces it. The zero tree is not usable; make
// one with newTree.
type tree[T any] struct {
	cmp  func(a, b T) int
	root *tnode[T]
	max  int // most items in a node (2·degree − 1)
	min  int // fewest items in a non-root node (degree − 1)
}

type tnode[T any] struct {
	items    []T
	children []*tnode[T] // nil in a leaf; else len(items)+1 children
	csize    []int       // csize[i] = children[i].size, kept here so that
	// positions are summed from one array, not from every child's memory
	size int // elements in this subtree
}

// treeDegree is the B-tree's minimum degree: nodes hold between
// treeDegree−1 and 2·treeDegree−1 elements. 32 measured fastest for
// 10k–1M elements (see BenchmarkTreeDegree).
const treeDegree = 32

// newTree returns an empty tree ordered by cmp.
func newTree[T any](cmp func(a, b T) int) *tree[T] {
	return newTreeDegree(cmp, treeDegree)
}

func newTreeDegree[T any](cmp func(a, b T) int, degree int) *tree[T] {
	degree = max(degree, 2)
	return &tree[T]{cmp: cmp, max: 2*degree - 1, min: degree - 1}
}

// Len returns the number of elements.
func (t *tree[T]) Len() int {
	if t.root == nil {
		return 0
	}
	return t.root.size
}

// find returns the position of the first item of n not less than x and
// whether it equals x.
func (t *tree[T]) find(n *tnode[T], x T) (int, bool) {
	lo, hi := 0, len(n.items)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		c := t.cmp(n.items[m], x)
		switch {
		case c < 0:
			lo = m + 1
		case c > 0:
			hi = m
		default:
			return m, true
		}
	}
	return lo, false
}

// before returns the number of elements in the first k children of n.
func (n *tnode[T]) before(k int) int {
	s := 0
	for _, c := range n.csize[:k] {
		s += c
	}
	return s
}

// Insert adds x and returns its position (rank) in the tree and true, or,
// when an equal element was present, replaces it and returns its position
// and false.
func (t *tree[T]) Insert(x T) (int, bool) {
	if t.root == nil {
		t.root = &tnode[T]{items: append(make([]T, 0, 4), x), size: 1}
		return 0, true
	}
	if len(t.root.items) >= t.max {
		old := t.root
		t.root = &tnode[T]{
			children: append(make([]*tnode[T], 0, t.max+1), old),
			csize:    append(make([]int, 0, t.max+1), old.size),
			size:     old.size,
		}
		t.split(t.root, 0)
	}
	return t.insert(t.root, x, 0)
}

func (t *tree[T]) insert(n *tnode[T], x T, base int) (int, bool) {
	i, found := t.find(n, x)
	if found {
		n.items[i] = x
		if n.children == nil {
			return base + i, false
		}
		return base + i + n.before(i+1), false
	}
	if n.children == nil {
		n.items = insertAt(n.items, i, x)
		n.size++
		return base + i, true
	}
	if len(n.children[i].items) >= t.max {
		t.split(n, i)
		switch c := t.cmp(x, n.items[i]); {
		case c == 0:
			n.items[i] = x
			return base + i + n.before(i+1), false
		case c > 0:
			i++
		}
	}
	r, ok := t.insert(n.children[i], x, base+i+n.before(i))
	if ok {
		n.size++
		n.csize[i]++
	}
	return r, ok
}

// split splits the full child i of n around its middle item, which moves
// up into n.
func (t *tree[T]) split(n *tnode[T], i int) {
	c := n.children[i]
	mid := len(c.items) / 2
	up := c.items[mid]
	r := &tnode[T]{items: append(make([]T, 0, t.max), c.items[mid+1:]...)}
	clear(c.items[mid:])
	c.items = c.items[:mid]
	if c.children != nil {
		r.children = append(make([]*tnode[T], 0, t.max+1), c.children[mid+1:]...)
		r.csize = append(make([]int, 0, t.max+1), c.csize[mid+1:]...)
		clear(c.children[mid+1:])
		c.children = c.children[:mid+1]
		c.csize = c.csize[:mid+1]
	}
	r.size = len(r.items)
	if r.children != nil {
		r.size += r.before(len(r.children))
	}
	c.size -= r.size + 1
	n.items = insertAt(n.items, i, up)
	n.children = insertAt(n.children, i+1, r)
	n.csize[i] = c.size
	n.csize = insertAt(n.csize, i+1, r.size)
}

// Delete removes the element equal to x and returns the position it had
// and true, or -1 and false when there is none.
func (t *tree[T]) Delete(x T) (int, bool) {
	if t.root == nil {
		return -1, false
	}
	r, ok := t.remove(t.root, x, 0)
	if len(t.root.items) == 0 {
		if t.root.children == nil {
			t.root = nil
		} else {
			t.root = t.root.children[0]
		}
	}
	return r, ok
}

func (t *tree[T]) remove(n *tnode[T], x T, base int) (int, bool) {
	for {
		i, found := t.find(n, x)
		if n.children == nil {
			if !found {
				return -1, false
			}
			n.items = removeAt(n.items, i)
			n.size--
			return base + i, true
		}
		if len(n.children[i].items) <= t.min {
			t.grow(n, i)
			continue
		}
		if found {
			r := base + i + n.before(i+1)
			n.items[i] = t.removeMax(n.children[i])
			n.size--
			n.csize[i]--
			return r, true
		}
		r, ok := t.remove(n.children[i], x, base+i+n.before(i))
		if ok {
			n.size--
			n.csize[i]--
		}
		return r, ok
	}
}

// removeMax removes and returns the largest element below n.
func (t *tree[T]) removeMax(n *tnode[T]) T {
	for {
		if n.children == nil {
			x := n.items[len(n.items)-1]
			n.items = removeAt(n.items, len(n.items)-1)
			n.size--
			return x
		}
		i := len(n.items)
		if len(n.children[i].items) <= t.min {
			t.grow(n, i)
			continue
		}
		x := t.removeMax(n.children[i])
		n.size--
		n.csize[i]--
		return x
	}
}

// grow gives child i of n more than the minimum number of items, by
// taking one from a sibling or merging it with one.
func (t *tree[T]) grow(n *tnode[T], i int) {
	if i > 0 && len(n.children[i-1].items) > t.min {
		c, l := n.children[i], n.children[i-1]
		c.items = insertAt(c.items, 0, n.items[i-1])
		n.items[i-1] = l.items[len(l.items)-1]
		l.items = removeAt(l.items, len(l.items)-1)
		moved := 1
		if l.children != nil {
			sc := l.children[len(l.children)-1]
			l.children = removeAt(l.children, len(l.children)-1)
			l.csize = removeAt(l.csize, len(l.csize)-1)
			c.children = insertAt(c.children, 0, sc)
			c.csize = insertAt(c.csize, 0, sc.size)
			moved += sc.size
		}
		l.size -= moved
		c.size += moved
		n.csize[i-1] -= moved
		n.csize[i] += moved
		return
	}
	if i < len(n.items) && len(n.children[i+1].items) > t.min {
		c, r := n.children[i], n.children[i+1]
		c.items = append(c.items, n.items[i])
		n.items[i] = r.items[0]
		r.items = removeAt(r.items, 0)
		moved := 1
		if r.children != nil {
			sc := r.children[0]
			r.children = removeAt(r.children, 0)
			r.csize = removeAt(r.csize, 0)
			c.children = append(c.children, sc)
			c.csize = append(c.csize, sc.size)
			moved += sc.size
		}
		r.size -= moved
		c.size += moved
		n.csize[i+1] -= moved
		n.csize[i] += moved
		return
	}
	if i >= len(n.items) {
		i--
	}
	c, r := n.children[i], n.children[i+1]
	c.items = append(c.items, n.items[i])
	c.items = append(c.items, r.items...)
	if c.children != nil {
		c.children = append(c.children, r.children...)
		c.csize = append(c.csize, r.csize...)
	}
	c.size += 1 + r.size
	n.items = removeAt(n.items, i)
	n.children = removeAt(n.children, i+1)
	n.csize = removeAt(n.csize, i+1)
	n.csize[i] = c.size
}

// Get returns the element equal to x.
func (t *tree[T]) Get(x T) (T, bool) {
	n := t.root
	for n != nil {
		i, found := t.find(n, x)
		if found {
			return n.items[i], true
		}
		if n.children == nil {
			break
		}
		n = n.children[i]
	}
	var zero T
	return zero, false
}

// Rank returns the position of the element equal to x and true, or the
// position x would have and false when there is none.
func (t *tree[T]) Rank(x T) (int, bool) {
	r := 0
	n := t.root
	for n != nil {
		i, found := t.find(n, x)
		if n.children == nil {
			return r + i, found
		}
		if found {
			return r + i + n.before(i+1), true
		}
		r += i + n.before(i)
		n = n.children[i]
	}
	return r, false
}

// GetRank returns the element equal to x, its position and true, or the
// position x would have and false: Get and Rank in one walk.
func (t *tree[T]) GetRank(x T) (T, int, bool) {
	var zero T
	r := 0
	n := t.root
	for n != nil {
		i, found := t.find(n, x)
		if n.children == nil {
			if found {
				return n.items[i], r + i, true
			}
			return zero, r + i, false
		}
		if found {
			return n.items[i], r + i + n.before(i+1), true
		}
		r += i + n.before(i)
		n = n.children[i]
	}
	return zero, r, false
}

// At returns the element at position i (0 is the smallest); false when i
// is out of range.
func (t *tree[T]) At(i int) (T, bool) {
	var zero T
	if i < 0 || i >= t.Len() {
		return zero, false
	}
	n := t.root
	for {
		if n.children == nil {
			return n.items[i], true
		}
		j := 0
		for ; j < len(n.children); j++ {
			s := n.csize[j]
			if i < s {
				break
			}
			i -= s
			if i == 0 {
				return n.items[j], true
			}
			i--
		}
		n = n.children[j]
	}
}

// Min returns the smallest element.
func (t *tree[T]) Min() (T, bool) {
	var zero T
	n := t.root
	if n == nil {
		return zero, false
	}
	for n.children != nil {
		n = n.children[0]
	}
	return n.items[0], true
}

// Max returns the largest element.
func (t *tree[T]) Max() (T, bool) {
	var zero T
	n := t.root
	if n == nil {
		return zero, false
	}
	for n.children != nil {
		n = n.children[len(n.children)-1]
	}
	return n.items[len(n.items)-1], true
}

// Ascend calls fn for the elements from position from on, in order, until
// fn returns false. It costs O(log n) plus the elements visited.
func (t *tree[T]) Ascend(from int, fn func(x T) bool) {
	if t.root == nil || from >= t.root.size {
		return
	}
	ascend(t.root, max(from, 0), fn)
}

// ascend visits the elements of n from position skip on; false when fn
// stopped the walk.
func ascend[T any](n *tnode[T], skip int, fn func(x T) bool) bool {
	if n.children == nil {
		for _, x := range n.items[skip:] {
			if !fn(x) {
				return false
			}
		}
		return true
	}
	for j, c := range n.children {
		if cs := n.csize[j]; skip < cs {
			if !ascend(c, skip, fn) {
				return false
			}
			skip = 0
		} else {
			skip -= cs
		}
		if j < len(n.items) {
			if skip == 0 {
				if !fn(n.items[j]) {
					return false
				}
			} else {
				skip--
			}
		}
	}
	return true
}

// Build replaces the contents of the tree by sorted, which must be in
// strictly increasing order under the tree's cmp. It costs O(n), against
// O(n log n) for n insertions. The tree keeps no reference to sorted.
func (t *tree[T]) Build(sorted []T) {
	t.root = nil
	if len(sorted) == 0 {
		return
	}
	// Leaves of up to max items with one separator between neighbours,
	// then levels of up to max+1 children, each spread evenly so that
	// every non-root node has at least min items.
	level := t.buildLeaves(sorted)
	for len(level) > 1 {
		k := len(level)
		per := t.max + 1
		groups := (k + per - 1) / per
		next := make([]buildPart[T], 0, groups)
		start := 0
		for g := range groups {
			end := start + (k-start)/(groups-g)
			n := &tnode[T]{
				items:    make([]T, 0, t.max),
				children: make([]*tnode[T], 0, t.max+1),
				csize:    make([]int, 0, t.max+1),
			}
			for j := start; j < end; j++ {
				n.children = append(n.children, level[j].n)
				n.csize = append(n.csize, level[j].n.size)
				n.size += level[j].n.size
				if j < end-1 {
					n.items = append(n.items, level[j].sep)
					n.size++
				}
			}
			next = append(next, buildPart[T]{n: n, sep: level[end-1].sep})
			start = end
		}
		level = next
	}
	t.root = level[0].n
}

// buildPart is a subtree made by Build and the separator that follows it
// (none after the last).
type buildPart[T any] struct {
	n   *tnode[T]
	sep T
}

// buildLeaves cuts sorted into leaves separated by one element each.
func (t *tree[T]) buildLeaves(sorted []T) []buildPart[T] {
	m := len(sorted)
	leaves := (m + 1 + t.max) / (t.max + 1) // ceil((m+1)/(max+1))
	out := make([]buildPart[T], leaves)
	// leaves·items + (leaves−1) separators = m
	items := m - (leaves - 1)
	pos := 0
	for l := range leaves {
		cnt := items / leaves
		if l < items%leaves {
			cnt++
		}
		n := &tnode[T]{items: append(make([]T, 0, t.max), sorted[pos:pos+cnt]...), size: cnt}
		pos += cnt
		out[l].n = n
		if l < leaves-1 {
			out[l].sep = sorted[pos]
			pos++
		}
	}
	return out
}

// insertAt inserts x at position i of s.
func insertAt[E any](s []E, i int, x E) []E {
	var zero E
	s = append(s, zero)
	copy(s[i+1:], s[i:])
	s[i] = x
	return s
}

// removeAt removes the element at position i of s, clearing the freed
// slot so that it holds no reference.
func removeAt[E any](s []E, i int) []E {
	copy(s[i:], s[i+1:])
	var zero E
	s[len(s)-1] = zero
	return s[:len(s)-1]
}
