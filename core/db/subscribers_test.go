package db

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestSubscribers checks the one subscription mechanism of collections and
// live queries: deliveries in the order of the changes and of the
// subscriptions, the current rows first, and an unsubscribe or a change
// made from inside a callback.
func TestSubscribers(t *testing.T) {
	d := &DB{}
	var subs subscribers[int]
	var got []string
	publish := func(batch ...int) {
		d.mu.Lock()
		subs.publishLocked(&d.pub, batch)
		d.mu.Unlock()
		d.pub.drain()
	}
	record := func(name string) func([]int) {
		return func(b []int) { got = append(got, fmt.Sprint(name, b)) }
	}

	unA := subs.subscribe(d, record("a"), func() []int { return []int{0} })
	subs.subscribe(d, record("b"), func() []int { return nil }) // nothing current: no call
	var unC func()
	unC = subs.subscribe(d, func(b []int) {
		record("c")(b)
		unC() // unsubscribing inside its own callback
		publish(9)
	}, nil)
	publish(1)
	assert.Equal(t, []string{"a[0]", "a[1]", "b[1]", "c[1]", "a[9]", "b[9]"}, got,
		"current rows first; subscription order; a change made in a callback comes after the current one")

	got = nil
	unA()
	unA() // twice is harmless
	publish(2)
	assert.Equal(t, []string{"b[2]"}, got)

	// What is queued for a subscription that ends before its turn is dropped.
	got = nil
	d.mu.Lock()
	subs.publishLocked(&d.pub, []int{3})
	subs.endLocked()
	d.mu.Unlock()
	d.pub.drain()
	assert.Empty(t, got)
	assert.Empty(t, subs)
}
