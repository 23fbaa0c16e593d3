package db_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/streamdb/streamdb/core/db"
	"github.com/streamdb/streamdb/core/stream"
	"github.com/streamdb/streamdb/core/value"
)

// memoryStream is a tiny in-memory Durable Streams server for the example:
// a JSON stream that answers catch-up and long-poll reads and takes appends.
// Real programs use nethttp.New() (natively) or the fetch transport.
type memoryStream struct {
	mu      sync.Mutex
	changed chan struct{}
	items   []string
}

func (m *memoryStream) RoundTrip(ctx context.Context, r *stream.Request) (*stream.Response, error) {
	m.mu.Lock()
	if m.changed == nil {
		m.changed = make(chan struct{})
	}
	if r.Method == "POST" {
		body := strings.TrimSuffix(strings.TrimPrefix(string(r.Body), "["), "]")
		m.items = append(m.items, body)
		close(m.changed)
		m.changed = make(chan struct{})
		m.mu.Unlock()
		return &stream.Response{StatusCode: 204, Header: stream.Header{"stream-next-offset": fmt.Sprint(len(m.items))}, Body: io.NopCloser(bytes.NewReader(nil))}, nil
	}
	from := 0
	if i := strings.Index(r.URL, "offset="); i >= 0 {
		fmt.Sscan(strings.SplitN(r.URL[i+7:], "&", 2)[0], &from)
	}
	if from >= len(m.items) && strings.Contains(r.URL, "live=long-poll") {
		wait := m.changed
		m.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		m.mu.Lock()
	}
	from = min(max(from, 0), len(m.items))
	body := "[" + strings.Join(m.items[from:], ",") + "]"
	h := stream.Header{"content-type": "application/json", "stream-next-offset": fmt.Sprint(len(m.items)), "stream-up-to-date": "true", "stream-cursor": "1"}
	m.mu.Unlock()
	return &stream.Response{StatusCode: 200, Header: h, Body: io.NopCloser(strings.NewReader(body))}, nil
}

// Open a StreamDB over a stream, preload it, read rows, follow changes,
// wait for a write to come back, and make an optimistic write.
func Example() {
	ctx := context.Background()
	client, _ := stream.NewClient(&memoryStream{}, stream.Options{})
	s := client.Stream("http://example/v1/stream/chat")
	s.SetContentType("application/json")

	// Something wrote to the stream before we arrived.
	s.Append(ctx, []byte(`{"type":"user","key":"1","value":{"id":"1","name":"Kyle"},"headers":{"operation":"insert"}}`), stream.AppendOptions{})

	d, err := db.Open(s, db.Options{
		Collections: []db.CollectionDef{
			{Name: "users", Type: "user", PrimaryKey: "id"},
			{Name: "messages", Type: "message", PrimaryKey: "id"},
		},
		OnError: func(err error) { fmt.Println("error:", err) },
	})
	if err != nil {
		panic(err)
	}
	defer d.Close()
	if err := d.Preload(ctx); err != nil {
		panic(err)
	}
	users := d.Collection("users")
	row, _ := users.Get("1")
	fmt.Println("user 1:", row.Get("name"))

	changes := make(chan db.Change, 10)
	unsubscribe := d.Collection("messages").Subscribe(func(batch []db.Change) {
		for _, c := range batch {
			changes <- c
		}
	}, false)
	defer unsubscribe()

	// A write: optimistic at once, confirmed when its txid comes back.
	tx := d.Begin(db.TxOptions{TxID: "tx-1"})
	tx.Insert("messages", value.MustParse(`{"id":"m1","text":"Hello!","userId":"1"}`))
	c := <-changes
	fmt.Println(c.Type, c.Key, c.Value.Get("text"), "(optimistic)")

	err = tx.Commit(ctx, func(ctx context.Context) error {
		_, err := s.Append(ctx, []byte(`{"type":"message","key":"m1","value":{"id":"m1","text":"Hello!","userId":"1"},"headers":{"operation":"insert","txid":"tx-1"}}`), stream.AppendOptions{})
		if err != nil {
			return err
		}
		return d.AwaitTxID(ctx, "tx-1", 5*time.Second)
	})
	fmt.Println("committed:", err == nil, tx.State())
	c = <-changes
	synced, _ := d.Collection("messages").Synced("m1")
	fmt.Println(c.Type, c.Key, "now synced, _seq =", synced.Get("_seq"))
	fmt.Println("messages:", d.Collection("messages").Size())

	// Output:
	// user 1: "Kyle"
	// insert m1 "Hello!" (optimistic)
	// committed: true completed
	// update m1 now synced, _seq = 1
	// messages: 1
}
