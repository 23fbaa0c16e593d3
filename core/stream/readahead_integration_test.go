package stream_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamdb/streamdb/core/stream"
)

// liveGets tells which long-poll requests go out, as they go out.
type liveGets struct {
	stream.Transport
	sent chan string
}

func (l *liveGets) RoundTrip(ctx context.Context, r *stream.Request) (*stream.Response, error) {
	if r.Method == "GET" && strings.Contains(r.URL, "live=long-poll") {
		select {
		case l.sent <- r.URL:
		default:
		}
	}
	return l.Transport.RoundTrip(ctx, r)
}

// TestReadAhead: with ReadAhead the next long-poll goes out while the
// caller still holds the batch that reached the tail (a catch-up answer
// read in parts: once its last part is read; a long-poll's answer at its
// header, TestReadAheadAtHeader), without it only when Next is called;
// and a reader that applies slowly while the stream grows still gets
// every item once, in order.
func TestReadAhead(t *testing.T) {
	for _, tc := range []struct {
		ahead bool
		parts int
	}{{false, 0}, {true, 0}, {false, 64}, {true, 64}} {
		t.Run(fmt.Sprintf("ahead=%v,parts=%d", tc.ahead, tc.parts), func(t *testing.T) {
			ctx := testCtx(t)
			tr := &liveGets{Transport: newTransport(), sent: make(chan string, 1000)}
			s := newStream(t, newClient(t, tr), "application/json")
			var first []string
			for i := range 20 {
				first = append(first, fmt.Sprintf(`{"n":%d}`, i))
				_, err := s.Append(ctx, []byte(first[i]), stream.AppendOptions{})
				require.NoError(t, err)
			}
			r, err := s.Read(ctx, stream.ReadOptions{Live: stream.LiveLongPoll, ReadAhead: tc.ahead, PartBytes: tc.parts})
			require.NoError(t, err)
			defer r.Close()
			b, err := r.Next()
			require.NoError(t, err)
			require.Equal(t, tc.parts > 0, b.Partial, "read in parts or whole")
			got := items(b)
			for b.Partial {
				b, err = r.Next()
				require.NoError(t, err)
				got = append(got, items(b)...)
			}
			require.True(t, b.UpToDate)
			require.Equal(t, first, got)

			select {
			case u := <-tr.sent:
				require.True(t, tc.ahead, "a long-poll went out before Next was called: %s", u)
				assert.Contains(t, u, "offset="+b.Offset, "the read ahead asks from the answer's end")
			case <-time.After(300 * time.Millisecond):
				require.False(t, tc.ahead, "no long-poll went out while the batch was held")
			}

			const n = 40
			go func() {
				for i := 20; i < 20+n; i++ {
					if _, err := s.Append(ctx, []byte(fmt.Sprintf(`{"n":%d}`, i)), stream.AppendOptions{}); err != nil {
						return
					}
				}
			}()
			var want []string
			for i := 20; i < 20+n; i++ {
				want = append(want, fmt.Sprintf(`{"n":%d}`, i))
			}
			got = nil
			last := b.Offset
			for len(got) < n {
				b, err := r.Next()
				require.NoError(t, err)
				assert.GreaterOrEqual(t, b.Offset, last, "offsets never go back")
				last = b.Offset
				got = append(got, items(b)...)
				time.Sleep(3 * time.Millisecond) // the caller applies the batch
			}
			assert.Equal(t, want, got, "every item once, in order")
		})
	}
}

// TestReadAheadClose: closing a reader whose read ahead waits on a
// long-poll ends it at once; Next then says the reader is closed.
func TestReadAheadClose(t *testing.T) {
	ctx := testCtx(t)
	tr := &liveGets{Transport: newTransport(), sent: make(chan string, 10)}
	s := newStream(t, newClient(t, tr), "application/json")
	_, err := s.Append(ctx, []byte(`1`), stream.AppendOptions{})
	require.NoError(t, err)
	r, err := s.Read(ctx, stream.ReadOptions{Live: stream.LiveLongPoll, ReadAhead: true})
	require.NoError(t, err)
	_, err = r.Next()
	require.NoError(t, err)
	<-tr.sent // the read ahead's long-poll waits for data
	r.Close()
	done := make(chan error, 1)
	go func() {
		_, err := r.Next()
		done <- err
	}()
	select {
	case err := <-done:
		assert.Equal(t, stream.CodeClosed, stream.CodeOf(err), "%v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("Next did not return after Close")
	}
}

func items(b *stream.Batch) []string {
	var out []string
	for _, it := range b.Items {
		out = append(out, string(it))
	}
	return out
}
