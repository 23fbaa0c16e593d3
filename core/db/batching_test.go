package db

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/streamdb/streamdb/core/ir"
	"github.com/streamdb/streamdb/core/stream"
)

// The batching property: how the events of a stream are grouped into
// responses never changes what a reader sees. For random event sequences
// (changes of two types, unknown types, txids, malformed items, snapshots,
// resets), every way of cutting the sequence into batches must show,
// after each batch, the state the same events give when read one per
// batch; during preload (batches not up to date) only the final state
// counts.

// batchEvents are the building blocks of the random sequences.
var batchEvents = []string{
	`{"type":"user","key":"a","value":{"v":"old"},"headers":{"operation":"insert"}}`,
	`{"type":"user","key":"a","value":{"v":"new"},"headers":{"operation":"update","txid":"t1"}}`,
	`{"type":"user","key":"a","value":{"w":1},"headers":{"operation":"upsert"}}`,
	`{"type":"user","key":"a","headers":{"operation":"delete","txid":"t2"}}`,
	`{"type":"user","key":"b","value":{"v":2},"headers":{"operation":"insert","txid":"t3"}}`,
	`{"type":"user","key":"b","headers":{"operation":"delete"}}`,
	`{"type":"message","key":"m","value":{"text":"hi","userId":"a"},"headers":{"operation":"insert"}}`,
	`{"type":"message","key":"m","headers":{"operation":"delete","txid":"t4"}}`,
	`{"type":"other","key":"x","value":{},"headers":{"operation":"insert","txid":"t5"}}`,
	`{"type":"user","key":"c","value":[1],"headers":{"operation":"insert","txid":"t6"}}`, // invalid: not an object
	`{"type":"user","key":"c","value":{"v":3},"headers":{"operation":"bogus"}}`,          // invalid operation
	`{"headers":{"control":"snapshot-start","txid":"t7"}}`,
	`{"headers":{"control":"snapshot-end"}}`,
	`{"headers":{"control":"reset"}}`,
}

var batchTxids = []string{"t1", "t2", "t3", "t4", "t5", "t6", "t7"}

// batchQuery joins the two collections in an order: a live query must see
// the same result however the changes were grouped.
const batchQuery = `{
  "from": {"alias": "m", "collection": "messages"},
  "join": [{"type": "full", "source": {"alias": "u", "collection": "users"},
            "on": {"type": "func", "name": "eq", "args": [{"type": "ref", "path": ["m", "userId"]}, {"type": "ref", "path": ["u", "id"]}]}}],
  "orderBy": [{"expr": {"type": "ref", "path": ["u", "v"]}, "direction": "desc"}],
  "limit": 3
}`

// nopTransport answers nothing: the property test feeds batches itself.
type nopTransport struct{}

func (nopTransport) RoundTrip(context.Context, *stream.Request) (*stream.Response, error) {
	return nil, errors.New("no network in this test")
}

// batchDB opens a database that is fed by hand, with one live query.
func batchDB(t testing.TB) (*DB, *Live) {
	t.Helper()
	d := usersAndMessages(t)
	q, err := ir.Parse([]byte(batchQuery))
	if err != nil {
		t.Fatal(err)
	}
	l, err := d.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	return d, l
}

