//go:build !js

package gateway_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"

	"github.com/streamdb/streamdb/core/stream"
	"github.com/streamdb/streamdb/core/wsproto"
	"github.com/streamdb/streamdb/internal/gateway"
	"github.com/streamdb/streamdb/internal/testserver"
	"github.com/streamdb/streamdb/nethttp"
)

func TestMain(m *testing.M) { testserver.Main(m) }

// env is a gateway in front of an upstream, served by an httptest server.
type env struct {
	t      *testing.T
	gw     *gateway.Gateway
	srv    *httptest.Server
	ws     string // the socket URL
	up     string // the upstream's base URL
	client *stream.Client
}

// start starts a gateway with opts (Upstream defaults to the shared
// reference server) and stops it when the test ends.
func start(t *testing.T, opts gateway.Options) *env {
	t.Helper()
	if opts.Upstream == "" {
		opts.Upstream = testserver.URL(t)
	}
	if opts.Logf == nil {
		opts.Logf = t.Logf
	}
	gw, err := gateway.New(opts)
	require.NoError(t, err)
	srv := httptest.NewServer(gw)
	c, err := stream.NewClient(nethttp.New(), stream.Options{})
	require.NoError(t, err)
	e := &env{t: t, gw: gw, srv: srv, ws: "ws" + strings.TrimPrefix(srv.URL, "http") + wsproto.Path,
		up: testserver.URL(t), client: c}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = gw.Shutdown(ctx)
		srv.Close()
	})
	return e
}

// newStream creates a JSON stream on the reference server holding items
// (JSON texts) and returns its path and URL.
func (e *env) newStream(items ...string) (path, url string) {
	e.t.Helper()
	url = testserver.StreamURL(e.t)
	_, err := e.client.Stream(url).Create(context.Background(), stream.CreateOptions{ContentType: "application/json"})
	require.NoError(e.t, err)
	if len(items) > 0 {
		e.post(url, items...)
	}
	return strings.TrimPrefix(url, e.up), url
}

// post appends items to the stream directly, in one POST.
func (e *env) post(url string, items ...string) string {
	e.t.Helper()
	body := "[" + strings.Join(items, ",") + "]"
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	require.NoError(e.t, err)
	resp.Body.Close()
	require.Less(e.t, resp.StatusCode, 300, "POST %s", url)
	return resp.Header.Get("Stream-Next-Offset")
}

// read returns the stream's items from offset from, read directly, and
// the offset after them.
func (e *env) read(url, from string) ([]string, string) {
	e.t.Helper()
	r, err := e.client.Stream(url).Read(context.Background(), stream.ReadOptions{Offset: from})
	require.NoError(e.t, err)
	defer r.Close()
	var items []string
	for {
		b, err := r.Next()
		if err != nil {
			require.ErrorContains(e.t, err, "EOF")
			return items, r.Offset()
		}
		for _, it := range b.Items {
			items = append(items, string(it))
		}
	}
}

// nums returns n JSON items {"n":from}, {"n":from+1}, ... padded to pad
// bytes when pad is larger.
func nums(from, n, pad int) []string {
	out := make([]string, n)
	for i := range out {
		s := fmt.Sprintf(`{"n":%d}`, from+i)
		if pad > len(s) {
			s = fmt.Sprintf(`{"n":%d,"pad":"%s"}`, from+i, strings.Repeat("x", pad-len(s)))
		}
		out[i] = s
	}
	return out
}

// sock is a test client: it reads every frame in the background and files
// them by kind.
type sock struct {
	t    *testing.T
	conn *websocket.Conn

	mu      sync.Mutex
	hello   *wsproto.Frame
	items   map[int64][]string
	batches map[int64][]*wsproto.Frame
	acks    map[int64]*wsproto.Frame
	errs    []*wsproto.Frame
	retries map[int64][]*wsproto.Frame // retrying frames by sub
	order   []int64                    // reqs in the order their answers came
	closed  error                      // why reading stopped
	done    chan struct{}
}

