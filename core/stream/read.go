package stream

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"strconv"
	"sync"
	"time"

	"github.com/streamdb/streamdb/core/jsonscan"
)

// LiveMode says how a Reader goes on once it has caught up.
type LiveMode string

// The live modes.
const (
	// LiveOff stops at the first up-to-date response (catch-up only).
	LiveOff LiveMode = ""
	// LiveLongPoll waits for new data with long-poll requests.
	LiveLongPoll LiveMode = "long-poll"
	// LiveSSE keeps a server-sent-events connection open.
	LiveSSE LiveMode = "sse"
)

// ReadOptions configure Stream.Read.
type ReadOptions struct {
	// Offset is where to start: OffsetStart ("-1", the default), OffsetNow,
	// or an offset returned by the server.
	Offset string
	// Live says what to do after catching up.
	Live LiveMode
	// Cursor is a Stream-Cursor from an earlier session, echoed on the
	// first live request.
	Cursor string
	// Header holds extra request header fields.
	Header Header
	// Params holds extra query parameters.
	Params map[string]string
	// Refresh, when set, is called before every request (in the reader's
	// goroutine; with ReadAhead also in the one that sends a request ahead,
	// and a call for a request ahead that gets dropped may overlap the
	// next one) for header fields and query parameters computed anew each
	// time, such as a token that expires: they go on top of Header and
	// Params. An error counts as a failed attempt and is retried (for a
	// request ahead too).
	Refresh func(ctx context.Context) (Header, map[string]string, error)
	// SSEMaxLine bounds one SSE event's data (DefaultSSEMaxLine when 0). A
	// data event above it is read past and left out (Batch.Skipped); a
	// control event above it is a parse error.
	SSEMaxLine int
	// Retry, when set, replaces the client's retry policy for this
	// reader's requests: for example a finite MaxRetries, so that a server
	// that stays unreachable ends the read with an error instead of being
	// retried forever.
	Retry *RetryPolicy
	// OnRetry, when set, is called before each retry of a failed request
	// (from the reader's goroutine; it must not block): what failed, which
	// retry this is since the last success, and how long the reader waits.
	OnRetry func(Retry)
	// CatchUpAfterFailure makes the retries of a failed long-poll catch-up
	// requests, which the server answers at once even when nothing new
	// came: a long-poll holds its answer up to the server's timeout (30 s
	// by default), so after an outage the reader, and whoever shows its
	// state, would learn that the server is back only then. The batch such
	// a retry returns may be empty; the next Next long-polls again.
	CatchUpAfterFailure bool
	// IdleTimeout is the longest a request may go without a byte from the
	// server (no header yet, or no more of its body) before the reader
	// takes the connection for dead and asks again from its offset, as it
	// does after a dropped connection. 0 means DefaultIdleTimeout; a
	// negative value waits forever. It must exceed the server's long-poll
	// timeout, the longest a live server stays silent.
	IdleTimeout time.Duration
	// LenientItems, in JSON mode, delimits a batch's items by the array's
	// structure only and leaves checking each item to the caller: one
	// malformed item then costs only itself, and the body is scanned once
	// less. A body that is not an array at all is still a parse error.
	LenientItems bool
	// PartBytes, when above 0, has a JSON-mode response read in parts of
	// about that many bytes: each part is a Batch (Partial) with the items
	// it completes, so a body of any size is applied while it arrives and
	// never held whole. Items are delimited as with LenientItems (the
	// caller checks each one). A body that fails midway is asked for
	// again and its items already handed out are left out.
	PartBytes int
	// MaxItemBytes bounds one item of a response read in parts
	// (DefaultSSEMaxLine when 0): a longer one is read past and left out
	// (Batch.Skipped).
	MaxItemBytes int
	// Pause, when set, is called while a large JSON-mode body is split
	// into items (after every megabyte): the caller may yield its thread
	// there (the browser's main thread, during a long catch-up).
	Pause func()
	// ReadAhead, in long-poll mode, sends the next live request while the
	// caller still applies a response that reaches the tail: a long-poll's
	// answer as soon as its header has come (in the browser its whole
	// body), a catch-up answer once its last part is read. The server's
	// time to answer, which grows with what it has to send, then overlaps
	// the caller's work instead of following it. The next read takes that
	// request's answer, as its first attempt (a failure is reported and
	// retried as any). At most one request is ahead; its body is not read
	// until then. See readahead.go.
	ReadAhead bool
}

