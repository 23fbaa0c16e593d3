//go:build !js

package gateway_test

import (
	"context"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamdb/streamdb/core/wsclient"
	"github.com/streamdb/streamdb/core/wsproto"
	"github.com/streamdb/streamdb/internal/gateway"
	"github.com/streamdb/streamdb/internal/testserver"
)

// serveAt starts a gateway on ln and returns it and a stop function.
func serveAt(t *testing.T, ln net.Listener) (*gateway.Gateway, func()) {
	t.Helper()
	gw, err := gateway.New(gateway.Options{Upstream: testserver.URL(t), Logf: t.Logf})
	require.NoError(t, err)
	srv := &http.Server{Handler: gw}
	go func() { _ = srv.Serve(ln) }()
	stop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		assert.NoError(t, gw.Shutdown(ctx))
		_ = srv.Close()
	}
	return gw, stop
}

// TestWSClientAcrossRestart: core/wsclient against this gateway: a
// subscription and appends, the gateway shut down and started again on the
// same address mid-live (an append made directly meanwhile); the client
// resumes with nothing lost or repeated.
func TestWSClientAcrossRestart(t *testing.T) {
	e := start(t, gateway.Options{})
	path, url := e.newStream(nums(0, 3, 0)...)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	_, stop1 := serveAt(t, ln)
	c := wsclient.New(wsclient.Options{URL: "ws://" + addr + wsproto.Path, MinDelay: 20 * time.Millisecond, MaxDelay: 200 * time.Millisecond})
	defer c.Close()
	sub, err := c.Subscribe(path, "-1", nil)
	require.NoError(t, err)
	var got []string
	collect := func(n int) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		for len(got) < n {
			b, err := sub.NextContext(ctx)
			require.NoError(t, err)
			for _, it := range b.Items {
				got = append(got, string(it))
			}
		}
	}
	collect(3)
	res, err := c.Append(context.Background(), path, []byte(`{"n":3}`), nil)
	require.NoError(t, err)
	assert.NotEmpty(t, res.Offset)
	collect(4)

	stop1()
	e.post(url, `{"n":4}`)
	ln2, err := net.Listen("tcp", addr)
	require.NoError(t, err)
	_, stop2 := serveAt(t, ln2)
	defer stop2()
	_, err = c.Append(context.Background(), path, []byte(`{"n":5}`), nil)
	require.NoError(t, err)
	collect(6)
	want, _ := e.read(url, "-1")
	assert.Equal(t, want, got)
	assert.Equal(t, nums(0, 6, 0), got)
}
