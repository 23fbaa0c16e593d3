// Package jsonscan validates and slices JSON text without decoding it into
// Go values: it finds where a value ends, splits a top-level array into its
// items, and decodes strings and small flat objects. It allocates only for
// the results it returns, so it can sit on the hot path of a stream reader.
package jsonscan

import (
	"bytes"
	"errors"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/streamdb/streamdb/internal/strfmt"
)

// MaxDepth bounds the nesting of arrays and objects the scanner accepts, so
// that hostile input cannot exhaust the stack.
const MaxDepth = 1000

// SyntaxError reports malformed JSON and the byte offset where it was found.
type SyntaxError struct {
	// Offset is the byte position in the input where the problem is.
	Offset int
	// Msg says what was wrong.
	Msg string
}

func (e *SyntaxError) Error() string {
	return strfmt.Sprintf("invalid JSON at byte %d: %s", e.Offset, e.Msg)
}

func errAt(off int, format string, args ...any) error {
	return &SyntaxError{Offset: off, Msg: strfmt.Sprintf(format, args...)}
}

// SkipSpace returns the index of the first byte at or after i that is not
// JSON white space.
func SkipSpace(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// Check returns nil when b holds exactly one JSON value (with optional white
// space around it), and a *SyntaxError saying where it is malformed otherwise.
func Check(b []byte) error {
	i := SkipSpace(b, 0)
	end, err := ValueEnd(b, i)
	if err != nil {
		return err
	}
	if j := SkipSpace(b, end); j != len(b) {
		return errAt(j, "unexpected %q after the value", b[j])
	}
	return nil
}

// ValueEnd returns the index just past the JSON value that starts at b[i].
// It checks the whole value, strings and numbers included.
func ValueEnd(b []byte, i int) (int, error) {
	return valueEnd(b, i, 0)
}

// ValueEndIn is ValueEnd for a value found inside depth arrays or objects,
// which count towards MaxDepth.
func ValueEndIn(b []byte, i, depth int) (int, error) {
	return valueEnd(b, i, depth)
}

func valueEnd(b []byte, i, depth int) (int, error) {
	if i >= len(b) {
		return i, errAt(i, "unexpected end of input, expected a value")
	}
	switch c := b[i]; {
	case c == '"':
		return stringEnd(b, i)
	case c == '{':
		return objectEnd(b, i, depth+1)
	case c == '[':
		return arrayEnd(b, i, depth+1)
	case c == '-' || (c >= '0' && c <= '9'):
		return numberEnd(b, i)
	case c == 't':
		return literalEnd(b, i, "true")
	case c == 'f':
		return literalEnd(b, i, "false")
	case c == 'n':
		return literalEnd(b, i, "null")
	default:
		return i, errAt(i, "unexpected %q, expected a value", c)
	}
}

func literalEnd(b []byte, i int, lit string) (int, error) {
	if len(b)-i < len(lit) || string(b[i:i+len(lit)]) != lit {
		return i, errAt(i, "invalid literal, expected %s", lit)
	}
	return i + len(lit), nil
}

func numberEnd(b []byte, i int) (int, error) {
	if b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		return i, errAt(i, "invalid number")
	}
	if i < len(b) && b[i] == '.' {
		i++
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			return i, errAt(i, "invalid number: no digit after the decimal point")
		}
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			return i, errAt(i, "invalid number: no digit in the exponent")
		}
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	}
	return i, nil
}

