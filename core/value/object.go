package value

import (
	"slices"
	"strings"
)

// ObjectBuilder builds an Object field by field, in JavaScript property
// order: array-index keys ("0", "1", "42": canonical integers below
// 2^32-1) first in ascending numeric order, then the other keys in the order
// they were first added. Adding a key again replaces its value in place.
// Undefined values are left out, as JSON.stringify leaves them out. The zero
// ObjectBuilder is ready to use; it can be reused after Build.
type ObjectBuilder struct {
	keys []string
	vals []Value
	buf  []byte
	ord  []int
}

// Add sets field key to v. It costs O(fields) to find an earlier value of
// the same key.
func (b *ObjectBuilder) Add(key string, v Value) {
	for i, k := range b.keys {
		if k == key {
			b.vals[i] = v
			return
		}
	}
	b.keys = append(b.keys, key)
	b.vals = append(b.vals, v)
}

// Reset empties the builder, keeping its memory.
func (b *ObjectBuilder) Reset() {
	clear(b.vals)
	b.keys = b.keys[:0]
	b.vals = b.vals[:0]
}

// Build returns the Object made of the fields added so far and resets the
// builder. Nested Numbers that are NaN or ±Inf are written as null, as
// JSON.stringify writes them. A reused builder allocates only the result's
// text.
func (b *ObjectBuilder) Build() Value {
	b.ord = b.ord[:0]
	sorted := true
	lastIndex := int64(-1)
	seenName := false
	for i, k := range b.keys {
		b.ord = append(b.ord, i)
		if idx, ok := arrayIndex(k, 0, len(k)); ok {
			if seenName || idx < lastIndex {
				sorted = false
			}
			lastIndex = idx
		} else {
			seenName = true
		}
	}
	if !sorted {
		order := positions(len(b.keys))
		slices.SortFunc(order, func(x, y int32) int {
			if c := compareKeyOrder(b.keys[x], b.keys[y]); c != 0 {
				return c
			}
			return int(x - y)
		})
		for k, i := range order {
			b.ord[k] = int(i)
		}
	}
	buf := append(b.buf[:0], '{')
	var dir memberDir
	members := 0
	for _, i := range b.ord {
		if b.vals[i].kind == KindUndefined {
			continue
		}
		if len(buf) > 1 {
			buf = append(buf, ',')
		}
		dir = dir.with(members, len(buf))
		members++
		buf = appendString(buf, b.keys[i])
		buf = append(buf, ':')
		buf = AppendJSON(buf, b.vals[i])
	}
	buf = append(buf, '}')
	b.buf = buf
	b.Reset()
	v := textValue(KindObject, string(buf))
	v.num = dir.bits()
	return v
}

// fieldSpan locates one member of canonical object text: the key literal
// (quotes included) is s[ks:ke], the value s[ke+1:ve].
type fieldSpan struct{ ks, ke, ve int }

func (f fieldSpan) key(s string) string { return s[f.ks:f.ke] }
func (f fieldSpan) val(s string) string { return s[f.ke+1 : f.ve] }

// appendFieldSpans appends the members of the canonical object text s.
func appendFieldSpans(dst []fieldSpan, s string) []fieldSpan {
	if len(s) < 3 {
		return dst
	}
	for i := 1; i < len(s); {
		ke := skipString(s, i)
		ve := skipValue(s, ke+1)
		dst = append(dst, fieldSpan{i, ke, ve})
		i = ve + 1
	}
	return dst
}

