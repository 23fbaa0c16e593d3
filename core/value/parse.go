package value

import (
	"cmp"
	"math"
	"slices"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"

	"github.com/streamdb/streamdb/core/jsonscan"
)

// maxText is the longest text a Value holds (see Value); a parsed text is
// no longer, and so is every text made from it.
const maxText = 1<<32 - 1

// checkLen refuses a JSON text of n bytes when n is over maxText.
func checkLen(n int) error {
	if uint64(n) > maxText {
		return &jsonscan.SyntaxError{Offset: maxText, Msg: "a JSON text of 4 GiB or more"}
	}
	return nil
}

// Parse parses one JSON value (white space around it allowed). Arrays and
// objects keep their JSON text in canonical form: when b is already
// canonical (as any JSON.stringify output is) its bytes are kept as they
// are, converted to a string once (one allocation for an object); otherwise
// (white space, other number spellings such as 1.0 or 1e2, other escapes,
// duplicate keys, integer-like keys out of JS order) the text is rewritten
// to what JSON.stringify(JSON.parse(b)) gives. Invalid JSON is reported as
// a *jsonscan.SyntaxError. Numbers too large for float64 become ±Inf, as in
// JavaScript (written 1e999 and -1e999 inside arrays and objects).
func Parse(b []byte) (Value, error) {
	if err := checkLen(len(b)); err != nil {
		return Value{}, err
	}
	i := jsonscan.SkipSpace(b, 0)
	if end, ok := canonEnd(b, i, 0); ok && jsonscan.SkipSpace(b, end) == len(b) {
		raw := b[i:end]
		switch raw[0] {
		case '{':
			return textValue(KindObject, string(raw)), nil
		case '[':
			return textValue(KindArray, string(raw)), nil
		case '"':
			s, err := jsonscan.Unquote(raw)
			return String(s), err
		case 't':
			return Bool(true), nil
		case 'f':
			return Bool(false), nil
		case 'n':
			return Null(), nil
		}
		f, _ := strconv.ParseFloat(string(raw), 64)
		return Number(f), nil
	}
	return parseSlow(b)
}

// ParseString is Parse for text in a string. Arrays, objects and strings
// without escapes that are already canonical share memory with s (no
// allocation): the Value keeps s alive.
func ParseString(s string) (Value, error) {
	if err := checkLen(len(s)); err != nil {
		return Value{}, err
	}
	i := skipSpaceString(s, 0)
	if end, ok := canonEnd(s, i, 0); ok && skipSpaceString(s, end) == len(s) {
		v, _ := decodeAt(s[:end], i)
		return v, nil
	}
	return parseSlow([]byte(s))
}

// MustParse is ParseString that panics on invalid JSON, for tests and
// constants.
func MustParse(s string) Value {
	v, err := ParseString(s)
	if err != nil {
		panic(err)
	}
	return v
}

func skipSpaceString(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
		i++
	}
	return i
}

// parseSlow validates b with jsonscan and rewrites it in canonical form.
func parseSlow(b []byte) (Value, error) {
	if err := jsonscan.Check(b); err != nil {
		return Value{}, err
	}
	i := jsonscan.SkipSpace(b, 0)
	switch b[i] {
	case '"':
		end, _ := jsonscan.ValueEnd(b, i)
		s, err := jsonscan.Unquote(b[i:end])
		return String(s), err
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		end, _ := jsonscan.ValueEnd(b, i)
		f, _ := strconv.ParseFloat(string(b[i:end]), 64)
		return Number(f), nil
	}
	out, _ := canonWrite(make([]byte, 0, len(b)), b, i)
	v, _ := decodeAt(string(out), 0)
	return v, nil
}

// text is the input of the canonical-form checker.
type text interface{ ~string | ~[]byte }

// canonEnd checks that the value starting at b[i] is valid JSON in canonical
// form and returns the index just past it. ok is false when the value is
// invalid or merely not canonical; callers then fall back to jsonscan.Check
// and the rewriting path.
func canonEnd[T text](b T, i, depth int) (end int, ok bool) {
	if i >= len(b) {
		return i, false
	}
	switch c := b[i]; c {
	case '"':
		return canonStringEnd(b, i)
	case '{':
		return canonObjectEnd(b, i, depth+1)
	case '[':
		return canonArrayEnd(b, i, depth+1)
	case 't':
		return literalEnd(b, i, "true")
	case 'f':
		return literalEnd(b, i, "false")
	case 'n':
		return literalEnd(b, i, "null")
	default:
		if c == '-' || (c >= '0' && c <= '9') {
			return canonNumberEnd(b, i)
		}
	}
	return i, false
}

