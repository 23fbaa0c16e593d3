package db

import (
	"slices"
	"sync/atomic"
)

// Step is what one step of the database changed (a stream batch applied,
// or a transaction's optimistic change, commit or rollback): the visible
// changes of the collections a watcher follows, and the result changes of
// every live query.
type Step struct {
	// Collections maps a followed collection's name to its changes.
	Collections map[string][]Change
	// Queries holds the result changes of the live queries the step
	// changed, in the order the queries were opened.
	Queries []QueryChanges
}

// QueryChanges is one live query's result changes in a step.
type QueryChanges struct {
	Live    *Live
	Changes []QueryChange
}

// watcher is one Watch registration.
type watcher struct {
	fn     func(*Step)
	follow map[string]bool
	active atomic.Bool
}

// Watch calls fn once per step that changed a collection in follow (by
// name) or any live query's result, in order, after the database's lock is
// released: one call carries the whole step, which is what a caller on the
// far side of a costly boundary (the browser bridge) wants. follow is
// copied; change it with the returned follow function. It returns the
// function that ends the watch.
func (d *DB) Watch(follow []string, fn func(*Step)) (setFollow func(names []string), unwatch func()) {
	w := &watcher{fn: fn, follow: map[string]bool{}}
	w.active.Store(true)
	for _, n := range follow {
		w.follow[n] = true
	}
	d.mu.Lock()
	d.watchers = append(d.watchers, w)
	d.mu.Unlock()
	setFollow = func(names []string) {
		m := map[string]bool{}
		for _, n := range names {
			m[n] = true
		}
		d.mu.Lock()
		w.follow = m
		d.mu.Unlock()
	}
	unwatch = func() {
		d.mu.Lock()
		defer d.mu.Unlock()
		w.active.Store(false)
		d.watchers = slices.DeleteFunc(d.watchers, func(o *watcher) bool { return o == w })
	}
	return setFollow, unwatch
}

// watchedLocked reports whether some watcher follows the collection.
func (d *DB) watchedLocked(name string) bool {
	for _, w := range d.watchers {
		if w.follow[name] {
			return true
		}
	}
	return false
}

// publishLocked queues the watcher's part of a step, if any.
func (w *watcher) publishLocked(d *DB, step map[string][]Change, queries []QueryChanges) {
	s := &Step{Queries: queries}
	for name, ch := range step {
		if w.follow[name] {
			if s.Collections == nil {
				s.Collections = map[string][]Change{}
			}
			s.Collections[name] = ch
		}
	}
	if len(s.Collections) == 0 && len(s.Queries) == 0 {
		return
	}
	d.pub.push(&w.active, func() { w.fn(s) })
}
