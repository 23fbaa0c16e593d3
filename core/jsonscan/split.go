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
// megabyte of b, between two items: a caller that must not hold its
// thread for long (the browser's main thread) yields there.
func SplitItemsPaused(dst [][]byte, b []byte, pause func()) ([][]byte, error) {
	next := pauseEvery
	i := SkipSpace(b, 0)
	if i >= len(b) || b[i] != '[' {
		return dst, errAt(i, "expected an array")
	}
	i = SkipSpace(b, i+1)
	if i < len(b) && b[i] == ']' {
		if j := SkipSpace(b, i+1); j != len(b) {
			return dst, errAt(j, "unexpected %q after the array", b[j])
		}
		return dst, nil
	}
	depth := 0
	start := i
	for ; i < len(b); i++ {
		for i < len(b) && !structuralByte[b[i]] {
			i++
		}
		if i >= len(b) {
			break
		}
		switch c := b[i]; c {
		case '"':
			i++
			for i < len(b) && b[i] != '"' {
				if b[i] == '\\' {
					i++
				}
				i++
				for i < len(b) && b[i] != '"' && b[i] != '\\' {
					i++
				}
			}
			if i >= len(b) {
				return dst, errAt(len(b), "unterminated string")
			}
		case '[', '{':
			// No MaxDepth here: counting costs no stack, and an item nested
			// too deep for the parser is that item's error, for the caller
			// that checks it, not the array's.
			depth++
		case '}', ']':
			if depth == 0 {
				if c != ']' {
					return dst, errAt(i, "unbalanced '}'")
				}
				dst = append(dst, trimSpace(b[start:i]))
				if j := SkipSpace(b, i+1); j != len(b) {
					return dst, errAt(j, "unexpected %q after the array", b[j])
				}
				return dst, nil
			}
			depth--
		case ',':
			if depth == 0 {
				dst = append(dst, trimSpace(b[start:i]))
				start = i + 1
				if pause != nil && i >= next {
					pause()
					next = i + pauseEvery
				}
			}
		}
	}
	return dst, errAt(len(b), "unterminated array")
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
