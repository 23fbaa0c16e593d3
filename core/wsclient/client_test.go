//go:build !js

package wsclient_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
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

// fakeGateway serves sockets with a script per connection: after the
// hello it reads the subscribe frame, hands it to the script, and sends
// what the script returns; then it closes the socket.
func fakeGateway(t *testing.T, scripts ...func(sub *wsproto.Frame) []*wsproto.Frame) (string, <-chan *wsproto.Frame) {
	subs := make(chan *wsproto.Frame, len(scripts)+1)
	n := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer conn.CloseNow()
		ctx := r.Context()
		if conn.Write(ctx, websocket.MessageText, wsproto.AppendFrame(nil, &wsproto.Frame{Type: wsproto.Hello, Version: wsproto.Version, MaxFrame: 1 << 20})) != nil {
			return
		}
		_, msg, err := conn.Read(ctx)
		if err != nil {
			return
		}
		f, err := wsproto.Decode(msg)
		if err != nil {
			return
		}
		subs <- f
		if n >= len(scripts) {
			<-ctx.Done()
			return
		}
		script := scripts[n]
		n++
		for _, out := range script(f) {
			out.Sub, out.HasSub = f.Sub, true
			if conn.Write(ctx, websocket.MessageText, wsproto.AppendFrame(nil, out)) != nil {
				return
			}
		}
		conn.Close(websocket.StatusGoingAway, "script done")
	}))
	t.Cleanup(srv.Close)
	return "ws" + strings.TrimPrefix(srv.URL, "http") + wsproto.Path, subs
}

func itemsOf(s ...string) [][]byte {
	out := make([][]byte, len(s))
	for i, x := range s {
		out[i] = []byte(x)
	}
	return out
}

// A socket that drops in the middle of a response sent in parts: the
// subscription resumes from the response's start offset, and the items
// sent again (split differently this time) are left out: each item comes
// once, the offset moves only at the response's last part, and the
// subscription after that resumes from it.
func TestResumeInTheMiddleOfParts(t *testing.T) {
	part := func(items ...string) *wsproto.Frame {
		return &wsproto.Frame{Type: wsproto.Batch, Offset: "o0", Partial: true, Items: itemsOf(items...)}
	}
	url, subs := fakeGateway(t,
		func(*wsproto.Frame) []*wsproto.Frame {
			return []*wsproto.Frame{part("1", "2"), part("3")}
		},
		func(*wsproto.Frame) []*wsproto.Frame {
			return []*wsproto.Frame{part("1"), part("2", "3", "4"),
				{Type: wsproto.Batch, Offset: "o6", UpToDate: true, Items: itemsOf("5", "6")}}
		},
		func(*wsproto.Frame) []*wsproto.Frame {
			return []*wsproto.Frame{{Type: wsproto.Batch, Offset: "o7", UpToDate: true, Items: itemsOf("7")}}
		},
	)
	c := wsclient.New(wsclient.Options{URL: url, MinDelay: 5 * time.Millisecond, MaxDelay: 20 * time.Millisecond})
	defer c.Close()
	sub, err := c.Subscribe("/s", "o0", nil)
	require.NoError(t, err)
	type seen struct {
		items    string
		offset   string
		partial  bool
		upToDate bool
	}
	var got []seen
	for len(got) == 0 || got[len(got)-1].offset != "o7" {
		b, err := sub.NextContext(ctxT(t))
		require.NoError(t, err)
		var items []string
		for _, it := range b.Items {
			items = append(items, string(it))
		}
		got = append(got, seen{strings.Join(items, ","), b.Offset, b.Partial, b.UpToDate})
	}
	require.Equal(t, []seen{
		{"1,2", "o0", true, false},
		{"3", "o0", true, false},
		{"4", "o0", true, false},
		{"5,6", "o6", false, true},
		{"7", "o7", false, true},
	}, got)
	var offsets []string
	for range 3 {
		offsets = append(offsets, (<-subs).Offset)
	}
	require.Equal(t, []string{"o0", "o0", "o6"}, offsets, "where each socket resubscribed from")
}

