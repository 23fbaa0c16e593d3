//go:build js && wasm

// Package fetch implements stream.Transport for the browser on top of the
// Fetch API, called through github.com/hack-pad/jsval.
//
// It does not use net/http, which would add several megabytes to the wasm
// binary and, under Node, would not even use fetch. Response bodies stream:
// each Read awaits one chunk from response.body's reader, so SSE and
// long-poll responses are seen as they arrive.
//
// RoundTrip and Body.Read wait on Go channels that promise callbacks feed.
// They must be called from a goroutine, never from inside a js.FuncOf
// callback, or they deadlock the JS event loop.
package fetch

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"sync"

	"github.com/streamdb/streamdb/core/jsonscan"
	"github.com/streamdb/streamdb/core/stream"
	"github.com/streamdb/streamdb/core/value"
	"github.com/streamdb/streamdb/internal/strfmt"
	"github.com/streamdb/streamdb/wasm/internal/jsval"
)

// Transport sends stream.Requests with the browser's fetch function.
//
// The zero value is ready to use and safe for concurrent use; its
// fields must not change while requests are in flight.
type Transport struct {
	// Mode is RequestInit.mode. Empty means "cors".
	Mode string
	// Credentials is RequestInit.credentials. Empty means "omit": the
	// reference server answers CORS with "*", which forbids credentials.
	Credentials string
	// Init holds extra RequestInit members, for example
	// {"cache": "no-store"} or {"priority": "high"}. Values must be
	// convertible by js.ValueOf. Method, headers, body, signal, mode and
	// credentials are always set by RoundTrip and override entries here.
	Init map[string]any
	// Helper, when it is a function, is the page's request function
	// (js/fetch.js request): RoundTrip then starts a request with one call
	// and learns its status, header and, for a Request.Whole, its whole
	// body (when small) from one settled promise, instead of making a call into JS for
	// each of them. Without it RoundTrip calls fetch itself.
	Helper jsval.Value
}

// New returns a Transport with the defaults: mode "cors", credentials
// "omit", no extra RequestInit members.
func New() *Transport { return &Transport{} }

var _ stream.StartingTransport = (*Transport)(nil)

// hosts follows this page's requests per host as the browser queues them
// (one queue for every Transport: the browser's connections are the
// page's). fetch does not say when a request leaves, so a request is taken
// to leave once fewer than stream.BrowserConnsPerHost requests before it
// to the same host are still going (RoundTripStarting).
var hosts = stream.NewHostQueue(stream.BrowserConnsPerHost)

// RoundTrip sends req with fetch and returns as soon as the response status
// and header have arrived; the body streams through Response.Body, which
// the caller must close. Every status code is a Response; a failed fetch
// (network error, CORS refusal, abort) is an error that names the method
// and URL and wraps a *JSError.
//
// Each request has an AbortController. When ctx is done, the controller
// aborts the request, and a body still being read fails with an error for
// which errors.Is(err, ctx.Err()) holds.
func (t *Transport) RoundTrip(ctx context.Context, req *stream.Request) (*stream.Response, error) {
	return t.RoundTripStarting(ctx, req, nil)
}

// RoundTripStarting is RoundTrip that calls started (when not nil) once
// the request has probably left the browser: at once, or when enough of
// the page's earlier requests to the same host have ended (hosts). Over
// HTTP/1.1 a browser opens six connections to a host and queues the
// requests beyond them; a reader's idle rule then counts from when the
// request got its turn.
func (t *Transport) RoundTripStarting(ctx context.Context, req *stream.Request, started func()) (*stream.Response, error) {
	if req == nil {
		return nil, errors.New("fetch: nil request")
	}
	method := req.Method
	if method == "" {
		method = "GET"
	}
	rt := &roundTrip{ctx: ctx, method: method, url: req.URL}
	if err := ctx.Err(); err != nil {
		return nil, rt.wrap("", err)
	}
	rt.slot = hosts.Take(req.URL, started)
	resp, err := rt.run(t, req)
	if err != nil {
		rt.slot.Release()
	}
	return resp, err
}

