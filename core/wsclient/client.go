// Package wsclient is the client side of the WebSocket gateway
// (cmd/streamdb-gateway, wire format core/wsproto): one socket carries
// every stream a program follows and its appends. It reconnects by itself
// (backoff with jitter), resubscribes every subscription from the last
// offset it received (nothing lost, nothing delivered twice), and re-sends
// the appends not acknowledged yet under the same idempotent-producer
// sequence number, so that each is applied exactly once.
//
// It builds natively and for GOOS=js, where github.com/coder/websocket uses
// the browser's WebSocket. A Client's Source plugs a stream into core/db in
// place of its HTTP reads.
package wsclient

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"net/url"
	"sort"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/streamdb/streamdb/core/stream"
	"github.com/streamdb/streamdb/core/wsproto"
)

// State is the socket's state.
type State string

// The socket's states.
const (
	StateConnecting State = "connecting" // dialing (the first time, or again)
	StateOpen       State = "open"
	StateRetrying   State = "retrying" // the last dial or the socket failed; waiting to dial again
	StateClosed     State = "closed"   // Close was called
)

// Options configure a Client.
type Options struct {
	// URL is the gateway's socket URL, e.g. ws://127.0.0.1:8787/v1/ws.
	URL string
	// MinDelay and MaxDelay bound the wait between two dials (100 ms and
	// 10 s when 0); each failure doubles it, with jitter.
	MinDelay, MaxDelay time.Duration
	// ProducerID names this client's appends for the upstream's idempotent
	// producer (random when empty). Two clients must not share one.
	ProducerID string
	// OnState, when set, is called on every change of the socket's state,
	// with the failure behind a retry.
	OnState func(State, error)
}

// ErrClosed is returned by calls on a closed Client.
var ErrClosed = errors.New("wsclient: closed")

// Client is one socket to a gateway, shared by every subscription and
// append made through it. Its methods are safe for concurrent use.
type Client struct {
	opts   Options
	ctx    context.Context
	cancel context.CancelFunc

	mu      sync.Mutex
	started bool
	closed  bool
	conn    *websocket.Conn // nil while down
	wmu     sync.Mutex      // one write at a time
	next    int64
	subs    map[int64]*Subscription
	reqs    map[int64]*request
	seqs    map[string]int64 // next producer seq per stream path
	epochs  map[string]int64 // producer epoch per stream path: raised after a failed append
	state   State
}

