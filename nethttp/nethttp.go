//go:build !js

// Package nethttp implements stream.Transport on top of net/http for native
// (non-browser) programs such as tests, tools and the conformance adapter.
//
// The browser build uses github.com/streamdb/streamdb/wasm/fetch instead;
// this package must not be imported from code compiled for GOOS=js.
package nethttp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/streamdb/streamdb/core/stream"
)

// Transport sends stream.Requests with an *http.Client.
//
// The zero value is ready to use. A Transport is safe for concurrent use
// when its Client is.
type Transport struct {
	// Client sends the requests. Nil means a shared default client that
	// has dial and TLS handshake timeouts but no overall timeout, because
	// long-poll and SSE responses stay open for a long time. Bound each
	// request with its context instead.
	Client *http.Client
}

// defaultClient is the client used when Transport.Client is nil.
var defaultClient = newClient()

// newClient returns an *http.Client suited to Durable Streams: it keeps
// http.DefaultTransport's dial (30 s), TLS handshake (10 s) and idle
// connection timeouts, sets no overall Client.Timeout and no
// response-header timeout (a long-poll waits for its header), and has a
// connection pool of its own.
func newClient() *http.Client {
	var rt http.RoundTripper = http.DefaultTransport
	if t, ok := http.DefaultTransport.(*http.Transport); ok {
		rt = t.Clone()
	}
	return &http.Client{Transport: rt}
}

// New returns a Transport with a client of its own that has dial and TLS
// handshake timeouts but no overall timeout (see Transport.Client).
func New() *Transport {
	return &Transport{Client: newClient()}
}

var _ stream.Transport = (*Transport)(nil)

// RoundTrip sends req and returns as soon as the response status and header
// have arrived; the body streams through Response.Body, which the caller
// must close. Every status code, 4xx and 5xx included, is a Response.
//
// Cancelling ctx aborts the request, including a body still being read.
// Errors carry the method and URL, and a cancelled or expired ctx stays
// detectable with errors.Is(err, context.Canceled) or
// errors.Is(err, context.DeadlineExceeded).
func (t *Transport) RoundTrip(ctx context.Context, req *stream.Request) (*stream.Response, error) {
	if req == nil {
		return nil, errors.New("nethttp: nil request")
	}
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	var body io.Reader
	if req.Body != nil {
		body = bytes.NewReader(req.Body)
	}
	hreq, err := http.NewRequestWithContext(ctx, method, req.URL, body)
	if err != nil {
		return nil, fmt.Errorf("nethttp: %s %s: %w", method, req.URL, unwrapURLError(err))
	}
	for k, v := range req.Header {
		if strings.EqualFold(k, "host") {
			hreq.Host = v
			continue
		}
		hreq.Header.Set(k, v)
	}

	client := t.client()
	resp, err := client.Do(hreq)
	if err != nil {
		return nil, wrapErr(ctx, method, req.URL, "", err)
	}
	return &stream.Response{
		StatusCode: resp.StatusCode,
		Header:     convertHeader(resp.Header),
		Body: &respBody{
			ctx:    ctx,
			rc:     resp.Body,
			method: method,
			url:    req.URL,
		},
	}, nil
}

func (t *Transport) client() *http.Client {
	if t != nil && t.Client != nil {
		return t.Client
	}
	return defaultClient
}

// convertHeader lower-cases the keys of h and joins repeated fields with
// ", ", the way fetch's Headers.get reports them.
func convertHeader(h http.Header) stream.Header {
	out := make(stream.Header, len(h))
	for k, vs := range h {
		out[strings.ToLower(k)] = strings.Join(vs, ", ")
	}
	return out
}

// unwrapURLError drops the *url.Error layer that net/http adds, since our
// own wrapping already names the method and URL.
func unwrapURLError(err error) error {
	var uerr *url.Error
	if errors.As(err, &uerr) && uerr.Err != nil {
		return uerr.Err
	}
	return err
}

// wrapErr adds method, URL and an optional step to err. When ctx is done
// and err does not already say so, ctx.Err() is wrapped too, so callers can
// always tell a cancellation from a network failure with errors.Is.
func wrapErr(ctx context.Context, method, rawURL, step string, err error) error {
	err = unwrapURLError(err)
	prefix := fmt.Sprintf("nethttp: %s %s", method, rawURL)
	if step != "" {
		prefix += ": " + step
	}
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("%s: %w: %w", prefix, cerr, err)
	}
	return fmt.Errorf("%s: %w", prefix, err)
}

// respBody wraps a response body so that read errors carry the request's
// method and URL. io.EOF is passed through unchanged.
type respBody struct {
	ctx    context.Context
	rc     io.ReadCloser
	method string
	url    string
}

// Read reads from the response body. A connection that drops midway gives
// a wrapped error (for example io.ErrUnexpectedEOF), never io.EOF.
func (b *respBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	if err != nil && err != io.EOF {
		err = wrapErr(b.ctx, b.method, b.url, "read body", err)
	}
	return n, err
}

// Close closes the response body, releasing the connection.
func (b *respBody) Close() error {
	if err := b.rc.Close(); err != nil {
		return wrapErr(b.ctx, b.method, b.url, "close body", err)
	}
	return nil
}
