package stream

import (
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamdb/streamdb/core/jsonscan"
)

// fakeServer answers requests from a script, one answer per request, and
// records the URLs asked. Only for faults the real server cannot produce.
type fakeServer struct {
	mu      sync.Mutex
	answers []func(*Request) (*Response, error)
	urls    []string
}

func (f *fakeServer) RoundTrip(ctx context.Context, r *Request) (*Response, error) {
	f.mu.Lock()
	f.urls = append(f.urls, r.URL)
	if len(f.answers) == 0 {
		f.mu.Unlock()
		<-ctx.Done()
		return nil, ctx.Err()
	}
	a := f.answers[0]
	f.answers = f.answers[1:]
	f.mu.Unlock()
	return a(r)
}

func answer(status int, h Header, body string) func(*Request) (*Response, error) {
	return func(*Request) (*Response, error) {
		return &Response{StatusCode: status, Header: h, Body: io.NopCloser(strings.NewReader(body))}, nil
	}
}

// errBody yields body, then fails as a dropped connection does.
type errBody struct{ r io.Reader }

func (b errBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err == io.EOF {
		return n, io.ErrUnexpectedEOF
	}
	return n, err
}
func (errBody) Close() error { return nil }

func dropAfter(status int, h Header, body string) func(*Request) (*Response, error) {
	return func(*Request) (*Response, error) {
		return &Response{StatusCode: status, Header: h, Body: errBody{strings.NewReader(body)}}, nil
	}
}

func jsonHeader(offset string, upToDate bool) Header {
	h := Header{"content-type": "application/json", "stream-next-offset": offset}
	if upToDate {
		h["stream-up-to-date"] = "true"
	}
	return h
}

func fakeReader(t *testing.T, f Transport, o ReadOptions) *Reader {
	t.Helper()
	policy := RetryPolicy{MaxRetries: 3, InitialDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond, Multiplier: 2}
	c, err := NewClient(f, Options{Retry: &policy})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	r, err := c.Stream("http://fake/s").Read(ctx, o)
	require.NoError(t, err)
	t.Cleanup(r.Close)
	return r
}

func TestReadBadResponses(t *testing.T) {
	for _, tc := range []struct {
		name   string
		answer func(*Request) (*Response, error)
		code   Code
		status int
	}{
		{"missing Stream-Next-Offset", answer(200, Header{"content-type": "application/json"}, `[]`), CodeProtocol, 200},
		{"malformed Stream-Next-Offset", answer(200, jsonHeader("a/b", true), `[]`), CodeProtocol, 200},
		{"JSON mode body not JSON", answer(200, jsonHeader("1", true), `hello`), CodeParse, 200},
		{"JSON mode body not an array", answer(200, jsonHeader("1", true), `{"a":1}`), CodeParse, 200},
		{"unexpected status", answer(418, Header{}, "teapot"), CodeUnexpected, 418},
		{"gone", answer(410, Header{}, ""), CodeGone, 410},
		{"unauthorized", answer(401, Header{}, ""), CodeUnauthorized, 401},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeServer{answers: []func(*Request) (*Response, error){tc.answer, answer(200, jsonHeader("9", true), `[1]`)}}
			r := fakeReader(t, f, ReadOptions{})
			_, err := r.Next()
			var se *Error
			require.ErrorAs(t, err, &se)
			assert.Equal(t, tc.code, se.Code)
			assert.Equal(t, tc.status, se.Status)
			assert.Equal(t, "http://fake/s", se.URL)
			assert.Equal(t, "-1", se.Offset)
			assert.Equal(t, "-1", r.Offset(), "the reader did not move")
			b, err := r.Next()
			require.NoError(t, err, "the reader goes on from where it was")
			assert.Equal(t, "[1]", string(b.Data))
			assert.Equal(t, []string{"http://fake/s?offset=-1", "http://fake/s?offset=-1"}, f.urls)
		})
	}
}