// New returns a client of the gateway at opts.URL. It dials on first use.
func New(opts Options) *Client {
	if opts.MinDelay <= 0 {
		opts.MinDelay = 100 * time.Millisecond
	}
	if opts.MaxDelay <= 0 {
		opts.MaxDelay = 10 * time.Second
	}
	if opts.ProducerID == "" {
		var b [12]byte
		_, _ = rand.Read(b[:])
		opts.ProducerID = "wsclient-" + hex.EncodeToString(b[:])
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Client{opts: opts, ctx: ctx, cancel: cancel, subs: map[int64]*Subscription{},
		reqs: map[int64]*request{}, seqs: map[string]int64{}, epochs: map[string]int64{}, state: StateConnecting}
}

// Close closes the socket and ends every subscription and pending append
// with ErrClosed.
func (c *Client) Close() {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	conn := c.conn
	subs, reqs := c.subs, c.reqs
	c.subs, c.reqs = map[int64]*Subscription{}, map[int64]*request{}
	c.mu.Unlock()
	c.cancel()
	if conn != nil {
		_ = conn.Close(websocket.StatusNormalClosure, "closed")
	}
	for _, s := range subs {
		s.end(ErrClosed)
	}
	for _, r := range reqs {
		r.finish(result{err: ErrClosed})
	}
	c.setState(StateClosed, nil)
}

// State returns the socket's state now.
func (c *Client) State() State {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

func (c *Client) setState(s State, err error) {
	c.mu.Lock()
	if c.state == StateClosed || (c.state == s && err == nil) {
		c.mu.Unlock()
		return
	}
	c.state = s
	c.mu.Unlock()
	if c.opts.OnState != nil {
		c.opts.OnState(s, err)
	}
}

// startLocked starts the connection loop, once.
func (c *Client) startLocked() {
	if !c.started {
		c.started = true
		go c.run()
	}
}

// run keeps a socket open until Close: dial, say everything the gateway
// must know (subscriptions from their offsets, appends not acknowledged),
// read until the socket fails, wait, again.
func (c *Client) run() {
	attempt := 0
	for c.ctx.Err() == nil {
		c.setState(StateConnecting, nil)
		conn, err := c.dial()
		if err == nil {
			attempt = 0
			c.setState(StateOpen, nil)
			err = c.serve(conn)
		}
		if c.ctx.Err() != nil {
			return
		}
		attempt++
		c.setState(StateRetrying, err)
		wait := c.delay(attempt)
		c.socketFailed(wait, err)
		select {
		case <-c.ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

// socketFailed tells every subscription of a failed socket (see
// SubscribeOptions) and ends those that give up.
func (c *Client) socketFailed(wait time.Duration, err error) {
	c.mu.Lock()
	var calls []func()
	for _, id := range sortedKeys(c.subs) {
		if call := c.subs[id].socketFailedLocked(wait, err, c.opts.URL); call != nil {
			calls = append(calls, call)
		}
	}
	c.mu.Unlock()
	for _, call := range calls {
		call()
	}
}

// delay is the wait before dial number attempt+1: doubling from MinDelay
// up to MaxDelay, each a random point between half and all of it.
func (c *Client) delay(attempt int) time.Duration {
	d := c.opts.MinDelay << min(attempt-1, 20)
	if d > c.opts.MaxDelay || d <= 0 {
		d = c.opts.MaxDelay
	}
	return d/2 + time.Duration(mrand.Int64N(int64(d/2)+1))
}

// binaryURL is the socket URL u asking for the gateway's frames as binary
// messages (wsproto.BinaryParam): in the browser they arrive as bytes,
// copied into Go as they are, where a text message would be decoded into
// a JS string and encoded back. A u that does not parse is left as it is
// (the dial reports it).
func binaryURL(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return u
	}
	q := p.Query()
	q.Set(wsproto.BinaryParam, "1")
	p.RawQuery = q.Encode()
	return p.String()
}

// dial opens a socket and reads its hello.
func (c *Client) dial() (*websocket.Conn, error) {
	ctx, cancel := context.WithTimeout(c.ctx, 15*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, binaryURL(c.opts.URL), nil)
	if err != nil {
		return nil, fmt.Errorf("wsclient: dial %s: %w", c.opts.URL, err)
	}
	_, msg, err := conn.Read(ctx)
	if err != nil {
		conn.CloseNow()
		return nil, fmt.Errorf("wsclient: waiting for the gateway's hello: %w", err)
	}
	f, err := wsproto.Decode(msg)
	if err != nil || f.Type != wsproto.Hello {
		conn.CloseNow()
		return nil, fmt.Errorf("wsclient: the gateway's first frame is not a hello: %q", msg)
	}
	if f.Version != wsproto.Version {
		conn.CloseNow()
		return nil, fmt.Errorf("wsclient: the gateway speaks version %d, this client %d", f.Version, wsproto.Version)
	}
	conn.SetReadLimit(-1) // the gateway bounds what it sends by its own buffer
	return conn, nil
}

// serve runs one socket: it re-sends what the gateway must know, then
// reads frames until the socket fails.
func (c *Client) serve(conn *websocket.Conn) error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		conn.CloseNow()
		return ErrClosed
	}
	c.conn = conn
	var frames [][]byte
	for _, id := range sortedKeys(c.subs) {
		frames = append(frames, c.subs[id].frameLocked())
	}
	for _, id := range sortedKeys(c.reqs) {
		frames = append(frames, c.reqs[id].frame)
	}
	// The re-sends go first, before any new frame: wmu is taken before mu
	// is let go (Send does the same), so appends keep their sequence.
	c.wmu.Lock()
	c.mu.Unlock()
	var werr error
	for _, f := range frames {
		if werr = conn.Write(c.ctx, websocket.MessageText, f); werr != nil {
			break
		}
	}
	c.wmu.Unlock()
	defer func() {
		c.mu.Lock()
		if c.conn == conn {
			c.conn = nil
		}
		c.mu.Unlock()
		conn.CloseNow()
	}()
	if werr != nil {
		return fmt.Errorf("wsclient: socket: %w", werr)
	}
	for {
		_, msg, err := conn.Read(c.ctx)
		if err != nil {
			return fmt.Errorf("wsclient: socket: %w", err)
		}
		f, err := wsproto.Decode(msg)
		var fe *wsproto.FrameError
		switch {
		case errors.As(err, &fe) && fe.UnknownType:
			continue // a frame of a later version: nothing this client needs
		case err != nil:
			return fmt.Errorf("wsclient: the gateway sent a frame this client cannot read: %w", err)
		}
		c.handle(f)
	}
}

func sortedKeys[T any](m map[int64]T) []int64 {
	keys := make([]int64, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	return keys
}

// sendLocked sends a frame now if the socket is open, and unlocks c.mu;
// otherwise the next socket sends it (serve re-sends every subscription
// and pending append). wmu is taken before mu is let go, as serve does
// for its re-sends, so that frames go out in the order they were made
// (appends in their sequence) and never twice.
func (c *Client) sendLocked(frame []byte) {
	c.wmu.Lock()
	conn := c.conn
	c.mu.Unlock()
	defer c.wmu.Unlock()
	if conn != nil {
		if err := conn.Write(c.ctx, websocket.MessageText, frame); err != nil {
			conn.CloseNow() // serve notices, reconnects and re-sends
		}
	}
}

// handle delivers one frame from the gateway.
func (c *Client) handle(f *wsproto.Frame) {
	c.mu.Lock()
	after := c.handleLocked(f)
	c.mu.Unlock()
	if after != nil {
		after()
	}
}

// handleLocked delivers one frame with c.mu held, and returns what is
// left to do without it (or nil).
func (c *Client) handleLocked(f *wsproto.Frame) func() {
	switch f.Type {
	case wsproto.Batch:
		if s := c.subs[f.Sub]; s != nil {
			s.pushLocked(f)
		}
	case wsproto.Ack:
		if r := c.reqs[f.Req]; r != nil {
			delete(c.reqs, f.Req)
			r.finish(result{offset: f.Offset, duplicate: f.Duplicate})
		}
	case wsproto.Error:
		err := &stream.Error{Code: stream.Code(f.Code), Status: f.Status, Message: f.Message}
		switch {
		case f.HasSub:
			if s := c.subs[f.Sub]; s != nil {
				delete(c.subs, f.Sub)
				err.Op, err.URL, err.Offset = "read", s.path, s.offset
				s.endLocked(err)
			}
		case f.HasReq:
			if r := c.reqs[f.Req]; r != nil {
				delete(c.reqs, f.Req)
				// The upstream never took this sequence number: a new
				// epoch starts the path's sequence again, else every
				// later append would be refused for the gap.
				c.epochs[r.path]++
				c.seqs[r.path] = 0
				err.Op, err.URL = "append", r.path
				r.finish(result{err: err})
			}
		}
	case wsproto.Retrying:
		if s := c.subs[f.Sub]; s != nil {
			return s.upstreamFailedLocked(f)
		}
	}
	return nil
}

// result is an append's outcome.
type result struct {
	offset    string
	duplicate bool
	err       error
}

// request is an append waiting for its ack.
type request struct {
	path  string
	frame []byte
	done  chan result
	once  sync.Once
}

func (r *request) finish(res result) { r.once.Do(func() { r.done <- res }) }

// AppendResult is what the gateway acknowledged.
type AppendResult struct {
	// Offset is the stream's tail after the append ("" for a duplicate).
	Offset string
	// Duplicate is true when the upstream had the append already (it was
	// re-sent after a reconnect, and the first one had arrived).
	Duplicate bool
}

// Append appends data (one JSON value, or an array of them) to the stream
// at path on the gateway's upstream, with headers, and returns once the
// upstream has it. Appends to one path keep the order of the calls. Each
// carries the client's producer id and the next sequence number for the
// path, so that a re-send after a reconnect is never applied twice. If
// ctx ends first, Append returns ctx's error; the append may still happen.
func (c *Client) Append(ctx context.Context, path string, data []byte, headers map[string]string) (AppendResult, error) {
	wait, err := c.Send(path, data, headers)
	if err != nil {
		return AppendResult{}, err
	}
	return wait(ctx)
}

// Send is Append in two steps: it takes the append's place in the path's
// order and sends it, and the function it returns waits for the ack. A
// caller that must keep the order of appends made from several goroutines
// calls Send in that order.
func (c *Client) Send(path string, data []byte, headers map[string]string) (wait func(context.Context) (AppendResult, error), err error) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, ErrClosed
	}
	c.next++
	id := c.next
	seq := c.seqs[path]
	c.seqs[path] = seq + 1
	r := &request{path: path, done: make(chan result, 1)}
	r.frame = wsproto.AppendFrame(nil, &wsproto.Frame{Type: wsproto.Append, Req: id, HasReq: true, Stream: path,
		Data: data, Headers: headers, Producer: &wsproto.Producer{ID: c.opts.ProducerID, Epoch: c.epochs[path], Seq: seq}})
	c.reqs[id] = r
	c.startLocked()
	c.sendLocked(r.frame)
	return func(ctx context.Context) (AppendResult, error) {
		select {
		case res := <-r.done:
			return AppendResult{Offset: res.offset, Duplicate: res.duplicate}, res.err
		case <-ctx.Done():
			return AppendResult{}, ctx.Err()
		}
	}, nil
}
