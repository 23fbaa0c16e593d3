package ivm

import (
	"cmp"
	"math"
	"strings"
	"sync"
	"unsafe"

	"github.com/streamdb/streamdb/core/value"
)

// keyID identifies a key value as a Go map key: equal keys (value.Equal)
// give equal IDs and keys of different kinds different IDs. String keys,
// the common case, are held without copying, numbers and booleans as
// numbers (-0 as 0; NaN as the text "NaN", since NaN ≠ NaN), arrays and
// objects by their stable text (so that objects with the same fields in
// another order are one key). Making one allocates only for arrays and
// objects.
type keyID struct {
	kind value.Kind
	s    string
	f    float64
}

// idMap maps keyIDs to values. The usual key is a string: those are found
// by the string alone, which hashes and compares faster than a keyID (in
// wasm a keyID hashes through the runtime's generic hash).
type idMap[T any] struct {
	strs  map[string]T
	other map[keyID]T
}

func newIDMap[T any](size int) idMap[T] {
	return idMap[T]{strs: make(map[string]T, size), other: map[keyID]T{}}
}

func (m *idMap[T]) get(id keyID) T {
	v, _ := m.lookup(id)
	return v
}

// lookup is get that also says whether id is present.
func (m *idMap[T]) lookup(id keyID) (T, bool) {
	if id.kind == value.KindString {
		v, ok := m.strs[id.s]
		return v, ok
	}
	v, ok := m.other[id]
	return v, ok
}

func (m *idMap[T]) set(id keyID, v T) {
	if id.kind == value.KindString {
		m.strs[id.s] = v
		return
	}
	m.other[id] = v
}

func (m *idMap[T]) remove(id keyID) {
	if id.kind == value.KindString {
		delete(m.strs, id.s)
		return
	}
	delete(m.other, id)
}

func (m *idMap[T]) len() int { return len(m.strs) + len(m.other) }

// keyIndex numbers the distinct keys of one batch. Its maps are reused
// from batch to batch (keyIndexes), so that folding a batch allocates none
// once they have grown; a map grown past keyIndexReuse entries is dropped
// instead, since clearing it costs its capacity.
type keyIndex struct{ m idMap[int32] }

// keyIndexReuse is the most entries a reused keyIndex map held.
const keyIndexReuse = 4096

// keyIndexes holds keyIndexes between batches (the engine is not
// concurrent, but a pool is safe if it were).
var keyIndexes = sync.Pool{New: func() any { return &keyIndex{m: newIDMap[int32](0)} }}

// getKeyIndex returns an empty keyIndex; release it with put.
func getKeyIndex() *keyIndex { return keyIndexes.Get().(*keyIndex) }

// put empties x and gives it back for reuse.
func (x *keyIndex) put() {
	if len(x.m.strs) > keyIndexReuse || len(x.m.other) > keyIndexReuse {
		return
	}
	clear(x.m.strs)
	clear(x.m.other)
	keyIndexes.Put(x)
}

// index returns the number of key k: the number it was given, or next,
// which it gets, when it is new (seen false).
func (x *keyIndex) index(k value.Value, next int) (n int, seen bool) {
	id := idOf(k)
	if i, ok := x.m.lookup(id); ok {
		return int(i), true
	}
	x.m.set(id, int32(next))
	return next, false
}

// idOf returns the keyID of k.
func idOf(k value.Value) keyID {
	switch k.Kind() {
	case value.KindString:
		s, _ := k.Str()
		return keyID{kind: value.KindString, s: s}
	case value.KindNumber:
		f, _ := k.Num()
		if math.IsNaN(f) {
			return keyID{kind: value.KindNumber, s: "NaN"}
		}
		return keyID{kind: value.KindNumber, f: f + 0}
	case value.KindBool:
		if b, _ := k.BoolVal(); b {
			return keyID{kind: value.KindBool, f: 1}
		}
		return keyID{kind: value.KindBool}
	case value.KindArray, value.KindObject:
		return keyID{kind: k.Kind(), s: stableText(k)}
	}
	return keyID{kind: k.Kind()}
}

