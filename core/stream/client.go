// Package stream is a client for the Durable Streams protocol: create,
// append, close, delete and inspect streams, and read them from any offset
// in catch-up, long-poll or SSE mode, with retries that resume from the last
// offset so nothing is lost or repeated. It also offers the idempotent
// producer for exactly-once appends.
//
// The package does no I/O of its own: requests go through a Transport, so
// the same client runs natively (github.com/streamdb/streamdb/nethttp) and in
// the browser (github.com/streamdb/streamdb/wasm/fetch).
package stream

import (
	"context"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/streamdb/streamdb/internal/strfmt"
)

// Options configure a Client.
type Options struct {
	// Header is sent with every request.
	Header Header
	// HeaderFunc, when set, is called before every request and its fields
	// are sent on top of Header (for tokens that are refreshed).
	HeaderFunc func() Header
	// Retry is the retry policy; nil means DefaultRetryPolicy.
	Retry *RetryPolicy
	// DisableBatching sends every Append in a POST of its own instead of
	// coalescing the appends made while a POST is in flight.
	DisableBatching bool
	// MaxBatchBytes caps the body of a coalesced append (default 1 MiB).
	MaxBatchBytes int
}

// Client sends Durable Streams requests through a Transport. It is safe for
// concurrent use.
type Client struct {
	transport Transport
	opts      Options
	retry     RetryPolicy
}

// NewClient returns a client that sends requests through t. It fails only
// when the options are invalid.
func NewClient(t Transport, opts Options) (*Client, error) {
	if t == nil {
		return nil, invalidArg("NewClient: transport is nil")
	}
	retry := DefaultRetryPolicy()
	if opts.Retry != nil {
		retry = *opts.Retry
	}
	if err := retry.Validate(); err != nil {
		return nil, err
	}
	if opts.MaxBatchBytes < 0 {
		return nil, invalidArg("maxBatchBytes must be positive, got %d", opts.MaxBatchBytes)
	}
	if opts.MaxBatchBytes == 0 {
		opts.MaxBatchBytes = 1 << 20
	}
	return &Client{transport: t, opts: opts, retry: retry}, nil
}

// Stream returns a handle on the stream at url. It makes no request.
func (c *Client) Stream(url string) *Stream {
	return &Stream{c: c, url: url}
}

// Stream is a handle on one stream. It remembers the stream's content type
// once it is known (from Create, Head, a read, or SetContentType). It is safe
// for concurrent use.
type Stream struct {
	c   *Client
	url string

	mu          sync.Mutex
	contentType string
	queue       []*appendItem // appends waiting for the POST in flight
	sending     bool
}

// URL returns the stream's URL.
func (s *Stream) URL() string { return s.url }

// ContentType returns the stream's content type, or "" while unknown.
func (s *Stream) ContentType() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.contentType
}

// SetContentType records the stream's content type, so that appends need
// not ask the server first.
func (s *Stream) SetContentType(ct string) {
	s.mu.Lock()
	s.contentType = ct
	s.mu.Unlock()
}

// reply is a response whose body was read in full.
type reply struct {
	status int
	header Header
	body   []byte
}

// call describes one request for Client.do.
type call struct {
	op      string
	url     string // the stream URL, for errors
	offset  string // for errors
	method  string
	reqURL  string // the URL to request, query included
	header  Header
	body    []byte
	sentSeq bool
	// accept reports whether a status is an expected answer that do returns
	// instead of turning it into an error.
	accept func(status int) bool
	// retryDrop says whether a request that got no response may be sent
	// again (false for the non-idempotent ones where that could duplicate).
	retryDrop bool
	// goneAfterDrop accepts a 404 that follows an attempt with no response
	// (a DELETE that went through before the connection dropped).
	goneAfterDrop bool
	// retry, when set, replaces the client's policy; onRetry, when set, is
	// told of each retry before its wait.
	retry   *RetryPolicy
	onRetry func(Retry)
}