// roundTrip holds the state of one request.
type roundTrip struct {
	ctx    context.Context
	method string
	url    string
	// controller is the request's AbortController, or abortFn the
	// function that aborts a request the Helper started.
	controller jsval.Value
	abortFn    jsval.Value
	// stopAbort unregisters the context.AfterFunc that aborts the request.
	stopAbort func() bool
	// slot is the request's place among the page's requests to its host,
	// released when the request ends: with an error, with its whole body
	// in hand, or when its streamed body ends or is closed.
	slot *stream.HostSlot
}

// wrap adds the method, URL and an optional step to err. When the context
// is done and err does not say so, ctx.Err() is wrapped as well.
func (rt *roundTrip) wrap(step string, err error) error {
	prefix := "fetch: " + rt.method + " " + rt.url
	if step != "" {
		prefix += ": " + step
	}
	if cerr := rt.ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		return strfmt.Errorf("%s: %w: %w", prefix, cerr, err)
	}
	return strfmt.Errorf("%s: %w", prefix, err)
}

// ended is the end of a request whose response was received: its abort
// stops watching ctx, and its connection is free for the next request to
// its host (hosts).
func (rt *roundTrip) ended() {
	if rt.stopAbort != nil {
		rt.stopAbort()
	}
	rt.slot.Release()
}

// abort aborts the request through its AbortController. It is safe to
// call more than once and from any goroutine.
func (rt *roundTrip) abort() {
	if rt.abortFn.Type() == jsval.TypeFunction {
		_, _ = rt.abortFn.Invoke()
		return
	}
	_, _ = rt.controller.Call("abort")
}

func (rt *roundTrip) run(t *Transport, req *stream.Request) (*stream.Response, error) {
	if t != nil && t.Helper.Type() == jsval.TypeFunction {
		return rt.runHelper(t, req)
	}
	global := jsval.Global()
	fetchFn, err := global.Get("fetch")
	if err != nil || fetchFn.Type() != jsval.TypeFunction {
		return nil, rt.wrap("", strfmt.Errorf("no global fetch function: %w", errInvalid))
	}
	abortCtor, err := global.Get("AbortController")
	if err != nil {
		return nil, rt.wrap("", err)
	}
	rt.controller, err = abortCtor.New()
	if err != nil {
		return nil, rt.wrap("new AbortController", err)
	}
	init, err := t.requestInit(rt, req)
	if err != nil {
		return nil, rt.wrap("build RequestInit", err)
	}

	// Abort the request, and later its body, as soon as ctx is done. The
	// abort also settles every pending promise of this request, so the
	// callbacks that await them get released.
	rt.stopAbort = context.AfterFunc(rt.ctx, rt.abort)

	promise, err := fetchFn.Invoke(req.URL, init)
	if err != nil {
		rt.stopAbort()
		return nil, rt.wrap("", err)
	}
	v, err := rt.settle(promise)
	if err != nil {
		return nil, err
	}
	resp, err := rt.response(v)
	if err != nil {
		rt.stopAbort()
		rt.abort()
		return nil, err
	}
	return resp, nil
}

// settle waits for the request's promise and returns its value. On a
// failure the request is aborted and no longer watched.
func (rt *roundTrip) settle(promise jsval.Value) (jsval.Value, error) {
	settled, err := await(promise)
	if err != nil {
		rt.stopAbort()
		rt.abort()
		return jsval.Value{}, rt.wrap("", err)
	}
	var o outcome
	select {
	case o = <-settled:
	case <-rt.ctx.Done():
		// AfterFunc aborts the fetch; the callbacks release themselves
		// when the promise rejects with the AbortError.
		return jsval.Value{}, rt.wrap("", rt.ctx.Err())
	}
	switch {
	case o.err != nil:
		rt.stopAbort()
		rt.abort()
		return jsval.Value{}, rt.wrap("", o.err)
	case o.rejected != nil:
		rt.stopAbort()
		return jsval.Value{}, rt.wrap("", o.rejected)
	}
	if err := rt.ctx.Err(); err != nil {
		// The response won the race against cancellation: the abort
		// already errors its body; report the cancellation.
		return jsval.Value{}, rt.wrap("", err)
	}
	return o.value, nil
}