// usersAndMessages opens a database of users and messages over a
// transport that never answers (tests feed it batches), with no query.
func usersAndMessages(t testing.TB) *DB {
	t.Helper()
	c, err := stream.NewClient(nopTransport{}, stream.Options{})
	if err != nil {
		t.Fatal(err)
	}
	d, err := Open(c.Stream("http://invalid.test/s"), Options{Collections: []CollectionDef{
		{Name: "users", Type: "user", PrimaryKey: "id"},
		{Name: "messages", Type: "message", PrimaryKey: "id"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// view is what a reader of the database observes: every row, which txids
// are seen, and the live query's ordered result.
func view(d *DB, l *Live) string {
	var b strings.Builder
	for _, c := range d.Collections() {
		var rows []string
		for _, r := range c.Rows() {
			rows = append(rows, r.JSON())
		}
		sort.Strings(rows)
		fmt.Fprintf(&b, "%s: %s\n", c.Name(), strings.Join(rows, " "))
	}
	d.mu.Lock()
	for _, id := range batchTxids {
		if d.txids.has(id) {
			b.WriteString(id + " ")
		}
	}
	d.mu.Unlock()
	b.WriteString("\nquery:")
	for _, r := range l.Rows() {
		b.WriteString(" " + r.JSON())
	}
	return b.String()
}

// feed hands one batch of items to the database.
func feed(d *DB, items []string, upToDate bool) {
	b := &stream.Batch{UpToDate: upToDate, Offset: fmt.Sprint(len(items))}
	for _, it := range items {
		b.Items = append(b.Items, []byte(it))
	}
	d.batch(b)
}

// oneByOne returns the view after each event of seq, read one per batch.
func oneByOne(t testing.TB, seq []string) []string {
	d, l := batchDB(t)
	defer d.Close()
	out := make([]string, len(seq))
	for i, it := range seq {
		feed(d, []string{it}, true)
		out[i] = view(d, l)
	}
	return out
}

// checkCuts feeds seq cut after every event whose bit is set in cuts (the
// last batch always ends the sequence). With live set every batch is up to
// date and each one's view is checked; otherwise the batches before the
// last are preload batches and only the final view is.
func checkCuts(t testing.TB, seq, want []string, cuts uint64, live bool) {
	d, l := batchDB(t)
	defer d.Close()
	start := 0
	for i := range seq {
		last := i == len(seq)-1
		if !last && cuts&(1<<i) == 0 {
			continue
		}
		feed(d, seq[start:i+1], live || last)
		if live || last {
			if got := view(d, l); got != want[i] {
				t.Fatalf("events %q\ncut %b (live %v), after event %d:\n got %s\nwant %s", seq, cuts, live, i, got, want[i])
			}
		}
		start = i + 1
	}
}

func TestBatchingIsInvisible(t *testing.T) {
	// The cases the issue reported, then random sequences.
	ev := func(i ...int) []string {
		out := make([]string, len(i))
		for j, k := range i {
			out[j] = batchEvents[k]
		}
		return out
	}
	seqs := [][]string{
		ev(11, 0, 4, 12, 1, 5),    // snapshot, then changes after its end
		ev(11, 0, 13, 4, 12),      // a reset inside a snapshot
		ev(11, 0, 4, 12, 13, 6),   // a reset after a snapshot
		ev(0, 11, 1, 12, 11, 3),   // a second snapshot left open
		ev(4, 11, 12, 11, 5, 12),  // an empty snapshot, then another
		ev(9, 11, 10, 12, 2, 8),   // invalid events inside and outside
		ev(13, 11, 13, 0, 12, 13), // resets everywhere
	}
	r := rand.New(rand.NewPCG(12, 34))
	n := 300
	if testing.Short() {
		n = 60
	}
	for range n {
		seq := make([]string, 1+r.IntN(8))
		for i := range seq {
			seq[i] = batchEvents[r.IntN(len(batchEvents))]
		}
		seqs = append(seqs, seq)
	}
	checked := 0
	for _, seq := range seqs {
		want := oneByOne(t, seq)
		for cuts := uint64(0); cuts < 1<<(len(seq)-1); cuts++ {
			checkCuts(t, seq, want, cuts, true)
			checkCuts(t, seq, want, cuts, false)
			checked += 2
		}
	}
	t.Logf("%d sequences, %d groupings: %d passed, 0 failed", len(seqs), checked, checked)
}

// FuzzBatching checks the same property on sequences the fuzzer chooses:
// each byte picks an event, the first eight bytes the cuts.
func FuzzBatching(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0xff, 11, 0, 4, 12, 1, 5})
	f.Add([]byte{1, 0, 0, 0, 0, 0, 0, 0, 11, 0, 13, 4, 12})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 9 || len(data) > 8+24 {
			return
		}
		cuts := binary.LittleEndian.Uint64(data)
		seq := make([]string, 0, len(data)-8)
		for _, c := range data[8:] {
			seq = append(seq, batchEvents[int(c)%len(batchEvents)])
		}
		want := oneByOne(t, seq)
		checkCuts(t, seq, want, cuts, true)
		checkCuts(t, seq, want, cuts, false)
	})
}

// A long preload yields between slices when asked to: nothing of it is
// visible while the caller's work runs, the result is the one an unsliced
// preload gives, and a Close during a yield ends it.
func TestPreloadYields(t *testing.T) {
	var seq []string
	for i := range 3000 {
		seq = append(seq, batchEvents[i%len(batchEvents)], fmt.Sprintf(`{"type":"user","key":"k%d","value":{"v":%d},"headers":{"operation":"insert"}}`, i%700, i))
	}
	plain, pl := batchDB(t)
	defer plain.Close()
	feed(plain, seq[:4000], false)
	feed(plain, seq[4000:], true)
	want := view(plain, pl)

	d, l := batchDB(t)
	defer d.Close()
	yields := 0
	d.opts.Budget = time.Nanosecond
	d.opts.Yield = func() {
		yields++
		for _, c := range d.Collections() {
			if n := c.Size(); n != 0 {
				t.Fatalf("%s shows %d rows during the preload", c.Name(), n)
			}
		}
	}
	feed(d, seq[:4000], false)
	feed(d, seq[4000:], true)
	if got := view(d, l); got != want {
		t.Fatalf("sliced preload:\n got %s\nwant %s", got, want)
	}
	if yields < 20 {
		t.Fatalf("%d yields for 6,000 events at a budget of 1 ns", yields)
	}

	closing, _ := batchDB(t)
	closing.opts.Budget = time.Nanosecond
	closing.opts.Yield = closing.Close
	feed(closing, seq, true)
	for _, c := range closing.Collections() {
		if n := c.Size(); n != 0 {
			t.Fatalf("%s shows %d rows after a close during the preload", c.Name(), n)
		}
	}
}

// A long live response yields too: before each yield what it applied so
// far is committed, so that whatever the caller sees then (rows, txids,
// the live query) is the state after some prefix of the stream, and the
// end result is the one an unsliced read gives.
func TestLiveResponseYields(t *testing.T) {
	var seq []string
	for i := range 300 {
		seq = append(seq, batchEvents[i%len(batchEvents)], fmt.Sprintf(`{"type":"user","key":"k%d","value":{"v":%d},"headers":{"operation":"insert"}}`, i%70, i))
	}
	want := oneByOne(t, seq)
	prefix := map[string][]int{} // a view, and after which events it shows
	for i, v := range want {
		prefix[v] = append(prefix[v], i)
	}

	d, l := batchDB(t)
	defer d.Close()
	feed(d, seq[:10], true) // ready
	d.opts.Budget = time.Nanosecond
	var seen []int
	d.opts.Yield = func() {
		// The first prefix not before the last yield's that shows this.
		last := 9
		if len(seen) > 0 {
			last = seen[len(seen)-1]
		}
		for _, i := range prefix[view(d, l)] {
			if i >= last {
				seen = append(seen, i)
				return
			}
		}
		t.Fatalf("after the prefix of %d events, a yield shows a state no later prefix of the stream gives:\n%s", last+1, view(d, l))
	}
	b := &stream.Batch{Offset: "1", Partial: true}
	for _, it := range seq[10:300] {
		b.Items = append(b.Items, []byte(it))
	}
	d.batch(b) // a first part
	b = &stream.Batch{Offset: "2", UpToDate: true}
	for _, it := range seq[300:] {
		b.Items = append(b.Items, []byte(it))
	}
	d.batch(b) // the last part
	if got := view(d, l); got != want[len(want)-1] {
		t.Fatalf("after the live response:\n got %s\nwant %s", got, want[len(want)-1])
	}
	if len(seen) < 10 {
		t.Fatalf("yields after prefixes %v: want at least 10", seen)
	}
}

// Live batches that follow each other with no rest (SSE events whose bytes
// were already there: each read resolves at once, in one task of the page)
// count against one budget, and the engine yields once they pass it; the
// same batches with the page's turns between them start a slice each and
// do not yield.
func TestBackToBackBatchesYield(t *testing.T) {
	for _, tc := range []struct {
		name string
		rest time.Duration
		back bool // back to back: the batches share slices
	}{
		{"back to back", 0, true},
		{"with rests", 2 * restGap, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, _ := batchDB(t)
			defer d.Close()
			feed(d, batchEvents[:2], true) // ready
			// A browser's timers make a sleep of 1 ms last up to several:
			// the budget leaves room for that. A batch that alone outlasts
			// it (a loaded machine) yields rightly, after rests too: such
			// yields are counted apart.
			const budget = 20 * time.Millisecond
			d.opts.Budget = budget
			var start time.Time
			shared, alone := 0, 0
			d.opts.Yield = func() {
				if time.Since(start) >= budget {
					alone++
				} else {
					shared++
				}
			}
			d.opts.OnBatch = func(*stream.Batch) { time.Sleep(time.Millisecond) } // a batch's work
			for i := range 30 {
				time.Sleep(tc.rest)
				start = time.Now()
				feed(d, []string{fmt.Sprintf(`{"type":"user","key":"b%d","value":{"v":%d},"headers":{"operation":"insert"}}`, i, i)}, true)
			}
			if tc.back && shared+alone == 0 {
				t.Fatal("no yield in 30 back-to-back batches of 1 ms or more against a budget of 20 ms")
			}
			if !tc.back && shared > 0 {
				t.Fatalf("%d yields after a batch shorter than the budget of 20 ms, though each batch followed a rest (%d after a batch that outlasted it)", shared, alone)
			}
		})
	}
}