// Batch is what one response (or one SSE control event with the data
// events before it) delivered.
type Batch struct {
	// Data holds the bytes read. In JSON mode it is one JSON array holding
	// Items.
	Data []byte
	// Items holds, in JSON mode, each message of the batch as raw JSON.
	Items [][]byte
	// Offset is the offset to read from next (resume from it).
	Offset string
	// Cursor is the last Stream-Cursor seen, to echo on live requests.
	Cursor string
	// UpToDate is true when the batch reaches the tail as of its response.
	UpToDate bool
	// Closed is true when the stream is closed and the batch reaches its end.
	Closed bool
	// Status is the HTTP status of the response: 200, or 204 for a
	// long-poll that timed out, or 200 for the SSE response.
	Status int
	// ContentType is the stream's content type.
	ContentType string
	// WireBytes counts the response bytes read for this batch.
	WireBytes int
	// Skipped holds, for each SSE data event of the batch that was longer
	// than ReadOptions.SSEMaxLine (or each item of a response read in
	// parts longer than ReadOptions.MaxItemBytes) and so left out, the
	// index in Items where its items would have been. The stream goes on
	// after it.
	Skipped []int
	// Partial is set on every part of a response read in parts but the
	// last (ReadOptions.PartBytes): more of the same response follows. Its
	// Offset is still the one the response started from, and UpToDate and
	// Closed are false; the last part carries the response's.
	Partial bool
}

// Reader reads a stream batch by batch. Its methods are safe for concurrent
// use, but batches come out of Next one at a time.
type Reader struct {
	s      *Stream
	ctx    context.Context
	cancel context.CancelFunc
	opts   ReadOptions

	mu          sync.Mutex
	offset      string
	cursor      string
	upToDate    bool
	closed      bool
	started     bool
	ended       bool
	contentType string

	sse *sseConn
	bo  *backoff
	// reload is set after a response that could not be used (a parse or
	// protocol error), so the next request bypasses HTTP caches.
	reload bool
	// shortSSE counts SSE connections in a row that ended within
	// minSSEConnection: a proxy that buffers or cuts them. After
	// maxShortSSE of them the reader falls back to long-poll for good.
	shortSSE int
	// part is the response being read in parts, if any; given counts the
	// items after offset already handed out (see parts.go). Only the
	// goroutine calling Next uses them.
	part  *partRead
	given int
	// ahead is the long-poll request sent ahead (ReadOptions.ReadAhead).
	// Only the goroutine calling Next uses it.
	ahead *aheadRequest
}

// SSE fallback: a connection that ends sooner than minSSEConnection counts
// as short; after maxShortSSE short ones in a row the reader switches to
// long-poll, as the reference client does.
const (
	minSSEConnection = time.Second
	maxShortSSE      = 3
)

// Live returns the reader's live mode: the one it was given, or
// LiveLongPoll after it fell back from SSE.
func (r *Reader) Live() LiveMode { r.mu.Lock(); defer r.mu.Unlock(); return r.opts.Live }

type sseConn struct {
	body     io.ReadCloser
	parser   *sseParser
	watch    *watchdog // ends the connection when it goes silent
	opened   time.Time
	base64   bool
	data     [][]byte // data events since the last control event
	items    [][]byte // their JSON items, in JSON mode
	wire     int
	received bool  // a control event was received on this connection
	skipped  []int // where data events above the size limit were left out
}

// Read returns a Reader over the stream from o.Offset. It makes no request
// until Next is called. Cancelling ctx (or calling Close) ends the reader.
func (s *Stream) Read(ctx context.Context, o ReadOptions) (*Reader, error) {
	if o.Offset == "" {
		o.Offset = OffsetStart
	}
	if err := validateOffset(o.Offset); err != nil {
		return nil, &Error{Code: CodeInvalidArgument, Op: "read", URL: s.url, Offset: o.Offset, Err: err}
	}
	switch o.Live {
	case LiveOff, LiveLongPoll, LiveSSE:
	default:
		return nil, &Error{Code: CodeInvalidArgument, Op: "read", URL: s.url, Message: "unknown live mode " + string(o.Live)}
	}
	policy := s.c.retry
	if o.Retry != nil {
		if err := o.Retry.Validate(); err != nil {
			return nil, err
		}
		policy = *o.Retry
	}
	ctx, cancel := context.WithCancel(ctx)
	return &Reader{s: s, ctx: ctx, cancel: cancel, opts: o, offset: o.Offset, cursor: o.Cursor,
		contentType: s.ContentType(), bo: newBackoff(policy)}, nil
}

