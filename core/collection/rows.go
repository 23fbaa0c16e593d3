package collection

import (
	"strings"

	"github.com/streamdb/streamdb/core/value"
)

// rows is the synced layer: rows kept in key order in a B-tree.
//
// The rows live in a slab of fixed-size chunks (a chunk never moves, so the
// slab grows without copying). The tree orders slab indexes, each stored
// next to its key's prefix: the first eight bytes of the key as a
// big-endian number, in an order-preserving form (see keyPrefix). A search
// compares prefixes inside the node as integers and reads a row's key from
// the slab only on a tie, so most steps touch only the node. A node holds a
// single pointer (its children), so the garbage collector scans one word
// of it, and shifting items inside a node needs no write barriers.
type rows struct {
	chunks [][]slot // each chunk chunkSize slots (the first may be shorter)
	used   uint32   // slots handed out, free ones included
	free   []uint32
	root   *node
	count  int
}

type slot struct {
	key    string
	val    value.Value
	plain  bool // no byte of key is 0xEE or above: byte order is UTF-16 order
	quoted bool // the key's JSON is the key in quotes (value.QuotedString)
}

// keyValue returns the slot's key as a String Value.
func (s *slot) keyValue() value.Value {
	if s.quoted {
		return value.QuotedString(s.key)
	}
	return value.String(s.key)
}

const (
	maxItems  = 31           // items in a full node
	minItems  = maxItems / 2 // items a node other than the root keeps at least
	chunkBits = 10
	chunkSize = 1 << chunkBits // slots in a slab chunk
)

// node is a B-tree node: n items (prefix and slab index) in key order and,
// unless it is a leaf, n+1 children.
type node struct {
	kids *[maxItems + 1]*node // nil for a leaf; first, so the GC scans one word
	n    int
	pre  [maxItems]uint64
	idx  [maxItems]uint32
}

func newRows() *rows { return &rows{} }

func (r *rows) slot(i uint32) *slot { return &r.chunks[i>>chunkBits][i&(chunkSize-1)] }

// alloc stores a row in the slab and returns its index. The slot's fields
// are written one by one: copying a whole slot would go through the
// runtime's bulk write barrier.
func (r *rows) alloc(key string, v value.Value, plain bool) uint32 {
	var i uint32
	if n := len(r.free); n > 0 {
		i = r.free[n-1]
		r.free = r.free[:n-1]
	} else {
		i = r.used
		c, j := int(i>>chunkBits), int(i&(chunkSize-1))
		switch {
		case c == len(r.chunks):
			size := chunkSize
			if c == 0 {
				size = 16 // the first chunk doubles up to chunkSize: small collections stay small
			}
			r.chunks = append(r.chunks, make([]slot, size))
		case j == len(r.chunks[c]):
			grown := make([]slot, 2*j)
			copy(grown, r.chunks[c])
			r.chunks[c] = grown
		}
		r.used++
	}
	s := r.slot(i)
	s.key, s.val, s.plain = key, v, plain
	// Checked once here, where the key's bytes are at hand, for every
	// query that writes it (a join's pair keys, a result's keys).
	s.quoted = !value.StringNeedsEscape(key)
	return i
}

func (r *rows) release(i uint32) {
	s := r.slot(i)
	s.key, s.val = "", value.Value{}
	r.free = append(r.free, i)
}

// plainKey reports whether key's UTF-8 byte order agrees with JavaScript's
// UTF-16 order against any other plain key: it has no character in
// U+E000..U+FFFF or above U+FFFF (lead bytes 0xEE and up).
func plainKey(key string) bool {
	for i := 0; i < len(key); i++ {
		if key[i] >= 0xEE {
			return false
		}
	}
	return true
}

// keyPrefix returns the first eight bytes of key as a big-endian number
// (zero-padded), in a form whose order agrees with value.CompareKeys: in a
// key that is not plain, the lead bytes 0xEE and 0xEF (U+E000..U+FFFF) are
// read as 0xF5 and 0xF6, above every lead byte of a supplementary character
// (0xF0..0xF4), as UTF-16 orders them. Keys with different prefixes compare
// as their prefixes do; equal prefixes say nothing.
func keyPrefix(key string, plain bool) uint64 {
	var p uint64
	n := min(len(key), 8)
	for i := 0; i < n; i++ {
		c := key[i]
		if !plain && (c == 0xEE || c == 0xEF) {
			c += 0xF5 - 0xEE
		}
		p |= uint64(c) << (56 - 8*i)
	}
	return p
}

// probe is a key being looked up, with its prefix.
type probe struct {
	key   string
	pre   uint64
	plain bool
}

func newProbe(key string) probe {
	plain := plainKey(key)
	return probe{key: key, pre: keyPrefix(key, plain), plain: plain}
}

// cmp compares the probe with item i of nd.
func (r *rows) cmp(p *probe, nd *node, i int) int {
	switch q := nd.pre[i]; {
	case p.pre < q:
		return -1
	case p.pre > q:
		return 1
	}
	return r.tie(p, nd.idx[i])
}

