package stream

import (
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/streamdb/streamdb/internal/strfmt"
)

// Header and query parameter names of the Durable Streams protocol.
const (
	headerNextOffset          = "Stream-Next-Offset"
	headerUpToDate            = "Stream-Up-To-Date"
	headerCursor              = "Stream-Cursor"
	headerClosed              = "Stream-Closed"
	headerTTL                 = "Stream-TTL"
	headerExpiresAt           = "Stream-Expires-At"
	headerSeq                 = "Stream-Seq"
	headerSSEDataEncoding     = "Stream-SSE-Data-Encoding"
	headerProducerID          = "Producer-Id"
	headerProducerEpoch       = "Producer-Epoch"
	headerProducerSeq         = "Producer-Seq"
	headerProducerExpectedSeq = "Producer-Expected-Seq"
	headerProducerReceivedSeq = "Producer-Received-Seq"
	headerContentType         = "Content-Type"
	headerRetryAfter          = "Retry-After"
	headerETag                = "ETag"

	// OffsetStart asks a read to start at the beginning of the stream.
	OffsetStart = "-1"
	// OffsetNow asks a read to start at the current tail.
	OffsetNow = "now"
)

// maxOffsetLen bounds offsets the client accepts from servers and callers;
// the protocol asks servers to keep them under 256 characters.
const maxOffsetLen = 1024

// validateOffset checks an offset given by a caller or received from a
// server: "-1", "now", or an opaque token of printable ASCII that holds none
// of the characters the protocol reserves (, & = ? /) and no space.
func validateOffset(o string) error {
	if o == "" {
		return strfmt.Errorf("offset is empty")
	}
	if len(o) > maxOffsetLen {
		return strfmt.Errorf("offset is %d bytes long, more than %d", len(o), maxOffsetLen)
	}
	for i := 0; i < len(o); i++ {
		c := o[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(",&=?/#%", c) >= 0 {
			return strfmt.Errorf("offset %q holds the reserved or non-printable byte %q", o, c)
		}
	}
	return nil
}

// isTrue reports whether a boolean header value means true: the protocol
// compares "true" case-insensitively and ignores any other value.
func isTrue(v string) bool { return strings.EqualFold(strings.TrimSpace(v), "true") }

// parseRetryAfter reads a Retry-After value, either delta-seconds or an
// HTTP date, relative to now. It returns 0 and false when the value is
// absent or malformed. Delays are capped at one hour.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	const maxDelay = time.Hour
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		if secs < 0 || math.IsNaN(secs) {
			return 0, false
		}
		if secs > maxDelay.Seconds() {
			return maxDelay, true
		}
		return time.Duration(secs * float64(time.Second)), true
	}
	if t, ok := parseHTTPDate(v); ok {
		return min(max(t.Sub(now), 0), maxDelay), true
	}
	return 0, false
}

// parseTTL reads a Stream-TTL value: decimal seconds with no sign and no
// leading zero, as the protocol requires.
func parseTTL(v string) (time.Duration, error) {
	if v == "" {
		return 0, strfmt.Errorf("empty TTL")
	}
	if v != "0" && v[0] == '0' {
		return 0, strfmt.Errorf("TTL %q has a leading zero", v)
	}
	n, err := strconv.ParseUint(v, 10, 63)
	if err != nil || n > math.MaxInt64/uint64(time.Second) {
		return 0, strfmt.Errorf("TTL %q is not a number of seconds", v)
	}
	return time.Duration(n) * time.Second, nil
}

// formatTTL writes d as a Stream-TTL value (whole seconds, rounded up).
func formatTTL(d time.Duration) string {
	secs := int64(d / time.Second)
	if d%time.Second != 0 {
		secs++
	}
	return strconv.FormatInt(secs, 10)
}

// parseProducerNumber reads a Producer-Epoch or Producer-Seq value: digits
// only, at most 2^53-1.
func parseProducerNumber(v string) (int64, error) {
	if v == "" || len(v) > 16 {
		return 0, strfmt.Errorf("producer number %q is empty or too long", v)
	}
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return 0, strfmt.Errorf("producer number %q is not a decimal integer", v)
		}
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n > 1<<53-1 {
		return 0, strfmt.Errorf("producer number %q is out of range", v)
	}
	return n, nil
}

// mediaType returns the media type of a Content-Type value, lower-cased and
// without parameters, so that "application/json; charset=utf-8" compares
// equal to "application/json".
func mediaType(ct string) string {
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	return strings.ToLower(strings.TrimSpace(ct))
}

// IsJSON reports whether a content type selects the protocol's JSON mode.
func IsJSON(contentType string) bool { return mediaType(contentType) == "application/json" }

// sseIsBase64 reports whether SSE data for a stream of this content type is
// base64-encoded: everything but text/* and application/json is.
func sseIsBase64(contentType string) bool {
	mt := mediaType(contentType)
	return !(strings.HasPrefix(mt, "text/") || mt == "application/json")
}

// buildURL appends query parameters to base in a stable, sorted order (for
// cache hits), keeping any query base already has.
func buildURL(base string, params map[string]string) string {
	if len(params) == 0 {
		return base
	}
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] }) // sort.Strings would add slices.Sort[string] to the wasm
	var b strings.Builder
	b.WriteString(base)
	sep := byte('?')
	if strings.IndexByte(base, '?') >= 0 {
		sep = '&'
	}
	for _, k := range keys {
		b.WriteByte(sep)
		sep = '&'
		writeQueryEscaped(&b, k)
		b.WriteByte('=')
		writeQueryEscaped(&b, params[k])
	}
	return b.String()
}

// writeQueryEscaped writes s escaped for a URL query, as net/url's
// QueryEscape does (space as '+', bytes other than letters, digits and
// -_.~ as %XX). It keeps net/url, and the packages it pulls in, out of the
// wasm.
func writeQueryEscaped(b *strings.Builder, s string) {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_', c == '.', c == '~':
			b.WriteByte(c)
		case c == ' ':
			b.WriteByte('+')
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
}