// headers builds the header of a request: the client's static fields, then
// its dynamic ones, then the call's own.
func (c *Client) headers(extra Header) Header {
	h := make(Header, len(c.opts.Header)+len(extra)+2)
	for k, v := range c.opts.Header {
		h.Set(k, v)
	}
	if c.opts.HeaderFunc != nil {
		for k, v := range c.opts.HeaderFunc() {
			h.Set(k, v)
		}
	}
	for k, v := range extra {
		h.Set(k, v)
	}
	return h
}

// do sends a request with retries on transient failures and reads the whole
// response body. Statuses that cl.accept takes are returned; the others
// become an *Error.
func (c *Client) do(ctx context.Context, cl call) (*reply, error) {
	policy := c.retry
	if cl.retry != nil {
		policy = *cl.retry
	}
	bo := newBackoff(policy)
	dropped := false
	for {
		req := &Request{Method: cl.method, URL: cl.reqURL, Header: cl.header, Body: cl.body}
		resp, err := c.transport.RoundTrip(ctx, req)
		var rep *reply
		if err == nil {
			var body []byte
			body, err = io.ReadAll(resp.Body)
			resp.Body.Close()
			rep = &reply{status: resp.StatusCode, header: resp.Header, body: body}
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil, cl.fail(CodeNetwork, 0, nil, "", ctx.Err())
			}
			if !cl.retryDrop {
				return nil, cl.fail(CodeNetwork, 0, nil, "", err)
			}
			dropped = true
			ok, werr := bo.wait(ctx, 0, cl.fail(CodeNetwork, 0, nil, "", err), cl.onRetry)
			if werr != nil {
				return nil, cl.fail(CodeNetwork, 0, nil, "", werr)
			}
			if !ok {
				return nil, cl.fail(CodeNetwork, 0, nil, "retries exhausted", err)
			}
			continue
		}
		if cl.accept(rep.status) || (rep.status == 404 && dropped && cl.goneAfterDrop) {
			return rep, nil
		}
		if retryable(rep.status) {
			floor, _ := parseRetryAfter(rep.header.Get(headerRetryAfter), time.Now())
			ok, werr := bo.wait(ctx, floor, cl.fail(statusCode(cl.op, rep.status, rep.header, cl.sentSeq), rep.status, rep.header, serverText(rep.body), nil), cl.onRetry)
			if werr != nil {
				return nil, cl.fail(statusCode(cl.op, rep.status, rep.header, cl.sentSeq), rep.status, rep.header, serverText(rep.body), werr)
			}
			if ok {
				continue
			}
		}
		return nil, cl.fail(statusCode(cl.op, rep.status, rep.header, cl.sentSeq), rep.status, rep.header, serverText(rep.body), nil)
	}
}

func (cl *call) fail(code Code, status int, h Header, msg string, err error) *Error {
	return &Error{Code: code, Op: cl.op, URL: cl.url, Offset: cl.offset, Status: status, Message: msg, Header: h, Err: err}
}