// tie compares the probe's key with the key of slab slot i, whose prefix
// is the probe's.
func (r *rows) tie(p *probe, i uint32) int {
	s := r.slot(i)
	if p.plain && s.plain {
		return strings.Compare(p.key, s.key)
	}
	return value.CompareKeys(p.key, s.key)
}

// search returns the position of the probe's key in nd and whether the
// item there holds it; otherwise the position is where it would go.
func (r *rows) search(nd *node, p *probe) (int, bool) {
	lo, hi := 0, nd.n
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		q := nd.pre[m]
		if p.pre < q {
			hi = m
			continue
		}
		if p.pre > q {
			lo = m + 1
			continue
		}
		switch c := r.tie(p, nd.idx[m]); {
		case c == 0:
			return m, true
		case c < 0:
			hi = m
		default:
			lo = m + 1
		}
	}
	return lo, false
}

// find returns the slab index of key.
func (r *rows) find(key string) (uint32, bool) {
	p := newProbe(key)
	for nd := r.root; nd != nil; {
		i, ok := r.search(nd, &p)
		if ok {
			return nd.idx[i], true
		}
		if nd.kids == nil {
			break
		}
		nd = nd.kids[i]
	}
	return 0, false
}

func (r *rows) len() int { return r.count }

func (r *rows) get(key string) (value.Value, bool) {
	if i, ok := r.find(key); ok {
		return r.slot(i).val, true
	}
	return value.Value{}, false
}

// upsert sets key to v, or to merge(old, v) when key has a row (merge nil
// means replace), in one walk down the tree.
func (r *rows) upsert(key string, v value.Value, merge func(old, v value.Value) value.Value) {
	p := newProbe(key)
	if r.root == nil {
		r.root = &node{}
	}
	if r.root.n == maxItems {
		top := &node{kids: new([maxItems + 1]*node)}
		top.kids[0] = r.root
		r.root = top
		splitChild(top, 0)
	}
	nd := r.root
	for {
		i, found := r.search(nd, &p)
		if found {
			r.replace(nd.idx[i], key, v, merge)
			return
		}
		if nd.kids == nil {
			insertItem(nd, i, p.pre, r.alloc(key, v, p.plain))
			r.count++
			return
		}
		if nd.kids[i].n == maxItems {
			splitChild(nd, i)
			switch c := r.cmp(&p, nd, i); {
			case c == 0:
				r.replace(nd.idx[i], key, v, merge)
				return
			case c > 0:
				i++
			}
		}
		nd = nd.kids[i]
	}
}

// replace sets the row at slab index i. The key string is replaced too: it
// usually shares the new row's text, and the old one's may be dropped.
func (r *rows) replace(i uint32, key string, v value.Value, merge func(old, v value.Value) value.Value) {
	s := r.slot(i)
	if merge != nil {
		v = merge(s.val, v)
	}
	s.key, s.val = key, v
}

// insertItem puts an item at position i of nd, a node with room for it.
func insertItem(nd *node, i int, pre uint64, idx uint32) {
	copy(nd.pre[i+1:nd.n+1], nd.pre[i:nd.n])
	copy(nd.idx[i+1:nd.n+1], nd.idx[i:nd.n])
	nd.pre[i], nd.idx[i] = pre, idx
	nd.n++
}

// deleteItem removes item i of nd and, in an inner node, the child to its
// right (kid i+1).
func deleteItem(nd *node, i int) {
	copy(nd.pre[i:nd.n-1], nd.pre[i+1:nd.n])
	copy(nd.idx[i:nd.n-1], nd.idx[i+1:nd.n])
	if nd.kids != nil {
		copy(nd.kids[i+1:nd.n], nd.kids[i+2:nd.n+1])
		nd.kids[nd.n] = nil
	}
	nd.n--
}

// splitChild splits the full child i of nd in two around its middle item,
// which moves up into nd (which has room for it).
func splitChild(nd *node, i int) {
	left := nd.kids[i]
	const mid = maxItems / 2
	right := &node{n: left.n - mid - 1}
	copy(right.pre[:], left.pre[mid+1:left.n])
	copy(right.idx[:], left.idx[mid+1:left.n])
	if left.kids != nil {
		right.kids = new([maxItems + 1]*node)
		copy(right.kids[:], left.kids[mid+1:left.n+1])
		clear(left.kids[mid+1 : left.n+1])
	}
	pre, idx := left.pre[mid], left.idx[mid]
	left.n = mid
	insertItem(nd, i, pre, idx)
	copy(nd.kids[i+2:nd.n+1], nd.kids[i+1:nd.n])
	nd.kids[i+1] = right
}

// remove deletes key's row and reports whether there was one.
func (r *rows) remove(key string) bool {
	if r.root == nil {
		return false
	}
	p := newProbe(key)
	idx, ok := r.removeFrom(r.root, &p)
	if r.root.n == 0 && r.root.kids != nil {
		r.root = r.root.kids[0]
	}
	if !ok {
		return false
	}
	r.release(idx)
	r.count--
	return true
}

