package stream

// Reading ahead (ReadOptions.ReadAhead). Under a steady flow of appends a
// long-poll is answered at once, with everything appended since the last
// one, and the server takes time to gather that answer: hundreds of
// milliseconds for megabytes. Read in turn, that time follows the caller's
// work on the last answer, and the caller idles through it. Read ahead,
// the next long-poll leaves as soon as the last answer's header says it
// reached the tail (its Stream-Next-Offset and Stream-Cursor are all the
// next request needs), and the next read takes its answer. A catch-up
// answer, whose body may stream for long, sends it after its last part
// instead, so that a reader never holds two connections for long.
//
// A request sent ahead only asks: its body is read by the next read, in
// the caller's goroutine, as any other (in the browser the transport hands
// over a long-poll's answer whole). Nothing moves the reader before that
// read, so offsets, parts and retries work as without it: the read takes
// the request as its first attempt, and a failure is reported and retried
// as any. A request sent ahead that no longer follows the reader (the
// answer before it was lost midway and is asked for again, from an offset
// that may now end elsewhere) is dropped and the read asks anew.

// aheadRequest is a long-poll request sent ahead from offset.
type aheadRequest struct {
	offset string
	wd     *watchdog // its stop ends the request
	done   chan aheadAnswer
}

// aheadAnswer is what a request sent ahead got: the response (its header;
// the body is not read yet; its watchdog paused until the answer is
// taken), or the error sending it met, or reqErr when it could not be
// made.
type aheadAnswer struct {
	resp   *Response
	err    error
	reqErr error
}

// readAhead sends a long-poll from the reader's offset when ReadAhead asks
// for it and the last batch reached the tail with nothing of its response
// left to read.
func (r *Reader) readAhead() {
	if r.part != nil {
		return
	}
	r.mu.Lock()
	ok := r.upToDate && !r.closed
	offset, cursor := r.offset, r.cursor
	r.mu.Unlock()
	if ok {
		r.sendAhead(offset, cursor)
	}
}

// sendAhead sends the long-poll from offset with cursor, unless ReadAhead
// is off, the reader does not long-poll, or a request is already ahead.
func (r *Reader) sendAhead(offset, cursor string) {
	if !r.opts.ReadAhead || r.ahead != nil || r.sse != nil {
		return
	}
	r.mu.Lock()
	ok := r.opts.Live == LiveLongPoll && !r.ended
	r.mu.Unlock()
	if !ok {
		return
	}
	wd, ctx := r.newWatchdog()
	a := &aheadRequest{offset: offset, wd: wd, done: make(chan aheadAnswer, 1)}
	r.ahead = a
	reload := r.reload
	go func() {
		req, err := r.newRequestAt(LiveLongPoll, offset, cursor)
		if err != nil {
			wd.stop()
			a.done <- aheadAnswer{reqErr: err}
			return
		}
		req.Reload, req.Whole = reload, true
		resp, err := r.sendOn(ctx, wd, req)
		if err != nil {
			wd.stop() // no timer left behind by a request nobody takes
		} else {
			// Its time runs again when the answer is taken: meanwhile the
			// caller is busy, and the server already answered.
			wd.heard()
			wd.pause()
		}
		a.done <- aheadAnswer{resp: resp, err: err}
	}()
}

// takeAhead returns the request sent ahead when there is one and it is the
// request the reader would send now (use: the first attempt of a
// long-poll), as that attempt: its watchdog and its response, or the error
// sending it met (the caller retries as after any failed attempt), or
// reqErr when the request could not be made (ReadOptions.Refresh failed).
// Otherwise it drops the request ahead and returns a nil watchdog and nil
// reqErr: the caller sends its own request.
func (r *Reader) takeAhead(use bool) (wd *watchdog, resp *Response, reqErr, err error) {
	a := r.ahead
	if a == nil {
		return nil, nil, nil, nil
	}
	if !use || a.offset != r.Offset() {
		r.dropAhead()
		return nil, nil, nil, nil
	}
	r.ahead = nil
	res := <-a.done
	switch {
	case res.reqErr != nil:
		return nil, nil, res.reqErr, nil
	case res.err != nil:
		return a.wd, nil, nil, res.err
	}
	a.wd.heard()
	return a.wd, res.resp, nil, nil
}

// dropAhead cancels the request sent ahead, if any, and closes its answer
// once it comes.
func (r *Reader) dropAhead() {
	a := r.ahead
	if a == nil {
		return
	}
	r.ahead = nil
	a.wd.stop()
	go func() {
		if res := <-a.done; res.resp != nil {
			res.resp.Body.Close()
		}
	}()
}
