//go:build !js

// Package gateway is the WebSocket gateway of StreamDB (issue 17): it
// stands in front of any Durable Streams server and lets a client follow
// every stream it wants, and append to them, over one WebSocket, in the
// wire format of core/wsproto. cmd/streamdb-gateway is a thin program
// around it; tests and harnesses start it in-process as an http.Handler.
//
// What a socket gets:
//
//   - hello first, then the answers to its frames.
//   - subscribe: the stream's items from the subscription's offset as batch
//     frames, catch-up then live. Each subscription first catches up with
//     a read of its own (no live mode), then joins the shared live feed of
//     its (stream, header set) at exactly the offset it reached (see
//     feed.go for the hand-over). One upstream live read serves every
//     socket that follows a stream with the same credentials; different
//     header sets never share a read. Fatal upstream failures (404, 410,
//     401, 403, ...) end the subscription with an error frame; transient
//     ones are retried by core/stream, and a subscription that asked
//     ("retries") hears of each retry in a retrying frame, then gets the
//     next batch once the upstream answers again, even an empty one.
//   - unsubscribe: no frame of that subscription afterwards.
//   - append: data is POSTed to the stream as the request body (JSON
//     mode: one value, or an array whose items become messages), with the
//     frame's headers and, with a producer, Producer-Id, Producer-Epoch and
//     Producer-Seq; acked with the stream's offset after it, or as a
//     duplicate. Appends of one socket to one stream are sent one after
//     the other, in frame order.
//   - error BAD_FRAME for a frame it cannot use; the socket stays open.
//
// Everything queued for one socket counts against Options.MaxBuffer; a
// socket beyond it is closed with wsproto.ClosedSlow and its subscriptions
// dropped (the client resumes from its offsets). Nothing that matters
// lives in the gateway: any instance can serve a reconnect.
package gateway

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/streamdb/streamdb/core/stream"
	"github.com/streamdb/streamdb/core/wsproto"
	"github.com/streamdb/streamdb/nethttp"
)

// Defaults of Options.
const (
	// DefaultMaxBuffer is the default Options.MaxBuffer: 16 MiB.
	DefaultMaxBuffer = 16 << 20
	// DefaultMaxFrame is the default Options.MaxFrame: 4 MiB.
	DefaultMaxFrame = 4 << 20
	// DefaultPartBytes is the default Options.PartBytes: 128 KiB. Small
	// frames keep a browser's catch-up flowing: Chromium assembles
	// WebSocket messages on the page's main thread, between the page's own
	// tasks (at 100k events, with 1 MiB frames a preload through the socket
	// took 3.1 s after its first frame, with 128 KiB ones 2.1 s).
	DefaultPartBytes = 128 << 10
	// HealthPath answers GET with 200 "ok".
	HealthPath = "/healthz"
)

// Limits of one socket.
const (
	// maxSubscriptions bounds the subscriptions open on one socket.
	maxSubscriptions = 4096
	// catchUpSlots bounds the catch-up reads of one socket in flight at
	// once: each holds an upstream response in memory.
	catchUpSlots = 4
)

// Options configure a Gateway.
type Options struct {
	// Upstream is the base URL of the Durable Streams server (required),
	// http or https, without query or fragment. A frame's stream path is
	// appended to it: with Upstream "http://ds:4437" the stream
	// "/v1/stream/chat" is read at http://ds:4437/v1/stream/chat.
	Upstream string
	// Transport sends the upstream requests; nil means nethttp.New().
	Transport stream.Transport
	// OriginPatterns lists the Origin host patterns allowed to open a
	// socket from a browser (coder/websocket AcceptOptions.OriginPatterns).
	// Empty allows any origin: the gateway passes each frame's credentials
	// upstream, and the upstream decides.
	OriginPatterns []string
	// MaxBuffer is how many bytes may wait for one socket (frames to send,
	// and append bodies waiting for their turn upstream) before the socket
	// is closed with wsproto.ClosedSlow. 0 means DefaultMaxBuffer. A frame
	// larger than MaxBuffer (one upstream live response) is still sent
	// when nothing else waits. A catch-up is read only as fast as the
	// socket takes it: it never fills more than half of MaxBuffer, so it
	// never closes a socket.
	MaxBuffer int
	// PartBytes is the most a catch-up frame carries, about: a larger
	// upstream response is read and sent in parts (frames with
	// "partial":true) while it arrives, never held whole. 0 means
	// DefaultPartBytes.
	PartBytes int
	// MaxFrame is the largest client frame in bytes (the socket's read
	// limit; a larger frame closes the socket with status 1009). 0 means
	// DefaultMaxFrame.
	MaxFrame int
	// Live is the upstream live mode of the shared feeds:
	// stream.LiveLongPoll (the default, when empty) or stream.LiveSSE.
	Live stream.LiveMode
	// Retry, when set, replaces core/stream's retry policy (retry forever)
	// for upstream reads.
	Retry *stream.RetryPolicy
	// Logf, when set, receives one line per notable event (a socket closed
	// for being slow, a feed that failed).
	Logf func(format string, args ...any)
}