// removeFrom deletes the probe's key from the subtree at nd (the root, or a
// node with more than minItems items), growing every child it goes down
// into beforehand so that the deletion never leaves a node short.
func (r *rows) removeFrom(nd *node, p *probe) (uint32, bool) {
	for {
		i, found := r.search(nd, p)
		if nd.kids == nil {
			if !found {
				return 0, false
			}
			idx := nd.idx[i]
			deleteItem(nd, i)
			return idx, true
		}
		if nd.kids[i].n <= minItems {
			grow(nd, i)
			continue // items moved: look again
		}
		if found {
			// The key is in an inner node: its predecessor (the largest
			// item of the left subtree) takes its place.
			idx := nd.idx[i]
			nd.pre[i], nd.idx[i] = popMax(nd.kids[i])
			return idx, true
		}
		nd = nd.kids[i]
	}
}

// popMax removes and returns the largest item of the subtree at nd, a node
// with more than minItems items.
func popMax(nd *node) (uint64, uint32) {
	for nd.kids != nil {
		if nd.kids[nd.n].n <= minItems {
			grow(nd, nd.n)
		}
		nd = nd.kids[nd.n]
	}
	nd.n--
	return nd.pre[nd.n], nd.idx[nd.n]
}

// grow gives child i of nd more than minItems items: it takes one through
// nd from a sibling that can spare one, or merges the child with a sibling
// and the item between them.
func grow(nd *node, i int) {
	child := nd.kids[i]
	switch {
	case i > 0 && nd.kids[i-1].n > minItems:
		left := nd.kids[i-1]
		insertItem(child, 0, nd.pre[i-1], nd.idx[i-1])
		left.n--
		nd.pre[i-1], nd.idx[i-1] = left.pre[left.n], left.idx[left.n]
		if child.kids != nil {
			copy(child.kids[1:child.n+1], child.kids[0:child.n])
			child.kids[0] = left.kids[left.n+1]
			left.kids[left.n+1] = nil
		}
	case i < nd.n && nd.kids[i+1].n > minItems:
		right := nd.kids[i+1]
		child.pre[child.n], child.idx[child.n] = nd.pre[i], nd.idx[i]
		child.n++
		nd.pre[i], nd.idx[i] = right.pre[0], right.idx[0]
		if child.kids != nil {
			child.kids[child.n] = right.kids[0]
			copy(right.kids[0:right.n], right.kids[1:right.n+1])
			right.kids[right.n] = nil
		}
		copy(right.pre[0:right.n-1], right.pre[1:right.n])
		copy(right.idx[0:right.n-1], right.idx[1:right.n])
		right.n--
	default:
		if i == nd.n {
			i--
		}
		left, right := nd.kids[i], nd.kids[i+1]
		left.pre[left.n], left.idx[left.n] = nd.pre[i], nd.idx[i]
		copy(left.pre[left.n+1:], right.pre[:right.n])
		copy(left.idx[left.n+1:], right.idx[:right.n])
		if left.kids != nil {
			copy(left.kids[left.n+1:], right.kids[:right.n+1])
		}
		left.n += 1 + right.n
		deleteItem(nd, i)
	}
}

// ascend calls fn for every row in key order until fn returns false.
func (r *rows) ascend(fn func(key string, v value.Value) bool) {
	r.ascendSlots(func(s *slot) bool { return fn(s.key, s.val) })
}

// ascendSlots calls fn for every row's slot in key order until fn returns
// false.
func (r *rows) ascendSlots(fn func(s *slot) bool) {
	if r.root != nil {
		r.ascendNode(r.root, fn)
	}
}

func (r *rows) ascendNode(nd *node, fn func(s *slot) bool) bool {
	for i := 0; i < nd.n; i++ {
		if nd.kids != nil && !r.ascendNode(nd.kids[i], fn) {
			return false
		}
		if !fn(r.slot(nd.idx[i])) {
			return false
		}
	}
	return nd.kids == nil || r.ascendNode(nd.kids[nd.n], fn)
}

func (r *rows) clear() { *r = rows{} }

// ascendAfter calls fn for every row whose key sorts after key, in key
// order, until fn returns false.
func (r *rows) ascendAfter(key string, fn func(key string, v value.Value) bool) {
	if r.root != nil {
		p := newProbe(key)
		r.ascendNodeAfter(r.root, &p, func(s *slot) bool { return fn(s.key, s.val) })
	}
}

func (r *rows) ascendNodeAfter(nd *node, p *probe, fn func(s *slot) bool) bool {
	i, found := r.search(nd, p)
	switch {
	case found: // item i is the key: its right subtree is wholly after it
		if nd.kids != nil && !r.ascendNode(nd.kids[i+1], fn) {
			return false
		}
		i++
	case nd.kids != nil: // the subtree before item i straddles the key
		if !r.ascendNodeAfter(nd.kids[i], p, fn) {
			return false
		}
	}
	for ; i < nd.n; i++ {
		if !fn(r.slot(nd.idx[i])) {
			return false
		}
		if nd.kids != nil && !r.ascendNode(nd.kids[i+1], fn) {
			return false
		}
	}
	return true
}
