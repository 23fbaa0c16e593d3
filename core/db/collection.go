package db

import (
	"github.com/streamdb/streamdb/core/collection"
	"github.com/streamdb/streamdb/core/value"
)

// Change is one visible change of a row (see collection.Change).
type Change = collection.Change

// The change types, re-exported for callers of this package.
const (
	Insert = collection.Insert
	Update = collection.Update
	Delete = collection.Delete
)

// Collection is a database's view of one collection: its reads take the
// database's lock, and its subscribers get every visible change.
type Collection struct {
	db    *DB
	c     *collection.Collection
	subs  subscribers[Change]
	stage *collection.Stage // a first preload's rows, until its commit
	idx   int               // position in the database's declaration order (-1: local)
	local bool              // a local collection (AddLocal): no stream feeds it
}

// Name returns the collection's name.
func (c *Collection) Name() string { return c.c.Name() }

// Type returns the event type routed to the collection.
func (c *Collection) Type() string { return c.c.Type() }

// PrimaryKey returns the row field holding the key.
func (c *Collection) PrimaryKey() string { return c.c.PrimaryKey() }

// Get returns the visible row for key.
func (c *Collection) Get(key string) (value.Value, bool) {
	c.db.mu.Lock()
	defer c.db.mu.Unlock()
	return c.c.Get(key)
}

// Synced returns the synced row for key, without the optimistic layer.
func (c *Collection) Synced(key string) (value.Value, bool) {
	c.db.mu.Lock()
	defer c.db.mu.Unlock()
	return c.c.Synced(key)
}

// Has reports whether a row is visible for key.
func (c *Collection) Has(key string) bool {
	c.db.mu.Lock()
	defer c.db.mu.Unlock()
	return c.c.Has(key)
}

// Size returns the number of visible rows.
func (c *Collection) Size() int {
	c.db.mu.Lock()
	defer c.db.mu.Unlock()
	return c.c.Size()
}

// Range calls fn for each visible row in key order until it returns false.
// fn must not call back into the database.
func (c *Collection) Range(fn func(key string, v value.Value) bool) {
	c.db.mu.Lock()
	defer c.db.mu.Unlock()
	c.c.Range(fn)
}

// RangeMeta is Range with each row's state (its virtual fields' $synced
// and $origin).
func (c *Collection) RangeMeta(fn func(key string, v value.Value, m collection.Meta) bool) {
	c.db.mu.Lock()
	defer c.db.mu.Unlock()
	c.c.Range(func(k string, v value.Value) bool { return fn(k, v, c.c.Meta(k)) })
}

// GetMeta is Get with the row's state.
func (c *Collection) GetMeta(key string) (value.Value, collection.Meta, bool) {
	c.db.mu.Lock()
	defer c.db.mu.Unlock()
	v, ok := c.c.Get(key)
	if !ok {
		return v, 0, false
	}
	return v, c.c.Meta(key), true
}

// Rows returns the visible rows in key order.
func (c *Collection) Rows() []value.Value {
	c.db.mu.Lock()
	defer c.db.mu.Unlock()
	out := make([]value.Value, 0, c.c.Size())
	c.c.Range(func(_ string, v value.Value) bool {
		out = append(out, v)
		return true
	})
	return out
}

// Subscribe calls fn with every batch of visible changes, in order, from
// the next batch on. With initial set, fn first gets the current rows as
// inserts. fn runs on the goroutine that made the change, after the
// database's lock is released, so it may read the database. It returns a
// function that ends the subscription.
func (c *Collection) Subscribe(fn func([]Change), initial bool) (unsubscribe func()) {
	var current func() []Change
	if initial {
		current = func() []Change {
			var rows []Change
			c.c.Range(func(k string, v value.Value) bool {
				rows = append(rows, Change{Type: Insert, Key: k, Value: v})
				return true
			})
			return rows
		}
	}
	return c.subs.subscribe(c.db, fn, current)
}

// publishLocked queues a change batch for every subscriber.
func (c *Collection) publishLocked(ch []Change) { c.subs.publishLocked(&c.db.pub, ch) }

// ID returns the collection id its rows report as $collectionId.
func (c *Collection) ID() string { return c.c.ID() }

// Meta returns the state of the visible row for key ($synced, $origin).
func (c *Collection) Meta(key string) collection.Meta {
	c.db.mu.Lock()
	defer c.db.mu.Unlock()
	return c.c.Meta(key)
}
