package wsclient

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/streamdb/streamdb/core/stream"
	"github.com/streamdb/streamdb/core/wsproto"
)

// Subscription is one stream followed over the socket, from an offset:
// its batches in order, whatever reconnects happen in between.
type Subscription struct {
	c       *Client
	id      int64
	path    string
	headers map[string]string

	// Guarded by c.mu.
	offset string // where the next batch starts: the last one received's offset
	// partItems counts the items of partial frames queued since offset
	// (a large upstream response arrives in parts; offset moves at its
	// last one); skip counts the items a resubscription from offset sends
	// again that were queued already, to be left out.
	partItems, skip int
	// failures counts the sockets that failed since the subscription last
	// received a batch.
	failures int
	opts     SubscribeOptions
	queue    []*stream.Batch // received, not taken by Next yet
	err      error           // the end: a gateway error, ErrClosed, io.EOF
	wake     chan struct{}   // signalled when queue or err changes
	once     sync.Once
}

// SubscribeOptions configure a subscription (SubscribeWith).
type SubscribeOptions struct {
	// Headers (credentials) go upstream with every read the gateway makes
	// for the subscription.
	Headers map[string]string
	// OnRetry, when set, is told of every socket that failed while the
	// subscription was open (then it waits for the next one): the
	// failures since it last received a batch, the wait before the next
	// dial, and the failure as a *stream.Error (CodeNetwork, its cause
	// wrapped). It is told too of every failure of the gateway's own read
	// of the stream (a retrying frame: the upstream server is down or
	// answers 5xx while the socket is fine), with the gateway's count and
	// wait, and the upstream's code and status.
	OnRetry func(stream.Retry)
	// Retry, when set, gives up on the socket as core/stream's reads give
	// up on a server: the subscription ends with the failure once more
	// than Retry.MaxRetries sockets in a row failed without a batch for it
	// in between (0: at the first failure; stream.RetryForever: never),
	// or once the gateway's read of the stream failed more than
	// MaxRetries times in a row.
	// The waits are the client's own (Options.MinDelay, MaxDelay): the
	// socket is shared, and goes on reconnecting for other subscriptions.
	// Nil never gives up.
	Retry *stream.RetryPolicy
}

// Subscribe follows the stream at path on the gateway's upstream from
// offset ("-1": its start) with headers (credentials) sent upstream.
func (c *Client) Subscribe(path, offset string, headers map[string]string) (*Subscription, error) {
	return c.SubscribeWith(path, offset, SubscribeOptions{Headers: headers})
}

// SubscribeWith is Subscribe with options: headers, and how a failing
// socket is reported and when the subscription gives up on it.
func (c *Client) SubscribeWith(path, offset string, o SubscribeOptions) (*Subscription, error) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, ErrClosed
	}
	c.next++
	s := &Subscription{c: c, id: c.next, path: path, headers: o.Headers, offset: offset, wake: make(chan struct{}, 1), opts: o}
	c.subs[s.id] = s
	c.startLocked()
	c.sendLocked(s.frameLocked())
	return s, nil
}

// frameLocked is the subscribe frame that resumes the subscription. The
// items of a response queued in part come again first, and are left out.
func (s *Subscription) frameLocked() []byte {
	s.skip = s.partItems
	return wsproto.AppendFrame(nil, &wsproto.Frame{Type: wsproto.Subscribe, Sub: s.id, HasSub: true,
		Stream: s.path, Offset: s.offset, Headers: s.headers, Retries: true})
}

// pushLocked queues a batch frame. A partial frame (one part of a large
// response) is queued as a stream.Batch with Partial set and the offset
// the response started from, as core/stream's reads in parts give it;
// the offset moves at the response's last part. Items sent again after a
// resubscription in the middle of such a response are left out.
func (s *Subscription) pushLocked(f *wsproto.Frame) {
	in := f.Items
	s.failures = 0
	if s.skip > 0 {
		n := min(s.skip, len(in))
		in, s.skip = in[n:], s.skip-n
	}
	if f.Partial {
		if len(in) == 0 {
			return
		}
		s.partItems += len(in)
	} else {
		// A whole response, or its last part: what comes next starts at
		// its offset. (Its skip is used up: the same offset always gives
		// the same items.)
		s.partItems, s.skip = 0, 0
	}
	// The items stay in the message's bytes, which are this frame's alone
	// (coder/websocket's Read returns a new buffer for every message).
	items := in
	offset := f.Offset
	if f.Partial {
		offset = s.offset
	}
	s.queue = append(s.queue, &stream.Batch{Items: items, Offset: offset, UpToDate: f.UpToDate && !f.Partial,
		Closed: f.Closed && !f.Partial, Partial: f.Partial, Status: 200, ContentType: "application/json"})
	s.offset = offset
	if f.Closed {
		delete(s.c.subs, s.id)
		s.err = io.EOF
	}
	s.signal()
}