func literalEnd[T text](b T, i int, lit string) (int, bool) {
	if len(b)-i < len(lit) {
		return i, false
	}
	for j := 0; j < len(lit); j++ {
		if b[i+j] != lit[j] {
			return i, false
		}
	}
	return i + len(lit), true
}

// canonStringEnd accepts a string literal that uses only the escapes
// JSON.stringify writes and holds valid UTF-8.
func canonStringEnd[T text](b T, i int) (int, bool) {
	i++
	for i < len(b) {
		// Skip the run of plain ASCII first: one table load per byte.
		for i < len(b) && plainASCII[b[i]] {
			i++
		}
		if i >= len(b) {
			break
		}
		c := b[i]
		switch {
		case c == '"':
			return i + 1, true
		case c == '\\':
			if i+1 >= len(b) {
				return i, false
			}
			switch b[i+1] {
			case '"', '\\', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if n := loneSurrogateEscape(b, i); n > 0 {
					i += n
					continue
				}
				// Otherwise only \u00XX for control characters without a
				// short escape.
				if i+6 > len(b) || b[i+2] != '0' || b[i+3] != '0' || (b[i+4] != '0' && b[i+4] != '1') {
					return i, false
				}
				lo := b[i+5]
				var v byte
				switch {
				case lo >= '0' && lo <= '9':
					v = lo - '0'
				case lo >= 'a' && lo <= 'f':
					v = lo - 'a' + 10
				default:
					return i, false
				}
				if b[i+4] == '0' && (v == '\b' || v == '\t' || v == '\n' || v == '\f' || v == '\r') {
					return i, false
				}
				i += 6
			default:
				return i, false
			}
		case c < 0x20:
			return i, false
		case c < 0x80:
			i++
		default:
			n := utf8SeqLen(b, i)
			if n == 0 {
				return i, false
			}
			i += n
		}
	}
	return i, false
}

// loneSurrogateEscape returns 6 when b[i:] starts with the escape
// JSON.stringify writes for a lone surrogate (\ud800 to \udfff in
// lower-case hex, a high one not followed by the escape of a low one, which
// would make a pair), and 0 otherwise.
func loneSurrogateEscape[T text](b T, i int) int {
	if i+6 > len(b) || b[i+2] != 'd' || b[i+3] < '8' || (b[i+3] > '9' && (b[i+3] < 'a' || b[i+3] > 'f')) ||
		!lowerHex(b[i+4]) || !lowerHex(b[i+5]) {
		return 0
	}
	high := b[i+3] <= 'b' // d8, d9, da, db
	if high && i+12 <= len(b) && b[i+6] == '\\' && b[i+7] == 'u' && (b[i+8] == 'd' || b[i+8] == 'D') {
		if c := b[i+9] | 0x20; c >= 'c' && c <= 'f' {
			return 0 // a pair, written escaped: not canonical
		}
	}
	return 6
}

