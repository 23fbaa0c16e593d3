//go:build js && wasm

package fetch

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/streamdb/streamdb/core/stream"
	"github.com/streamdb/streamdb/wasm/internal/jsval"
)

// jsResponse makes a JS Response with the given headers (name, value
// pairs; a name may repeat).
func jsResponse(t testing.TB, pairs ...string) jsval.Value {
	t.Helper()
	headersCtor, err := jsval.Global().Get("Headers")
	require.NoError(t, err)
	h, err := headersCtor.New()
	require.NoError(t, err)
	for i := 0; i < len(pairs); i += 2 {
		_, err := h.Call("append", pairs[i], pairs[i+1])
		require.NoError(t, err)
	}
	responseCtor, err := jsval.Global().Get("Response")
	require.NoError(t, err)
	init, err := jsval.ValueOf(map[string]any{})
	require.NoError(t, err)
	require.NoError(t, init.Set("headers", h))
	r, err := responseCtor.New(jsval.Null(), init)
	require.NoError(t, err)
	return r
}

func TestReadHeaders(t *testing.T) {
	r := jsResponse(t,
		"Stream-Next-Offset", "0000_0042",
		"Content-Type", "application/json",
		"X-Repeated", "a",
		"X-Repeated", "b",
		"X-Quote", `say "hi" \ ok`,
		"X-Unicode", "caf\u00e9",
	)
	h, err := readHeaders(r)
	require.NoError(t, err)
	require.Equal(t, stream.Header{
		"stream-next-offset": "0000_0042",
		"content-type":       "application/json",
		"x-repeated":         "a, b",
		"x-quote":            `say "hi" \ ok`,
		"x-unicode":          "caf\u00e9",
	}, h)
}

// BenchmarkReadHeaders reads the headers of a response like the reference
// server's.
func BenchmarkReadHeaders(b *testing.B) {
	r := jsResponse(b,
		"access-control-allow-origin", "*",
		"access-control-expose-headers", "stream-next-offset, stream-cursor, stream-up-to-date, stream-closed, etag, content-type",
		"cache-control", "no-store",
		"content-type", "application/json",
		"date", "Thu, 26 Nov 2026 03:00:00 GMT",
		"etag", `"abc-123"`,
		"stream-cursor", "1234",
		"stream-next-offset", "0000000000000000_0000000000004242",
		"stream-up-to-date", "true",
		"vary", "origin",
	)
	for b.Loop() {
		if _, err := readHeaders(r); err != nil {
			b.Fatal(err)
		}
	}
}
