package value

import (
	"math"
	"strings"
)

// Equal reports whether a and b are deeply equal the way TanStack DB's
// deepEquals sees them: objects have the same key set and equal values (key
// order does not matter), arrays are equal element by element, numbers by
// value with NaN equal to NaN (and -0 equal to 0), Undefined equals only
// Undefined and Null only Null. Values of the same kind and text are equal
// without scanning.
func Equal(a, b Value) bool {
	if a.kind != b.kind {
		return false
	}
	switch a.kind {
	case KindBool:
		return a.num == b.num
	case KindNumber:
		return a.num == b.num || (isNaN(a.num) && isNaN(b.num))
	case KindString:
		return a.text() == b.text()
	case KindArray, KindObject:
		if a.text() == b.text() {
			return true
		}
		eq, _, _ := textEqual(a.text(), 0, b.text(), 0)
		return eq
	}
	return true
}

// textEqual compares the values at s[i] and t[j] of canonical text and
// returns the indexes just past them. Scalars are equal exactly when their
// canonical texts are.
func textEqual(s string, i int, t string, j int) (eq bool, iend, jend int) {
	iend, jend = skipValue(s, i), skipValue(t, j)
	if s[i:iend] == t[j:jend] {
		return true, iend, jend
	}
	switch {
	case s[i] == '[' && t[j] == '[':
		return arraysEqual(s[i:iend], t[j:jend]), iend, jend
	case s[i] == '{' && t[j] == '{':
		return objectsEqual(s[i:iend], t[j:jend]), iend, jend
	}
	return false, iend, jend
}

func arraysEqual(s, t string) bool {
	if len(s) < 3 || len(t) < 3 {
		return false // the texts differ, so at most one is []
	}
	i, j := 1, 1
	for {
		eq, ie, je := textEqual(s, i, t, j)
		if !eq {
			return false
		}
		if s[ie] == ']' || t[je] == ']' {
			return s[ie] == t[je]
		}
		i, j = ie+1, je+1
	}
}

func objectsEqual(s, t string) bool {
	if len(s) < 3 || len(t) < 3 {
		return false
	}
	n := 0
	cursor := 1 // where in t the next key is looked for first
	for i := 1; i < len(s); {
		ke := skipString(s, i)
		key := s[i:ke]
		vs := -1
		// Same key order is the common case: try the cursor first.
		if cursor < len(t) {
			if te := skipString(t, cursor); t[cursor:te] == key {
				vs = te + 1
			}
		}
		if vs < 0 {
			k, v, ok := findRawKey(t, key)
			if !ok {
				return false
			}
			_, vs = k, v
		}
		eq, ie, je := textEqual(s, ke+1, t, vs)
		if !eq {
			return false
		}
		n++
		i = ie + 1
		cursor = je + 1
	}
	// Same count and every key of s found in t (keys are unique).
	cnt := 0
	for j := 1; j < len(t); {
		ke := skipString(t, j)
		j = skipValue(t, ke+1) + 1
		cnt++
	}
	return cnt == n
}

// findRawKey finds the member whose key literal (quotes included) is key in
// canonical object text t.
func findRawKey(t, key string) (ks, vs int, ok bool) {
	for j := 1; j < len(t); {
		ke := skipString(t, j)
		if t[j:ke] == key {
			return j, ke + 1, true
		}
		j = skipValue(t, ke+1) + 1
	}
	return 0, 0, false
}

const (
	tagUndefined = 0x9e3779b97f4a7c15
	tagNull      = 0xbf58476d1ce4e5b9
	tagBool      = 0x94d049bb133111eb
	tagNumber    = 0x2545f4914f6cdd1d
	tagString    = 0xd6e8feb86659fd93
	tagText      = 0xa0761d6478bd642f
	tagArray     = 0xe7037ed1a0b428db
	tagObject    = 0x8ebc6af09c88c6e3
	mulField     = 0x589965cc75374cc3
)

// hash returns a hash of v consistent with Equal (equal values hash the
// same: object fields are combined independently of order, numbers by
// value so 1, 1.0 and 1e0 hash the same, NaN as one value, -0 as 0). It is
// deterministic: the same value and seed give the same hash in every run
// and on every platform.
func hash(v Value, seed uint64) uint64 {
	switch v.kind {
	case KindNull:
		return mix(seed ^ tagNull)
	case KindBool:
		return mix(seed ^ tagBool ^ uint64(v.num))
	case KindNumber:
		f := v.num
		if f == 0 {
			f = 0 // -0
		}
		bits := math.Float64bits(f)
		if isNaN(f) {
			bits = 0x7ff8000000000001
		}
		return mix(mix(seed^tagNumber) ^ bits)
	case KindString:
		return hashString(seed^tagString, v.text())
	case KindArray, KindObject:
		h, _ := hashText(seed, v.text(), 0)
		return h
	}
	return mix(seed ^ tagUndefined)
}

// hashText hashes the value at s[i] of canonical text and returns the
// index just past it. Scalars (and arrays holding no object) are hashed by
// their canonical text, which is unique per value.
func hashText(seed uint64, s string, i int) (uint64, int) {
	switch s[i] {
	case '{':
		var sum uint64
		n := uint64(0)
		j := i + 1
		if s[j] == '}' {
			return mix(seed ^ tagObject), j + 1
		}
		for {
			ke := skipString(s, j)
			kh := hashString(seed^tagText, s[j:ke])
			vh, ve := hashText(seed, s, ke+1)
			sum += mix(kh ^ vh*mulField)
			n++
			if s[ve] == '}' {
				return mix(seed ^ tagObject ^ sum ^ mix(n)), ve + 1
			}
			j = ve + 1
		}
	case '[':
		end := skipValue(s, i)
		if strings.IndexByte(s[i:end], '{') < 0 {
			return hashString(seed^tagText, s[i:end]), end
		}
		h := seed ^ tagArray
		for j := i + 1; j < end-1; {
			eh, ee := hashText(seed, s, j)
			h = mix(h ^ eh)
			j = ee + 1
		}
		return h, end
	}
	end := skipValue(s, i)
	return hashString(seed^tagText, s[i:end]), end
}

// mix is the 64-bit finalizer of MurmurHash3.
func mix(x uint64) uint64 {
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	x ^= x >> 33
	return x
}

// hashString hashes the bytes of s, 8 at a time.
func hashString(seed uint64, s string) uint64 {
	h := seed ^ uint64(len(s))*0x9ddfea08eb382d69
	for len(s) >= 8 {
		w := uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
			uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
		h = (h ^ w) * 0x9fb21c651e98df25
		h ^= h >> 29
		s = s[8:]
	}
	var w uint64
	for i := 0; i < len(s); i++ {
		w |= uint64(s[i]) << (8 * i)
	}
	return mix(h ^ w)
}