func lowerHex(c byte) bool { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') }

// appendSurrogateEscape appends the escape JSON.stringify writes for the
// lone surrogate r.
func appendSurrogateEscape(dst []byte, r rune) []byte {
	return append(dst, '\\', 'u', 'd', hexDigits[r>>8&15], hexDigits[r>>4&15], hexDigits[r&15])
}

// plainASCII marks the ASCII bytes a canonical string holds as they are.
var plainASCII = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// utf8SeqLen returns the length of the valid UTF-8 sequence at b[i] (whose
// first byte is >= 0x80), or 0 if it is not valid.
func utf8SeqLen[T text](b T, i int) int {
	c := b[i]
	n, lo, hi := 0, byte(0x80), byte(0xBF) // length, range of the second byte
	switch {
	case c >= 0xC2 && c <= 0xDF:
		n = 2
	case c == 0xE0:
		n, lo = 3, 0xA0
	case c == 0xED:
		n, hi = 3, 0x9F
	case c >= 0xE1 && c <= 0xEF:
		n = 3
	case c == 0xF0:
		n, lo = 4, 0x90
	case c >= 0xF1 && c <= 0xF3:
		n = 4
	case c == 0xF4:
		n, hi = 4, 0x8F
	default:
		return 0
	}
	if i+n > len(b) || b[i+1] < lo || b[i+1] > hi {
		return 0
	}
	for j := i + 2; j < i+n; j++ {
		if b[j] < 0x80 || b[j] > 0xBF {
			return 0
		}
	}
	return n
}

// canonNumberEnd accepts a number literal spelled as JavaScript prints it.
func canonNumberEnd[T text](b T, i int) (int, bool) {
	start := i
	if b[i] == '-' {
		i++
	}
	intStart := i
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		return i, false
	}
	intLen := i - intStart
	fracLen, lead := 0, 0
	if i < len(b) && b[i] == '.' {
		i++
		fs := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		fracLen = i - fs
		if fracLen == 0 {
			return i, false
		}
		for lead < fracLen && b[fs+lead] == '0' {
			lead++
		}
	}
	hasExp := false
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		hasExp = true
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		es := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == es {
			return i, false
		}
	}
	// Fast acceptance: at most 15 significant digits (so the digits are the
	// shortest round-trip ones), no exponent, no trailing zero in the
	// fraction, not -0, and within JS's plain-notation range.
	if !hasExp && (fracLen == 0 || b[i-1] != '0') {
		if b[intStart] == '0' && intLen == 1 {
			if fracLen == 0 {
				if start == intStart {
					return i, true
				}
			} else if lead <= 5 && fracLen-lead <= 15 {
				return i, true
			}
		} else if intLen+fracLen <= 15 {
			return i, true
		}
	}
	// Slow check: format the value as JS does and compare.
	lit := string(b[start:i])
	f, err := strconv.ParseFloat(lit, 64)
	if err != nil && !math.IsInf(f, 0) {
		return i, false
	}
	var buf [32]byte
	return i, string(appendNumber(buf[:0], f)) == lit
}

func canonArrayEnd[T text](b T, i, depth int) (int, bool) {
	if depth > jsonscan.MaxDepth {
		return i, false
	}
	i++
	if i < len(b) && b[i] == ']' {
		return i + 1, true
	}
	for {
		end, ok := canonEnd(b, i, depth)
		if !ok || end >= len(b) {
			return end, false
		}
		switch b[end] {
		case ',':
			i = end + 1
		case ']':
			return end + 1, true
		default:
			return end, false
		}
	}
}

type span struct{ s, e int }

// canonObjectEnd accepts an object whose keys are canonical strings in JS
// property order (array-index keys first, ascending) without duplicates.
func canonObjectEnd[T text](b T, i, depth int) (int, bool) {
	if depth > jsonscan.MaxDepth {
		return i, false
	}
	i++
	if i < len(b) && b[i] == '}' {
		return i + 1, true
	}
	var keysArr [16]span
	keys := keysArr[:0]
	lastIndex := int64(-1)
	for {
		if i >= len(b) || b[i] != '"' {
			return i, false
		}
		kend, ok := canonStringEnd(b, i)
		if !ok {
			return kend, false
		}
		if idx, isIndex := arrayIndex(b, i+1, kend-1); isIndex {
			if len(keys) > 0 || idx <= lastIndex {
				return i, false
			}
			lastIndex = idx
		} else {
			keys = append(keys, span{i + 1, kend - 1})
		}
		if kend >= len(b) || b[kend] != ':' {
			return kend, false
		}
		end, ok := canonEnd(b, kend+1, depth)
		if !ok || end >= len(b) {
			return end, false
		}
		switch b[end] {
		case ',':
			i = end + 1
		case '}':
			return end + 1, !hasDuplicate(b, keys)
		default:
			return end, false
		}
	}
}

