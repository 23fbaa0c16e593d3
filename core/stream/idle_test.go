package stream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// silent answers like a connection a proxy holds open and forwards nothing
// on: no answer at all until the request is cancelled.
func silent(ctx context.Context) (*Response, error) {
	<-ctx.Done()
	return nil, context.Cause(ctx)
}

// stalledBody yields its text, then nothing until its request is cancelled.
type stalledBody struct {
	ctx context.Context
	r   io.Reader
}

func (b stalledBody) Read(p []byte) (int, error) {
	if n, _ := b.r.Read(p); n > 0 {
		return n, nil
	}
	<-b.ctx.Done()
	return 0, b.ctx.Err()
}
func (stalledBody) Close() error { return nil }

// scripted answers the i-th request with answers[i](ctx), and records the
// URLs asked (ctx-aware, unlike fakeServer's answers).
type scripted struct {
	fakeServer
	answers []func(context.Context) (*Response, error)
}

func (s *scripted) RoundTrip(ctx context.Context, r *Request) (*Response, error) {
	s.mu.Lock()
	s.urls = append(s.urls, r.URL)
	i := len(s.urls) - 1
	s.mu.Unlock()
	if i >= len(s.answers) {
		return silent(ctx)
	}
	return s.answers[i](ctx)
}

func (s *scripted) asked() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.urls...)
}

func ok(h Header, body string) func(context.Context) (*Response, error) {
	return func(context.Context) (*Response, error) {
		return &Response{StatusCode: 200, Header: h, Body: io.NopCloser(strings.NewReader(body))}, nil
	}
}

