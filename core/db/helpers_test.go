package db_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/streamdb/streamdb/core/db"
	"github.com/streamdb/streamdb/core/stream"
	"github.com/streamdb/streamdb/core/value"
	"github.com/streamdb/streamdb/internal/testserver"
)

func TestMain(m *testing.M) { testserver.Main(m) }

// newTransport returns the transport the integration tests use: net/http
// natively, fetch in the browser.
func newTransport() stream.Transport { return testserver.Transport() }

var schema = []db.CollectionDef{
	{Name: "users", Type: "user", PrimaryKey: "id"},
	{Name: "messages", Type: "message", PrimaryKey: "id"},
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func newClient(t testing.TB, tr stream.Transport) *stream.Client {
	if tr == nil {
		tr = newTransport()
	}
	c, err := stream.NewClient(tr, stream.Options{})
	require.NoError(t, err)
	return c
}

// newJSONStream creates a fresh JSON stream.
func newJSONStream(t testing.TB, c *stream.Client) *stream.Stream {
	t.Helper()
	if c == nil {
		c = newClient(t, nil)
	}
	s := c.Stream(testserver.StreamURL(t))
	_, err := s.Create(ctxT(t), stream.CreateOptions{ContentType: "application/json"})
	require.NoError(t, err)
	return s
}

// ev builds a change event.
func ev(typ, key, op, val string, headers ...string) string {
	h := fmt.Sprintf(`"operation":%q`, op)
	for i := 0; i+1 < len(headers); i += 2 {
		h += fmt.Sprintf(`,%q:%q`, headers[i], headers[i+1])
	}
	if val == "" {
		return fmt.Sprintf(`{"type":%q,"key":%q,"headers":{%s}}`, typ, key, h)
	}
	return fmt.Sprintf(`{"type":%q,"key":%q,"value":%s,"headers":{%s}}`, typ, key, val, h)
}

func control(kind string) string { return fmt.Sprintf(`{"headers":{"control":%q}}`, kind) }

// post appends raw JSON (one message, or an array of messages) in one POST.
func post(t testing.TB, s *stream.Stream, items ...string) {
	t.Helper()
	body := items[0]
	if len(items) > 1 {
		body = "[" + strings.Join(items, ",") + "]"
	}
	tr := newTransport()
	resp, err := tr.RoundTrip(ctxT(t), &stream.Request{Method: "POST", URL: s.URL(),
		Header: stream.Header{"content-type": "application/json"}, Body: []byte(body)})
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, 204, resp.StatusCode)
}

// appendEach appends each event in its own POST.
func appendEach(t testing.TB, s *stream.Stream, items ...string) {
	t.Helper()
	for _, it := range items {
		post(t, s, it)
	}
}

type opened struct {
	*db.DB
	mu   sync.Mutex
	errs []error
}

func (o *opened) errors() []error {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]error(nil), o.errs...)
}

// open opens a database over s with the test schema and closes it at the end.
func open(t testing.TB, s *stream.Stream, mut ...func(*db.Options)) *opened {
	t.Helper()
	o := &opened{}
	opts := db.Options{Collections: schema, OnError: func(err error) {
		o.mu.Lock()
		o.errs = append(o.errs, err)
		o.mu.Unlock()
	}}
	for _, m := range mut {
		m(&opts)
	}
	d, err := db.Open(s, opts)
	require.NoError(t, err)
	t.Cleanup(d.Close)
	o.DB = d
	return o
}

func preloaded(t testing.TB, s *stream.Stream, mut ...func(*db.Options)) *opened {
	t.Helper()
	o := open(t, s, mut...)
	require.NoError(t, o.Preload(ctxT(t)))
	return o
}

// field reads a string field of a row.
func field(t testing.TB, c *db.Collection, key, name string) string {
	t.Helper()
	row, ok := c.Get(key)
	require.True(t, ok, "row %q", key)
	return value.Encode(row.Get(name))
}

// eventually polls cond until it holds.
func eventually(t testing.TB, cond func() bool, msg string) {
	t.Helper()
	require.Eventually(t, cond, 5*time.Second, 5*time.Millisecond, msg)
}

// recorder collects change batches of a collection.
type recorder struct {
	mu      sync.Mutex
	batches [][]db.Change
}

func record(c *db.Collection) *recorder {
	r := &recorder{}
	c.Subscribe(func(ch []db.Change) {
		r.mu.Lock()
		r.batches = append(r.batches, ch)
		r.mu.Unlock()
	}, false)
	return r
}

func (r *recorder) all() []db.Change {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []db.Change
	for _, b := range r.batches {
		out = append(out, b...)
	}
	return out
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.batches)
}

// brief describes changes as "type key" strings.
func brief(ch []db.Change) []string {
	out := make([]string, len(ch))
	for i, c := range ch {
		out[i] = c.Type.String() + " " + c.Key
	}
	return out
}
