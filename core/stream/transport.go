package stream

import (
	"context"
	"io"
	"strings"
)

// Header holds HTTP header fields. Keys are stored in lower case, the way
// fetch reports them, so lookups are case-insensitive through Get and Set.
// A field that appears more than once is joined with ", " (as fetch does).
type Header map[string]string

// Get returns the value of the named field, or "" when it is absent.
func (h Header) Get(name string) string { return h[strings.ToLower(name)] }

// Has reports whether the named field is present, even with an empty value.
func (h Header) Has(name string) bool {
	_, ok := h[strings.ToLower(name)]
	return ok
}

// Set stores value under the lower-cased name, replacing any earlier value.
func (h Header) Set(name, value string) { h[strings.ToLower(name)] = value }

// Del removes the named field.
func (h Header) Del(name string) { delete(h, strings.ToLower(name)) }

// Clone returns a copy of h that can be changed without touching h.
func (h Header) Clone() Header {
	c := make(Header, len(h))
	for k, v := range h {
		c[k] = v
	}
	return c
}

// Request is one HTTP request as the client builds it: plain data that any
// transport (net/http natively, fetch in the browser) can send.
type Request struct {
	// Method is GET, HEAD, PUT, POST or DELETE.
	Method string
	// URL is the absolute URL, query included.
	URL string
	// Header holds the request header fields (lower-case keys).
	Header Header
	// Body is the request body; nil sends none.
	Body []byte
	// Reload asks transports with an HTTP cache (the browser's) to go to
	// the network and refresh the cache instead of reusing a stored
	// response. The reader sets it when it asks again after a response it
	// could not use, which a cache would otherwise hand back unchanged.
	Reload bool
	// Whole says the caller expects the body small: a long-poll's answer.
	// A transport may then hand a small body over in one piece once it has
	// all arrived, instead of streaming it (a large one it still streams:
	// the caller may read it in parts).
	Whole bool
}

// Response is what a transport returns for a request that reached a server.
// The caller must close Body. A transport returns a Response for every
// status code; only failures to get a response at all are errors.
type Response struct {
	// StatusCode is the HTTP status, for example 200 or 404.
	StatusCode int
	// Header holds the response header fields (lower-case keys).
	Header Header
	// Body streams the response body. Reading it may fail midway when the
	// connection drops; transports report that as an error from Read.
	Body io.ReadCloser
}

// Transport sends one request and returns the response as soon as its
// status and header have arrived, with the body still streaming.
//
// Cancelling ctx must abort the request, including a body still being read.
// An error means no response was received (connection refused, reset, DNS,
// aborted); the client treats such errors as transient and retries reads.
type Transport interface {
	RoundTrip(ctx context.Context, req *Request) (*Response, error)
}

// StartingTransport is a Transport that may hold a request back before it
// leaves for the server: a browser queues the requests beyond the
// connections it opens to one host (HostQueue). RoundTripStarting is
// RoundTrip that calls started once the request leaves (or probably has),
// at the latest before it returns; a reader's idle rule (ReadOptions
// IdleTimeout) counts from then, so that a read waiting its turn behind
// other requests is not taken for dead.
type StartingTransport interface {
	Transport
	RoundTripStarting(ctx context.Context, req *Request, started func()) (*Response, error)
}

// TransportFunc adapts a function to the Transport interface.
type TransportFunc func(ctx context.Context, req *Request) (*Response, error)

// RoundTrip calls f(ctx, req).
func (f TransportFunc) RoundTrip(ctx context.Context, req *Request) (*Response, error) {
	return f(ctx, req)
}
