//go:build js && wasm

package fetch_test

import (
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
	"github.com/streamdb/streamdb/internal/transporttest"
	"github.com/streamdb/streamdb/wasm/fetch"
)

func TestMain(m *testing.M) { testserver.Main(m) }

// TestContract runs the Transport contract in the browser.
func TestContract(t *testing.T) {
	transporttest.Run(t, "fetch", func() stream.Transport { return fetch.New() })
}

var (
	createStream = transporttest.CreateStream
	openSSE      = transporttest.OpenSSE
)

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
