package stream

import (
	"context"
	"maps"
	"strconv"
	"sync"

	"github.com/streamdb/streamdb/core/jsonscan"
)

// AppendOptions configure Stream.Append.
type AppendOptions struct {
	// Seq, when set, is sent as Stream-Seq: the server rejects a value that
	// is not greater than the previous one with SEQUENCE_CONFLICT.
	Seq string
	// Header holds extra request header fields. Appends are only coalesced
	// with appends that carry the same fields.
	Header Header
	// Retry, when set, replaces the client's retry policy for the POST
	// that carries this append. Appends are only coalesced with appends
	// under the same policy.
	Retry *RetryPolicy
	// OnRetry, when set, is called before each retry of the POST that
	// carries this append (from another goroutine; it must not block).
	OnRetry func(Retry)
}

// AppendResult says where an append landed.
type AppendResult struct {
	// Offset is the stream's tail after the POST that carried the append.
	Offset string
}

// CloseOptions configure Stream.Close.
type CloseOptions struct {
	// Body, when set, is a last message appended atomically with the close
	// (in JSON mode, one JSON value).
	Body []byte
	// Header holds extra request header fields.
	Header Header
}

// CloseResult says where the stream ended.
type CloseResult struct {
	// FinalOffset is the stream's final tail offset.
	FinalOffset string
}

type appendItem struct {
	ctx     context.Context
	data    []byte
	header  Header
	seq     string
	close   bool
	retry   *RetryPolicy
	onRetry func(Retry)
	done    chan appendOutcome
}

type appendOutcome struct {
	offset string
	err    error
}

// Append appends data to the stream. In JSON mode (a stream of type
// application/json) data must be one JSON value and is stored as one
// message, even when it is an array. Appends made while an earlier POST is
// in flight are coalesced into one POST, in call order.
//
// Cancelling ctx stops the wait; an append already sent may still land.
// Transient failures are retried (see RetryPolicy); since a plain append is
// not idempotent, a retry after a dropped connection can store it twice:
// use a Producer for exactly-once appends.
func (s *Stream) Append(ctx context.Context, data []byte, o AppendOptions) (AppendResult, error) {
	return s.appendValues(ctx, [][]byte{data}, false, o)
}

// AppendBatch appends several values in one POST: in JSON mode each of
// values must be one JSON value and is stored as its own message (the body
// is the array of them, which the server flattens one level); otherwise the
// values' bytes are appended one after the other. The values land together
// or not at all, at one offset, and in the order given; appends made while
// an earlier POST is in flight may share the POST, as with Append.
func (s *Stream) AppendBatch(ctx context.Context, values [][]byte, o AppendOptions) (AppendResult, error) {
	return s.appendValues(ctx, values, true, o)
}

// appendValues is Append (one value, batch false) and AppendBatch: it
// checks the values and queues them as one item.
func (s *Stream) appendValues(ctx context.Context, values [][]byte, batch bool, o AppendOptions) (AppendResult, error) {
	ct, err := s.contentTypeFor(ctx, o.Header)
	if err != nil {
		return AppendResult{}, err
	}
	invalid := func(msg string, err error) (AppendResult, error) {
		return AppendResult{}, &Error{Code: CodeInvalidArgument, Op: "append", URL: s.url, Message: msg, Err: err}
	}
	if len(values) == 0 {
		return invalid("empty batch: the protocol rejects empty appends", nil)
	}
	size := 0
	for i, v := range values {
		what := "data"
		if batch {
			what = "value " + strconv.Itoa(i) + " of the batch"
		}
		if len(v) == 0 {
			return invalid(what+" is empty: the protocol rejects empty appends", nil)
		}
		if IsJSON(ct) {
			if err := jsonscan.Check(v); err != nil {
				return invalid(what+" is not one JSON value", err)
			}
		}
		size += len(v) + 1
	}
	if o.Retry != nil {
		if err := o.Retry.Validate(); err != nil {
			return AppendResult{}, err
		}
	}
	// One queue item whose data is what the POST's body carries for it:
	// in JSON mode the values joined by commas, which frame puts between
	// the brackets as items of the array.
	data := values[0]
	if len(values) > 1 {
		data = make([]byte, 0, size)
		for i, v := range values {
			if i > 0 && IsJSON(ct) {
				data = append(data, ',')
			}
			data = append(data, v...)
		}
	}
	off, err := s.enqueue(ctx, &appendItem{ctx: ctx, data: data, header: o.Header, seq: o.Seq, retry: o.Retry, onRetry: o.OnRetry})
	return AppendResult{Offset: off}, err
}

