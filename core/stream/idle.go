package stream

import (
	"context"
	"errors"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/streamdb/streamdb/internal/strfmt"
)

// DefaultIdleTimeout is ReadOptions.IdleTimeout's default. A live server
// answers a long-poll, or sends an SSE keep-alive, at least every
// long-poll timeout (30 s for the reference server), so a minute of silence
// means the connection is dead even when nothing says so: a proxy that
// holds it open, a laptop that slept, a network that changed.
const DefaultIdleTimeout = 60 * time.Second

// errIdle is the cause of a request the watchdog ended.
var errIdle = errors.New("no bytes from the server")

// watchdog ends a request that hears nothing from the server for its
// timeout: no header, no body byte. The reader then treats it as a dropped
// connection and asks again from its offset. Its time runs from start: the
// moment the request left (see send).
type watchdog struct {
	d      time.Duration
	cancel context.CancelCauseFunc
	fired  atomic.Bool

	mu      sync.Mutex
	timer   *time.Timer
	stopped bool // stop was called: start does nothing
}

// idleTimeout is the reader's IdleTimeout: the default when 0, none when
// negative.
func (r *Reader) idleTimeout() time.Duration {
	switch d := r.opts.IdleTimeout; {
	case d == 0:
		return DefaultIdleTimeout
	case d < 0:
		return 0
	default:
		return d
	}
}

// send makes one request of the reader with a watchdog: its time starts
// when the transport says the request left (StartingTransport), or now.
// The caller stops the watchdog when it is done with the request.
func (r *Reader) send(req *Request) (*watchdog, *Response, error) {
	w, ctx := r.newWatchdog()
	resp, err := r.sendOn(ctx, w, req)
	return w, resp, err
}

// newWatchdog returns a watchdog, not started, and the context of the
// request it watches, which stop cancels.
func (r *Reader) newWatchdog() (*watchdog, context.Context) {
	ctx, cancel := context.WithCancelCause(r.ctx)
	return &watchdog{d: r.idleTimeout(), cancel: cancel}, ctx
}

// sendOn makes the request watched by w in ctx (newWatchdog's).
func (r *Reader) sendOn(ctx context.Context, w *watchdog, req *Request) (*Response, error) {
	var (
		resp *Response
		err  error
	)
	if t, ok := r.s.c.transport.(StartingTransport); ok {
		resp, err = t.RoundTripStarting(ctx, req, w.start)
	} else {
		w.start()
		resp, err = r.s.c.transport.RoundTrip(ctx, req)
	}
	w.start() // a transport that returned without saying so
	return resp, err
}

// start starts the watchdog's time, once.
func (w *watchdog) start() {
	if w.d <= 0 {
		return
	}
	w.mu.Lock()
	if w.timer == nil && !w.stopped {
		w.timer = time.AfterFunc(w.d, w.fire)
	}
	w.mu.Unlock()
}

// fire ends the request that went silent.
func (w *watchdog) fire() {
	w.fired.Store(true)
	w.cancel(errIdle)
}

// heard restarts the watchdog's time: the server just sent something.
func (w *watchdog) heard() {
	w.mu.Lock()
	if w.timer != nil {
		w.timer.Reset(w.d)
	}
	w.mu.Unlock()
}

// pause stops the watchdog's time until the next heard: the reader is not
// reading (its caller is busy with what it read), so silence means nothing.
func (w *watchdog) pause() {
	w.mu.Lock()
	if w.timer != nil {
		w.timer.Stop()
	}
	w.mu.Unlock()
}

// stop ends the watchdog and the request's context.
func (w *watchdog) stop() {
	w.mu.Lock()
	w.stopped = true
	if w.timer != nil {
		w.timer.Stop()
	}
	w.mu.Unlock()
	w.cancel(nil)
}

// why is the message of a failed request: msg, or what the watchdog saw.
func (w *watchdog) why(msg string) string {
	if w.fired.Load() {
		return strfmt.Sprintf("no bytes from the server for %v: connection taken for dead", w.d)
	}
	return msg
}

// watchedBody restarts its watchdog whenever a Read brings bytes.
type watchedBody struct {
	io.ReadCloser
	w *watchdog
}

func (b watchedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if n > 0 {
		b.w.heard()
	}
	return n, err
}
