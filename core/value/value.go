// Package value is the compact JSON value type that rows and query results
// are made of.
//
// A Value is a small struct (kind, number, string). Scalars are held
// decoded; arrays and objects are held as their canonical JSON text: the
// exact text JavaScript's JSON.stringify produces for the equivalent JS
// value (compact, numbers in JS's shortest form, strings escaped as
// JSON.stringify escapes them, object keys in JS property order without
// duplicates). A row is therefore a string, not a map: a 5-field row costs
// its text plus a 24-byte Value. Fields are found by scanning the text.
//
// Every Array or Object made by this package (Parse, ParseString,
// ObjectBuilder, Merge, With) holds canonical text; Equal, the hash and
// the accessors rely on it. Values nested in the text of an array or
// object are JSON values: a NaN put into an object becomes null there, as
// JSON.stringify makes it, while ±Infinity is written 1e999 and -1e999,
// which JSON.parse reads back as ±Infinity (see AppendJSON).
//
// Strings are Go strings of UTF-8, except that a lone surrogate (which a
// JavaScript string may hold, and JSON carries as an escape such as
// \ud800) is kept in its WTF-8 form (see jsonscan.Unquote), so that it
// stays distinct from U+FFFD and from other lone surrogates on its way
// through and back to JavaScript.
package value

import (
	"math"
	"strconv"
	"strings"
	"unsafe"
)

// Kind is the JSON (or JavaScript) type of a Value. The zero Kind is
// KindUndefined.
type Kind uint8

// The kinds of Value, in the rank order Compare uses across kinds.
const (
	// KindUndefined is JS undefined: a missing field. It is the zero Kind.
	KindUndefined Kind = iota
	// KindNull is JSON null.
	KindNull
	// KindBool is true or false.
	KindBool
	// KindNumber is a float64; computed values may be NaN or ±Inf.
	KindNumber
	// KindString is a Unicode string, held decoded (UTF-8).
	KindString
	// KindArray is a JSON array, held as its canonical JSON text.
	KindArray
	// KindObject is a JSON object, held as its canonical JSON text.
	KindObject
)

var kindNames = [...]string{"undefined", "null", "boolean", "number", "string", "array", "object"}

// String returns the kind's name: JavaScript's typeof, except that null and
// array have names of their own.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Value is an immutable JSON value, or Undefined. The zero Value is
// Undefined, which is distinct from Null. Values are small (24 bytes on
// 64-bit platforms) and are passed by value. Do not compare Values with ==:
// use Equal.
//
// A Value's text (a String's decoded text; an Array's or Object's
// canonical JSON text) is held as a pointer and a 32-bit length, which
// with the kind fit where a string header and the kind took 24 bytes and 8
// of padding: every row, key and result entry of a query holds Values.
type Value struct {
	_      [0]func()      // not comparable: == would compare the texts' addresses
	p      unsafe.Pointer // the first byte of the text (see text)
	n      uint32         // the text's length
	kind   Kind
	quoted bool    // a String whose JSON is its text in quotes (QuotedString); false: not known
	num    float64 // Number (may be NaN or ±Inf for computed values); Bool as 0/1
}

// textValue returns the Value of kind k whose text is s (see Value). A
// text is shorter than 4 GiB: Parse refuses longer input, and the wasm
// module's whole memory is 4 GiB at most.
func textValue(k Kind, s string) Value {
	return Value{p: unsafe.Pointer(unsafe.StringData(s)), n: uint32(len(s)), kind: k}
}

// text returns v's text: a String's decoded text, an Array's or Object's
// canonical JSON text, "" for other kinds.
func (v Value) text() string {
	// A string header built in place: unsafe.String would check its
	// arguments at every call, and text is called everywhere.
	h := stringHeader{v.p, int(v.n)}
	return *(*string)(unsafe.Pointer(&h))
}

// stringHeader is the layout of a string.
type stringHeader struct {
	p unsafe.Pointer
	n int
}

// Undefined returns the Undefined value (the zero Value): JS undefined, a
// missing field.
func Undefined() Value { return Value{} }

// Null returns JSON null.
func Null() Value { return Value{kind: KindNull} }

