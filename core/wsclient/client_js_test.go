//go:build js

package wsclient_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/streamdb/streamdb/core/db"
	"github.com/streamdb/streamdb/core/stream"
	"github.com/streamdb/streamdb/core/wsclient"
	"github.com/streamdb/streamdb/internal/testserver"
)

// In the browser the client speaks through the page's WebSocket to the
// gateway that internal/testserver/run.mjs --gateway starts in front of
// the reference server (STREAMDB_TEST_GATEWAY).
func TestMain(m *testing.M) { testserver.Main(m) }

func gatewayURL(t *testing.T) string {
	u := os.Getenv("STREAMDB_TEST_GATEWAY")
	if u == "" {
		t.Fatal("STREAMDB_TEST_GATEWAY is not set: run through internal/testserver/run.mjs --gateway (make test-js does)")
	}
	return u
}

// A subscription and appends over the browser's WebSocket, and a database
// fed by them: what the page reads equals the stream read over HTTP.
func TestBrowserSocket(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := stream.NewClient(testserver.Transport(), stream.Options{})
	require.NoError(t, err)
	s := c.Stream(testserver.StreamURL(t))
	_, err = s.Create(ctx, stream.CreateOptions{ContentType: "application/json"})
	require.NoError(t, err)
	path, err := wsclient.PathOf(s.URL())
	require.NoError(t, err)
	for i := range 5 {
		_, err := s.Append(ctx, []byte(fmt.Sprintf(`{"type":"user","key":"u%d","value":{"n":%d},"headers":{"operation":"insert"}}`, i, i)), stream.AppendOptions{})
		require.NoError(t, err)
	}
	ws := wsclient.New(wsclient.Options{URL: gatewayURL(t)})
	defer ws.Close()
	d, err := db.Open(s, db.Options{Collections: []db.CollectionDef{{Name: "users", Type: "user", PrimaryKey: "id"}}, Source: ws.Source(path)})
	require.NoError(t, err)
	defer d.Close()
	require.NoError(t, d.Preload(ctx))
	require.Equal(t, 5, d.Collection("users").Size())

	res, err := ws.Append(ctx, path, []byte(`[{"type":"user","key":"u9","value":{"n":9},"headers":{"operation":"insert"}}]`), nil)
	require.NoError(t, err)
	for d.Offset() != res.Offset {
		select {
		case <-ctx.Done():
			t.Fatalf("the append at %s was not read (at %s)", res.Offset, d.Offset())
		case <-time.After(10 * time.Millisecond):
		}
	}
	require.True(t, d.Collection("users").Has("u9"))
	require.Equal(t, wsclient.StateOpen, ws.State())
}