// Close closes the stream for appends, after the appends queued before it.
// Closing a closed stream again succeeds, unless a Body is given: then it
// gives STREAM_CLOSED.
func (s *Stream) Close(ctx context.Context, o CloseOptions) (CloseResult, error) {
	if len(o.Body) > 0 {
		ct, err := s.contentTypeFor(ctx, o.Header)
		if err != nil {
			return CloseResult{}, err
		}
		if IsJSON(ct) {
			if err := jsonscan.Check(o.Body); err != nil {
				return CloseResult{}, &Error{Code: CodeInvalidArgument, Op: "close", URL: s.url, Message: "body is not one JSON value", Err: err}
			}
		}
	}
	off, err := s.enqueue(ctx, &appendItem{ctx: ctx, data: o.Body, header: o.Header, close: true})
	return CloseResult{FinalOffset: off}, err
}

func (s *Stream) enqueue(ctx context.Context, it *appendItem) (string, error) {
	it.done = make(chan appendOutcome, 1)
	s.mu.Lock()
	s.queue = append(s.queue, it)
	start := !s.sending
	s.sending = true
	s.mu.Unlock()
	if start {
		go s.sendQueued()
	}
	select {
	case out := <-it.done:
		return out.offset, out.err
	case <-ctx.Done():
		op := "append"
		if it.close {
			op = "close"
		}
		return "", &Error{Code: CodeNetwork, Op: op, URL: s.url, Err: ctx.Err()}
	}
}

// sendQueued sends the queued appends, one POST at a time, until the queue
// is empty. Only one runs per stream.
func (s *Stream) sendQueued() {
	for {
		batch := s.nextBatch()
		if batch == nil {
			return
		}
		off, err := s.post(batch)
		for _, it := range batch {
			it.done <- appendOutcome{offset: off, err: err}
		}
	}
}

// nextBatch takes the appends for the next POST off the queue: the first
// one that is still wanted, and those after it that can share its POST.
func (s *Stream) nextBatch() []*appendItem {
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(s.queue) > 0 && s.queue[0].ctx.Err() != nil {
		s.queue[0].done <- appendOutcome{err: &Error{Code: CodeNetwork, Op: "append", URL: s.url, Err: s.queue[0].ctx.Err()}}
		s.queue = s.queue[1:]
	}
	if len(s.queue) == 0 {
		s.sending = false
		s.queue = nil
		return nil
	}
	first := s.queue[0]
	n, size := 1, len(first.data)
	if !first.close && !s.c.opts.DisableBatching {
		for n < len(s.queue) {
			next := s.queue[n]
			if next.close || next.ctx.Err() != nil || !maps.Equal(next.header, first.header) || !samePolicy(next.retry, first.retry) ||
				size+len(next.data) > s.c.opts.MaxBatchBytes {
				break
			}
			size += len(next.data)
			n++
		}
	}
	batch := s.queue[:n:n]
	s.queue = s.queue[n:]
	return batch
}

// post sends one batch of appends (or one close) and returns the offset.
func (s *Stream) post(batch []*appendItem) (string, error) {
	first := batch[0]
	ct := s.ContentType()
	h := s.c.headers(first.header)
	op := "append"
	var body []byte
	switch {
	case first.close:
		op = "close"
		h.Set(headerClosed, "true")
		if len(first.data) > 0 {
			body = frame(ct, batch)
		}
	default:
		body = frame(ct, batch)
		if seq := batch[len(batch)-1].seq; seq != "" {
			h.Set(headerSeq, seq)
		}
	}
	if len(body) > 0 {
		h.Set(headerContentType, ct)
	}
	ctx, cancel := allDone(batch)
	defer cancel()
	var hooks []func(Retry)
	for _, it := range batch {
		if it.onRetry != nil {
			hooks = append(hooks, it.onRetry)
		}
	}
	rep, err := s.c.do(ctx, call{op: op, url: s.url, method: "POST", reqURL: s.url, header: h, body: body,
		sentSeq: h.Has(headerSeq), accept: statusIs(200, 204), retryDrop: true, retry: first.retry,
		onRetry: func(r Retry) {
			for _, f := range hooks {
				f(r)
			}
		}})
	if err != nil {
		return "", err
	}
	return rep.header.Get(headerNextOffset), nil
}

// allDone returns a context that ends when the contexts of every item have
// ended: a POST goes on while anyone still waits for it.
func allDone(batch []*appendItem) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.Background())
	var mu sync.Mutex
	left := len(batch)
	stops := make([]func() bool, len(batch))
	for i, it := range batch {
		stops[i] = context.AfterFunc(it.ctx, func() {
			mu.Lock()
			left--
			if left == 0 {
				cancel()
			}
			mu.Unlock()
		})
	}
	return ctx, func() {
		for _, stop := range stops {
			stop()
		}
		cancel()
	}
}

// frame builds the body of a POST carrying the items: in JSON mode an array
// of their values (the server flattens one level, so each item stays one
// message), otherwise their bytes one after the other.
func frame(contentType string, items []*appendItem) []byte {
	data := make([][]byte, len(items))
	for i, it := range items {
		data[i] = it.data
	}
	if IsJSON(contentType) {
		return frameItems(data)
	}
	return concat(data)
}

// samePolicy reports whether two appends retry alike (nil: the client's).
func samePolicy(a, b *RetryPolicy) bool {
	return a == b || (a != nil && b != nil && *a == *b)
}
