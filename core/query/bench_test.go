package query

import (
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/streamdb/streamdb/core/collection"
	"github.com/streamdb/streamdb/core/ir"
	"github.com/streamdb/streamdb/core/ivm"
	"github.com/streamdb/streamdb/core/value"
)

// The four anchor queries, the ones bench/ also runs through @tanstack/db
// 0.15.2 (bench/pages/harness.js): Q1 the active users, Q2 messages joined
// with their users, Q3 messages counted per user, Q4 the 50 newest messages.
var anchorQueries = []struct{ name, json string }{
	{"Q1", `{"from":{"alias":"u","collection":"users"},"where":[{"type":"func","name":"eq","args":[{"type":"ref","path":["u","active"]},{"type":"val","value":true}]}]}`},
	{"Q2", `{"from":{"alias":"m","collection":"messages"},"join":[{"type":"inner","source":{"alias":"u","collection":"users"},"on":{"type":"func","name":"eq","args":[{"type":"ref","path":["m","userId"]},{"type":"ref","path":["u","id"]}]}}],"select":[{"field":"text","expr":{"type":"ref","path":["m","text"]}},{"field":"userName","expr":{"type":"ref","path":["u","name"]}}]}`},
	{"Q3", `{"from":{"alias":"m","collection":"messages"},"groupBy":[{"type":"ref","path":["m","userId"]}],"select":[{"field":"userId","expr":{"type":"ref","path":["m","userId"]}},{"field":"n","expr":{"type":"agg","name":"count","args":[{"type":"ref","path":["m","id"]}]}}]}`},
	{"Q4", `{"from":{"alias":"m","collection":"messages"},"orderBy":[{"expr":{"type":"ref","path":["m","ts"]},"direction":"desc"}],"limit":50}`},
}

// anchorData holds the anchor queries' collections, shaped as bench/data.mjs
// makes them: n messages and n/10 users.
type anchorData struct {
	users, messages *collection.Collection
	nUsers          int
	r               *rand.Rand
	next            int     // id of the next message to insert
	ts              float64 // newest ts so far
}

func newAnchorData(n int) *anchorData {
	r := rand.New(rand.NewPCG(uint64(n), 42))
	d := &anchorData{
		users:    collection.New("users", "user", "id"),
		messages: collection.New("messages", "message", "id"),
		nUsers:   max(n/10, 1),
		r:        r,
		next:     n,
		ts:       float64(n) * 10,
	}
	var b value.ObjectBuilder
	d.users.Begin()
	for i := range d.nUsers {
		id := "u" + strconv.Itoa(i)
		b.Add("id", value.String(id))
		b.Add("name", value.String(fmt.Sprintf("user %d", i)))
		b.Add("active", value.Bool(r.IntN(2) == 0))
		b.Add("team", value.Number(float64(r.IntN(100))))
		d.users.Put(id, b.Build())
	}
	d.users.End(false)
	d.messages.Begin()
	for i := range n {
		d.messages.Put(d.message(i, float64(r.IntN(n*10))))
	}
	d.messages.End(false)
	return d
}

func (d *anchorData) message(i int, ts float64) (string, value.Value) {
	var b value.ObjectBuilder
	id := "m" + strconv.Itoa(i)
	b.Add("id", value.String(id))
	b.Add("userId", value.String("u"+strconv.Itoa(d.r.IntN(d.nUsers))))
	b.Add("text", value.String(fmt.Sprintf("message text number %010d", i)))
	b.Add("ts", value.Number(ts))
	return id, b.Build()
}

func (d *anchorData) reader() Reader {
	return func(name string, fn func(string, value.Value) bool) {
		if name == "users" {
			d.users.Range(fn)
		} else {
			d.messages.Range(fn)
		}
	}
}

// rows returns the rows of collection name as a database's first result
// reads them (core/db: SourceRows over RangeKeys, whose keys know whether
// their JSON needs escapes).
func (d *anchorData) rows(name string) ivm.Batch {
	c := d.messages
	if name == "users" {
		c = d.users
	}
	return SourceRows(c.RangeKeys, c.Size())
}

// size is the sizes of the collections, as a database gives them to
// LoadSized.
func (d *anchorData) size(name string) int {
	if name == "users" {
		return d.users.Size()
	}
	return d.messages.Size()
}

var anchorCache = map[int]*anchorData{}

func anchor(n int) *anchorData {
	if d := anchorCache[n]; d != nil {
		return d
	}
	clear(anchorCache) // keep one size in memory
	d := newAnchorData(n)
	anchorCache[n] = d
	return d
}

var anchorSizes = benchSizes()

func sizeName(n int) string {
	switch {
	case n >= 1_000_000:
		return strconv.Itoa(n/1_000_000) + "M"
	case n >= 1000:
		return strconv.Itoa(n/1000) + "k"
	}
	return strconv.Itoa(n)
}

// eachAnchorQuery runs fn as a sub-benchmark for each anchor query at each
// size ("Q2/n=100k"), with the size, its data and the parsed query.
func eachAnchorQuery(b *testing.B, fn func(b *testing.B, n int, d *anchorData, iq *ir.Query)) {
	for _, n := range anchorSizes {
		for _, q := range anchorQueries {
			b.Run(fmt.Sprintf("%s/n=%s", q.name, sizeName(n)), func(b *testing.B) {
				fn(b, n, anchor(n), mustQuery(b, q.json))
			})
		}
	}
}

// compile compiles iq, failing the benchmark on an error.
func compile(b *testing.B, iq *ir.Query) *LiveQuery {
	lq, err := Compile(iq, Options{})
	if err != nil {
		b.Fatal(err)
	}
	return lq
}

