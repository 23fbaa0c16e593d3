// Package faults makes the bodies that tests of the stream client need and
// the reference server does not send: a body cut short as a dropped
// connection cuts it, and a JSON array too large to hold, made while it is
// read.
package faults

import (
	"io"
)

// Cut returns body cut after n bytes: its reads then fail with
// io.ErrUnexpectedEOF, as a dropped connection's do. Closing it closes body.
func Cut(body io.ReadCloser, n int) io.ReadCloser { return &cut{ReadCloser: body, left: n} }

type cut struct {
	io.ReadCloser
	left int
}

func (c *cut) Read(p []byte) (int, error) {
	if c.left <= 0 {
		return 0, io.ErrUnexpectedEOF
	}
	if len(p) > c.left {
		p = p[:c.left]
	}
	n, err := c.ReadCloser.Read(p)
	c.left -= n
	return n, err
}

// Array returns a body holding the JSON array of n items, item(dst, i)
// appending the text of item i to dst. Items are made as the body is read,
// so its size is not bounded by memory.
func Array(n int, item func(dst []byte, i int) []byte) io.ReadCloser {
	return &array{n: n, item: item}
}

type array struct {
	n, i int // items made so far: i, of n; i == n+1 once ']' is out
	item func([]byte, int) []byte
	buf  []byte
	open bool // '[' is out
}

func (a *array) Read(p []byte) (int, error) {
	for len(a.buf) < len(p) && a.i <= a.n {
		switch {
		case !a.open:
			a.buf, a.open = append(a.buf, '['), true
			continue
		case a.i == a.n:
			a.buf = append(a.buf, ']')
		case a.i > 0:
			a.buf = append(a.buf, ',')
			fallthrough
		default:
			a.buf = a.item(a.buf, a.i)
		}
		a.i++
	}
	if len(a.buf) == 0 {
		return 0, io.EOF
	}
	n := copy(p, a.buf)
	a.buf = a.buf[:copy(a.buf, a.buf[n:])]
	return n, nil
}

func (*array) Close() error { return nil }