func (e *env) dial() *sock {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, e.ws, nil)
	require.NoError(e.t, err)
	conn.SetReadLimit(-1)
	s := &sock{t: e.t, conn: conn, items: map[int64][]string{}, batches: map[int64][]*wsproto.Frame{},
		acks: map[int64]*wsproto.Frame{}, retries: map[int64][]*wsproto.Frame{}, done: make(chan struct{})}
	go s.readLoop()
	e.t.Cleanup(func() { _ = conn.CloseNow() })
	s.wait("hello", func() bool { return s.hello != nil })
	return s
}

func (s *sock) readLoop() {
	defer close(s.done)
	for {
		_, data, err := s.conn.Read(context.Background())
		if err != nil {
			s.mu.Lock()
			s.closed = err
			s.mu.Unlock()
			return
		}
		f, err := wsproto.Decode(data)
		if err != nil {
			s.mu.Lock()
			s.closed = fmt.Errorf("gateway sent a bad frame %q: %w", data, err)
			s.mu.Unlock()
			return
		}
		s.mu.Lock()
		switch f.Type {
		case wsproto.Hello:
			s.hello = f
		case wsproto.Batch:
			s.batches[f.Sub] = append(s.batches[f.Sub], f)
			for _, it := range f.Items {
				s.items[f.Sub] = append(s.items[f.Sub], string(it))
			}
		case wsproto.Ack:
			s.acks[f.Req] = f
			s.order = append(s.order, f.Req)
		case wsproto.Error:
			s.errs = append(s.errs, f)
			if f.HasReq {
				s.order = append(s.order, f.Req)
			}
		case wsproto.Retrying:
			s.retries[f.Sub] = append(s.retries[f.Sub], f)
		}
		s.mu.Unlock()
	}
}

// send writes one frame.
func (s *sock) send(f *wsproto.Frame) {
	s.t.Helper()
	s.sendRaw(wsproto.AppendFrame(nil, f))
}

func (s *sock) sendRaw(b []byte) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(s.t, s.conn.Write(ctx, websocket.MessageText, b))
}

func (s *sock) subscribe(sub int64, path, offset string, headers map[string]string) {
	s.t.Helper()
	s.send(&wsproto.Frame{Type: wsproto.Subscribe, Sub: sub, HasSub: true, Stream: path, Offset: offset, Headers: headers})
}

func (s *sock) appendData(req int64, path, data string, p *wsproto.Producer) {
	s.t.Helper()
	s.send(&wsproto.Frame{Type: wsproto.Append, Req: req, HasReq: true, Stream: path, Data: []byte(data), Producer: p})
}

// wait polls cond (called with s.mu held) until it holds, failing the test
// after a while.
func (s *sock) wait(what string, cond func() bool) {
	s.t.Helper()
	waitFor(s.t, 20*time.Second, what, func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return cond()
	})
}

// waitItems waits until subscription sub has n items and returns them.
func (s *sock) waitItems(sub int64, n int) []string {
	s.t.Helper()
	s.wait(fmt.Sprintf("%d items of sub %d", n, sub), func() bool {
		if len(s.items[sub]) > n {
			return true // too many: the caller's comparison reports it
		}
		return len(s.items[sub]) == n || s.closed != nil
	})
	s.mu.Lock()
	defer s.mu.Unlock()
	require.NoError(s.t, s.closed)
	return append([]string(nil), s.items[sub]...)
}

// batchesOf returns how many batches subscription sub has received and
// the offset of the last one ("" before the first).
func (s *sock) batchesOf(sub int64) (n int, offset string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n = len(s.batches[sub]); n > 0 {
		offset = s.batches[sub][n-1].Offset
	}
	return n, offset
}

// waitBatch waits until subscription sub has more than n batches and
// returns the one after the first n.
func (s *sock) waitBatch(what string, sub int64, n int) wsproto.Frame {
	s.t.Helper()
	s.wait(what, func() bool { return len(s.batches[sub]) > n })
	s.mu.Lock()
	defer s.mu.Unlock()
	return *s.batches[sub][n]
}

// itemsOf returns what subscription sub has received so far.
func (s *sock) itemsOf(sub int64) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.items[sub]...)
}

