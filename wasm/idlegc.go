//go:build js && wasm

package main

import (
	"runtime"
	"sync/atomic"

	"github.com/streamdb/streamdb/wasm/internal/jsval"
)

// A large first result leaves garbage behind (the rows its operators made
// on the way, its answer's pieces). In the page, Go's collector runs on the
// page's thread and only while Go runs: a cycle that a first result starts
// is finished by whatever allocates next, so the next query's first result
// pays for marking the whole heap, and meanwhile the heap grows, and the
// wasm memory with it (it never shrinks). So once the module has allocated
// idleGCAfter bytes since its last collection, it collects in the page's
// next idle period instead: the next first result finds the memory free
// and no cycle under way.

// idleGCAfter is how much allocation makes a collection worth an idle
// period's time (about 50 ms for a heap of 100 MB in Chromium).
const idleGCAfter = 16 << 20

// idleGC is the state of the idle collections of a module.
type idleGC struct {
	pending atomic.Bool   // a collection is scheduled
	last    atomic.Uint64 // the bytes allocated at the last one
}

// allocated returns the bytes the heap has allocated so far. (Read
// through ReadMemStats, whose stop of the world costs nothing with one
// thread: runtime/metrics would add 50 KB to the module.)
func allocated() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.TotalAlloc
}

// collectWhenIdle schedules a collection in the page's next idle period
// when idleGCAfter bytes were allocated since the last one. It does not
// block: call it from a js.FuncOf callback.
func (b *bridge) collectWhenIdle() {
	if allocated()-b.gc.last.Load() < idleGCAfter || !b.gc.pending.CompareAndSwap(false, true) {
		return
	}
	go func() {
		defer b.gc.pending.Store(false)
		if err := b.waitIdle(); err != nil {
			return // shut down, or no way to wait: the collector runs as usual
		}
		runtime.GC()
		b.gc.last.Store(allocated())
	}()
}

// waitIdle returns in the page's next idle period (requestIdleCallback, at
// the latest after 2 s), or after a turn of the event loop where there is
// no requestIdleCallback (Node, Safari). It must run in a goroutine.
func (b *bridge) waitIdle() error {
	g := jsval.Global()
	return b.waitCalled(func(cb jsval.Func) error {
		if ric, err := g.Get("requestIdleCallback"); err == nil && ric.Type() == jsval.TypeFunction {
			opts, err := jsval.ValueOf(map[string]any{"timeout": 2000})
			if err != nil {
				return err
			}
			_, err = ric.Invoke(cb, opts)
			return err
		}
		_, err := g.Call("setTimeout", cb, 0)
		return err
	})
}
