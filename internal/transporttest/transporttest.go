// Package transporttest holds the contract every stream.Transport must keep,
// as tests that run against the real reference server. The native
// (nethttp) and browser (wasm/fetch) transports both run it.
package transporttest

import (
	"bufio"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamdb/streamdb/core/stream"
	"github.com/streamdb/streamdb/internal/testserver"
)

// Run runs the contract against transports made by newTransport. prefix is
// how the transport's errors begin (for example "nethttp"): they must name
// the method and URL as "<prefix>: GET <url>".
func Run(t *testing.T, prefix string, newTransport func() stream.Transport) {
	t.Run("CreateAppendRead", func(t *testing.T) { createAppendRead(t, newTransport()) })
	t.Run("ErrorStatusIsResponse", func(t *testing.T) { errorStatusIsResponse(t, newTransport()) })
	t.Run("LongPollAbortedByContext", func(t *testing.T) { longPollAbortedByContext(t, prefix, newTransport()) })
	t.Run("SSEStreamsFirstEvent", func(t *testing.T) { sseStreamsFirstEvent(t, prefix, newTransport()) })
}

// Do sends one request and returns the response with its body read fully.
func Do(t *testing.T, tr stream.Transport, method, url string, h stream.Header, body []byte) (*stream.Response, string) {
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

// CreateStream makes a text/plain stream holding body and returns its tail.
func CreateStream(t *testing.T, tr stream.Transport, url, body string) string {
	t.Helper()
	resp, _ := Do(t, tr, "PUT", url, stream.Header{"content-type": "text/plain"}, []byte(body))
	require.Equal(t, 201, resp.StatusCode)
	tail := resp.Header.Get("stream-next-offset")
	require.NotEmpty(t, tail)
	return tail
}

// OpenSSE starts an SSE read of url and returns the response once the first
// data line has been read, the lines read so far, and the reader positioned
// after them.
func OpenSSE(t *testing.T, ctx context.Context, tr stream.Transport, url string) (*stream.Response, *bufio.Reader, []string) {
	t.Helper()
	resp, err := tr.RoundTrip(ctx, &stream.Request{Method: "GET", URL: url + "?offset=-1&live=sse"})
	require.NoError(t, err)
	require.Equal(t, 200, resp.StatusCode)
	assert.Contains(t, resp.Header.Get("content-type"), "text/event-stream")
	r := bufio.NewReader(resp.Body)
	var lines []string
	for {
		line, err := r.ReadString('\n')
		require.NoError(t, err)
		lines = append(lines, strings.TrimRight(line, "\r\n"))
		if strings.HasPrefix(line, "data:") {
			return resp, r, lines
		}
	}
}

func createAppendRead(t *testing.T, tr stream.Transport) {
	url := testserver.StreamURL(t)
	text := stream.Header{"Content-Type": "text/plain"}

	resp, _ := Do(t, tr, "PUT", url, text, nil)
	require.Equal(t, 201, resp.StatusCode)
	tail := resp.Header.Get("Stream-Next-Offset")
	require.NotEmpty(t, tail, "Stream-Next-Offset is readable (in a browser: exposed through CORS)")

	for _, part := range []string{"hello ", "wörld"} {
		resp, body := Do(t, tr, "POST", url, text, []byte(part))
		require.Equal(t, 204, resp.StatusCode)
		assert.Empty(t, body, "a 204 has no body and reads EOF at once")
		next := resp.Header.Get("stream-next-offset")
		require.NotEmpty(t, next)
		assert.Greater(t, next, tail, "offsets grow")
		tail = next
	}

	resp, body := Do(t, tr, "GET", url+"?offset=-1", nil, nil)
	require.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, "hello wörld", body)
	assert.Equal(t, tail, resp.Header.Get("Stream-Next-Offset"))
	assert.Equal(t, "true", resp.Header.Get("Stream-Up-To-Date"))
	for k := range resp.Header {
		assert.Equal(t, strings.ToLower(k), k, "header keys are lower case")
	}

	// An existing stream with the same config answers 200, not an error.
	resp, _ = Do(t, tr, "PUT", url, text, nil)
	assert.Equal(t, 200, resp.StatusCode)
}

func errorStatusIsResponse(t *testing.T, tr stream.Transport) {
	missing := testserver.StreamURL(t)
	for _, tc := range []struct {
		method, url string
		body        []byte
	}{
		{"GET", missing + "?offset=-1", nil},
		{"HEAD", missing, nil},
		{"POST", missing, []byte("x")},
		{"DELETE", missing, nil},
	} {
		t.Run(tc.method, func(t *testing.T) {
			resp, _ := Do(t, tr, tc.method, tc.url, stream.Header{"content-type": "text/plain"}, tc.body)
			assert.Equal(t, 404, resp.StatusCode)
		})
	}
}

func longPollAbortedByContext(t *testing.T, prefix string, tr stream.Transport) {
	url := testserver.StreamURL(t)
	tail := CreateStream(t, tr, url, "")
	lp := url + "?offset=" + tail + "&live=long-poll"

	for _, tc := range []struct {
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
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := tc.ctx()
			defer cancel()
			start := time.Now()
			resp, err := tr.RoundTrip(ctx, &stream.Request{Method: "GET", URL: lp})
			elapsed := time.Since(start)
			if resp != nil {
				resp.Body.Close()
			}
			require.Error(t, err)
			assert.Nil(t, resp)
			assert.ErrorIs(t, err, tc.want)
			assert.Contains(t, err.Error(), prefix+": GET "+lp)
			// The shared server's long-poll lasts 1.5 s: returning well
			// before that shows the request was aborted, not answered.
			assert.Less(t, elapsed, time.Second)
		})
	}

	// The transport is still usable, and an already-done ctx fails at once.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := tr.RoundTrip(ctx, &stream.Request{Method: "GET", URL: lp})
	assert.ErrorIs(t, err, context.Canceled)
	resp, _ := Do(t, tr, "GET", url+"?offset=-1", nil, nil)
	assert.Equal(t, 200, resp.StatusCode)
}

func sseStreamsFirstEvent(t *testing.T, prefix string, tr stream.Transport) {
	url := testserver.StreamURL(t)
	CreateStream(t, tr, url, "first-event")

	t.Run("cancel before reading on", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		start := time.Now()
		// The server keeps the connection open: the data event must arrive
		// long before the 10 s deadline.
		resp, r, lines := OpenSSE(t, ctx, tr, url)
		defer resp.Body.Close()
		assert.Less(t, time.Since(start), 5*time.Second)
		assert.Contains(t, lines, "event: data")
		assert.Equal(t, "data:first-event", lines[len(lines)-1])

		// Cancelling ctx aborts the body that is still streaming.
		cancel()
		_, err := io.Copy(io.Discard, r)
		require.Error(t, err)
		assert.ErrorIs(t, err, context.Canceled)
	})
	t.Run("cancel while a read waits", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		resp, r, lines := OpenSSE(t, ctx, tr, url)
		defer resp.Body.Close()
		assert.Equal(t, "data:first-event", lines[len(lines)-1])

		time.AfterFunc(100*time.Millisecond, cancel)
		start := time.Now()
		_, err := io.Copy(io.Discard, r)
		require.Error(t, err)
		assert.ErrorIs(t, err, context.Canceled)
		assert.Contains(t, err.Error(), prefix+": GET "+url)
		assert.Less(t, time.Since(start), 2*time.Second)
	})
}
