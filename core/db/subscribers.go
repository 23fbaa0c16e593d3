package db

import (
	"slices"
	"sync"
	"sync/atomic"
)

// subscriber is one Subscribe registration. active turns false when the
// subscription ends, which also drops its deliveries still queued.
type subscriber[T any] struct {
	fn     func([]T)
	active atomic.Bool
}

// subscribers are the subscriptions to one change feed (a collection's
// visible changes, a live query's result changes), in the order they were
// made. The database's lock guards the list.
type subscribers[T any] []*subscriber[T]

// subscribe adds fn to the feed. current, when not nil, is called under
// the database's lock and returns the batch fn gets first (an empty one is
// not delivered). It returns the function that ends the subscription, which
// may be called from any callback, fn's own included.
func (subs *subscribers[T]) subscribe(d *DB, fn func([]T), current func() []T) (unsubscribe func()) {
	d.mu.Lock()
	s := &subscriber[T]{fn: fn}
	s.active.Store(true)
	*subs = append(*subs, s)
	if current != nil {
		if rows := current(); len(rows) > 0 {
			d.pub.push(&s.active, func() { fn(rows) })
		}
	}
	d.mu.Unlock()
	d.pub.drain()
	return func() {
		d.mu.Lock()
		defer d.mu.Unlock()
		s.active.Store(false)
		*subs = slices.DeleteFunc(*subs, func(o *subscriber[T]) bool { return o == s })
	}
}

// publishLocked queues a batch for every subscriber. It is called with the
// database's lock held, so the queue keeps the order of the changes.
func (subs subscribers[T]) publishLocked(p *publisher, batch []T) {
	for _, s := range subs {
		p.push(&s.active, func() { s.fn(batch) })
	}
}

// endLocked ends every subscription; what is queued for them is dropped.
func (subs *subscribers[T]) endLocked() {
	for _, s := range *subs {
		s.active.Store(false)
	}
	*subs = nil
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
