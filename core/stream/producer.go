package stream

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/streamdb/streamdb/core/jsonscan"
)

// ProducerOptions configure an idempotent producer.
type ProducerOptions struct {
	// Epoch is the producer's epoch (default 0). A newer epoch fences off
	// older ones.
	Epoch int64
	// AutoClaim, on a 403 that says a newer epoch owns the stream, moves to
	// that epoch plus one and sends again from sequence 0.
	AutoClaim bool
	// MaxBatchBytes caps the body of one POST (default 1 MiB).
	MaxBatchBytes int
	// MaxBatchItems caps the messages of one POST (default: no cap).
	MaxBatchItems int
	// Linger is how long an append may wait for more to share its POST
	// (default 0: send as soon as a request slot is free).
	Linger time.Duration
	// MaxInFlight is how many POSTs may be in flight at once (default 5).
	// With more than one, the server may see sequence numbers out of order;
	// the producer then waits for the earlier ones and sends again.
	MaxInFlight int
	// Header holds extra request header fields.
	Header Header
}

// Validate reports the first field that is out of range, naming it.
func (o ProducerOptions) Validate() error {
	switch {
	case o.Epoch < 0 || o.Epoch > 1<<53-1:
		return invalidArg("epoch must be between 0 and 2^53-1, got %d", o.Epoch)
	case o.MaxBatchBytes < 0:
		return invalidArg("maxBatchBytes must be positive, got %d", o.MaxBatchBytes)
	case o.MaxBatchItems < 0:
		return invalidArg("maxBatchItems must be positive, got %d", o.MaxBatchItems)
	case o.MaxInFlight < 0:
		return invalidArg("maxInFlight must be positive, got %d", o.MaxInFlight)
	case o.Linger < 0:
		return invalidArg("linger must not be negative, got %v", o.Linger)
	}
	return nil
}

// Producer appends to a stream exactly once: every POST carries the
// producer's id, epoch and a sequence number, so the server drops the
// repeats that retries cause. Appends are fire-and-forget and batched;
// Flush waits for them. It is safe for concurrent use.
type Producer struct {
	s    *Stream
	id   string
	opts ProducerOptions

	mu        sync.Mutex
	cond      *sync.Cond
	epoch     int64
	nextSeq   int64
	pending   [][]byte
	pendBytes int
	timer     *time.Timer
	inFlight  int
	batches   []*producerBatch // not yet acknowledged, in sequence order
	err       error            // the first failure; the producer stops there
	stopped   bool             // closed or detached: no more appends
	// established is true once the server accepted a batch in the current
	// epoch. Until then only sequence 0 may be sent: a new epoch must start
	// there, so pipelined batches wait for it.
	established bool
	closed      bool // the stream was closed by this producer
	final       string
	lastTail    string
}

type producerBatch struct {
	items   [][]byte
	epoch   int64
	seq     int64
	started bool
}

// Producer returns an idempotent producer with the given id on the stream.
func (s *Stream) Producer(id string, o ProducerOptions) (*Producer, error) {
	if id == "" {
		return nil, invalidArg("producerId must not be empty")
	}
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if o.MaxBatchBytes == 0 {
		o.MaxBatchBytes = 1 << 20
	}
	if o.MaxInFlight == 0 {
		o.MaxInFlight = 5
	}
	p := &Producer{s: s, id: id, opts: o, epoch: o.Epoch}
	p.cond = sync.NewCond(&p.mu)
	return p, nil
}

// Epoch returns the producer's current epoch (it moves on an auto-claim).
func (p *Producer) Epoch() int64 { p.mu.Lock(); defer p.mu.Unlock(); return p.epoch }

// NextSeq returns the sequence number the next batch will carry.
func (p *Producer) NextSeq() int64 { p.mu.Lock(); defer p.mu.Unlock(); return p.nextSeq }

// Offset returns the stream's tail after the last acknowledged POST.
func (p *Producer) Offset() string { p.mu.Lock(); defer p.mu.Unlock(); return p.lastTail }

