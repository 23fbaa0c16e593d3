//go:build !js

package gateway

// THE HAND-OVER. A subscription reads with a catch-up reader of its own
// (no live mode, its own credentials) from its offset until it is up to
// date at offset O. Then it joins the feed of its key (stream path, exact
// header set), which reads the live tail once for all its subscribers:
//
//   - no feed: one is started at O, with the subscription in it;
//   - O is the feed's head (the offset its next batch starts from): the
//     subscription gets every batch from the next one on;
//   - O is where a batch of the feed's log starts (a bounded log of its
//     recent batches as (from, to) offset ranges, with their encoded
//     items): those batches are replayed to it, then it gets the next ones;
//   - O is past the head (offsets compare lexicographically): the feed is
//     behind, and the subscription waits for it. The batch that ends at O
//     lets it in after that batch; a batch that goes past O, or a wait
//     that lasts too long, sends it back to catching up from O;
//   - otherwise (O is before the log, or inside a batch) it catches up
//     again from O with a reader of its own, and tries again.
//
// Every batch a subscription gets therefore starts where the previous one
// ended: nothing is lost or repeated. All of this is under the gateway's
// lock (joins, leaves) and the feed's lock (batches, joins), so a batch is
// either delivered to a subscription by the feed or covered by its own
// reads, never both. The frames of one socket go out in the order they
// were queued, so a subscription's catch-up frames, replayed frames and
// feed frames reach the client in stream order.

import (
	"context"
	"io"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/streamdb/streamdb/core/stream"
	"github.com/streamdb/streamdb/core/wsproto"
)

// Bounds of a feed's log of recent batches.
const (
	maxLogEntries = 32
	maxLogBytes   = 1 << 20
)

// Bounds of a wait for a feed that is behind a subscription.
const (
	maxWaitBatches = 64
	maxWait        = 30 * time.Second
)

// subscription is one subscribe frame being served.
type subscription struct {
	s      *socket
	g      *Gateway
	id     int64
	path   string
	url    string
	header stream.Header
	key    string
	ctx    context.Context
	cancel context.CancelFunc
	// retries: the client reads retrying frames (its subscribe frame
	// asked for them).
	retries bool
	// retried: a read it waits on (its catch-up, or the feed it waits to
	// join) was retried since its last frame, so its next batch is sent
	// even when empty (the client learns the upstream answers again).
	retried atomic.Bool

	// dropped: unsubscribed, or its socket is gone: frames of it that are
	// still queued are not sent.
	dropped atomic.Bool
	// ended: nothing more is queued for it.
	ended atomic.Bool

	// The subscription's goroutine owns these while it catches up.
	offset string
	told   bool // an up-to-date batch was sent

	// feed is the feed it joined or waits for (guarded by the gateway's
	// lock; it may be stale once the feed sent it back to catching up).
	feed *feed
}

func newSubscription(s *socket, f *wsproto.Frame, url string, h stream.Header) *subscription {
	ctx, cancel := context.WithCancel(s.ctx)
	return &subscription{s: s, g: s.g, id: f.Sub, path: f.Stream, url: url, header: h, key: feedKey(f.Stream, h),
		ctx: ctx, cancel: cancel, offset: f.Offset, retries: f.Retries}
}

// reader returns a catch-up reader from off with the subscription's
// credentials.
func (sub *subscription) reader(off string) (*stream.Reader, error) {
	return sub.g.client.Stream(sub.url).Read(sub.ctx, stream.ReadOptions{Offset: off, Header: sub.header, Retry: sub.g.opts.Retry,
		PartBytes: sub.g.opts.PartBytes, OnRetry: sub.retrying})
}

// retrying tells the client, when it asked, that the read serving it (its
// own catch-up read, the reader's OnRetry, or its feed's) failed and waits
// to be retried.
func (sub *subscription) retrying(r stream.Retry) {
	if !sub.retries || sub.ended.Load() {
		return
	}
	sub.retried.Store(true)
	sub.s.sendFrame(sub, retryingFrame(sub.id, r))
}

// end marks the subscription ended (and dropped when asked) and forgets it
// on its socket. It reports false when it had ended already.
func (sub *subscription) end(dropped bool) bool {
	if dropped {
		sub.dropped.Store(true)
	}
	if !sub.ended.CompareAndSwap(false, true) {
		return false
	}
	sub.cancel()
	sub.s.forget(sub)
	sub.g.stats.subscriptions.Add(-1)
	return true
}

