package value

import (
	"math"
	"math/bits"
	"strconv"
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/streamdb/streamdb/core/jsonscan"
)

// The functions in this file read canonical JSON text without validating
// it.

// skipString returns the index just past the string literal at s[i].
//
// It reads the string eight bytes at a time, looking for a quote or a
// backslash in each word at once (a call to strings.IndexByte per string
// costs more than the scan in wasm, and most strings of a row are short).
// A backslash skips the byte after it, so an escaped quote is passed over.
func skipString(s string, i int) int {
	end, _ := scanString(s, i)
	return end
}

// scanString is skipString that also reports whether the literal holds a
// backslash (an escape to decode).
func scanString(s string, i int) (end int, escaped bool) {
	j := i + 1
	for j+8 <= len(s) {
		w := load64(s, j)
		m := byteIn(w, '"') | byteIn(w, '\\')
		if m == 0 {
			j += 8
			continue
		}
		k := j + bits.TrailingZeros64(m)>>3
		if s[k] == '"' {
			return k + 1, escaped
		}
		escaped = true
		j = k + 2
	}
	for ; j < len(s); j++ {
		switch s[j] {
		case '"':
			return j + 1, escaped
		case '\\':
			escaped = true
			j++
		}
	}
	return len(s), escaped
}

// load64 returns the eight bytes of s from i on as a little-endian word;
// i+8 <= len(s).
func load64(s string, i int) uint64 {
	_ = s[i+7]
	return *(*uint64)(unsafe.Pointer(unsafe.StringData(s[i:])))
}

// byteIn returns a word whose lowest set bit is the high bit of the first
// byte of w equal to b, or 0 when no byte is (the bits above the lowest may
// be set falsely: only the lowest is used).
func byteIn(w uint64, b byte) uint64 {
	x := w ^ (oneBytes * uint64(b))
	return (x - oneBytes) &^ x & highBits
}

// byteBelow is nonzero when a byte of w is below n (n <= 0x80), for a word
// of bytes below 0x80.
func byteBelow(w uint64, n byte) uint64 {
	return (w - oneBytes*uint64(n)) &^ w & highBits
}

// oneBytes and highBits are the words of eight 0x01 and eight 0x80 bytes.
const oneBytes, highBits = 0x0101010101010101, 0x8080808080808080

