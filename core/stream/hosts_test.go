package stream

import (
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
)

// A HostQueue lets perHost requests per origin go at once; the others
// start in the order they came as earlier ones end, and one that ends
// while waiting leaves the line without starting.
func TestHostQueue(t *testing.T) {
	q := NewHostQueue(2)
	var order []string
	take := func(url, name string) *HostSlot {
		return q.Take(url, func() { order = append(order, name) })
	}
	a1 := take("http://a:1/s1?live=long-poll", "a1")
	a2 := take("http://a:1/s2", "a2")
	a3 := take("http://a:1/s3", "a3")
	a4 := take("http://a:1/s4#x", "a4")
	a5 := take("http://a:1", "a5")
	b1 := take("http://b:1/s1", "b1")  // another origin: its own connections
	c1 := take("https://a:1/s1", "c1") // another scheme, too
	assert.Equal(t, []string{"a1", "a2", "b1", "c1"}, order)

	a4.Release() // waiting: it leaves the line
	a1.Release()
	assert.Equal(t, []string{"a1", "a2", "b1", "c1", "a3"}, order)
	a1.Release() // again: nothing
	assert.Equal(t, []string{"a1", "a2", "b1", "c1", "a3"}, order)
	a2.Release()
	assert.Equal(t, []string{"a1", "a2", "b1", "c1", "a3", "a5"}, order, "a4 left, a5 goes")
	assert.True(t, a5.holds)
	assert.False(t, a4.holds)

	for _, s := range []*HostSlot{a3, a5, b1, c1} {
		s.Release()
	}
	assert.Empty(t, q.lines, "no origin is left with nothing in flight")
	var none *HostSlot
	none.Release()
	q.Take("http://a:1/x", nil).Release() // no started: fine
}

// Many goroutines taking and releasing: every request starts once, and
// never more than perHost at a time per origin.
func TestHostQueueConcurrent(t *testing.T) {
	const perHost, n = 3, 200
	q := NewHostQueue(perHost)
	var (
		mu      sync.Mutex
		running = map[string]int{}
		most    int
		starts  int
		wg      sync.WaitGroup
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			host := fmt.Sprintf("http://h%d", i%3)
			began := make(chan struct{})
			s := q.Take(host+"/s", func() {
				mu.Lock()
				running[host]++
				most = max(most, running[host])
				starts++
				mu.Unlock()
				close(began)
			})
			<-began
			mu.Lock()
			running[host]--
			mu.Unlock()
			s.Release()
		}()
	}
	wg.Wait()
	assert.Equal(t, n, starts)
	assert.LessOrEqual(t, most, perHost)
	assert.Empty(t, q.lines)
}

func TestOriginOf(t *testing.T) {
	for in, want := range map[string]string{
		"http://127.0.0.1:8787/v1/stream/s?offset=-1": "http://127.0.0.1:8787",
		"https://a.example/s#f":                       "https://a.example",
		"https://a.example?x=1":                       "https://a.example",
		"https://a.example":                           "https://a.example",
		"/relative/s":                                 "/relative/s",
	} {
		assert.Equal(t, want, originOf(in), in)
	}
}
