package ivm

// Consolidate folds the deltas of a batch per key into their net effect:
// for each key (in the order keys first appear) the removal of the row it
// had before the batch, when it had one, then the addition of the row it
// has after, when it has one; nothing when both are the same row (the same
// *Row) or the key had no row before and has none after. Deltas of one key
// must alternate (an addition, a removal, an addition...) as a stage whose
// rows are unique by key produces them. Mult is taken by its sign.
func Consolidate(b Batch) Batch {
	switch len(b) {
	case 0, 1:
		return b
	case 2:
		// The common update (-old +new) and a lone pair of different keys
		// need no map.
		if b[0].Row == b[1].Row && (b[0].Mult > 0) != (b[1].Mult > 0) {
			return b[:0]
		}
		if b[0].Mult < 0 && b[1].Mult > 0 || !sameKey(b[0].Row, b[1].Row) {
			return b
		}
	}
	// Additions only (a first result): with alternating deltas no key can
	// appear twice, so there is nothing to fold.
	if !hasRemoval(b) {
		return b
	}
	type net struct {
		before, after *Row // nil: absent
		first         bool // the first delta was a removal: before is set
		last          bool // the last delta was an addition: after is set
	}
	idx := getKeyIndex()
	defer idx.put()
	nets := make([]net, 0, len(b))
	for _, d := range b {
		if d.Mult == 0 || d.Row == nil {
			continue
		}
		i, seen := idx.index(d.Row.Key, len(nets))
		if !seen {
			nets = append(nets, net{})
			if d.Mult < 0 {
				nets[i].before, nets[i].first = d.Row, true
			}
		}
		if d.Mult > 0 {
			nets[i].after, nets[i].last = d.Row, true
		} else {
			nets[i].after, nets[i].last = nil, false
		}
	}
	out := b[:0:0]
	for _, n := range nets {
		if n.first && n.last && n.before == n.after {
			continue
		}
		if n.first {
			out = append(out, Delta{Row: n.before, Mult: -1})
		}
		if n.last {
			out = append(out, Delta{Row: n.after, Mult: 1})
		}
	}
	return out
}

// sameKey reports whether two rows have equal keys.
func sameKey(a, b *Row) bool {
	if a == nil || b == nil {
		return false
	}
	if x, ok := a.Key.Str(); ok {
		y, ok := b.Key.Str()
		return ok && x == y
	}
	return idOf(a.Key) == idOf(b.Key)
}

// hasRemoval reports whether a batch holds a removal.
func hasRemoval(b Batch) bool {
	for _, d := range b {
		if d.Mult < 0 {
			return true
		}
	}
	return false
}
