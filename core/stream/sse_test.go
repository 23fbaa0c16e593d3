package stream

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func parseAllSSE(t testing.TB, r io.Reader) ([]sseEvent, error) {
	t.Helper()
	p := newSSEParser(r, 0)
	var out []sseEvent
	for {
		ev, err := p.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, ev)
	}
}

func TestSSEParser(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		want []sseEvent
	}{
		{"reference server framing", "event: data\ndata:[1,2]\n\nevent: control\ndata:{\"upToDate\":true}\n\n",
			[]sseEvent{{Type: "data", Data: []byte("[1,2]")}, {Type: "control", Data: []byte(`{"upToDate":true}`)}}},
		{"one optional space stripped", "event: data\ndata:  two spaces\n\n", []sseEvent{{Type: "data", Data: []byte(" two spaces")}}},
		{"multi-line data joined with LF", "event:data\ndata:a\ndata:b\ndata:\n\n", []sseEvent{{Type: "data", Data: []byte("a\nb\n")}}},
		{"CRLF and CR line ends", "event: data\r\ndata: x\r\n\r\nevent: data\rdata: y\r\r", []sseEvent{{Type: "data", Data: []byte("x")}, {Type: "data", Data: []byte("y")}}},
		{"comments, id and retry ignored", ": hi\nid: 7\nretry: 10\nevent: data\ndata: z\n\n", []sseEvent{{Type: "data", Data: []byte("z")}}},
		{"no event field is message", "data: m\n\n", []sseEvent{{Type: "message", Data: []byte("m")}}},
		{"event without data is dropped", "event: data\n\nevent: data\ndata: k\n\n", []sseEvent{{Type: "data", Data: []byte("k")}}},
		{"field without colon", "data\n\n", []sseEvent{{Type: "message", Data: []byte("")}}},
		{"unicode line separators kept", "data: a\u2028b\u0085c\u2029\n\n", []sseEvent{{Type: "message", Data: []byte("a\u2028b\u0085c\u2029")}}},
		{"unterminated last event dropped", "event: data\ndata: 1\n\nevent: data\ndata: 2", []sseEvent{{Type: "data", Data: []byte("1")}}},
		{"unterminated blank-less event dropped", "event: data\ndata: 1\n", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseAllSSE(t, strings.NewReader(tc.in))
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
			// The same input delivered one byte at a time parses the same.
			got, err = parseAllSSE(t, iotest.OneByteReader(strings.NewReader(tc.in)))
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestSSEParserErrors(t *testing.T) {
	// An event above the limit (one long line, or many lines) is read
	// past and dispatched without its data; the next one parses.
	for _, long := range []string{"data: " + strings.Repeat("x", 100) + "\n", strings.Repeat("data: xxxxxxxxxx\n", 10)} {
		in := long + "\nevent: next\ndata: 2\n\n"
		for _, r := range []io.Reader{strings.NewReader(in), iotest.OneByteReader(strings.NewReader(in))} {
			p := newSSEParser(r, 50)
			ev, err := p.Next()
			require.NoError(t, err)
			assert.True(t, ev.Oversize)
			assert.Nil(t, ev.Data)
			ev, err = p.Next()
			require.NoError(t, err)
			assert.Equal(t, sseEvent{Type: "next", Data: []byte("2")}, ev)
		}
	}

	boom := errors.New("connection reset")
	p := newSSEParser(io.MultiReader(strings.NewReader("event: data\ndata: 1\n\nevent: data\n"), iotest.ErrReader(boom)), 0)
	ev, err := p.Next()
	require.NoError(t, err)
	assert.Equal(t, "1", string(ev.Data))
	_, err = p.Next()
	require.ErrorIs(t, err, boom)
}

// FuzzSSEParser checks that the parser never panics, that chunking does not
// change the result, and that every data line it was given comes back.
func FuzzSSEParser(f *testing.F) {
	for _, s := range []string{
		"event: data\ndata:[1]\n\nevent: control\ndata:{\"streamNextOffset\":\"1_2\"}\n\n",
		"data: a\r\ndata: b\r\r\n:c\n\n",
		"event:\ndata\n\n\n",
		"\r\n\r\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		whole, err1 := parseAllSSE(t, strings.NewReader(string(in)))
		bytewise, err2 := parseAllSSE(t, iotest.OneByteReader(strings.NewReader(string(in))))
		require.NoError(t, err1)
		require.NoError(t, err2)
		require.Equal(t, whole, bytewise)
		for _, ev := range whole {
			require.NotEmpty(t, ev.Type)
			require.NotContains(t, string(ev.Data), "\r")
		}
	})
}
