package stream_test

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamdb/streamdb/core/stream"
	"github.com/streamdb/streamdb/internal/testserver"
)

func TestCreateHeadDelete(t *testing.T) {
	ctx := testCtx(t)
	c := newClient(t, nil)
	s := c.Stream(testserver.StreamURL(t))

	res, err := s.Create(ctx, stream.CreateOptions{ContentType: "application/json", TTL: time.Hour})
	require.NoError(t, err)
	assert.True(t, res.Created)
	assert.Equal(t, 201, res.Status)
	assert.NotEmpty(t, res.Offset)

	again, err := s.Create(ctx, stream.CreateOptions{ContentType: "application/json", TTL: time.Hour})
	require.NoError(t, err, "create is ensure-exists")
	assert.False(t, again.Created)
	assert.Equal(t, 200, again.Status)

	_, err = s.Create(ctx, stream.CreateOptions{ContentType: "text/plain"})
	assert.ErrorIs(t, err, stream.ErrConflict)

	m, err := s.Head(ctx, nil)
	require.NoError(t, err)
	assert.Equal(t, "application/json", m.ContentType)
	assert.Equal(t, res.Offset, m.Offset)
	assert.False(t, m.Closed)
	assert.Equal(t, time.Hour, m.TTL)

	require.NoError(t, s.Delete(ctx, nil))
	_, err = s.Head(ctx, nil)
	require.ErrorIs(t, err, stream.ErrNotFound)
	var se *stream.Error
	require.ErrorAs(t, err, &se)
	assert.Equal(t, 404, se.Status)
	assert.Contains(t, err.Error(), streamPath(s.URL()), "the error names the stream")
	assert.ErrorIs(t, s.Delete(ctx, nil), stream.ErrNotFound)

	_, err = s.Create(ctx, stream.CreateOptions{TTL: time.Second, ExpiresAt: time.Now().Add(time.Hour)})
	assert.ErrorIs(t, err, stream.ErrInvalidArgument)
}

func TestAppendAndCatchUpJSON(t *testing.T) {
	ctx := testCtx(t)
	s := newStream(t, newClient(t, nil), "application/json")
	var offsets []string
	for i, v := range []string{`{"n":1,"s":"é"}`, `[1,2]`, `"three"`} {
		res, err := s.Append(ctx, []byte(v), stream.AppendOptions{})
		require.NoError(t, err, i)
		offsets = append(offsets, res.Offset)
	}
	assert.True(t, offsets[0] < offsets[1] && offsets[1] < offsets[2], "offsets grow: %v", offsets)

	items, tail := readAll(t, s, stream.OffsetStart)
	assert.Equal(t, []string{`{"n":1,"s":"é"}`, `[1,2]`, `"three"`}, items, "an array append stays one message")
	assert.Equal(t, offsets[2], tail)

	items, _ = readAll(t, s, offsets[0])
	assert.Equal(t, []string{`[1,2]`, `"three"`}, items, "resuming from an offset skips what came before")
	items, _ = readAll(t, s, tail)
	assert.Empty(t, items)

	_, err := s.Append(ctx, []byte(`{"broken"`), stream.AppendOptions{})
	assert.ErrorIs(t, err, stream.ErrInvalidArgument)
	_, err = s.Append(ctx, nil, stream.AppendOptions{})
	assert.ErrorIs(t, err, stream.ErrInvalidArgument)
}