// serveGateway serves a gateway in front of the reference server on ln
// and returns a stop function (Shutdown, then the listener closed).
func serveGateway(t *testing.T, ln net.Listener) func() {
	gw, err := gateway.New(gateway.Options{Upstream: testserver.URL(t), Logf: t.Logf})
	require.NoError(t, err)
	srv := &http.Server{Handler: gw}
	go func() { _ = srv.Serve(ln) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = gw.Shutdown(ctx)
			_ = srv.Close()
		})
	}
	t.Cleanup(stop)
	return stop
}

// recorder keeps what a database told of its connection and errors.
type recorder struct {
	mu     sync.Mutex
	states []db.ConnState
	errs   []error
}

func (r *recorder) onConn(c db.Connection) {
	r.mu.Lock()
	r.states = append(r.states, c.State)
	r.mu.Unlock()
}

func (r *recorder) onErr(err error) {
	r.mu.Lock()
	r.errs = append(r.errs, err)
	r.mu.Unlock()
}

func (r *recorder) errors() []error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]error(nil), r.errs...)
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// While the gateway is down, a database fed through it says so: its
// connection is retrying (attempt, delay, a CodeNetwork error) and
// OnError hears each failed socket; once the gateway is back it is live
// again with what was appended meanwhile.
func TestDatabaseConnectionFollowsTheGateway(t *testing.T) {
	s, path, _ := setup(t)
	_, err := s.Append(ctxT(t), userEvent(0), stream.AppendOptions{})
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	stop := serveGateway(t, ln)
	c := wsclient.New(wsclient.Options{URL: "ws://" + addr + wsproto.Path, MinDelay: 20 * time.Millisecond, MaxDelay: 100 * time.Millisecond})
	defer c.Close()
	rec := &recorder{}
	schema := []db.CollectionDef{{Name: "users", Type: "user", PrimaryKey: "id"}}
	d, err := db.Open(s, db.Options{Collections: schema, Source: c.Source(path), OnConnection: rec.onConn, OnError: rec.onErr})
	require.NoError(t, err)
	defer d.Close()
	require.NoError(t, d.Preload(ctxT(t)))
	require.Equal(t, db.ConnLive, d.Connection().State)

	stop()
	waitUntil(t, "the connection to be retrying", func() bool {
		c := d.Connection()
		return c.State == db.ConnRetrying && c.Attempt >= 2
	})
	conn := d.Connection()
	require.Equal(t, stream.CodeNetwork, stream.CodeOf(conn.Err), "%v", conn.Err)
	require.Positive(t, conn.Delay)
	require.GreaterOrEqual(t, len(rec.errors()), 2, "OnError heard the failed sockets")
	require.Equal(t, stream.CodeNetwork, stream.CodeOf(rec.errors()[0]))

	_, err = s.Append(ctxT(t), userEvent(6), stream.AppendOptions{}) // u1, n 6
	require.NoError(t, err)
	ln2, err := net.Listen("tcp", addr)
	require.NoError(t, err)
	serveGateway(t, ln2)
	waitUntil(t, "live again with the append made meanwhile", func() bool {
		row, ok := d.Collection("users").Get("u1")
		return ok && row.Get("n").JSON() == "6" && d.Connection().State == db.ConnLive
	})
}

// A retry policy that gives up applies to the socket: with the gateway
// unreachable, Preload fails after MaxRetries+1 failed sockets, the
// connection is failed, and OnError heard each one.
func TestDatabaseGivesUpOnTheGateway(t *testing.T) {
	s, path, _ := setup(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close()) // nothing listens there
	c := wsclient.New(wsclient.Options{URL: "ws://" + addr + wsproto.Path, MinDelay: 10 * time.Millisecond, MaxDelay: 20 * time.Millisecond})
	defer c.Close()
	rec := &recorder{}
	policy := stream.DefaultRetryPolicy()
	policy.MaxRetries = 2
	d, err := db.Open(s, db.Options{Collections: []db.CollectionDef{{Name: "users", Type: "user", PrimaryKey: "id"}},
		Source: c.Source(path), Retry: &policy, OnConnection: rec.onConn, OnError: rec.onErr})
	require.NoError(t, err)
	defer d.Close()
	err = d.Preload(ctxT(t))
	require.Error(t, err)
	require.Equal(t, stream.CodeNetwork, stream.CodeOf(err), "%v", err)
	require.ErrorContains(t, err, "3 times in a row")
	require.Equal(t, db.ConnFailed, d.Connection().State)
	require.Len(t, rec.errors(), 3, "two retries and the failure reported")
}
