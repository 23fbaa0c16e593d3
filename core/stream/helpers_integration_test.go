package stream_test

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/streamdb/streamdb/core/stream"
	"github.com/streamdb/streamdb/internal/faults"
	"github.com/streamdb/streamdb/internal/testserver"
)

func TestMain(m *testing.M) { testserver.Main(m) }

// newTransport returns the transport the integration tests use: net/http
// natively, fetch in the browser.
func newTransport() stream.Transport { return testserver.Transport() }

// fastRetry keeps retry tests quick while still exercising backoff.
var fastRetry = stream.RetryPolicy{MaxRetries: 8, InitialDelay: 20 * time.Millisecond, MaxDelay: 200 * time.Millisecond, Multiplier: 2}

func newClient(t testing.TB, tr stream.Transport) *stream.Client {
	t.Helper()
	if tr == nil {
		tr = newTransport()
	}
	policy := fastRetry
	c, err := stream.NewClient(tr, stream.Options{Retry: &policy})
	require.NoError(t, err)
	return c
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// newStream creates a fresh stream of the given content type.
func newStream(t testing.TB, c *stream.Client, contentType string) *stream.Stream {
	t.Helper()
	s := c.Stream(testserver.StreamURL(t))
	res, err := s.Create(testCtx(t), stream.CreateOptions{ContentType: contentType})
	require.NoError(t, err)
	require.True(t, res.Created)
	return s
}

// streamPath returns the path part of a stream URL.
func streamPath(u string) string {
	i := strings.Index(u, "/v1/stream/")
	return u[i:]
}

// inject asks the reference server to fail the next requests on the
// stream's path (its /_test/inject-error endpoint).
func inject(t testing.TB, s *stream.Stream, fault string) {
	t.Helper()
	base := s.URL()[:strings.Index(s.URL(), "/v1/stream/")]
	body := fmt.Sprintf(`{"path":%q,%s}`, streamPath(s.URL()), fault)
	resp, err := newTransport().RoundTrip(testCtx(t), &stream.Request{Method: "POST", URL: base + "/_test/inject-error",
		Header: stream.Header{"content-type": "application/json"}, Body: []byte(body)})
	require.NoError(t, err)
	defer resp.Body.Close()
	msg, _ := io.ReadAll(resp.Body)
	require.Equal(t, 200, resp.StatusCode, string(msg))
}

// readAll reads until EOF (catch-up) and returns every item as a string.
func readAll(t testing.TB, s *stream.Stream, offset string) ([]string, string) {
	t.Helper()
	r, err := s.Read(testCtx(t), stream.ReadOptions{Offset: offset})
	require.NoError(t, err)
	defer r.Close()
	return drain(t, r), r.Offset()
}

// drain reads r until EOF and returns every item as a string: each JSON
// item in JSON mode, each batch's bytes otherwise.
func drain(t testing.TB, r *stream.Reader) []string {
	t.Helper()
	var items []string
	for {
		b, err := r.Next()
		if err == io.EOF {
			return items
		}
		require.NoError(t, err)
		for _, it := range b.Items {
			items = append(items, string(it))
		}
		if !stream.IsJSON(b.ContentType) && len(b.Data) > 0 {
			items = append(items, string(b.Data))
		}
	}
}

// countingTransport counts requests by method.
type countingTransport struct {
	stream.Transport
	posts, gets atomic.Int64
}

func (c *countingTransport) RoundTrip(ctx context.Context, r *stream.Request) (*stream.Response, error) {
	switch r.Method {
	case "POST":
		c.posts.Add(1)
	case "GET":
		c.gets.Add(1)
	}
	return c.Transport.RoundTrip(ctx, r)
}

// dropMidBody cuts the body of the first n GET responses after a few bytes
// with an error, as a dropped connection does.
type dropMidBody struct {
	stream.Transport
	left atomic.Int64
}

func (d *dropMidBody) RoundTrip(ctx context.Context, r *stream.Request) (*stream.Response, error) {
	resp, err := d.Transport.RoundTrip(ctx, r)
	if err == nil && r.Method == "GET" && d.left.Add(-1) >= 0 {
		resp.Body = faults.Cut(resp.Body, 7)
	}
	return resp, err
}
