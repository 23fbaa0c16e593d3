package db

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/streamdb/streamdb/core/ir"
	"github.com/streamdb/streamdb/core/stream"
)

// loadQueries reads the 20 queries of the load benchmark (bench/pages/load.js,
// as the package's query builder writes them).
func loadQueries(tb testing.TB) []json.RawMessage {
	b, err := os.ReadFile("testdata/load_queries.json")
	if err != nil {
		tb.Fatal(err)
	}
	var qs []struct {
		Name string
		IR   json.RawMessage
	}
	if err := json.Unmarshal(b, &qs); err != nil {
		tb.Fatal(err)
	}
	out := make([]json.RawMessage, len(qs))
	for i, q := range qs {
		out[i] = q.IR
	}
	return out
}

// loadEvents makes n events shaped as bench/data.mjs makeLoad makes them:
// users and messages inserted, updated and deleted.
func loadEvents(n int, seed uint64) []string {
	r := rand.New(rand.NewPCG(seed, 7))
	var (
		out         []string
		users, msgs int
		alive       []int
		words       = []string{"alpha", "beta", "gamma", "delta", "echo", "fox"}
		userEv      = func(i int, op string) string {
			return fmt.Sprintf(`{"type":"user","key":"u%d","value":{"id":"u%d","name":"user %d %s","active":%v,"team":%d},"headers":{"operation":%q}}`,
				i, i, i, words[i%len(words)], r.IntN(2) == 0, r.IntN(100), op)
		}
		msgEv = func(i int, op string) string {
			return fmt.Sprintf(`{"type":"message","key":"m%d","value":{"id":"m%d","userId":"u%d","text":"%s %s %d","ts":%d,"likes":%d},"headers":{"operation":%q}}`,
				i, i, r.IntN(max(users, 1)), words[r.IntN(len(words))], words[r.IntN(len(words))], i, 1700000000000+i*1000, r.IntN(100), op)
		}
	)
	for len(out) < n {
		switch x := r.Float64(); {
		case x < 0.08 || users == 0:
			out = append(out, userEv(users, "insert"))
			users++
		case x < 0.86 || len(alive) < 10:
			out = append(out, msgEv(msgs, "insert"))
			alive = append(alive, msgs)
			msgs++
		case x < 0.93:
			out = append(out, msgEv(alive[r.IntN(len(alive))], "update"))
		case x < 0.97:
			out = append(out, userEv(r.IntN(users), "update"))
		default:
			at := r.IntN(len(alive))
			out = append(out, fmt.Sprintf(`{"type":"message","key":"m%d","headers":{"operation":"delete"}}`, alive[at]))
			alive[at] = alive[len(alive)-1]
			alive = alive[:len(alive)-1]
		}
	}
	return out
}

// BenchmarkLiveLoad is the load of bench/pages/load.js natively: live
// queries open while events arrive in live batches of 1,000 (one commit
// each): none, all 20, and each alone (L1-L20, as pages/load.js names
// them: what one query adds to the ingest of queries=0). Reported per
// event.
func BenchmarkLiveLoad(b *testing.B) {
	events := loadEvents(2000+100_000, 1)
	queries := loadQueries(b)
	run := func(name string, open []json.RawMessage) {
		b.Run(name, func(b *testing.B) {
			for range b.N {
				b.StopTimer()
				d := usersAndMessages(b)
				feed(d, events[:2000], true)
				for _, q := range open {
					p, err := ir.Parse(q)
					if err != nil {
						b.Fatal(err)
					}
					if _, err := d.Query(p); err != nil {
						b.Fatal(err)
					}
				}
				batches := make([]*stream.Batch, 0, 100)
				for at := 2000; at < len(events); at += 1000 {
					bt := &stream.Batch{UpToDate: true, Offset: fmt.Sprint(at)}
					for _, it := range events[at:min(at+1000, len(events))] {
						bt.Items = append(bt.Items, []byte(it))
					}
					batches = append(batches, bt)
				}
				b.StartTimer()
				for _, bt := range batches {
					d.batch(bt)
				}
				b.StopTimer()
				d.Close()
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*100_000), "µs/event")
		})
	}
	run("queries=0", nil)
	run("queries=20", queries)
	for i, q := range queries {
		run(fmt.Sprintf("L%d", i+1), []json.RawMessage{q})
	}
}

// BenchmarkLoadStateMark measures what the garbage collector pays to mark
// the heap that BenchmarkLiveLoad's end state keeps: 100,000 events with
// the 20 live queries open. In the browser Go collects on the page's
// thread, and when Go goes idle during a cycle its idle worker marks what
// is left in one task (Go 1.26's findRunnable runs it before returning to
// JavaScript), so this figure, times wasm's slowdown (about 2.5x), is the
// length of the longest tasks of the load in the page.
//
// Built two ways: "live", the queries open after the first 2,000 events
// and the rest applied in steps of 1,000, as the load does; "fresh", every
// event read first and the queries opened on the result. It reports
// markms (the fastest of several full collections, GOMAXPROCS as set),
// heapMB and objects.
func BenchmarkLoadStateMark(b *testing.B) {
	events := loadEvents(2000+100_000, 1)
	queries := loadQueries(b)
	open := func(d *DB) {
		for _, q := range queries {
			p, err := ir.Parse(q)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := d.Query(p); err != nil {
				b.Fatal(err)
			}
		}
	}
	for _, mode := range []string{"live", "fresh"} {
		b.Run(mode, func(b *testing.B) {
			d := usersAndMessages(b)
			defer d.Close()
			if mode == "live" {
				feed(d, events[:2000], true)
				open(d)
				for at := 2000; at < len(events); at += 1000 {
					feed(d, events[at:min(at+1000, len(events))], true)
				}
			} else {
				for at := 0; at < len(events); at += 10_000 {
					feed(d, events[at:min(at+10_000, len(events))], true)
				}
				open(d)
			}
			runtime.GC()
			var best time.Duration
			for b.Loop() {
				t0 := time.Now()
				runtime.GC()
				if e := time.Since(t0); best == 0 || e < best {
					best = e
				}
			}
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			b.ReportMetric(float64(best.Microseconds())/1000, "markms")
			b.ReportMetric(float64(m.HeapAlloc)/1e6, "heapMB")
			b.ReportMetric(float64(m.HeapObjects), "objects")
			runtime.KeepAlive(d)
		})
	}
}