// waitErr waits for an error frame that match accepts and returns it.
func (s *sock) waitErr(what string, match func(*wsproto.Frame) bool) *wsproto.Frame {
	s.t.Helper()
	var found *wsproto.Frame
	s.wait(what, func() bool {
		for _, f := range s.errs {
			if match(f) {
				found = f
				return true
			}
		}
		return false
	})
	return found
}

// waitAck waits for the answer to append req: an ack, or nil and the
// error frame.
func (s *sock) waitAck(req int64) (*wsproto.Frame, *wsproto.Frame) {
	s.t.Helper()
	var ack, fail *wsproto.Frame
	s.wait(fmt.Sprintf("answer to req %d", req), func() bool {
		ack = s.acks[req]
		for _, f := range s.errs {
			if f.HasReq && f.Req == req {
				fail = f
			}
		}
		return ack != nil || fail != nil
	})
	return ack, fail
}

// waitClosed waits until the gateway closed the socket and returns why.
func (s *sock) waitClosed() error {
	s.t.Helper()
	select {
	case <-s.done:
	case <-time.After(20 * time.Second):
		s.t.Fatal("the socket was not closed")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// liveCounter wraps a transport and counts the live reads (requests with
// a live parameter) of the streams whose URL contains match.
type liveCounter struct {
	next     stream.Transport
	match    string
	inFlight atomic.Int64
	maxIn    atomic.Int64
	total    atomic.Int64
}

func (c *liveCounter) RoundTrip(ctx context.Context, req *stream.Request) (*stream.Response, error) {
	if !strings.Contains(req.URL, c.match) || !strings.Contains(req.URL, "live=") {
		return c.next.RoundTrip(ctx, req)
	}
	c.total.Add(1)
	n := c.inFlight.Add(1)
	for {
		m := c.maxIn.Load()
		if n <= m || c.maxIn.CompareAndSwap(m, n) {
			break
		}
	}
	resp, err := c.next.RoundTrip(ctx, req)
	if err != nil {
		c.inFlight.Add(-1)
		return nil, err
	}
	resp.Body = &countedBody{ReadCloser: resp.Body, done: func() { c.inFlight.Add(-1) }}
	return resp, nil
}

type countedBody struct {
	io.ReadCloser
	once sync.Once
	done func()
}

func (b *countedBody) Close() error {
	b.once.Do(b.done)
	return b.ReadCloser.Close()
}

func netListen() (net.Listener, error) { return net.Listen("tcp", "127.0.0.1:0") }

// heap returns the live heap after a collection.
func heap() uint64 {
	runtime.GC()
	runtime.GC()
	return heapNow()
}

// heapNow returns the heap in use now, garbage included.
func heapNow() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// outage is an upstream transport with a switch: while down, every
// request is answered 503 without reaching the server. While held (hold
// set), the answers of live reads wait until its channel is closed, and
// are a 503 if the upstream is down by then.
type outage struct {
	next stream.Transport
	down atomic.Bool
	hold atomic.Pointer[chan struct{}]
}

func (o *outage) RoundTrip(ctx context.Context, req *stream.Request) (*stream.Response, error) {
	if o.down.Load() {
		return down503(), nil
	}
	res, err := o.next.RoundTrip(ctx, req)
	hold := o.hold.Load()
	if err != nil || hold == nil || !strings.Contains(req.URL, "live=") {
		return res, err
	}
	select {
	case <-*hold:
	case <-ctx.Done():
		res.Body.Close()
		return nil, ctx.Err()
	}
	if o.down.Load() {
		res.Body.Close()
		return down503(), nil
	}
	return res, nil
}

// down503 is what an upstream that is down answers.
func down503() *stream.Response {
	return &stream.Response{StatusCode: 503, Header: stream.Header{"content-type": "text/plain"},
		Body: io.NopCloser(strings.NewReader("upstream down (test)"))}
}

// startBehindOutage starts a gateway whose upstream transport can be
// switched off (503 for every request), retrying its reads from initial
// up to max.
func startBehindOutage(t *testing.T, initial, max time.Duration) (*env, *outage) {
	up := &outage{next: nethttp.New()}
	retry := stream.RetryPolicy{MaxRetries: stream.RetryForever, InitialDelay: initial, MaxDelay: max, Multiplier: 2}
	return start(t, gateway.Options{Transport: up, Retry: &retry}), up
}