// drop ends the subscription at once: unsubscribed, or its socket is gone.
func (sub *subscription) drop() {
	sub.end(true)
	sub.g.detach(sub)
}

// stop ends the subscription but lets what is queued for it be sent
// (shutdown).
func (sub *subscription) stop() {
	sub.end(false)
	sub.g.detach(sub)
}

// fail ends the subscription with an error frame.
func (sub *subscription) fail(err error) {
	if sub.end(false) {
		sub.g.detach(sub)
		sub.s.sendFrame(sub, errorFrame(sub.id, err))
	}
}

// run serves the subscription until it is in a feed or ends: catch up,
// join, and catch up again while the offsets do not line up.
func (sub *subscription) run(r *stream.Reader) {
	for {
		if r == nil {
			var err error
			if r, err = sub.reader(sub.offset); err != nil {
				sub.fail(err)
				return
			}
			sub.g.stats.rejoins.Add(1)
		}
		ok := sub.catchUp(r)
		r.Close()
		r = nil
		if !ok {
			return
		}
		res, ch := sub.g.join(sub)
		switch res {
		case joinDone:
			return
		case joinWait:
			t := time.NewTimer(maxWait)
			select {
			case in := <-ch:
				t.Stop()
				if in {
					return
				}
			case <-t.C:
				if !sub.g.unwait(sub) {
					// The feed answered meanwhile, or the subscription
					// ended.
					select {
					case in := <-ch:
						if in {
							return
						}
					case <-sub.ctx.Done():
						return
					}
				}
			case <-sub.ctx.Done():
				t.Stop()
				return
			}
		case joinRetry:
		}
	}
}

// catchUp reads with r until it is up to date, sending what it reads. It
// reports false when the subscription ended (closed stream, failure,
// unsubscribed).
func (sub *subscription) catchUp(r *stream.Reader) bool {
	sub.g.stats.catchUps.Add(1)
	for {
		select {
		case sub.s.catchUp <- struct{}{}:
		case <-sub.ctx.Done():
			return false
		}
		b, err := r.Next()
		if err != nil {
			<-sub.s.catchUp
			if err == io.EOF {
				return true
			}
			if sub.ctx.Err() == nil {
				sub.fail(err)
			}
			return false
		}
		retried := sub.retried.Swap(false)
		if len(b.Items) > 0 || b.Closed || b.Offset != sub.offset || (b.UpToDate && !sub.told) || retried {
			if b.Closed {
				sub.end(false)
				sub.g.detach(sub)
			}
			if !sub.s.sendPaced(outFrame{sub: sub, head: batchHead(sub.id), body: batchBody(b)}) {
				<-sub.s.catchUp
				return false
			}
		}
		<-sub.s.catchUp
		sub.offset = b.Offset
		sub.told = sub.told || b.UpToDate
		if b.Closed || sub.ended.Load() {
			return false
		}
	}
}

// feed is the one live read of a stream for every subscription that
// shares its path and header set.
type feed struct {
	g      *Gateway
	key    string
	url    string
	header stream.Header
	ctx    context.Context
	cancel context.CancelFunc

	mu       sync.Mutex
	head     string // where the next batch starts
	log      []logEntry
	logBytes int
	subs     map[*subscription]struct{}
	waiters  map[*subscription]*waiter
	stopped  bool
	// retrying: the read failed and was retried since its last batch; the
	// next one goes to the subscribers even when it brings nothing new.
	retrying bool
}

// logEntry is one batch a feed delivered: its offset range and its frame's
// body (see batchBody).
type logEntry struct {
	from, to string
	body     []byte
}

// waiter is a subscription ahead of its feed.
type waiter struct {
	off     string
	ch      chan bool // true: in the feed; false: catch up again
	batches int
}

type joinResult int

const (
	joinDone  joinResult = iota // in the feed, or ended
	joinWait                    // ahead of the feed: wait on the channel
	joinRetry                   // not aligned: catch up again
)

