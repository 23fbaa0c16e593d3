// Package strfmt formats messages and wraps errors as package fmt does,
// for the subset of verbs and types that StreamDB's messages use, without
// fmt's dependence on reflect. The wasm module does not link fmt and
// reflect at all (about 100 KB less, brotli), yet every message reads as
// it did with fmt, and [Errorf] wraps as fmt.Errorf does.
//
// Supported: the verbs %v %s %q %d %x %c %w and %%; the flags '-' and
// '0', a width, and for strings a precision (the runes kept). Operands:
// nil, string, []byte (not %v), []string, bool, int, int32, int64, uint8
// (byte), uint32, uint64, float64 (%v only), error, and [Stringer] (any
// type with a String method). A named
// type without a String method whose underlying type is one of these is
// not recognised: convert it at the call site. Other flags and verbs, and
// other operands (which fmt prints through reflection), print as
// %!verb(unsupported); the code stays small because the wasm carries it.
package strfmt

import (
	"errors"
	"strconv"
	"strings"
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
	minus, zero bool
	width, prec int // -1: none
}

func appendf(b []byte, format string, a []any, wrap bool) ([]byte, []error) {
	var wrapped []error
	argi := 0
	for i := 0; i < len(format); {
		j := i
		for j < len(format) && format[j] != '%' {
			j++
		}
		b = append(b, format[i:j]...)
		if j+1 >= len(format) {
			if j < len(format) {
				b = append(b, "%!(NOVERB)"...)
			}
			break
		}
		i = j + 1
		s := spec{width: -1, prec: -1}
		for ; i < len(format) && (format[i] == '-' || format[i] == '0'); i++ {
			s.minus = s.minus || format[i] == '-'
			s.zero = s.zero || format[i] == '0'
		}
		s.width, i = num(format, i)
		if i < len(format) && format[i] == '.' {
			s.prec, i = num(format, i+1)
			s.prec = max(s.prec, 0)
		}
		if i >= len(format) {
			b = append(b, "%!(NOVERB)"...)
			break
		}
		verb := format[i]
		i++
		switch {
		case verb == '%':
			b = append(b, '%')
		case argi >= len(a):
			b = append(append(b, '%', '!', verb), "(MISSING)"...)
		default:
			arg := a[argi]
			argi++
			if verb == 'w' {
				if err, ok := arg.(error); ok && wrap {
					wrapped = append(wrapped, err)
					verb = 'v'
				}
			}
			b = s.arg(b, verb, arg)
		}
	}
	if argi < len(a) {
		b = append(b, "%!(EXTRA "...)
		for k, arg := range a[argi:] {
			if k > 0 {
				b = append(b, ", "...)
			}
			b = (&spec{width: -1, prec: -1}).arg(append(b, "?="...), 'v', arg)
		}
		b = append(b, ')')
	}
	return b, wrapped
}

// num reads a decimal number at format[i:]; -1 when there is none.
func num(format string, i int) (int, int) {
	n := -1
	for ; i < len(format) && '0' <= format[i] && format[i] <= '9'; i++ {
		n = min(max(n, 0)*10+int(format[i]-'0'), 1e6)
	}
	return n, i
}

// arg appends one operand formatted by verb.
func (s *spec) arg(b []byte, verb byte, arg any) []byte {
	var u uint64
	neg := false
	switch v := arg.(type) {
	case nil:
		if verb == 'v' {
			return s.pad(b, "<nil>")
		}
		return append(append(b, '%', '!', verb), "(<nil>)"...)
	case string:
		return s.str(b, verb, v)
	case []byte:
		if verb == 'v' {
			return bad(b, verb) // fmt prints the numbers
		}
		return s.str(b, verb, string(v))
	case []string:
		b = append(b, '[')
		for k, x := range v {
			if k > 0 {
				b = append(b, ' ')
			}
			b = s.str(b, verb, x)
		}
		return append(b, ']')
	case bool:
		if verb == 'v' {
			return s.pad(b, strconv.FormatBool(v))
		}
		return bad(b, verb)
	case error:
		if verb == 'v' || verb == 's' || verb == 'q' {
			return s.str(b, verb, v.Error())
		}
		return bad(b, verb)
	case Stringer:
		if verb == 'v' || verb == 's' || verb == 'q' {
			return s.str(b, verb, v.String())
		}
		return bad(b, verb)
	case float64:
		if verb == 'v' {
			return s.pad(b, strconv.FormatFloat(v, 'g', -1, 64))
		}
		return bad(b, verb)
	case int:
		neg, u = v < 0, uint64(v)
	case int32:
		neg, u = v < 0, uint64(v)
	case int64:
		neg, u = v < 0, uint64(v)
	case uint8:
		u = uint64(v)
	case uint32:
		u = uint64(v)
	case uint64:
		u = v
	default:
		return bad(b, verb)
	}
	if neg {
		u = -u
	}
	return s.integer(b, verb, neg, u)
}

// bad appends fmt's mark for a verb that does not fit its operand.
func bad(b []byte, verb byte) []byte {
	return append(append(b, '%', '!', verb), "(unsupported)"...)
}

func (s *spec) str(b []byte, verb byte, str string) []byte {
	if s.prec >= 0 {
		n := 0
		for i := range str {
			if n == s.prec {
				str = str[:i]
				break
			}
			n++
		}
	}
	switch verb {
	case 'v', 's':
		return s.pad(b, str)
	case 'q':
		return s.pad(b, strconv.Quote(str))
	}
	// fmt's mark for a string under another verb shows the string.
	return append(append(append(b, '%', '!', verb), "(string="...), str+")"...)
}

func (s *spec) integer(b []byte, verb byte, neg bool, u uint64) []byte {
	switch verb {
	case 'c', 'q':
		r := rune(u)
		if neg || u > utf8.MaxRune {
			r = utf8.RuneError
		}
		if verb == 'c' {
			return s.pad(b, string(r))
		}
		return s.pad(b, strconv.QuoteRune(r))
	case 'd', 'v', 'x':
	default:
		return bad(b, verb)
	}
	base := 10
	if verb == 'x' {
		base = 16
	}
	digits := strconv.FormatUint(u, base)
	if neg {
		digits = "-" + digits
	}
	if s.zero && !s.minus {
		n := s.width - len(digits)
		if n > 0 {
			zeros := strings.Repeat("0", n)
			if neg {
				digits = "-" + zeros + digits[1:]
			} else {
				digits = zeros + digits
			}
		}
	}
	return s.pad(b, digits)
}

// pad appends str padded with spaces to the width, left or right.
func (s *spec) pad(b []byte, str string) []byte {
	n := s.width - utf8.RuneCountInString(str)
	if !s.minus {
		for ; n > 0; n-- {
			b = append(b, ' ')
		}
	}
	b = append(b, str...)
	for ; n > 0; n-- {
		b = append(b, ' ')
	}
	return b
}
