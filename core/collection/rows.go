package collection

import (
	"math"

	"github.com/google/btree"

	"github.com/streamdb/streamdb/core/value"
)

// rows is the synced layer: rows kept in key order. The rows live in a slab
// and the B-tree orders their slab indexes, so the tree's nodes hold no
// pointers: the garbage collector never scans them, and moving items inside
// a node needs no write barriers. An update changes the slab in place.
type rows struct {
	slab  []slot
	free  []uint32
	tree  *btree.BTreeG[uint32]
	probe slot // the key being looked up, at index probeIdx
}

type slot struct {
	key   string
	val   value.Value
	plain bool // no byte of key is 0xEE or above: byte order is UTF-16 order
}

const probeIdx = math.MaxUint32

func newRows() *rows {
	r := &rows{}
	r.tree = btree.NewG(16, r.less)
	return r
}

func (r *rows) slot(i uint32) *slot {
	if i == probeIdx {
		return &r.probe
	}
	return &r.slab[i]
}

func (r *rows) less(a, b uint32) bool {
	x, y := r.slot(a), r.slot(b)
	if x.plain && y.plain {
		return x.key < y.key
	}
	return value.CompareKeys(x.key, y.key) < 0
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

// find returns the slab index of key.
func (r *rows) find(key string) (uint32, bool) {
	r.probe = slot{key: key, plain: plainKey(key)}
	i, ok := r.tree.Get(probeIdx)
	r.probe = slot{}
	return i, ok
}

func (r *rows) len() int { return r.tree.Len() }

func (r *rows) get(key string) (value.Value, bool) {
	if i, ok := r.find(key); ok {
		return r.slab[i].val, true
	}
	return value.Value{}, false
}

// upsert sets key to v, or to merge(old, v) when key has a row (merge nil
// means replace), in one walk down the tree.
func (r *rows) upsert(key string, v value.Value, merge func(old, v value.Value) value.Value) {
	s := slot{key: key, val: v, plain: plainKey(key)}
	var i uint32
	if n := len(r.free); n > 0 {
		i = r.free[n-1]
		r.free = r.free[:n-1]
		r.slab[i] = s
	} else {
		i = uint32(len(r.slab))
		r.slab = append(r.slab, s)
	}
	if old, had := r.tree.ReplaceOrInsert(i); had {
		if merge != nil {
			r.slab[i].val = merge(r.slab[old].val, v)
		}
		r.slab[old] = slot{}
		r.free = append(r.free, old)
	}
}

// remove deletes key's row and reports whether there was one.
func (r *rows) remove(key string) bool {
	i, ok := r.find(key)
	if !ok {
		return false
	}
	r.tree.Delete(i)
	r.slab[i] = slot{}
	r.free = append(r.free, i)
	return true
}

func (r *rows) ascend(fn func(key string, v value.Value) bool) {
	r.tree.Ascend(func(i uint32) bool {
		s := &r.slab[i]
		return fn(s.key, s.val)
	})
}

func (r *rows) clear() {
	r.tree.Clear(false)
	r.slab, r.free = nil, nil
}
