package jsonscan

import "bytes"

// FieldIter walks the members of one JSON object in a single pass, checking
// the syntax as it goes. It allocates nothing.
//
//	it := jsonscan.NewFieldIter(b)
//	for it.Next() {
//		key, value := it.Key(), it.Value()
//	}
//	if err := it.Err(); err != nil { ... }
type FieldIter struct {
	b []byte
	i int
	// The current member's key (quotes included) and value, as offsets
	// into b: Next writes no pointers, so it costs no write barriers.
	ks, ke, vs, ve int
	err            error
	state          uint8 // 0 before the first member, 1 inside, 2 done
	lazy           []string
}

// Lazy names keys whose values the iterator only delimits, without checking
// their syntax, because the caller checks them itself (parsing them anyway).
// It saves a pass over the largest members.
func (it *FieldIter) Lazy(keys ...string) { it.lazy = keys }

// NewFieldIter returns an iterator over the object in b (white space around
// it allowed). A b that does not hold an object makes Next return false and
// Err report why.
func NewFieldIter(b []byte) FieldIter {
	return FieldIter{b: b}
}

// Next moves to the next member and reports whether there is one.
func (it *FieldIter) Next() bool {
	b := it.b
	switch it.state {
	case 2:
		return false
	case 0:
		i := SkipSpace(b, 0)
		if i >= len(b) || b[i] != '{' {
			return it.fail(errAt(i, "expected an object"))
		}
		i = SkipSpace(b, i+1)
		if i < len(b) && b[i] == '}' {
			it.i = i + 1
			return it.end()
		}
		it.i = i
		it.state = 1
	default:
		i := SkipSpace(b, it.i)
		if i >= len(b) {
			return it.fail(errAt(i, "unterminated object"))
		}
		switch b[i] {
		case '}':
			it.i = i + 1
			return it.end()
		case ',':
			it.i = SkipSpace(b, i+1)
		default:
			return it.fail(errAt(i, "unexpected %q in object, expected ',' or '}'", b[i]))
		}
	}
	i := it.i
	if i >= len(b) || b[i] != '"' {
		return it.fail(errAt(i, "expected a string key in object"))
	}
	kend, err := stringEnd(b, i)
	if err != nil {
		return it.fail(err)
	}
	it.ks, it.ke = i, kend
	i = SkipSpace(b, kend)
	if i >= len(b) || b[i] != ':' {
		return it.fail(errAt(i, "expected ':' after object key"))
	}
	vstart := SkipSpace(b, i+1)
	var vend int
	if it.isLazy() {
		vend, err = skipStructural(b, vstart)
	} else {
		vend, err = valueEnd(b, vstart, 1)
	}
	if err != nil {
		return it.fail(err)
	}
	it.vs, it.ve = vstart, vend
	it.i = vend
	return true
}

func (it *FieldIter) fail(err error) bool {
	it.err, it.state = err, 2
	return false
}

func (it *FieldIter) end() bool {
	it.state = 2
	if j := SkipSpace(it.b, it.i); j != len(it.b) {
		it.err = errAt(j, "unexpected %q after the object", it.b[j])
	}
	return false
}

// Key returns the current member's key as raw JSON, quotes included.
func (it *FieldIter) Key() []byte { return it.b[it.ks:it.ke] }

// KeyIs reports whether the current key equals name (a plain key without
// escapes, compared without allocating; escaped keys are decoded first).
func (it *FieldIter) KeyIs(name string) bool {
	k := it.Key()
	if len(k) == len(name)+2 && string(k[1:len(k)-1]) == name {
		return true
	}
	if bytes.IndexByte(k, '\\') < 0 {
		return false
	}
	s, err := Unquote(k)
	return err == nil && s == name
}

// Value returns the current member's value as raw JSON (a sub-slice of the
// input, already checked).
func (it *FieldIter) Value() []byte { return it.b[it.vs:it.ve] }

// ValueSpan returns where the current member's value starts and ends in
// the input.
func (it *FieldIter) ValueSpan() (start, end int) { return it.vs, it.ve }

// Err returns the syntax error that stopped the iteration, or nil.
func (it *FieldIter) Err() error { return it.err }

func (it *FieldIter) isLazy() bool {
	name := it.b[it.ks+1 : it.ke-1] // plain keys only: escaped ones get checked
	for _, k := range it.lazy {
		if string(name) == k {
			return true
		}
	}
	return false
}

// Delimit returns the end of the value at b[i] following strings and
// brackets only, without checking the rest of its syntax (as FieldIter
// does for its lazy members): for callers that parse the value anyway.
func Delimit(b []byte, i int) (int, error) { return skipStructural(b, i) }

// skipStructural returns the end of the value at b[i] following strings and
// brackets only.
func skipStructural(b []byte, i int) (int, error) {
	if i >= len(b) {
		return i, errAt(i, "unexpected end of input, expected a value")
	}
	switch b[i] {
	case '"':
		return stringEnd(b, i)
	case '{', '[':
		depth := 0
		for ; i < len(b); i++ {
			for i < len(b) && !structuralByte[b[i]] {
				i++
			}
			if i >= len(b) {
				break
			}
			switch b[i] {
			case '"':
				end, err := stringEnd(b, i)
				if err != nil {
					return end, err
				}
				i = end - 1
			case '{', '[':
				depth++
				if depth > MaxDepth {
					return i, errAt(i, "nesting deeper than %d", MaxDepth)
				}
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1, nil
				}
			}
		}
		return i, errAt(i, "unterminated value")
	}
	j := i
	for j < len(b) {
		switch b[j] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			if j == i {
				return i, errAt(i, "expected a value")
			}
			return j, nil
		}
		j++
	}
	return j, nil
}
