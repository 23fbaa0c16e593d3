//go:build !js

package gateway

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/streamdb/streamdb/core/jsonscan"
	"github.com/streamdb/streamdb/core/wsproto"
)

// Keep-alive of a socket.
const (
	pingInterval = 30 * time.Second
	pingTimeout  = 20 * time.Second
)

// outFrame is one text message queued for a socket: head then body. A
// batch's body is shared by every socket its feed delivers it to.
type outFrame struct {
	sub  *subscription // the subscription it belongs to, or nil
	head []byte
	body []byte
}

func (f *outFrame) size() int { return len(f.head) + len(f.body) }

// socket is one client connection.
type socket struct {
	g    *Gateway
	conn *websocket.Conn
	// ctx ends when the socket does: its subscriptions, appends and writes
	// stop.
	ctx    context.Context
	cancel context.CancelFunc
	// catchUp holds a token per catch-up read in flight (catchUpSlots).
	catchUp chan struct{}
	wake    chan struct{} // something was queued
	// out is the message type of the frames sent: text, or binary when
	// the client asked (wsproto.BinaryParam).
	out websocket.MessageType
	// taken, when not nil, is closed (and cleared) when the write loop
	// takes a frame from the queue or the socket dies: sendPaced waits
	// on it.
	taken chan struct{}
	freed chan struct{} // an append finished

	mu       sync.Mutex
	queue    []outFrame
	waiting  int  // bytes of the frames in queue
	writing  bool // a frame is being written
	dead     bool // nothing more is sent: closed, or too slow
	draining bool // shutting down: frames from the client are ignored
	subs     map[int64]*subscription
	appends  map[string]*appendQueue // by stream path
	// appendBytes counts the data of appends not yet answered.
	appendBytes int
}

// appendQueue holds the appends of one socket to one stream, sent one
// after the other.
type appendQueue struct {
	items []*appendReq
}

func newSocket(g *Gateway, conn *websocket.Conn) *socket {
	ctx, cancel := context.WithCancel(g.ctx)
	return &socket{
		g: g, conn: conn, ctx: ctx, cancel: cancel,
		catchUp: make(chan struct{}, catchUpSlots),
		out:     websocket.MessageText,
		wake:    make(chan struct{}, 1),
		freed:   make(chan struct{}, 1),
		subs:    map[int64]*subscription{},
		appends: map[string]*appendQueue{},
	}
}

// serve says hello, then reads frames until the socket ends.
func (s *socket) serve() {
	defer s.teardown()
	go s.writeLoop()
	go s.pingLoop()
	s.sendFrame(nil, &wsproto.Frame{Type: wsproto.Hello, Version: wsproto.Version, MaxFrame: s.g.opts.MaxFrame})
	for {
		typ, data, err := s.conn.Read(s.ctx)
		if err != nil {
			return
		}
		s.handle(typ, data)
	}
}

// pingLoop pings an idle client every pingInterval, and drops the
// connection when no pong comes back within pingTimeout: a peer that
// vanished without closing would otherwise hold its subscriptions for as
// long as TCP lets it.
func (s *socket) pingLoop() {
	t := time.NewTicker(pingInterval)
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
		}
		s.mu.Lock()
		busy := s.writing || len(s.queue) > 0
		s.mu.Unlock()
		if busy {
			// Frames are on their way: the ping would wait behind them, and
			// a slow reader is the buffer's business, not the ping's.
			continue
		}
		ctx, cancel := context.WithTimeout(s.ctx, pingTimeout)
		err := s.conn.Ping(ctx)
		cancel()
		if err != nil && s.ctx.Err() == nil {
			_ = s.conn.CloseNow()
			return
		}
	}
}

// teardown ends what is left of a socket whose connection is gone.
func (s *socket) teardown() {
	s.mu.Lock()
	s.dead = true
	s.tookLocked()
	s.queue, s.waiting = nil, 0
	subs := s.takeSubsLocked()
	s.mu.Unlock()
	for _, sub := range subs {
		sub.drop()
	}
	s.cancel()
	_ = s.conn.CloseNow()
}