// CompareKeys orders result keys as TanStack DB's compareKeys does, made
// total over every kind: strings first (in UTF-16 code unit order, as JS <),
// then numbers (by value, -0 equal to 0, NaN after every other number),
// then the other kinds in value.Compare's rank (undefined, null, false,
// true, arrays, objects); arrays and objects by their JSON text with
// object fields sorted (so that keys equal under value.Equal compare
// equal). TanStack only defines the string and number cases (strings
// before numbers); between other kinds its order is not consistent, so
// this extension is ours.
func CompareKeys(a, b value.Value) int {
	ka, kb := a.Kind(), b.Kind()
	if ka != kb {
		return cmp.Compare(keyRank(ka), keyRank(kb))
	}
	if ka == value.KindArray || ka == value.KindObject {
		return strings.Compare(stableText(a), stableText(b))
	}
	return value.Compare(a, b, nil)
}

// keyRank places strings, then numbers, then the other kinds.
func keyRank(k value.Kind) int {
	switch k {
	case value.KindString:
		return 0
	case value.KindNumber:
		return 1
	}
	return 2 + int(k)
}

// joinResultKey returns the key of a joined row as TanStack DB 0.15.2 forms
// it: JSON.stringify([leftKey ?? null, rightKey ?? null]) with non-finite
// numbers written as {"number":"NaN"}, {"number":"Infinity"} or
// {"number":"-Infinity"}. A nil side (the missing side of an outer join)
// is null. Example: source keys "u1" and 10 give "[\"u1\",10]"; a left
// key that is itself a join key "[1,10]" gives "[\"[1,10]\",\"c1\"]".
func joinResultKey(left, right *Row) value.Value {
	buf := appendJoinResultKey(make([]byte, 0, joinKeyLen(left, right)), left, right)
	// buf is never written again: the string takes it over, one
	// allocation per key instead of two.
	return value.String(unsafe.String(unsafe.SliceData(buf), len(buf)))
}

// appendJoinResultKey appends the text of joinResultKey(left, right).
func appendJoinResultKey(buf []byte, left, right *Row) []byte {
	buf = append(buf, '[')
	buf = appendJoinKeyPart(buf, left)
	buf = append(buf, ',')
	buf = appendJoinKeyPart(buf, right)
	return append(buf, ']')
}

// joinKeyLen estimates the length of joinResultKey(left, right).
func joinKeyLen(left, right *Row) int { return 8 + keyLen(left) + keyLen(right) }

// keyArena holds the keys of a join's first load in shared blocks: one
// allocation for a block of keys instead of one per key, and a block is
// one object for the garbage collector. A block stays in memory while one
// of its keys does; a first load's pairs mostly stay together.
type keyArena struct{ buf []byte }

// keyBlock is the size of a keyArena's blocks.
const keyBlock = 8 << 10

// joinKey is joinResultKey with the key's text in the arena; a nil arena
// gives each key its own allocation (joinResultKey).
func (a *keyArena) joinKey(left, right *Row) value.Value {
	if a == nil {
		return joinResultKey(left, right)
	}
	a.reserve(joinKeyLen(left, right))
	start := len(a.buf)
	// The arena only ever appends: the bytes of a key handed out are
	// never written again (when an append moved the block, the key is in
	// the new one).
	a.buf = appendJoinResultKey(a.buf, left, right)
	return value.String(unsafe.String(&a.buf[start], len(a.buf)-start))
}

// reserve makes room for n more bytes in the current block, starting a new
// block (keyBlock bytes, or n when larger) when it has less.
func (a *keyArena) reserve(n int) {
	if cap(a.buf)-len(a.buf) < n {
		a.buf = make([]byte, 0, max(keyBlock, n))
	}
}