// Gateway serves WebSockets at wsproto.Path and a health check at
// HealthPath. It is an http.Handler; Shutdown ends it.
type Gateway struct {
	opts      Options
	base      string // Upstream without a trailing slash
	host      string // Upstream's host, the only one reached
	transport stream.Transport
	client    *stream.Client

	// ctx ends when Shutdown has finished: the feeds' reads use it.
	ctx    context.Context
	cancel context.CancelFunc

	mu      sync.Mutex
	closing bool
	feeds   map[string]*feed // by feed key (stream path and header set)
	sockets map[*socket]struct{}
	serving sync.WaitGroup // socket handlers running

	stats counters
}

// counters are the totals behind Stats.
type counters struct {
	subscriptions atomic.Int64
	feedsStarted  atomic.Int64
	catchUps      atomic.Int64
	joins         atomic.Int64
	rejoins       atomic.Int64
	slowClosed    atomic.Int64
	acks          atomic.Int64
	badFrames     atomic.Int64
}

// Stats is a snapshot of what a Gateway is doing and has done.
type Stats struct {
	// Sockets is the number of open sockets.
	Sockets int
	// Subscriptions is the number of active subscriptions.
	Subscriptions int64
	// Feeds is the number of shared live feeds reading upstream now.
	Feeds int
	// Waiting is the number of subscriptions whose catch-up got ahead of
	// their feed, waiting for it to reach them.
	Waiting int
	// FeedsStarted counts the shared live feeds started so far: each is
	// one upstream live read, whatever the number of its subscribers.
	FeedsStarted int64
	// CatchUps counts the catch-up reads made for single subscriptions.
	CatchUps int64
	// Joins counts the subscriptions that joined a shared feed.
	Joins int64
	// Rejoins counts the catch-ups made again because a subscription's
	// offset did not line up with its feed's batches.
	Rejoins int64
	// SlowClosed counts the sockets closed with wsproto.ClosedSlow.
	SlowClosed int64
	// Acks counts the appends acknowledged.
	Acks int64
	// BadFrames counts the frames answered with BAD_FRAME.
	BadFrames int64
}

// New returns a gateway in front of opts.Upstream. It fails when an
// option is invalid.
func New(opts Options) (*Gateway, error) {
	u, err := url.Parse(opts.Upstream)
	if err != nil {
		return nil, fmt.Errorf("gateway: upstream %q: %w", opts.Upstream, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, fmt.Errorf("gateway: upstream %q must be an http or https URL with a host and no query, fragment or user", opts.Upstream)
	}
	switch opts.Live {
	case "":
		opts.Live = stream.LiveLongPoll
	case stream.LiveLongPoll, stream.LiveSSE:
	default:
		return nil, fmt.Errorf("gateway: live mode %q: want %q or %q", opts.Live, stream.LiveLongPoll, stream.LiveSSE)
	}
	if opts.MaxBuffer < 0 || opts.MaxFrame < 0 || opts.PartBytes < 0 {
		return nil, fmt.Errorf("gateway: MaxBuffer (%d), MaxFrame (%d) and PartBytes (%d) must not be negative", opts.MaxBuffer, opts.MaxFrame, opts.PartBytes)
	}
	if opts.PartBytes == 0 {
		opts.PartBytes = DefaultPartBytes
	}
	if opts.MaxBuffer == 0 {
		opts.MaxBuffer = DefaultMaxBuffer
	}
	if opts.MaxFrame == 0 {
		opts.MaxFrame = DefaultMaxFrame
	}
	for _, p := range opts.OriginPatterns {
		if p == "" {
			return nil, errors.New("gateway: an origin pattern is empty")
		}
	}
	if opts.Retry != nil {
		if err := opts.Retry.Validate(); err != nil {
			return nil, fmt.Errorf("gateway: retry policy: %w", err)
		}
	}
	t := opts.Transport
	if t == nil {
		t = nethttp.New()
	}
	// Appends are not coalesced: each frame is one POST, so that an
	// idempotent producer's (id, epoch, seq) covers exactly its data.
	c, err := stream.NewClient(t, stream.Options{DisableBatching: true})
	if err != nil {
		return nil, fmt.Errorf("gateway: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Gateway{
		opts:      opts,
		base:      strings.TrimRight(u.Scheme+"://"+u.Host+u.EscapedPath(), "/"),
		host:      u.Host,
		transport: t,
		client:    c,
		ctx:       ctx,
		cancel:    cancel,
		feeds:     map[string]*feed{},
		sockets:   map[*socket]struct{}{},
	}, nil
}

// ServeHTTP accepts WebSockets at wsproto.Path and answers GET HealthPath
// with 200 "ok"; anything else is 404.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case HealthPath:
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write([]byte("ok"))
	case wsproto.Path:
		g.serveSocket(w, r)
	default:
		http.NotFound(w, r)
	}
}

