//go:build !js

package nethttp_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamdb/streamdb/core/stream"
	"github.com/streamdb/streamdb/internal/testserver"
	"github.com/streamdb/streamdb/nethttp"
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

func TestCreateAppendRead(t *testing.T) {
	tr := nethttp.New()
	url := testserver.StreamURL(t)
	text := stream.Header{"content-type": "text/plain"}

	resp, _ := do(t, tr, http.MethodPut, url, text, nil)
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	created := resp.Header.Get("Stream-Next-Offset")
	require.NotEmpty(t, created)

	tail := created
	for _, part := range []string{"hello ", "world"} {
		resp, _ = do(t, tr, http.MethodPost, url, text, []byte(part))
		require.Equal(t, http.StatusNoContent, resp.StatusCode)
		next := resp.Header.Get("stream-next-offset")
		require.NotEmpty(t, next)
		assert.Greater(t, next, tail, "offsets grow")
		tail = next
	}

	resp, body := do(t, tr, http.MethodGet, url+"?offset=-1", nil, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "hello world", body)
	assert.Equal(t, tail, resp.Header.Get("Stream-Next-Offset"))
	assert.Equal(t, "true", resp.Header.Get("Stream-Up-To-Date"))
	for k := range resp.Header {
		assert.Equal(t, strings.ToLower(k), k, "header keys are lower case")
	}

	// An existing stream with the same config answers 200, not an error.
	resp, _ = do(t, tr, http.MethodPut, url, text, nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
}

func TestErrorStatusIsResponse(t *testing.T) {
	tr := &nethttp.Transport{} // nil Client: the default client
	missing := testserver.StreamURL(t)
	tests := []struct {
		method string
		url    string
		body   []byte
	}{
		{http.MethodGet, missing + "?offset=-1", nil},
		{http.MethodHead, missing, nil},
		{http.MethodPost, missing, []byte("x")},
		{http.MethodDelete, missing, nil},
	}
	for _, tc := range tests {
		t.Run(tc.method, func(t *testing.T) {
			resp, _ := do(t, tr, tc.method, tc.url, stream.Header{"Content-Type": "text/plain"}, tc.body)
			assert.Equal(t, http.StatusNotFound, resp.StatusCode)
		})
	}
}

// createStream makes a text/plain stream holding body and returns its tail.
func createStream(t *testing.T, tr stream.Transport, url, body string) string {
	t.Helper()
	resp, _ := do(t, tr, http.MethodPut, url, stream.Header{"content-type": "text/plain"}, []byte(body))
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	tail := resp.Header.Get("stream-next-offset")
	require.NotEmpty(t, tail)
	return tail
}

func TestLongPollAbortedByContext(t *testing.T) {
	tr := nethttp.New()
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
			resp, err := tr.RoundTrip(ctx, &stream.Request{Method: http.MethodGet, URL: lp})
			elapsed := time.Since(start)
			if resp != nil {
				resp.Body.Close()
			}
			require.Error(t, err)
			assert.Nil(t, resp)
			assert.ErrorIs(t, err, tc.want)
			assert.Contains(t, err.Error(), "nethttp: GET "+lp)
			// The shared server's long-poll lasts 1.5 s: returning well
			// before that shows the request was aborted, not answered.
			assert.Less(t, elapsed, time.Second)
		})
	}
}

func TestSSEStreamsFirstEvent(t *testing.T) {
	tr := nethttp.New()
	url := testserver.StreamURL(t)
	createStream(t, tr, url, "first-event")

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	resp, err := tr.RoundTrip(ctx, &stream.Request{Method: http.MethodGet, URL: url + "?offset=-1&live=sse"})
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, resp.Header.Get("content-type"), "text/event-stream")

	// The server keeps the connection open: the data event must be readable
	// long before the context's 10 s deadline.
	r := bufio.NewReader(resp.Body)
	var got []string
	for {
		line, err := r.ReadString('\n')
		require.NoError(t, err)
		got = append(got, strings.TrimRight(line, "\r\n"))
		if strings.HasPrefix(line, "data:") {
			break
		}
	}
	assert.Less(t, time.Since(start), 5*time.Second)
	assert.Contains(t, got, "event: data")
	assert.Equal(t, "data:first-event", got[len(got)-1])

	// Cancelling ctx aborts the body that is still streaming.
	cancel()
	_, err = io.Copy(io.Discard, r)
	require.Error(t, err)
	assert.ErrorIs(t, err, context.Canceled)
}