// own returns a copy of s in the arena (s itself when it is empty, or too
// long to share a block).
func (a *keyArena) own(s string) string {
	if len(s) == 0 || len(s) > keyBlock/8 {
		return s
	}
	a.reserve(len(s))
	start := len(a.buf)
	a.buf = append(a.buf, s...) // only ever appends: bytes handed out stay as they are
	return unsafe.String(&a.buf[start], len(s))
}

// keyLen estimates the JSON length of a row's key, for buffer sizing.
func keyLen(r *Row) int {
	if r == nil {
		return 4
	}
	if s, ok := r.Key.Str(); ok {
		return len(s) + 2
	}
	return 16
}

func appendJoinKeyPart(buf []byte, r *Row) []byte {
	if r == nil || r.Key.IsNullish() {
		return append(buf, "null"...)
	}
	if s, ok := r.Key.Str(); ok && (r.Key.Quoted() || !value.StringNeedsEscape(s)) {
		// The usual key (an id): its JSON is itself in quotes.
		buf = append(buf, '"')
		buf = append(buf, s...)
		return append(buf, '"')
	}
	if f, ok := r.Key.Num(); ok {
		switch {
		case math.IsNaN(f):
			return append(buf, `{"number":"NaN"}`...)
		case math.IsInf(f, 1):
			return append(buf, `{"number":"Infinity"}`...)
		case math.IsInf(f, -1):
			return append(buf, `{"number":"-Infinity"}`...)
		}
	}
	return value.AppendJSON(buf, r.Key)
}

// joinKeyID returns the identity under which a join key matches keys of
// the other side, and false when the key never matches: a null or
// undefined key, or an Array (a composite key) with a null or undefined
// component (TanStack DB 0.15.2: null never matches null). Keys compare as
// TanStack's equality identity does: type-sensitive (1 and "1" differ),
// -0 equal to 0, NaN equal to NaN. Arrays and objects compare by content
// (TanStack compares objects by reference, which a JSON engine cannot
// reproduce); a NaN inside an Array has already become null there, so a
// composite key with a NaN component never matches.
func joinKeyID(k value.Value) (keyID, bool) {
	switch k.Kind() {
	case value.KindUndefined, value.KindNull:
		return keyID{}, false
	case value.KindArray:
		ok := true
		k.Elems(func(_ int, e value.Value) bool {
			if e.IsNullish() {
				ok = false
			}
			return ok
		})
		if !ok {
			return keyID{}, false
		}
	}
	return idOf(k), true
}

// stableText returns the JSON text of v with the fields of every object
// sorted (in UTF-16 code unit order, as JS's default sort orders them), so
// that values equal under value.Equal have the same text. It is the
// JSON-safe branch of db-ivm's serializeValue.
func stableText(v value.Value) string {
	switch v.Kind() {
	case value.KindArray, value.KindObject:
		s := v.JSON()
		if !strings.Contains(s, "{") {
			return s
		}
		return string(appendStable(nil, v))
	}
	return v.JSON()
}

// appendStable appends v's JSON text with object fields sorted.
func appendStable(dst []byte, v value.Value) []byte {
	switch v.Kind() {
	case value.KindArray:
		s := v.JSON()
		if !strings.Contains(s, "{") {
			return append(dst, s...)
		}
		dst = append(dst, '[')
		v.Elems(func(i int, e value.Value) bool {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendStable(dst, e)
			return true
		})
		return append(dst, ']')
	case value.KindObject:
		dst = append(dst, '{')
		for i, f := range sortedFields(v) {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = value.AppendJSON(dst, value.String(f.k))
			dst = append(dst, ':')
			dst = appendStable(dst, f.v)
		}
		return append(dst, '}')
	}
	return value.AppendJSON(dst, v)
}

type field struct {
	k string
	v value.Value
}