// serverText returns the start of an error body for messages: the protocol's
// error bodies are short plain text, never parsed.
func serverText(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

func statusIs(codes ...int) func(int) bool {
	return func(s int) bool {
		for _, c := range codes {
			if s == c {
				return true
			}
		}
		return false
	}
}

// CreateOptions configure Stream.Create.
type CreateOptions struct {
	// ContentType is the stream's content type (default
	// application/octet-stream). application/json selects JSON mode.
	ContentType string
	// TTL, when positive, gives the stream a sliding time to live.
	TTL time.Duration
	// ExpiresAt, when set, gives the stream an absolute expiry. It cannot
	// be combined with TTL.
	ExpiresAt time.Time
	// Closed creates the stream already closed.
	Closed bool
	// Body is the stream's initial content, sent as is (in JSON mode a
	// value, or an array whose items become messages).
	Body []byte
	// Header holds extra request header fields.
	Header Header
}

// CreateResult says what Create did.
type CreateResult struct {
	// Created is true when the stream is new (201), false when it already
	// existed with the same configuration (200).
	Created bool
	// Status is the HTTP status, 201 or 200.
	Status int
	// Offset is the stream's tail offset.
	Offset string
	// Closed is true when the stream is closed.
	Closed bool
}

// Create makes sure the stream exists with the given configuration: it is
// created (201) or found identical (200). A stream that exists with another
// configuration gives an error with Code CONFLICT.
func (s *Stream) Create(ctx context.Context, o CreateOptions) (CreateResult, error) {
	if o.TTL > 0 && !o.ExpiresAt.IsZero() {
		return CreateResult{}, invalidArg("create %s: TTL and ExpiresAt cannot both be set", s.url)
	}
	if o.TTL < 0 {
		return CreateResult{}, invalidArg("create %s: TTL must not be negative", s.url)
	}
	ct := o.ContentType
	if ct == "" {
		ct = "application/octet-stream"
	}
	h := s.c.headers(o.Header)
	h.Set(headerContentType, ct)
	if o.TTL > 0 {
		h.Set(headerTTL, formatTTL(o.TTL))
	}
	if !o.ExpiresAt.IsZero() {
		h.Set(headerExpiresAt, string(appendRFC3339(nil, o.ExpiresAt)))
	}
	if o.Closed {
		h.Set(headerClosed, "true")
	}
	rep, err := s.c.do(ctx, call{op: "create", url: s.url, method: "PUT", reqURL: s.url, header: h, body: o.Body,
		accept: statusIs(200, 201), retryDrop: true})
	if err != nil {
		return CreateResult{}, err
	}
	s.SetContentType(ct)
	return CreateResult{
		Created: rep.status == 201,
		Status:  rep.status,
		Offset:  rep.header.Get(headerNextOffset),
		Closed:  isTrue(rep.header.Get(headerClosed)),
	}, nil
}

// Metadata is what Head reports about a stream.
type Metadata struct {
	// ContentType is the stream's content type, as the server reports it.
	ContentType string
	// Offset is the tail offset.
	Offset string
	// Closed is true when the stream is closed.
	Closed bool
	// TTL is the sliding time to live, or 0 (the header may also be hidden
	// from a browser by CORS).
	TTL time.Duration
	// ExpiresAt is the absolute expiry as sent (RFC 3339), or "".
	ExpiresAt string
	// ETag is the entity tag, or "".
	ETag string
}

// Head returns the stream's metadata. A missing stream gives an error with
// Code NOT_FOUND.
func (s *Stream) Head(ctx context.Context, extra Header) (Metadata, error) {
	rep, err := s.c.do(ctx, call{op: "head", url: s.url, method: "HEAD", reqURL: s.url, header: s.c.headers(extra),
		accept: statusIs(200), retryDrop: true})
	if err != nil {
		return Metadata{}, err
	}
	m := Metadata{
		ContentType: rep.header.Get(headerContentType),
		Offset:      rep.header.Get(headerNextOffset),
		Closed:      isTrue(rep.header.Get(headerClosed)),
		ExpiresAt:   rep.header.Get(headerExpiresAt),
		ETag:        rep.header.Get(headerETag),
	}
	if v := rep.header.Get(headerTTL); v != "" {
		if ttl, err := parseTTL(v); err == nil {
			m.TTL = ttl
		}
	}
	if m.ContentType != "" {
		s.SetContentType(m.ContentType)
	}
	return m, nil
}

// Delete removes the stream. A missing stream gives an error with Code
// NOT_FOUND, except when an earlier attempt of this call got no answer: then
// that attempt is taken to have deleted it.
func (s *Stream) Delete(ctx context.Context, extra Header) error {
	_, err := s.c.do(ctx, call{op: "delete", url: s.url, method: "DELETE", reqURL: s.url, header: s.c.headers(extra),
		accept: statusIs(200, 204), retryDrop: true, goneAfterDrop: true})
	return err
}

// contentTypeFor returns the stream's content type, asking the server with a
// HEAD request when it is not known yet.
func (s *Stream) contentTypeFor(ctx context.Context, extra Header) (string, error) {
	if ct := s.ContentType(); ct != "" {
		return ct, nil
	}
	m, err := s.Head(ctx, extra)
	if err != nil {
		return "", err
	}
	if m.ContentType == "" {
		return "", &Error{Code: CodeProtocol, Op: "head", URL: s.url, Message: "the server did not report the stream's content type"}
	}
	return m.ContentType, nil
}

func (s *Stream) String() string { return strfmt.Sprintf("stream %s", s.url) }
