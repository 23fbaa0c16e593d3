package value

import (
	"cmp"
	"slices"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/streamdb/streamdb/core/jsonscan"
)

// Collation orders two strings: negative when a sorts first, 0 when they
// tie, positive when b sorts first.
type Collation func(a, b string) int

// Lexical orders strings by their UTF-16 code units, as JavaScript's < does
// (TanStack DB's stringSort: 'lexical'). It differs from Go's byte order
// only where one string has a character in U+E000–U+FFFF and the other one
// above U+FFFF at the first difference: UTF-16 puts the latter first
// (surrogates are 0xD800–0xDFFF).
func Lexical(a, b string) int {
	n := min(len(a), len(b))
	i := 0
	for i+8 <= n && load64(a, i) == load64(b, i) { // the common prefix, a word at a time
		i += 8
	}
	for i < n && a[i] == b[i] {
		i++
	}
	if i == n {
		return cmp.Compare(len(a), len(b))
	}
	if a[i] < utf8.RuneSelf && b[i] < utf8.RuneSelf {
		return cmp.Compare(a[i], b[i])
	}
	// Back up to the start of the character holding the first difference.
	for i > 0 && !utf8.RuneStart(a[i]) {
		i--
	}
	ra, sa := DecodeRune(a[i:])
	rb, sb := DecodeRune(b[i:])
	if (ra == utf8.RuneError && sa <= 1) || (rb == utf8.RuneError && sb <= 1) {
		return strings.Compare(a[i:], b[i:])
	}
	if utf16.IsSurrogate(ra) || utf16.IsSurrogate(rb) {
		return compareUnits(a[i:], b[i:])
	}
	return cmp.Compare(utf16Rank(ra), utf16Rank(rb))
}

// UTF16Len is JavaScript's s.length: the number of UTF-16 code units of s
// (a lone surrogate, held in its WTF-8 form, counts one; other bytes that
// are not valid UTF-8 count as one U+FFFD each).
func UTF16Len(s string) int {
	n := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			n++
			continue
		}
		r, size := DecodeRune(s[i:])
		i += size
		if r > 0xFFFF {
			n += 2
		} else {
			n++
		}
	}
	return n
}

// DecodeRune is utf8.DecodeRuneInString that also decodes a lone
// surrogate's WTF-8 form (see jsonscan.Unquote): it returns the surrogate
// and 3.
func DecodeRune(s string) (rune, int) {
	r, size := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError && size == 1 && jsonscan.IsSurrogateAt(s, 0) {
		return rune(s[1]&0x3F)<<6 | rune(s[2]&0x3F) | 0xD000, 3
	}
	return r, size
}

// compareUnits orders a and b by their UTF-16 code units, reading lone
// surrogates in their WTF-8 form: the slow path of Lexical where one side
// holds one (a lone high surrogate may tie with the first half of a pair).
func compareUnits(a, b string) int {
	return slices.Compare(AppendUnits(nil, a), AppendUnits(nil, b))
}

// AppendUnits appends the UTF-16 code units of s to dst: JavaScript's
// view of the string. A lone surrogate's WTF-8 form gives the surrogate;
// other bytes that are not valid UTF-8 give U+FFFD each.
func AppendUnits(dst []uint16, s string) []uint16 {
	for i := 0; i < len(s); {
		r, size := DecodeRune(s[i:])
		i += size
		if utf16.IsSurrogate(r) {
			dst = append(dst, uint16(r))
			continue
		}
		dst = utf16.AppendRune(dst, r)
	}
	return dst
}

// utf16Rank maps a rune to a number that orders runes as their UTF-16
// encodings order: U+E000–U+FFFF after every supplementary character.
func utf16Rank(r rune) rune {
	if r >= 0xE000 && r <= 0xFFFF {
		return r + 0x110000
	}
	return r
}

// CompareKeys orders collection keys (strings) as JavaScript's < does; it
// is Lexical.
func CompareKeys(a, b string) int { return Lexical(a, b) }

// Compare orders a and b for orderBy (TanStack DB's ascComparator for
// non-nullish values; callers place null and undefined first or last
// themselves):
//   - numbers by value; NaN is greater than every other number and equal to
//     NaN; -0 equals 0;
//   - strings by c (Lexical when c is nil);
//   - false < true;
//   - arrays element by element (with Compare), then by length;
//   - objects by their canonical JSON text in byte order: a deterministic
//     stand-in for TanStack's per-object id (first-comparison order), which
//     is not reproducible;
//   - values of different kinds by a fixed rank: Undefined < Null < Bool <
//     Number < String < Array < Object (JS < across types is rarely
//     meaningful; this keeps the order total).
func Compare(a, b Value, c Collation) int {
	if a.kind != b.kind {
		return cmp.Compare(a.kind, b.kind)
	}
	switch a.kind {
	case KindBool:
		return cmp.Compare(a.num, b.num)
	case KindNumber:
		return compareNumbers(a.num, b.num)
	case KindString:
		if c == nil {
			return Lexical(a.text(), b.text())
		}
		return c(a.text(), b.text())
	case KindArray:
		return compareArrays(a.text(), b.text(), c)
	case KindObject:
		return strings.Compare(a.text(), b.text())
	}
	return 0
}

// compareNumbers orders numbers with NaN greater than every other number.
func compareNumbers(x, y float64) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	case x == y:
		return 0
	case isNaN(x) && isNaN(y):
		return 0
	case isNaN(x):
		return 1
	}
	return -1
}

// compareArrays orders two canonical array texts element by element, then
// by length.
func compareArrays(s, t string, c Collation) int {
	if s == t {
		return 0
	}
	i, j := 1, 1
	for {
		if s[i] == ']' || t[j] == ']' {
			return cmp.Compare(len(s)-i, len(t)-j) // 1 left means ended
		}
		x, ie := decodeAt(s, i)
		y, je := decodeAt(t, j)
		if r := Compare(x, y, c); r != 0 {
			return r
		}
		i, j = ie, je
		if s[i] == ',' {
			i++
		}
		if t[j] == ',' {
			j++
		}
	}
}
