package value

import (
	"bytes"
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
	end, sc := ScanRow(raw, i, pk, extra)
	if !sc.ok || jsonscan.SkipSpace(raw, end) != len(raw) {
		return parseRowSlow(raw, pk, key, extra, extraVal)
	}
	return BuildRow(raw[i:end], sc, pk, key, extra, extraVal)
}

// RowScan is what ScanRow learnt about the text of an object: whether it
// can become a row by copying (canonical JSON holding field pk once,
// without field extra) and where pk's value sits in it.
type RowScan struct {
	pkStart, pkEnd int // relative to the object's first byte
	dir            memberDir
	ok             bool
}

// OK reports whether the object can become a row by copying.
func (s RowScan) OK() bool { return s.ok }

// KeyIn returns the text of key inside row, a row BuildRow made from the
// scanned object, when the primary key's value there is key as a plain
// string: a caller keeps it instead of a copy of key, sharing the row's
// memory.
func (s RowScan) KeyIn(row Value, key string) (string, bool) {
	t := row.text()
	i, j := s.pkStart+1, s.pkStart+1+len(key)
	if !s.ok || row.kind != KindObject || s.pkStart < 0 || j >= len(t) || t[s.pkStart] != '"' || t[j] != '"' || t[i:j] != key {
		return "", false
	}
	return t[i:j], true
}

// ScanRow checks the object whose text starts at b[i] for BuildRow, with
// primary-key field pk and extra field extra. When the scan says OK, end is
// just past the object; otherwise the object has a shape BuildRow copes
// with the slow way (not canonical, say, or not valid JSON at all) and end
// says nothing. It lets a caller that walks a larger text (an event) read
// the row's text once.
func ScanRow(b []byte, i int, pk, extra string) (end int, sc RowScan) {
	if i >= len(b) || b[i] != '{' || !plainName(pk) || !plainName(extra) {
		return 0, RowScan{}
	}
	if _, idx := arrayIndex(extra, 0, len(extra)); idx {
		return 0, RowScan{}
	}
	var keysArr [16]span
	keys := keysArr[:0]
	var dir memberDir
	members := 0
	lastIndex := int64(-1)
	pkStart, pkEnd := -1, -1
	j := i + 1
	if j < len(b) && b[j] == '}' {
		return 0, RowScan{}
	}
	end = -1
	for end < 0 {
		if j >= len(b) || b[j] != '"' {
			return 0, RowScan{}
		}
		kend, ok := canonStringEnd(b, j)
		if !ok || kend >= len(b) || b[kend] != ':' {
			return 0, RowScan{}
		}
		dir = dir.with(members, j-i)
		members++
		name := b[j+1 : kend-1]
		if idx, isIndex := arrayIndex(b, j+1, kend-1); isIndex {
			if len(keys) > 0 || idx <= lastIndex {
				return 0, RowScan{}
			}
			lastIndex = idx
		} else {
			keys = append(keys, span{j + 1, kend - 1})
		}
		if string(name) == extra {
			return 0, RowScan{}
		}
		vend, ok := canonEnd(b, kend+1, 1)
		if !ok || vend >= len(b) {
			return 0, RowScan{}
		}
		if string(name) == pk {
			pkStart, pkEnd = kend+1, vend
		}
		switch b[vend] {
		case ',':
			j = vend + 1
		case '}':
			end = vend + 1
		default:
			return 0, RowScan{}
		}
	}
	if pkStart < 0 || hasDuplicate(b, keys) {
		return 0, RowScan{}
	}
	return end, RowScan{pkStart: pkStart - i, pkEnd: pkEnd - i, dir: dir, ok: true}
}

// BuildRow is ParseRow for an object whose text ScanRow has read: obj is
// exactly that text (from its '{' to its '}'), and sc what ScanRow said of
// it with the same pk and extra. Without an OK scan it parses obj.
func BuildRow(obj []byte, sc RowScan, pk string, key Value, extra string, extraVal Value) (Value, error) {
	if !sc.ok || key.kind == KindUndefined || extraVal.kind == KindUndefined {
		return parseRowSlow(obj, pk, key, extra, extraVal)
	}
	var kbuf, xbuf [40]byte
	encExtra := AppendJSON(xbuf[:0], extraVal)
	pkStart, pkEnd := sc.pkStart, sc.pkEnd
	// The stream's row mostly holds the key already, as a string without
	// escapes: compare it in place before encoding the key.
	pkText := obj[pkStart:pkEnd]
	same := key.kind == KindString && len(pkText) == len(key.text())+2 && pkText[0] == '"' &&
		string(pkText[1:len(pkText)-1]) == key.text() && bytes.IndexByte(pkText, '\\') < 0
	var encKey []byte
	if !same {
		encKey = AppendJSON(kbuf[:0], key)
		same = string(pkText) == string(encKey)
	}
	size := len(obj) + len(extra) + len(encExtra) + 4
	if !same {
		size += len(encKey) - (pkEnd - pkStart)
	}
	buf := make([]byte, 0, size)
	dir := sc.dir
	if !same {
		dir = dir.shifted(sc.pkStart, len(encKey)-(pkEnd-pkStart))
	}
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
	v := textValue(KindObject, unsafe.String(unsafe.SliceData(buf), len(buf)))
	v.num = dir.bits()
	return v, nil
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
