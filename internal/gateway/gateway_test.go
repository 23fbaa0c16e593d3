//go:build !js

package gateway_test

import (
	"context"
	"io"
	"log"
	"math/rand/v2"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/streamdb/streamdb/core/stream"
	"github.com/streamdb/streamdb/core/wsproto"
	"github.com/streamdb/streamdb/internal/gateway"
	"github.com/streamdb/streamdb/internal/testserver"
	"github.com/streamdb/streamdb/nethttp"
)

// TestEndToEnd goes through every frame type on one socket: hello,
// subscribe (catch-up, then live), append and its ack, unsubscribe.
func TestEndToEnd(t *testing.T) {
	e := start(t, gateway.Options{})
	path, url := e.newStream(nums(0, 5, 0)...)
	s := e.dial()
	assert.Equal(t, wsproto.Version, s.hello.Version)
	assert.Equal(t, gateway.DefaultMaxFrame, s.hello.MaxFrame)

	s.subscribe(1, path, "-1", nil)
	assert.Equal(t, nums(0, 5, 0), s.waitItems(1, 5))
	s.mu.Lock()
	first := s.batches[1][len(s.batches[1])-1]
	s.mu.Unlock()
	assert.True(t, first.UpToDate, "the catch-up ends up to date")
	assert.False(t, first.Closed)

	// An append over the socket is acked with the tail, and the
	// subscription sees it live; so is one made directly.
	s.appendData(1, path, `{"n":5}`, nil)
	ack, fail := s.waitAck(1)
	require.Nil(t, fail)
	_, tail := e.read(url, "-1")
	assert.Equal(t, tail, ack.Offset)
	assert.False(t, ack.Duplicate)
	e.post(url, `{"n":6}`)
	assert.Equal(t, nums(0, 7, 0), s.waitItems(1, 7))
	s.mu.Lock()
	last := s.batches[1][len(s.batches[1])-1]
	s.mu.Unlock()
	_, tail = e.read(url, "-1")
	assert.Equal(t, tail, last.Offset, "a batch's offset is where to resume")

	// Unsubscribed: nothing more for sub 1, while sub 2 sees what follows.
	s.send(&wsproto.Frame{Type: wsproto.Unsubscribe, Sub: 1, HasSub: true})
	s.subscribe(2, path, tail, nil)
	s.wait("sub 2 up to date", func() bool { return len(s.batches[2]) > 0 })
	e.post(url, `{"n":7}`, `{"n":8}`)
	assert.Equal(t, nums(7, 2, 0), s.waitItems(2, 2))
	time.Sleep(100 * time.Millisecond)
	assert.Len(t, s.itemsOf(1), 7, "no frame for an unsubscribed subscription")

	// An unsubscribed number can be used again.
	s.subscribe(1, path, "-1", nil)
	assert.Equal(t, nums(0, 9, 0), s.waitItems(1, 16)[7:])
	assert.Empty(t, s.errs)
}

// TestFanOut: 20 sockets follow one stream through one upstream live read,
// and each sees every item exactly once, in order.
func TestFanOut(t *testing.T) {
	for _, live := range []stream.LiveMode{stream.LiveLongPoll, stream.LiveSSE} {
		t.Run(string(live), func(t *testing.T) {
			counter := &liveCounter{next: nethttp.New()}
			e := start(t, gateway.Options{Transport: counter, Live: live})
			path, url := e.newStream(nums(0, 50, 0)...)
			counter.match = path

			socks := make([]*sock, 20)
			var wg sync.WaitGroup
			for i := range socks {
				wg.Add(1)
				go func() {
					defer wg.Done()
					socks[i] = e.dial()
					socks[i].subscribe(7, path, "-1", nil)
				}()
			}
			wg.Wait()
			for _, s := range socks {
				s.waitItems(7, 50)
			}
			for i := 0; i < 20; i++ {
				e.post(url, nums(50+5*i, 5, 0)...)
				time.Sleep(10 * time.Millisecond)
			}
			want, _ := e.read(url, "-1")
			require.Len(t, want, 150)
			for i, s := range socks {
				assert.Equal(t, want, s.waitItems(7, 150), "socket %d", i)
			}
			st := e.gw.Stats()
			assert.EqualValues(t, 1, st.FeedsStarted, "one shared feed: %+v", st)
			assert.EqualValues(t, 1, counter.maxIn.Load(), "at most one upstream live read at a time")
			assert.Positive(t, counter.total.Load())
			assert.EqualValues(t, 20, st.Joins)
			t.Logf("live requests: %d; stats %+v", counter.total.Load(), st)

			// Nobody left: the feed stops its read.
			for _, s := range socks {
				_ = s.conn.Close(websocket.StatusNormalClosure, "")
			}
			waitFor(t, 10*time.Second, "the feed to stop", func() bool {
				return e.gw.Stats().Feeds == 0 && counter.inFlight.Load() == 0
			})
		})
	}
}

// TestJoinUnderLoad: subscriptions that join while appends stream in at a
// high rate never miss or repeat an item; run over several rounds.
func TestJoinUnderLoad(t *testing.T) {
	for _, live := range []stream.LiveMode{stream.LiveLongPoll, stream.LiveSSE} {
		t.Run(string(live), func(t *testing.T) { joinUnderLoad(t, live) })
	}
}