// stringEnd returns the index just past the string that starts at b[i]
// (which must be '"'), checking escapes, control characters and UTF-8.
func stringEnd(b []byte, i int) (int, error) {
	i++
	for i < len(b) {
		// Skip the plain run first: one table load per byte.
		for i < len(b) && plainStringByte[b[i]] {
			i++
		}
		if i >= len(b) {
			break
		}
		c := b[i]
		switch {
		case c == '"':
			return i + 1, nil
		case c == '\\':
			if i+1 >= len(b) {
				return i, errAt(i, "unterminated escape")
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(b) {
					return i, errAt(i, "short \\u escape")
				}
				for _, h := range b[i+2 : i+6] {
					if !isHex(h) {
						return i, errAt(i, "invalid \\u escape")
					}
				}
				i += 6
			default:
				return i, errAt(i, "invalid escape \\%c", b[i+1])
			}
		case c < 0x20:
			return i, errAt(i, "control character in string")
		default:
			// Bytes that are not valid UTF-8 are accepted, as JSON.parse
			// does after a TextDecoder; Unquote turns them into U+FFFD.
			i++
		}
	}
	return i, errAt(i, "unterminated string")
}

// plainStringByte marks the bytes a string can hold as they are: not the
// quote, the backslash or a control character.
var plainStringByte = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// structuralByte marks the bytes that can change the structure of JSON
// text: quotes, brackets, braces and commas.
var structuralByte = func() (t [256]bool) {
	for _, c := range []byte(`"[]{},`) {
		t[c] = true
	}
	return t
}()

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func arrayEnd(b []byte, i, depth int) (int, error) {
	if depth > MaxDepth {
		return i, errAt(i, "nesting deeper than %d", MaxDepth)
	}
	i = SkipSpace(b, i+1)
	if i < len(b) && b[i] == ']' {
		return i + 1, nil
	}
	for {
		end, err := valueEnd(b, i, depth)
		if err != nil {
			return end, err
		}
		i = SkipSpace(b, end)
		if i >= len(b) {
			return i, errAt(i, "unterminated array")
		}
		switch b[i] {
		case ',':
			i = SkipSpace(b, i+1)
		case ']':
			return i + 1, nil
		default:
			return i, errAt(i, "unexpected %q in array, expected ',' or ']'", b[i])
		}
	}
}

func objectEnd(b []byte, i, depth int) (int, error) {
	if depth > MaxDepth {
		return i, errAt(i, "nesting deeper than %d", MaxDepth)
	}
	i = SkipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return i + 1, nil
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return i, errAt(i, "expected a string key in object")
		}
		end, err := stringEnd(b, i)
		if err != nil {
			return end, err
		}
		i = SkipSpace(b, end)
		if i >= len(b) || b[i] != ':' {
			return i, errAt(i, "expected ':' after object key")
		}
		end, err = valueEnd(b, SkipSpace(b, i+1), depth)
		if err != nil {
			return end, err
		}
		i = SkipSpace(b, end)
		if i >= len(b) {
			return i, errAt(i, "unterminated object")
		}
		switch b[i] {
		case ',':
			i = SkipSpace(b, i+1)
		case '}':
			return i + 1, nil
		default:
			return i, errAt(i, "unexpected %q in object, expected ',' or '}'", b[i])
		}
	}
}

// ErrNotArray is returned by SplitArray when the input is valid JSON but not
// an array.
var ErrNotArray = errors.New("JSON value is not an array")

// SplitArray checks that b holds exactly one JSON array and appends the byte
// range of each item to dst (sub-slices of b, without surrounding space).
func SplitArray(dst [][]byte, b []byte) ([][]byte, error) {
	i := SkipSpace(b, 0)
	if i >= len(b) {
		return dst, errAt(i, "empty input, expected an array")
	}
	if b[i] != '[' {
		if err := Check(b); err != nil {
			return dst, err
		}
		return dst, ErrNotArray
	}
	i = SkipSpace(b, i+1)
	if i < len(b) && b[i] == ']' {
		i++
	} else {
		for {
			end, err := valueEnd(b, i, 1)
			if err != nil {
				return dst, err
			}
			dst = append(dst, b[i:end])
			i = SkipSpace(b, end)
			if i >= len(b) {
				return dst, errAt(i, "unterminated array")
			}
			if b[i] == ']' {
				i++
				break
			}
			if b[i] != ',' {
				return dst, errAt(i, "unexpected %q in array, expected ',' or ']'", b[i])
			}
			i = SkipSpace(b, i+1)
		}
	}
	if j := SkipSpace(b, i); j != len(b) {
		return dst, errAt(j, "unexpected %q after the array", b[j])
	}
	return dst, nil
}

