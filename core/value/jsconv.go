package value

import (
	"math"
	"strconv"
	"strings"
)

// ToNumber converts v as JavaScript's Number(v) does: undefined is NaN,
// null is 0, booleans are 0 and 1, strings are parsed as JS numeric
// literals after trimming white space (the empty string is 0, anything
// unparsable NaN), arrays convert through their string form, and objects are
// NaN.
func ToNumber(v Value) float64 {
	switch v.kind {
	case KindNumber, KindBool:
		return v.num
	case KindNull:
		return 0
	case KindString:
		return stringToNumber(v.str)
	case KindArray:
		switch v.Len() {
		case 0:
			return 0
		case 1:
			e := v.Index(0)
			if e.kind == KindArray || e.kind == KindObject {
				return ToNumber(e)
			}
			if e.IsNullish() {
				return 0
			}
			if e.kind == KindString {
				return stringToNumber(e.str)
			}
			return e.num
		}
		return math.NaN()
	}
	return math.NaN()
}

// stringToNumber is JavaScript's StringToNumber.
func stringToNumber(s string) float64 {
	s = strings.TrimFunc(s, isJSSpace)
	if s == "" {
		return 0
	}
	switch s {
	case "Infinity", "+Infinity":
		return math.Inf(1)
	case "-Infinity":
		return math.Inf(-1)
	}
	if len(s) > 2 && s[0] == '0' {
		base := 0
		switch s[1] {
		case 'x', 'X':
			base = 16
		case 'o', 'O':
			base = 8
		case 'b', 'B':
			base = 2
		}
		if base != 0 {
			n, err := strconv.ParseUint(s[2:], base, 64)
			if err != nil {
				if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
					return parseBigBase(s[2:], base)
				}
				return math.NaN()
			}
			return float64(n)
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-') {
			return math.NaN()
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return f
		}
		return math.NaN()
	}
	return f
}

// parseBigBase parses digits in base too large for uint64, as a float.
func parseBigBase(digits string, base int) float64 {
	f := 0.0
	for _, c := range digits {
		d, err := strconv.ParseUint(string(c), base, 8)
		if err != nil {
			return math.NaN()
		}
		f = f*float64(base) + float64(d)
	}
	return f
}

// isJSSpace reports whether r is white space or a line terminator to
// JavaScript's String.prototype.trim.
func isJSSpace(r rune) bool {
	switch r {
	case '\t', '\n', '\v', '\f', '\r', ' ', 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000, 0xFEFF:
		return true
	}
	return r >= 0x2000 && r <= 0x200A
}
