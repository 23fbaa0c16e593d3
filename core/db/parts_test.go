package db_test

import (
	"context"
	"fmt"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamdb/streamdb/core/db"
	"github.com/streamdb/streamdb/core/stream"
	"github.com/streamdb/streamdb/internal/faults"
)

// cutTransport cuts the body of the next GET responses (as many as left
// says) after at bytes, as a dropped connection does.
type cutTransport struct {
	stream.Transport
	at   int
	left atomic.Int64
}

func (c *cutTransport) RoundTrip(ctx context.Context, r *stream.Request) (*stream.Response, error) {
	resp, err := c.Transport.RoundTrip(ctx, r)
	if err == nil && r.Method == "GET" && resp.StatusCode == 200 && c.left.Add(-1) >= 0 {
		resp.Body = faults.Cut(resp.Body, c.at)
	}
	return resp, err
}

// churn returns n change events over a few hundred keys: inserts, updates
// that merge, deletes.
func churn(from, n int) []string {
	out := make([]string, n)
	for i := range out {
		k := fmt.Sprintf("u%d", (from+i)%300)
		switch (from + i) % 7 {
		case 3:
			out[i] = ev("user", k, "delete", "")
		case 5:
			out[i] = ev("user", k, "update", fmt.Sprintf(`{"n":%d}`, from+i))
		default:
			out[i] = ev("user", k, "upsert", fmt.Sprintf(`{"id":%q,"v":%d,"pad":"%s"}`, k, from+i, strings.Repeat("p", i%40)))
		}
	}
	return out
}

// rowsOf is every row of users, as JSON, sorted: _seq included, so an event
// applied twice shows.
func rowsOf(o *opened) string {
	var rows []string
	for _, r := range o.Collection("users").Rows() {
		rows = append(rows, r.JSON())
	}
	sort.Strings(rows)
	return strings.Join(rows, "\n")
}

// A response is read and applied in parts; when its body drops midway, the
// database asks again from the same offset and ends with exactly the state
// of an uncut read: nothing lost, nothing applied twice (the rows' _seq
// would show it). Both during the first preload and once live.
func TestResponseInPartsSurvivesDrops(t *testing.T) {
	s := newJSONStream(t, nil)
	post(t, s, churn(0, 2000)...)
	cut := &cutTransport{Transport: newTransport(), at: 70_000}
	cut.left.Store(2)
	var parts atomic.Int64
	o := preloaded(t, cut.stream(t, s), func(o *db.Options) {
		o.PartBytes = 8 << 10
		o.OnBatch = func(b *stream.Batch) {
			if b.Partial {
				parts.Add(1)
			}
		}
	})
	assert.Less(t, cut.left.Load(), int64(0), "both cuts happened")
	assert.Greater(t, parts.Load(), int64(10), "read in parts")
	assert.Equal(t, rowsOf(preloaded(t, s)), rowsOf(o), "the state of an uncut read")
	for _, err := range o.errors() {
		assert.Equal(t, stream.CodeNetwork, stream.CodeOf(err), "only the cuts are reported: %v", err)
	}

	// Live: a large response, cut once.
	cut.left.Store(1)
	post(t, s, churn(2000, 2000)...)
	plain := preloaded(t, s)
	require.Eventually(t, func() bool { return o.Offset() == plain.Offset() }, 10*time.Second, 10*time.Millisecond)
	assert.Equal(t, rowsOf(plain), rowsOf(o))
	assert.Less(t, cut.left.Load(), int64(0), "the live response was cut")
}

// stream returns s read through c.
func (c *cutTransport) stream(t *testing.T, s *stream.Stream) *stream.Stream {
	return newClient(t, c).Stream(s.URL())
}

// genTransport answers every GET with one up-to-date response of n events
// (updates of 100 keys) made as they are read, never held whole.
type genTransport struct{ n int }

func (g genTransport) RoundTrip(_ context.Context, r *stream.Request) (*stream.Response, error) {
	if r.Method != "GET" {
		return nil, fmt.Errorf("unexpected %s", r.Method)
	}
	return &stream.Response{StatusCode: 200, Header: stream.Header{"content-type": "application/json",
		"stream-next-offset": "1_1", "stream-up-to-date": "true", "stream-closed": "true"},
		Body: faults.Array(g.n, func(dst []byte, i int) []byte {
			k := fmt.Sprintf("k%d", (i+1)%100)
			return append(dst, ev("user", k, "upsert", fmt.Sprintf(`{"id":%q,"v":%d,"pad":"%s"}`, k, i+1, strings.Repeat("q", 200)))...)
		})}, nil
}

// A catch-up response far larger than the state it builds (100 MB of
// updates to 100 rows) is applied while it arrives: the heap never holds
// more than a window of it. It used to be read whole first.
func TestHugeResponseIsNotHeldWhole(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 100 MB")
	}
	const n = 330_000
	c, err := stream.NewClient(genTransport{n: n}, stream.Options{})
	require.NoError(t, err)
	// What other tests of the process left in use is not this read's.
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	var (
		mu    sync.Mutex
		peak  uint64
		bytes int64
		calls int
	)
	o := preloaded(t, c.Stream("http://gen.test/s"), func(o *db.Options) {
		o.OnProgress = func(p db.Progress) {
			mu.Lock()
			defer mu.Unlock()
			if calls++; calls%5 == 0 || p.Ready { // ReadMemStats stops the world
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapAlloc)
			}
			bytes = p.Bytes
		}
	})
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, 100, o.Collection("users").Size())
	v, _ := o.Collection("users").Get("k0")
	assert.Contains(t, v.JSON(), fmt.Sprintf(`"v":%d`, n-n%100))
	assert.Greater(t, bytes, int64(90<<20))
	grown := peak - min(peak, base.HeapAlloc)
	assert.Less(t, grown, uint64(48<<20), "heap peak %d MiB above the start for a %d MiB response", grown>>20, bytes>>20)
}