func TestHeadersAndBody(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("X-Multi", "a")
		w.Header().Add("X-Multi", "b")
		w.Header().Set("Stream-Next-Offset", "0_5")
		w.Header().Set("X-Method", r.Method)
		w.Header().Set("X-Got-Custom", r.Header.Get("X-Custom"))
		w.Header().Set("X-Got-Host", r.Host)
		w.WriteHeader(http.StatusTeapot)
		_, _ = io.Copy(w, r.Body)
	}))
	defer srv.Close()

	resp, body := do(t, nethttp.New(), http.MethodPost, srv.URL+"/x",
		stream.Header{"x-custom": "v1", "host": "example.test"}, []byte("payload"))
	assert.Equal(t, http.StatusTeapot, resp.StatusCode)
	assert.Equal(t, "payload", body)
	tests := []struct{ key, want string }{
		{"x-multi", "a, b"},
		{"stream-next-offset", "0_5"},
		{"x-method", "POST"},
		{"x-got-custom", "v1"},
		{"x-got-host", "example.test"},
	}
	for _, tc := range tests {
		v, ok := resp.Header[tc.key]
		assert.True(t, ok, "key %q stored in lower case", tc.key)
		assert.Equal(t, tc.want, v, tc.key)
	}
}

func TestDroppedConnectionIsReadError(t *testing.T) {
	tests := []struct {
		name   string
		header string
	}{
		{"content-length", "Content-Length: 1000\r\n"},
		{"chunked", "Transfer-Encoding: chunked\r\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				conn, buf, err := http.NewResponseController(w).Hijack()
				if err != nil {
					t.Errorf("hijack: %v", err)
					return
				}
				defer conn.Close()
				part := "partial body"
				if tc.name == "chunked" {
					part = "c\r\npartial body\r\n"
				}
				_, _ = buf.WriteString("HTTP/1.1 200 OK\r\n" + tc.header + "\r\n" + part)
				_ = buf.Flush()
			}))
			defer srv.Close()

			url := srv.URL + "/drop"
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			resp, err := nethttp.New().RoundTrip(ctx, &stream.Request{Method: http.MethodGet, URL: url})
			require.NoError(t, err)
			defer resp.Body.Close()
			assert.Equal(t, http.StatusOK, resp.StatusCode)
			b, err := io.ReadAll(resp.Body)
			require.Error(t, err)
			assert.NotErrorIs(t, err, io.EOF)
			assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
			assert.Contains(t, err.Error(), "nethttp: GET "+url+": read body")
			assert.Equal(t, "partial body", string(b))
		})
	}
}

func TestConnectionRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	url := "http://" + ln.Addr().String() + "/v1/stream/x"
	require.NoError(t, ln.Close())

	resp, err := nethttp.New().RoundTrip(context.Background(), &stream.Request{Method: http.MethodPut, URL: url, Body: []byte("x")})
	require.Error(t, err)
	assert.Nil(t, resp)
	assert.Contains(t, err.Error(), "nethttp: PUT "+url+": ")
	var opErr *net.OpError
	assert.True(t, errors.As(err, &opErr), "the net error stays reachable: %v", err)
}

func TestBadRequest(t *testing.T) {
	_, err := nethttp.New().RoundTrip(context.Background(), &stream.Request{Method: "GET", URL: "://bad"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "nethttp: GET ://bad")
}
