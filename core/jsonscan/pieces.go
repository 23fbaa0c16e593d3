package jsonscan

// ItemScanner finds the items of a JSON array that arrives in pieces, as
// SplitItems does for a whole one: by the array's structure alone (strings
// with their escapes, the nesting of brackets and braces), leaving each
// item's syntax to the caller. It lets a reader apply a large body while
// it is still arriving and hold only a window of it.
//
// The caller keeps one buffer: it appends what arrives, calls Scan, keeps
// the bytes from the returned index on (the item still open) and drops the
// rest; Scan then goes on where it stopped. At the end of the input, End
// says whether the array was complete. A scanner is for one array.
type ItemScanner struct {
	phase    int  // scanBefore, scanItems or scanAfter
	depth    int  // nesting inside the current item
	inString bool // inside a string of the current item
	escape   bool // after a backslash inside that string
	items    int  // items delimited so far, dropped ones included
	pos      int  // where scanning resumes in the caller's buffer
	start    int  // where the open item starts in the caller's buffer
	comma    bool // a top-level comma was seen (so "[1,]" has two items)
	dropping bool // the open item's bytes are being dropped (see Drop)
	err      error
	off      int64 // bytes of the input scanned and given back before pos
}

const (
	scanBefore = iota // before the opening '['
	scanItems         // inside the array
	scanAfter         // after the closing ']'
)

// Items returns how many items the scanner has delimited so far.
func (s *ItemScanner) Items() int { return s.items }

// Scan delimits the items that end in b[pos:] (pos being where the last
// call stopped, shifted by what the caller dropped), appends each one
// (trimmed of white space) to dst, and returns dst and keep: the index in
// b where the open item starts. The caller keeps b[keep:] at the start of
// its buffer for the next call. An item whose bytes were dropped comes
// back as nil; an empty item (as in "[1,,2]") comes back empty but not
// nil. Items are slices of b.
func (s *ItemScanner) Scan(dst [][]byte, b []byte) ([][]byte, int, error) {
	if s.err != nil {
		return dst, len(b), s.err
	}
	i := s.pos
	if s.phase == scanBefore {
		i = SkipSpace(b, i)
		if i < len(b) {
			if b[i] != '[' {
				return dst, len(b), s.fail(i, "expected an array")
			}
			s.phase, s.start = scanItems, i+1
			i++
		}
	}
	for s.phase == scanItems && i < len(b) {
		if s.inString {
			i = s.stringRest(b, i)
			continue
		}
		for i < len(b) && !structuralByte[b[i]] {
			i++
		}
		if i >= len(b) {
			break
		}
		switch c := b[i]; c {
		case '"':
			s.inString = true
			i = s.stringRest(b, i+1)
			continue
		case '[', '{':
			s.depth++
		case '}', ']':
			if s.depth > 0 {
				s.depth--
				break
			}
			if c != ']' {
				return dst, len(b), s.fail(i, "unbalanced '}'")
			}
			if item := s.item(b, i); s.dropping || s.comma || len(item) > 0 {
				dst = append(dst, item)
				s.items++
			}
			s.phase, s.dropping = scanAfter, false
		case ',':
			if s.depth == 0 {
				dst = append(dst, s.item(b, i))
				s.items++
				s.comma, s.dropping, s.start = true, false, i+1
			}
		}
		i++
	}
	if s.phase == scanAfter {
		if j := SkipSpace(b, i); j < len(b) {
			return dst, len(b), s.fail(j, "unexpected %q after the array", b[j])
		}
		i = len(b)
	}
	keep := len(b)
	if s.phase == scanItems {
		keep = s.start
		if s.dropping {
			keep = len(b)
		}
	}
	s.off += int64(keep)
	s.pos, s.start = i-keep, s.start-keep
	if s.start < 0 {
		s.start = 0
	}
	return dst, keep, nil
}

// stringRest scans a string of the open item from b[i] and returns where
// it ends (past its closing quote) or len(b) when it goes on.
func (s *ItemScanner) stringRest(b []byte, i int) int {
	for i < len(b) {
		if s.escape {
			s.escape = false
			i++
			continue
		}
		for i < len(b) && b[i] != '"' && b[i] != '\\' {
			i++
		}
		switch {
		case i >= len(b):
		case b[i] == '\\':
			s.escape = true
			i++
		default:
			s.inString = false
			return i + 1
		}
	}
	return i
}

// item returns the open item, ending at b[end] (nil when it was dropped).
func (s *ItemScanner) item(b []byte, end int) []byte {
	if s.dropping {
		return nil
	}
	return trimSpace(b[s.start:end])
}

// Drop tells the scanner that the caller drops the bytes of the open item
// that it kept (kept, the buffer that begins at the last Scan's keep) and
// will drop the rest as it arrives: an item too large to hold. The item
// still counts, and comes back from Scan as nil when it ends. Until then
// Scan's keep is the end of its buffer, so the caller keeps nothing of it.
func (s *ItemScanner) Drop(kept []byte) {
	if s.phase == scanItems {
		s.dropping = true
		s.off += int64(len(kept))
		s.pos, s.start = 0, 0
	}
}

// Open returns how many bytes the open item has so far in a buffer b that
// the last Scan returned keep for (b beginning at keep): 0 outside an item.
func (s *ItemScanner) Open(b []byte) int {
	if s.phase != scanItems || s.dropping {
		return 0
	}
	return len(b) - s.start
}

// End reports whether the input, now complete, held one whole array with
// nothing but white space after it.
func (s *ItemScanner) End() error {
	switch {
	case s.err != nil:
		return s.err
	case s.phase == scanBefore:
		return s.fail(0, "expected an array")
	case s.phase == scanItems && s.inString:
		return s.fail(0, "unterminated string")
	case s.phase == scanItems:
		return s.fail(0, "unterminated array")
	}
	return nil
}

// fail records a syntax error at b[i] (an offset into the whole input).
func (s *ItemScanner) fail(i int, format string, args ...any) error {
	s.err = errAt(int(s.off)+i, format, args...)
	return s.err
}