// BenchmarkQueryFirstResult measures compiling a query and computing its
// first result over n messages and n/10 users.
func BenchmarkQueryFirstResult(b *testing.B) {
	eachAnchorQuery(b, func(b *testing.B, _ int, d *anchorData, iq *ir.Query) {
		b.ResetTimer()
		cpu := startCPU(b)
		defer cpu.stop()
		for b.Loop() {
			compile(b, iq).LoadRows(d.rows)
		}
	})
}

// BenchmarkQueryChange measures one change to the collections reaching all
// four anchor queries (live at once), for the kinds of change bench/README.md
// describes: insert a message (it enters Q4's top 50), toggle a user's
// active flag, delete the newest message (inside Q4's top 50) and delete a
// random message.
func BenchmarkQueryChange(b *testing.B) {
	for _, n := range anchorSizes {
		for _, kind := range []string{"insert", "toggle", "deleteTop", "deleteRandom"} {
			b.Run(fmt.Sprintf("%s/n=%s", kind, sizeName(n)), func(b *testing.B) {
				d := anchor(n)
				var lqs []*LiveQuery
				for _, q := range anchorQueries {
					lq := compile(b, mustQuery(b, q.json))
					lq.Load(d.reader())
					lqs = append(lqs, lq)
				}
				apply := func(name string, ch []collection.Change) {
					for _, lq := range lqs {
						lq.Apply(name, ch)
					}
				}
				insert := func() string {
					d.ts++
					id, v := d.message(d.next, d.ts)
					d.next++
					d.messages.Begin()
					d.messages.Put(id, v)
					apply("messages", d.messages.End(true))
					return id
				}
				remove := func(id string) {
					d.messages.Begin()
					d.messages.Remove(id)
					apply("messages", d.messages.End(true))
				}
				cpu := startCPU(b)
				defer cpu.stop()
				switch kind {
				case "insert":
					for b.Loop() {
						insert()
					}
				case "toggle":
					for b.Loop() {
						id := "u" + strconv.Itoa(d.r.IntN(d.nUsers))
						old, _ := d.users.Get(id)
						a, _ := old.Get("active").BoolVal()
						d.users.Begin()
						d.users.Put(id, value.With(old, "active", value.Bool(!a)))
						apply("users", d.users.End(true))
					}
				case "deleteTop":
					// Insert outside the timer, delete inside: the deleted
					// row is always the newest, in Q4's window.
					for b.Loop() {
						b.StopTimer()
						id := insert()
						b.StartTimer()
						remove(id)
					}
				case "deleteRandom":
					for b.Loop() {
						b.StopTimer()
						id := "m" + strconv.Itoa(d.r.IntN(n))
						if !d.messages.Has(id) {
							b.StartTimer()
							continue
						}
						b.StartTimer()
						remove(id)
						// Put it back, so the sizes stay n.
						b.StopTimer()
						i, _ := strconv.Atoi(id[1:])
						d.messages.Begin()
						d.messages.Put(d.message(i, float64(d.r.IntN(n*10))))
						apply("messages", d.messages.End(true))
						b.StartTimer()
					}
				}
			})
		}
	}
}

// benchSizes returns the sizes the benchmarks run at: 10k, 100k and 1M, or
// the list in STREAMDB_BENCH_SIZES (e.g. "300000").
func benchSizes() []int {
	s := os.Getenv("STREAMDB_BENCH_SIZES")
	if s == "" {
		return []int{10_000, 100_000, 1_000_000}
	}
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err == nil && n > 0 {
			out = append(out, n)
		}
	}
	return out
}

// BenchmarkQueryMemory reports the heap a live query keeps after its first
// result (retainedB, and per source row), over n messages and n/10 users.
func BenchmarkQueryMemory(b *testing.B) {
	eachAnchorQuery(b, func(b *testing.B, n int, d *anchorData, iq *ir.Query) {
		var retained, allocated float64
		for b.Loop() {
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			lq := compile(b, iq)
			lq.LoadSized(d.reader(), d.size)
			runtime.GC()
			runtime.ReadMemStats(&after)
			runtime.KeepAlive(lq)
			retained = float64(after.HeapAlloc) - float64(before.HeapAlloc)
			allocated = float64(after.TotalAlloc) - float64(before.TotalAlloc)
		}
		b.ReportMetric(retained, "retainedB")
		b.ReportMetric(allocated, "allocB")
		b.ReportMetric(retained/float64(n+n/10), "retainedB/row")
	})
}

// BenchmarkQueryFillFromEmpty measures a live query opened on empty
// collections that then receive every row in one step (a database's first
// preload or a restored snapshot with the query already open), to set
// beside BenchmarkQueryFirstResult, the same result built at once.
func BenchmarkQueryFillFromEmpty(b *testing.B) {
	eachAnchorQuery(b, func(b *testing.B, _ int, d *anchorData, iq *ir.Query) {
		inserts := func(c *collection.Collection) []collection.Change {
			out := make([]collection.Change, 0, c.Size())
			c.Range(func(k string, v value.Value) bool {
				out = append(out, collection.Change{Type: collection.Insert, Key: k, Value: v})
				return true
			})
			return out
		}
		step := map[string][]collection.Change{"users": inserts(d.users), "messages": inserts(d.messages)}
		empty := func(string, func(string, value.Value) bool) {}
		b.ResetTimer()
		for b.Loop() {
			lq := compile(b, iq)
			lq.Load(empty)
			lq.ApplyAll(step)
		}
	})
}