func joinUnderLoad(t *testing.T, live stream.LiveMode) {
	rounds := 4
	if testing.Short() {
		rounds = 1
	}
	e := start(t, gateway.Options{Live: live})
	socks := make([]*sock, 4)
	for i := range socks {
		socks[i] = e.dial()
	}
	var sub atomic.Int64
	for round := 0; round < rounds; round++ {
		path, url := e.newStream(nums(0, 20, 0)...)
		stop := make(chan struct{})
		written := make(chan int)
		go func() { // the writer: 1 to 3 items per POST, as fast as it goes
			n := 20
			for {
				select {
				case <-stop:
					written <- n
					return
				default:
				}
				k := 1 + rand.IntN(3)
				e.post(url, nums(n, k, 0)...)
				n += k
			}
		}()
		type follower struct {
			s    *sock
			sub  int64
			from string
			skip int // items before from
		}
		var (
			mu        sync.Mutex
			followers []follower
			wg        sync.WaitGroup
		)
		for i := 0; i < 8; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				time.Sleep(time.Duration(rand.IntN(500)) * time.Millisecond)
				f := follower{s: socks[i%len(socks)], sub: sub.Add(1), from: "-1"}
				if i%2 == 1 { // from an offset in the middle
					items, off := e.read(url, "-1")
					f.from, f.skip = off, len(items)
				}
				f.s.subscribe(f.sub, path, f.from, nil)
				mu.Lock()
				followers = append(followers, f)
				mu.Unlock()
			}()
		}
		wg.Wait()
		time.Sleep(200 * time.Millisecond)
		close(stop)
		n := <-written
		want, _ := e.read(url, "-1")
		require.Len(t, want, n)
		require.Equal(t, nums(0, n, 0), want)
		for _, f := range followers {
			got := f.s.waitItems(f.sub, n-f.skip)
			require.Equal(t, want[f.skip:], got, "round %d, sub %d from %s", round, f.sub, f.from)
		}
		for _, f := range followers {
			f.s.send(&wsproto.Frame{Type: wsproto.Unsubscribe, Sub: f.sub, HasSub: true})
		}
		t.Logf("round %d: %d items; stats %+v", round, n, e.gw.Stats())
	}
	st := e.gw.Stats()
	assert.Positive(t, st.Joins, "subscriptions joined feeds")
	for _, s := range socks {
		assert.Empty(t, s.errs)
	}
}

// TestStreamEnds: a stream closed while followed ends its subscriptions
// with a closed batch; one deleted ends them with an error frame.
func TestStreamEnds(t *testing.T) {
	e := start(t, gateway.Options{})
	pathA, urlA := e.newStream(nums(0, 3, 0)...)
	pathB, urlB := e.newStream(nums(0, 3, 0)...)
	s1, s2 := e.dial(), e.dial()
	for _, s := range []*sock{s1, s2} {
		s.subscribe(1, pathA, "-1", nil)
		s.subscribe(2, pathB, "-1", nil)
		s.waitItems(1, 3)
		s.waitItems(2, 3)
	}
	waitFor(t, 10*time.Second, "both in their feeds", func() bool { return e.gw.Stats().Joins == 4 })

	_, err := e.client.Stream(urlA).Close(context.Background(), stream.CloseOptions{Body: []byte(`{"n":3}`)})
	require.NoError(t, err)
	require.NoError(t, e.client.Stream(urlB).Delete(context.Background(), nil))
	for _, s := range []*sock{s1, s2} {
		assert.Equal(t, nums(0, 4, 0), s.waitItems(1, 4))
		s.wait("closed batch", func() bool {
			b := s.batches[1]
			return len(b) > 0 && b[len(b)-1].Closed
		})
		f := s.waitErr("sub 2 ended", func(f *wsproto.Frame) bool { return f.HasSub && f.Sub == 2 })
		assert.Contains(t, []string{string(stream.CodeNotFound), string(stream.CodeGone)}, f.Code)
	}
	waitFor(t, 10*time.Second, "no subscription left", func() bool {
		st := e.gw.Stats()
		return st.Subscriptions == 0 && st.Feeds == 0
	})
	// Subscribing to the closed stream now: its items and the end.
	s1.subscribe(3, pathA, "-1", nil)
	assert.Equal(t, nums(0, 4, 0), s1.waitItems(3, 4))
	s1.wait("closed batch", func() bool {
		b := s1.batches[3]
		return len(b) > 0 && b[len(b)-1].Closed
	})
}

// TestTransientFailuresRetried: upstream reads that fail with 503 now and
// then are retried; the client sees every item and no error.
func TestTransientFailuresRetried(t *testing.T) {
	rp := newProxy(t)
	var gets, failed atomic.Int64
	flaky := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && gets.Add(1)%2 == 1 {
			failed.Add(1)
			http.Error(w, "try again", http.StatusServiceUnavailable)
			return
		}
		rp.ServeHTTP(w, r)
	})
	retry := stream.RetryPolicy{MaxRetries: stream.RetryForever, InitialDelay: 5 * time.Millisecond, MaxDelay: 20 * time.Millisecond, Multiplier: 2}
	e := start(t, gateway.Options{Upstream: httpServer(t, flaky), Retry: &retry})
	path, url := e.newStream(nums(0, 5, 0)...)
	s := e.dial()
	s.subscribe(1, path, "-1", nil)
	s.waitItems(1, 5)
	for i := 0; i < 5; i++ {
		e.post(url, nums(5+i, 1, 0)...)
		time.Sleep(20 * time.Millisecond)
	}
	assert.Equal(t, nums(0, 10, 0), s.waitItems(1, 10))
	assert.Empty(t, s.errs)
	assert.Positive(t, failed.Load())
}

