//go:build !js

package wsclient_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/streamdb/streamdb/core/db"
	"github.com/streamdb/streamdb/core/stream"
	"github.com/streamdb/streamdb/core/value"
	"github.com/streamdb/streamdb/core/wsclient"
	"github.com/streamdb/streamdb/core/wsproto"
	"github.com/streamdb/streamdb/internal/gateway"
	"github.com/streamdb/streamdb/internal/testserver"
	"github.com/streamdb/streamdb/nethttp"
)

func TestMain(m *testing.M) { testserver.Main(m) }

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// setup starts a gateway in front of the reference server, creates a JSON
// stream, and returns the stream, its path and the socket URL.
func setup(t *testing.T) (*stream.Stream, string, *httptest.Server) {
	// Catch-ups come in parts of 2 KiB: every test here goes through them.
	gw, err := gateway.New(gateway.Options{Upstream: testserver.URL(t), Logf: t.Logf, PartBytes: 2 << 10})
	require.NoError(t, err)
	srv := httptest.NewServer(gw)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = gw.Shutdown(ctx)
		srv.Close()
	})
	c, err := stream.NewClient(nethttp.New(), stream.Options{})
	require.NoError(t, err)
	s := c.Stream(testserver.StreamURL(t))
	_, err = s.Create(ctxT(t), stream.CreateOptions{ContentType: "application/json"})
	require.NoError(t, err)
	path, err := wsclient.PathOf(s.URL())
	require.NoError(t, err)
	return s, path, srv
}

func socketURL(srv *httptest.Server) string {
	return "ws" + strings.TrimPrefix(srv.URL, "http") + wsproto.Path
}

// readAll reads the stream's items directly from the server.
func readAll(t *testing.T, s *stream.Stream) []string {
	r, err := s.Read(ctxT(t), stream.ReadOptions{Offset: "-1", Live: stream.LiveOff})
	require.NoError(t, err)
	defer r.Close()
	var out []string
	for {
		b, err := r.Next()
		if err != nil {
			return out
		}
		for _, it := range b.Items {
			out = append(out, string(it))
		}
	}
}

// appendUsers appends userEvent(0) to userEvent(n-1), one POST each.
func appendUsers(t *testing.T, s *stream.Stream, n int) {
	for i := range n {
		_, err := s.Append(ctxT(t), userEvent(i), stream.AppendOptions{})
		require.NoError(t, err)
	}
}

func userEvent(i int) []byte {
	return []byte(fmt.Sprintf(`{"type":"user","key":"u%d","value":{"n":%d},"headers":{"operation":"upsert"}}`, i%5, i))
}

// A database fed through the gateway (db.Options.Source) preloads, follows
// live appends made over the same socket, and equals one read over HTTP.
func TestDatabaseOverTheSocket(t *testing.T) {
	s, path, srv := setup(t)
	appendUsers(t, s, 20)
	c := wsclient.New(wsclient.Options{URL: socketURL(srv)})
	defer c.Close()
	schema := []db.CollectionDef{{Name: "users", Type: "user", PrimaryKey: "id"}}
	d, err := db.Open(s, db.Options{Collections: schema, Source: c.Source(path)})
	require.NoError(t, err)
	defer d.Close()
	require.NoError(t, d.Preload(ctxT(t)))
	require.Equal(t, 5, d.Collection("users").Size())
	res, err := c.Append(ctxT(t), path, append(append([]byte("["), userEvent(42)...), ']'), nil)
	require.NoError(t, err)
	require.NotEmpty(t, res.Offset)
	deadline := time.Now().Add(10 * time.Second)
	for d.Offset() != res.Offset && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	row, ok := d.Collection("users").Get("u2")
	require.True(t, ok)
	require.Equal(t, "42", row.Get("n").JSON())

	plain, err := db.Open(s, db.Options{Collections: schema, Live: db.LiveOff})
	require.NoError(t, err)
	defer plain.Close()
	require.NoError(t, plain.Preload(ctxT(t)))
	var a, b []string
	d.Collection("users").Range(func(k string, v value.Value) bool { a = append(a, v.JSON()); return true })
	plain.Collection("users").Range(func(k string, v value.Value) bool { b = append(b, v.JSON()); return true })
	require.Equal(t, b, a)
}

