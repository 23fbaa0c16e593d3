package db

import (
	"time"

	"github.com/streamdb/streamdb/core/stream"
)

// ConnState says how a database's link to its stream stands.
type ConnState string

// The connection states.
const (
	// ConnConnecting: reading has not started, or is catching up.
	ConnConnecting ConnState = "connecting"
	// ConnLive: caught up and following the stream.
	ConnLive ConnState = "live"
	// ConnRetrying: a request failed (Connection.Err); the reader waits
	// Connection.Delay before retry number Connection.Attempt.
	ConnRetrying ConnState = "retrying"
	// ConnStopped: the stream was read to its end and there is nothing to
	// follow (live off, or the stream is closed).
	ConnStopped ConnState = "stopped"
	// ConnFailed: reading stopped for good on Connection.Err (the stream is
	// gone, access was refused, the retries ran out).
	ConnFailed ConnState = "failed"
	// ConnClosed: the database was closed.
	ConnClosed ConnState = "closed"
)

// Connection is the state of a database's link to its stream
// (Options.OnConnection, DB.Connection).
type Connection struct {
	State ConnState
	// Attempt and Delay, when retrying: which retry since the last success,
	// and how long the reader waits before it.
	Attempt int
	Delay   time.Duration
	// Err is the failure being retried, or the one that stopped reading.
	Err error
}

// Connection returns the current state of the database's link to its
// stream.
func (d *DB) Connection() Connection {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.conn
}

// setConn records c and tells Options.OnConnection when the state changed
// (every retry is a change). It must be called without d.mu held.
func (d *DB) setConn(c Connection) {
	d.mu.Lock()
	old := d.conn
	if old.State == ConnClosed || (old.State == ConnFailed && c.State != ConnClosed) ||
		(c.State == old.State && c.State != ConnRetrying) {
		d.mu.Unlock()
		return
	}
	d.conn = c
	d.mu.Unlock()
	if d.opts.OnConnection != nil {
		d.opts.OnConnection(c)
	}
}

// onRetry is the reader's OnRetry: each failed attempt is reported and
// makes the state retrying.
func (d *DB) onRetry(r stream.Retry) {
	d.report(r.Err)
	d.setConn(Connection{State: ConnRetrying, Attempt: r.Attempt, Delay: r.Delay, Err: r.Err})
}

// readState is the state after a batch was read: live once ready.
func (d *DB) readState() ConnState {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.ready && d.opts.Live != LiveOff {
		return ConnLive
	}
	return ConnConnecting
}
