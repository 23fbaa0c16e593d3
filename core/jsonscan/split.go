package jsonscan

// SplitItems finds the items of a JSON array by its structure alone: it
// follows strings (and their escapes) and the nesting of brackets and
// braces, but does not check the items' syntax. It fails only when the
// array itself is broken: no '[' first, an unterminated string, unbalanced
// brackets, or bytes after the closing ']'. Items come back trimmed of
// white space (an empty item, as in "[1,,2]", comes back empty).
//
// It is the fast path for callers that check every item on their own (and
// want one bad item not to cost them the others); SplitArray checks
// everything.
func SplitItems(dst [][]byte, b []byte) ([][]byte, error) {
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
			depth++
			if depth > MaxDepth {
				return dst, errAt(i, "nesting deeper than %d", MaxDepth)
			}
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