// skipValue returns the index just past the value at s[i].
func skipValue(s string, i int) int {
	switch s[i] {
	case '"':
		return skipString(s, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(s); {
			switch s[j] {
			case '"':
				j = skipString(s, j)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
			j++
		}
		return len(s)
	case 't', 'n':
		return i + 4
	case 'f':
		return i + 5
	}
	j := i + 1
	for j < len(s) && s[j] != ',' && s[j] != ']' && s[j] != '}' {
		j++
	}
	return j
}

// decodeAt returns the value at s[i] and the index just past it. Strings
// without escapes, arrays and objects share memory with s.
func decodeAt(s string, i int) (Value, int) {
	switch s[i] {
	case '"':
		end, escaped := scanString(s, i)
		if !escaped {
			return String(s[i+1 : end-1]), end
		}
		return String(unescape(s[i+1 : end-1])), end
	case '{':
		end := skipValue(s, i)
		return textValue(KindObject, s[i:end]), end
	case '[':
		end := skipValue(s, i)
		return textValue(KindArray, s[i:end]), end
	case 't':
		return Bool(true), i + 4
	case 'f':
		return Bool(false), i + 5
	case 'n':
		return Null(), i + 4
	}
	end := skipValue(s, i)
	return Number(parseNumber(s[i:end])), end
}

// parseNumber reads the JSON number lit. An integer of at most 15 digits
// (a count, an id, a millisecond timestamp), which a float64 holds
// exactly, is read digit by digit; the rest goes to strconv.
func parseNumber(lit string) float64 {
	digits := lit
	if len(digits) > 0 && digits[0] == '-' {
		digits = digits[1:]
	}
	if len(digits) == 0 || len(digits) > 15 || digits[0] == '0' && len(digits) > 1 {
		f, _ := strconv.ParseFloat(lit, 64)
		return f
	}
	var n int64
	for i := 0; i < len(digits); i++ {
		c := digits[i]
		if c < '0' || c > '9' {
			f, _ := strconv.ParseFloat(lit, 64)
			return f
		}
		n = n*10 + int64(c-'0')
	}
	if len(digits) < len(lit) {
		if n == 0 {
			return math.Copysign(0, -1)
		}
		return -float64(n)
	}
	return float64(n)
}

// unescape decodes the body of a string literal; with no backslash it
// returns raw itself, sharing its memory.
func unescape(raw string) string {
	if strings.IndexByte(raw, '\\') < 0 {
		return raw
	}
	s, _ := jsonscan.Unquote([]byte(`"` + raw + `"`))
	return s
}

func hex4(h string) rune {
	v, err := strconv.ParseUint(h, 16, 32)
	if err != nil {
		return utf8.RuneError
	}
	return rune(v)
}

// Get returns the value of the object field named field, or Undefined when
// v is not an Object or has no such field. A String field without escapes,
// and an Array or Object field, share memory with v's text (no
// allocation).
func (v Value) Get(field string) Value {
	if v.kind != KindObject {
		return Value{}
	}
	_, vs, ok := findField(v.text(), dirOf(v), field)
	if !ok {
		return Value{}
	}
	val, _ := decodeAt(v.text(), vs)
	return val
}

// RawField returns the JSON text of the value of field in the Object v:
// a slice of v's canonical text (no copy, nothing decoded), which is the
// text AppendJSON writes for that value. It returns "" and false when v is
// not an Object or has no such field.
func (v Value) RawField(field string) (string, bool) {
	if v.kind != KindObject {
		return "", false
	}
	_, vs, ok := findField(v.text(), dirOf(v), field)
	if !ok {
		return "", false
	}
	return v.text()[vs:skipValue(v.text(), vs)], true
}

// IsArrayIndex reports whether key is an array index ("0", "42", below
// 2^32-1 with no leading zero), which JavaScript puts first in an
// object's property order.
func IsArrayIndex(key string) bool {
	_, ok := arrayIndex(key, 0, len(key))
	return ok
}

// findField finds the member named field in the canonical object text s,
// whose memberDir is d (0 when it has none), and returns the index of its
// key's opening quote and of its value.
func findField(s string, d memberDir, field string) (ks, vs int, ok bool) {
	if len(s) < 3 {
		return 0, 0, false
	}
	if !plainName(field) {
		return findEscapedField(s, field)
	}
	n := len(field)
	i := 1
	for k := 1; ; k++ { // i: member k-1
		// A plain name has no backslash and no quote: a key that starts
		// with it and has a quote right after is that name.
		if i+n+1 < len(s) && s[i+n+1] == '"' && s[i+1:i+n+1] == field {
			return i, i + n + 3, true
		}
		if k < dirMembers {
			if next := d.at(k); next != 0 {
				i = next
				continue
			}
		}
		ke := skipString(s, i)
		ve := skipValue(s, ke+1)
		if ve >= len(s) || s[ve] != ',' {
			return 0, 0, false
		}
		i = ve + 1
	}
}

// findEscapedField is findField for a name whose JSON text differs from
// it: the keys are compared as JSON texts.
func findEscapedField(s, field string) (ks, vs int, ok bool) {
	var buf [64]byte
	enc := string(appendString(buf[:0], field))
	i := 1
	for {
		ke := skipString(s, i)
		if s[i:ke] == enc {
			return i, ke + 1, true
		}
		ve := skipValue(s, ke+1)
		if ve >= len(s) || s[ve] != ',' {
			return 0, 0, false
		}
		i = ve + 1
	}
}

// Fields calls fn for each field of the Object v, in order, with the
// decoded key and the value, until fn returns false. It does nothing when v
// is not an Object.
func (v Value) Fields(fn func(key string, v Value) bool) {
	if v.kind != KindObject || len(v.text()) < 3 {
		return
	}
	s := v.text()
	for i := 1; i < len(s); {
		ke := skipString(s, i)
		val, ve := decodeAt(s, ke+1)
		if !fn(unescape(s[i+1:ke-1]), val) {
			return
		}
		i = ve + 1
	}
}

// Len returns the number of elements of an Array or of fields of an Object,
// and 0 for other kinds.
func (v Value) Len() int {
	if (v.kind != KindArray && v.kind != KindObject) || len(v.text()) < 3 {
		return 0
	}
	s := v.text()
	n := 0
	for i := 1; i < len(s); {
		if v.kind == KindObject {
			i = skipString(s, i) + 1
		}
		i = skipValue(s, i) + 1
		n++
	}
	return n
}

// Index returns element i of an Array, or Undefined when v is not an Array
// or i is out of range.
func (v Value) Index(i int) Value {
	if v.kind != KindArray || len(v.text()) < 3 || i < 0 {
		return Value{}
	}
	s := v.text()
	j := 1
	for ; i > 0; i-- {
		j = skipValue(s, j) + 1
		if j >= len(s) {
			return Value{}
		}
	}
	val, _ := decodeAt(s, j)
	return val
}

// Elems calls fn for each element of the Array v, in order, with its index,
// until fn returns false. It does nothing when v is not an Array.
func (v Value) Elems(fn func(i int, v Value) bool) {
	if v.kind != KindArray || len(v.text()) < 3 {
		return
	}
	s := v.text()
	for i, n := 1, 0; i < len(s); n++ {
		val, end := decodeAt(s, i)
		if !fn(n, val) {
			return
		}
		i = end + 1
	}
}
