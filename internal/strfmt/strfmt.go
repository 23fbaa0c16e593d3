// Package strfmt formats messages and wraps errors as package fmt does,
// for the subset of verbs and types that StreamDB's messages use, without
// fmt's dependence on reflect. The wasm module does not link fmt and
// reflect at all (about 100 KB less, brotli), yet every message reads as
// it did with fmt, and [Errorf] wraps as fmt.Errorf does.
//
// Supported verbs: %v %s %q %d %x %X %c %w and %%, with the flags '-' and
// '0', a width, and a precision (for strings: the rune count kept).
// Supported operands: nil, string, []byte, []string, bool, every integer
// and float type, error, and [fmt.Stringer] (any type with a String
// method). Named types whose underlying type is one of these but which
// have no String method are not recognised: convert them at the call
// site. Anything else prints as %!verb(unsupported), where fmt would print
// it through reflection.
package strfmt

import (
	"errors"
	"strconv"
	"unicode/utf8"
)

// Stringer is a type with a String method, as fmt.Stringer.
type Stringer interface{ String() string }

// Sprintf formats as fmt.Sprintf does, for the supported verbs and types.
func Sprintf(format string, a ...any) string {
	b, _ := appendf(nil, format, a, false)
	return string(b)
}

// Appendf appends the formatted text to b, as fmt.Appendf does.
func Appendf(b []byte, format string, a ...any) []byte {
	b, _ = appendf(b, format, a, false)
	return b
}

// Errorf returns an error whose text is Sprintf(format, a...). As with
// fmt.Errorf, each %w operand (an error) is wrapped: errors.Is and
// errors.As see it through Unwrap, which returns the one error for a
// single %w and all of them, in order, for several.
func Errorf(format string, a ...any) error {
	b, wrapped := appendf(nil, format, a, true)
	switch len(wrapped) {
	case 0:
		return errors.New(string(b))
	case 1:
		return &wrapError{msg: string(b), err: wrapped[0]}
	default:
		return &wrapErrors{msg: string(b), errs: wrapped}
	}
}

// wrapError is Errorf's error with one %w.
type wrapError struct {
	msg string
	err error
}

func (e *wrapError) Error() string { return e.msg }
func (e *wrapError) Unwrap() error { return e.err }

// wrapErrors is Errorf's error with several %w.
type wrapErrors struct {
	msg  string
	errs []error
}

func (e *wrapErrors) Error() string   { return e.msg }
func (e *wrapErrors) Unwrap() []error { return e.errs }

// spec is one parsed verb.
type spec struct {
	minus, zero, plus, sharp, space bool
	width, prec                     int // -1: none
}

func appendf(b []byte, format string, a []any, wrap bool) ([]byte, []error) {
	var wrapped []error
	argi := 0
	for i := 0; i < len(format); {
		c := format[i]
		if c != '%' {
			j := i + 1
			for j < len(format) && format[j] != '%' {
				j++
			}
			b = append(b, format[i:j]...)
			i = j
			continue
		}
		i++
		s := spec{width: -1, prec: -1}
	flags:
		for ; i < len(format); i++ {
			switch format[i] {
			case '-':
				s.minus = true
			case '0':
				s.zero = true
			case '+':
				s.plus = true
			case '#':
				s.sharp = true
			case ' ':
				s.space = true
			default:
				break flags
			}
		}
		s.width, i = num(format, i)
		if i < len(format) && format[i] == '.' {
			s.prec, i = num(format, i+1)
			if s.prec < 0 {
				s.prec = 0
			}
		}
		if i >= len(format) {
			b = append(b, "%!(NOVERB)"...)
			break
		}
		verb, size := utf8.DecodeRuneInString(format[i:])
		i += size
		if verb == '%' {
			b = append(b, '%')
			continue
		}
		if argi >= len(a) {
			b = append(b, '%', '!')
			b = utf8.AppendRune(b, verb)
			b = append(b, "(MISSING)"...)
			continue
		}
		arg := a[argi]
		argi++
		if verb == 'w' {
			err, ok := arg.(error)
			if !ok || !wrap {
				b = bad(b, verb, arg)
				continue
			}
			wrapped = append(wrapped, err)
			verb = 'v'
		}
		b = s.arg(b, verb, arg)
	}
	if argi < len(a) {
		b = append(b, "%!(EXTRA "...)
		for k, arg := range a[argi:] {
			if k > 0 {
				b = append(b, ", "...)
			}
			b = append(b, "?="...)
			b = (&spec{width: -1, prec: -1}).arg(b, 'v', arg)
		}
		b = append(b, ')')
	}
	return b, wrapped
}