func TestAppendBatch(t *testing.T) {
	ctx := testCtx(t)
	tr := &countingTransport{Transport: newTransport()}
	s := newStream(t, newClient(t, tr), "application/json")
	_, err := s.Append(ctx, []byte(`{"n":0}`), stream.AppendOptions{})
	require.NoError(t, err)
	tr.posts.Store(0)

	res, err := s.AppendBatch(ctx, [][]byte{[]byte(`{"n":1}`), []byte(` [1,2] `), []byte(`"three"`)}, stream.AppendOptions{})
	require.NoError(t, err)
	assert.Equal(t, int64(1), tr.posts.Load(), "one POST for the batch")
	items, tail := readAll(t, s, stream.OffsetStart)
	assert.Equal(t, []string{`{"n":0}`, `{"n":1}`, `[1,2]`, `"three"`}, items, "each value of the batch is one message; an array value stays one")
	assert.Equal(t, res.Offset, tail)

	tr.posts.Store(0)
	for _, bad := range [][][]byte{nil, {[]byte(`{"n":4}`), []byte(`{"n":5},{"n":6}`)}, {[]byte(`{"n":4}`), nil}} {
		_, err = s.AppendBatch(ctx, bad, stream.AppendOptions{})
		assert.ErrorIs(t, err, stream.ErrInvalidArgument, "%q", bad)
	}
	assert.Zero(t, tr.posts.Load(), "a batch with a bad value sends nothing")

	b := newStream(t, newClient(t, nil), "text/plain")
	_, err = b.AppendBatch(ctx, [][]byte{[]byte("ab"), []byte("c")}, stream.AppendOptions{})
	require.NoError(t, err)
	items, _ = readAll(t, b, stream.OffsetStart)
	assert.Equal(t, "abc", strings.Join(items, ""), "bytes one after the other")
}

func TestConcurrentAppendsAreBatched(t *testing.T) {
	ctx := testCtx(t)
	tr := &countingTransport{Transport: newTransport()}
	s := newStream(t, newClient(t, tr), "application/json")
	tr.posts.Store(0)

	const n = 40
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.Append(ctx, []byte(fmt.Sprintf(`{"i":%d}`, i)), stream.AppendOptions{})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	items, _ := readAll(t, s, stream.OffsetStart)
	require.Len(t, items, n)
	seen := map[string]bool{}
	for _, it := range items {
		assert.False(t, seen[it], "duplicate %s", it)
		seen[it] = true
	}
	assert.Less(t, tr.posts.Load(), int64(n), "appends made while a POST was in flight share POSTs")
}

func TestStreamSeq(t *testing.T) {
	ctx := testCtx(t)
	s := newStream(t, newClient(t, nil), "text/plain")
	_, err := s.Append(ctx, []byte("a"), stream.AppendOptions{Seq: "0002"})
	require.NoError(t, err)
	_, err = s.Append(ctx, []byte("b"), stream.AppendOptions{Seq: "0002"})
	require.ErrorIs(t, err, stream.ErrSeqConflict)
	_, err = s.Append(ctx, []byte("c"), stream.AppendOptions{Seq: "0010"})
	require.NoError(t, err)
	items, _ := readAll(t, s, stream.OffsetStart)
	assert.Equal(t, "ac", strings.Join(items, ""))
}

// liveReader starts a live reader that has caught up on s.
func liveReader(t *testing.T, s *stream.Stream, mode stream.LiveMode, offset string) *stream.Reader {
	t.Helper()
	r, err := s.Read(testCtx(t), stream.ReadOptions{Offset: offset, Live: mode})
	require.NoError(t, err)
	t.Cleanup(r.Close)
	for !r.UpToDate() {
		_, err := r.Next()
		require.NoError(t, err)
	}
	return r
}

// nextItems waits for the next batch that carries data.
func nextItems(t *testing.T, r *stream.Reader) *stream.Batch {
	t.Helper()
	for {
		b, err := r.Next()
		require.NoError(t, err)
		if len(b.Data) > 0 {
			return b
		}
	}
}

