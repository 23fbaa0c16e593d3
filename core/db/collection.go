package db

import (
	"slices"
	"sync"
	"sync/atomic"

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
	db   *DB
	c    *collection.Collection
	subs []*subscription
}

type subscription struct {
	fn     func([]Change)
	active atomic.Bool
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
	d := c.db
	d.mu.Lock()
	s := &subscription{fn: fn}
	s.active.Store(true)
	c.subs = append(c.subs, s)
	if initial {
		var rows []Change
		c.c.Range(func(k string, v value.Value) bool {
			rows = append(rows, Change{Type: Insert, Key: k, Value: v})
			return true
		})
		if len(rows) > 0 {
			d.pub.add(s, rows)
		}
	}
	d.mu.Unlock()
	d.pub.drain()
	return unsubscriber(d, &s.active, &c.subs, s)
}

// unsubscriber returns the function that ends subscription s: it stops its
// pending deliveries and takes it out of subs.
func unsubscriber[S any](d *DB, active *atomic.Bool, subs *[]*S, s *S) func() {
	return func() {
		d.mu.Lock()
		defer d.mu.Unlock()
		active.Store(false)
		*subs = slices.DeleteFunc(*subs, func(o *S) bool { return o == s })
	}
}

// publishLocked queues a change batch for every subscriber.
func (c *Collection) publishLocked(ch []Change) {
	for _, s := range c.subs {
		c.db.pub.add(s, ch)
	}
}

// publisher delivers change batches in the order they were made, outside
// the database's lock. A subscriber that changes the database from inside
// its callback has that change delivered after the current one.
type publisher struct {
	mu         sync.Mutex
	queue      []delivery
	delivering bool
}

// delivery is one queued callback, skipped when its subscription ended
// before its turn.
type delivery struct {
	active *atomic.Bool
	run    func()
}

// add queues a delivery of a collection's changes; called with the
// database's lock held, so the queue order is the order of the changes.
func (p *publisher) add(s *subscription, ch []Change) {
	p.push(&s.active, func() { s.fn(ch) })
}

// push queues a callback.
func (p *publisher) push(active *atomic.Bool, run func()) {
	p.mu.Lock()
	p.queue = append(p.queue, delivery{active, run})
	p.mu.Unlock()
}

// drain delivers what is queued, unless another call is already doing so.
func (p *publisher) drain() {
	p.mu.Lock()
	if p.delivering {
		p.mu.Unlock()
		return
	}
	p.delivering = true
	for len(p.queue) > 0 {
		d := p.queue[0]
		p.queue = p.queue[1:]
		p.mu.Unlock()
		if d.active.Load() {
			d.run()
		}
		p.mu.Lock()
	}
	p.delivering = false
	p.mu.Unlock()
}