// Offset returns the offset to resume from: where the next batch starts.
func (r *Reader) Offset() string { r.mu.Lock(); defer r.mu.Unlock(); return r.offset }

// Cursor returns the last Stream-Cursor seen.
func (r *Reader) Cursor() string { r.mu.Lock(); defer r.mu.Unlock(); return r.cursor }

// UpToDate reports whether the last batch reached the tail.
func (r *Reader) UpToDate() bool { r.mu.Lock(); defer r.mu.Unlock(); return r.upToDate }

// Closed reports whether the stream was seen closed and read to its end.
func (r *Reader) Closed() bool { r.mu.Lock(); defer r.mu.Unlock(); return r.closed }

// ContentType returns the stream's content type once a response told it.
func (r *Reader) ContentType() string { r.mu.Lock(); defer r.mu.Unlock(); return r.contentType }

// Close ends the reader and any request it has in flight.
func (r *Reader) Close() {
	r.cancel()
	r.mu.Lock()
	r.ended = true
	r.mu.Unlock()
}

// Next returns the next batch. It returns io.EOF when there is no more to
// read: the stream is closed and read to its end, or, with LiveOff, the
// reader has caught up. It blocks in live modes until data arrives (or a
// long-poll times out, which gives an empty up-to-date batch).
//
// Transient failures (5xx, 429, dropped connections) are retried from the
// current offset. Any other failure is returned as an *Error and leaves the
// reader where it was: calling Next again retries from the same offset, so
// nothing is skipped and nothing is delivered twice.
func (r *Reader) Next() (*Batch, error) {
	r.mu.Lock()
	ended, closed := r.ended, r.closed
	done := r.started && r.upToDate && r.opts.Live == LiveOff
	r.mu.Unlock()
	if ended {
		return nil, &Error{Code: CodeClosed, Op: "read", URL: r.s.url, Offset: r.Offset(), Message: "reader closed"}
	}
	if closed || done {
		r.dropSSE()
		return nil, io.EOF
	}
	if err := r.ctx.Err(); err != nil {
		return nil, r.fail(CodeNetwork, 0, nil, "", err)
	}
	var (
		b   *Batch
		err error
	)
	if r.part != nil {
		b, err = r.nextPart()
		if err == nil {
			r.bo.reset()
			r.readAhead() // after the last part
		}
		if err != errPartLost {
			return b, err
		}
	}
	if r.opts.Live == LiveSSE && (r.sse != nil || (r.started && r.UpToDate())) {
		b, err = r.nextSSE()
	} else {
		live := r.started && r.UpToDate() && r.opts.Live == LiveLongPoll
		b, err = r.nextHTTP(live)
	}
	if err == nil {
		r.bo.reset()
		r.readAhead()
	}
	return b, err
}

func (r *Reader) fail(code Code, status int, h Header, msg string, err error) *Error {
	return &Error{Code: code, Op: "read", URL: r.s.url, Offset: r.Offset(), Status: status, Header: h, Message: msg, Err: err}
}

// newRequest builds the next read request: the client's and the reader's
// header fields and the reader's params, with what Refresh gives now on
// top.
func (r *Reader) newRequest(live LiveMode) (*Request, error) {
	r.mu.Lock()
	offset, cursor := r.offset, r.cursor
	r.mu.Unlock()
	return r.newRequestAt(live, offset, cursor)
}

// newRequestAt is newRequest for a read from offset with cursor.
func (r *Reader) newRequestAt(live LiveMode, offset, cursor string) (*Request, error) {
	h := r.s.c.headers(r.opts.Header)
	var extra map[string]string
	if r.opts.Refresh != nil {
		rh, rp, err := r.opts.Refresh(r.ctx)
		if err != nil {
			return nil, err
		}
		for k, v := range rh {
			h.Set(k, v)
		}
		extra = rp
	}
	return &Request{Method: "GET", URL: r.requestURL(live, offset, cursor, extra), Header: h}, nil
}

