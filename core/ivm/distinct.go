package ivm

import "github.com/streamdb/streamdb/core/value"

// Distinct keeps one row per distinct selected value (Row.Sel, compared
// with value.Equal). Its output row for a value has the key
// serializeValue(Sel) (a String): the value's JSON text with object fields
// sorted, or a "~"-prefixed type-tagged form for undefined and non-finite
// numbers (TanStack DB keys distinct rows by a hash seeded per process;
// this key is stable instead). It emits on the value's 0↔non-zero
// transitions of its row count, consolidated over the batch. The output
// row carries the Vals and Sel of a row that had the value when it
// appeared (as TanStack keeps the row that made the value visible).
type Distinct struct {
	vals map[string]*distinctEntry
	// rows holds the value of each present input row, by the row's key:
	// what a retraction of the row takes away from. The rows themselves
	// are not kept.
	rows idMap[*distinctEntry]
}

type distinctEntry struct {
	key     string
	n       int
	out     *Row
	prevN   int
	touched bool
	cand    *Row // during Push: a present row of the value, for its output row
}

// NewDistinct returns an empty Distinct.
func NewDistinct() *Distinct {
	return &Distinct{vals: map[string]*distinctEntry{}, rows: newIDMap[*distinctEntry](0)}
}

// Len returns the number of distinct values present.
func (d *Distinct) Len() int { return len(d.vals) }

// Push applies a batch of input changes and returns the changes of the
// distinct rows.
func (d *Distinct) Push(in Batch) Batch {
	if d.rows.len() == 0 && len(in) > 1024 {
		d.rows = newIDMap[*distinctEntry](len(in))
	}
	var touched []*distinctEntry
	touch := func(e *distinctEntry) {
		if !e.touched {
			e.touched, e.prevN = true, e.n
			touched = append(touched, e)
		}
	}
	for _, dl := range in {
		if dl.Row == nil || dl.Mult == 0 {
			continue
		}
		id := idOf(dl.Row.Key)
		if e, ok := d.rows.lookup(id); ok {
			d.rows.remove(id)
			touch(e)
			e.n--
			if e.cand != nil && idOf(e.cand.Key) == id {
				e.cand = nil
			}
		}
		if dl.Mult < 0 {
			continue
		}
		k := serializeValue(dl.Row.Sel)
		e := d.vals[k]
		if e == nil {
			e = &distinctEntry{key: k}
			d.vals[k] = e
		}
		touch(e)
		e.n++
		e.cand = dl.Row
		d.rows.set(id, e)
	}
	var out Batch
	for _, e := range touched {
		e.touched = false
		switch {
		case e.prevN > 0 && e.n <= 0:
			out = append(out, Delta{Row: e.out, Mult: -1})
			e.out = nil
		case e.prevN <= 0 && e.n > 0:
			c := e.cand
			if c == nil {
				c = d.member(e, in)
			}
			// Its own copy of the Vals: the row's are part of a block of
			// rows (Rows) that would stay alive with it.
			e.out = &Row{Key: value.String(e.key), Vals: append([]value.Value(nil), c.Vals...), Sel: c.Sel}
			out = append(out, Delta{Row: e.out, Mult: 1})
		}
		e.cand = nil
		if e.n <= 0 {
			delete(d.vals, e.key)
		}
	}
	return out
}

// member finds a present row of e among the additions of in (e had no
// rows before in, so all its rows were added by it): the last addition of
// a key is its present version.
func (d *Distinct) member(e *distinctEntry, in Batch) *Row {
	for i := len(in) - 1; i >= 0; i-- {
		if dl := in[i]; dl.Mult > 0 && dl.Row != nil && d.rows.get(idOf(dl.Row.Key)) == e {
			return dl.Row
		}
	}
	return &Row{} // unreachable while rows are unique by key
}