// TestUpstreamOutageReported: while the upstream answers 503, a
// subscription that asked for retries hears of each retry of the shared
// live read (code, status, attempt, the upstream's message), and one that
// did not ask gets no frame it could not read; once the upstream is back,
// the first gets an empty batch at its offset although nothing was
// appended (its client learns the read works again), and both get what is
// appended next, nothing lost or repeated.
func TestUpstreamOutageReported(t *testing.T) {
	e, up := startBehindOutage(t, 20*time.Millisecond, 100*time.Millisecond)
	path, url := e.newStream(nums(0, 2, 0)...)
	s := e.dial()
	s.send(&wsproto.Frame{Type: wsproto.Subscribe, Sub: 1, HasSub: true, Stream: path, Offset: "-1", Retries: true})
	s.subscribe(2, path, "-1", nil)
	s.waitItems(1, 2)
	s.waitItems(2, 2)
	waitFor(t, 10*time.Second, "both in the live feed", func() bool { return e.gw.Stats().Joins >= 2 })

	up.down.Store(true) // the feed's long-poll ends within the server's 1.5 s; the next ones fail
	s.wait("two retrying frames for sub 1", func() bool { return len(s.retries[1]) >= 2 })
	s.mu.Lock()
	first, second := *s.retries[1][0], *s.retries[1][1]
	s.mu.Unlock()
	batches, offset := s.batchesOf(1)
	assert.Equal(t, string(stream.CodeBusy), first.Code)
	assert.Equal(t, 503, first.Status)
	assert.Contains(t, first.Message, "upstream down (test)")
	assert.Equal(t, []int{1, 2}, []int{first.Attempt, second.Attempt})
	assert.GreaterOrEqual(t, first.DelayMs, int64(0))

	up.down.Store(false)
	back := s.waitBatch("a batch for sub 1 once the upstream answers again", 1, batches)
	assert.Empty(t, back.Items)
	assert.Equal(t, offset, back.Offset)

	e.post(url, nums(2, 1, 0)...)
	assert.Equal(t, nums(0, 3, 0), s.waitItems(1, 3))
	assert.Equal(t, nums(0, 3, 0), s.waitItems(2, 3))
	s.mu.Lock()
	defer s.mu.Unlock()
	assert.Empty(t, s.retries[2], "sub 2 did not ask for retrying frames")
	assert.Empty(t, s.errs)
	assert.NoError(t, s.closed)
}

// A subscription whose catch-up got ahead of its feed, waiting for the
// feed to reach it, hears of the upstream's failure and of its recovery as
// the feed's subscribers do: retrying frames while the feed's read is
// retried, then a batch of nothing at its own offset when the feed reaches
// it.
func TestUpstreamOutageReachesWaiters(t *testing.T) {
	e, up := startBehindOutage(t, 20*time.Millisecond, 100*time.Millisecond)
	path, url := e.newStream(nums(0, 2, 0)...)
	s := e.dial()
	s.subscribe(1, path, "-1", nil)
	s.waitItems(1, 2)
	waitFor(t, 10*time.Second, "sub 1 in the live feed", func() bool { return e.gw.Stats().Joins >= 1 })

	// The feed's answer to the next append is held: a new subscription
	// catches up past the feed and waits for it.
	hold := make(chan struct{})
	up.hold.Store(&hold)
	e.post(url, nums(2, 1, 0)...)
	s.send(&wsproto.Frame{Type: wsproto.Subscribe, Sub: 2, HasSub: true, Stream: path, Offset: "-1", Retries: true})
	assert.Equal(t, nums(0, 3, 0), s.waitItems(2, 3))
	waitFor(t, 10*time.Second, "sub 2 waiting for the feed", func() bool { return e.gw.Stats().Waiting == 1 })
	batches, at := s.batchesOf(2)

	// The upstream goes down; the held answer becomes a 503.
	up.down.Store(true)
	up.hold.Store(nil)
	close(hold)
	s.wait("retrying frames for sub 2, which waits for the feed", func() bool { return len(s.retries[2]) >= 2 })
	assert.Equal(t, 1, e.gw.Stats().Waiting, "sub 2 still waits for the feed")
	s.mu.Lock()
	r := *s.retries[2][0]
	s.mu.Unlock()
	assert.Equal(t, 503, r.Status)
	assert.Contains(t, r.Message, "upstream down (test)")

	// Back: the feed reads the append, reaches sub 2, and tells it so.
	up.down.Store(false)
	back := s.waitBatch("a batch for sub 2 once the feed reaches it", 2, batches)
	assert.Empty(t, back.Items)
	assert.Equal(t, at, back.Offset)
	assert.Equal(t, nums(0, 3, 0), s.waitItems(1, 3), "sub 1 gets the append from the feed")

	e.post(url, nums(3, 1, 0)...)
	assert.Equal(t, nums(0, 4, 0), s.waitItems(2, 4), "sub 2 is in the feed")
	s.mu.Lock()
	defer s.mu.Unlock()
	assert.Empty(t, s.errs)
	assert.NoError(t, s.closed)
}

