//go:build !js

package gateway

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamdb/streamdb/core/stream"
	"github.com/streamdb/streamdb/core/wsproto"
)

// TestBatchSplice: a batch frame made of batchHead and a shared batchBody
// is the frame wsproto.AppendFrame writes, and decodes to the same.
func TestBatchSplice(t *testing.T) {
	b := &stream.Batch{Offset: "0000_0012", UpToDate: true, Items: [][]byte{[]byte(`{"a":1}`), []byte(`"x"`)}}
	for _, sub := range []int64{0, 7, -3, 1 << 50} {
		got := append(batchHead(sub), batchBody(b)...)
		want := wsproto.AppendFrame(nil, &wsproto.Frame{Type: wsproto.Batch, Sub: sub, HasSub: true, Offset: b.Offset,
			UpToDate: true, Items: b.Items})
		assert.Equal(t, string(want), string(got))
		f, err := wsproto.Decode(got)
		require.NoError(t, err)
		assert.Equal(t, sub, f.Sub)
		assert.Len(t, f.Items, 2)
	}
	closed := append(batchHead(1), batchBody(&stream.Batch{Offset: "9", Closed: true})...)
	f, err := wsproto.Decode(closed)
	require.NoError(t, err)
	assert.True(t, f.Closed)
	assert.Empty(t, f.Items)
}

func TestCleanPath(t *testing.T) {
	for _, p := range []string{"/v1/stream/chat", "/v1/stream/a b", "/v1/stream/a%20b", "/x", "/v1/stream/é", "/v1/stream/a.b", "/v1/stream/..a"} {
		assert.NoError(t, cleanPath(p), p)
	}
	for _, p := range []string{"", "x", "../x", "/v1/../x", "/v1/./x", "/v1//x", "//evil/x", "/v1/x/", "/v1/x?y", "/v1/x#y",
		"http://evil/", "/v1/%2e%2e/x", "/v1/a%2Fb", "/v1/a%5cb", "/v1/a\\b", "/v1/a\nb", "/v1/a%0ab", "/v1/%zz", "/v1/%2e"} {
		assert.Error(t, cleanPath(p), p)
	}
	g, err := New(Options{Upstream: "http://up:1/base/"})
	require.NoError(t, err)
	u, err := g.streamURL("/v1/stream/x")
	require.NoError(t, err)
	assert.Equal(t, "http://up:1/base/v1/stream/x", u)
}

func TestFeedKey(t *testing.T) {
	a := feedKey("/s", stream.Header{"authorization": "a", "x": "1"})
	assert.Equal(t, a, feedKey("/s", stream.Header{"x": "1", "authorization": "a"}))
	assert.NotEqual(t, a, feedKey("/s", stream.Header{"authorization": "a"}))
	assert.NotEqual(t, a, feedKey("/s", stream.Header{"authorization": "b", "x": "1"}))
	assert.NotEqual(t, a, feedKey("/t", stream.Header{"authorization": "a", "x": "1"}))
	// No value can pose as another header set.
	assert.NotEqual(t, feedKey("/s", stream.Header{"a": "1\n\"b\":\"2"}), feedKey("/s", stream.Header{"a": "1", "b": "2"}))
}
