//go:build js && wasm

package main

import (
	"context"
	"errors"
	"io"
	"sync"
	"time"

	"github.com/streamdb/streamdb/core/jswire"
	"github.com/streamdb/streamdb/core/stream"
	"github.com/streamdb/streamdb/internal/strfmt"
	"github.com/streamdb/streamdb/wasm/internal/jsval"
)

// streamAPI holds the exports that expose core/stream, the Durable Streams
// client, to JS: create, append, head and read.
type streamAPI struct {
	b      *bridge
	client *stream.Client

	mu sync.Mutex
	// writers holds a handle per stream URL with appends in flight, so
	// that appends to one stream share a stream.Stream (and so its
	// coalescing into one POST) and keep their call order.
	writers map[string]*writer
}

// writer orders the appends to one stream.
type writer struct {
	s *stream.Stream
	// tail is closed once the newest append so far has been handed to
	// s.Append (nil when none was).
	tail chan struct{}
	// pending counts appends not yet finished; at 0 the writer is dropped.
	pending int
}

// register adds the stream exports to b.
func (a *streamAPI) register() error {
	for _, e := range []struct {
		name    string
		prepare prepareFunc
	}{
		{"create", a.create},
		{"append", a.append},
		{"head", a.head},
		{"read", a.read},
	} {
		if err := a.b.async(e.name, e.prepare); err != nil {
			return err
		}
	}
	return nil
}

// create is create(url, {contentType, ttlSeconds, closed, headers}) →
// Promise<{created, status, offset, closed}>.
func (a *streamAPI) create(ctx context.Context, args []jsval.Value) (runFunc, func(), error) {
	url := argString(arg(args, 0), "url")
	o := argOptions(arg(args, 1), "options")
	opts := stream.CreateOptions{
		ContentType: optString(o, "contentType"),
		TTL:         time.Duration(optUint(o, "ttlSeconds")) * time.Second,
		Closed:      optBool(o, "closed"),
		Header:      optHeaders(o),
	}
	return func() (any, error) {
		res, err := a.client.Stream(url).Create(ctx, opts)
		if err != nil {
			return nil, err
		}
		return obj{"created": res.Created, "status": res.Status, "offset": res.Offset, "closed": res.Closed}, nil
	}, nil, nil
}

// append is append(url, data, {contentType, headers, signal, retry,
// onRetry}) → Promise<{offset}>. An abort of signal makes it reject (the
// POST it shares with other appends goes on for them); retry is the JSON
// text of a retry policy ({maxRetries, initialDelayMs, maxDelayMs,
// multiplier}) for its POST, and onRetry is called with the Error of each
// failed attempt that is retried.
// data is a Uint8Array or a string (in JSON mode, one JSON value); with
// batch: true it is an Array of them, appended in one POST (in JSON mode
// each one message). With contentType the stream's type is known and no
// HEAD request is made.
//
// Appends to one URL are handed to the client in call order, so calls made
// without awaiting each other land in that order and may share a POST.
func (a *streamAPI) append(ctx context.Context, args []jsval.Value) (runFunc, func(), error) {
	url := argString(arg(args, 0), "url")
	o := argOptions(arg(args, 2), "options")
	batch := optBool(o, "batch")
	var values [][]byte
	if batch {
		values = a.b.argBytesList(arg(args, 1), "data")
	} else {
		values = [][]byte{a.b.argBytes(arg(args, 1), "data")}
	}
	ct := optString(o, "contentType")
	h := optHeaders(o)
	if gw := optString(o, "gateway"); gw != "" {
		if gatewayAppend == nil {
			return nil, nil, errNoGateway
		}
		// The signal ends the wait for the ack (db.close() aborts it); the
		// append itself may still land, as one over HTTP may.
		ctx, cleanup, err := a.b.abortable(ctx, field(o, "signal"), "append")
		if err != nil {
			return nil, cleanup, err
		}
		run, err := gatewayAppend(ctx, gw, url, values, h)
		return run, cleanup, err
	}
	ao := stream.AppendOptions{Header: h}
	if text := optString(o, "retry"); text != "" {
		p, err := jswire.ParseRetry(text)
		if err != nil {
			return nil, nil, err
		}
		ao.Retry = &p
	}
	if fn := argFunc(field(o, "onRetry"), "options.onRetry"); fn.Type() == jsval.TypeFunction {
		ao.OnRetry = func(r stream.Retry) {
			_, _ = fn.Invoke(a.b.errorValue(r.Err))
		}
	}
	// Last of the arguments: it registers a listener that cleanup removes.
	ctx, cleanup, err := a.b.abortable(ctx, field(o, "signal"), "append")
	if err != nil {
		return nil, cleanup, err
	}

	// Take a place in the stream's order now, inside the callback: the
	// goroutines below may start in any order.
	w, prev, next := a.acquire(url)
	return func() (any, error) {
		defer a.releaseWriter(url, w)
		handed := sync.OnceFunc(func() { close(next) })
		defer handed()
		if prev != nil {
			<-prev // every append closes its channel, even on failure
		}
		if ct != "" {
			w.s.SetContentType(ct)
		} else if w.s.ContentType() == "" {
			// Learn the type while holding our place, so that Append
			// below reaches the stream's queue without waiting.
			if _, err := w.s.Head(ctx, h); err != nil {
				return nil, err
			}
		}
		// Let the next append go once this one is queued. Go's js/wasm
		// scheduler is cooperative: Append runs to its queue before the
		// next goroutine gets to run.
		handed()
		var res stream.AppendResult
		var err error
		if batch {
			res, err = w.s.AppendBatch(ctx, values, ao)
		} else {
			res, err = w.s.Append(ctx, values[0], ao)
		}
		if err != nil {
			return nil, err
		}
		return obj{"offset": res.Offset}, nil
	}, cleanup, nil
}

