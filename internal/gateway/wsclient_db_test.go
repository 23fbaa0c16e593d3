//go:build !js

package gateway_test

// core/wsclient against scripted gateways and against this gateway
// stopped and started: a catch-up resumed in the middle of its parts, and
// a database whose connection state follows the socket.

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
	"github.com/streamdb/streamdb/core/wsclient"
	"github.com/streamdb/streamdb/core/wsproto"
	"github.com/streamdb/streamdb/internal/gateway"
)

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

// userEvent is a user upsert, of key u(i%5) with n = i.
func userEvent(i int) string {
	return fmt.Sprintf(`{"type":"user","key":"u%d","value":{"n":%d},"headers":{"operation":"upsert"}}`, i%5, i)
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
		b, err := sub.NextContext(ctx(t))
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

// A gateway frame of a type the client does not know (a later version's)
// is skipped: the socket goes on, and the batch after it counts (the
// next socket resumes after it). The client's subscribe frames ask for
// retrying frames.
func TestUnknownFrameSkipped(t *testing.T) {
	url, subs := fakeGateway(t,
		func(*wsproto.Frame) []*wsproto.Frame {
			return []*wsproto.Frame{{Type: "notice", Message: "from a later version"},
				{Type: wsproto.Batch, Offset: "o1", UpToDate: true, Items: itemsOf("1")}}
		},
		func(*wsproto.Frame) []*wsproto.Frame {
			return []*wsproto.Frame{{Type: wsproto.Batch, Offset: "o2", UpToDate: true, Items: itemsOf("2")}}
		},
	)
	c := wsclient.New(wsclient.Options{URL: url, MinDelay: 5 * time.Millisecond, MaxDelay: 20 * time.Millisecond})
	defer c.Close()
	sub, err := c.Subscribe("/s", "o0", nil)
	require.NoError(t, err)
	var items []string
	for len(items) < 2 {
		b, err := sub.NextContext(ctx(t))
		require.NoError(t, err)
		for _, it := range b.Items {
			items = append(items, string(it))
		}
	}
	require.Equal(t, []string{"1", "2"}, items)
	first, second := <-subs, <-subs
	require.Equal(t, []string{"o0", "o1"}, []string{first.Offset, second.Offset}, "where each socket subscribed from")
	require.True(t, first.Retries && second.Retries, "subscribe asks for retrying frames")
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

// openThrough opens a database of users on the stream s, read at path
// through the socket client c, with policy (nil: retry forever) and a
// recorder of its connection states and errors; it is closed when the
// test ends.
func openThrough(t *testing.T, s *stream.Stream, c *wsclient.Client, path string, policy *stream.RetryPolicy) (*db.DB, *recorder) {
	t.Helper()
	rec := &recorder{}
	d, err := db.Open(s, db.Options{Collections: []db.CollectionDef{{Name: "users", Type: "user", PrimaryKey: "id"}},
		Source: c.Source(path), Retry: policy, OnConnection: rec.onConn, OnError: rec.onErr})
	require.NoError(t, err)
	t.Cleanup(d.Close)
	return d, rec
}

// While the gateway is down, a database fed through it says so: its
// connection is retrying (attempt, delay, a CodeNetwork error) and
// OnError hears each failed socket; once the gateway is back it is live
// again with what was appended meanwhile.
func TestDatabaseConnectionFollowsTheGateway(t *testing.T) {
	e := start(t, gateway.Options{})
	path, url := e.newStream(userEvent(0))
	s := e.client.Stream(url)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	_, stop := serveAt(t, ln)
	c := wsclient.New(wsclient.Options{URL: "ws://" + addr + wsproto.Path, MinDelay: 20 * time.Millisecond, MaxDelay: 100 * time.Millisecond})
	defer c.Close()
	d, rec := openThrough(t, s, c, path, nil)
	require.NoError(t, d.Preload(ctx(t)))
	require.Equal(t, db.ConnLive, d.Connection().State)

	stop()
	waitFor(t, 20*time.Second, "the connection to be retrying", func() bool {
		c := d.Connection()
		return c.State == db.ConnRetrying && c.Attempt >= 2
	})
	conn := d.Connection()
	require.Equal(t, stream.CodeNetwork, stream.CodeOf(conn.Err), "%v", conn.Err)
	require.Positive(t, conn.Delay)
	require.GreaterOrEqual(t, len(rec.errors()), 2, "OnError heard the failed sockets")
	require.Equal(t, stream.CodeNetwork, stream.CodeOf(rec.errors()[0]))

	e.post(url, userEvent(6)) // u1, n 6
	ln2, err := net.Listen("tcp", addr)
	require.NoError(t, err)
	_, stop2 := serveAt(t, ln2)
	defer stop2()
	waitFor(t, 20*time.Second, "live again with the append made meanwhile", func() bool {
		row, ok := d.Collection("users").Get("u1")
		return ok && row.Get("n").JSON() == "6" && d.Connection().State == db.ConnLive
	})
}

// A retry policy that gives up applies to the socket: with the gateway
// unreachable, Preload fails after MaxRetries+1 failed sockets, the
// connection is failed, and OnError heard each one.
func TestDatabaseGivesUpOnTheGateway(t *testing.T) {
	e := start(t, gateway.Options{})
	path, url := e.newStream()
	s := e.client.Stream(url)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close()) // nothing listens there
	c := wsclient.New(wsclient.Options{URL: "ws://" + addr + wsproto.Path, MinDelay: 10 * time.Millisecond, MaxDelay: 20 * time.Millisecond})
	defer c.Close()
	policy := stream.DefaultRetryPolicy()
	policy.MaxRetries = 2
	d, rec := openThrough(t, s, c, path, &policy)
	err = d.Preload(ctx(t))
	require.Error(t, err)
	require.Equal(t, stream.CodeNetwork, stream.CodeOf(err), "%v", err)
	require.ErrorContains(t, err, "3 times in a row")
	require.Equal(t, db.ConnFailed, d.Connection().State)
	require.Len(t, rec.errors(), 3, "two retries and the failure reported")
}

// An upstream outage behind a healthy gateway is visible in the database
// fed through it: its connection is retrying with the upstream's failure
// (503, CodeBusy) and OnError hears each retry; once the upstream is back
// the connection is live again before anything new is appended, and what
// is appended then arrives.
func TestDatabaseSeesTheUpstreamOutage(t *testing.T) {
	e, up := startBehindOutage(t, 20*time.Millisecond, 100*time.Millisecond)
	path, url := e.newStream(userEvent(0))
	c := wsclient.New(wsclient.Options{URL: e.ws})
	defer c.Close()
	d, rec := openThrough(t, e.client.Stream(url), c, path, nil)
	require.NoError(t, d.Preload(ctx(t)))
	require.Equal(t, db.ConnLive, d.Connection().State)

	up.down.Store(true)
	waitFor(t, 20*time.Second, "the connection to be retrying", func() bool {
		c := d.Connection()
		return c.State == db.ConnRetrying && c.Attempt >= 2
	})
	conn := d.Connection()
	var se *stream.Error
	require.ErrorAs(t, conn.Err, &se)
	require.Equal(t, stream.CodeBusy, se.Code, "%v", se)
	require.Equal(t, 503, se.Status)
	require.ErrorContains(t, se, "upstream down (test)")
	require.GreaterOrEqual(t, len(rec.errors()), 2, "OnError heard the retries")
	require.Equal(t, stream.CodeBusy, stream.CodeOf(rec.errors()[0]))

	up.down.Store(false)
	waitFor(t, 20*time.Second, "live again with nothing appended", func() bool { return d.Connection().State == db.ConnLive })
	e.post(url, userEvent(6)) // u1, n 6
	waitFor(t, 20*time.Second, "the append made after the outage", func() bool {
		row, ok := d.Collection("users").Get("u1")
		return ok && row.Get("n").JSON() == "6"
	})
}

// A retry policy that gives up applies to the upstream behind the gateway
// too: with the upstream failing, Preload fails after MaxRetries retries
// of the gateway's read, the connection is failed, and the gateway is
// told to stop reading for it.
func TestDatabaseGivesUpOnTheUpstream(t *testing.T) {
	e, up := startBehindOutage(t, 10*time.Millisecond, 20*time.Millisecond)
	path, url := e.newStream(userEvent(0))
	up.down.Store(true)
	c := wsclient.New(wsclient.Options{URL: e.ws})
	defer c.Close()
	policy := stream.DefaultRetryPolicy()
	policy.MaxRetries = 2
	d, rec := openThrough(t, e.client.Stream(url), c, path, &policy)
	err := d.Preload(ctx(t))
	require.Error(t, err)
	require.Equal(t, stream.CodeBusy, stream.CodeOf(err), "%v", err)
	require.ErrorContains(t, err, "3 times in a row: giving up")
	require.Equal(t, db.ConnFailed, d.Connection().State)
	require.Len(t, rec.errors(), 3, "two retries and the failure reported")
	waitFor(t, 10*time.Second, "the gateway to stop reading for it", func() bool { return e.gw.Stats().Subscriptions == 0 })
}