// authProxy is an upstream that demands a bearer token: "a" and "b" may
// read, "denied" is forbidden, no token is unauthorized. It records the
// tokens of live reads.
type authProxy struct {
	proxy *httputil.ReverseProxy
	mu    sync.Mutex
	live  map[string]int // token -> live requests
	inFl  map[string]int
	maxIn map[string]int
}

func (p *authProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	switch tok {
	case "a", "b":
	case "denied":
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	default:
		http.Error(w, "who are you", http.StatusUnauthorized)
		return
	}
	if r.URL.Query().Has("live") {
		p.mu.Lock()
		p.live[tok]++
		p.inFl[tok]++
		p.maxIn[tok] = max(p.maxIn[tok], p.inFl[tok])
		p.mu.Unlock()
		defer func() {
			p.mu.Lock()
			p.inFl[tok]--
			p.mu.Unlock()
		}()
	}
	p.proxy.ServeHTTP(w, r)
}

// TestCredentialsNeverShared: two header sets make two upstream reads of
// the same stream; a subscription the upstream refuses gets its error and
// the others are unaffected.
func TestCredentialsNeverShared(t *testing.T) {
	ap := &authProxy{proxy: newProxy(t), live: map[string]int{}, inFl: map[string]int{}, maxIn: map[string]int{}}
	proxy := httpServer(t, ap)
	e := start(t, gateway.Options{Upstream: proxy})
	path, url := e.newStream(nums(0, 10, 0)...)
	a := map[string]string{"Authorization": "Bearer a"}
	b := map[string]string{"authorization": "Bearer b"}

	s1, s2, s3 := e.dial(), e.dial(), e.dial()
	s1.subscribe(1, path, "-1", a)
	s1.subscribe(2, path, "-1", b)
	s2.subscribe(1, path, "-1", b)
	s3.subscribe(1, path, "-1", map[string]string{"Authorization": "Bearer denied"})
	s3.subscribe(2, path, "-1", nil)
	s3.subscribe(3, path, "-1", map[string]string{"Authorization": "Bearer a", "X-Other": "1"})

	forbidden := s3.waitErr("sub 1 refused", func(f *wsproto.Frame) bool { return f.Sub == 1 })
	assert.Equal(t, string(stream.CodeForbidden), forbidden.Code)
	assert.Equal(t, 403, forbidden.Status)
	unauth := s3.waitErr("sub 2 refused", func(f *wsproto.Frame) bool { return f.Sub == 2 })
	assert.Equal(t, string(stream.CodeUnauthorized), unauth.Code)
	assert.Equal(t, 401, unauth.Status)

	for _, f := range []struct {
		s   *sock
		sub int64
	}{{s1, 1}, {s1, 2}, {s2, 1}, {s3, 3}} {
		f.s.waitItems(f.sub, 10)
	}
	e.post(url, nums(10, 5, 0)...)
	want, _ := e.read(url, "-1")
	for _, f := range []struct {
		s   *sock
		sub int64
	}{{s1, 1}, {s1, 2}, {s2, 1}, {s3, 3}} {
		assert.Equal(t, want, f.s.waitItems(f.sub, 15))
	}
	assert.EqualValues(t, 3, e.gw.Stats().FeedsStarted, "a, b, and a with another header: three feeds")
	ap.mu.Lock()
	defer ap.mu.Unlock()
	assert.Positive(t, ap.live["a"])
	assert.Positive(t, ap.live["b"])
	assert.Equal(t, 2, ap.maxIn["a"], "two header sets carry token a: two reads, never more")
	assert.Equal(t, 1, ap.maxIn["b"], "one read for every subscription with token b")
	assert.Len(t, s1.errs, 0)
	assert.Len(t, s2.errs, 0)
}

// newProxy returns a reverse proxy to the reference server that streams
// (SSE) and keeps quiet about requests its client gave up.
func newProxy(t *testing.T) *httputil.ReverseProxy {
	target, err := url.Parse(testserver.URL(t))
	require.NoError(t, err)
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.FlushInterval = -1
	rp.ErrorLog = log.New(io.Discard, "", 0)
	return rp
}

func httpServer(t *testing.T, h http.Handler) string {
	srv := &http.Server{Handler: h}
	ln, err := netListen()
	require.NoError(t, err)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return "http://" + ln.Addr().String()
}