// runHelper sends req through t.Helper: one call starts it, and one
// settled promise brings [status, headersJSON, body], where body is the
// whole body for a Whole request and a stream reader (or null) otherwise.
func (rt *roundTrip) runHelper(t *Transport, req *stream.Request) (*stream.Response, error) {
	reqBody := jsval.Undefined()
	if req.Body != nil {
		var err error
		if reqBody, err = uint8Array(req.Body); err != nil {
			return nil, rt.wrap("copy body", err)
		}
	}
	started, err := t.Helper.Invoke(req.URL, t.initJSON(rt, req), reqBody, req.Whole)
	if err != nil {
		return nil, rt.wrap("", err)
	}
	promise, err := started.Index(0)
	if err == nil {
		rt.abortFn, err = started.Index(1)
	}
	if err != nil {
		return nil, rt.wrap("", err)
	}
	rt.stopAbort = context.AfterFunc(rt.ctx, rt.abort)
	v, err := rt.settle(promise)
	if err != nil {
		return nil, err
	}
	resp, err := rt.helperResponse(v, req.Whole)
	if err != nil {
		rt.stopAbort()
		rt.abort()
		return nil, err
	}
	return resp, nil
}

// helperResponse converts the [status, headersJSON, body] of t.Helper into
// a stream.Response.
func (rt *roundTrip) helperResponse(v jsval.Value, whole bool) (*stream.Response, error) {
	statusV, err := v.Index(0)
	if err != nil {
		return nil, rt.wrap("read status", err)
	}
	status, err := statusV.Int()
	if err != nil {
		return nil, rt.wrap("read status", err)
	}
	headersV, err := v.Index(1)
	if err != nil {
		return nil, rt.wrap("read headers", err)
	}
	text, err := headersV.String()
	if err != nil {
		return nil, rt.wrap("read headers", err)
	}
	header, err := parseHeaders(text)
	if err != nil {
		return nil, rt.wrap("read headers", err)
	}
	bodyV, err := v.Index(2)
	if err != nil {
		return nil, rt.wrap("read body", err)
	}
	if whole && isBytes(bodyV) { // the helper gives a large body as a reader
		n, err := bodyV.Length()
		if err != nil {
			return nil, rt.wrap("read body", err)
		}
		buf := make([]byte, n)
		if _, err := jsval.CopyBytesToGo(buf, bodyV); err != nil {
			return nil, rt.wrap("copy body", err)
		}
		// All of it is here: nothing is left to abort, and the connection
		// is free.
		rt.ended()
		return &stream.Response{StatusCode: status, Header: header, Body: io.NopCloser(bytes.NewReader(buf))}, nil
	}
	b := &body{rt: rt}
	if bodyV.IsNull() || bodyV.IsUndefined() {
		b.finish(io.EOF)
	} else {
		b.reader = bodyV
	}
	return &stream.Response{StatusCode: status, Header: header, Body: b}, nil
}

// isBytes reports whether v is a Uint8Array (rather than a stream reader).
func isBytes(v jsval.Value) bool {
	if v.Type() != jsval.TypeObject {
		return false
	}
	n, err := v.Get("byteLength")
	return err == nil && n.Type() == jsval.TypeNumber
}