// join puts a subscription that caught up (at sub.offset) into its feed,
// starting the feed when there is none.
func (g *Gateway) join(sub *subscription) (joinResult, chan bool) {
	off := sub.offset
	g.mu.Lock()
	defer g.mu.Unlock()
	if sub.ended.Load() || g.closing {
		return joinDone, nil
	}
	f := g.feeds[sub.key]
	if f == nil {
		g.startFeedLocked(sub, off)
		return joinDone, nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.stopped {
		// The stream closed or the read failed a moment ago: a new feed
		// meets that itself.
		g.startFeedLocked(sub, off)
		return joinDone, nil
	}
	sub.feed = f
	if off == f.head {
		f.attachLocked(sub)
		return joinDone, nil
	}
	for i, e := range f.log {
		if e.from == off {
			for _, e := range f.log[i:] {
				sub.s.send(outFrame{sub: sub, head: batchHead(sub.id), body: e.body})
			}
			f.attachLocked(sub)
			return joinDone, nil
		}
	}
	if off > f.head {
		w := &waiter{off: off, ch: make(chan bool, 1)}
		f.waiters[sub] = w
		return joinWait, w.ch
	}
	return joinRetry, nil
}

// attachLocked adds sub to the feed's subscribers.
func (f *feed) attachLocked(sub *subscription) {
	f.subs[sub] = struct{}{}
	f.g.stats.joins.Add(1)
}

// unwait takes a subscription that waited too long off its feed's
// waiters. It reports false when the feed had answered it already.
func (g *Gateway) unwait(sub *subscription) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	f := sub.feed
	if f == nil {
		return false
	}
	f.mu.Lock()
	_, ok := f.waiters[sub]
	delete(f.waiters, sub)
	stop := f.stopIfEmptyLocked()
	f.mu.Unlock()
	if stop {
		f.cancel()
	}
	return ok
}

// detach takes an ending subscription out of its feed; a feed left with
// no subscriber stops its read.
func (g *Gateway) detach(sub *subscription) {
	g.mu.Lock()
	defer g.mu.Unlock()
	f := sub.feed
	sub.feed = nil
	if f == nil {
		return
	}
	f.mu.Lock()
	delete(f.subs, sub)
	delete(f.waiters, sub)
	stop := f.stopIfEmptyLocked()
	f.mu.Unlock()
	if stop {
		f.cancel()
	}
}

// stopIfEmptyLocked marks a feed with nobody in it or waiting for it
// stopped and forgets it; the caller holds the gateway's and the feed's
// locks and cancels it when it reports true.
func (f *feed) stopIfEmptyLocked() bool {
	if f.stopped || len(f.subs) > 0 || len(f.waiters) > 0 {
		return false
	}
	f.stopped = true
	if f.g.feeds[f.key] == f {
		delete(f.g.feeds, f.key)
	}
	return true
}

// startFeedLocked starts the feed of sub's key at off, with sub in it.
func (g *Gateway) startFeedLocked(sub *subscription, off string) {
	ctx, cancel := context.WithCancel(g.ctx)
	f := &feed{g: g, key: sub.key, url: sub.url, header: sub.header, ctx: ctx, cancel: cancel,
		head: off, subs: map[*subscription]struct{}{}, waiters: map[*subscription]*waiter{}}
	f.attachLocked(sub)
	sub.feed = f
	g.feeds[f.key] = f
	g.stats.feedsStarted.Add(1)
	go f.run(off)
}

// run reads the stream live from start and delivers each batch.
func (f *feed) run(start string) {
	r, err := f.g.client.Stream(f.url).Read(f.ctx, stream.ReadOptions{Offset: start, Live: f.g.opts.Live,
		Header: f.header, Retry: f.g.opts.Retry, OnRetry: f.retry, CatchUpAfterFailure: true})
	if err != nil {
		f.end(err)
		return
	}
	defer r.Close()
	for {
		b, err := r.Next()
		if err != nil {
			f.end(err)
			return
		}
		if len(b.Skipped) > 0 {
			f.g.logf("gateway: %s: %d items above the SSE size limit were left out at offset %s", f.url, len(b.Skipped), b.Offset)
		}
		if f.deliver(b) {
			f.end(nil)
			return
		}
	}
}