// TestReadAheadFailure: a read ahead that fails hands its error to the
// next Next, and the reader goes on from the offset it had reached, as
// after a failed read in turn.
func TestReadAheadFailure(t *testing.T) {
	f := &fakeServer{answers: []func(*Request) (*Response, error){
		answer(200, jsonHeader("1", true), `[1]`),
		answer(404, Header{}, "gone for now"),
		answer(200, jsonHeader("2", true), `[2]`),
	}}
	r := fakeReader(t, f, ReadOptions{Live: LiveLongPoll, ReadAhead: true})
	b, err := r.Next()
	require.NoError(t, err)
	assert.Equal(t, "[1]", string(b.Data))
	_, err = r.Next()
	var se *Error
	require.ErrorAs(t, err, &se)
	assert.Equal(t, CodeNotFound, se.Code)
	assert.Equal(t, "1", r.Offset(), "the reader did not move")
	b, err = r.Next()
	require.NoError(t, err, "the reader goes on from where it was")
	assert.Equal(t, "[2]", string(b.Data))
	f.mu.Lock()
	defer f.mu.Unlock()
	require.GreaterOrEqual(t, len(f.urls), 3)
	assert.Equal(t, []string{"http://fake/s?offset=-1", "http://fake/s?live=long-poll&offset=1", "http://fake/s?live=long-poll&offset=1"}, f.urls[:3])
}

// TestReadAheadAtHeader: a long-poll's answer read in parts sends the next
// long-poll as soon as its header has come, before its first part is
// handed out; a catch-up answer does not (its body may stream for long:
// two connections at once), only after its last part.
func TestReadAheadAtHeader(t *testing.T) {
	f := &routedServer{answers: map[string][]func(*Request) (*Response, error){
		"-1": {answer(200, jsonHeader("2", true), `[1,2]`)},
		"2":  {answer(200, jsonHeader("8", true), `[3,4,5,6,7,8]`)},
	}}
	r := fakeReader(t, f, ReadOptions{Live: LiveLongPoll, ReadAhead: true, PartBytes: 4})
	asked := func(offset string) func() bool {
		return func() bool {
			f.mu.Lock()
			defer f.mu.Unlock()
			return slices.ContainsFunc(f.urls, func(u string) bool { return strings.HasSuffix(u, "offset="+offset) })
		}
	}
	b, err := r.Next()
	require.NoError(t, err)
	require.True(t, b.Partial, "the catch-up answer comes in parts")
	assert.Never(t, asked("2"), time.Second, 5*time.Millisecond, "no long-poll while the catch-up answer is read")
	for b.Partial {
		b, err = r.Next()
		require.NoError(t, err)
	}
	assert.Eventually(t, asked("2"), time.Second, 5*time.Millisecond, "the long-poll goes out after the catch-up's last part")
	b, err = r.Next()
	require.NoError(t, err)
	require.True(t, b.Partial, "the long-poll's answer comes in parts")
	assert.Eventually(t, asked("8"), time.Second, 5*time.Millisecond, "the next long-poll went out at the answer's header")
}

// TestReadAheadSilent: a long-poll sent ahead that the network keeps
// silent is the read's first attempt: after IdleTimeout it is reported as
// any silent request is (OnRetry, with what the watchdog saw) and asked
// again, and nothing is lost.
func TestReadAheadSilent(t *testing.T) {
	f := &routedServer{answers: map[string][]func(*Request) (*Response, error){
		"-1": {answer(200, jsonHeader("1", true), `[1]`)},
		"1":  {nil, answer(200, jsonHeader("2", true), `[2]`)}, // the first long-poll hears nothing
	}}
	var retries []Retry
	r := fakeReader(t, f, ReadOptions{Live: LiveLongPoll, ReadAhead: true, IdleTimeout: 50 * time.Millisecond,
		OnRetry: func(rt Retry) { retries = append(retries, rt) }})
	assert.Equal(t, []string{"1", "2"}, readItems(t, r, 2))
	require.Len(t, retries, 1, "the silent request is reported once")
	assert.Contains(t, retries[0].Err.Error(), "no bytes from the server")
}

// readItems reads r until it has handed out n items, and returns them.
func readItems(t *testing.T, r *Reader, n int) []string {
	t.Helper()
	var got []string
	for len(got) < n {
		b, err := r.Next()
		require.NoError(t, err)
		for _, it := range b.Items {
			got = append(got, string(it))
		}
	}
	return got
}

// routedServer answers each request by its offset, from a script per
// offset (one answer per request, in turn; nil: the request hears nothing
// until its context ends), and waits when it has none.
type routedServer struct {
	mu      sync.Mutex
	answers map[string][]func(*Request) (*Response, error)
	urls    []string
}

