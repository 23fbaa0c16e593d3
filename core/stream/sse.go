package stream

import (
	"bufio"
	"bytes"
	"errors"
	"io"

	"github.com/streamdb/streamdb/internal/strfmt"
)

// sseEvent is one server-sent event: its type (the "event" field, "message"
// when absent) and its data lines joined with "\n".
type sseEvent struct {
	Type string
	Data []byte
	// Oversize is set, and Data left out, when the event's data (or one of
	// its lines) was longer than the parser's limit: the event was read
	// past, so the stream goes on after it.
	Oversize bool
}

// errSSELineTooLong is returned by sseParser.readLine for a line longer
// than the parser's limit, once the line has been read past.
var errSSELineTooLong = errors.New("SSE line too long")

// sseParser reads server-sent events from a byte stream, following the
// WHATWG event-stream rules: lines end with CRLF, LF or CR; a line starting
// with ':' is a comment; a field's value starts after the colon and one
// optional space; a blank line dispatches the event. Fields other than
// "event" and "data" (id, retry, unknown) are ignored, and so is an event
// with no data lines.
type sseParser struct {
	r       *bufio.Reader
	maxLine int
	skipLF  bool // the previous line ended with CR: a following LF belongs to it
	line    []byte
}

// DefaultSSEMaxLine is the longest SSE line newSSEParser accepts (64 MiB).
const DefaultSSEMaxLine = 64 << 20

// newSSEParser returns a parser reading from r that rejects lines longer than
// maxLine bytes (DefaultSSEMaxLine when maxLine <= 0).
func newSSEParser(r io.Reader, maxLine int) *sseParser {
	if maxLine <= 0 {
		maxLine = DefaultSSEMaxLine
	}
	return &sseParser{r: bufio.NewReaderSize(r, 32<<10), maxLine: maxLine}
}

// Next returns the next event. At the end of the input it returns io.EOF,
// dropping an event that was not terminated by a blank line (the stream was
// cut short, so the event may be incomplete); a read error is returned as is.
func (p *sseParser) Next() (sseEvent, error) {
	var (
		ev      sseEvent
		hasData bool
		data    []byte
	)
	for {
		line, err := p.readLine()
		if errors.Is(err, errSSELineTooLong) {
			// Too long to keep: the event is dispatched without its data.
			ev.Oversize, hasData, data = true, true, nil
			continue
		}
		if err != nil {
			if err == io.EOF && len(line) == 0 {
				return sseEvent{}, io.EOF
			}
			if err != io.EOF {
				return sseEvent{}, err
			}
			// A last line without its terminator: the event cannot be
			// complete, since a blank line never followed.
			return sseEvent{}, io.EOF
		}
		if len(line) == 0 {
			if !hasData {
				ev = sseEvent{}
				continue
			}
			if ev.Type == "" {
				ev.Type = "message"
			}
			ev.Data = data
			return ev, nil
		}
		if line[0] == ':' {
			continue
		}
		field, value := line, []byte(nil)
		if i := bytes.IndexByte(line, ':'); i >= 0 {
			field, value = line[:i], line[i+1:]
			if len(value) > 0 && value[0] == ' ' {
				value = value[1:]
			}
		}
		switch string(field) {
		case "event":
			ev.Type = string(value)
		case "data":
			switch {
			case ev.Oversize:
			case len(data)+1+len(value) > p.maxLine:
				ev.Oversize, data = true, nil
			case hasData:
				data = append(data, '\n')
				data = append(data, value...)
			default:
				data = append(make([]byte, 0, len(value)), value...)
			}
			hasData = true
		}
	}
}

// readLine returns the next line without its terminator. The returned slice
// is valid until the next call. It returns the partial line and io.EOF when
// the input ends without a terminator.
func (p *sseParser) readLine() ([]byte, error) {
	p.line = p.line[:0]
	for {
		if p.r.Buffered() == 0 {
			// Fill the buffer: ReadByte blocks until data or an error.
			if _, err := p.r.ReadByte(); err != nil {
				return p.line, err
			}
			_ = p.r.UnreadByte()
		}
		buf, _ := p.r.Peek(p.r.Buffered())
		if p.skipLF {
			p.skipLF = false
			if buf[0] == '\n' {
				_, _ = p.r.Discard(1)
				continue
			}
		}
		i := bytes.IndexAny(buf, "\r\n")
		n := i
		if i < 0 {
			n = len(buf)
		}
		if len(p.line)+n > p.maxLine {
			if err := p.skipLine(); err != nil {
				return nil, err
			}
			return nil, strfmt.Errorf("%w: more than %d bytes", errSSELineTooLong, p.maxLine)
		}
		p.line = append(p.line, buf[:n]...)
		if i < 0 {
			_, _ = p.r.Discard(n)
			continue
		}
		p.skipLF = buf[i] == '\r'
		_, _ = p.r.Discard(i + 1)
		return p.line, nil
	}
}

// skipLine reads past the rest of the current line, keeping none of it.
func (p *sseParser) skipLine() error {
	p.line = p.line[:0]
	for {
		if _, err := p.r.Peek(1); err != nil { // waits for more input
			return err
		}
		buf, _ := p.r.Peek(p.r.Buffered())
		if i := bytes.IndexAny(buf, "\r\n"); i >= 0 {
			p.skipLF = buf[i] == '\r'
			_, _ = p.r.Discard(i + 1)
			return nil
		}
		_, _ = p.r.Discard(len(buf))
	}
}