// num reads a decimal number at format[i:]; -1 when there is none.
func num(format string, i int) (int, int) {
	n := -1
	for ; i < len(format) && '0' <= format[i] && format[i] <= '9'; i++ {
		if n < 0 {
			n = 0
		}
		if n < 1e6 {
			n = n*10 + int(format[i]-'0')
		}
	}
	return n, i
}

// arg appends one operand formatted by verb.
func (s *spec) arg(b []byte, verb rune, arg any) []byte {
	switch v := arg.(type) {
	case nil:
		if verb == 'v' {
			return s.pad(b, "<nil>")
		}
		return bad(b, verb, arg)
	case string:
		return s.str(b, verb, v, arg)
	case []byte:
		if verb == 'v' || verb == 's' || verb == 'q' || verb == 'x' || verb == 'X' {
			return s.str(b, verb, string(v), arg)
		}
		return bad(b, verb, arg)
	case []string:
		if verb != 'v' && verb != 's' && verb != 'q' {
			return bad(b, verb, arg)
		}
		b = append(b, '[')
		for k, x := range v {
			if k > 0 {
				b = append(b, ' ')
			}
			b = s.str(b, verb, x, x)
		}
		return append(b, ']')
	case bool:
		if verb == 'v' || verb == 't' {
			return s.pad(b, strconv.FormatBool(v))
		}
		return bad(b, verb, arg)
	case int:
		return s.integer(b, verb, v < 0, uint64(abs(int64(v))), arg)
	case int8:
		return s.integer(b, verb, v < 0, uint64(abs(int64(v))), arg)
	case int16:
		return s.integer(b, verb, v < 0, uint64(abs(int64(v))), arg)
	case int32:
		return s.integer(b, verb, v < 0, uint64(abs(int64(v))), arg)
	case int64:
		return s.integer(b, verb, v < 0, uint64(abs(v)), arg)
	case uint:
		return s.integer(b, verb, false, uint64(v), arg)
	case uint8:
		return s.integer(b, verb, false, uint64(v), arg)
	case uint16:
		return s.integer(b, verb, false, uint64(v), arg)
	case uint32:
		return s.integer(b, verb, false, uint64(v), arg)
	case uint64:
		return s.integer(b, verb, false, v, arg)
	case uintptr:
		return s.integer(b, verb, false, uint64(v), arg)
	case float64:
		return s.float(b, verb, v, 64, arg)
	case float32:
		return s.float(b, verb, float64(v), 32, arg)
	case error:
		// As fmt: the Error and String methods serve the string verbs.
		if verb == 'v' || verb == 's' || verb == 'q' || verb == 'x' || verb == 'X' {
			return s.str(b, verb, v.Error(), arg)
		}
	case Stringer:
		if verb == 'v' || verb == 's' || verb == 'q' || verb == 'x' || verb == 'X' {
			return s.str(b, verb, v.String(), arg)
		}
	}
	return bad(b, verb, arg)
}

func abs(n int64) int64 {
	if n < 0 {
		return -n // the most negative int64 stays itself; as uint64 it is right
	}
	return n
}

// bad appends fmt's mark for a verb that does not fit its operand.
func bad(b []byte, verb rune, arg any) []byte {
	b = append(b, '%', '!')
	b = utf8.AppendRune(b, verb)
	switch v := arg.(type) {
	case nil:
		return append(b, "(<nil>)"...)
	case string:
		return append(append(append(b, "(string="...), v...), ')')
	}
	return append(b, "(unsupported)"...)
}

