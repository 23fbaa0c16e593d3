package expr

import (
	"unicode/utf16"
	"unicode/utf8"

	"github.com/streamdb/streamdb/core/jsonscan"
	"github.com/streamdb/streamdb/core/value"
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

// appendUnits appends the UTF-16 code units of s to dst.
func appendUnits(dst []uint16, s string) []uint16 { return value.AppendUnits(dst, s) }

// unitAt returns JavaScript's s[i]: the string of the i-th UTF-16 code unit
// of s, and false when i is out of range. Half of a surrogate pair comes
// out as a lone surrogate (in its WTF-8 form).
func unitAt(s string, i int) (string, bool) {
	if i < 0 {
		return "", false
	}
	if i < len(s) && isASCII(s[:i+1]) {
		return s[i : i+1], true
	}
	n := 0
	for j := 0; j < len(s); {
		r, size := value.DecodeRune(s[j:])
		switch {
		case r > 0xFFFF:
			if i < n+2 {
				hi, lo := utf16.EncodeRune(r)
				return string(jsonscan.AppendSurrogate(nil, [2]rune{hi, lo}[i-n])), true
			}
			n += 2
		case i == n:
			if r == utf8.RuneError && size == 1 {
				return "\uFFFD", true
			}
			return s[j : j+size], true
		default:
			n++
		}
		j += size
	}
	return "", false
}
