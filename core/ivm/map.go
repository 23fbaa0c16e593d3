package ivm

// Map replaces each row by a function of it (a projection). It is
// stateless: the removal of a row becomes the removal of its image.
type Map struct {
	fn func(Delta, *Rows) *Row
}

// NewMap returns a Map applying fn. fn must be deterministic, return a new
// Row (made with the Rows it is given, which serves one batch) and leave
// its argument unchanged. The image keeps the input's key unless fn sets
// another (a Key that is not Undefined); fn may return nil to drop a row.
func NewMap(fn func(*Row, *Rows) *Row) *Map {
	return &Map{fn: func(d Delta, rows *Rows) *Row { return fn(d.Row, rows) }}
}

// NewDeltaMap is NewMap with fn given the whole delta, for an image that
// depends on whether the row is added or removed (Mult's sign); d.Row is
// never nil.
func NewDeltaMap(fn func(d Delta, rows *Rows) *Row) *Map { return &Map{fn: fn} }

// Push returns the images of the deltas of in, in order.
func (m *Map) Push(in Batch) Batch {
	if len(in) == 0 {
		return nil
	}
	out := make(Batch, 0, len(in))
	var rows Rows
	for _, d := range in {
		if d.Row == nil {
			continue
		}
		r := m.fn(d, &rows)
		if r == nil {
			continue
		}
		if r.Key.IsUndefined() {
			r.Key = d.Row.Key
		}
		out = append(out, Delta{Row: r, Mult: d.Mult})
	}
	return out
}