// Unquote decodes the JSON string literal s (quotes included) into a Go
// string, resolving escapes. A lone surrogate (an escape such as \ud800
// without its pair, which JavaScript strings may hold and JSON.stringify
// writes) is kept in its WTF-8 form: the surrogate's code point in UTF-8's
// three-byte pattern, ED A0 80 to ED BF BF, which valid UTF-8 never holds,
// so that "\ud800", "\udc00" and "\ufffd" stay three strings. Bytes of s
// that are not valid UTF-8 (raw ones, as a TextDecoder would see them)
// become U+FFFD each.
func Unquote(s []byte) (string, error) {
	if len(s) == 0 || s[0] != '"' {
		return "", errAt(0, "expected a string")
	}
	end, err := stringEnd(s, 0)
	if err != nil {
		return "", err
	}
	if end != len(s) {
		return "", errAt(end, "unexpected bytes after the string")
	}
	body := s[1 : len(s)-1]
	if bytes.IndexByte(body, '\\') < 0 && utf8.Valid(body) {
		return string(body), nil
	}
	out := make([]byte, 0, len(body))
	for i := 0; i < len(body); {
		c := body[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRune(body[i:])
			out = utf8.AppendRune(out, r)
			i += size
			continue
		}
		if c != '\\' {
			out = append(out, c)
			i++
			continue
		}
		switch body[i+1] {
		case '"', '\\', '/':
			out = append(out, body[i+1])
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r := hex4(body[i+2 : i+6])
			i += 6
			if utf16.IsSurrogate(r) {
				r2 := rune(-1)
				if i+6 <= len(body) && body[i] == '\\' && body[i+1] == 'u' {
					r2 = hex4(body[i+2 : i+6])
				}
				if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
					r = d
					i += 6
				} else {
					out = AppendSurrogate(out, r)
					continue
				}
			}
			out = utf8.AppendRune(out, r)
			continue
		}
		i += 2
	}
	return string(out), nil
}

// AppendSurrogate appends the WTF-8 form of the surrogate code point r
// (U+D800 to U+DFFF): the three bytes UTF-8's pattern gives it.
func AppendSurrogate(dst []byte, r rune) []byte {
	return append(dst, 0xED, byte(0x80|(r>>6)&0x3F), byte(0x80|r&0x3F))
}

// IsSurrogateAt reports whether s[i:] starts with the WTF-8 form of a
// surrogate (see AppendSurrogate).
func IsSurrogateAt[T ~string | ~[]byte](s T, i int) bool {
	return i+2 < len(s) && s[i] == 0xED && s[i+1] >= 0xA0 && s[i+1] <= 0xBF && s[i+2] >= 0x80 && s[i+2] <= 0xBF
}

func hex4(h []byte) rune {
	v, _ := strconv.ParseUint(string(h), 16, 32)
	return rune(v)
}

// ObjectFields calls fn for each member of the JSON object in b, with the
// decoded key and the raw bytes of the value. It checks the whole object,
// and stops at the first error fn returns.
func ObjectFields(b []byte, fn func(key string, value []byte) error) error {
	i := SkipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		if err := Check(b); err != nil {
			return err
		}
		return errAt(i, "expected an object")
	}
	if err := Check(b); err != nil {
		return err
	}
	i = SkipSpace(b, i+1)
	if b[i] == '}' {
		return nil
	}
	for {
		kend, _ := stringEnd(b, i)
		key, err := Unquote(b[i:kend])
		if err != nil {
			return err
		}
		vstart := SkipSpace(b, SkipSpace(b, kend)+1)
		vend, _ := valueEnd(b, vstart, 1)
		if err := fn(key, b[vstart:vend]); err != nil {
			return err
		}
		i = SkipSpace(b, vend)
		if b[i] == '}' {
			return nil
		}
		i = SkipSpace(b, i+1)
	}
}
