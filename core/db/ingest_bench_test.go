package db_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"testing"

	"github.com/streamdb/streamdb/core/db"
	"github.com/streamdb/streamdb/core/stream"
)

// ingestBody builds a catch-up response of n state events of about 150
// bytes each: users (a tenth) and messages, all inserts, with a few updates.
func ingestBody(n int) (body []byte, valueBytes int) {
	var b bytes.Buffer
	b.Grow(n * 160)
	b.WriteByte('[')
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		start := b.Len()
		if i%10 == 0 {
			fmt.Fprintf(&b, `{"type":"user","key":"u%d","value":{"id":"u%d","name":"User %d","email":"user%d@example.com","active":%t,"score":%d},"headers":{"operation":"insert","txid":"t%d"}}`,
				i/10, i/10, i/10, i/10, i%20 == 0, i%1000, i)
		} else {
			fmt.Fprintf(&b, `{"type":"message","key":"m%d","value":{"id":"m%d","userId":"u%d","text":"message number %d","ts":%d},"headers":{"operation":"insert"}}`,
				i, i, (i/10)%max(1, n/10), i, 1700000000000+i)
		}
		item := b.Bytes()[start:]
		vs := bytes.Index(item, []byte(`"value":`)) + len(`"value":`)
		ve := bytes.Index(item, []byte(`,"headers"`))
		valueBytes += ve - vs
	}
	b.WriteByte(']')
	return b.Bytes(), valueBytes
}

// servedBody answers the first GET with body, up to date; later requests
// are not made in catch-up mode.
type servedBody struct{ body []byte }

func (s servedBody) RoundTrip(ctx context.Context, r *stream.Request) (*stream.Response, error) {
	return &stream.Response{StatusCode: 200, Header: stream.Header{
		"content-type": "application/json", "stream-next-offset": "1_" + strconv.Itoa(len(s.body)), "stream-up-to-date": "true",
		"content-length": strconv.Itoa(len(s.body)),
	}, Body: io.NopCloser(bytes.NewReader(s.body))}, nil
}

// BenchmarkIngest reads n generated events through the whole consumer
// (reader, JSON split, event decoding, collections) with preload, as one
// response. It reports events/s, MB/s, and the Go heap per row beyond the
// JSON text of the row's value.
func BenchmarkIngest(b *testing.B) {
	for _, n := range []int{10_000, 100_000, 1_000_000} {
		b.Run(fmt.Sprintf("events=%d", n), func(b *testing.B) {
			body, valueBytes := ingestBody(n)
			c, err := stream.NewClient(servedBody{body}, stream.Options{})
			if err != nil {
				b.Fatal(err)
			}
			var heapPerRow float64
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				runtime.GC()
				var before runtime.MemStats
				runtime.ReadMemStats(&before)
				b.StartTimer()
				d, err := db.Open(c.Stream("http://bench/s"), db.Options{Collections: schema, Live: db.LiveOff})
				if err != nil {
					b.Fatal(err)
				}
				if err := d.Preload(context.Background()); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				if got := d.Collection("messages").Size() + d.Collection("users").Size(); got != n {
					b.Fatalf("%d rows, want %d", got, n)
				}
				runtime.GC()
				var after runtime.MemStats
				runtime.ReadMemStats(&after)
				heapPerRow = (float64(after.HeapAlloc) - float64(before.HeapAlloc) - float64(valueBytes)) / float64(n)
				runtime.KeepAlive(d)
				d.Close()
				b.StartTimer()
			}
			secs := b.Elapsed().Seconds() / float64(b.N)
			b.ReportMetric(float64(n)/secs, "events/s")
			b.ReportMetric(float64(len(body))/secs/1e6, "MB/s")
			b.ReportMetric(heapPerRow, "heapB/row")
			b.ReportMetric(secs*1e9/float64(n), "ns/event")
		})
	}
}
