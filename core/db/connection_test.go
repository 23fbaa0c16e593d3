package db_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamdb/streamdb/core/db"
	"github.com/streamdb/streamdb/core/stream"
)

// connLog records the connection states a database goes through.
type connLog struct {
	mu     sync.Mutex
	states []db.Connection
}

func (l *connLog) add(c db.Connection) {
	l.mu.Lock()
	l.states = append(l.states, c)
	l.mu.Unlock()
}

func (l *connLog) names() []db.ConnState {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []db.ConnState
	for _, c := range l.states {
		out = append(out, c.State)
	}
	return out
}

// A database goes connecting → live, and ends in failed at once when its
// stream is deleted (a 404 is not retried).
func TestConnectionLiveThenFailed(t *testing.T) {
	s := newJSONStream(t, nil)
	post(t, s, ev("user", "1", "insert", `{"name":"Ann"}`))
	var log connLog
	o := open(t, s, func(opts *db.Options) { opts.OnConnection = log.add })
	assert.Equal(t, db.ConnConnecting, o.Connection().State)
	require.NoError(t, o.Preload(ctxT(t)))
	eventually(t, func() bool { return o.Connection().State == db.ConnLive }, "live")
	require.NoError(t, s.Delete(ctxT(t), nil))
	eventually(t, func() bool { return o.Connection().State == db.ConnFailed }, "failed")
	assert.Equal(t, []db.ConnState{db.ConnLive, db.ConnFailed}, log.names())
	var se *stream.Error
	require.True(t, errors.As(o.Connection().Err, &se))
	assert.Equal(t, 404, se.Status)
	o.Close()
	assert.Equal(t, db.ConnClosed, o.Connection().State)
}

// A server that keeps refusing: each failed attempt is reported and is a
// retrying state; with a finite Retry the database fails and Preload
// returns the failure.
func TestConnectionRetriesThenGivesUp(t *testing.T) {
	refused := stream.TransportFunc(func(ctx context.Context, r *stream.Request) (*stream.Response, error) {
		return nil, errors.New("connection refused")
	})
	s := newClient(t, refused).Stream("http://nowhere/s")
	var log connLog
	policy := stream.RetryPolicy{MaxRetries: 2, InitialDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond, Multiplier: 2}
	o := open(t, s, func(opts *db.Options) { opts.OnConnection = log.add; opts.Retry = &policy })
	err := o.Preload(ctxT(t))
	require.Error(t, err)
	assert.Equal(t, []db.ConnState{db.ConnRetrying, db.ConnRetrying, db.ConnFailed}, log.names())
	log.mu.Lock()
	assert.Equal(t, 1, log.states[0].Attempt)
	assert.Equal(t, 2, log.states[1].Attempt)
	log.mu.Unlock()
	assert.Len(t, o.errors(), 3, "each failed attempt, then the end")
	assert.Equal(t, db.ConnFailed, o.Connection().State)
}

// outage wraps the reference server's transport: while down, requests in
// flight are cut and every request is answered 503; with slowLive, a
// long-poll waits 20 s before it goes on, as one does on a server with a
// long timeout when nothing is appended.
type outage struct {
	next     stream.Transport
	mu       sync.Mutex
	down     bool
	slowLive bool
	inFlight map[*context.CancelFunc]struct{}
}

func (o *outage) set(down, slowLive bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.down, o.slowLive = down, slowLive
	if down {
		for c := range o.inFlight {
			(*c)()
		}
	}
}

func (o *outage) RoundTrip(ctx context.Context, r *stream.Request) (*stream.Response, error) {
	ctx, cancel := context.WithCancel(ctx)
	o.mu.Lock()
	down, slow := o.down, o.slowLive && strings.Contains(r.URL, "live=long-poll")
	if o.inFlight == nil {
		o.inFlight = map[*context.CancelFunc]struct{}{}
	}
	o.inFlight[&cancel] = struct{}{}
	o.mu.Unlock()
	if down {
		cancel()
		return &stream.Response{StatusCode: 503, Header: stream.Header{}, Body: io.NopCloser(strings.NewReader("down (test)"))}, nil
	}
	if slow {
		select {
		case <-time.After(20 * time.Second):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	resp, err := o.next.RoundTrip(ctx, r)
	if err != nil {
		cancel()
	}
	return resp, err
}

// After an outage a database is live again as soon as the server answers,
// not when its long-poll would end: the read after a failure is a
// catch-up, which the server answers at once (ReadOptions.
// CatchUpAfterFailure). Nothing new is appended meanwhile.
func TestLiveAgainAsSoonAsTheServerIs(t *testing.T) {
	w := &outage{next: newTransport()}
	s := newJSONStream(t, newClient(t, w))
	post(t, s, ev("user", "1", "insert", `{"name":"Ann"}`))
	policy := stream.RetryPolicy{MaxRetries: stream.RetryForever, InitialDelay: 10 * time.Millisecond, MaxDelay: 50 * time.Millisecond, Multiplier: 2}
	o := open(t, s, func(opts *db.Options) { opts.Retry = &policy })
	require.NoError(t, o.Preload(ctxT(t)))
	eventually(t, func() bool { return o.Connection().State == db.ConnLive }, "live")
	w.set(true, false)
	eventually(t, func() bool { c := o.Connection(); return c.State == db.ConnRetrying && c.Attempt >= 2 }, "retrying")
	w.set(false, true)
	eventually(t, func() bool { return o.Connection().State == db.ConnLive }, "live again within 5 s, while a long-poll would take 20 s")
}