// TestAppend: acks carry the offset; a producer's repeat is applied once
// and acked as a duplicate; many appends of one socket keep their order;
// failures come back as error frames with core/stream codes.
func TestAppend(t *testing.T) {
	e := start(t, gateway.Options{})
	path, url := e.newStream()
	s := e.dial()

	// One value is one message; an array's items are messages.
	s.appendData(1, path, `{"n":0}`, nil)
	ack, fail := s.waitAck(1)
	require.Nil(t, fail)
	s.appendData(2, path, `[{"n":1},{"n":2}]`, nil)
	ack2, fail := s.waitAck(2)
	require.Nil(t, fail)
	items, tail := e.read(url, "-1")
	assert.Equal(t, nums(0, 3, 0), items)
	assert.Equal(t, tail, ack2.Offset)
	assert.Less(t, ack.Offset, ack2.Offset)

	// The same producer (id, epoch, seq) twice: applied once.
	p := &wsproto.Producer{ID: "page-1", Epoch: 0, Seq: 0}
	s.appendData(3, path, `{"n":3}`, p)
	ack, fail = s.waitAck(3)
	require.Nil(t, fail)
	assert.False(t, ack.Duplicate)
	assert.NotEmpty(t, ack.Offset)
	s.appendData(4, path, `{"n":3}`, p)
	ack, fail = s.waitAck(4)
	require.Nil(t, fail)
	assert.True(t, ack.Duplicate)
	assert.Empty(t, ack.Offset)
	items, _ = e.read(url, "-1")
	assert.Equal(t, nums(0, 4, 0), items, "the repeat was not appended")

	// 200 appends sent at once, half of them with the producer: applied
	// and acked in order.
	const n = 200
	for i := 0; i < n; i++ {
		var pr *wsproto.Producer
		if i%2 == 0 {
			pr = &wsproto.Producer{ID: "page-1", Epoch: 0, Seq: int64(1 + i/2)}
		}
		s.appendData(int64(10+i), path, nums(4+i, 1, 0)[0], pr)
	}
	s.wait("every ack", func() bool { return len(s.acks) >= 4+n || len(s.errs) > 0 })
	require.Empty(t, s.errs)
	items, tail = e.read(url, "-1")
	assert.Equal(t, nums(0, 4+n, 0), items)
	s.mu.Lock()
	order := append([]int64(nil), s.order[4:]...)
	var offs []string
	for i := 0; i < n; i++ {
		offs = append(offs, s.acks[int64(10+i)].Offset)
	}
	s.mu.Unlock()
	for i := range order {
		require.EqualValues(t, 10+i, order[i], "acks come in order")
		if i > 0 {
			require.Less(t, offs[i-1], offs[i])
		}
	}
	assert.Equal(t, tail, offs[n-1])

	// Failures: a missing stream, a sequence gap, a closed stream.
	s.appendData(500, path+"-missing", `{"n":0}`, nil)
	_, fail = s.waitAck(500)
	require.NotNil(t, fail)
	assert.Equal(t, string(stream.CodeNotFound), fail.Code)
	assert.Equal(t, 404, fail.Status)
	s.appendData(501, path, `{"n":0}`, &wsproto.Producer{ID: "page-1", Epoch: 0, Seq: 500})
	_, fail = s.waitAck(501)
	require.NotNil(t, fail)
	assert.Equal(t, string(stream.CodeProducerSeqGap), fail.Code)
	assert.Equal(t, 409, fail.Status)
	_, err := e.client.Stream(url).Close(context.Background(), stream.CloseOptions{})
	require.NoError(t, err)
	s.appendData(502, path, `{"n":0}`, nil)
	_, fail = s.waitAck(502)
	require.NotNil(t, fail)
	assert.Equal(t, string(stream.CodeStreamClosed), fail.Code)
}

// TestNotFound: a subscription to a missing stream ends with NOT_FOUND.
func TestNotFound(t *testing.T) {
	e := start(t, gateway.Options{})
	path, _ := e.newStream()
	s := e.dial()
	s.subscribe(3, path+"-missing", "-1", nil)
	f := s.waitErr("NOT_FOUND", func(f *wsproto.Frame) bool { return f.HasSub && f.Sub == 3 })
	assert.Equal(t, string(stream.CodeNotFound), f.Code)
	assert.Equal(t, 404, f.Status)
	assert.Zero(t, e.gw.Stats().Subscriptions)
	// The number is free again.
	s.subscribe(3, path, "-1", nil)
	s.wait("sub 3", func() bool { return len(s.batches[3]) > 0 })
}

