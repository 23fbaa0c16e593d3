package wsclient

import (
	"context"
	"io"
	"sync"

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
	offset string          // where the next batch starts: the last one received's offset
	queue  []*stream.Batch // received, not taken by Next yet
	err    error           // the end: a gateway error, ErrClosed, io.EOF
	wake   chan struct{}   // signalled when queue or err changes
	once   sync.Once
}

// Subscribe follows the stream at path on the gateway's upstream from
// offset ("-1": its start) with headers (credentials) sent upstream.
func (c *Client) Subscribe(path, offset string, headers map[string]string) (*Subscription, error) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, ErrClosed
	}
	c.next++
	s := &Subscription{c: c, id: c.next, path: path, headers: headers, offset: offset, wake: make(chan struct{}, 1)}
	c.subs[s.id] = s
	c.startLocked()
	c.sendLocked(s.frameLocked())
	return s, nil
}

// frameLocked is the subscribe frame that resumes the subscription.
func (s *Subscription) frameLocked() []byte {
	return wsproto.AppendFrame(nil, &wsproto.Frame{Type: wsproto.Subscribe, Sub: s.id, HasSub: true,
		Stream: s.path, Offset: s.offset, Headers: s.headers})
}

// pushLocked queues a batch frame. A batch that does not start where the
// last one ended cannot come from this gateway; it is dropped.
func (s *Subscription) pushLocked(f *wsproto.Frame) {
	items := make([][]byte, len(f.Items))
	for i, it := range f.Items {
		items[i] = append([]byte(nil), it...)
	}
	s.queue = append(s.queue, &stream.Batch{Items: items, Offset: f.Offset, UpToDate: f.UpToDate,
		Closed: f.Closed, Status: 200, ContentType: "application/json"})
	s.offset = f.Offset
	if f.Closed {
		delete(s.c.subs, s.id)
		s.err = io.EOF
	}
	s.signal()
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