// modes returns RequestInit's mode and credentials: t's, or "cors" and
// "omit" (also for a nil t).
func (t *Transport) modes() (mode, credentials string) {
	mode, credentials = "cors", "omit"
	if t != nil && t.Mode != "" {
		mode = t.Mode
	}
	if t != nil && t.Credentials != "" {
		credentials = t.Credentials
	}
	return mode, credentials
}

// initJSON is the JSON text of the RequestInit for req, without its body
// and signal (t.Helper adds them).
func (t *Transport) initJSON(rt *roundTrip, req *stream.Request) string {
	mode, credentials := t.modes()
	str := func(buf []byte, s string) []byte { return value.AppendJSON(buf, value.String(s)) }
	buf := str(append(make([]byte, 0, 256), `{"method":`...), rt.method)
	buf = str(append(buf, `,"mode":`...), mode)
	buf = str(append(buf, `,"credentials":`...), credentials)
	if req.Reload {
		buf = append(buf, `,"cache":"reload"`...)
	}
	buf = append(buf, `,"headers":{`...)
	sep := ""
	for k, v := range req.Header {
		buf = str(append(buf, sep...), k)
		buf = str(append(buf, ':'), v)
		sep = ","
	}
	buf = append(buf, '}')
	for k, v := range t.Init {
		switch k {
		case "method", "headers", "body", "signal", "mode", "credentials":
			continue
		}
		buf = str(append(buf, ','), k)
		buf = appendInitValue(append(buf, ':'), v)
	}
	return string(append(buf, '}'))
}

// appendInitValue appends v, a member of Transport.Init, as JSON: strings,
// booleans and numbers; anything else becomes null.
func appendInitValue(buf []byte, v any) []byte {
	switch x := v.(type) {
	case string:
		return value.AppendJSON(buf, value.String(x))
	case bool:
		return value.AppendJSON(buf, value.Bool(x))
	case int:
		return value.AppendJSON(buf, value.Number(float64(x)))
	case float64:
		return value.AppendJSON(buf, value.Number(x))
	}
	return append(buf, "null"...)
}

// requestInit builds the RequestInit object for req.
func (t *Transport) requestInit(rt *roundTrip, req *stream.Request) (jsval.Value, error) {
	headers := make(map[string]any, len(req.Header))
	for k, v := range req.Header {
		headers[k] = v
	}
	mode, credentials := t.modes()
	members := map[string]any{}
	if t != nil {
		for k, v := range t.Init {
			members[k] = v
		}
	}
	members["method"] = rt.method
	members["headers"] = headers
	members["mode"] = mode
	members["credentials"] = credentials
	if req.Reload {
		members["cache"] = "reload"
	}
	init, err := jsval.ValueOf(members)
	if err != nil {
		return jsval.Value{}, err
	}
	signal, err := rt.controller.Get("signal")
	if err != nil {
		return jsval.Value{}, err
	}
	if err := init.Set("signal", signal); err != nil {
		return jsval.Value{}, err
	}
	if req.Body != nil {
		body, err := uint8Array(req.Body)
		if err != nil {
			return jsval.Value{}, strfmt.Errorf("copy body: %w", err)
		}
		if err := init.Set("body", body); err != nil {
			return jsval.Value{}, err
		}
	}
	return init, nil
}

// uint8Array returns a new JS Uint8Array holding a copy of b.
func uint8Array(b []byte) (jsval.Value, error) {
	ctor, err := jsval.Global().Get("Uint8Array")
	if err != nil {
		return jsval.Value{}, err
	}
	arr, err := ctor.New(len(b))
	if err != nil {
		return jsval.Value{}, err
	}
	if _, err := jsval.CopyBytesToJS(arr, b); err != nil {
		return jsval.Value{}, err
	}
	return arr, nil
}