// sortedFields returns the fields of the object v sorted by name.
func sortedFields(v value.Value) []field {
	fs := make([]field, 0, v.Len())
	v.Fields(func(k string, e value.Value) bool {
		fs = append(fs, field{k, e})
		return true
	})
	// An insertion sort, as slices.SortFunc does below 13 elements, then
	// the shared sort of positions: slices.SortFunc over []field would add
	// its own copy of the sort's code to the wasm (value.stableOrder).
	if len(fs) > 12 {
		sortByPosition(fs, func(a, b field) int { return value.Lexical(a.k, b.k) })
		return fs
	}
	for i := 1; i < len(fs); i++ {
		for j := i; j > 0 && value.Lexical(fs[j].k, fs[j-1].k) < 0; j-- {
			fs[j], fs[j-1] = fs[j-1], fs[j]
		}
	}
	return fs
}

// serializeTuple returns db-ivm 0.2.0's serializeValue of the JS array of
// vals: its JSON text with object fields sorted when every element is
// JSON-safe (not undefined, no NaN or ±Infinity), otherwise "~" followed
// by the JSON of a type-tagged canonical form, such as
// ~["array",[["string","a"],["undefined"]]]. It is the key TanStack DB
// gives a group of several groupBy expressions ("[\"a\",1]").
func serializeTuple(vals []value.Value) string {
	safe := true
	for _, v := range vals {
		if !jsonSafe(v) {
			safe = false
			break
		}
	}
	var buf []byte
	if safe {
		buf = append(buf, '[')
		for i, v := range vals {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = appendStable(buf, v)
		}
		return string(append(buf, ']'))
	}
	buf = append(buf, `~["array",[`...)
	for i, v := range vals {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendCanonical(buf, v)
	}
	return string(append(buf, "]]"...))
}

// serializeValue returns db-ivm's serializeValue of one value (see
// serializeTuple).
func serializeValue(v value.Value) string {
	if jsonSafe(v) {
		return stableText(v)
	}
	return string(appendCanonical([]byte{'~'}, v))
}

// jsonSafe reports whether v serializes as plain JSON: not undefined and
// not a non-finite number. Values nested in arrays and objects are JSON
// values already.
func jsonSafe(v value.Value) bool {
	switch v.Kind() {
	case value.KindUndefined:
		return false
	case value.KindNumber:
		f, _ := v.Num()
		return !math.IsNaN(f) && !math.IsInf(f, 0)
	}
	return true
}

// appendCanonical appends db-ivm's type-tagged canonical form of v:
// ["undefined"], ["null"], ["boolean",b], ["number",n|"NaN"|"Infinity"|
// "-Infinity"] (-0 as 0), ["string",s], ["array",[...]],
// ["object",[[name,canonical],...]] with fields sorted by name.
func appendCanonical(dst []byte, v value.Value) []byte {
	switch v.Kind() {
	case value.KindUndefined:
		return append(dst, `["undefined"]`...)
	case value.KindNull:
		return append(dst, `["null"]`...)
	case value.KindBool:
		dst = append(dst, `["boolean",`...)
		dst = value.AppendJSON(dst, v)
		return append(dst, ']')
	case value.KindNumber:
		f, _ := v.Num()
		dst = append(dst, `["number",`...)
		switch {
		case math.IsNaN(f):
			dst = append(dst, `"NaN"`...)
		case math.IsInf(f, 1):
			dst = append(dst, `"Infinity"`...)
		case math.IsInf(f, -1):
			dst = append(dst, `"-Infinity"`...)
		default:
			dst = value.AppendJSON(dst, value.Number(f+0))
		}
		return append(dst, ']')
	case value.KindString:
		dst = append(dst, `["string",`...)
		dst = value.AppendJSON(dst, v)
		return append(dst, ']')
	case value.KindArray:
		dst = append(dst, `["array",[`...)
		v.Elems(func(i int, e value.Value) bool {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendCanonical(dst, e)
			return true
		})
		return append(dst, "]]"...)
	}
	dst = append(dst, `["object",[`...)
	for i, f := range sortedFields(v) {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, '[')
		dst = value.AppendJSON(dst, value.String(f.k))
		dst = append(dst, ',')
		dst = appendCanonical(dst, f.v)
		dst = append(dst, ']')
	}
	return append(dst, "]]"...)
}