// requestURL builds the URL of a request from offset, with the reader's
// params and extra; the protocol's own (offset, live, cursor) win over
// both.
func (r *Reader) requestURL(live LiveMode, offset, cursor string, extra map[string]string) string {
	params := make(map[string]string, len(r.opts.Params)+len(extra)+3)
	for k, v := range r.opts.Params {
		params[k] = v
	}
	for k, v := range extra {
		params[k] = v
	}
	params["offset"] = offset
	if live != LiveOff {
		params["live"] = string(live)
		if cursor != "" {
			params["cursor"] = cursor
		}
	}
	return buildURL(r.s.url, params)
}

// retry waits before the next attempt after a transient failure. It returns
// the error to give up with, or nil to try again.
func (r *Reader) retry(status int, h Header, msg string, cause error) error {
	var floor time.Duration
	if h != nil {
		floor, _ = parseRetryAfter(h.Get(headerRetryAfter), time.Now())
	}
	code := CodeNetwork
	if status != 0 {
		code = statusCode("read", status, h, false)
	}
	ok, err := r.bo.wait(r.ctx, floor, r.fail(code, status, h, msg, cause), r.opts.OnRetry)
	if err != nil {
		return r.fail(code, status, h, msg, err)
	}
	if !ok {
		if msg == "" {
			msg = "retries exhausted"
		}
		return r.fail(code, status, h, msg, cause)
	}
	return nil
}

// nextHTTP does one catch-up or long-poll request, with retries.
func (r *Reader) nextHTTP(live bool) (*Batch, error) {
	mode := LiveOff
	if live {
		mode = LiveLongPoll
	}
	for attempt := 0; ; attempt++ {
		if attempt > 0 && r.opts.CatchUpAfterFailure {
			mode, live = LiveOff, false
		}
		wd, resp, rerr, err := r.takeAhead(attempt == 0 && live)
		if wd == nil {
			var req *Request
			if rerr == nil {
				req, rerr = r.newRequest(mode)
			}
			if rerr != nil {
				if r.ctx.Err() != nil {
					return nil, r.fail(CodeNetwork, 0, nil, "", r.ctx.Err())
				}
				if err := r.retry(0, nil, "the request's header or params could not be made", rerr); err != nil {
					return nil, err
				}
				continue
			}
			req.Reload, req.Whole = r.reload, live
			wd, resp, err = r.send(req)
		}
		if err != nil {
			wd.stop()
			if r.ctx.Err() != nil {
				return nil, r.fail(CodeNetwork, 0, nil, "", r.ctx.Err())
			}
			if err := r.retry(0, nil, wd.why(""), err); err != nil {
				return nil, err
			}
			continue
		}
		wd.heard()
		resp.Body = watchedBody{resp.Body, wd}
		ct := resp.Header.Get(headerContentType)
		if ct == "" {
			ct = r.ContentType()
		}
		if r.partsOn(resp.StatusCode, ct) {
			b, err := r.startParts(resp, wd, ct, live)
			if err == errPartLost {
				continue
			}
			r.reload = err != nil
			return b, err
		}
		body, err := readBody(resp, r.opts.Pause)
		resp.Body.Close()
		wd.stop()
		if err != nil {
			if r.ctx.Err() != nil {
				return nil, r.fail(CodeNetwork, resp.StatusCode, resp.Header, "", r.ctx.Err())
			}
			// The connection dropped (or went silent) mid-body: nothing of
			// it was used, so asking again from the same offset loses and
			// repeats nothing.
			if err := r.retry(0, nil, wd.why("connection dropped mid-body"), err); err != nil {
				return nil, err
			}
			continue
		}
		switch st := resp.StatusCode; {
		case st == 200 || st == 204:
			b, err := r.accept(resp, body)
			r.reload = err != nil
			return b, err
		case retryable(st):
			if err := r.retry(st, resp.Header, serverText(body), nil); err != nil {
				return nil, err
			}
		default:
			return nil, r.fail(statusCode("read", st, resp.Header, false), st, resp.Header, serverText(body), nil)
		}
	}
}

