package db

import (
	"github.com/streamdb/streamdb/internal/strfmt"

	"github.com/streamdb/streamdb/core/ir"
	"github.com/streamdb/streamdb/core/ivm"
	"github.com/streamdb/streamdb/core/query"
	"github.com/streamdb/streamdb/core/value"
)

// QueryChange is one change of a live query's result: a row of the result
// inserted, updated or deleted, keyed by its result key.
type QueryChange = ivm.Change

// Live is a live query over a database's collections. Its result is kept
// up to date by every committed batch, synced or optimistic, in the same
// step as the collections: a subscriber never sees a result that mixes two
// steps. Its reads take the database's lock.
type Live struct {
	db     *DB
	q      *query.LiveQuery
	subs   subscribers[QueryChange]
	closed bool
}

// Query compiles q over the database's collections and computes its first
// result. Compile errors are *ir.Error values naming the clause at fault.
// Close the live query when done: until then every change pays for it.
func (d *DB) Query(q *ir.Query) (*Live, error) { return d.QueryFuncs(q, nil) }

// QueryFuncs is Query for a query with callbacks (fn.where, fn.select,
// fn.having), which fns runs. The callbacks run while the database is
// locked: they must not call it. A callback that fails fails the first
// result (a *query.CallbackError), or stops the live query at a later
// step (Err).
func (d *DB) QueryFuncs(q *ir.Query, fns query.Funcs) (*Live, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil, ErrClosed
	}
	lq, err := query.Compile(q, query.Options{
		HasCollection: func(name string) bool { return d.colls[name] != nil },
		Collator:      d.opts.Collator,
		Virtual:       d.virtualLocked,
		Funcs:         fns,
		AllVirtual:    d.opts.VirtualProps,
	})
	if err != nil {
		return nil, err
	}
	lq.LoadRows(d.sourceRowsLocked)
	if err := lq.Err(); err != nil {
		return nil, strfmt.Errorf("streamdb: the query's first result: %w", err)
	}
	l := &Live{db: d, q: lq}
	d.lives = append(d.lives, l)
	if d.readers == nil {
		d.readers = map[string]int{}
	}
	for _, name := range lq.Collections() {
		d.readers[name]++
	}
	return l, nil
}

// sourceRowsLocked returns the rows of collection name as first results
// read them: the same rows for every query opened while the collection
// does not change (they are kept until it does, or until no live query
// reads it).
func (d *DB) sourceRowsLocked(name string) ivm.Batch {
	c := d.colls[name].c
	if s, ok := d.loadRows[name]; ok && s.version == c.Version() {
		return s.rows
	}
	rows := query.SourceRows(c.RangeKeys, c.Size())
	if d.loadRows == nil {
		d.loadRows = map[string]loadRows{}
	}
	d.loadRows[name] = loadRows{version: c.Version(), rows: rows}
	return rows
}

// loadRows are a collection's rows as first results read them, at a
// version of the collection.
type loadRows struct {
	version uint64
	rows    ivm.Batch
}

// dropLoadRowsLocked forgets the rows of collections that changed since.
func (d *DB) dropLoadRowsLocked() {
	for name, s := range d.loadRows {
		if c := d.colls[name]; c == nil || c.c.Version() != s.version {
			delete(d.loadRows, name)
		}
	}
}

// applyLocked feeds one step's collection changes to the query, queues
// the result changes for its subscribers and returns them.
func (l *Live) applyLocked(step *query.Step) []QueryChange {
	out := l.q.ApplyStep(step)
	if len(out) == 0 {
		return nil
	}
	l.subs.publishLocked(&l.db.pub, out)
	return out
}

// Subscribe calls fn with every batch of result changes, in order, from the
// next step on; with initial set, fn first gets the current result as
// inserts in result order. fn runs after the database's lock is released,
// so it may read the database. It returns a function that ends the
// subscription.
func (l *Live) Subscribe(fn func([]QueryChange), initial bool) (unsubscribe func()) {
	var current func() []QueryChange
	if initial {
		current = func() []QueryChange {
			var rows []QueryChange
			l.q.Range(func(k, v value.Value) bool {
				rows = append(rows, QueryChange{Type: ivm.Insert, Key: k, Value: v})
				return true
			})
			return rows
		}
	}
	return l.subs.subscribe(l.db, fn, current)
}

// Len returns the number of rows in the result.
func (l *Live) Len() int {
	l.db.mu.Lock()
	defer l.db.mu.Unlock()
	return l.q.Len()
}

// Get returns the result row with key k.
func (l *Live) Get(k value.Value) (value.Value, bool) {
	l.db.mu.Lock()
	defer l.db.mu.Unlock()
	return l.q.Get(k)
}

// Range calls fn for every result row in result order until fn returns
// false. fn must not call the database.
func (l *Live) Range(fn func(key, v value.Value) bool) {
	l.db.mu.Lock()
	defer l.db.mu.Unlock()
	l.q.Range(fn)
}

// Rows returns the result rows in result order.
func (l *Live) Rows() []value.Value {
	var out []value.Value
	l.Range(func(_, v value.Value) bool {
		out = append(out, v)
		return true
	})
	return out
}

// Ordered reports whether the result is in orderBy order (else in key
// order).
func (l *Live) Ordered() bool { return l.q.Ordered() }

// SingleResult reports whether the query asked for one row (findOne).
func (l *Live) SingleResult() bool { return l.q.SingleResult() }

// Err returns what stopped the live query: a callback that failed (a
// *query.CallbackError), or nil. A stopped query keeps the result it had
// before the step that failed and follows no later step.
func (l *Live) Err() error {
	l.db.mu.Lock()
	defer l.db.mu.Unlock()
	return l.q.Err()
}

// Close disposes of the live query: it stops following the collections and
// its subscribers get nothing more. Closing twice does nothing.
func (l *Live) Close() {
	d := l.db
	d.mu.Lock()
	defer d.mu.Unlock()
	if l.closed {
		return
	}
	l.closed = true
	l.subs.endLocked()
	for i, o := range d.lives {
		if o == l {
			d.lives = append(d.lives[:i], d.lives[i+1:]...)
			break
		}
	}
	for _, name := range l.q.Collections() {
		if d.readers[name]--; d.readers[name] == 0 {
			delete(d.loadRows, name) // no query left to share them with
		}
	}
}

// virtualLocked is what the virtual fields of collection name's rows
// report in queries: its id and each row's state, read under the
// database's lock (queries load and step under it).
func (d *DB) virtualLocked(name string) query.Virtual {
	c := d.colls[name].c
	return query.Virtual{ID: c.ID(), Meta: c.Meta}
}