func TestLiveReads(t *testing.T) {
	for _, mode := range []stream.LiveMode{stream.LiveLongPoll, stream.LiveSSE} {
		t.Run(string(mode), func(t *testing.T) {
			ctx := testCtx(t)
			s := newStream(t, newClient(t, nil), "application/json")
			_, err := s.Append(ctx, []byte(`{"before":true}`), stream.AppendOptions{})
			require.NoError(t, err)
			r := liveReader(t, s, mode, stream.OffsetStart)
			caughtUp := r.Offset()

			go func() {
				time.Sleep(100 * time.Millisecond)
				_, _ = s.Append(ctx, []byte(`{"after":1}`), stream.AppendOptions{})
				_, _ = s.Append(ctx, []byte(`{"after":2}`), stream.AppendOptions{})
			}()
			var got []string
			for len(got) < 2 {
				b := nextItems(t, r)
				assert.Equal(t, b.Offset, r.Offset())
				for _, it := range b.Items {
					got = append(got, string(it))
				}
			}
			assert.Equal(t, []string{`{"after":1}`, `{"after":2}`}, got, "sees the appends made after it went live, once each")
			assert.Greater(t, r.Offset(), caughtUp)
			assert.NotEmpty(t, r.Cursor(), "live responses carry a cursor")

			// Close the stream: the live reader sees the end.
			_, err = s.Close(ctx, stream.CloseOptions{})
			require.NoError(t, err)
			for {
				b, err := r.Next()
				if err == io.EOF {
					break
				}
				require.NoError(t, err)
				if b.Closed {
					assert.True(t, b.UpToDate)
				}
			}
			assert.True(t, r.Closed())
		})
	}
}

func TestLongPollTimesOutWithEmptyBatch(t *testing.T) {
	s := newStream(t, newClient(t, nil), "application/json")
	r := liveReader(t, s, stream.LiveLongPoll, stream.OffsetStart)
	b, err := r.Next() // the shared server's long-poll timeout is short
	require.NoError(t, err)
	assert.Equal(t, 204, b.Status)
	assert.Empty(t, b.Items)
	assert.True(t, b.UpToDate)
}

func TestReadFromNow(t *testing.T) {
	for _, mode := range []stream.LiveMode{stream.LiveLongPoll, stream.LiveSSE} {
		t.Run(string(mode), func(t *testing.T) {
			ctx := testCtx(t)
			s := newStream(t, newClient(t, nil), "application/json")
			_, err := s.Append(ctx, []byte(`"old"`), stream.AppendOptions{})
			require.NoError(t, err)
			r := liveReader(t, s, mode, stream.OffsetNow)
			assert.NotEqual(t, stream.OffsetNow, r.Offset(), "the reader reports the real tail, never 'now'")
			go func() {
				time.Sleep(100 * time.Millisecond)
				_, _ = s.Append(ctx, []byte(`"new"`), stream.AppendOptions{})
			}()
			b := nextItems(t, r)
			assert.Equal(t, `["new"]`, string(b.Data))
		})
	}
}

func TestBinarySSEIsDecoded(t *testing.T) {
	ctx := testCtx(t)
	s := newStream(t, newClient(t, nil), "application/octet-stream")
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	r := liveReader(t, s, stream.LiveSSE, stream.OffsetStart)
	_, err := s.Append(ctx, all, stream.AppendOptions{})
	require.NoError(t, err)
	_, err = s.Append(ctx, []byte("\r\n\x00end"), stream.AppendOptions{})
	require.NoError(t, err)
	var got []byte
	for len(got) < 256+6 {
		got = append(got, nextItems(t, r).Data...)
	}
	assert.Equal(t, append(all, "\r\n\x00end"...), got)
}

func TestCloseAndClosedStream(t *testing.T) {
	ctx := testCtx(t)
	s := newStream(t, newClient(t, nil), "application/json")
	_, err := s.Append(ctx, []byte(`1`), stream.AppendOptions{})
	require.NoError(t, err)
	res, err := s.Close(ctx, stream.CloseOptions{Body: []byte(`"last"`)})
	require.NoError(t, err)
	require.NotEmpty(t, res.FinalOffset)

	again, err := s.Close(ctx, stream.CloseOptions{})
	require.NoError(t, err, "closing again is idempotent")
	assert.Equal(t, res.FinalOffset, again.FinalOffset)

	_, err = s.Append(ctx, []byte(`2`), stream.AppendOptions{})
	require.ErrorIs(t, err, stream.ErrStreamClosed)
	var se *stream.Error
	require.ErrorAs(t, err, &se)
	assert.Equal(t, res.FinalOffset, se.FinalOffset())

	m, err := s.Head(ctx, nil)
	require.NoError(t, err)
	assert.True(t, m.Closed)

	r, err := s.Read(ctx, stream.ReadOptions{Live: stream.LiveSSE})
	require.NoError(t, err)
	defer r.Close()
	assert.Equal(t, []string{`1`, `"last"`}, drain(t, r))
	assert.True(t, r.Closed())
	assert.Equal(t, res.FinalOffset, r.Offset())
}