// accept turns a 200 or 204 read response into a batch and moves the reader
// on. A response that breaks the protocol leaves the reader where it was.
func (r *Reader) accept(resp *Response, body []byte) (*Batch, error) {
	h := resp.Header
	next, err := r.nextOffset(resp)
	if err != nil {
		return nil, err
	}
	ct := h.Get(headerContentType)
	if ct == "" || resp.StatusCode == 204 {
		ct = r.ContentType()
	}
	b := &Batch{Status: resp.StatusCode, ContentType: ct, WireBytes: len(body), Offset: next}
	if resp.StatusCode == 200 && len(body) > 0 {
		b.Data = body
		if IsJSON(ct) {
			items, err := r.split(nil, body)
			if err != nil {
				return nil, r.fail(CodeParse, resp.StatusCode, h, "JSON-mode body is not a JSON array", err)
			}
			b.Items = items
			if len(items) == 0 {
				b.Data = nil
			}
		}
	}
	r.moveOn(resp.StatusCode, h, next, ct, b)
	return b, nil
}

// nextOffset returns a 200 or 204 response's Stream-Next-Offset, or the
// protocol error of one that has none or a malformed one.
func (r *Reader) nextOffset(resp *Response) (string, error) {
	next := resp.Header.Get(headerNextOffset)
	if next == "" {
		return "", r.fail(CodeProtocol, resp.StatusCode, resp.Header, "response has no Stream-Next-Offset header", nil)
	}
	if err := validateOffset(next); err != nil {
		return "", r.fail(CodeProtocol, resp.StatusCode, resp.Header, "malformed Stream-Next-Offset", err)
	}
	return next, nil
}

// moveOn moves the reader past a response (its status and header, its
// next offset and content type) and tells batch b where that leaves it.
func (r *Reader) moveOn(status int, h Header, next, ct string, b *Batch) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.started = true
	r.offset = next
	if c := h.Get(headerCursor); c != "" {
		r.cursor = c
	}
	// A long-poll that timed out (204) means there is nothing newer.
	r.upToDate = h.Has(headerUpToDate) || status == 204
	if isTrue(h.Get(headerClosed)) {
		r.closed = true
		r.upToDate = true
	}
	if ct != "" {
		r.contentType = ct
	}
	b.Offset, b.Cursor, b.UpToDate, b.Closed = next, r.cursor, r.upToDate, r.closed
}

// nextSSE reads SSE events until a control event completes a batch,
// (re)connecting as needed.
func (r *Reader) nextSSE() (*Batch, error) {
	for {
		if r.sse == nil {
			if err := r.openSSE(); err != nil {
				return nil, err
			}
		}
		c := r.sse
		ev, err := c.parser.Next()
		if err != nil {
			short := time.Since(c.opened) < minSSEConnection
			r.dropSSE()
			if r.ctx.Err() != nil {
				return nil, r.fail(CodeNetwork, 0, nil, "", r.ctx.Err())
			}
			// The connection ended. Data events not yet confirmed by a
			// control event are dropped; reconnecting from the last
			// confirmed offset delivers them again, exactly once.
			if short {
				r.shortSSE++
			} else {
				r.shortSSE = 0
			}
			if r.shortSSE >= maxShortSSE {
				r.mu.Lock()
				r.opts.Live = LiveLongPoll
				r.mu.Unlock()
				return r.nextHTTP(true)
			}
			if short || err != io.EOF {
				if err := r.retry(0, nil, c.watch.why("SSE connection ended"), err); err != nil {
					return nil, err
				}
			}
			continue
		}
		switch {
		case ev.Oversize && ev.Type == "data":
			// Read past, its data left out: the batch says where it was.
			c.skipped = append(c.skipped, len(c.items))
			continue
		case ev.Oversize:
			r.dropSSE()
			return nil, r.fail(CodeParse, 200, nil, "SSE "+ev.Type+" event above the size limit", errSSELineTooLong)
		}
		switch ev.Type {
		case "data":
			if err := c.addData(ev.Data, IsJSON(r.ContentType()), r.split); err != nil {
				r.dropSSE()
				return nil, r.fail(CodeParse, 200, nil, "malformed SSE data event", err)
			}
			c.wire += len(ev.Data)
		case "control":
			b, err := r.control(c, ev.Data)
			if err != nil {
				r.dropSSE()
				return nil, err
			}
			return b, nil
		}
		// Other event types are ignored, as the protocol asks.
	}
}