// takeSubsLocked empties the socket's subscriptions and returns them.
func (s *socket) takeSubsLocked() []*subscription {
	subs := make([]*subscription, 0, len(s.subs))
	for _, sub := range s.subs {
		subs = append(subs, sub)
	}
	clear(s.subs)
	return subs
}

// handle answers one frame from the client.
func (s *socket) handle(typ websocket.MessageType, data []byte) {
	s.mu.Lock()
	draining := s.draining
	s.mu.Unlock()
	if draining {
		return
	}
	if typ != websocket.MessageText {
		s.bad(peek(data), "frames are JSON text messages, not binary ones")
		return
	}
	f, err := wsproto.Decode(data)
	if err != nil {
		s.bad(peek(data), "%v", err)
		return
	}
	switch f.Type {
	case wsproto.Subscribe:
		s.subscribe(f)
	case wsproto.Unsubscribe:
		s.unsubscribe(f.Sub)
	case wsproto.Append:
		s.append(f)
	default:
		s.bad(f, "a client does not send %s frames", f.Type)
	}
}

// ids is what is known of a frame that could not be used: its sub and
// req, when they could be read.
type ids struct {
	sub, req       int64
	hasSub, hasReq bool
}

func (f ids) frame() *wsproto.Frame {
	return &wsproto.Frame{Sub: f.sub, HasSub: f.hasSub, Req: f.req, HasReq: f.hasReq}
}

// peek reads what it can of the sub and req of a frame Decode refused.
func peek(data []byte) *wsproto.Frame {
	var id ids
	_ = jsonscan.ObjectFields(data, func(key string, v []byte) error {
		n, err := strconv.ParseInt(string(v), 10, 64)
		if err != nil {
			return nil
		}
		switch key {
		case "sub":
			id.sub, id.hasSub = n, true
		case "req":
			id.req, id.hasReq = n, true
		}
		return nil
	})
	return id.frame()
}

// bad answers a frame that cannot be used with BAD_FRAME, naming its sub
// or req when known (from f).
func (s *socket) bad(f *wsproto.Frame, format string, args ...any) {
	s.g.stats.badFrames.Add(1)
	e := &wsproto.Frame{Type: wsproto.Error, Code: wsproto.CodeBadFrame, Message: fmt.Sprintf(format, args...)}
	switch f.Type {
	case wsproto.Append:
		e.Req, e.HasReq = f.Req, f.HasReq
	case wsproto.Subscribe, wsproto.Unsubscribe:
		e.Sub, e.HasSub = f.Sub, f.HasSub
	default:
		e.Sub, e.HasSub, e.Req, e.HasReq = f.Sub, f.HasSub, f.Req, f.HasReq
	}
	s.sendFrame(nil, e)
}

// subscribe starts a subscription.
func (s *socket) subscribe(f *wsproto.Frame) {
	url, err := s.g.streamURL(f.Stream)
	if err != nil {
		s.bad(f, "%v", err)
		return
	}
	h, err := checkHeaders(f.Headers)
	if err != nil {
		s.bad(f, "subscribe %s: %v", f.Stream, err)
		return
	}
	sub := newSubscription(s, f, url, h)
	r, err := sub.reader(f.Offset)
	if err != nil {
		sub.cancel()
		s.bad(f, "subscribe %s: %v", f.Stream, err)
		return
	}
	s.mu.Lock()
	switch {
	case s.dead || s.draining:
		s.mu.Unlock()
		r.Close()
		sub.cancel()
		return
	case s.subs[f.Sub] != nil:
		s.mu.Unlock()
		r.Close()
		sub.cancel()
		s.bad(f, "subscription %d is open already", f.Sub)
		return
	case len(s.subs) >= maxSubscriptions:
		s.mu.Unlock()
		r.Close()
		sub.cancel()
		s.bad(f, "a socket may have at most %d subscriptions", maxSubscriptions)
		return
	}
	s.subs[f.Sub] = sub
	s.mu.Unlock()
	s.g.stats.subscriptions.Add(1)
	go sub.run(r)
}