// response converts a JS Response into a stream.Response whose Body
// streams from response.body.
func (rt *roundTrip) response(v jsval.Value) (*stream.Response, error) {
	statusV, err := v.Get("status")
	if err != nil {
		return nil, rt.wrap("read status", err)
	}
	status, err := statusV.Int()
	if err != nil {
		return nil, rt.wrap("read status", err)
	}
	header, err := readHeaders(v)
	if err != nil {
		return nil, rt.wrap("read headers", err)
	}
	bodyV, err := v.Get("body")
	if err != nil {
		return nil, rt.wrap("read body", err)
	}
	b := &body{rt: rt}
	if bodyV.IsNull() || bodyV.IsUndefined() {
		// No body at all (204, 304, HEAD): reads end at once.
		b.finish(io.EOF)
	} else {
		b.reader, err = bodyV.Call("getReader")
		if err != nil {
			return nil, rt.wrap("get body reader", err)
		}
	}
	return &stream.Response{StatusCode: status, Header: header, Body: b}, nil
}

// readHeaders copies response.headers into a stream.Header. Each call
// into JS costs microseconds, so it makes three: Object.fromEntries over
// the Headers, then JSON.stringify, and one string comes back to decode
// here. Fetch already lower-cases names and joins repeated fields with
// ", ".
func readHeaders(resp jsval.Value) (stream.Header, error) {
	hv, err := resp.Get("headers")
	if err != nil {
		return nil, err
	}
	g, err := jsGlobals()
	if err != nil {
		return nil, err
	}
	obj, err := g.object.Call("fromEntries", hv)
	if err != nil {
		return nil, err
	}
	text, err := g.json.Call("stringify", obj)
	if err != nil {
		return nil, err
	}
	s, err := text.String()
	if err != nil {
		return nil, err
	}
	return parseHeaders(s)
}

// parseHeaders reads the JSON text of an object of header fields.
func parseHeaders(s string) (stream.Header, error) {
	h := stream.Header{}
	err := jsonscan.ObjectFields([]byte(s), func(name string, raw []byte) error {
		v, err := jsonscan.Unquote(raw)
		if err != nil {
			return strfmt.Errorf("header %q: %w", name, errInvalid)
		}
		h[strings.ToLower(name)] = v
		return nil
	})
	return h, err
}

// globals are the JS objects readHeaders calls, looked up once.
type globals struct{ object, json jsval.Value }

var jsGlobals = sync.OnceValues(func() (globals, error) {
	object, err := jsval.Global().Get("Object")
	if err != nil {
		return globals{}, err
	}
	json, err := jsval.Global().Get("JSON")
	return globals{object, json}, err
})

// errClosed is returned by Read after Close.
var errClosed = errors.New("read on closed response body")

// body streams a fetch response body through its ReadableStream reader.
type body struct {
	rt     *roundTrip
	reader jsval.Value // a ReadableStreamDefaultReader; unset when no body

	// buf holds bytes of the last chunk that did not fit into p; store is
	// its backing array, reused between chunks. Only Read touches them.
	buf   []byte
	store []byte

	mu       sync.Mutex
	closed   bool
	finished bool  // the stream ended (EOF, error or Close): no more reader.read()
	err      error // io.EOF or the wrapped error that ended the stream; set iff finished
}

// Read copies the next bytes of the body into p. It awaits one chunk from
// the reader when no bytes are left over from the previous chunk. It returns
// io.EOF at the end of the body, and a wrapped error when the stream fails
// (network drop, abort); when ctx is done, that error matches ctx.Err().
func (b *body) Read(p []byte) (int, error) {
	if err := b.state(); err != nil {
		return 0, err
	}
	if len(b.buf) > 0 {
		n := copy(p, b.buf)
		b.buf = b.buf[n:]
		return n, nil
	}
	if len(p) == 0 {
		return 0, nil
	}
	for {
		chunk, err := b.next()
		if err != nil {
			return 0, err
		}
		n, err := chunk.Length()
		if err != nil {
			return 0, b.fail("read body", err)
		}
		if n == 0 {
			continue
		}
		if n <= len(p) {
			if _, err := jsval.CopyBytesToGo(p[:n], chunk); err != nil {
				return 0, b.fail("copy chunk", err)
			}
			return n, nil
		}
		if cap(b.store) < n {
			b.store = make([]byte, n)
		}
		b.buf = b.store[:n]
		if _, err := jsval.CopyBytesToGo(b.buf, chunk); err != nil {
			b.buf = nil
			return 0, b.fail("copy chunk", err)
		}
		m := copy(p, b.buf)
		b.buf = b.buf[m:]
		return m, nil
	}
}

