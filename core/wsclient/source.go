package wsclient

import (
	"context"
	"errors"
	"net/url"

	"github.com/streamdb/streamdb/core/db"
	"github.com/streamdb/streamdb/core/stream"
)

// Source returns a core/db Source that reads the stream at path over the
// client's socket (db.Options.Source). The read options' offset and header
// fields are used (the header function too, once per subscription), and
// OnRetry and Retry apply to the socket (see SubscribeOptions): the
// database's connection state and OnError follow the socket's failures,
// and a retry policy that gives up fails the database. Query parameters
// cannot be carried and are refused.
func (c *Client) Source(path string) db.Source { return &source{c: c, path: path} }

// PathOf returns the path of a stream URL, as the gateway names streams.
func PathOf(streamURL string) (string, error) {
	u, err := url.Parse(streamURL)
	if err != nil {
		return "", err
	}
	if u.RawQuery != "" {
		return "", errors.New("wsclient: a stream URL with query parameters cannot be followed through the gateway")
	}
	return u.EscapedPath(), nil
}

type source struct {
	c    *Client
	path string
}

func (s *source) Read(ctx context.Context, o stream.ReadOptions) (db.BatchReader, error) {
	if len(o.Params) > 0 {
		return nil, &stream.Error{Code: stream.CodeInvalidArgument, Op: "read", URL: s.path,
			Message: "query parameters cannot be sent through the WebSocket gateway; use header fields"}
	}
	headers := map[string]string{}
	for k, v := range o.Header {
		headers[k] = v
	}
	if o.Refresh != nil {
		h, p, err := o.Refresh(ctx)
		if err != nil {
			return nil, err
		}
		if len(p) > 0 {
			return nil, &stream.Error{Code: stream.CodeInvalidArgument, Op: "read", URL: s.path,
				Message: "query parameters cannot be sent through the WebSocket gateway; use header fields"}
		}
		for k, v := range h {
			headers[k] = v
		}
	}
	sub, err := s.c.SubscribeWith(s.path, o.Offset, SubscribeOptions{Headers: headers, OnRetry: o.OnRetry, Retry: o.Retry})
	if err != nil {
		return nil, err
	}
	return &reader{sub: sub, ctx: ctx}, nil
}

// reader is a Subscription as a db.BatchReader: Next ends with the
// database's context.
type reader struct {
	sub *Subscription
	ctx context.Context
}

func (r *reader) Next() (*stream.Batch, error) { return r.sub.NextContext(r.ctx) }
func (r *reader) Close()                       { r.sub.Close() }
