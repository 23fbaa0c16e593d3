package value

import (
	"math"
	"strconv"
	"unicode/utf8"
	"unsafe"
)

// AppendJSON appends v's JSON text to dst and returns the extended slice. The
// text is exactly what JavaScript's JSON.stringify produces for the
// equivalent JS value: numbers in JS's shortest round-trip form (1, 1.5,
// 1e+21, 1e-7; -0 as 0; NaN as null), strings escaped as JSON.stringify
// escapes them, arrays and objects as the canonical text they hold.
// Undefined is written as null (callers omit undefined object fields).
// Where JSON.stringify would lose a value JSON.parse can give back, the text
// keeps it: ±Infinity is written 1e999 and -1e999 (JSON.parse reads them
// as ±Infinity, as it reads 1e400), a lone surrogate (in its WTF-8 form,
// see jsonscan.Unquote) as its \udXXX escape.
func AppendJSON(dst []byte, v Value) []byte {
	switch v.kind {
	case KindNumber:
		return appendNumber(dst, v.num)
	case KindString:
		if v.quoted {
			dst = append(dst, '"')
			dst = append(dst, v.text()...)
			return append(dst, '"')
		}
		return appendString(dst, v.text())
	case KindArray, KindObject:
		return append(dst, v.text()...)
	case KindBool:
		if v.num != 0 {
			return append(dst, "true"...)
		}
		return append(dst, "false"...)
	}
	return append(dst, "null"...)
}

// appendNumber appends f the way JavaScript's JSON.stringify writes a number
// (Number.prototype.toString for finite numbers, null for NaN), except
// that ±Infinity is 1e999 and -1e999, the shortest JSON that JSON.parse
// reads as ±Infinity.
func appendNumber(dst []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, "null"...)
	case math.IsInf(f, 1):
		return append(dst, "1e999"...)
	case math.IsInf(f, -1):
		return append(dst, "-1e999"...)
	}
	if f == 0 {
		return append(dst, '0') // -0 too
	}
	// Integers below 2^53 print all their digits, which are also their
	// shortest round-trip digits.
	if f == math.Trunc(f) && f > -(1<<53) && f < 1<<53 {
		return strconv.AppendInt(dst, int64(f), 10)
	}
	// Shortest round-trip digits and the decimal exponent, from Go's 'e'
	// format: [-]d[.ddd]e±XX.
	var buf [32]byte
	e := strconv.AppendFloat(buf[:0], f, 'e', -1, 64)
	neg := e[0] == '-'
	if neg {
		e = e[1:]
		dst = append(dst, '-')
	}
	var digits [24]byte
	k := 0
	i := 0
	for ; e[i] != 'e'; i++ {
		if e[i] != '.' {
			digits[k] = e[i]
			k++
		}
	}
	exp, _ := strconv.Atoi(string(e[i+1:]))
	n := exp + 1 // the decimal point sits after n digits
	d := digits[:k]
	switch {
	case k <= n && n <= 21:
		dst = append(dst, d...)
		for j := k; j < n; j++ {
			dst = append(dst, '0')
		}
	case 0 < n && n <= 21:
		dst = append(dst, d[:n]...)
		dst = append(dst, '.')
		dst = append(dst, d[n:]...)
	case -6 < n && n <= 0:
		dst = append(dst, '0', '.')
		for j := n; j < 0; j++ {
			dst = append(dst, '0')
		}
		dst = append(dst, d...)
	default:
		dst = append(dst, d[0])
		if k > 1 {
			dst = append(dst, '.')
			dst = append(dst, d[1:]...)
		}
		dst = append(dst, 'e')
		if n-1 >= 0 {
			dst = append(dst, '+')
		}
		dst = strconv.AppendInt(dst, int64(n-1), 10)
	}
	return dst
}

const hexDigits = "0123456789abcdef"

// plainWord reports whether the eight bytes of s from i are ASCII that
// JSON.stringify writes as they are (no control character, quote or
// backslash): one 64-bit load and a few word operations instead of eight
// table lookups. s must hold them.
func plainWord(s string, i int) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	w := *(*uint64)(unsafe.Pointer(unsafe.StringData(s[i:])))
	zero := func(v uint64) uint64 { return (v - ones) & ^v & highs }
	return (w|(w-0x20*ones)|zero(w^('"'*ones))|zero(w^('\\'*ones)))&highs == 0
}

// needsEscape[c] is true for the ASCII bytes JSON.stringify escapes.
var needsEscape = func() (t [utf8.RuneSelf]bool) {
	for c := 0; c < 0x20; c++ {
		t[c] = true
	}
	t['"'] = true
	t['\\'] = true
	return t
}()

// StringJSONLen returns the length of the JSON text AppendJSON writes for
// the String s: exact for well-formed UTF-8 and for kept lone surrogates
// (an escape of 6 bytes for 3); a byte of invalid UTF-8 (3 bytes for 1)
// is counted as 1. It lets a writer size its buffer once.
func StringJSONLen(s string) int {
	n := len(s) + 2
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == 0xED: // the first byte of a WTF-8 surrogate (or of U+D000-U+D7FF, counted over)
			n += 3
		case c >= utf8.RuneSelf || !needsEscape[c]:
		case c == '"' || c == '\\' || c == '\b' || c == '\f' || c == '\n' || c == '\r' || c == '\t':
			n++
		default:
			n += 5
		}
	}
	return n
}

// appendString appends s as a JSON string literal the way JSON.stringify
// writes it: \" \\ \b \f \n \r \t, other control characters as \u00XX,
// a lone surrogate (its WTF-8 form) as \udXXX, everything else as is.
// Other bytes that are not valid UTF-8 become U+FFFD.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if !needsEscape[c] {
				i++
				for i+8 <= len(s) && plainWord(s, i) {
					i += 8 // eight bytes that need no look
				}
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&15])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			if r, size = DecodeRune(s[i:]); size == 3 {
				dst = appendSurrogateEscape(dst, r)
			} else {
				dst = append(dst, "\uFFFD"...)
			}
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// StringNeedsEscape reports whether AppendJSON writes the String s
// differently from '"' + s + '"'.
func StringNeedsEscape(s string) bool {
	i := 0
	// Eight bytes at a time while they are printable ASCII other than a
	// quote or a backslash (ids, names: most strings).
	for ; i+8 <= len(s); i += 8 {
		if w := load64(s, i); w&highBits != 0 || byteBelow(w, 0x20) != 0 || byteIn(w, '"')|byteIn(w, '\\') != 0 {
			break
		}
	}
	for ; i < len(s); i++ {
		c := s[i]
		if c < utf8.RuneSelf {
			if needsEscape[c] {
				return true
			}
			continue
		}
		return !utf8.ValidString(s[i:])
	}
	return false
}