// openSSE opens an SSE connection from the current offset, with retries.
func (r *Reader) openSSE() error {
	for {
		req, err := r.newRequest(LiveSSE)
		if err != nil {
			if r.ctx.Err() != nil {
				return r.fail(CodeNetwork, 0, nil, "", r.ctx.Err())
			}
			if err := r.retry(0, nil, "the request's header or params could not be made", err); err != nil {
				return err
			}
			continue
		}
		req.Header.Set("Accept", "text/event-stream")
		wd, resp, err := r.send(req)
		if err != nil {
			wd.stop()
			if r.ctx.Err() != nil {
				return r.fail(CodeNetwork, 0, nil, "", r.ctx.Err())
			}
			if err := r.retry(0, nil, wd.why(""), err); err != nil {
				return err
			}
			continue
		}
		wd.heard()
		if resp.StatusCode != 200 {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
			resp.Body.Close()
			wd.stop()
			if retryable(resp.StatusCode) {
				if err := r.retry(resp.StatusCode, resp.Header, serverText(body), nil); err != nil {
					return err
				}
				continue
			}
			return r.fail(statusCode("read", resp.StatusCode, resp.Header, false), resp.StatusCode, resp.Header, serverText(body), nil)
		}
		b64 := isTrue(resp.Header.Get(headerSSEDataEncoding)) || resp.Header.Get(headerSSEDataEncoding) == "base64" ||
			sseIsBase64(r.ContentType())
		body := watchedBody{resp.Body, wd}
		r.sse = &sseConn{body: body, parser: newSSEParser(body, r.opts.SSEMaxLine), watch: wd,
			opened: time.Now(), base64: b64}
		return nil
	}
}

// dropSSE closes the SSE connection, if any.
func (r *Reader) dropSSE() {
	if r.sse != nil {
		r.sse.watch.stop()
		r.sse.body.Close()
		r.sse = nil
	}
}

// addData buffers one data event until its control event arrives.
func (c *sseConn) addData(data []byte, jsonMode bool, split func([][]byte, []byte) ([][]byte, error)) error {
	if c.base64 {
		clean := bytes.Map(func(r rune) rune {
			if r == '\r' || r == '\n' {
				return -1
			}
			return r
		}, data)
		dec := make([]byte, base64.StdEncoding.DecodedLen(len(clean)))
		n, err := base64.StdEncoding.Strict().Decode(dec, clean)
		if err != nil {
			return err
		}
		data = dec[:n]
	}
	if jsonMode {
		items, err := split(c.items, data)
		if err != nil {
			return err
		}
		c.items = items
	}
	c.data = append(c.data, data)
	return nil
}

// control applies an SSE control event and returns the batch it completes.
func (r *Reader) control(c *sseConn, data []byte) (*Batch, error) {
	var (
		next, cursor     string
		upToDate, closed bool
	)
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, r.fail(CodeParse, 200, nil, "empty SSE control event", nil)
	}
	err := jsonscan.ObjectFields(data, func(key string, v []byte) error {
		var err error
		switch key {
		case "streamNextOffset":
			next, err = jsonscan.Unquote(v)
		case "streamCursor":
			cursor, err = jsonscan.Unquote(v)
		case "upToDate":
			upToDate = string(v) == "true"
		case "streamClosed":
			closed = string(v) == "true"
		}
		return err
	})
	if err != nil {
		return nil, r.fail(CodeParse, 200, nil, "malformed SSE control event", err)
	}
	if next == "" {
		return nil, r.fail(CodeParse, 200, nil, "SSE control event has no streamNextOffset", nil)
	}
	if err := validateOffset(next); err != nil {
		return nil, r.fail(CodeProtocol, 200, nil, "malformed streamNextOffset", err)
	}
	c.received = true
	b := &Batch{Status: 200, ContentType: r.ContentType(), Offset: next, WireBytes: c.wire + len(data)}
	jsonMode := IsJSON(b.ContentType)
	switch {
	case jsonMode && len(c.items) > 0:
		b.Items = c.items
		b.Data = frameItems(c.items)
	case !jsonMode && len(c.data) == 1:
		b.Data = c.data[0]
	case !jsonMode && len(c.data) > 1:
		b.Data = bytes.Join(c.data, nil)
	}
	b.Skipped = c.skipped
	c.data, c.items, c.wire, c.skipped = nil, nil, 0, nil
	r.mu.Lock()
	r.offset = next
	if cursor != "" {
		r.cursor = cursor
	}
	r.upToDate = upToDate || closed
	if closed {
		r.closed = true
	}
	b.Cursor, b.UpToDate, b.Closed = r.cursor, r.upToDate, r.closed
	r.mu.Unlock()
	if closed {
		r.dropSSE()
	}
	return b, nil
}