// TestBadFrames: every frame the gateway cannot use gets BAD_FRAME (with
// its sub or req when known); the socket and the others keep working.
func TestBadFrames(t *testing.T) {
	e := start(t, gateway.Options{})
	path, url := e.newStream(nums(0, 3, 0)...)
	other := e.dial()
	other.subscribe(1, path, "-1", nil)
	other.waitItems(1, 3)

	s := e.dial()
	s.subscribe(100, path, "-1", nil) // open, for "in use" below
	s.waitItems(100, 3)
	cases := []struct {
		name     string
		frame    string
		sub, req int64 // 0: none expected
	}{
		{"not JSON", `hello`, 0, 0},
		{"not an object", `[1,2]`, 0, 0},
		{"no type", `{"sub":1}`, 1, 0},
		{"unknown type", `{"type":"nope","req":2}`, 0, 2},
		{"missing offset", `{"type":"subscribe","sub":3,"stream":"` + path + `"}`, 3, 0},
		{"sub not a number", `{"type":"subscribe","sub":"x","stream":"/s","offset":"-1"}`, 0, 0},
		{"data missing", `{"type":"append","req":4,"stream":"` + path + `"}`, 0, 4},
		{"gateway frame", `{"type":"batch","sub":5,"offset":"1"}`, 5, 0},
		{"relative path", `{"type":"subscribe","sub":6,"stream":"../x","offset":"-1"}`, 6, 0},
		{"dot dot", `{"type":"subscribe","sub":7,"stream":"/v1/stream/../x","offset":"-1"}`, 7, 0},
		{"encoded dot dot", `{"type":"subscribe","sub":8,"stream":"/v1/stream/%2e%2e/x","offset":"-1"}`, 8, 0},
		{"encoded slash", `{"type":"subscribe","sub":9,"stream":"/v1/stream/a%2fb","offset":"-1"}`, 9, 0},
		{"scheme", `{"type":"subscribe","sub":10,"stream":"http://evil/","offset":"-1"}`, 10, 0},
		{"other host", `{"type":"append","req":11,"stream":"//evil/x","data":1}`, 0, 11},
		{"query", `{"type":"subscribe","sub":12,"stream":"` + path + `?offset=0","offset":"-1"}`, 12, 0},
		{"backslash", `{"type":"subscribe","sub":13,"stream":"/v1\\\\stream","offset":"-1"}`, 13, 0},
		{"bad offset", `{"type":"subscribe","sub":14,"stream":"` + path + `","offset":"a/b"}`, 14, 0},
		{"host header", `{"type":"subscribe","sub":15,"stream":"` + path + `","offset":"-1","headers":{"Host":"evil"}}`, 15, 0},
		{"bad header name", `{"type":"append","req":16,"stream":"` + path + `","data":1,"headers":{"a b":"c"}}`, 0, 16},
		{"header with newline", `{"type":"subscribe","sub":17,"stream":"` + path + `","offset":"-1","headers":{"x":"a\nb"}}`, 17, 0},
		{"sub in use", `{"type":"subscribe","sub":100,"stream":"` + path + `","offset":"-1"}`, 100, 0},
	}
	for i, c := range cases {
		s.sendRaw([]byte(c.frame))
		s.wait(c.name, func() bool { return len(s.errs) > i })
		s.mu.Lock()
		f := s.errs[i]
		s.mu.Unlock()
		assert.Equal(t, wsproto.CodeBadFrame, f.Code, c.name)
		assert.NotEmpty(t, f.Message, c.name)
		assert.Equal(t, c.sub != 0, f.HasSub, "%s: %s", c.name, f.Message)
		assert.Equal(t, c.sub, f.Sub, c.name)
		assert.Equal(t, c.req != 0, f.HasReq, "%s: %s", c.name, f.Message)
		assert.Equal(t, c.req, f.Req, c.name)
		t.Logf("%s: %s", c.name, f.Message)
	}
	// A binary message is not a frame either.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, s.conn.Write(ctx, websocket.MessageBinary, []byte(`{"type":"unsubscribe","sub":100}`)))
	s.wait("binary refused", func() bool { return len(s.errs) > len(cases) })
	assert.EqualValues(t, len(cases)+1, e.gw.Stats().BadFrames)

	// Both sockets still work.
	s.subscribe(200, path, "-1", nil)
	e.post(url, `{"n":3}`)
	assert.Equal(t, nums(0, 4, 0), s.waitItems(200, 4))
	assert.Equal(t, nums(0, 4, 0), s.waitItems(100, 4))
	assert.Equal(t, nums(0, 4, 0), other.waitItems(1, 4))
}

// TestOversizedFrame: a frame above MaxFrame closes its socket (status
// 1009, coder/websocket's read limit); other sockets go on.
func TestOversizedFrame(t *testing.T) {
	e := start(t, gateway.Options{MaxFrame: 64 << 10})
	path, url := e.newStream(nums(0, 2, 0)...)
	other := e.dial()
	other.subscribe(1, path, "-1", nil)
	other.waitItems(1, 2)

	s := e.dial()
	assert.Equal(t, 64<<10, s.hello.MaxFrame)
	big := `{"type":"append","req":1,"stream":"` + path + `","data":"` + strings.Repeat("x", 100<<10) + `"}`
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = s.conn.Write(ctx, websocket.MessageText, []byte(big))
	err := s.waitClosed()
	assert.Equal(t, websocket.StatusMessageTooBig, websocket.CloseStatus(err), "%v", err)

	e.post(url, `{"n":2}`)
	assert.Equal(t, nums(0, 3, 0), other.waitItems(1, 3))
	other.appendData(1, path, `{"n":3}`, nil)
	_, fail := other.waitAck(1)
	assert.Nil(t, fail)
}