// unsubscribe ends subscription id; nothing of it is sent afterwards. An
// unknown id (one that ended already) is ignored.
func (s *socket) unsubscribe(id int64) {
	s.mu.Lock()
	sub := s.subs[id]
	delete(s.subs, id)
	s.mu.Unlock()
	if sub != nil {
		sub.drop()
	}
}

// forget removes sub from the socket's subscriptions, if it is there.
func (s *socket) forget(sub *subscription) {
	s.mu.Lock()
	if s.subs[sub.id] == sub {
		delete(s.subs, sub.id)
	}
	s.mu.Unlock()
}

// append queues an append behind the socket's earlier appends to the same
// stream. While the data of the appends not yet answered exceeds
// MaxBuffer, it waits (and so does the reading of further frames).
func (s *socket) append(f *wsproto.Frame) {
	url, err := s.g.streamURL(f.Stream)
	if err != nil {
		s.bad(f, "%v", err)
		return
	}
	h, err := checkHeaders(f.Headers)
	if err != nil {
		s.bad(f, "append to %s: %v", f.Stream, err)
		return
	}
	a := &appendReq{req: f.Req, path: f.Stream, url: url, header: h, data: f.Data, producer: f.Producer}
	n := len(a.data)
	s.mu.Lock()
	for s.appendBytes > 0 && s.appendBytes+n > s.g.opts.MaxBuffer && !s.dead {
		s.mu.Unlock()
		select {
		case <-s.freed:
		case <-s.ctx.Done():
			return
		}
		s.mu.Lock()
	}
	if s.dead {
		s.mu.Unlock()
		return
	}
	s.appendBytes += n
	q := s.appends[a.path]
	start := q == nil
	if start {
		q = &appendQueue{}
		s.appends[a.path] = q
	}
	q.items = append(q.items, a)
	s.mu.Unlock()
	if start {
		go s.runAppends(a.path, q)
	}
}

// runAppends sends the appends of q one at a time until it is empty.
func (s *socket) runAppends(path string, q *appendQueue) {
	for {
		s.mu.Lock()
		if len(q.items) == 0 {
			delete(s.appends, path)
			s.mu.Unlock()
			return
		}
		a := q.items[0]
		q.items[0] = nil
		q.items = q.items[1:]
		s.mu.Unlock()
		s.sendFrame(nil, s.g.post(s.ctx, a))
		s.mu.Lock()
		s.appendBytes -= len(a.data)
		s.mu.Unlock()
		select {
		case s.freed <- struct{}{}:
		default:
		}
	}
}

// sendFrame queues f for the socket.
func (s *socket) sendFrame(sub *subscription, f *wsproto.Frame) bool {
	return s.send(outFrame{sub: sub, head: wsproto.AppendFrame(nil, f)})
}

// send queues a frame. When the frames waiting would exceed MaxBuffer, the
// socket is closed as too slow instead (a frame always fits in an empty
// queue, however large). It reports whether the frame was queued.
func (s *socket) send(f outFrame) bool {
	if f.sub != nil && f.sub.dropped.Load() {
		return false
	}
	n := f.size()
	s.mu.Lock()
	if s.dead {
		s.mu.Unlock()
		return false
	}
	if s.waiting > 0 && s.waiting+n > s.g.opts.MaxBuffer {
		s.dead = true
		s.tookLocked()
		s.queue, s.waiting = nil, 0
		subs := s.takeSubsLocked()
		s.mu.Unlock()
		go s.closeSlow(subs)
		return false
	}
	s.queue = append(s.queue, f)
	s.waiting += n
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
	return true
}

