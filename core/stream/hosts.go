package stream

import (
	"slices"
	"strings"
	"sync"
)

// BrowserConnsPerHost is how many connections browsers open to one host
// over HTTP/1.1 (Chromium, Firefox and Safari alike); the requests beyond
// them wait in the browser until one of those connections is free.
const BrowserConnsPerHost = 6

// HostQueue follows the requests a transport has in flight per host, the
// way a browser queues them: at most a fixed number at a time hold a
// connection to a host, the others wait their turn in the order they came.
// A transport that cannot see the browser's own queue (fetch does not say
// when a request leaves) uses it to tell when a request has probably
// left, so that a reader's idle rule does not count the time it waited
// behind other requests (StartingTransport).
//
// It knows only the requests it is told about: the page's other requests
// to the same host take connections too, so a request may leave later
// than it says; over HTTP/2, which needs no second connection, one leaves
// earlier. Either way only the start of an idle rule moves.
//
// Use NewHostQueue; a HostQueue is safe for concurrent use.
type HostQueue struct {
	max   int
	mu    sync.Mutex
	lines []*hostLine // a page talks to few origins: a slice, not a map
}

// hostLine is one origin's requests: how many hold a connection, and the
// ones waiting, first come first.
type hostLine struct {
	host    string
	busy    int
	waiting []*HostSlot
}

// HostSlot is one request's place in a HostQueue.
type HostSlot struct {
	q       *HostQueue
	line    *hostLine
	started func()
	holds   bool // it holds a connection (started was called)
	done    bool // Release was called
}

// NewHostQueue returns a HostQueue that lets perHost requests per host
// hold a connection at once (at least 1).
func NewHostQueue(perHost int) *HostQueue {
	return &HostQueue{max: max(perHost, 1)}
}

// Take registers a request to url's origin (its scheme, host and port, as
// written). started (when not nil) is called once the request holds a
// connection: before Take returns when one is free, or else from the
// Release of an earlier request to the same origin. The caller must
// Release the slot when the request ends (its response fully read, failed
// or abandoned).
func (q *HostQueue) Take(url string, started func()) *HostSlot {
	host := originOf(url)
	s := &HostSlot{q: q, started: started}
	q.mu.Lock()
	var l *hostLine
	for _, x := range q.lines {
		if x.host == host {
			l = x
		}
	}
	if l == nil {
		l = &hostLine{host: host}
		q.lines = append(q.lines, l)
	}
	s.line = l
	if l.busy < q.max {
		l.busy++
		s.holds = true
		q.mu.Unlock()
		s.start()
		return s
	}
	l.waiting = append(l.waiting, s)
	q.mu.Unlock()
	return s
}

// Release ends the request: the connection it held goes to the next
// request waiting for its origin, or, when it was still waiting, it leaves
// the queue. It is safe to call more than once, and on a nil slot.
func (s *HostSlot) Release() {
	if s == nil {
		return
	}
	q := s.q
	q.mu.Lock()
	if s.done {
		q.mu.Unlock()
		return
	}
	s.done = true
	l := s.line
	var next *HostSlot
	switch {
	case !s.holds: // it was waiting: it leaves the line
		i := slices.Index(l.waiting, s)
		l.waiting = append(l.waiting[:i], l.waiting[i+1:]...)
	case len(l.waiting) > 0: // its connection goes to the first one waiting
		next = l.waiting[0]
		next.holds = true
		l.waiting = append(l.waiting[:0], l.waiting[1:]...)
	default:
		l.busy--
	}
	if l.busy == 0 { // no request to its origin is left (none waits while none holds)
		i := slices.Index(q.lines, l)
		q.lines = append(q.lines[:i], q.lines[i+1:]...)
	}
	q.mu.Unlock()
	if next != nil {
		next.start()
	}
}

func (s *HostSlot) start() {
	if s.started != nil {
		s.started()
	}
}

// originOf returns the scheme, host and port of url ("https://a.example:8443"),
// how a browser groups its connections; for a text that is not an
// absolute URL, the text itself.
func originOf(url string) string {
	i := strings.Index(url, "://")
	if i < 0 {
		return url
	}
	for j := i + 3; j < len(url); j++ {
		if c := url[j]; c == '/' || c == '?' || c == '#' {
			return url[:j]
		}
	}
	return url
}
