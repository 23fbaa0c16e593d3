package stream

import (
	"errors"
	"io"

	"github.com/streamdb/streamdb/core/jsonscan"
)

// A JSON-mode response read in parts (ReadOptions.PartBytes): the reader
// holds a window of the body, never the whole of it, and hands out the
// items that window completes as one Batch with Partial set. Only the last
// part moves the reader's offset, since the protocol gives an offset for
// the end of a response only. When the body fails midway, the reader asks
// again from that offset and leaves out the items it already handed out:
// the events after an offset are the same whichever response brings them,
// so nothing is lost or delivered twice.

// partRead is a response being read in parts.
type partRead struct {
	resp *Response
	wd   *watchdog
	next string // its Stream-Next-Offset
	ct   string // the stream's content type
	scan jsonscan.ItemScanner
	kept []byte // the open item's bytes so far
	eof  bool
	// room is the size of the parts' buffers so far: it starts at
	// firstPartRoom and doubles while a buffer fills up, to PartBytes, so
	// that a small response (a live change of a few hundred bytes) does not
	// cost a buffer of PartBytes (1 MiB for a StreamDB: once per live
	// change, and the garbage collector then runs every hundred changes).
	room int
}

// firstPartRoom is the size of a response's first part buffer.
const firstPartRoom = 4 << 10

// partsOn reports whether a 200 response of content type ct is read in
// parts.
func (r *Reader) partsOn(status int, ct string) bool {
	return r.opts.PartBytes > 0 && status == 200 && IsJSON(ct)
}

// maxItem is the largest item a response read in parts may hold: a longer
// one is read past and left out (Batch.Skipped).
func (r *Reader) maxItem() int {
	if r.opts.MaxItemBytes > 0 {
		return r.opts.MaxItemBytes
	}
	return DefaultSSEMaxLine
}

// startParts begins reading a 200 response of the JSON-mode content type
// ct in parts, once its header passed the protocol's checks. A long-poll's
// answer (live) that reaches the tail sends the next long-poll ahead at
// once (ReadAhead); a catch-up answer, whose body may stream for long,
// does after its last part, so that a reader never holds two connections
// for long.
func (r *Reader) startParts(resp *Response, wd *watchdog, ct string, live bool) (*Batch, error) {
	next, err := r.nextOffset(resp)
	if err != nil {
		resp.Body.Close()
		wd.stop()
		return nil, err
	}
	r.part = &partRead{resp: resp, wd: wd, next: next, ct: ct}
	if h := resp.Header; live && h.Has(headerUpToDate) && !isTrue(h.Get(headerClosed)) {
		// The next long-poll can leave now (ReadAhead): the header says
		// where this response ends.
		cursor := h.Get(headerCursor)
		if cursor == "" {
			cursor = r.Cursor()
		}
		r.sendAhead(next, cursor)
	}
	return r.nextPart()
}

// errPartLost says that the body of a response read in parts failed and
// the wait before asking again is over.
var errPartLost = errors.New("stream: response body lost")

// nextPart reads the next window of the response in parts and returns its
// items. The last part (the body's end) moves the reader on, as accept
// does for a whole response. It returns errPartLost when the body failed
// and the reader should ask again from its offset.
func (r *Reader) nextPart() (*Batch, error) {
	p := r.part
	p.wd.heard() // the time the caller spent on the last part is not silence
	size := r.opts.PartBytes
	var (
		items [][]byte
		wire  int
	)
	for len(items) == 0 && !p.eof {
		// A new buffer for every part: the items handed out keep theirs.
		if p.room == 0 {
			p.room = min(size, firstPartRoom)
		}
		buf := make([]byte, len(p.kept), len(p.kept)+p.room)
		copy(buf, p.kept)
		for !p.eof {
			if len(buf) == cap(buf) {
				if p.room >= size {
					break // a whole part
				}
				p.room = min(2*p.room, size)
				grown := make([]byte, len(buf), len(p.kept)+p.room)
				copy(grown, buf)
				buf = grown
			}
			n, err := p.resp.Body.Read(buf[len(buf):cap(buf)])
			buf = buf[:len(buf)+n]
			wire += n
			if err == io.EOF {
				p.eof = true
			} else if err != nil {
				r.given -= len(items) // found but not handed out
				return nil, r.lostPart(err)
			}
		}
		found, keep, err := p.scan.Scan(nil, buf)
		if err != nil {
			r.given -= len(items)
			return nil, r.badPart(err)
		}
		items = r.fresh(items, found)
		p.kept = buf[keep:]
		if open := p.scan.Open(p.kept); open > r.maxItem() {
			p.scan.Drop(p.kept)
			p.kept = nil
		} else if open >= size {
			size = min(2*size, r.maxItem()+1) // one item longer than a part
		}
	}
	if p.eof {
		if err := p.scan.End(); err != nil {
			r.given -= len(items)
			return nil, r.badPart(err)
		}
	}
	b := &Batch{Status: 200, ContentType: p.ct, WireBytes: wire}
	b.Items, b.Skipped = dropped(items)
	if !p.eof {
		r.mu.Lock()
		b.Offset, b.Cursor, b.Partial = r.offset, r.cursor, true
		r.mu.Unlock()
		p.wd.pause()
		return b, nil
	}
	r.endPart()
	r.given = max(0, r.given-p.scan.Items())
	r.moveOn(p.resp.StatusCode, p.resp.Header, p.next, p.ct, b)
	return b, nil
}

// fresh appends to items those of found that the reader has not handed out
// yet (after a lost body, the new response's first items were).
func (r *Reader) fresh(items, found [][]byte) [][]byte {
	seen := r.part.scan.Items() - len(found) // the response's items before found
	for _, it := range found {
		seen++
		if seen <= r.given {
			continue
		}
		r.given = seen
		items = append(items, it)
	}
	return items
}

// dropped takes the nil items (left out) out of items and returns where
// they were.
func dropped(items [][]byte) ([][]byte, []int) {
	var at []int
	out := items[:0]
	for _, it := range items {
		if it == nil {
			at = append(at, len(out))
			continue
		}
		out = append(out, it)
	}
	return out, at
}

// lostPart ends a response whose body failed midway and waits before the
// reader asks again from its offset. It returns errPartLost, or the error
// to give up with.
func (r *Reader) lostPart(cause error) error {
	why := r.part.wd.why("connection dropped mid-body")
	r.endPart()
	r.dropAhead() // asked again, the response may end elsewhere
	if r.ctx.Err() != nil {
		return r.fail(CodeNetwork, 0, nil, "", r.ctx.Err())
	}
	if err := r.retry(0, nil, why, cause); err != nil {
		return err
	}
	return errPartLost
}

// badPart ends a response whose body is not a JSON array. The items handed
// out before the fault stay handed out: the next request leaves them out.
func (r *Reader) badPart(cause error) error {
	resp := r.part.resp
	r.endPart()
	r.dropAhead()
	r.reload = true
	return r.fail(CodeParse, resp.StatusCode, resp.Header, "JSON-mode body is not a JSON array", cause)
}

// endPart closes the response read in parts.
func (r *Reader) endPart() {
	r.part.resp.Body.Close()
	r.part.wd.stop()
	r.part = nil
}
