package stream

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

// readChunks returns the body as io.ReadAll would, whatever the sizes of
// the reads and on both sides of chunkedMax, and fails on a body cut
// short.
func TestReadChunks(t *testing.T) {
	big := bytes.Repeat([]byte("0123456789abcdef"), 300_000)        // 4.8 MB: many chunks
	huge := bytes.Repeat([]byte("0123456789abcdef"), chunkedMax/10) // past chunkedMax
	for _, tc := range []struct {
		name string
		body []byte
	}{{"empty", nil}, {"small", []byte(`[1,2,3]`)}, {"one chunk exactly", big[:32<<10]}, {"big", big}, {"past chunkedMax", huge}} {
		for _, r := range []struct {
			name string
			r    func([]byte) io.Reader
		}{{"whole", func(b []byte) io.Reader { return bytes.NewReader(b) }}, {"a byte at a time", func(b []byte) io.Reader { return iotest.OneByteReader(bytes.NewReader(b)) }}, {"half reads", func(b []byte) io.Reader { return iotest.HalfReader(bytes.NewReader(b)) }}} {
			if r.name == "a byte at a time" && len(tc.body) > 1<<16 {
				continue
			}
			pauses := 0
			got, err := readChunks(r.r(tc.body), func() { pauses++ })
			if err != nil || !bytes.Equal(got, tc.body) {
				t.Fatalf("%s, %s: %d bytes, %v; want %d bytes", tc.name, r.name, len(got), err, len(tc.body))
			}
			if len(tc.body) > 1<<20 && pauses == 0 {
				t.Fatalf("%s, %s: no pause in %d bytes", tc.name, r.name, len(tc.body))
			}
		}
	}
	cut := io.MultiReader(bytes.NewReader(big[:100_000]), iotest.ErrReader(io.ErrUnexpectedEOF))
	if _, err := readChunks(cut, nil); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("a body cut short: %v, want io.ErrUnexpectedEOF", err)
	}
}
