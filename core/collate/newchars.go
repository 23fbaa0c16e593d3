package collate

import (
	"sort"
	"unicode"
	"unicode/utf8"
)

//go:generate sh -c "node testdata/newchars.mjs | go run mknewchars.go > newchars_table.go"

// newChar is a range of characters that x/text's tables (Unicode 6.2) do
// not know, and how rewriteNew rewrites them: dropped (anchor < 0: ICU
// ignores them), or replaced by anchor, the known character ICU sorts just
// before them, followed when rank >= 0 by a character standing for their
// rank in ICU's order (lo has rank, lo+i rank+i).
type newChar struct {
	lo, hi rune
	anchor rune
	rank   int32
}

// rankBase is the first of the code points that stand for ranks: they are
// unassigned in every Unicode version (plane 14 above the variation
// selectors), so x/text gives them implicit weights in code point order,
// above the weight of every character it knows.
const rankBase = 0xE0200

// lookupNew finds r in newChars.
func lookupNew(r rune) (newChar, bool) {
	if r < newChars[0].lo {
		return newChar{}, false
	}
	i := sort.Search(len(newChars), func(i int) bool { return newChars[i].hi >= r })
	if i < len(newChars) && newChars[i].lo <= r {
		return newChars[i], true
	}
	return newChar{}, false
}

// rewriteNew rewrites the characters x/text does not know (newer emoji,
// skin-tone modifiers, bidi isolates, new letters and scripts…), which it
// would sort after everything, so that they sort where ICU puts them: each
// becomes its anchor followed by its rank character, which sorts above any
// real character (so the new character sorts after its anchor whatever
// follows) and orders the new characters among themselves as ICU's primary
// level does. With ranks false (ignorePunctuation) punctuation gets no rank
// character, so that it is ignored with its anchor. Characters ICU ignores
// are dropped. It returns the rewritten string and, to break ties, s with
// only the ignorable characters dropped; changed is false when s holds no
// new character (both are then s).
func rewriteNew(s string, ranks bool) (rewritten, stripped string, changed bool) {
	first := -1
	for i := 0; i < len(s); {
		if s[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if _, ok := lookupNew(r); ok {
			first = i
			break
		}
		i += n
	}
	if first < 0 {
		return s, s, false
	}
	b := make([]byte, 0, 2*len(s)+8)
	b = append(b, s[:first]...)
	t := make([]byte, 0, len(s))
	t = append(t, s[:first]...)
	for _, r := range s[first:] {
		e, ok := lookupNew(r)
		switch {
		case !ok:
			b = utf8.AppendRune(b, r)
			t = utf8.AppendRune(t, r)
		case e.anchor < 0:
		default:
			t = utf8.AppendRune(t, r)
			b = utf8.AppendRune(b, e.anchor)
			if e.rank >= 0 && (ranks || !unicode.In(e.anchor, unicode.P, unicode.Zs)) {
				b = utf8.AppendRune(b, rankBase+e.rank+(r-e.lo))
			}
		}
	}
	return string(b), string(t), true
}
