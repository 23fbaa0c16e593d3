//go:build !js

package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/url"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/streamdb/streamdb/core/stream"
	"github.com/streamdb/streamdb/core/wsproto"
)

// streamURL returns the upstream URL of a frame's stream path, or why the
// path is refused. Only clean absolute paths are taken (no "..", ".", "//",
// trailing slash, query, fragment, backslash, control byte, or any of them
// percent-encoded), so the URL is always on the upstream's host.
func (g *Gateway) streamURL(p string) (string, error) {
	if err := cleanPath(p); err != nil {
		return "", err
	}
	raw := g.base + p
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("stream path %q: %w", p, err)
	}
	if u.Host != g.host || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", fmt.Errorf("stream path %q leaves the upstream", p)
	}
	return raw, nil
}

// cleanPath checks a stream path, before and after percent-decoding.
func cleanPath(p string) error {
	if p == "" || p[0] != '/' {
		return fmt.Errorf("stream %q is not an absolute path on the upstream (it must start with /)", p)
	}
	if len(p) > 2048 {
		return fmt.Errorf("stream path is %d bytes long, more than 2048", len(p))
	}
	if err := plainPath(p); err != nil {
		return fmt.Errorf("stream %q: %w", p, err)
	}
	dec, err := url.PathUnescape(p)
	if err != nil {
		return fmt.Errorf("stream %q: bad percent-encoding: %w", p, err)
	}
	if dec != p {
		if err := plainPath(dec); err != nil {
			return fmt.Errorf("stream %q, decoded: %w", p, err)
		}
		if strings.Count(dec, "/") != strings.Count(p, "/") {
			return fmt.Errorf("stream %q holds an encoded slash", p)
		}
	}
	return nil
}

// plainPath refuses what could make a path reach anything but itself.
func plainPath(p string) error {
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c < 0x20 || c == 0x7f {
			return fmt.Errorf("control byte %#x in the path", c)
		}
		if c == '?' || c == '#' || c == '\\' {
			return fmt.Errorf("%q is not allowed in a stream path", c)
		}
	}
	if strings.HasPrefix(p, "//") {
		return fmt.Errorf("a stream path must not start with //")
	}
	if path.Clean(p) != p {
		return fmt.Errorf("not a clean path (no \"..\", \".\", \"//\" or trailing slash)")
	}
	return nil
}

// forbiddenHeaders are header fields a frame may not set: they belong to
// the connection or to the gateway.
var forbiddenHeaders = map[string]bool{
	"host": true, "connection": true, "content-length": true, "content-type": true,
	"transfer-encoding": true, "upgrade": true, "te": true, "trailer": true,
	"keep-alive": true, "proxy-connection": true, "expect": true, "accept-encoding": true,
	"producer-id": true, "producer-epoch": true, "producer-seq": true,
}

// Header limits of one frame.
const (
	maxHeaders     = 64
	maxHeaderBytes = 16 << 10
)

// checkHeaders turns a frame's headers into request header fields
// (lower-case names), or says why they are refused.
func checkHeaders(h map[string]string) (stream.Header, error) {
	if len(h) > maxHeaders {
		return nil, fmt.Errorf("%d headers, more than %d", len(h), maxHeaders)
	}
	out := make(stream.Header, len(h))
	size := 0
	for k, v := range h {
		size += len(k) + len(v)
		if !isToken(k) {
			return nil, fmt.Errorf("header name %q is not a valid field name", k)
		}
		lk := strings.ToLower(k)
		if forbiddenHeaders[lk] {
			return nil, fmt.Errorf("header %q cannot be set by a frame", k)
		}
		if _, dup := out[lk]; dup {
			return nil, fmt.Errorf("header %q is given twice", k)
		}
		for i := 0; i < len(v); i++ {
			if c := v[i]; (c < 0x20 && c != '\t') || c == 0x7f {
				return nil, fmt.Errorf("header %q holds a control byte", k)
			}
		}
		out[lk] = v
	}
	if size > maxHeaderBytes {
		return nil, fmt.Errorf("headers are %d bytes, more than %d", size, maxHeaderBytes)
	}
	return out, nil
}

// isToken reports whether s is an HTTP token (RFC 9110), as field names are.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// feedKey is what subscriptions must share to share a feed: the stream's
// path and the exact header set (names lower-cased).
func feedKey(p string, h stream.Header) string {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(strconv.Quote(p))
	for _, k := range keys {
		b.WriteByte('\n')
		b.WriteString(strconv.Quote(k))
		b.WriteByte(':')
		b.WriteString(strconv.Quote(h[k]))
	}
	return b.String()
}

// appendReq is one append frame waiting for its POST.
type appendReq struct {
	req      int64
	path     string
	url      string
	header   stream.Header
	data     []byte
	producer *wsproto.Producer
}

// appendRetry bounds the retries of one append: it fails with an error
// frame rather than keep the client waiting for ever.
var appendRetry = stream.RetryPolicy{MaxRetries: 8, InitialDelay: 100 * time.Millisecond, MaxDelay: 5 * time.Second, Multiplier: 2}

