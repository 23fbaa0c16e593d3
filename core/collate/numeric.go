package collate

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// numericForm rewrites every run of decimal digits (general category Nd, any
// script) of s so that the collation without the numeric option orders it
// the way ICU's numeric collation does: by value, leading zeros ignored,
// "１" and "٣" equal to "1" and "3", and every number before digit-like
// characters that are not decimal digits ("²", "½", "①"). A number of L
// significant digits becomes "0", then L in an order-preserving code
// (L-1 = 9k+r written as k nines and the digit r), then its ASCII digits.
// Strings without digits are returned as they are.
func numericForm(s string) string {
	i := 0
	for ; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf || ('0' <= c && c <= '9') {
			break
		}
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	b.WriteString(s[:i])
	var digits []byte
	flush := func() {
		if len(digits) == 0 {
			return
		}
		j := 0
		for j < len(digits)-1 && digits[j] == '0' {
			j++
		}
		d := digits[j:]
		b.WriteByte('0')
		n := len(d) - 1
		for ; n >= 9; n -= 9 {
			b.WriteByte('9')
		}
		b.WriteByte(byte('0' + n))
		b.Write(d)
		digits = digits[:0]
	}
	for _, r := range s[i:] {
		if v, ok := digitValue(r); ok {
			digits = append(digits, byte('0'+v))
			continue
		}
		flush()
		b.WriteRune(r)
	}
	flush()
	return b.String()
}

// digitValue returns the value of a decimal digit (Nd) of any script. Nd
// characters come in runs of ten from zero to nine.
func digitValue(r rune) (int, bool) {
	if '0' <= r && r <= '9' {
		return int(r - '0'), true
	}
	if r < utf8.RuneSelf || !unicode.Is(unicode.Nd, r) {
		return 0, false
	}
	start := r
	for start > 0 && unicode.Is(unicode.Nd, start-1) {
		start--
	}
	return int(r-start) % 10, true
}

// scriptDigitsToASCII replaces the decimal digits of other scripts
// ("٣", "३") by ASCII digits: ICU's root collation makes them equal to
// the ASCII digits at every level, x/text's tables do not. Digits with a
// compatibility decomposition (full-width, mathematical) keep their
// tertiary difference and are left alone.
func scriptDigitsToASCII(s string) string {
	i := 0
	for ; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			break
		}
	}
	if i == len(s) {
		return s
	}
	var b []byte
	for j, r := range s[i:] {
		if r < utf8.RuneSelf || compatDigit(r) {
			if b != nil {
				b = utf8.AppendRune(b, r)
			}
			continue
		}
		v, ok := digitValue(r)
		if !ok {
			if b != nil {
				b = utf8.AppendRune(b, r)
			}
			continue
		}
		if b == nil {
			b = append(make([]byte, 0, len(s)), s[:i+j]...)
		}
		b = append(b, byte('0'+v))
	}
	if b == nil {
		return s
	}
	return string(b)
}

// compatDigit reports whether r is a decimal digit with a compatibility
// decomposition to an ASCII digit.
func compatDigit(r rune) bool {
	return (r >= 0xFF10 && r <= 0xFF19) || (r >= 0x1D7CE && r <= 0x1D7FF) || (r >= 0x1FBF0 && r <= 0x1FBF9)
}