// hasDuplicate reports whether two of the key spans hold the same text.
func hasDuplicate[T text](b T, keys []span) bool {
	if len(keys) <= 16 {
		for j := 1; j < len(keys); j++ {
			for k := 0; k < j; k++ {
				if keys[j].e-keys[j].s == keys[k].e-keys[k].s && compareSpans(b, keys[j], keys[k]) == 0 {
					return true
				}
			}
		}
		return false
	}
	order := positions(len(keys))
	slices.SortFunc(order, func(x, y int32) int { return compareSpans(b, keys[x], keys[y]) })
	for j := 1; j < len(order); j++ {
		if compareSpans(b, keys[order[j-1]], keys[order[j]]) == 0 {
			return true
		}
	}
	return false
}

func compareSpans[T text](b T, x, y span) int {
	n := min(x.e-x.s, y.e-y.s)
	for j := 0; j < n; j++ {
		if c, d := b[x.s+j], b[y.s+j]; c != d {
			if c < d {
				return -1
			}
			return 1
		}
	}
	return (x.e - x.s) - (y.e - y.s)
}

// arrayIndex reports whether b[s:e] is an array index in canonical form
// ("0", or digits without a leading zero, below 2^32-1) and returns it. JS
// objects list such keys first, in ascending numeric order.
func arrayIndex[T text](b T, s, e int) (int64, bool) {
	n := e - s
	if n == 0 || n > 10 || (b[s] == '0' && n > 1) {
		return 0, false
	}
	var v int64
	for j := s; j < e; j++ {
		c := b[j]
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int64(c-'0')
	}
	if v >= 1<<32-1 {
		return 0, false
	}
	return v, true
}

// canonWrite appends the canonical form of the valid JSON value at b[i]
// and returns the index just past it. It works in one pass; an object whose
// keys need reordering or deduplication is rearranged in place afterwards.
func canonWrite(dst []byte, b []byte, i int) ([]byte, int) {
	switch b[i] {
	case '"':
		return canonWriteString(dst, b, i)
	case 't':
		return append(dst, "true"...), i + 4
	case 'f':
		return append(dst, "false"...), i + 5
	case 'n':
		return append(dst, "null"...), i + 4
	case '[':
		dst = append(dst, '[')
		i = jsonscan.SkipSpace(b, i+1)
		if b[i] == ']' {
			return append(dst, ']'), i + 1
		}
		for {
			dst, i = canonWrite(dst, b, i)
			i = jsonscan.SkipSpace(b, i)
			if b[i] == ']' {
				return append(dst, ']'), i + 1
			}
			dst = append(dst, ',')
			i = jsonscan.SkipSpace(b, i+1)
		}
	case '{':
		return canonWriteObject(dst, b, i)
	}
	end, ok := canonNumberEnd(b, i)
	if ok {
		return append(dst, b[i:end]...), end
	}
	f, _ := strconv.ParseFloat(string(b[i:end]), 64)
	return appendNumber(dst, f), end
}

// member locates one member written to dst by canonWriteObject: the key
// text (without quotes) is dst[ks:ke], the whole member dst[ms:me].
type member struct{ ms, ks, ke, me int }

func canonWriteObject(dst []byte, b []byte, i int) ([]byte, int) {
	start := len(dst)
	dst = append(dst, '{')
	i = jsonscan.SkipSpace(b, i+1)
	if b[i] == '}' {
		return append(dst, '}'), i + 1
	}
	var memArr [16]member
	mems := memArr[:0]
	var keyArr [16]span
	keys := keyArr[:0]
	ordered := true
	lastIndex := int64(-1)
	for {
		ms := len(dst)
		dst, i = canonWriteString(dst, b, i)
		m := member{ms: ms, ks: ms + 1, ke: len(dst) - 1}
		if idx, isIndex := arrayIndex(dst, m.ks, m.ke); isIndex {
			if len(keys) > 0 || idx <= lastIndex {
				ordered = false
			}
			lastIndex = idx
		} else {
			keys = append(keys, span{m.ks, m.ke})
		}
		dst = append(dst, ':')
		i = jsonscan.SkipSpace(b, jsonscan.SkipSpace(b, i)+1)
		dst, i = canonWrite(dst, b, i)
		m.me = len(dst)
		mems = append(mems, m)
		i = jsonscan.SkipSpace(b, i)
		if b[i] == '}' {
			break
		}
		dst = append(dst, ',')
		i = jsonscan.SkipSpace(b, i+1)
	}
	if ordered && !hasDuplicate(dst, keys) {
		return append(dst, '}'), i + 1
	}
	// Rearrange: duplicate keys keep their first position and last value,
	// then array-index keys move to the front in ascending order.
	tmp := slices.Clone(dst[start:])
	for j := range mems {
		mems[j].ms -= start
		mems[j].ks -= start
		mems[j].ke -= start
		mems[j].me -= start
	}
	// The keys are views of tmp, which nothing writes to from here on.
	key := func(m member) string { return unsafe.String(unsafe.SliceData(tmp[m.ks:]), m.ke-m.ks) }
	kept := make([]member, 0, len(mems))
	pos := make(map[string]int, len(mems))
	for _, m := range mems {
		if p, dup := pos[key(m)]; dup {
			kept[p] = m
			continue
		}
		pos[key(m)] = len(kept)
		kept = append(kept, m)
	}
	order := positions(len(kept))
	slices.SortFunc(order, func(x, y int32) int {
		if c := compareKeyOrder(key(kept[x]), key(kept[y])); c != 0 {
			return c
		}
		return int(x - y)
	})
	dst = append(dst[:start], '{')
	for j, o := range order {
		m := kept[o]
		if j > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, tmp[m.ms:m.me]...)
	}
	return append(dst, '}'), i + 1
}