// post sends one append upstream and returns the frame that answers it: an
// ack, or an error. Transient failures (429, 5xx) are retried; a request
// that got no answer is retried only with a producer, whose (id, epoch,
// seq) makes the upstream drop a repeat.
func (g *Gateway) post(ctx context.Context, a *appendReq) *wsproto.Frame {
	h := a.header.Clone()
	h.Set("Content-Type", "application/json")
	if p := a.producer; p != nil {
		h.Set("Producer-Id", p.ID)
		h.Set("Producer-Epoch", strconv.FormatInt(p.Epoch, 10))
		h.Set("Producer-Seq", strconv.FormatInt(p.Seq, 10))
	}
	fail := func(code stream.Code, status int, msg string) *wsproto.Frame {
		return &wsproto.Frame{Type: wsproto.Error, Req: a.req, HasReq: true, Code: string(code), Status: status,
			Message: fmt.Sprintf("append to %s: %s", a.path, msg)}
	}
	bound := appendRetry.InitialDelay
	for attempt := 0; ; attempt++ {
		var (
			wait   time.Duration
			failed *wsproto.Frame
		)
		resp, err := g.transport.RoundTrip(ctx, &stream.Request{Method: "POST", URL: a.url, Header: h, Body: a.data})
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return fail(stream.CodeNetwork, 0, "the socket ended: "+err.Error())
			}
			failed = fail(stream.CodeNetwork, 0, err.Error())
			if a.producer == nil {
				// A plain append that got no answer may have landed:
				// sending it again could store it twice.
				return failed
			}
		default:
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
			resp.Body.Close()
			st := resp.StatusCode
			switch {
			case st == 200 || st == 204:
				off := resp.Header.Get("Stream-Next-Offset")
				if a.producer != nil && st == 204 {
					g.stats.acks.Add(1)
					return &wsproto.Frame{Type: wsproto.Ack, Req: a.req, HasReq: true, Duplicate: true}
				}
				if off == "" {
					return fail(stream.CodeProtocol, st, "the upstream's answer has no Stream-Next-Offset")
				}
				g.stats.acks.Add(1)
				return &wsproto.Frame{Type: wsproto.Ack, Req: a.req, HasReq: true, Offset: off}
			case st == 429 || st >= 500:
				failed = fail(appendCode(st, resp.Header), st, serverText(body))
				if d, ok := retryAfter(resp.Header.Get("Retry-After")); ok {
					wait = d
				}
			default:
				return fail(appendCode(st, resp.Header), st, serverText(body))
			}
		}
		if attempt >= appendRetry.MaxRetries {
			failed.Message += " (retries exhausted)"
			return failed
		}
		wait = max(wait, time.Duration(rand.Int64N(int64(bound)+1)))
		bound = min(time.Duration(float64(bound)*appendRetry.Multiplier), appendRetry.MaxDelay)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fail(stream.CodeNetwork, 0, "the socket ended while waiting to retry")
		case <-t.C:
		}
	}
}

// appendCode classifies a failed append's status the way core/stream does.
func appendCode(status int, h stream.Header) stream.Code {
	switch {
	case status == 404:
		return stream.CodeNotFound
	case status == 410:
		return stream.CodeGone
	case status == 409:
		switch {
		case strings.EqualFold(strings.TrimSpace(h.Get("Stream-Closed")), "true"):
			return stream.CodeStreamClosed
		case h.Has("Producer-Expected-Seq"):
			return stream.CodeProducerSeqGap
		}
		return stream.CodeConflict
	case status == 400:
		return stream.CodeBadRequest
	case status == 401:
		return stream.CodeUnauthorized
	case status == 403:
		if h.Has("Producer-Epoch") {
			return stream.CodeProducerFenced
		}
		return stream.CodeForbidden
	case status == 413:
		return stream.CodeTooLarge
	case status == 429:
		return stream.CodeRateLimited
	case status == 405 || status == 501:
		return stream.CodeNotSupported
	case status >= 500:
		return stream.CodeBusy
	}
	return stream.CodeUnexpected
}

// retryAfter reads a Retry-After of delta-seconds, capped at a minute.
func retryAfter(v string) (time.Duration, bool) {
	secs, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || secs < 0 || secs != secs {
		return 0, false
	}
	return min(time.Duration(secs*float64(time.Second)), time.Minute), true
}

// serverText returns the start of an error body, for messages.
func serverText(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	if s == "" {
		s = "no message"
	}
	return s
}

// errorFrame turns a read failure into the error frame that ends
// subscription sub. The message is the upstream's own text (or the code's
// meaning), not the upstream URL.
func errorFrame(sub int64, err error) *wsproto.Frame {
	f := &wsproto.Frame{Type: wsproto.Error, Sub: sub, HasSub: true, Code: string(stream.CodeOf(err))}
	var se *stream.Error
	if errors.As(err, &se) {
		f.Status = se.Status
		f.Message = se.Message
	}
	if f.Code == "" {
		f.Code = string(stream.CodeUnexpected)
	}
	if f.Message == "" {
		f.Message = "upstream read failed: " + f.Code
	}
	return f
}

// retryingFrame tells subscription sub that its upstream read failed with
// r.Err and is retried after r.Delay: the same code, status and message
// as errorFrame would give.
func retryingFrame(sub int64, r stream.Retry) *wsproto.Frame {
	var err error = r.Err
	if r.Err == nil {
		err = &stream.Error{Code: stream.CodeUnexpected}
	}
	f := errorFrame(sub, err)
	f.Type, f.Attempt, f.DelayMs = wsproto.Retrying, r.Attempt, r.Delay.Milliseconds()
	return f
}