// acquire returns the writer of url and the channels that order an append:
// wait for prev (nil when none), close next once handed to the client.
func (a *streamAPI) acquire(url string) (w *writer, prev, next chan struct{}) {
	a.mu.Lock()
	defer a.mu.Unlock()
	w = a.writers[url]
	if w == nil {
		w = &writer{s: a.client.Stream(url)}
		a.writers[url] = w
	}
	w.pending++
	prev, next = w.tail, make(chan struct{})
	w.tail = next
	return w, prev, next
}

// releaseWriter ends one append of w and drops w when none is left.
func (a *streamAPI) releaseWriter(url string, w *writer) {
	a.mu.Lock()
	defer a.mu.Unlock()
	w.pending--
	if w.pending == 0 && a.writers[url] == w {
		delete(a.writers, url)
	}
}

// head is head(url, {headers}) → Promise<{contentType, offset, closed}>.
func (a *streamAPI) head(ctx context.Context, args []jsval.Value) (runFunc, func(), error) {
	url := argString(arg(args, 0), "url")
	h := optHeaders(argOptions(arg(args, 1), "options"))
	return func() (any, error) {
		m, err := a.client.Stream(url).Head(ctx, h)
		if err != nil {
			return nil, err
		}
		return obj{"contentType": m.ContentType, "offset": m.Offset, "closed": m.Closed}, nil
	}, nil, nil
}