// TestSlowReader: a socket that stops reading while live appends fan out
// to its 16 subscriptions is closed with 4000 (too slow) once MaxBuffer
// is due to it; the gateway's heap stays bounded meanwhile, and its
// subscriptions and feed end with it.
func TestSlowReader(t *testing.T) {
	const maxBuffer = 256 << 10
	e := start(t, gateway.Options{MaxBuffer: maxBuffer})
	path, url := e.newStream(nums(0, 4, 0)...)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, e.ws, nil)
	require.NoError(t, err)
	defer conn.CloseNow()
	conn.SetReadLimit(-1)
	const subs = 16
	for i := 1; i <= subs; i++ {
		f := wsproto.AppendFrame(nil, &wsproto.Frame{Type: wsproto.Subscribe, Sub: int64(i), HasSub: true, Stream: path, Offset: "-1"})
		require.NoError(t, conn.Write(ctx, websocket.MessageText, f))
	}
	// Read every catch-up (the hello, then one up-to-date batch each).
	for upToDate := 0; upToDate < subs; {
		_, data, err := conn.Read(ctx)
		require.NoError(t, err)
		f, err := wsproto.Decode(data)
		require.NoError(t, err)
		if f.Type == wsproto.Batch && f.UpToDate {
			upToDate++
		}
	}
	waitFor(t, 20*time.Second, "every subscription in the feed", func() bool {
		st := e.gw.Stats()
		return st.Feeds == 1 && st.Subscriptions == subs
	})

	base := heap()
	var peak atomic.Uint64
	stopSampling := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			select {
			case <-stopSampling:
				return
			case <-time.After(10 * time.Millisecond):
			}
			if h := heapNow(); h > peak.Load() {
				peak.Store(h)
			}
		}
	}()
	// The client reads nothing now: 512 KiB appended at a time, 8 MiB
	// due to the socket per append.
	for i := 0; i < 64 && e.gw.Stats().SlowClosed == 0; i++ {
		e.post(url, nums(i*8, 8, 64<<10)...)
	}
	waitFor(t, 20*time.Second, "the slow socket to be closed", func() bool { return e.gw.Stats().SlowClosed == 1 })
	close(stopSampling)
	<-sampled

	// Reading now, the client gets what was on its way, then the close.
	var got int
	for {
		_, _, err = conn.Read(ctx)
		if err != nil {
			break
		}
		got++
	}
	assert.Equal(t, websocket.StatusCode(wsproto.ClosedSlow), websocket.CloseStatus(err), "%v", err)
	waitFor(t, 20*time.Second, "the socket's subscriptions to end", func() bool {
		st := e.gw.Stats()
		return st.Sockets == 0 && st.Subscriptions == 0 && st.Feeds == 0
	})
	after := heap()
	t.Logf("frames read after the close: %d; heap %d MiB before, peak %d MiB, %d MiB after",
		got, base>>20, peak.Load()>>20, after>>20)
	assert.Less(t, int64(peak.Load())-int64(base), int64(48<<20), "peak heap growth")
	assert.Less(t, int64(after)-int64(base), int64(8<<20), "heap growth once the socket is gone")
}

// TestCatchUpPaced: a catch-up is read only as fast as its socket takes
// it, in frames of about PartBytes. 32 subscriptions to a 1 MiB stream
// (32 MiB due, 128 times MaxBuffer) on a socket that reads nothing for a
// while: the heap stays bounded and the socket is not closed; once the
// client reads, every subscription gets the whole stream, in order, in
// frames no larger than a part and an item, all but the last partial.
func TestCatchUpPaced(t *testing.T) {
	const maxBuffer, partBytes = 256 << 10, 32 << 10
	e := start(t, gateway.Options{MaxBuffer: maxBuffer, PartBytes: partBytes})
	items := nums(0, 256, 4<<10)
	path, url := e.newStream(items[:128]...)
	e.post(url, items[128:]...)
	want, _ := e.read(url, "-1")
	require.Equal(t, items, want)

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, e.ws, nil)
	require.NoError(t, err)
	defer conn.CloseNow()
	conn.SetReadLimit(-1)
	base := heap()
	const subs = 32
	for i := 1; i <= subs; i++ {
		f := wsproto.AppendFrame(nil, &wsproto.Frame{Type: wsproto.Subscribe, Sub: int64(i), HasSub: true, Stream: path, Offset: "-1"})
		require.NoError(t, conn.Write(ctx, websocket.MessageText, f))
	}
	var peak uint64
	for range 50 {
		time.Sleep(20 * time.Millisecond)
		peak = max(peak, heapNow())
	}
	assert.Zero(t, e.gw.Stats().SlowClosed, "a socket behind on its catch-up is not closed")
	got := map[int64][]string{}
	done := 0
	frames, partial := 0, 0
	for done < subs {
		_, data, err := conn.Read(ctx)
		require.NoError(t, err)
		f, err := wsproto.Decode(data)
		require.NoError(t, err)
		if f.Type != wsproto.Batch {
			continue
		}
		frames++
		if f.Partial {
			partial++
			require.False(t, f.UpToDate)
		}
		require.LessOrEqual(t, len(data), partBytes+5<<10, "a catch-up frame is about a part")
		for _, it := range f.Items {
			got[f.Sub] = append(got[f.Sub], string(it))
		}
		if f.UpToDate {
			done++
		}
	}
	for i := int64(1); i <= subs; i++ {
		require.Equal(t, items, got[i], "subscription %d", i)
	}
	t.Logf("%d frames (%d partial); heap %d MiB before, peak %d MiB while the client read nothing", frames, partial, base>>20, peak>>20)
	assert.Greater(t, partial, subs*8, "the catch-ups came in parts")
	assert.Less(t, int64(peak)-int64(base), int64(16<<20), "peak heap growth while 32 MiB were due")
	assert.Zero(t, e.gw.Stats().SlowClosed)
}