// Append queues one message. In JSON mode it must be one JSON value. It
// returns an error only when the message is invalid or the producer has
// stopped or failed; delivery failures come out of Flush.
func (p *Producer) Append(ctx context.Context, data []byte) error {
	ct, err := p.s.contentTypeFor(ctx, p.opts.Header)
	if err != nil {
		return err
	}
	if IsJSON(ct) {
		if err := jsonscan.Check(data); err != nil {
			return &Error{Code: CodeInvalidArgument, Op: "producer", URL: p.s.url, Message: "data is not one JSON value", Err: err}
		}
	} else if len(data) == 0 {
		return nil // nothing to send
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil {
		return p.err
	}
	if p.stopped {
		return &Error{Code: CodeClosed, Op: "producer", URL: p.s.url, Message: "producer is closed"}
	}
	if len(p.pending) > 0 && (p.pendBytes+len(data) > p.opts.MaxBatchBytes) {
		p.cutLocked()
	}
	p.pending = append(p.pending, data)
	p.pendBytes += len(data)
	if p.opts.MaxBatchItems > 0 && len(p.pending) >= p.opts.MaxBatchItems || p.pendBytes >= p.opts.MaxBatchBytes {
		p.cutLocked()
	} else if p.opts.Linger == 0 {
		if p.inFlight < p.opts.MaxInFlight && !p.waitingLocked() {
			p.cutLocked()
		}
	} else if p.timer == nil {
		p.timer = time.AfterFunc(p.opts.Linger, func() {
			p.mu.Lock()
			defer p.mu.Unlock()
			p.timer = nil
			if len(p.pending) > 0 {
				p.cutLocked()
			}
		})
	}
	return nil
}

// waitingLocked reports whether a cut batch is still waiting for a slot.
func (p *Producer) waitingLocked() bool {
	for _, b := range p.batches {
		if !b.started {
			return true
		}
	}
	return false
}

// cutLocked turns the pending messages into a batch and starts sending.
func (p *Producer) cutLocked() {
	if p.timer != nil {
		p.timer.Stop()
		p.timer = nil
	}
	if len(p.pending) == 0 {
		return
	}
	b := &producerBatch{items: p.pending, epoch: p.epoch, seq: p.nextSeq}
	p.nextSeq++
	p.pending, p.pendBytes = nil, 0
	p.batches = append(p.batches, b)
	p.launchLocked()
}

// launchLocked starts the waiting batches that have a request slot.
func (p *Producer) launchLocked() {
	for _, b := range p.batches {
		if p.inFlight >= p.opts.MaxInFlight {
			return
		}
		if !b.started {
			b.started = true
			p.inFlight++
			go p.send(b)
		}
	}
}

// send delivers one batch, dealing with fencing and out-of-order arrival.
func (p *Producer) send(b *producerBatch) {
	ct := p.s.ContentType()
	body := frameItems(b.items)
	if !IsJSON(ct) {
		body = concat(b.items)
	}
	gaps := 0
	for {
		p.mu.Lock()
		for p.err == nil && !p.established && b.seq != 0 {
			p.cond.Wait()
		}
		epoch, seq, failed := b.epoch, b.seq, p.err
		p.mu.Unlock()
		if failed != nil {
			p.finish(b, nil)
			return
		}
		rep, err := p.post(ct, body, epoch, seq, false)
		if err != nil {
			p.finish(b, err)
			return
		}
		switch rep.status {
		case 200, 204:
			p.finish(b, nil, rep.header.Get(headerNextOffset))
			return
		case 403:
			if !p.opts.AutoClaim {
				p.finish(b, p.producerError(rep, "a newer epoch owns the stream (fenced)"))
				return
			}
			current, perr := parseProducerNumber(rep.header.Get(headerProducerEpoch))
			if perr != nil {
				p.finish(b, p.producerError(rep, "403 without a valid Producer-Epoch"))
				return
			}
			p.claim(epoch, current+1)
		case 409:
			if isTrue(rep.header.Get(headerClosed)) {
				p.finish(b, p.producerError(rep, "stream is closed"))
				return
			}
			expected, perr := parseProducerNumber(rep.header.Get(headerProducerExpectedSeq))
			if perr != nil || expected > seq || gaps > 50 {
				p.finish(b, p.producerError(rep, "sequence gap the producer cannot fill"))
				return
			}
			gaps++
			p.waitForEarlier(b, epoch, seq)
		}
	}
}

func (p *Producer) producerError(rep *reply, msg string) error {
	return &Error{Code: statusCode("append", rep.status, rep.header, false), Op: "producer", URL: p.s.url,
		Status: rep.status, Header: rep.header, Message: msg + ": " + serverText(rep.body)}
}

// post sends one producer request. Transient failures are retried by
// Client.do: the server deduplicates by sequence number, so that is safe.
func (p *Producer) post(ct string, body []byte, epoch, seq int64, close bool) (*reply, error) {
	h := p.s.c.headers(p.opts.Header)
	h.Set(headerProducerID, p.id)
	h.Set(headerProducerEpoch, strconv.FormatInt(epoch, 10))
	h.Set(headerProducerSeq, strconv.FormatInt(seq, 10))
	if len(body) > 0 {
		h.Set(headerContentType, ct)
	}
	if close {
		h.Set(headerClosed, "true")
	}
	return p.s.c.do(context.Background(), call{op: "append", url: p.s.url, method: "POST", reqURL: p.s.url, header: h,
		body: body, accept: statusIs(200, 204, 403, 409), retryDrop: true})
}

// claim moves the producer to a new epoch after it was fenced at from,
// renumbering every unacknowledged batch from 0, in order. Batches already
// renumbered by another claim are left alone.
func (p *Producer) claim(from, to int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if from < p.epoch {
		return // claimed already
	}
	p.epoch = to
	p.established = false
	var seq int64
	for _, b := range p.batches {
		b.epoch, b.seq = to, seq
		seq++
	}
	p.nextSeq = seq
	p.cond.Broadcast()
}

// waitForEarlier waits until no batch before b (in b's epoch) is still
// unacknowledged, or the epoch moved on, or the producer failed.
func (p *Producer) waitForEarlier(b *producerBatch, epoch, seq int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for p.err == nil && b.epoch == epoch && b.seq == seq {
		earlier := false
		for _, o := range p.batches {
			if o != b && o.epoch == epoch && o.seq < seq {
				earlier = true
				break
			}
		}
		if !earlier {
			return
		}
		p.cond.Wait()
	}
}

// finish records the outcome of a batch and frees its request slot.
func (p *Producer) finish(b *producerBatch, err error, tail ...string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.inFlight--
	for i, o := range p.batches {
		if o == b {
			p.batches = append(p.batches[:i], p.batches[i+1:]...)
			break
		}
	}
	if err != nil && p.err == nil {
		p.err = err
	}
	if err == nil && b.epoch == p.epoch {
		p.established = true
	}
	if len(tail) > 0 && tail[0] != "" && tail[0] > p.lastTail {
		p.lastTail = tail[0]
	}
	if p.err == nil {
		if len(p.pending) > 0 && p.timer == nil && !p.waitingLocked() {
			p.cutLocked()
		}
		p.launchLocked()
	}
	p.cond.Broadcast()
}

// Flush sends what is pending and waits until every message appended so far
// is acknowledged. It returns the producer's first failure, if any.
func (p *Producer) Flush(ctx context.Context) error {
	stop := context.AfterFunc(ctx, func() {
		p.mu.Lock()
		p.cond.Broadcast()
		p.mu.Unlock()
	})
	defer stop()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cutLocked()
	for p.err == nil && (len(p.batches) > 0 || len(p.pending) > 0) {
		if ctx.Err() != nil {
			return &Error{Code: CodeNetwork, Op: "producer", URL: p.s.url, Err: ctx.Err()}
		}
		if len(p.pending) > 0 && !p.waitingLocked() {
			p.cutLocked()
		}
		p.cond.Wait()
	}
	return p.err
}

// Close flushes, then closes the stream with the producer's next sequence
// number, appending final (if not empty) atomically. Calling it again
// returns the same final offset. It gives STREAM_CLOSED when another writer
// closed the stream first.
func (p *Producer) Close(ctx context.Context, final []byte) (CloseResult, error) {
	p.mu.Lock()
	if p.closed {
		defer p.mu.Unlock()
		return CloseResult{FinalOffset: p.final}, nil
	}
	p.mu.Unlock()
	if err := p.Flush(ctx); err != nil {
		return CloseResult{}, err
	}
	ct := p.s.ContentType()
	var body []byte
	if len(final) > 0 {
		if IsJSON(ct) {
			if err := jsonscan.Check(final); err != nil {
				return CloseResult{}, &Error{Code: CodeInvalidArgument, Op: "producer", URL: p.s.url, Message: "final message is not one JSON value", Err: err}
			}
			body = frameItems([][]byte{final})
		} else {
			body = final
		}
	}
	p.mu.Lock()
	p.stopped = true
	epoch, seq := p.epoch, p.nextSeq
	p.mu.Unlock()
	rep, err := p.post(ct, body, epoch, seq, true)
	if err == nil && rep.status != 200 && rep.status != 204 {
		err = p.producerError(rep, "close failed")
	}
	if err != nil {
		return CloseResult{}, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	p.nextSeq++
	p.final = rep.header.Get(headerNextOffset)
	if p.final == "" {
		p.final = p.lastTail
	}
	return CloseResult{FinalOffset: p.final}, nil
}

// Detach flushes and stops the producer without closing the stream.
func (p *Producer) Detach(ctx context.Context) error {
	err := p.Flush(ctx)
	p.mu.Lock()
	p.stopped = true
	p.mu.Unlock()
	return err
}

// Restart flushes, then moves to the next epoch from sequence 0 (after a
// crash or hand-over, so the older epoch is fenced off).
func (p *Producer) Restart(ctx context.Context) error {
	if err := p.Flush(ctx); err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.epoch++
	p.nextSeq = 0
	p.established = false
	return nil
}

func concat(items [][]byte) []byte {
	if len(items) == 1 {
		return items[0]
	}
	n := 0
	for _, it := range items {
		n += len(it)
	}
	b := make([]byte, 0, n)
	for _, it := range items {
		b = append(b, it...)
	}
	return b
}
