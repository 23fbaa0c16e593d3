package value

import (
	"unsafe"

	"github.com/streamdb/streamdb/core/jsonscan"
)

// ParseRow turns the JSON text of an object into a row: the object with
// field pk set to key and field extra set to extraVal (added last). It is
// With(With(Parse(raw), pk, key), extra, extraVal), done in one pass over
// raw and one allocation when raw is canonical JSON text that already holds
// pk and lacks extra, as the rows of a stream mostly do. raw must hold an
// object (anything else is taken as {}, as With does).
func ParseRow(raw []byte, pk string, key Value, extra string, extraVal Value) (Value, error) {
	i := jsonscan.SkipSpace(raw, 0)
	if i >= len(raw) || raw[i] != '{' || !plainName(pk) || !plainName(extra) || key.kind == KindUndefined || extraVal.kind == KindUndefined {
		return parseRowSlow(raw, pk, key, extra, extraVal)
	}
	if _, idx := arrayIndex(extra, 0, len(extra)); idx {
		return parseRowSlow(raw, pk, key, extra, extraVal)
	}
	var keysArr [16]span
	keys := keysArr[:0]
	lastIndex := int64(-1)
	pkStart, pkEnd := -1, -1
	j := i + 1
	if j < len(raw) && raw[j] == '}' {
		return parseRowSlow(raw, pk, key, extra, extraVal)
	}
	end := -1
	for end < 0 {
		if j >= len(raw) || raw[j] != '"' {
			return parseRowSlow(raw, pk, key, extra, extraVal)
		}
		kend, ok := canonStringEnd(raw, j)
		if !ok || kend >= len(raw) || raw[kend] != ':' {
			return parseRowSlow(raw, pk, key, extra, extraVal)
		}
		name := raw[j+1 : kend-1]
		if idx, isIndex := arrayIndex(raw, j+1, kend-1); isIndex {
			if len(keys) > 0 || idx <= lastIndex {
				return parseRowSlow(raw, pk, key, extra, extraVal)
			}
			lastIndex = idx
		} else {
			keys = append(keys, span{j + 1, kend - 1})
		}
		if string(name) == extra {
			return parseRowSlow(raw, pk, key, extra, extraVal)
		}
		vend, ok := canonEnd(raw, kend+1, 1)
		if !ok || vend >= len(raw) {
			return parseRowSlow(raw, pk, key, extra, extraVal)
		}
		if string(name) == pk {
			pkStart, pkEnd = kend+1, vend
		}
		switch raw[vend] {
		case ',':
			j = vend + 1
		case '}':
			end = vend + 1
		default:
			return parseRowSlow(raw, pk, key, extra, extraVal)
		}
	}
	if pkStart < 0 || hasDuplicate(raw, keys) || jsonscan.SkipSpace(raw, end) != len(raw) {
		return parseRowSlow(raw, pk, key, extra, extraVal)
	}
	var kbuf, xbuf [40]byte
	encKey := AppendJSON(kbuf[:0], key)
	encExtra := AppendJSON(xbuf[:0], extraVal)
	obj := raw[i:end]
	pkStart -= i
	pkEnd -= i
	same := string(obj[pkStart:pkEnd]) == string(encKey)
	size := len(obj) + len(extra) + len(encExtra) + 4
	if !same {
		size += len(encKey) - (pkEnd - pkStart)
	}
	buf := make([]byte, 0, size)
	if same {
		buf = append(buf, obj[:len(obj)-1]...)
	} else {
		buf = append(buf, obj[:pkStart]...)
		buf = append(buf, encKey...)
		buf = append(buf, obj[pkEnd:len(obj)-1]...)
	}
	buf = append(buf, ',', '"')
	buf = append(buf, extra...)
	buf = append(buf, '"', ':')
	buf = append(buf, encExtra...)
	buf = append(buf, '}')
	return Value{kind: KindObject, str: unsafe.String(unsafe.SliceData(buf), len(buf))}, nil
}

func parseRowSlow(raw []byte, pk string, key Value, extra string, extraVal Value) (Value, error) {
	v, err := Parse(raw)
	if err != nil {
		return Value{}, err
	}
	return With(With(v, pk, key), extra, extraVal), nil
}

// plainName reports whether a field name is written in JSON exactly as it
// is (no character that needs escaping), so raw key bytes compare with it.
func plainName(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x7f {
			return false
		}
	}
	return s != ""
}