// deliver sends a batch to the feed's subscribers, records it, and answers
// the subscriptions waiting for it. It reports true when the feed is done
// (stopped, or the stream closed).
func (f *feed) deliver(b *stream.Batch) bool {
	var body []byte
	if len(b.Items) > 0 || b.Closed {
		body = batchBody(b)
	}
	f.mu.Lock()
	if f.stopped {
		f.mu.Unlock()
		return true
	}
	from := f.head
	retried := f.retrying
	f.retrying = false
	if body == nil && b.Offset == from {
		if retried {
			// Nothing new, but the upstream answers again: the
			// subscribers that heard of its failure hear that too.
			body = batchBody(b)
			for sub := range f.subs {
				if sub.retries {
					sub.s.send(outFrame{sub: sub, head: batchHead(sub.id), body: body})
				}
			}
			// (No waiter is told here: one is ahead of the feed, so the
			// feed's read after a failure, a catch-up, brings something.)
		}
		f.mu.Unlock()
		return false // a long-poll that timed out: nothing new
	}
	if body == nil {
		body = batchBody(b)
	}
	f.head = b.Offset
	f.log = append(f.log, logEntry{from: from, to: b.Offset, body: body})
	f.logBytes += len(body)
	for len(f.log) > maxLogEntries || (len(f.log) > 1 && f.logBytes > maxLogBytes) {
		f.logBytes -= len(f.log[0].body)
		f.log[0] = logEntry{}
		f.log = f.log[1:]
	}
	for sub := range f.subs {
		if b.Closed {
			sub.end(false)
		}
		sub.s.send(outFrame{sub: sub, head: batchHead(sub.id), body: body})
	}
	for sub, w := range f.waiters {
		w.batches++
		switch {
		case w.off == b.Offset && !b.Closed:
			delete(f.waiters, sub)
			f.attachLocked(sub)
			// This batch ends where the waiter's catch-up did: it brings
			// the waiter nothing, but the news that the upstream answers.
			recoveredLocked(sub, w.off)
			w.ch <- true
		case w.off < b.Offset || b.Closed || w.batches >= maxWaitBatches:
			delete(f.waiters, sub)
			w.ch <- false
		}
	}
	if b.Closed {
		clear(f.subs)
		f.mu.Unlock()
		return true
	}
	f.mu.Unlock()
	// A feed whose waiters all went back to catching up may be empty.
	f.g.mu.Lock()
	f.mu.Lock()
	stop := f.stopIfEmptyLocked()
	f.mu.Unlock()
	f.g.mu.Unlock()
	return stop
}

// retry tells the feed's subscribers, and those waiting to join it, that
// its read failed and waits to be retried (the reader's OnRetry).
func (f *feed) retry(r stream.Retry) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.stopped {
		return
	}
	f.retrying = true
	for sub := range f.subs {
		sub.retrying(r)
	}
	for sub := range f.waiters {
		sub.retrying(r)
	}
}

// recoveredLocked tells a subscription ahead of the feed (a waiter, at
// off) that heard of a retry that the upstream answers again: a batch of
// nothing at its own offset, as its catch-up would send (sub.retried).
// The caller holds the feed's lock.
func recoveredLocked(sub *subscription, off string) {
	if sub.retried.Swap(false) {
		sub.s.send(outFrame{sub: sub, head: batchHead(sub.id), body: batchBody(&stream.Batch{Offset: off, UpToDate: true})})
	}
}

// end stops the feed. After a failure (not a stop), its subscriptions end
// with an error frame; those waiting for it go back to catching up, and so
// meet the failure themselves.
func (f *feed) end(err error) {
	cancelled := f.ctx.Err() != nil
	g := f.g
	g.mu.Lock()
	f.mu.Lock()
	f.stopped = true
	if g.feeds[f.key] == f {
		delete(g.feeds, f.key)
	}
	subs, waiters := f.subs, f.waiters
	f.subs, f.waiters = nil, nil
	f.mu.Unlock()
	g.mu.Unlock()
	f.cancel()
	failed := err != nil && !cancelled
	if failed {
		g.logf("gateway: live read of %s failed: %v", f.url, err)
	}
	for sub := range subs {
		if failed && sub.end(false) {
			sub.s.sendFrame(sub, errorFrame(sub.id, err))
		}
	}
	for _, w := range waiters {
		w.ch <- false
	}
}

// batchPrefix is how every encoded batch frame starts; the sub follows it.
const batchPrefix = `{"type":"batch"`

// batchHead is the start of subscription sub's batch frame.
func batchHead(sub int64) []byte {
	return strconv.AppendInt([]byte(batchPrefix+`,"sub":`), sub, 10)
}

// batchBody is the rest of a batch frame, after its sub: the same for
// every subscription it goes to.
func batchBody(b *stream.Batch) []byte {
	size := 96 + len(b.Offset)
	for _, it := range b.Items {
		size += len(it) + 1
	}
	full := wsproto.AppendFrame(make([]byte, 0, size), &wsproto.Frame{Type: wsproto.Batch, Offset: b.Offset,
		UpToDate: b.UpToDate, Closed: b.Closed, Partial: b.Partial, Items: b.Items})
	return full[len(batchPrefix):]
}