// state returns the error a Read must return now, if any.
func (b *body) state() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return b.rt.wrap("", errClosed)
	}
	return b.err
}

// next awaits reader.read() and returns the chunk (a Uint8Array).
func (b *body) next() (jsval.Value, error) {
	p, err := b.reader.Call("read")
	if err != nil {
		return jsval.Value{}, b.fail("read body", err)
	}
	settled, err := await(p)
	if err != nil {
		return jsval.Value{}, b.fail("read body", err)
	}
	var o outcome
	select {
	case o = <-settled:
	case <-b.rt.ctx.Done():
		// The AfterFunc aborts the request, which errors the stream and
		// rejects this read, releasing its callbacks.
		return jsval.Value{}, b.fail("read body", b.rt.ctx.Err())
	}
	if err := b.state(); err != nil { // Close ran while we waited
		return jsval.Value{}, err
	}
	switch {
	case o.err != nil:
		return jsval.Value{}, b.fail("read body", o.err)
	case o.rejected != nil:
		return jsval.Value{}, b.fail("read body", o.rejected)
	}
	doneV, err := o.value.Get("done")
	if err != nil {
		return jsval.Value{}, b.fail("read body", err)
	}
	done, err := doneV.Truthy()
	if err != nil {
		return jsval.Value{}, b.fail("read body", err)
	}
	if done {
		return jsval.Value{}, b.finish(io.EOF)
	}
	chunk, err := o.value.Get("value")
	if err != nil {
		return jsval.Value{}, b.fail("read body", err)
	}
	return chunk, nil
}

// fail ends the stream with err wrapped with the request context.
func (b *body) fail(step string, err error) error {
	return b.finish(b.rt.wrap(step, err))
}

// finish records the error that ends the stream (io.EOF at the end),
// stops watching ctx, and returns the recorded error. The first error wins.
func (b *body) finish(err error) error {
	b.mu.Lock()
	if b.finished {
		err = b.err
		b.mu.Unlock()
		return err
	}
	b.finished = true
	b.err = err
	b.mu.Unlock()
	b.rt.ended()
	if err != io.EOF {
		// Make sure the connection is torn down after a failed read.
		b.rt.abort()
	}
	return err
}

// Close stops the body. If the stream has not ended, it cancels the reader
// (reader.cancel()), which also ends the underlying fetch and settles a Read
// still waiting. Reads after Close fail. Close is safe to call more than
// once and concurrently with Read.
func (b *body) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	finished := b.finished
	if !finished {
		b.finished = true
		b.err = b.rt.wrap("", errClosed)
	}
	b.mu.Unlock()
	b.rt.ended()
	if finished {
		return nil
	}
	p, err := b.reader.Call("cancel")
	if err != nil {
		b.rt.abort()
		return b.rt.wrap("cancel body", err)
	}
	// cancel() returns a promise that rejects if the stream had errored
	// meanwhile; handle it with a built-in no-op function (no js.Func to
	// release) so the page logs no unhandled rejection.
	if noop, err := noopFunc(); err == nil {
		_, _ = p.Call("catch", noop)
	}
	return nil
}

// noopFunc returns Function.prototype, a built-in function that accepts
// any arguments and returns undefined.
func noopFunc() (jsval.Value, error) {
	fn, err := jsval.Global().Get("Function")
	if err != nil {
		return jsval.Value{}, err
	}
	return fn.Get("prototype")
}
