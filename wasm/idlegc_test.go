//go:build js && wasm

package main

import (
	"runtime"
	"runtime/debug"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sink keeps allocations from being optimised away.
var sink [][]byte

// numGC returns the number of collections so far.
func numGC() uint32 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.NumGC
}

// After a large allocation the module collects in the page's next idle
// period, once however often it is asked, and releases what it used for
// the wait; below the threshold it does not collect.
func TestCollectWhenIdle(t *testing.T) {
	b := newTestBridge(t)
	defer b.shutdown()
	funcs := b.liveFuncs()

	b.gc.last.Store(allocated())
	b.collectWhenIdle()
	time.Sleep(100 * time.Millisecond)
	assert.False(t, b.gc.pending.Load(), "nothing scheduled below the threshold")

	for range 20 {
		sink = append(sink, make([]byte, 1<<20))
	}
	sink = nil
	before := numGC()
	b.collectWhenIdle()
	b.collectWhenIdle() // coalesced with the first
	require.Eventually(t, func() bool { return !b.gc.pending.Load() }, 5*time.Second, 10*time.Millisecond, "the idle collection ran")
	assert.GreaterOrEqual(t, numGC(), before+1, "a collection")
	assert.Less(t, allocated()-b.gc.last.Load(), uint64(idleGCAfter), "counted from the collection")
	assert.Equal(t, funcs, b.liveFuncs(), "the idle callback's js.Func is released")
}

// gcPercent returns the GC percent in force.
func gcPercent() int {
	p := debug.SetGCPercent(100)
	debug.SetGCPercent(p)
	return p
}

// A first result raises the GC percent until the next idle collection,
// which puts it back: put back at the end of the call, with the heap above
// its goal, it would start a collection that Go finishes before returning
// to the page, in the call's own task. A second first result before that
// collection collects first, when the first left garbage behind.
func TestFirstResultRaisesGCPercentUntilIdle(t *testing.T) {
	url := createJSON(t)
	resolved(t, call(t, "append", url, `{"type":"user","key":"1","value":{"id":"1","name":"Kyle"},"headers":{"operation":"insert"}}`, nil))
	h := callSync(t, "dbOpen", dbConfig(url), nil, nil, nil)
	defer callSync(t, "dbClose", h)
	resolved(t, call(t, "dbPreload", h))
	b, _ := api(t)
	require.Eventually(t, func() bool { return !b.gc.pending.Load() }, 5*time.Second, 10*time.Millisecond, "no collection pending")
	before := gcPercent()
	require.Equal(t, moduleGCPercent, before, "the module's GC percent")

	for _, ir := range []string{
		`{"from":{"alias":"u","collection":"users"}}`,
		`{"from":{"alias":"u","collection":"nope"}}`, // a query that fails raises it too
	} {
		callSync(t, "queryOpen", h, ir)
		assert.Equal(t, firstResultGCPercent, gcPercent(), "raised after the call: %s", ir)
		require.Eventually(t, func() bool { return !b.gc.pending.Load() }, 5*time.Second, 10*time.Millisecond, "the idle collection ran")
		assert.Equal(t, before, gcPercent(), "put back by the idle collection")
	}
}

// Two first results with no idle period between them: the second collects
// the garbage the first left before it starts.
func TestSecondFirstResultCollectsFirst(t *testing.T) {
	b := newTestBridge(t)
	defer b.shutdown()
	defer b.gc.lower()
	b.gc.last.Store(allocated())
	b.gc.raise()
	before := numGC()
	b.gc.raise()
	assert.Equal(t, before, numGC(), "nothing to collect yet")
	for range 20 {
		sink = append(sink, make([]byte, 1<<20))
	}
	sink = nil
	b.gc.raise()
	assert.Equal(t, before+1, numGC(), "the garbage collected")
	assert.Equal(t, firstResultGCPercent, gcPercent(), "still raised")
}