// read is read(url, {offset, live, maxBatches, headers, signal}, onBatch?)
// → Promise<{offset, upToDate, closed, cursor, contentType}>.
//
// It reads from offset (default "-1", the start) until it is up to date
// (live false or absent), or, with live "long-poll" or "sse", until
// maxBatches batches with data have arrived (0: no limit) or the stream is
// closed. onBatch, when given, is called once per batch with
// {data: Uint8Array, offset, upToDate, closed, status, cursor}, the bytes
// copied in one bulk copy (in JSON mode, data is one JSON array). If it
// throws, the read stops and rejects. When signal (an AbortSignal) aborts,
// the read stops and rejects with an Error named "AbortError".
func (a *streamAPI) read(ctx context.Context, args []jsval.Value) (runFunc, func(), error) {
	url := argString(arg(args, 0), "url")
	o := argOptions(arg(args, 1), "options")
	ro := stream.ReadOptions{Offset: optString(o, "offset"), Header: optHeaders(o)}
	switch live := field(o, "live"); {
	case isNullish(live):
	case live.Type() == jsval.TypeBoolean:
		if on, _ := live.Bool(); on {
			badArg(`options.live must be false, "long-poll" or "sse", got true`)
		}
	case live.Type() == jsval.TypeString:
		ro.Live = stream.LiveMode(argString(live, "options.live"))
		if ro.Live != stream.LiveLongPoll && ro.Live != stream.LiveSSE {
			badArg(`options.live must be false, "long-poll" or "sse", got %q`, string(ro.Live))
		}
	default:
		badArg(`options.live must be false, "long-poll" or "sse", got %v`, live.Type())
	}
	maxBatches := optUint(o, "maxBatches")
	onBatch := argFunc(arg(args, 2), "onBatch")
	// Last: it registers a listener that cleanup must remove.
	ctx, cleanup, err := a.b.abortable(ctx, field(o, "signal"), "read")
	if err != nil {
		return nil, cleanup, err
	}
	return func() (any, error) {
		r, err := a.client.Stream(url).Read(ctx, ro)
		if err != nil {
			return nil, err
		}
		defer r.Close()
		withData := 0
		for {
			batch, err := r.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				var ab *abortError
				if errors.As(context.Cause(ctx), &ab) {
					return nil, ab
				}
				return nil, err
			}
			if !onBatch.IsUndefined() {
				if err := a.deliver(onBatch, batch); err != nil {
					return nil, err
				}
			}
			if len(batch.Data) > 0 {
				withData++
			}
			if batch.Closed || (maxBatches > 0 && withData >= maxBatches) {
				break
			}
		}
		return obj{"offset": r.Offset(), "upToDate": r.UpToDate(), "closed": r.Closed(),
			"cursor": r.Cursor(), "contentType": r.ContentType()}, nil
	}, cleanup, nil
}

// deliver calls onBatch with one batch: one Uint8Array copy and one call.
func (a *streamAPI) deliver(onBatch jsval.Value, batch *stream.Batch) error {
	data, err := a.b.bytesToJS(batch.Data)
	if err != nil {
		return strfmt.Errorf("streamdb: read: copy batch: %w", err)
	}
	v := jsValue(obj{"data": data, "offset": batch.Offset, "upToDate": batch.UpToDate,
		"closed": batch.Closed, "status": batch.Status, "cursor": batch.Cursor})
	if _, err := onBatch.Invoke(v); err != nil {
		return strfmt.Errorf("streamdb: read: onBatch threw: %w", err)
	}
	return nil
}

// abortable returns a context that ends when signal (an AbortSignal, or
// undefined/null for none) aborts, with an *abortError as its cause, and
// the cleanup that stops listening. A signal that has already aborted gives
// the abortError at once.
func (b *bridge) abortable(ctx context.Context, signal jsval.Value, op string) (context.Context, func(), error) {
	if isNullish(signal) {
		return ctx, nil, nil
	}
	if signal.Type() != jsval.TypeObject {
		badArg("options.signal must be an AbortSignal, got %v", signal.Type())
	}
	if add, _ := signal.Get("addEventListener"); add.Type() != jsval.TypeFunction {
		badArg("options.signal must be an AbortSignal")
	}
	aborted, _ := signal.Get("aborted")
	if yes, _ := aborted.Truthy(); yes {
		reason, _ := signal.Get("reason")
		return ctx, nil, &abortError{op: op, reason: reason}
	}
	ctx, cancel := context.WithCancelCause(ctx)
	onAbort, err := b.newFunc(func(jsval.Value, []jsval.Value) any {
		reason, _ := signal.Get("reason")
		cancel(&abortError{op: op, reason: reason})
		return nil
	})
	if err != nil {
		cancel(nil)
		return ctx, nil, strfmt.Errorf("streamdb: %s: listen to signal: %w", op, err)
	}
	if _, err := signal.Call("addEventListener", "abort", onAbort); err != nil {
		b.release(onAbort)
		cancel(nil)
		return ctx, nil, strfmt.Errorf("streamdb: %s: listen to signal: %w", op, err)
	}
	return ctx, func() {
		_, _ = signal.Call("removeEventListener", "abort", onAbort)
		b.release(onAbort)
		cancel(nil)
	}, nil
}
