package stream

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestValidateOffset(t *testing.T) {
	for _, ok := range []string{"-1", "now", "0000000000000000_0000000000000111", "abc.DEF-_~:;+!*", "ffffffffffffffff"} {
		assert.NoError(t, validateOffset(ok), ok)
	}
	for _, bad := range []string{"", "a,b", "a&b", "a=b", "a?b", "a/b", "a b", "a#b", "a%20", "é", "\x00", strings.Repeat("x", 2000)} {
		assert.Error(t, validateOffset(bad), bad)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"1", time.Second, true},
		{" 2 ", 2 * time.Second, true},
		{"0.5", 500 * time.Millisecond, true},
		{"0", 0, true},
		{"99999", time.Hour, true},
		{"Wed, 25 Nov 2026 12:00:30 GMT", 30 * time.Second, true},
		{"Wed, 25 Nov 2026 11:00:00 GMT", 0, true},
		{"", 0, false},
		{"-1", 0, false},
		{"NaN", 0, false},
		{"soon", 0, false},
	} {
		got, ok := parseRetryAfter(tc.in, now)
		assert.Equal(t, tc.ok, ok, tc.in)
		assert.Equal(t, tc.want, got, tc.in)
	}
}

func TestParseTTLAndProducerNumbers(t *testing.T) {
	d, err := parseTTL("3600")
	require.NoError(t, err)
	assert.Equal(t, time.Hour, d)
	for _, bad := range []string{"", "01", "-1", "+1", "1.5", "x", "99999999999999999999"} {
		_, err := parseTTL(bad)
		assert.Error(t, err, bad)
	}
	assert.Equal(t, "2", formatTTL(1500*time.Millisecond), "rounded up to whole seconds")

	n, err := parseProducerNumber("9007199254740991")
	require.NoError(t, err)
	assert.Equal(t, int64(1<<53-1), n)
	for _, bad := range []string{"", "-1", "1e3", "9007199254740992", " 1", "12345678901234567"} {
		_, err := parseProducerNumber(bad)
		assert.Error(t, err, bad)
	}
}

func TestMediaTypes(t *testing.T) {
	assert.True(t, IsJSON("application/json"))
	assert.True(t, IsJSON("Application/JSON; charset=utf-8"))
	assert.False(t, IsJSON("application/jsonl"))
	assert.False(t, sseIsBase64("text/plain; charset=utf-8"))
	assert.False(t, sseIsBase64("application/json"))
	assert.True(t, sseIsBase64("application/octet-stream"))
	assert.True(t, sseIsBase64("image/png"))
}

func TestBuildURL(t *testing.T) {
	assert.Equal(t, "http://h/s?cursor=7&live=sse&offset=1_2",
		buildURL("http://h/s", map[string]string{"offset": "1_2", "live": "sse", "cursor": "7"}), "sorted for cache hits")
	assert.Equal(t, "http://h/s?a=1&offset=-1&x=a+b%26c",
		buildURL("http://h/s?a=1", map[string]string{"offset": "-1", "x": "a b&c"}))
}

// FuzzOffset checks that an offset the client accepts survives the trip
// through a request URL unchanged, next to other parameters.
func FuzzOffset(f *testing.F) {
	for _, s := range []string{"-1", "now", "0000000000000000_0000000000000111", "a/b", "", "x y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, o string) {
		if validateOffset(o) != nil {
			return
		}
		u, err := url.Parse(buildURL("http://h/s?x=1", map[string]string{"offset": o, "live": "sse"}))
		require.NoError(t, err)
		require.Equal(t, o, u.Query().Get("offset"))
		require.Equal(t, "/s", u.Path)
	})
}

// FuzzHeaders feeds arbitrary header values to every header parser: none
// may panic, and what they accept must be in range.
func FuzzHeaders(f *testing.F) {
	for _, s := range []string{"1", "0", "3600", "01", "-5", "Wed, 25 Nov 2026 12:00:30 GMT", "9007199254740991", "true", "TRUE ", "1e9"} {
		f.Add(s)
	}
	now := time.Now()
	f.Fuzz(func(t *testing.T, v string) {
		if d, ok := parseRetryAfter(v, now); ok {
			require.GreaterOrEqual(t, d, time.Duration(0))
			require.LessOrEqual(t, d, time.Hour)
		}
		if d, err := parseTTL(v); err == nil {
			require.GreaterOrEqual(t, d, time.Duration(0))
			require.Equal(t, v, formatTTL(d), "TTL round trip")
		}
		if n, err := parseProducerNumber(v); err == nil {
			require.GreaterOrEqual(t, n, int64(0))
			require.LessOrEqual(t, n, int64(1<<53-1))
		}
		_ = isTrue(v)
		_ = mediaType(v)
	})
}

// writeQueryEscaped escapes as net/url's QueryEscape does.
func TestWriteQueryEscaped(t *testing.T) {
	for _, s := range []string{"", "abc", "a b", "a+b&c=d/e?f#g", "ünïcödé", "-_.~", "%", "\x00\xff", "offset=-1"} {
		var b strings.Builder
		writeQueryEscaped(&b, s)
		if got, want := b.String(), url.QueryEscape(s); got != want {
			t.Errorf("%q: got %q, want %q", s, got, want)
		}
	}
}
