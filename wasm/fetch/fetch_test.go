//go:build js && wasm

package fetch_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamdb/streamdb/core/stream"
	"github.com/streamdb/streamdb/internal/testserver"
	"github.com/streamdb/streamdb/wasm/fetch"
)

func TestMain(m *testing.M) { testserver.Main(m) }

// do sends one request and returns the response with its body read fully.
func do(t *testing.T, tr stream.Transport, method, url string, h stream.Header, body []byte) (*stream.Response, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := tr.RoundTrip(ctx, &stream.Request{Method: method, URL: url, Header: h, Body: body})
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(b)
}

// createStream makes a text/plain stream holding body and returns its tail.
func createStream(t *testing.T, tr stream.Transport, url, body string) string {
	t.Helper()
	resp, _ := do(t, tr, "PUT", url, stream.Header{"content-type": "text/plain"}, []byte(body))
	require.Equal(t, 201, resp.StatusCode)
	tail := resp.Header.Get("stream-next-offset")
	require.NotEmpty(t, tail)
	return tail
}

func TestCreateAppendRead(t *testing.T) {
	tr := fetch.New()
	url := testserver.StreamURL(t)
	text := stream.Header{"Content-Type": "text/plain"}

	resp, _ := do(t, tr, "PUT", url, text, nil)
	require.Equal(t, 201, resp.StatusCode)
	tail := resp.Header.Get("Stream-Next-Offset")
	require.NotEmpty(t, tail, "Stream-Next-Offset is exposed through CORS")

	for _, part := range []string{"hello ", "wörld"} {
		resp, body := do(t, tr, "POST", url, text, []byte(part))
		require.Equal(t, 204, resp.StatusCode)
		assert.Empty(t, body, "a 204 has a null body that reads EOF at once")
		next := resp.Header.Get("stream-next-offset")
		assert.Greater(t, next, tail, "offsets grow")
		tail = next
	}

	resp, body := do(t, tr, "GET", url+"?offset=-1", nil, nil)
	require.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, "hello wörld", body)
	assert.Equal(t, tail, resp.Header.Get("Stream-Next-Offset"))
	assert.Equal(t, "true", resp.Header.Get("Stream-Up-To-Date"))
	for k := range resp.Header {
		assert.Equal(t, strings.ToLower(k), k, "header keys are lower case")
	}
}

func TestLargeBodyInSmallReads(t *testing.T) {
	tr := fetch.New()
	url := testserver.StreamURL(t)
	// Big enough for several network chunks and for gzip on the server.
	want := strings.Repeat("0123456789abcdef", 64<<10) // 1 MiB
	createStream(t, tr, url, want)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := tr.RoundTrip(ctx, &stream.Request{Method: "GET", URL: url + "?offset=-1"})
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	// 1000-byte reads split every chunk, exercising the leftover buffer.
	var got strings.Builder
	buf := make([]byte, 1000)
	for {
		n, err := resp.Body.Read(buf)
		got.Write(buf[:n])
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
	}
	assert.Equal(t, len(want), got.Len())
	assert.True(t, want == got.String(), "body round trips")
	n, err := resp.Body.Read(buf)
	assert.Equal(t, 0, n)
	assert.Equal(t, io.EOF, err, "EOF is sticky")
}

func TestErrorStatusIsResponse(t *testing.T) {
	tr := &fetch.Transport{}
	missing := testserver.StreamURL(t)
	tests := []struct {
		method string
		url    string
		body   []byte
	}{
		{"GET", missing + "?offset=-1", nil},
		{"HEAD", missing, nil},
		{"POST", missing, []byte("x")},
		{"DELETE", missing, nil},
	}
	for _, tc := range tests {
		t.Run(tc.method, func(t *testing.T) {
			resp, _ := do(t, tr, tc.method, tc.url, stream.Header{"content-type": "text/plain"}, tc.body)
			assert.Equal(t, 404, resp.StatusCode)
		})
	}
}

func TestLongPollAbortedByContext(t *testing.T) {
	tr := fetch.New()
	url := testserver.StreamURL(t)
	tail := createStream(t, tr, url, "")
	lp := url + "?offset=" + tail + "&live=long-poll"

	tests := []struct {
		name string
		ctx  func() (context.Context, context.CancelFunc)
		want error
	}{
		{"cancel", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(200*time.Millisecond, cancel)
			return ctx, cancel
		}, context.Canceled},
		{"deadline", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 200*time.Millisecond)
		}, context.DeadlineExceeded},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := tc.ctx()
			defer cancel()
			start := time.Now()
			resp, err := tr.RoundTrip(ctx, &stream.Request{Method: "GET", URL: lp})
			elapsed := time.Since(start)
			require.Error(t, err)
			assert.Nil(t, resp)
			assert.ErrorIs(t, err, tc.want)
			assert.Contains(t, err.Error(), "fetch: GET "+lp)
			// The server's long-poll lasts 1.5 s (shared server) or more:
			// returning well before shows that the request was aborted.
			assert.Less(t, elapsed, time.Second)
		})
	}

	// The transport is still usable, and an already-done ctx fails at once.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := tr.RoundTrip(ctx, &stream.Request{Method: "GET", URL: lp})
	assert.ErrorIs(t, err, context.Canceled)
	resp, _ := do(t, tr, "GET", url+"?offset=-1", nil, nil)
	assert.Equal(t, 200, resp.StatusCode)
}