func (f *routedServer) RoundTrip(ctx context.Context, r *Request) (*Response, error) {
	f.mu.Lock()
	f.urls = append(f.urls, r.URL)
	off := r.URL[strings.Index(r.URL, "offset=")+len("offset="):]
	var a func(*Request) (*Response, error)
	if as := f.answers[off]; len(as) > 0 {
		a, f.answers[off] = as[0], as[1:]
	}
	f.mu.Unlock()
	if a == nil {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return a(r)
}

// TestReadAheadAfterLostPart: a response read in parts sends the next
// long-poll ahead from where its header says it ends; when its body is
// then lost and asked for again, the new answer may end further on, and
// the request sent ahead must not deliver what that answer already did.
func TestReadAheadAfterLostPart(t *testing.T) {
	f := &routedServer{answers: map[string][]func(*Request) (*Response, error){
		"-1": {answer(200, jsonHeader("1", true), `[1]`)},
		"1": {
			dropAfter(200, jsonHeader("3", true), `[2,3`),
			answer(200, jsonHeader("4", true), `[2,3,4]`),
		},
		"3": {answer(200, jsonHeader("4", true), `[4]`)},
		"4": {answer(200, jsonHeader("5", true), `[5]`)},
	}}
	r := fakeReader(t, f, ReadOptions{Live: LiveLongPoll, ReadAhead: true, PartBytes: 4})
	assert.Equal(t, []string{"1", "2", "3", "4", "5"}, readItems(t, r, 5), "each item once, in order")
	assert.Equal(t, "5", r.Offset())
}

func TestReadDroppedMidBodyRetriesSameOffset(t *testing.T) {
	f := &fakeServer{answers: []func(*Request) (*Response, error){
		answer(200, jsonHeader("5", false), `[1,2]`),
		dropAfter(200, jsonHeader("9", true), `[3,`),
		func(*Request) (*Response, error) { return nil, errors.New("connection refused") },
		answer(200, jsonHeader("9", true), `[3,4]`),
	}}
	r := fakeReader(t, f, ReadOptions{})
	var items []string
	for {
		b, err := r.Next()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		for _, it := range b.Items {
			items = append(items, string(it))
		}
	}
	assert.Equal(t, []string{"1", "2", "3", "4"}, items, "nothing lost, nothing repeated")
	assert.Equal(t, []string{"http://fake/s?offset=-1", "http://fake/s?offset=5", "http://fake/s?offset=5", "http://fake/s?offset=5"}, f.urls)
}

func sseHeader() Header { return Header{"content-type": "text/event-stream"} }

func TestSSEDroppedBeforeControlDeliversOnce(t *testing.T) {
	f := &fakeServer{answers: []func(*Request) (*Response, error){
		answer(200, jsonHeader("1", true), `[]`),
		// Data arrives, then the connection drops before its control event.
		dropAfter(200, sseHeader(), "event: data\ndata:[\"a\"]\n\n"),
		answer(200, sseHeader(), "event: data\ndata:[\"a\"]\n\nevent: data\ndata:[\"b\"]\n\nevent: control\ndata:{\"streamNextOffset\":\"3\",\"streamCursor\":\"c1\",\"upToDate\":true}\n\n"),
	}}
	r := fakeReader(t, f, ReadOptions{Live: LiveSSE})
	b, err := r.Next()
	require.NoError(t, err)
	require.True(t, b.UpToDate)
	b, err = r.Next()
	require.NoError(t, err)
	assert.Equal(t, `["a","b"]`, string(b.Data), "consecutive data events merge into one batch")
	assert.Equal(t, "3", b.Offset)
	assert.Equal(t, "c1", r.Cursor())
	assert.Equal(t, "http://fake/s?live=sse&offset=1", f.urls[1])
	assert.Equal(t, "http://fake/s?live=sse&offset=1", f.urls[2], "reconnects from the last confirmed offset")
}

func TestSSEBadEvents(t *testing.T) {
	for _, tc := range []struct{ name, body string }{
		{"malformed control JSON", "event: control\ndata:{bad\n\n"},
		{"empty control", "event: control\ndata:\n\n"},
		{"control without offset", "event: control\ndata:{\"upToDate\":true}\n\n"},
		{"data not a JSON array", "event: data\ndata:{\"a\":1}\n\nevent: control\ndata:{\"streamNextOffset\":\"2\"}\n\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeServer{answers: []func(*Request) (*Response, error){
				answer(200, jsonHeader("1", true), `[]`),
				answer(200, sseHeader(), tc.body),
				answer(200, sseHeader(), "event: data\ndata:[7]\n\nevent: control\ndata:{\"streamNextOffset\":\"2\",\"upToDate\":true}\n\n"),
			}}
			r := fakeReader(t, f, ReadOptions{Live: LiveSSE})
			_, err := r.Next()
			require.NoError(t, err)
			_, err = r.Next()
			require.ErrorIs(t, err, ErrParse)
			assert.Equal(t, "1", r.Offset())
			b, err := r.Next()
			require.NoError(t, err)
			assert.Equal(t, "[7]", string(b.Data))
		})
	}
}