// Appends whose socket drops before their ack are re-sent on the next
// socket and applied exactly once, in order.
func TestAppendsExactlyOnceThroughDrops(t *testing.T) {
	s, path, srv := setup(t)
	c := wsclient.New(wsclient.Options{URL: socketURL(srv), MinDelay: 10 * time.Millisecond, MaxDelay: 50 * time.Millisecond})
	defer c.Close()
	var waits []func(context.Context) (wsclient.AppendResult, error)
	for i := range 60 {
		w, err := c.Send(path, []byte(fmt.Sprintf(`{"i":%d}`, i)), nil)
		require.NoError(t, err)
		waits = append(waits, w)
		if i%10 == 5 {
			srv.CloseClientConnections() // the socket drops with appends in flight
		}
	}
	for i, w := range waits {
		_, err := w(ctxT(t))
		require.NoError(t, err, "append %d", i)
	}
	got := readAll(t, s)
	want := make([]string, 60)
	for i := range want {
		want[i] = fmt.Sprintf(`{"i":%d}`, i)
	}
	require.Equal(t, want, got)
}

// A subscription resumes after drops from the last offset it received:
// appends made meanwhile arrive once each.
func TestSubscriptionResumesThroughDrops(t *testing.T) {
	s, path, srv := setup(t)
	c := wsclient.New(wsclient.Options{URL: socketURL(srv), MinDelay: 10 * time.Millisecond, MaxDelay: 50 * time.Millisecond})
	defer c.Close()
	sub, err := c.Subscribe(path, "-1", nil)
	require.NoError(t, err)
	var got []string
	done := make(chan struct{})
	go func() {
		defer close(done)
		for len(got) < 100 {
			b, err := sub.NextContext(ctxT(t))
			if err != nil {
				return
			}
			for _, it := range b.Items {
				got = append(got, string(it))
			}
		}
	}()
	for i := range 100 {
		_, err := s.Append(ctxT(t), []byte(fmt.Sprintf(`{"i":%d}`, i)), stream.AppendOptions{})
		require.NoError(t, err)
		if i%20 == 10 {
			srv.CloseClientConnections()
		}
	}
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatalf("got %d of 100 items", len(got))
	}
	require.Equal(t, readAll(t, s), got)
}

// A subscription to a stream that does not exist ends with its error.
func TestSubscriptionError(t *testing.T) {
	s, _, srv := setup(t)
	c := wsclient.New(wsclient.Options{URL: socketURL(srv)})
	defer c.Close()
	sub, err := c.Subscribe("/v1/stream/missing-"+fmt.Sprint(time.Now().UnixNano()), "-1", nil)
	require.NoError(t, err)
	_, err = sub.NextContext(ctxT(t))
	require.Equal(t, stream.CodeNotFound, stream.CodeOf(err))
	_ = s
}

// A database fed through the gateway preloads a catch-up that comes in
// many parts (2 KiB each here) and equals one read over HTTP, with the
// offsets of the parts' response.
func TestCatchUpInPartsIntoDatabase(t *testing.T) {
	s, path, srv := setup(t)
	appendUsers(t, s, 400)
	c := wsclient.New(wsclient.Options{URL: socketURL(srv)})
	defer c.Close()
	sub, err := c.Subscribe(path, "-1", nil)
	require.NoError(t, err)
	var got []string
	parts := 0
	for {
		b, err := sub.NextContext(ctxT(t))
		require.NoError(t, err)
		for _, it := range b.Items {
			got = append(got, string(it))
		}
		if b.Partial {
			parts++
			require.Equal(t, "-1", b.Offset, "a part keeps the offset its response started from")
			require.False(t, b.UpToDate)
			continue
		}
		require.True(t, b.UpToDate)
		break
	}
	require.Greater(t, parts, 10, "the catch-up came in parts")
	require.Equal(t, readAll(t, s), got)
	sub.Close()

	schema := []db.CollectionDef{{Name: "users", Type: "user", PrimaryKey: "id"}}
	d, err := db.Open(s, db.Options{Collections: schema, Source: c.Source(path)})
	require.NoError(t, err)
	defer d.Close()
	require.NoError(t, d.Preload(ctxT(t)))
	row, ok := d.Collection("users").Get("u4")
	require.True(t, ok)
	require.Equal(t, "399", row.Get("n").JSON())
}
