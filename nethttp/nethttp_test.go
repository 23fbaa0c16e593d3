//go:build !js

package nethttp_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamdb/streamdb/core/stream"
	"github.com/streamdb/streamdb/internal/testserver"
	"github.com/streamdb/streamdb/internal/transporttest"
	"github.com/streamdb/streamdb/nethttp"
)

func TestMain(m *testing.M) { testserver.Main(m) }

// TestContract runs the Transport contract, with a client of its own and
// with the shared default client (a nil Client).
func TestContract(t *testing.T) {
	t.Run("New", func(t *testing.T) {
		transporttest.Run(t, "nethttp", func() stream.Transport { return nethttp.New() })
	})
	t.Run("nil Client", func(t *testing.T) {
		transporttest.Run(t, "nethttp", func() stream.Transport { return &nethttp.Transport{} })
	})
}

var do = transporttest.Do

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
