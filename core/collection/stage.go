package collection

import "github.com/streamdb/streamdb/core/value"

// Stage is a set of synced rows filled outside any batch and invisible
// until a Collection adopts it: a first preload fills stages in slices
// (yielding between them) while readers still see the empty collection,
// then makes every row visible in one step.
type Stage struct{ r *rows }

// NewStage returns an empty stage.
func NewStage() *Stage { return &Stage{r: newRows()} }

// Upsert sets the row for key to v, or to merge(old, v) when there is one.
func (s *Stage) Upsert(key string, v value.Value, merge func(old, v value.Value) value.Value) {
	s.r.upsert(key, v, merge)
}

// Remove deletes the row for key, if any.
func (s *Stage) Remove(key string) { s.r.remove(key) }

// Truncate drops every row (a reset), as Collection.Truncate does.
func (s *Stage) Truncate() { s.r.clear() }

// Len returns the number of rows.
func (s *Stage) Len() int { return s.r.len() }

// Adopt makes the stage's rows the collection's synced rows, inside a
// batch (Begin..End), so that End reports every one of them. The synced
// layer must be empty (nothing was synced before: a first preload); Adopt
// panics otherwise, and when no batch is open. The stage is empty after.
func (c *Collection) Adopt(s *Stage) {
	if !c.inBatch {
		panic("collection: Adopt outside Begin/End")
	}
	if c.synced.len() != 0 {
		panic("collection: Adopt over synced rows")
	}
	if !c.emptyStart {
		// Optimistic rows are visible: record what each staged key showed.
		s.r.ascend(func(key string, _ value.Value) bool {
			c.touch(key)
			return true
		})
	}
	c.synced, s.r = s.r, newRows()
}