// openSSE starts an SSE read of url and returns the response once the first
// data line has been read, with the reader positioned after it.
func openSSE(t *testing.T, ctx context.Context, tr stream.Transport, url string) (*stream.Response, *bufio.Reader, string) {
	t.Helper()
	resp, err := tr.RoundTrip(ctx, &stream.Request{Method: "GET", URL: url + "?offset=-1&live=sse"})
	require.NoError(t, err)
	require.Equal(t, 200, resp.StatusCode)
	assert.Contains(t, resp.Header.Get("content-type"), "text/event-stream")
	r := bufio.NewReader(resp.Body)
	for {
		line, err := r.ReadString('\n')
		require.NoError(t, err)
		if strings.HasPrefix(line, "data:") {
			return resp, r, strings.TrimRight(line, "\r\n")
		}
	}
}

func TestSSEStreamsFirstEvent(t *testing.T) {
	tr := fetch.New()
	url := testserver.StreamURL(t)
	createStream(t, tr, url, "first-event")

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	// The server keeps the connection open: the data event must arrive long
	// before the 10 s deadline.
	resp, r, line := openSSE(t, ctx, tr, url)
	defer resp.Body.Close()
	assert.Equal(t, "data:first-event", line)
	assert.Less(t, time.Since(start), 5*time.Second)

	// Cancelling ctx aborts the body that is still streaming, also while a
	// Read is waiting for the next chunk.
	time.AfterFunc(100*time.Millisecond, cancel)
	start = time.Now()
	_, err := io.Copy(io.Discard, r)
	require.Error(t, err)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Contains(t, err.Error(), "fetch: GET "+url)
	assert.Less(t, time.Since(start), 2*time.Second)
}

func TestCloseAbortsPendingRead(t *testing.T) {
	tr := fetch.New()
	url := testserver.StreamURL(t)
	createStream(t, tr, url, "x")

	resp, r, _ := openSSE(t, context.Background(), tr, url)
	time.AfterFunc(100*time.Millisecond, func() { _ = resp.Body.Close() })
	start := time.Now()
	_, err := io.Copy(io.Discard, r)
	require.Error(t, err, "a read cut short by Close is not a clean EOF")
	assert.Contains(t, err.Error(), "closed")
	assert.Less(t, time.Since(start), 2*time.Second)
	assert.NoError(t, resp.Body.Close(), "Close twice is fine")
}

func TestAbortMidBodyByContext(t *testing.T) {
	tr := fetch.New()
	url := testserver.StreamURL(t)
	createStream(t, tr, url, "y")

	ctx, cancel := context.WithCancel(context.Background())
	resp, _, _ := openSSE(t, ctx, tr, url)
	defer resp.Body.Close()
	// Cancel while no Read is pending: the next Read fails at once.
	cancel()
	buf := make([]byte, 64)
	_, err := resp.Body.Read(buf)
	require.Error(t, err)
	assert.ErrorIs(t, err, context.Canceled)
	_, err2 := resp.Body.Read(buf)
	assert.ErrorIs(t, err2, context.Canceled, "the error is sticky")
}

func TestFailedFetchIsError(t *testing.T) {
	// Nothing listens on port 1 (Chromium also blocks it as unsafe): the
	// fetch promise rejects with "TypeError: Failed to fetch".
	url := "http://127.0.0.1:1/v1/stream/x"
	resp, err := fetch.New().RoundTrip(context.Background(), &stream.Request{Method: "PUT", URL: url, Body: []byte("x")})
	require.Error(t, err)
	assert.Nil(t, resp)
	assert.Contains(t, err.Error(), "fetch: PUT "+url+": ")
	var jsErr *fetch.JSError
	require.True(t, errors.As(err, &jsErr), "wraps a *fetch.JSError: %v", err)
	assert.Equal(t, "TypeError", jsErr.Name)
	assert.NotEmpty(t, jsErr.Message)
}

func TestInvalidRequestIsError(t *testing.T) {
	url := testserver.StreamURL(t)
	tests := []struct {
		name string
		req  stream.Request
	}{
		{"GET with body", stream.Request{Method: "GET", URL: url, Body: []byte("x")}},
		{"bad header name", stream.Request{Method: "GET", URL: url, Header: stream.Header{"bad header": "x"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := fetch.New().RoundTrip(context.Background(), &tc.req)
			require.Error(t, err)
			assert.Nil(t, resp)
			assert.Contains(t, err.Error(), "fetch: GET "+url)
			var jsErr *fetch.JSError
			assert.True(t, errors.As(err, &jsErr), "wraps a *fetch.JSError: %v", err)
		})
	}
}

func TestCancelFreesConnection(t *testing.T) {
	// Chromium opens at most 6 HTTP/1.1 connections per host. Open more
	// SSE streams than that, cancel each one's ctx and neither read nor
	// close the body: only the AbortController can free the connections.
	// Without it the 7th request waits for a free connection forever.
	//
	// With it, a request may still wait up to about 5 s: after a cancel,
	// Chromium sometimes keeps the socket busy for a while (apparently
	// trying to drain the rest of the body for reuse) before closing it.
	// The timeouts leave room for that.
	tr := fetch.New()
	url := testserver.StreamURL(t)
	createStream(t, tr, url, "z")
	for i := 0; i < 8; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		resp, err := tr.RoundTrip(ctx, &stream.Request{Method: "GET", URL: url + "?offset=-1&live=sse"})
		cancel()
		require.NoError(t, err, "stream %d", i)
		require.Equal(t, 200, resp.StatusCode)
		defer resp.Body.Close()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	resp, err := tr.RoundTrip(ctx, &stream.Request{Method: "GET", URL: url + "?offset=-1"})
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode)
}
