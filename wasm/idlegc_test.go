//go:build js && wasm

package main

import (
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sink keeps allocations from being optimised away.
var sink [][]byte

// After a large allocation the module collects in the page's next idle
// period, once however often it is asked, and releases what it used for
// the wait; below the threshold it does not collect.
func TestCollectWhenIdle(t *testing.T) {
	b := newTestBridge(t)
	defer b.shutdown()
	funcs := b.liveFuncs()
	gcs := func() uint32 {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.NumGC
	}

	b.gc.last.Store(allocated())
	b.collectWhenIdle()
	time.Sleep(100 * time.Millisecond)
	assert.False(t, b.gc.pending.Load(), "nothing scheduled below the threshold")

	for range 20 {
		sink = append(sink, make([]byte, 1<<20))
	}
	sink = nil
	before := gcs()
	b.collectWhenIdle()
	b.collectWhenIdle() // coalesced with the first
	require.Eventually(t, func() bool { return !b.gc.pending.Load() }, 5*time.Second, 10*time.Millisecond, "the idle collection ran")
	assert.GreaterOrEqual(t, gcs(), before+1, "a collection")
	assert.Less(t, allocated()-b.gc.last.Load(), uint64(idleGCAfter), "counted from the collection")
	assert.Equal(t, funcs, b.liveFuncs(), "the idle callback's js.Func is released")
}