// The budget counts what a live commit costs with its subscribers told
// (for the page: the live queries' answers), and follows a costlier commit
// at once: a long live response whose subscribers take most of the time
// is still cut into slices of about the budget.
func TestSliceCountsSubscribers(t *testing.T) {
	d, _ := batchDB(t)
	defer d.Close()
	feed(d, batchEvents[:2], true) // ready
	d.Collection("users").Subscribe(func(ch []Change) { time.Sleep(time.Duration(len(ch)) * 100 * time.Microsecond) }, false)
	const budget = 10 * time.Millisecond
	d.opts.Budget = budget
	var slices []time.Duration
	last := time.Now()
	d.opts.Yield = func() {
		slices = append(slices, time.Since(last))
		last = time.Now()
	}
	b := &stream.Batch{Offset: "9", UpToDate: true}
	for i := range 3000 {
		b.Items = append(b.Items, []byte(fmt.Sprintf(`{"type":"user","key":"s%d","value":{"v":%d},"headers":{"operation":"insert"}}`, i, i)))
	}
	d.batch(b)
	if len(slices) < 10 {
		t.Fatalf("%d slices: a response of 3,000 events at 0.1 ms each is cut into more", len(slices))
	}
	over := 0
	for _, s := range slices[2:] { // the first ones learn the cost
		if s > 3*budget {
			over++
		}
	}
	if over > len(slices)/10 {
		t.Fatalf("%d of %d slices over 3× the budget: %v", over, len(slices), slices)
	}
}

