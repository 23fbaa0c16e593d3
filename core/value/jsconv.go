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
		return stringToNumber(v.text())
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
			switch e.kind {
			case KindString:
				return stringToNumber(e.text())
			case KindBool:
				return math.NaN() // String([true]) is "true"
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

// ToString converts v as JavaScript's String(v) does: "undefined", "null",
// "true"/"false", numbers as Number.prototype.toString writes them (NaN,
// Infinity, -Infinity, 1e+21, -0 as 0), strings as they are, arrays as
// Array.prototype.join(",") of their elements (null elements as ""), and
// objects as "[object Object]".
func ToString(v Value) string {
	switch v.kind {
	case KindUndefined:
		return "undefined"
	case KindNull:
		return "null"
	case KindBool:
		if v.num != 0 {
			return "true"
		}
		return "false"
	case KindNumber:
		return NumberToString(v.num)
	case KindString:
		return v.text()
	case KindArray:
		return string(appendArrayString(nil, v))
	case KindObject:
		return "[object Object]"
	}
	return ""
}

// NumberToString formats f as JavaScript's Number.prototype.toString()
// does: the shortest round-trip digits, exponent form from 1e21 and below
// 1e-6, "NaN", "Infinity", "-Infinity", and "0" for -0.
func NumberToString(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	var buf [32]byte
	return string(appendNumber(buf[:0], f))
}

// appendArrayString appends the JavaScript String() of the Array v: its
// elements' strings joined with commas, null elements as empty strings.
//
// It is not inlined: inlined, its closures would be compiled into the
// wasm once per caller.
//
//go:noinline
func appendArrayString(dst []byte, v Value) []byte {
	v.Elems(func(i int, e Value) bool {
		if i > 0 {
			dst = append(dst, ',')
		}
		switch e.kind {
		case KindNull, KindUndefined:
		case KindArray:
			dst = appendArrayString(dst, e)
		case KindString:
			dst = append(dst, e.text()...)
		case KindNumber:
			dst = appendNumber(dst, e.num)
		default:
			dst = append(dst, ToString(e)...)
		}
		return true
	})
	return dst
}