func TestErrors(t *testing.T) {
	ctx := testCtx(t)
	c := newClient(t, nil)
	missing := c.Stream(testserver.StreamURL(t))
	for _, mode := range []stream.LiveMode{stream.LiveOff, stream.LiveLongPoll, stream.LiveSSE} {
		r, err := missing.Read(ctx, stream.ReadOptions{Live: mode})
		require.NoError(t, err)
		_, err = r.Next()
		require.ErrorIs(t, err, stream.ErrNotFound, mode)
		var se *stream.Error
		require.ErrorAs(t, err, &se)
		assert.Equal(t, 404, se.Status)
		assert.Equal(t, "read", se.Op)
		assert.Equal(t, missing.URL(), se.URL)
	}
	_, err := missing.Append(ctx, []byte("x"), stream.AppendOptions{})
	assert.ErrorIs(t, err, stream.ErrNotFound)

	s := newStream(t, c, "text/plain")
	r, err := s.Read(ctx, stream.ReadOptions{Offset: "not-a-valid-offset"})
	require.NoError(t, err)
	_, err = r.Next()
	assert.ErrorIs(t, err, stream.ErrInvalidOffset)

	_, err = s.Read(ctx, stream.ReadOptions{Offset: "a/b"})
	assert.ErrorIs(t, err, stream.ErrInvalidArgument)
	_, err = stream.NewClient(newTransport(), stream.Options{Retry: &stream.RetryPolicy{MaxRetries: -1, InitialDelay: 1, MaxDelay: 1, Multiplier: 1}})
	assert.ErrorIs(t, err, stream.ErrInvalidArgument)
	assert.ErrorContains(t, err, "maxRetries")
}

func TestReadsRetryTransientFailures(t *testing.T) {
	for _, tc := range []struct {
		name, fault string
	}{
		{"503 twice", `"status":503,"count":2`},
		{"500", `"status":500`},
		{"dropped connection", `"dropConnection":true,"count":2`},
		{"delay", `"delayMs":300`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testCtx(t)
			s := newStream(t, newClient(t, nil), "application/json")
			_, err := s.Append(ctx, []byte(`"data"`), stream.AppendOptions{})
			require.NoError(t, err)
			inject(t, s, tc.fault)
			items, _ := readAll(t, s, stream.OffsetStart)
			assert.Equal(t, []string{`"data"`}, items)
		})
	}
}

func TestRetryAfterIsAFloor(t *testing.T) {
	s := newStream(t, newClient(t, nil), "text/plain")
	_, err := s.Append(testCtx(t), []byte("x"), stream.AppendOptions{})
	require.NoError(t, err)
	inject(t, s, `"status":429,"retryAfter":1,"method":"GET"`)
	start := time.Now()
	items, _ := readAll(t, s, stream.OffsetStart)
	assert.Equal(t, []string{"x"}, items)
	assert.GreaterOrEqual(t, time.Since(start), 900*time.Millisecond, "the retry waited for Retry-After")
}

func TestRetriesRunOut(t *testing.T) {
	s := newStream(t, newClient(t, nil), "text/plain")
	inject(t, s, `"status":500,"count":50`)
	r, err := s.Read(testCtx(t), stream.ReadOptions{})
	require.NoError(t, err)
	_, err = r.Next()
	require.ErrorIs(t, err, stream.ErrBusy)
	var se *stream.Error
	require.ErrorAs(t, err, &se)
	assert.Equal(t, 500, se.Status)
	assert.Equal(t, stream.OffsetStart, se.Offset)
}