// serveSocket upgrades the request and serves the socket until it ends.
func (g *Gateway) serveSocket(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	if g.closing {
		g.mu.Unlock()
		w.Header().Set("Retry-After", "1")
		http.Error(w, "gateway shutting down", http.StatusServiceUnavailable)
		return
	}
	g.serving.Add(1)
	g.mu.Unlock()
	defer g.serving.Done()

	conn, err := websocket.Accept(w, r, &websocket.AcceptOptions{
		InsecureSkipVerify: len(g.opts.OriginPatterns) == 0,
		OriginPatterns:     g.opts.OriginPatterns,
	})
	if err != nil {
		g.logf("gateway: accept from %s: %v", r.RemoteAddr, err)
		return // Accept has answered
	}
	conn.SetReadLimit(int64(g.opts.MaxFrame))
	s := newSocket(g, conn)
	if r.URL.Query().Get(wsproto.BinaryParam) == "1" {
		s.out = websocket.MessageBinary
	}
	g.mu.Lock()
	if g.closing {
		g.mu.Unlock()
		_ = conn.Close(websocket.StatusGoingAway, "gateway shutting down")
		return
	}
	g.sockets[s] = struct{}{}
	g.mu.Unlock()
	s.serve()
	g.mu.Lock()
	delete(g.sockets, s)
	g.mu.Unlock()
}

// Shutdown stops accepting sockets, ends every subscription, waits for the
// appends in flight to be acknowledged and the frames queued to be sent,
// then closes every socket with status 1001 (going away). When ctx ends
// first, the sockets left are closed at once and ctx's error is returned.
func (g *Gateway) Shutdown(ctx context.Context) error {
	g.mu.Lock()
	g.closing = true
	socks := make([]*socket, 0, len(g.sockets))
	for s := range g.sockets {
		socks = append(socks, s)
	}
	g.mu.Unlock()

	var wg sync.WaitGroup
	for _, s := range socks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.shutdown(ctx)
		}()
	}
	wg.Wait()
	done := make(chan struct{})
	go func() {
		g.serving.Wait()
		close(done)
	}()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = fmt.Errorf("gateway: shutdown: %w", ctx.Err())
		g.mu.Lock()
		for s := range g.sockets {
			_ = s.conn.CloseNow()
		}
		g.mu.Unlock()
	}
	g.cancel() // ends the feeds
	return err
}

// Stats returns what the gateway is doing and has done.
func (g *Gateway) Stats() Stats {
	g.mu.Lock()
	socks, feeds, waiting := len(g.sockets), len(g.feeds), 0
	for _, f := range g.feeds {
		f.mu.Lock()
		waiting += len(f.waiters)
		f.mu.Unlock()
	}
	g.mu.Unlock()
	return Stats{
		Sockets:       socks,
		Subscriptions: g.stats.subscriptions.Load(),
		Feeds:         feeds,
		Waiting:       waiting,
		FeedsStarted:  g.stats.feedsStarted.Load(),
		CatchUps:      g.stats.catchUps.Load(),
		Joins:         g.stats.joins.Load(),
		Rejoins:       g.stats.rejoins.Load(),
		SlowClosed:    g.stats.slowClosed.Load(),
		Acks:          g.stats.acks.Load(),
		BadFrames:     g.stats.badFrames.Load(),
	}
}

func (g *Gateway) logf(format string, args ...any) {
	if g.opts.Logf != nil {
		g.opts.Logf(format, args...)
	}
}

// pollUntil calls done every few milliseconds until it reports true or ctx
// ends; it reports whether done did.
func pollUntil(ctx context.Context, done func() bool) bool {
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	for !done() {
		select {
		case <-ctx.Done():
			return done()
		case <-t.C:
		}
	}
	return true
}
