//go:build js && wasm

package main

import (
	"runtime"
	"runtime/debug"
	"sync"
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

// moduleGCPercent is the module's GC percent, instead of Go's default 100:
// the heap grows to three times what is live before a collection, where
// Go's default lets it double. In the page the collector's marking runs
// on the page's thread, each cycle over the whole live heap, so fewer
// cycles mean fewer and shorter long tasks while a live stream keeps the
// engine busy. Measured (bench/run.mjs --load-only, seven alternating
// runs each, 2026-12-07): caught up 4.7–6.8 s after the last append
// instead of 5.0–8.2 s (medians 5.1 and 5.5), long tasks 2.6–4.0 s in all
// instead of 2.9–5.0, and 189–215 MiB of JS heap and wasm after the load
// instead of 164–182. A preload and first results at 10k–1M took as long
// and left the same memory (first results raise the percent further; see
// firstResultGCPercent).
const moduleGCPercent = 200

func init() { debug.SetGCPercent(moduleGCPercent) }

// idleGCAfter is how much allocation makes a collection worth an idle
// period's time (about 50 ms for a heap of 100 MB in Chromium).
const idleGCAfter = 16 << 20

// idleGC is the state of the idle collections of a module.
type idleGC struct {
	pending atomic.Bool   // a collection is scheduled
	last    atomic.Uint64 // the bytes allocated at the last one

	mu      sync.Mutex
	raised  bool // the GC percent is firstResultGCPercent until the next idle collection
	percent int  // the GC percent to restore then
}

// firstResultGCPercent is the GC percent from the start of a first result
// to the next idle collection: high enough that no cycle starts during one
// at 100k rows (the heap after a preload of 100k events holds about 20 MB;
// Q2 of bench/ allocates 65 MB). Most of what a first result allocates is
// still in use when it ends, and the garbage is collected in the next idle
// period. The percent stays raised until then: put back at the end of the
// first result, with the heap now above its goal, it would start a cycle at
// the next allocation, and Go would mark the whole heap before it returns
// to the page, in the same task (70 ms of Q2 at 100k).
const firstResultGCPercent = 1000

// raise raises the GC percent for a first result, until the next idle
// collection (collectWhenIdle, which a first result schedules). A first
// result that comes before that collection, when idleGCAfter bytes were
// allocated since the last one, collects first: the garbage of first
// results one after the other never piles up beyond one of them.
func (g *idleGC) raise() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.raised {
		g.percent = debug.SetGCPercent(firstResultGCPercent)
		g.raised = true
		return
	}
	if allocated()-g.last.Load() >= idleGCAfter {
		runtime.GC()
		g.last.Store(allocated())
	}
}

// lower puts back the GC percent that raise changed.
func (g *idleGC) lower() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.raised {
		return
	}
	debug.SetGCPercent(g.percent)
	g.raised = false
}

// isRaised reports whether a first result raised the GC percent.
func (g *idleGC) isRaised() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.raised
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
// when idleGCAfter bytes were allocated since the last one, or a first
// result raised the GC percent, which the collection puts back. It does
// not block: call it from a js.FuncOf callback.
func (b *bridge) collectWhenIdle() {
	if !b.gc.isRaised() && allocated()-b.gc.last.Load() < idleGCAfter {
		return
	}
	b.collectSoon()
}

// collectSoon schedules a collection in the page's next idle period,
// whatever was allocated. A database closed: the JS values Go held for it
// (its callbacks, what its last calls were given) are let go of in JS only
// by the finalizers a collection runs, and until then they keep its
// StreamDB object, and so its rows here (dbRelease), alive.
func (b *bridge) collectSoon() {
	if !b.gc.pending.CompareAndSwap(false, true) {
		return
	}
	go func() {
		defer b.gc.pending.Store(false)
		defer b.gc.lower()
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
