package db

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"testing"

	"github.com/streamdb/streamdb/core/snapshot"
	"github.com/streamdb/streamdb/core/stream"
)

// benchStore serves one snapshot and throws new ones away.
type benchStore struct{ data []byte }

func (s *benchStore) Load(context.Context) ([]byte, error)           { return s.data, nil }
func (s *benchStore) Remove(context.Context) error                   { return nil }
func (s *benchStore) Create(context.Context) (SnapshotWriter, error) { return discard{}, nil }

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
func (discard) Commit() error               { return nil }
func (discard) Abort() error                { return nil }

var _ io.Writer = discard{}

// benchSnapshot encodes n messages and n/10 users shaped as the browser
// benchmark's (bench/data.mjs).
func benchSnapshot(url string, n int) []byte {
	var buf bytes.Buffer
	enc := snapshot.NewEncoder(&buf, snapshot.Header{Stream: url, Collections: []snapshot.Collection{
		{Name: "users", Type: "user", PrimaryKey: "id"}, {Name: "messages", Type: "message", PrimaryKey: "id"}}})
	for i := range n / 10 {
		k := fmt.Sprintf("user-%06d", i)
		enc.Put(0, k, fmt.Sprintf(`{"id":%q,"name":"User %d","active":%v,"team":"t%d","_seq":%d}`, k, i, i%2 == 0, i%7, i))
	}
	for i := range n {
		k := fmt.Sprintf("msg-%07d", i)
		enc.Put(1, k, fmt.Sprintf(`{"id":%q,"userId":"user-%06d","text":"message number %d with some words","ts":%d,"_seq":%d}`, k, i%(n/10), i, 1700000000000+i, n/10+i))
	}
	_ = enc.Close(snapshot.Footer{Offset: "0000000000000001_0000000000000000", Seq: float64(n + n/10)})
	return buf.Bytes()
}

func benchDB(b *testing.B, store Store) *DB {
	c, err := stream.NewClient(noTransport{}, stream.Options{})
	if err != nil {
		b.Fatal(err)
	}
	d, err := Open(c.Stream("http://bench.invalid/v1/stream/bench"), Options{Persist: store, Collections: []CollectionDef{
		{Name: "users", Type: "user", PrimaryKey: "id"}, {Name: "messages", Type: "message", PrimaryKey: "id"}}})
	if err != nil {
		b.Fatal(err)
	}
	return d
}

// BenchmarkRestore: a snapshot of n messages (and n/10 users) decoded,
// checked and made the collections' rows.
func BenchmarkRestore(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		b.Run(fmt.Sprintf("n=%dk", n/1000), func(b *testing.B) {
			data := benchSnapshot("http://bench.invalid/v1/stream/bench", n)
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				d := benchDB(b, &benchStore{data: data})
				if off := d.restore(); off == "" {
					b.Fatal("not restored")
				}
				d.Close()
			}
		})
	}
}

// BenchmarkSave: the same state written as a snapshot.
func BenchmarkSave(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		b.Run(fmt.Sprintf("n=%dk", n/1000), func(b *testing.B) {
			data := benchSnapshot("http://bench.invalid/v1/stream/bench", n)
			d := benchDB(b, &benchStore{data: data})
			d.restore()
			d.mu.Lock()
			d.resumed, d.ready = false, true
			d.mu.Unlock()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, err := d.Save(context.Background()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// noTransport answers nothing: the benchmarks make no request.
type noTransport struct{}

func (noTransport) RoundTrip(context.Context, *stream.Request) (*stream.Response, error) {
	return nil, io.ErrUnexpectedEOF
}