// wait waits d, or until ctx is done (its error).
func wait(ctx context.Context, d time.Duration) error {
	select {
	case <-time.After(d):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// answerAfter answers, after d (unless the request is cancelled first),
// 200 with body, up to date at offset off.
func answerAfter(d time.Duration, body, off string) func(context.Context) (*Response, error) {
	return func(ctx context.Context) (*Response, error) {
		if err := wait(ctx, d); err != nil {
			return nil, err
		}
		return ok(jsonHeader(off, true), body)(ctx)
	}
}

// A silent server is noticed: a request that hears nothing for the idle
// timeout (no answer, or a body that stops flowing, or an SSE connection
// with no keep-alive) is dropped and asked again from the same offset, and
// what it would have carried arrives once.
func TestSilentServerIsNoticed(t *testing.T) {
	const idle = 50 * time.Millisecond
	sseCtl := func(off string) string {
		return "event: control\ndata:{\"streamNextOffset\":\"" + off + "\",\"streamCursor\":\"c\",\"upToDate\":true}\n\n"
	}
	stalled := func(h Header, body string) func(context.Context) (*Response, error) {
		return func(ctx context.Context) (*Response, error) {
			return &Response{StatusCode: 200, Header: h, Body: stalledBody{ctx, strings.NewReader(body)}}, nil
		}
	}
	for _, tc := range []struct {
		name    string
		live    LiveMode
		answers []func(context.Context) (*Response, error)
		want    []string // the URLs asked, up to the one that delivers
	}{
		{
			name: "long-poll with no answer",
			live: LiveLongPoll,
			answers: []func(context.Context) (*Response, error){
				ok(jsonHeader("1", true), `[]`),
				silent,
				ok(jsonHeader("2", true), `["a"]`),
			},
			want: []string{"http://fake/s?offset=-1", "http://fake/s?live=long-poll&offset=1", "http://fake/s?live=long-poll&offset=1"},
		},
		{
			name: "catch-up body that stops flowing",
			live: LiveOff,
			answers: []func(context.Context) (*Response, error){
				stalled(jsonHeader("2", true), `["a",`),
				ok(jsonHeader("2", true), `["a"]`),
			},
			want: []string{"http://fake/s?offset=-1", "http://fake/s?offset=-1"},
		},
		{
			name: "SSE without keep-alives",
			live: LiveSSE,
			answers: []func(context.Context) (*Response, error){
				ok(jsonHeader("1", true), `[]`),
				stalled(sseHeader(), sseCtl("1")),
				ok(sseHeader(), "event: data\ndata:[\"a\"]\n\n"+sseCtl("2")),
			},
			want: []string{"http://fake/s?offset=-1", "http://fake/s?live=sse&offset=1", "http://fake/s?cursor=c&live=sse&offset=1"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &scripted{answers: tc.answers}
			r := fakeReader(t, s, ReadOptions{Live: tc.live, IdleTimeout: idle})
			var items []string
			start := time.Now()
			for len(items) == 0 {
				b, err := r.Next()
				require.NoError(t, err)
				items = append(items, itemStrings(b)...)
			}
			assert.Equal(t, []string{`"a"`}, items)
			assert.Equal(t, "2", r.Offset())
			assert.Equal(t, tc.want, s.asked()[:len(tc.want)])
			assert.Less(t, time.Since(start), 5*time.Second)
		})
	}
}

// A negative IdleTimeout waits as long as the server takes.
func TestIdleTimeoutOff(t *testing.T) {
	s := &scripted{answers: []func(context.Context) (*Response, error){
		ok(jsonHeader("1", true), `[]`),
		answerAfter(150*time.Millisecond, `["late"]`, "2"),
	}}
	r := fakeReader(t, s, ReadOptions{Live: LiveLongPoll, IdleTimeout: -1})
	_, err := r.Next()
	require.NoError(t, err)
	b, err := r.Next()
	require.NoError(t, err)
	assert.Equal(t, []string{`"late"`}, itemStrings(b))
	assert.Len(t, s.asked(), 2, "no request was given up")
}

func itemStrings(b *Batch) []string {
	var out []string
	for _, it := range b.Items {
		out = append(out, string(it))
	}
	return out
}

// Refresh is called before every request; its header fields and params go
// on top of the reader's, and the protocol's own params win over both. An
// error from it is a failed attempt, retried.
func TestRefreshEveryRequest(t *testing.T) {
	var seen []Header
	s := &scripted{answers: []func(context.Context) (*Response, error){
		ok(jsonHeader("1", false), `["a"]`),
		ok(jsonHeader("2", true), `["b"]`),
	}}
	tr := TransportFunc(func(ctx context.Context, r *Request) (*Response, error) {
		seen = append(seen, r.Header.Clone())
		return s.RoundTrip(ctx, r)
	})
	n := 0
	r := fakeReader(t, tr, ReadOptions{Params: map[string]string{"tenant": "acme"}, Refresh: func(context.Context) (Header, map[string]string, error) {
		n++
		if n == 2 {
			return nil, nil, errors.New("token service down")
		}
		return Header{"Authorization": fmt.Sprintf("Bearer %d", n)}, map[string]string{"sig": fmt.Sprint(n), "offset": "evil"}, nil
	}})
	for range 2 {
		_, err := r.Next()
		require.NoError(t, err)
	}
	assert.Equal(t, []string{"http://fake/s?offset=-1&sig=1&tenant=acme", "http://fake/s?offset=1&sig=3&tenant=acme"}, s.asked())
	require.Len(t, seen, 2)
	assert.Equal(t, "Bearer 1", seen[0].Get("authorization"))
	assert.Equal(t, "Bearer 3", seen[1].Get("authorization"), "the failed refresh was retried")
}

// An SSE data event above the size limit is read past and left out: the
// batch says where it was, and the events after it arrive (issue 15,
// item 3).
func TestSSEOversizeEventSkipped(t *testing.T) {
	ctl := func(off string) string {
		return "event: control\ndata:{\"streamNextOffset\":\"" + off + "\",\"upToDate\":true}\n\n"
	}
	big := "event: data\ndata:[\"" + strings.Repeat("x", 200) + "\"]\n\n"
	s := &scripted{answers: []func(context.Context) (*Response, error){
		ok(jsonHeader("1", true), `[]`),
		ok(sseHeader(), big+"event: data\ndata:[\"small\"]\n\n"+ctl("2")+big+ctl("3")+"event: data\ndata:[\"after\"]\n\n"+ctl("4")),
	}}
	r := fakeReader(t, s, ReadOptions{Live: LiveSSE, SSEMaxLine: 100})
	_, err := r.Next()
	require.NoError(t, err)
	var got [][]string
	var skipped [][]int
	for range 3 {
		b, err := r.Next()
		require.NoError(t, err)
		got = append(got, itemStrings(b))
		skipped = append(skipped, b.Skipped)
	}
	assert.Equal(t, [][]string{{`"small"`}, nil, {`"after"`}}, got)
	assert.Equal(t, [][]int{{0}, {0}, nil}, skipped)
	assert.Equal(t, "4", r.Offset())
}

// An append's POST is retried under the append's own policy when it has
// one, and each retry is told to OnRetry with its failure.
func TestAppendRetryHooks(t *testing.T) {
	unavailable := func(context.Context) (*Response, error) {
		return &Response{StatusCode: 503, Header: Header{}, Body: io.NopCloser(strings.NewReader("busy"))}, nil
	}
	appended := func(context.Context) (*Response, error) {
		return &Response{StatusCode: 204, Header: Header{"stream-next-offset": "7"}, Body: io.NopCloser(strings.NewReader(""))}, nil
	}
	for _, tc := range []struct {
		name    string
		retries int
		answers []func(context.Context) (*Response, error)
		wantErr bool
		tries   []int
	}{
		{"succeeds on the third try", 5, []func(context.Context) (*Response, error){unavailable, unavailable, appended}, false, []int{1, 2}},
		{"gives up after one retry", 1, []func(context.Context) (*Response, error){unavailable, unavailable, appended}, true, []int{1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &scripted{answers: tc.answers}
			c, err := NewClient(s, Options{})
			require.NoError(t, err)
			st := c.Stream("http://fake/s")
			st.SetContentType("application/json")
			var tries []int
			var statuses []int
			policy := RetryPolicy{MaxRetries: tc.retries, InitialDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond, Multiplier: 2}
			res, err := st.Append(context.Background(), []byte(`{"a":1}`), AppendOptions{Retry: &policy, OnRetry: func(r Retry) {
				tries = append(tries, r.Attempt)
				statuses = append(statuses, r.Err.Status)
			}})
			if tc.wantErr {
				var se *Error
				require.ErrorAs(t, err, &se)
				assert.Equal(t, 503, se.Status)
			} else {
				require.NoError(t, err)
				assert.Equal(t, "7", res.Offset)
			}
			assert.Equal(t, tc.tries, tries)
			for _, st := range statuses {
				assert.Equal(t, 503, st)
			}
		})
	}
}

// queued is a StartingTransport whose long-polls wait their turn for
// queue before they leave (as a browser's requests do behind its
// connections to one host), then get scripted's answers.
type queued struct {
	scripted
	queue    time.Duration
	startedN int
}

func (q *queued) RoundTripStarting(ctx context.Context, r *Request, started func()) (*Response, error) {
	if strings.Contains(r.URL, "live=") {
		if err := wait(ctx, q.queue); err != nil {
			return nil, err
		}
	}
	q.mu.Lock()
	q.startedN++
	q.mu.Unlock()
	started()
	return q.RoundTrip(ctx, r)
}

// The idle rule counts from when the transport says a request left: a
// long-poll that waits in the queue longer than IdleTimeout is not given
// up, and one that goes silent once it left is, after IdleTimeout.
func TestIdleTimeoutCountsFromStart(t *testing.T) {
	const idle = 60 * time.Millisecond
	q := &queued{queue: 3 * idle, scripted: scripted{answers: []func(context.Context) (*Response, error){
		ok(jsonHeader("1", true), `[]`),
		answerAfter(idle/2, `["a"]`, "2"), // waited 3x idle in the queue, then answers in time
		silent,                            // leaves, then nothing: given up after idle
		answerAfter(0, `["b"]`, "3"),
	}}}
	r := fakeReader(t, q, ReadOptions{Live: LiveLongPoll, IdleTimeout: idle})
	_, err := r.Next()
	require.NoError(t, err)
	b, err := r.Next()
	require.NoError(t, err)
	assert.Equal(t, []string{`"a"`}, itemStrings(b))
	assert.Len(t, q.asked(), 2, "the queued long-poll was not given up")
	start := time.Now()
	b, err = r.Next()
	require.NoError(t, err)
	assert.Equal(t, []string{`"b"`}, itemStrings(b))
	assert.Equal(t, []string{"http://fake/s?offset=-1", "http://fake/s?live=long-poll&offset=1",
		"http://fake/s?live=long-poll&offset=2", "http://fake/s?live=long-poll&offset=2"}, q.asked())
	// Two turns in the queue, and the silent one's idle time.
	assert.GreaterOrEqual(t, time.Since(start), 2*q.queue+idle)
	assert.Equal(t, 4, q.startedN)
}

// With CatchUpAfterFailure, the retry of a failed long-poll is a catch-up
// request, answered at once (an empty batch when nothing is new), and the
// read after it long-polls again; without it the retry long-polls.
func TestCatchUpAfterFailure(t *testing.T) {
	unavailable := func(context.Context) (*Response, error) {
		return &Response{StatusCode: 503, Header: Header{}, Body: io.NopCloser(strings.NewReader("down"))}, nil
	}
	fast := &RetryPolicy{MaxRetries: RetryForever, InitialDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond, Multiplier: 2}
	for _, catchUp := range []bool{true, false} {
		t.Run(fmt.Sprint("catchUp=", catchUp), func(t *testing.T) {
			s := &scripted{answers: []func(context.Context) (*Response, error){
				ok(jsonHeader("1", true), `[]`),
				unavailable,
				ok(jsonHeader("1", true), `[]`),
				ok(jsonHeader("2", true), `["a"]`),
			}}
			r := fakeReader(t, s, ReadOptions{Live: LiveLongPoll, Retry: fast, CatchUpAfterFailure: catchUp})
			for range 3 {
				_, err := r.Next()
				require.NoError(t, err)
			}
			retry := "http://fake/s?live=long-poll&offset=1"
			if catchUp {
				retry = "http://fake/s?offset=1"
			}
			assert.Equal(t, []string{"http://fake/s?offset=-1", "http://fake/s?live=long-poll&offset=1", retry,
				"http://fake/s?live=long-poll&offset=1"}, s.asked())
		})
	}
}