// Bool returns the boolean b.
func Bool(b bool) Value {
	if b {
		return Value{kind: KindBool, num: 1}
	}
	return Value{kind: KindBool}
}

// Number returns the number f. NaN and ±Inf are allowed (results of
// arithmetic); NaN encodes as null, as in JSON.stringify, ±Inf as 1e999
// and -1e999.
func Number(f float64) Value { return Value{kind: KindNumber, num: f} }

// String returns the string s. s should be UTF-8 (lone surrogates in their
// WTF-8 form); other bytes that are not valid UTF-8 encode as U+FFFD.
func String(s string) Value { return textValue(KindString, s) }

// QuotedString is String for a text whose JSON is the text itself in
// quotes, which the caller knows (!StringNeedsEscape(s)): writing its JSON,
// or a key made of it, then skips the check. A row key is checked once when
// its row is stored, instead of at each pair a join makes with it.
func QuotedString(s string) Value {
	v := textValue(KindString, s)
	v.quoted = true
	return v
}

// Quoted reports whether v is a String made by QuotedString: its JSON is its
// text in quotes. False says nothing.
func (v Value) Quoted() bool { return v.quoted }

// emptyObject is the Value of {}.
var emptyObject = textValue(KindObject, "{}")

// fromCompactJSON returns the Array or Object (or scalar) whose canonical
// JSON text is s, without validating it: s must be valid JSON in the
// canonical form this package keeps (what JSON.stringify produces, or what
// Encode returned). The kind is taken from the first byte. Use it for text
// this package or JSON.stringify produced; use Parse for anything else.
func fromCompactJSON(s string) Value {
	if s == "" {
		return Value{}
	}
	switch s[0] {
	case '{':
		return textValue(KindObject, s)
	case '[':
		return textValue(KindArray, s)
	}
	v, _ := decodeAt(s, 0)
	return v
}

// Canonical returns the value whose canonical JSON text is s, as JSON
// returned it, without validating it. It is for text this package made and
// that was kept intact (a snapshot whose checksum holds); Parse anything
// else.
func Canonical(s string) Value { return fromCompactJSON(s) }

// Kind returns v's kind.
func (v Value) Kind() Kind { return v.kind }

// IsUndefined reports whether v is Undefined (JS undefined, a missing field).
func (v Value) IsUndefined() bool { return v.kind == KindUndefined }

// IsNull reports whether v is JSON null (and not Undefined).
func (v Value) IsNull() bool { return v.kind == KindNull }

// IsNullish reports whether v is null or Undefined.
func (v Value) IsNullish() bool { return v.kind <= KindNull }

// Num returns v's number and true when v is a Number.
func (v Value) Num() (float64, bool) {
	if v.kind != KindNumber {
		return 0, false
	}
	return v.num, true
}

// Str returns v's string and true when v is a String.
func (v Value) Str() (string, bool) {
	if v.kind != KindString {
		return "", false
	}
	return v.text(), true
}

// BoolVal returns v's boolean and true when v is a Bool.
func (v Value) BoolVal() (bool, bool) {
	if v.kind != KindBool {
		return false, false
	}
	return v.num != 0, true
}

// JSON returns v's JSON text as JSON.stringify would produce it: for an
// Array or Object the text it holds (no allocation), for the others their
// encoding (Undefined encodes as null).
func (v Value) JSON() string {
	switch v.kind {
	case KindArray, KindObject:
		return v.text()
	case KindUndefined, KindNull:
		return "null"
	case KindBool:
		if v.num != 0 {
			return "true"
		}
		return "false"
	}
	var buf [64]byte
	return string(AppendJSON(buf[:0], v))
}

// String returns v's JSON text, for debugging; Undefined shows as
// "undefined".
func (v Value) String() string {
	if v.kind == KindUndefined {
		return "undefined"
	}
	return v.JSON()
}

// Encode returns v's JSON text: the same as v.JSON().
func Encode(v Value) string { return v.JSON() }

// isNaN reports whether f is NaN.
func isNaN(f float64) bool { return f != f }

var _ = math.NaN
var _ = strings.Compare