// canonWriteString rewrites the valid string literal at b[i] with
// JSON.stringify's escapes, decoding the way jsonscan.Unquote does: bytes
// that are not UTF-8 become U+FFFD, and a lone surrogate stays an escape
// (lower-case hex, as JSON.stringify writes it).
func canonWriteString(dst []byte, b []byte, i int) ([]byte, int) {
	dst = append(dst, '"')
	i++
	for {
		c := b[i]
		switch {
		case c == '"':
			return append(dst, '"'), i + 1
		case c == '\\':
			var r rune
			switch e := b[i+1]; e {
			case 'u':
				r = hex4(string(b[i+2 : i+6]))
				i += 6
				if utf16.IsSurrogate(r) {
					r2 := rune(-1)
					if i+6 <= len(b) && b[i] == '\\' && b[i+1] == 'u' {
						r2 = hex4(string(b[i+2 : i+6]))
					}
					if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
						r = d
						i += 6
					} else {
						dst = appendSurrogateEscape(dst, r)
						continue
					}
				}
			case 'b':
				r, i = '\b', i+2
			case 'f':
				r, i = '\f', i+2
			case 'n':
				r, i = '\n', i+2
			case 'r':
				r, i = '\r', i+2
			case 't':
				r, i = '\t', i+2
			default: // '"', '\\', '/'
				r, i = rune(e), i+2
			}
			if r < utf8.RuneSelf {
				dst = appendEscapedASCII(dst, byte(r))
			} else {
				dst = utf8.AppendRune(dst, r)
			}
		case c < utf8.RuneSelf:
			dst = append(dst, c) // control characters are invalid here
			i++
		default:
			if n := utf8SeqLen(b, i); n > 0 {
				dst = append(dst, b[i:i+n]...)
				i += n
			} else {
				dst = append(dst, "\uFFFD"...)
				i++
			}
		}
	}
}

// appendEscapedASCII appends the ASCII character c as JSON.stringify writes
// it inside a string.
func appendEscapedASCII(dst []byte, c byte) []byte {
	if !needsEscape[c] {
		return append(dst, c)
	}
	switch c {
	case '"', '\\':
		return append(dst, '\\', c)
	case '\b':
		return append(dst, '\\', 'b')
	case '\f':
		return append(dst, '\\', 'f')
	case '\n':
		return append(dst, '\\', 'n')
	case '\r':
		return append(dst, '\\', 'r')
	case '\t':
		return append(dst, '\\', 't')
	}
	return append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&15])
}

// compareKeyOrder orders two keys for a stable sort into JS property
// order: array indexes first by value; all other keys tie (keeping their
// insertion order).
func compareKeyOrder(x, y string) int {
	xi, xok := arrayIndex(x, 0, len(x))
	yi, yok := arrayIndex(y, 0, len(y))
	switch {
	case xok && yok:
		return cmp.Compare(xi, yi)
	case xok:
		return -1
	case yok:
		return 1
	}
	return 0
}