// Merge returns JavaScript's {...base, ...patch} for objects: base's keys
// keep their positions with patched values, keys new in patch follow in
// patch order, and array-index keys come first in ascending order. This is
// the shallow merge of a StreamDB update. A base or patch that is not an
// Object counts as {}. When patch changes nothing, base is returned as is
// (no allocation). It costs O(len(base fields) × len(patch fields)).
func Merge(base, patch Value) Value {
	if base.kind != KindObject {
		base = emptyObject
	}
	if patch.kind != KindObject || len(patch.text()) < 3 {
		return base
	}
	if len(base.text()) < 3 {
		return patch
	}
	bs, ps := base.text(), patch.text()
	var bArr, pArr [16]fieldSpan
	bf := appendFieldSpans(bArr[:0], bs)
	pf := appendFieldSpans(pArr[:0], ps)
	var matchArr [16]int
	match := matchArr[:0] // for each patch field, the base field it replaces or -1
	changed := false
	for _, p := range pf {
		m := -1
		pk := p.key(ps)
		for j, f := range bf {
			if f.key(bs) == pk {
				m = j
				break
			}
		}
		match = append(match, m)
		if m < 0 || bf[m].val(bs) != p.val(ps) {
			changed = true
		}
	}
	if !changed {
		return base
	}
	type entry struct{ key, val string }
	var entArr [32]entry
	ents := entArr[:0]
	size := 2
	for _, f := range bf {
		ents = append(ents, entry{f.key(bs), f.val(bs)})
	}
	newIndex := false
	for k, p := range pf {
		e := entry{p.key(ps), p.val(ps)}
		if match[k] >= 0 {
			ents[match[k]].val = e.val
			continue
		}
		if _, ok := arrayIndex(e.key, 1, len(e.key)-1); ok {
			newIndex = true
		}
		ents = append(ents, e)
	}
	var order []int32 // the order to write ents in, when not their own
	if newIndex {
		order = positions(len(ents))
		slices.SortFunc(order, func(i, j int32) int {
			x, y := ents[i].key, ents[j].key
			if c := compareKeyOrder(x[1:len(x)-1], y[1:len(y)-1]); c != 0 {
				return c
			}
			return int(i - j)
		})
	}
	for _, e := range ents {
		size += len(e.key) + len(e.val) + 2
	}
	var sb strings.Builder
	sb.Grow(size - 1)
	sb.WriteByte('{')
	for j := range ents {
		e := ents[j]
		if order != nil {
			e = ents[order[j]]
		}
		if j > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(e.key)
		sb.WriteByte(':')
		sb.WriteString(e.val)
	}
	sb.WriteByte('}')
	return textValue(KindObject, sb.String())
}

// With returns obj with field key set to v, as JavaScript's
// {...obj, [key]: v} followed by JSON.stringify: an existing key keeps its
// position, a new array-index key goes to its numeric place among the
// leading array-index keys, any other new key goes last. Setting Undefined
// removes the field. When the field already holds exactly v, obj is
// returned unchanged without allocating. A non-Object obj counts as {}.
func With(obj Value, key string, v Value) Value {
	if obj.kind != KindObject {
		obj = emptyObject
	}
	s := obj.text()
	ks, vs, found := findField(s, dirOf(obj), key)
	var buf [64]byte
	enc := buf[:0]
	if v.kind != KindUndefined {
		enc = AppendJSON(enc, v)
	}
	var sb strings.Builder
	if found {
		ve := skipValue(s, vs)
		if v.kind == KindUndefined {
			// Drop the member and one comma next to it.
			start, end := ks, ve
			if s[end] == ',' {
				end++
			} else if s[start-1] == ',' {
				start--
			}
			sb.Grow(len(s) - (end - start))
			sb.WriteString(s[:start])
			sb.WriteString(s[end:])
			return textValue(KindObject, sb.String())
		}
		if s[vs:ve] == string(enc) {
			return obj
		}
		sb.Grow(len(s) - (ve - vs) + len(enc))
		sb.WriteString(s[:vs])
		sb.Write(enc)
		sb.WriteString(s[ve:])
		return textValue(KindObject, sb.String())
	}
	if v.kind == KindUndefined {
		return obj
	}
	// Insert a new member at position at (just before a key or the '}').
	at := len(s) - 1
	if idx, ok := arrayIndex(key, 0, len(key)); ok && len(s) > 2 {
		for i := 1; i < len(s); {
			ke := skipString(s, i)
			if k, isIdx := arrayIndex(s, i+1, ke-1); !isIdx || k > idx {
				at = i
				break
			}
			i = skipValue(s, ke+1) + 1
		}
	}
	var kbuf [64]byte
	kenc := appendString(kbuf[:0], key)
	sb.Grow(len(s) + len(kenc) + len(enc) + 2)
	sb.WriteString(s[:at])
	if at == len(s)-1 && len(s) > 2 {
		sb.WriteByte(',')
	}
	sb.Write(kenc)
	sb.WriteByte(':')
	sb.Write(enc)
	if at < len(s)-1 {
		sb.WriteByte(',')
	}
	sb.WriteString(s[at:])
	return textValue(KindObject, sb.String())
}