// truncate keeps the first prec runes of str.
func (s *spec) truncate(str string) string {
	if s.prec < 0 {
		return str
	}
	n := 0
	for i := range str {
		if n == s.prec {
			return str[:i]
		}
		n++
	}
	return str
}

func (s *spec) str(b []byte, verb rune, str string, arg any) []byte {
	switch verb {
	case 'v', 's':
		return s.pad(b, s.truncate(str))
	case 'q':
		str = s.truncate(str)
		if s.sharp && strconv.CanBackquote(str) {
			return s.pad(b, "`"+str+"`")
		}
		if s.plus {
			return s.pad(b, strconv.QuoteToASCII(str))
		}
		return s.pad(b, strconv.Quote(str))
	case 'x', 'X':
		if s.prec >= 0 && s.prec < len(str) {
			str = str[:s.prec] // bytes, as fmt
		}
		digits := "0123456789abcdef"
		if verb == 'X' {
			digits = "0123456789ABCDEF"
		}
		h := make([]byte, 0, 2*len(str))
		for i := 0; i < len(str); i++ {
			h = append(h, digits[str[i]>>4], digits[str[i]&15])
		}
		return s.pad(b, string(h))
	}
	return bad(b, verb, arg)
}

func (s *spec) integer(b []byte, verb rune, neg bool, u uint64, arg any) []byte {
	var digits []byte
	switch verb {
	case 'd', 'v':
		digits = strconv.AppendUint(nil, u, 10)
	case 'x':
		digits = strconv.AppendUint(nil, u, 16)
	case 'X':
		digits = strconv.AppendUint(nil, u, 16)
		for i, c := range digits {
			if 'a' <= c && c <= 'f' {
				digits[i] = c - 'a' + 'A'
			}
		}
	case 'c':
		if neg || u > utf8.MaxRune {
			return s.pad(b, string(utf8.RuneError))
		}
		return s.pad(b, string(rune(u)))
	case 'q':
		r := rune(u)
		if neg || u > utf8.MaxRune {
			r = utf8.RuneError
		}
		if s.plus {
			return s.pad(b, strconv.QuoteRuneToASCII(r))
		}
		return s.pad(b, strconv.QuoteRune(r))
	default:
		return bad(b, verb, arg)
	}
	if s.prec >= 0 {
		for len(digits) < s.prec {
			digits = append([]byte{'0'}, digits...)
		}
		if s.prec == 0 && u == 0 {
			digits = digits[:0]
		}
	}
	sign := ""
	switch {
	case neg:
		sign = "-"
	case s.plus:
		sign = "+"
	case s.space:
		sign = " "
	}
	if s.zero && !s.minus && s.prec < 0 {
		for len(sign)+len(digits) < s.width {
			digits = append([]byte{'0'}, digits...)
		}
	}
	return s.pad(b, sign+string(digits))
}

func (s *spec) float(b []byte, verb rune, f float64, size int, arg any) []byte {
	var fmtc byte
	prec := s.prec
	switch verb {
	case 'v', 'g':
		fmtc = 'g'
	case 'e', 'f', 'E', 'G':
		fmtc = byte(verb)
		if prec < 0 && verb != 'G' {
			prec = 6
		}
	default:
		return bad(b, verb, arg)
	}
	str := strconv.FormatFloat(f, fmtc, prec, size)
	if s.plus && str[0] != '+' && str[0] != '-' {
		str = "+" + str
	}
	if s.zero && !s.minus && s.width > len(str) && str != "NaN" && str != "Inf" && str != "+Inf" && str != "-Inf" {
		sign := ""
		if str[0] == '-' || str[0] == '+' {
			sign, str = str[:1], str[1:]
		}
		for len(sign)+len(str) < s.width {
			str = "0" + str
		}
		str = sign + str
	}
	return s.pad(b, str)
}

// pad appends str padded with spaces to the width, left or right.
func (s *spec) pad(b []byte, str string) []byte {
	n := s.width - utf8.RuneCountInString(str)
	if n <= 0 {
		return append(b, str...)
	}
	if s.minus {
		b = append(b, str...)
	}
	for ; n > 0; n-- {
		b = append(b, ' ')
	}
	if !s.minus {
		b = append(b, str...)
	}
	return b
}
