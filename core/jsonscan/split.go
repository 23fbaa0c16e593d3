package jsonscan

// SplitItems finds the items of a JSON array by its structure alone: it
// follows strings (and their escapes) and the nesting of brackets and
// braces, but does not check the items' syntax. It fails only when the
// array itself is broken: no '[' first, an unterminated string, unbalanced
// brackets, or bytes after the closing ']'; an item nested deeper than
// MaxDepth is still one item. Items come back trimmed of white space (an
// empty item, as in "[1,,2]", comes back empty).
//
// It is the fast path for callers that check every item on their own (and
// want one bad item not to cost them the others); SplitArray checks
// everything.
func SplitItems(dst [][]byte, b []byte) ([][]byte, error) {
	return SplitItemsPaused(dst, b, nil)
}

// pauseEvery is how many bytes SplitItemsPaused splits between pauses.
const pauseEvery = 1 << 20

// SplitItemsPaused is SplitItems calling pause (when not nil) after every
// megabyte of b: a caller that must not hold its thread for long (the
// browser's main thread) yields there. It runs an ItemScanner over b a
// megabyte at a time, so whole arrays and arrays that arrive in pieces are
// split by one piece of code.
func SplitItemsPaused(dst [][]byte, b []byte, pause func()) ([][]byte, error) {
	var s ItemScanner
	for base, end := 0, 0; ; {
		end = min(len(b), end+pauseEvery)
		var keep int
		var err error
		dst, keep, err = s.Scan(dst, b[base:end])
		if err != nil {
			return dst, err
		}
		base += keep // b[base:] holds the open item, where scanning goes on
		if end == len(b) {
			return dst, s.End()
		}
		if pause != nil {
			pause()
		}
	}
}

func trimSpace(b []byte) []byte {
	i := SkipSpace(b, 0)
	j := len(b)
	for j > i {
		switch b[j-1] {
		case ' ', '\t', '\n', '\r':
			j--
			continue
		}
		break
	}
	return b[i:j]
}
