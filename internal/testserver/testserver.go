// Package testserver gives tests the address of a running reference Durable
// Streams server (the npm package @durable-streams/server, started by
// server.mjs in this folder).
//
// If the environment variable STREAMDB_TEST_SERVER holds a base URL, that
// server is used. Otherwise, in a native test process, one shared server is
// started on first use and stopped when the process ends (call Main from
// TestMain to stop it right after the tests). Under GOOS=js a test cannot
// start processes: `make test` starts the server with run.mjs and passes its
// URL in STREAMDB_TEST_SERVER.
package testserver

import (
	"math/rand/v2"
	"os"
	"strings"
	"sync/atomic"
	"testing"
)

// EnvVar names the environment variable that holds the base URL of an
// already running server, e.g. http://127.0.0.1:4437.
const EnvVar = "STREAMDB_TEST_SERVER"

// SharedLongPollMS is the long-poll timeout of the shared server: short, so
// that tests which wait for a long-poll to end with no data are quick.
const SharedLongPollMS = 1500

// URL returns the base URL of a running reference server (no trailing
// slash). Streams live under URL(tb) + "/v1/stream/".
func URL(tb testing.TB) string {
	tb.Helper()
	if u := strings.TrimRight(os.Getenv(EnvVar), "/"); u != "" {
		return u
	}
	return sharedURL(tb)
}

var streamSeq atomic.Uint64

// StreamURL returns the URL of a stream that no other test uses: the shared
// server's stream path plus a name made from tb.Name() and a random suffix.
// The stream is not created.
func StreamURL(tb testing.TB) string {
	tb.Helper()
	return URL(tb) + "/v1/stream/" + streamName(tb.Name())
}

func streamName(testName string) string {
	var b strings.Builder
	dash := false
	for _, r := range testName {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_'
		switch {
		case ok:
			b.WriteRune(r)
			dash = false
		case !dash && b.Len() > 0:
			b.WriteByte('-')
			dash = true
		}
	}
	name := strings.TrimRight(b.String(), "-")
	if len(name) > 80 {
		name = strings.TrimRight(name[:80], "-")
	}
	if name == "" {
		name = "stream"
	}
	const digits = "0123456789abcdefghijklmnopqrstuvwxyz"
	suffix := make([]byte, 8)
	for i := range suffix {
		suffix[i] = digits[rand.IntN(len(digits))]
	}
	return name + "-" + string(suffix) + "-" + itoa(streamSeq.Add(1))
}

func itoa(n uint64) string {
	if n == 0 {
		return "0"
	}
	var buf [20]byte
	i := len(buf)
	for n > 0 {
		i--
		buf[i] = byte('0' + n%10)
		n /= 10
	}
	return string(buf[i:])
}

// Main runs the tests, stops the shared server if one was started, and exits
// with the tests' exit code. Use it as
//
//	func TestMain(m *testing.M) { testserver.Main(m) }
func Main(m *testing.M) {
	code := m.Run()
	stopShared()
	os.Exit(code)
}
