//go:build !js

package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamdb/streamdb/core/wsproto"
	"github.com/streamdb/streamdb/internal/testserver"
)

func TestMain(m *testing.M) { testserver.Main(m) }

// syncBuffer is a bytes.Buffer safe for the logger and the test at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestRunServesAndShutsDown runs the program in-process: health check,
// a socket's hello, then the signal (ctx) closes the socket with 1001 and
// run returns nil.
func TestRunServesAndShutsDown(t *testing.T) {
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	var logs syncBuffer
	listening := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-listen", "127.0.0.1:0", "-upstream", testserver.URL(t), "-live", "sse",
			"-origins", "app.example, *.example.org"}, &logs, listening)
	}()
	var addr string
	select {
	case addr = <-listening:
	case err := <-done:
		t.Fatalf("run: %v\n%s", err, logs.String())
	case <-time.After(20 * time.Second):
		t.Fatal("not listening")
	}

	resp, err := http.Get("http://" + addr + "/healthz")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, "ok", string(body))

	dctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(dctx, "ws://"+addr+wsproto.Path, &websocket.DialOptions{
		HTTPHeader: http.Header{"Origin": {"https://x.example.org"}}})
	require.NoError(t, err)
	defer conn.CloseNow()
	_, data, err := conn.Read(dctx)
	require.NoError(t, err)
	hello, err := wsproto.Decode(data)
	require.NoError(t, err)
	assert.Equal(t, wsproto.Hello, hello.Type)

	_, _, err = websocket.Dial(dctx, "ws://"+addr+wsproto.Path, &websocket.DialOptions{
		HTTPHeader: http.Header{"Origin": {"https://evil.example"}}})
	assert.Error(t, err, "an origin the patterns do not allow")

	stop()
	_, _, err = conn.Read(dctx)
	assert.Equal(t, websocket.StatusGoingAway, websocket.CloseStatus(err), "%v", err)
	select {
	case err := <-done:
		assert.NoError(t, err)
	case <-time.After(15 * time.Second):
		t.Fatal("run did not return after the signal")
	}
	assert.Contains(t, logs.String(), "stopped")
}

func TestRunRefusesBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"-upstream", "ftp://x"},
		{"-upstream", "http://x", "-live", "websocket"},
		{"-upstream", "http://x", "-max-buffer", "0"},
		{"-upstream", "http://x", "extra"},
		{"-nope"},
	} {
		var out syncBuffer
		err := run(context.Background(), args, &out, nil)
		assert.Error(t, err, strings.Join(args, " "))
	}
}