// socketFailedLocked counts a failed socket (the next dial after wait) and
// returns the call to make, without c.mu, to tell the subscription's
// OnRetry; it ends the subscription when its MaxRetries are used up.
func (s *Subscription) socketFailedLocked(wait time.Duration, cause error, url string) func() {
	s.failures++
	err := &stream.Error{Code: stream.CodeNetwork, Op: "read", URL: s.path, Offset: s.offset,
		Message: fmt.Sprintf("the WebSocket gateway %s failed (attempt %d)", url, s.failures), Err: cause}
	if p := s.opts.Retry; p != nil && s.failures > p.MaxRetries {
		delete(s.c.subs, s.id)
		err.Message = fmt.Sprintf("the WebSocket gateway %s failed %d times in a row: giving up", url, s.failures)
		s.endLocked(err)
		return nil
	}
	if fn := s.opts.OnRetry; fn != nil {
		r := stream.Retry{Attempt: s.failures, Delay: wait, Err: err}
		return func() { fn(r) }
	}
	return nil
}

// upstreamFailedLocked takes a retrying frame: the gateway's read of the
// stream failed and waits to be retried. It returns the call to make,
// without c.mu, to tell OnRetry; once the upstream failed more than
// Retry.MaxRetries times in a row, it ends the subscription with the
// failure instead and returns the call that unsubscribes it.
func (s *Subscription) upstreamFailedLocked(f *wsproto.Frame) func() {
	err := &stream.Error{Code: stream.Code(f.Code), Status: f.Status, Op: "read", URL: s.path, Offset: s.offset,
		Message: fmt.Sprintf("the gateway's upstream failed (attempt %d): %s", f.Attempt, f.Message)}
	if p := s.opts.Retry; p != nil && f.Attempt > p.MaxRetries {
		err.Message = fmt.Sprintf("the gateway's upstream failed %d times in a row: giving up (%s)", f.Attempt, f.Message)
		delete(s.c.subs, s.id)
		s.endLocked(err)
		c, id := s.c, s.id
		return func() {
			c.mu.Lock()
			c.sendLocked(wsproto.AppendFrame(nil, &wsproto.Frame{Type: wsproto.Unsubscribe, Sub: id, HasSub: true}))
		}
	}
	if fn := s.opts.OnRetry; fn != nil {
		r := stream.Retry{Attempt: f.Attempt, Delay: time.Duration(f.DelayMs) * time.Millisecond, Err: err}
		return func() { fn(r) }
	}
	return nil
}

func (s *Subscription) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// endLocked ends the subscription with err once its queue is taken.
func (s *Subscription) endLocked(err error) {
	if s.err == nil {
		s.err = err
	}
	s.signal()
}

func (s *Subscription) end(err error) {
	s.c.mu.Lock()
	s.endLocked(err)
	s.c.mu.Unlock()
}

// Offset returns where the subscription would resume: the offset of the
// last batch received.
func (s *Subscription) Offset() string {
	s.c.mu.Lock()
	defer s.c.mu.Unlock()
	return s.offset
}

// Next returns the next batch. After the stream's end (closed) it
// returns io.EOF; a subscription the gateway ended returns its
// *stream.Error; Close makes it return ErrClosed.
func (s *Subscription) Next() (*stream.Batch, error) { return s.NextContext(context.Background()) }

// NextContext is Next that gives up when ctx ends.
func (s *Subscription) NextContext(ctx context.Context) (*stream.Batch, error) {
	for {
		s.c.mu.Lock()
		if len(s.queue) > 0 {
			b := s.queue[0]
			s.queue[0] = nil
			s.queue = s.queue[1:]
			s.c.mu.Unlock()
			return b, nil
		}
		err := s.err
		s.c.mu.Unlock()
		if err != nil {
			return nil, err
		}
		select {
		case <-s.wake:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// Close ends the subscription: the gateway stops sending it.
func (s *Subscription) Close() {
	s.once.Do(func() {
		s.c.mu.Lock()
		_, active := s.c.subs[s.id]
		delete(s.c.subs, s.id)
		s.endLocked(ErrClosed)
		if !active {
			s.c.mu.Unlock()
			return
		}
		s.c.sendLocked(wsproto.AppendFrame(nil, &wsproto.Frame{Type: wsproto.Unsubscribe, Sub: s.id, HasSub: true}))
	})
}
