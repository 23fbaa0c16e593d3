package query

import (
	"github.com/streamdb/streamdb/core/collection"
	"github.com/streamdb/streamdb/core/ir"
	"github.com/streamdb/streamdb/core/ivm"
	"github.com/streamdb/streamdb/core/value"
)

// TanStack DB's virtual row fields ($synced, $origin, $key, $collectionId,
// $hasPendingWrites, see collection.VirtualRow) are readable in every
// clause of a query, as fields of a source alias (c.$synced). Only the
// leaves of the aliases whose virtual fields a query reads pay for them:
// their rows are the collection's rows with the virtual fields added,
// made for the leaf; every other leaf reads the collection's rows as they
// are, and does not see a change that only changed a row's state.

// Virtual is what the virtual fields of a collection's rows report.
type Virtual struct {
	// ID is the collection id ($collectionId).
	ID string
	// Meta returns the state of the visible row for a key; nil: every row
	// is synced and of remote origin.
	Meta func(key string) collection.Meta
}

// virtualLeaf is the Virtual of a leaf whose virtual fields the query
// reads.
type virtualLeaf struct {
	Virtual
}

// row returns the row of the leaf for a collection row and its state.
func (v *virtualLeaf) row(key string, row value.Value, m collection.Meta) value.Value {
	return m.VirtualRow(row, key, v.ID)
}

// virtualAliases returns the aliases of the query tree whose virtual
// fields some clause reads.
func virtualAliases(q *ir.Query) map[string]bool {
	out := map[string]bool{}
	walk := func(e *ir.Expr) {
		eachRef(e, func(path []string) {
			if len(path) >= 2 && path[0] != "$selected" && collection.IsVirtual(path[1]) {
				out[path[0]] = true
			}
		})
	}
	var walkSelect func(entries []ir.SelectEntry)
	walkSelect = func(entries []ir.SelectEntry) {
		for _, s := range entries {
			walk(s.Expr)
			walkSelect(s.Select)
		}
	}
	var walkQuery func(q *ir.Query)
	walkQuery = func(q *ir.Query) {
		if q.From.Query != nil {
			walkQuery(q.From.Query)
		}
		for _, j := range q.Joins {
			if j.Source.Query != nil {
				walkQuery(j.Source.Query)
			}
		}
		walkSelect(q.Select)
		eachClauseExpr(q, walk)
	}
	walkQuery(q)
	return out
}

// virtualLeafFor returns the virtualLeaf of a collection source whose
// virtual fields the query reads, or nil.
func (c *compiler) virtualLeafFor(s ir.Source) *virtualLeaf {
	if !c.virtual[s.Alias] && !c.opts.AllVirtual {
		return nil
	}
	v := Virtual{ID: s.Collection}
	if c.opts.Virtual != nil {
		v = c.opts.Virtual(s.Collection)
	}
	return &virtualLeaf{Virtual: v}
}

// metaOnly reports whether a change only changed the state of a row (its
// value is the same): a leaf that does not read virtual fields skips it.
func metaOnly(c collection.Change) bool {
	return c.Type == collection.Update && c.Meta != c.PrevMeta && value.Equal(c.Previous, c.Value)
}

// pushLoad feeds the leaf the rows of a first result.
func (l *leaf) pushLoad(b ivm.Batch) {
	if l.virt == nil {
		l.next.push(b)
		return
	}
	out := make(ivm.Batch, len(b))
	var rows ivm.Rows
	for i, d := range b {
		k, _ := d.Row.Key.Str()
		var m collection.Meta
		if l.virt.Meta != nil {
			m = l.virt.Meta(k)
		}
		r := rows.New(d.Row.Key, 1)
		r.Vals[0] = l.virt.row(k, d.Row.Vals[0], m)
		out[i] = ivm.Delta{Row: r, Mult: d.Mult}
	}
	l.next.push(out)
}

// pushStep feeds the leaf its collection's changes of a step.
func (l *leaf) pushStep(s *Step) {
	if l.virt == nil {
		l.next.push(s.batchFor(l.collection, l.reads))
		return
	}
	l.next.push(s.virtualBatchFor(l.collection, l.virt, l.reads))
}

// virtualBatchFor is batchFor for a leaf that reads virtual fields: the
// rows carry them, and an update that changes neither a field of f nor
// a virtual field the query reads is left out.
func (s *Step) virtualBatchFor(name string, v *virtualLeaf, f fields) ivm.Batch {
	changes := s.changes[name]
	b := make(ivm.Batch, 0, len(changes)+len(changes)/2)
	var rows ivm.Rows
	row := func(k string, val value.Value, m collection.Meta) *ivm.Row {
		r := rows.New(value.String(k), 1)
		r.Vals[0] = v.row(k, val, m)
		return r
	}
	for _, c := range changes {
		switch c.Type {
		case collection.Insert:
			b = append(b, ivm.Delta{Row: row(c.Key, c.Value, c.Meta), Mult: 1})
		case collection.Update:
			prev, next := row(c.Key, c.Previous, c.PrevMeta), row(c.Key, c.Value, c.Meta)
			if f != nil && f.same(prev.Vals[0], next.Vals[0]) {
				continue
			}
			b = append(b, ivm.Delta{Row: prev, Mult: -1}, ivm.Delta{Row: next, Mult: 1})
		case collection.Delete:
			b = append(b, ivm.Delta{Row: row(c.Key, c.Value, c.Meta), Mult: -1})
		}
	}
	return b
}