func TestAppendRetriesOnServerError(t *testing.T) {
	ctx := testCtx(t)
	s := newStream(t, newClient(t, nil), "application/json")
	inject(t, s, `"status":503,"method":"POST"`)
	_, err := s.Append(ctx, []byte(`"once"`), stream.AppendOptions{})
	require.NoError(t, err)
	inject(t, s, `"dropConnection":true,"method":"POST"`)
	_, err = s.Append(ctx, []byte(`"twice"`), stream.AppendOptions{})
	require.NoError(t, err)
	items, _ := readAll(t, s, stream.OffsetStart)
	assert.Equal(t, []string{`"once"`, `"twice"`}, items, "each append stored exactly once")
}

func TestDropMidBodyResumesFromTheSameOffset(t *testing.T) {
	ctx := testCtx(t)
	tr := &dropMidBody{Transport: newTransport()}
	s := newStream(t, newClient(t, tr), "application/json")
	for i := range 5 {
		_, err := s.Append(ctx, []byte(fmt.Sprintf(`{"i":%d}`, i)), stream.AppendOptions{})
		require.NoError(t, err)
	}
	tr.left.Store(2)
	items, _ := readAll(t, s, stream.OffsetStart)
	assert.Equal(t, []string{`{"i":0}`, `{"i":1}`, `{"i":2}`, `{"i":3}`, `{"i":4}`}, items)
	assert.Less(t, tr.left.Load(), int64(0), "both cuts happened")
}

func TestParseErrorLeavesTheReaderInPlace(t *testing.T) {
	ctx := testCtx(t)
	s := newStream(t, newClient(t, nil), "application/json")
	_, err := s.Append(ctx, []byte(`{"message":"hello world"}`), stream.AppendOptions{})
	require.NoError(t, err)
	inject(t, s, `"truncateBodyBytes":10`)
	r, err := s.Read(ctx, stream.ReadOptions{})
	require.NoError(t, err)
	defer r.Close()
	_, err = r.Next()
	require.ErrorIs(t, err, stream.ErrParse)
	assert.Equal(t, stream.OffsetStart, r.Offset())
	b, err := r.Next()
	require.NoError(t, err, "the next call reads again from the same offset")
	assert.Equal(t, `[{"message":"hello world"}]`, string(b.Data))
}

func TestSSEControlEvents(t *testing.T) {
	ctx := testCtx(t)
	s := newStream(t, newClient(t, nil), "application/json")
	_, err := s.Append(ctx, []byte(`"a"`), stream.AppendOptions{})
	require.NoError(t, err)

	inject(t, s, `"injectSseEvent":{"eventType":"future-type","data":"whatever"}`)
	r := liveReader(t, s, stream.LiveSSE, stream.OffsetStart)
	go func() { _, _ = s.Append(ctx, []byte(`"b"`), stream.AppendOptions{}) }()
	assert.Equal(t, `["b"]`, string(nextItems(t, r).Data), "unknown event types are ignored")

	r2, err := s.Read(ctx, stream.ReadOptions{Live: stream.LiveSSE, Offset: r.Offset()})
	require.NoError(t, err)
	defer r2.Close()
	for !r2.UpToDate() { // the catch-up request, before the SSE connection
		_, err = r2.Next()
		require.NoError(t, err)
	}
	inject(t, s, `"injectSseEvent":{"eventType":"control","data":"{not json"}`)
	var perr error
	for range 3 {
		if _, perr = r2.Next(); perr != nil {
			break
		}
	}
	require.ErrorIs(t, perr, stream.ErrParse, "a malformed control event is a parse error")
	go func() { _, _ = s.Append(ctx, []byte(`"c"`), stream.AppendOptions{}) }()
	assert.Equal(t, `["c"]`, string(nextItems(t, r2).Data), "the reader goes on after the parse error")
}