// split finds the items of a JSON-mode batch.
func (r *Reader) split(dst [][]byte, b []byte) ([][]byte, error) {
	if r.opts.LenientItems {
		return jsonscan.SplitItemsPaused(dst, b, r.opts.Pause)
	}
	return jsonscan.SplitArray(dst, b)
}

// frameItems joins JSON items into one JSON array.
func frameItems(items [][]byte) []byte {
	size := 2
	for _, it := range items {
		size += len(it) + 1
	}
	b := make([]byte, 0, size)
	b = append(b, '[')
	for i, it := range items {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, it...)
	}
	return append(b, ']')
}

// readBody reads a whole response body, sized from Content-Length when the
// server sent one (a compressed body may still grow past it).
func readBody(resp *Response, pause func()) ([]byte, error) {
	n, err := strconv.ParseInt(resp.Header.Get("Content-Length"), 10, 64)
	if err != nil || n <= 0 || n > 1<<30 {
		return readChunks(resp.Body, pause)
	}
	var buf bytes.Buffer
	buf.Grow(int(n) + bytes.MinRead)
	_, err = buf.ReadFrom(resp.Body)
	return buf.Bytes(), err
}

// chunkedMax is how much of a body of unknown length readChunks keeps in
// chunks before it goes on in one growing buffer.
const chunkedMax = 32 << 20

// readChunks reads a body of unknown length. Up to chunkedMax it reads
// into chunks of growing size and joins them once at the end, calling
// pause (when not nil) after each chunk and between the megabytes of the
// join: io.ReadAll's growing buffer copies the body and clears its new
// capacity at every growth, and in the browser a 15 MB catch-up spent
// hundreds of milliseconds there in one task of the page's main thread.
// A larger body goes on in one buffer that grows as io.ReadAll's does
// (readRest): chunks and their join would hold it twice at once.
func readChunks(r io.Reader, pause func()) ([]byte, error) {
	var chunks [][]byte
	total, size := 0, 32<<10
	for done := false; !done; size = min(size*2, 1<<20) {
		if total >= chunkedMax {
			return readRest(chunks, total, r)
		}
		buf := make([]byte, size)
		n := 0
		for n < len(buf) {
			m, err := r.Read(buf[n:])
			n += m
			if err == io.EOF {
				done = true
				break
			}
			if err != nil {
				return nil, err // a body cut short: nothing of it is used
			}
		}
		total += n
		if n > 0 {
			chunks = append(chunks, buf[:n])
		}
		if pause != nil {
			// The rest of a body that has arrived is read in promise
			// reactions of the same task: let the page run in between.
			pause()
		}
	}
	switch len(chunks) {
	case 0:
		return nil, nil
	case 1:
		return chunks[0], nil
	}
	out := make([]byte, 0, total)
	for i, c := range chunks {
		out = append(out, c...)
		chunks[i] = nil
		if pause != nil && len(c) == 1<<20 {
			pause()
		}
	}
	return out, nil
}

// readRest joins the chunks read so far (total bytes) and reads the rest
// of r after them, growing the buffer as io.ReadAll does (by about a
// quarter at these sizes, where bytes.Buffer would double it).
func readRest(chunks [][]byte, total int, r io.Reader) ([]byte, error) {
	b := make([]byte, 0, total+total/2)
	for i, c := range chunks {
		b = append(b, c...)
		chunks[i] = nil
	}
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return nil, err
		}
	}
}