// TestShutdown: Shutdown lets an append in flight be acked, closes the
// sockets with 1001 (going away), returns, and refuses new sockets.
func TestShutdown(t *testing.T) {
	rp := newProxy(t)
	posted := make(chan struct{}, 1)
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			select {
			case posted <- struct{}{}:
			default:
			}
			time.Sleep(300 * time.Millisecond)
		}
		rp.ServeHTTP(w, r)
	})
	e := start(t, gateway.Options{Upstream: httpServer(t, slow)})
	path, url := e.newStream(nums(0, 2, 0)...)
	s := e.dial()
	s.subscribe(1, path, "-1", nil)
	s.waitItems(1, 2)
	s.appendData(9, path, `{"n":2}`, &wsproto.Producer{ID: "p", Epoch: 0, Seq: 0})
	select {
	case <-posted:
	case <-time.After(10 * time.Second):
		t.Fatal("the append did not reach the upstream")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	began := time.Now()
	require.NoError(t, e.gw.Shutdown(ctx))
	t.Logf("shutdown took %v", time.Since(began))
	ack, fail := s.waitAck(9)
	require.Nil(t, fail)
	assert.NotEmpty(t, ack.Offset)
	err := s.waitClosed()
	assert.Equal(t, websocket.StatusGoingAway, websocket.CloseStatus(err), "%v", err)
	items, _ := e.read(url, "-1")
	assert.Equal(t, nums(0, 3, 0), items)

	dctx, dcancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer dcancel()
	_, resp, err := websocket.Dial(dctx, e.ws, nil)
	require.Error(t, err)
	require.NotNil(t, resp)
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	assert.Zero(t, e.gw.Stats().Sockets)
}

// TestHealth: GET /healthz is 200 "ok"; other paths are 404.
func TestHealth(t *testing.T) {
	e := start(t, gateway.Options{})
	resp, err := http.Get(e.srv.URL + gateway.HealthPath)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, "ok", string(body))
	resp, err = http.Get(e.srv.URL + "/nope")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 404, resp.StatusCode)
}

// TestNewRefusesBadOptions checks New's validation.
func TestNewRefusesBadOptions(t *testing.T) {
	for _, o := range []gateway.Options{
		{},
		{Upstream: "ftp://h"},
		{Upstream: "http://h/?q=1"},
		{Upstream: "http://"},
		{Upstream: "http://h", Live: "websocket"},
		{Upstream: "http://h", MaxBuffer: -1},
		{Upstream: "http://h", OriginPatterns: []string{""}},
	} {
		_, err := gateway.New(o)
		assert.Error(t, err, "%+v", o)
	}
	_, err := gateway.New(gateway.Options{Upstream: "https://h:1/base/", Live: stream.LiveSSE})
	assert.NoError(t, err)
}

// TestOrigins: with OriginPatterns, a browser from another origin is
// refused unless it matches; without, any origin is taken.
func TestOrigins(t *testing.T) {
	dial := func(e *env, origin string) error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		c, _, err := websocket.Dial(ctx, e.ws, &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {origin}}})
		if err == nil {
			c.CloseNow()
		}
		return err
	}
	open := start(t, gateway.Options{})
	assert.NoError(t, dial(open, "https://anything.example"))
	strict := start(t, gateway.Options{OriginPatterns: []string{"app.example"}})
	assert.NoError(t, dial(strict, "https://app.example"))
	assert.Error(t, dial(strict, "https://evil.example"))
}

// TestBinaryFrames: a client that asks for binary messages
// (?binary=1) gets every frame of the gateway as one, with the same JSON;
// one that does not gets text messages.
func TestBinaryFrames(t *testing.T) {
	e := start(t, gateway.Options{})
	path, _ := e.newStream(nums(0, 3, 0)...)
	for _, tc := range []struct {
		query string
		want  websocket.MessageType
	}{{"?binary=1", websocket.MessageBinary}, {"", websocket.MessageText}} {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		conn, _, err := websocket.Dial(ctx, e.ws+tc.query, nil)
		require.NoError(t, err)
		read := func() (websocket.MessageType, *wsproto.Frame) {
			typ, data, err := conn.Read(ctx)
			require.NoError(t, err)
			f, err := wsproto.Decode(data)
			require.NoError(t, err)
			return typ, f
		}
		typ, hello := read()
		assert.Equal(t, tc.want, typ, "hello %q", tc.query)
		assert.Equal(t, wsproto.Hello, hello.Type)
		require.NoError(t, conn.Write(ctx, websocket.MessageText, wsproto.AppendFrame(nil,
			&wsproto.Frame{Type: wsproto.Subscribe, Sub: 1, HasSub: true, Stream: path, Offset: "-1"})))
		typ, batch := read()
		assert.Equal(t, tc.want, typ, "batch %q", tc.query)
		require.Len(t, batch.Items, 3)
		assert.Equal(t, nums(0, 1, 0)[0], string(batch.Items[0]))
		conn.CloseNow()
		cancel()
	}
}