func TestSSEInvalidBase64IsAParseError(t *testing.T) {
	f := &fakeServer{answers: []func(*Request) (*Response, error){
		answer(200, Header{"content-type": "application/octet-stream", "stream-next-offset": "1", "stream-up-to-date": "true"}, ``),
		answer(200, sseHeader(), "event: data\ndata:abc\n\nevent: control\ndata:{\"streamNextOffset\":\"2\"}\n\n"),
	}}
	r := fakeReader(t, f, ReadOptions{Live: LiveSSE})
	_, err := r.Next()
	require.NoError(t, err)
	_, err = r.Next()
	require.ErrorIs(t, err, ErrParse)
}

// FuzzSSEReader runs a live SSE reader over arbitrary event-stream bytes:
// it must never panic, every error must be a typed *Error, and every batch
// it delivers must carry a valid offset.
func FuzzSSEReader(f *testing.F) {
	f.Add("event: data\ndata:[1]\n\nevent: control\ndata:{\"streamNextOffset\":\"2\",\"upToDate\":true}\n\n", true)
	f.Add("event: control\ndata:{\"streamNextOffset\":\"3\",\"streamClosed\":true}\n\n", false)
	f.Add("event: data\ndata:AAE=\n\nevent: control\ndata:{\"streamNextOffset\":\"2\"}\n\n", false)
	f.Fuzz(func(t *testing.T, body string, jsonMode bool) {
		ct := "application/octet-stream"
		if jsonMode {
			ct = "application/json"
		}
		fs := &fakeServer{answers: []func(*Request) (*Response, error){
			answer(200, Header{"content-type": ct, "stream-next-offset": "1", "stream-up-to-date": "true"}, ``),
			answer(200, sseHeader(), body),
		}}
		c, err := NewClient(fs, Options{Retry: &RetryPolicy{MaxRetries: 0, InitialDelay: 1, MaxDelay: 1, Multiplier: 1}})
		require.NoError(t, err)
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		r, err := c.Stream("http://fake/s").Read(ctx, ReadOptions{Live: LiveSSE})
		require.NoError(t, err)
		defer r.Close()
		for range 20 {
			b, err := r.Next()
			if err == io.EOF {
				return
			}
			if err != nil {
				var se *Error
				require.ErrorAs(t, err, &se)
				return
			}
			require.NoError(t, validateOffset(b.Offset))
			if jsonMode && len(b.Data) > 0 {
				_, err := splitJSON(b.Data)
				require.NoError(t, err)
			}
		}
	})
}

func splitJSON(b []byte) ([][]byte, error) { return jsonscan.SplitArray(nil, b) }

// A proxy that cuts every SSE connection at once: after maxShortSSE short
// connections in a row the reader falls back to long-poll, and loses nothing.
func TestShortSSEConnectionsFallBackToLongPoll(t *testing.T) {
	ctl := func(off string) string {
		return "event: data\ndata:[" + off + "]\n\nevent: control\ndata:{\"streamNextOffset\":\"" + off + "\",\"streamCursor\":\"c\",\"upToDate\":true}\n\n"
	}
	lp := Header{"content-type": "application/json", "stream-next-offset": "5", "stream-up-to-date": "true", "stream-cursor": "c2"}
	f := &fakeServer{answers: []func(*Request) (*Response, error){
		answer(200, jsonHeader("1", true), `[]`),
		answer(200, sseHeader(), ctl("2")),
		answer(200, sseHeader(), ctl("3")),
		answer(200, sseHeader(), ctl("4")),
		answer(200, lp, `[5]`),
	}}
	r := fakeReader(t, f, ReadOptions{Live: LiveSSE})
	assert.Equal(t, []string{"2", "3", "4", "5"}, readItems(t, r, 4), "every item once, across the switch")
	assert.Equal(t, LiveLongPoll, r.Live())
	assert.Contains(t, f.urls[4], "live=long-poll")
	assert.Contains(t, f.urls[4], "offset=4")
}