// sendPaced queues a catch-up frame once the frames waiting leave room
// for it within half of MaxBuffer (the other half is for the live frames
// that cannot wait), or at once when nothing waits. It reports false
// when the socket or the subscription ended first.
func (s *socket) sendPaced(f outFrame) bool {
	n := f.size()
	s.mu.Lock()
	for s.waiting > 0 && s.waiting+n > s.g.opts.MaxBuffer/2 && !s.dead {
		if s.taken == nil {
			s.taken = make(chan struct{})
		}
		taken := s.taken
		s.mu.Unlock()
		select {
		case <-taken:
		case <-f.sub.ctx.Done():
			return false
		}
		s.mu.Lock()
	}
	s.mu.Unlock()
	return s.send(f)
}

// tookLocked wakes the catch-ups waiting in sendPaced.
func (s *socket) tookLocked() {
	if s.taken != nil {
		close(s.taken)
		s.taken = nil
	}
}

// closeSlow drops the subscriptions of a socket that fell too far behind
// and closes it with wsproto.ClosedSlow.
func (s *socket) closeSlow(subs []*subscription) {
	s.g.stats.slowClosed.Add(1)
	s.g.logf("gateway: socket closed: more than %d bytes waiting for it (%d subscriptions dropped)", s.g.opts.MaxBuffer, len(subs))
	for _, sub := range subs {
		sub.drop()
	}
	_ = s.conn.Close(wsproto.ClosedSlow, "too slow: reconnect and resubscribe from your offsets")
}

// writeLoop writes the queued frames in order until the socket ends.
func (s *socket) writeLoop() {
	for {
		s.mu.Lock()
		for len(s.queue) == 0 && !s.dead {
			s.mu.Unlock()
			select {
			case <-s.wake:
			case <-s.ctx.Done():
				return
			}
			s.mu.Lock()
		}
		if s.dead {
			s.mu.Unlock()
			return
		}
		f := s.queue[0]
		s.queue[0] = outFrame{}
		s.queue = s.queue[1:]
		s.waiting -= f.size()
		s.writing = true
		s.tookLocked()
		s.mu.Unlock()
		var err error
		if f.sub == nil || !f.sub.dropped.Load() {
			err = s.write(f)
		}
		s.mu.Lock()
		s.writing = false
		if err != nil {
			s.dead = true
			s.tookLocked()
			s.queue, s.waiting = nil, 0
		}
		s.mu.Unlock()
		if err != nil {
			_ = s.conn.CloseNow() // the read loop ends and tears down
			return
		}
	}
}

// write sends one frame as one text message.
func (s *socket) write(f outFrame) error {
	if len(f.body) == 0 {
		return s.conn.Write(s.ctx, s.out, f.head)
	}
	w, err := s.conn.Writer(s.ctx, s.out)
	if err != nil {
		return err
	}
	if _, err := w.Write(f.head); err != nil {
		w.Close()
		return err
	}
	if _, err := w.Write(f.body); err != nil {
		w.Close()
		return err
	}
	return w.Close()
}

// idle reports whether nothing waits to be sent or appended.
func (s *socket) idle() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dead || (len(s.queue) == 0 && !s.writing && len(s.appends) == 0 && s.appendBytes == 0)
}

// shutdown ends the socket's subscriptions, lets the appends in flight be
// answered and the frames queued be sent, then closes the socket with
// status 1001 (going away); at once when ctx ends.
func (s *socket) shutdown(ctx context.Context) {
	s.mu.Lock()
	s.draining = true
	subs := s.takeSubsLocked()
	s.mu.Unlock()
	for _, sub := range subs {
		sub.stop()
	}
	pollUntil(ctx, s.idle)
	closed := make(chan struct{})
	go func() {
		_ = s.conn.Close(websocket.StatusGoingAway, "gateway shutting down")
		close(closed)
	}()
	select {
	case <-closed:
	case <-ctx.Done():
		_ = s.conn.CloseNow()
	}
}
