package db

import (
	"time"
)

// DefaultMaxTxIDs is how many seen txids a DB remembers by default.
const DefaultMaxTxIDs = 100_000

// txids remembers which txids have become visible, and who waits for which.
//
// Memory rule: the set keeps the most recent MaxTxIDs txids (first in,
// first out). AwaitTxID for a txid seen longer ago than that waits for it to
// come again, until its timeout. A waiter is resolved by the first batch that
// carries its txid, however many txids came before.
type txids struct {
	max     int
	seen    map[string]struct{}
	order   []string // ring of seen txids, oldest at head
	head    int
	waiters map[string][]chan error
}

func newTxids(max int) *txids {
	if max <= 0 {
		max = DefaultMaxTxIDs
	}
	return &txids{max: max, seen: map[string]struct{}{}, waiters: map[string][]chan error{}}
}

func (t *txids) has(id string) bool {
	_, ok := t.seen[id]
	return ok
}

// add marks id as visible and wakes its waiters.
func (t *txids) add(id string) {
	if _, ok := t.seen[id]; !ok {
		if len(t.order) < t.max {
			t.order = append(t.order, id)
		} else {
			delete(t.seen, t.order[t.head])
			t.order[t.head] = id
			t.head = (t.head + 1) % t.max
		}
		t.seen[id] = struct{}{}
	}
	for _, w := range t.waiters[id] {
		w <- nil
	}
	delete(t.waiters, id)
}

// wait registers a waiter for id.
func (t *txids) wait(id string) chan error {
	ch := make(chan error, 1)
	t.waiters[id] = append(t.waiters[id], ch)
	return ch
}

// forget removes one waiter (after its timeout).
func (t *txids) forget(id string, ch chan error) {
	ws := t.waiters[id]
	for i, w := range ws {
		if w == ch {
			t.waiters[id] = append(ws[:i], ws[i+1:]...)
			break
		}
	}
	if len(t.waiters[id]) == 0 {
		delete(t.waiters, id)
	}
}

// failAll rejects every waiter with err.
func (t *txids) failAll(err error) {
	for id, ws := range t.waiters {
		for _, w := range ws {
			w <- err
		}
		delete(t.waiters, id)
	}
}

// DefaultTxIDTimeout is the wait of AwaitTxID when the caller gives none,
// as in the reference StreamDB.
const DefaultTxIDTimeout = 5 * time.Second

// recent returns up to n of the most recently seen txids, oldest first.
func (t *txids) recent(n int) []string {
	all := make([]string, 0, len(t.order))
	all = append(all, t.order[t.head:]...)
	all = append(all, t.order[:t.head]...)
	if len(all) > n {
		all = all[len(all)-n:]
	}
	return all
}