// A Preload caller wakes with the connection already said live: the state
// is set before the callers are woken, not after the batch that made the
// database ready. (The database's own reader fails on this test's
// transport and may say retrying at any time: what is checked is that
// live was said before Preload returned.)
func TestPreloadWakesLive(t *testing.T) {
	for range 20 {
		var mu sync.Mutex
		var said []ConnState
		c, err := stream.NewClient(nopTransport{}, stream.Options{})
		if err != nil {
			t.Fatal(err)
		}
		d, err := Open(c.Stream("http://invalid.test/s"), Options{
			Collections: []CollectionDef{{Name: "users", Type: "user", PrimaryKey: "id"}, {Name: "messages", Type: "message", PrimaryKey: "id"}},
			OnConnection: func(c Connection) {
				mu.Lock()
				said = append(said, c.State)
				mu.Unlock()
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan []ConnState)
		go func() {
			if err := d.Preload(context.Background()); err != nil {
				t.Error(err)
			}
			mu.Lock()
			done <- append([]ConnState(nil), said...)
			mu.Unlock()
		}()
		feed(d, batchEvents[:4], true)
		if got := <-done; !slices.Contains(got, ConnLive) {
			t.Fatalf("Preload returned after the connection said %v", got)
		}
		d.Close()
	}
}
