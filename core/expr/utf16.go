package expr

import (
	"unicode/utf16"
	"unicode/utf8"
)

// isASCII reports whether s holds only ASCII bytes.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// utf16Len is JavaScript's s.length: the number of UTF-16 code units of s
// (bytes that are not valid UTF-8 count as one U+FFFD each).
func utf16Len(s string) int {
	n := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			n++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		n += utf16.RuneLen(r)
	}
	return n
}

// appendUnits appends the UTF-16 code units of s to dst.
func appendUnits(dst []uint16, s string) []uint16 {
	for _, r := range s {
		dst = utf16.AppendRune(dst, r)
	}
	return dst
}

// unitAt returns JavaScript's s[i]: the string of the i-th UTF-16 code unit
// of s, and false when i is out of range. A code unit that is half of a
// surrogate pair cannot be held in a UTF-8 string; it comes out as U+FFFD.
func unitAt(s string, i int) (string, bool) {
	if i < 0 {
		return "", false
	}
	if i < len(s) && isASCII(s[:i+1]) {
		return s[i : i+1], true
	}
	n := 0
	for j, r := range s {
		w := utf16.RuneLen(r)
		if w < 0 {
			w = 1
		}
		if i < n+w {
			if w == 2 {
				return "\uFFFD", true
			}
			_, size := utf8.DecodeRuneInString(s[j:])
			if r == utf8.RuneError && size <= 1 {
				return "\uFFFD", true
			}
			return s[j : j+size], true
		}
		n += w
	}
	return "", false
}