func TestProducer(t *testing.T) {
	ctx := testCtx(t)
	c := newClient(t, nil)

	t.Run("pipelined batches arrive in order exactly once", func(t *testing.T) {
		s := newStream(t, c, "application/json")
		p, err := s.Producer("p1", stream.ProducerOptions{MaxInFlight: 5, MaxBatchItems: 1})
		require.NoError(t, err)
		var want []string
		for i := range 30 {
			v := fmt.Sprintf(`{"i":%d}`, i)
			want = append(want, v)
			require.NoError(t, p.Append(ctx, []byte(v)))
		}
		require.NoError(t, p.Flush(ctx))
		items, _ := readAll(t, s, stream.OffsetStart)
		assert.Equal(t, want, items)
	})

	t.Run("duplicates are dropped by the server", func(t *testing.T) {
		s := newStream(t, c, "application/json")
		for range 2 {
			p, err := s.Producer("dup", stream.ProducerOptions{})
			require.NoError(t, err)
			require.NoError(t, p.Append(ctx, []byte(`"x"`)))
			require.NoError(t, p.Flush(ctx))
		}
		items, _ := readAll(t, s, stream.OffsetStart)
		assert.Equal(t, []string{`"x"`}, items)
	})

	t.Run("fencing and auto-claim", func(t *testing.T) {
		s := newStream(t, c, "text/plain")
		newer, err := s.Producer("w", stream.ProducerOptions{Epoch: 3})
		require.NoError(t, err)
		require.NoError(t, newer.Append(ctx, []byte("n")))
		require.NoError(t, newer.Flush(ctx))

		old, err := s.Producer("w", stream.ProducerOptions{})
		require.NoError(t, err)
		require.NoError(t, old.Append(ctx, []byte("o")))
		require.ErrorIs(t, old.Flush(ctx), stream.ErrProducerFenced)

		claim, err := s.Producer("w", stream.ProducerOptions{AutoClaim: true, MaxInFlight: 3, MaxBatchItems: 1})
		require.NoError(t, err)
		for _, v := range []string{"a", "b", "c", "d"} {
			require.NoError(t, claim.Append(ctx, []byte(v)))
		}
		require.NoError(t, claim.Flush(ctx))
		assert.Equal(t, int64(4), claim.Epoch())
		items, _ := readAll(t, s, stream.OffsetStart)
		assert.Equal(t, "nabcd", strings.Join(items, ""))
	})

	t.Run("close is idempotent for its producer only", func(t *testing.T) {
		s := newStream(t, c, "text/plain")
		p, err := s.Producer("closer", stream.ProducerOptions{})
		require.NoError(t, err)
		require.NoError(t, p.Append(ctx, []byte("body")))
		first, err := p.Close(ctx, []byte("-end"))
		require.NoError(t, err)
		second, err := p.Close(ctx, []byte("-other"))
		require.NoError(t, err)
		assert.Equal(t, first, second)
		other, err := s.Producer("someone-else", stream.ProducerOptions{})
		require.NoError(t, err)
		_, err = other.Close(ctx, nil)
		assert.ErrorIs(t, err, stream.ErrStreamClosed)
		items, _ := readAll(t, s, stream.OffsetStart)
		assert.Equal(t, "body-end", strings.Join(items, ""))
		require.Error(t, p.Append(ctx, []byte("late")))
	})

	t.Run("invalid options", func(t *testing.T) {
		s := c.Stream(testserver.StreamURL(t))
		for _, o := range []stream.ProducerOptions{{Epoch: -1}, {MaxBatchBytes: -1}, {MaxInFlight: -2}} {
			_, err := s.Producer("x", o)
			assert.ErrorIs(t, err, stream.ErrInvalidArgument)
		}
		_, err := s.Producer("", stream.ProducerOptions{})
		assert.True(t, errors.Is(err, stream.ErrInvalidArgument))
	})
}
