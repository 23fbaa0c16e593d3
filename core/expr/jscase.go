package expr

import (
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

//go:generate sh -c "node testdata/casemap.mjs | go run mkcase.go > jscase_table.go"

// caseEntry is a rune and the string a JS case mapping makes of it.
type caseEntry struct {
	r rune
	s string
}

// lookupCase finds r in the sorted table tab.
func lookupCase(tab []caseEntry, r rune) (string, bool) {
	i := sort.Search(len(tab), func(i int) bool { return tab[i].r >= r })
	if i < len(tab) && tab[i].r == r {
		return tab[i].s, true
	}
	return "", false
}

// inRanges reports whether r is in the sorted inclusive ranges rs.
func inRanges(rs [][2]rune, r rune) bool {
	i := sort.Search(len(rs), func(i int) bool { return rs[i][1] >= r })
	return i < len(rs) && rs[i][0] <= r
}

// jsToUpper is JavaScript's String.prototype.toUpperCase: the full
// (SpecialCasing) mapping, so "ß" becomes "SS".
func jsToUpper(s string) string {
	i := 0
	for ; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf || ('a' <= c && c <= 'z') {
			break
		}
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(s[:i])
	for _, r := range s[i:] {
		if r < utf8.RuneSelf {
			if 'a' <= r && r <= 'z' {
				r -= 'a' - 'A'
			}
			b.WriteByte(byte(r))
			continue
		}
		if m, ok := lookupCase(upperSpecial, r); ok {
			b.WriteString(m)
			continue
		}
		b.WriteRune(unicode.ToUpper(r))
	}
	return b.String()
}

// jsToLower is JavaScript's String.prototype.toLowerCase: the full mapping
// ("İ" becomes "i̇") with the final sigma rule (a "Σ" that ends a word
// becomes "ς").
func jsToLower(s string) string {
	i := 0
	for ; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf || ('A' <= c && c <= 'Z') {
			break
		}
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(s[:i])
	for j, r := range s[i:] {
		if r < utf8.RuneSelf {
			if 'A' <= r && r <= 'Z' {
				r += 'a' - 'A'
			}
			b.WriteByte(byte(r))
			continue
		}
		if r == 'Σ' {
			if isFinalSigma(s, i+j) {
				b.WriteRune('ς')
			} else {
				b.WriteRune('σ')
			}
			continue
		}
		if m, ok := lookupCase(lowerSpecial, r); ok {
			b.WriteString(m)
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// isFinalSigma reports whether the capital sigma at byte i of s is in the
// Final_Sigma context of Unicode's SpecialCasing: a cased letter before it
// and none after it, case-ignorable characters skipped on both sides.
func isFinalSigma(s string, i int) bool {
	before := false
	for j := i; j > 0; {
		r, n := utf8.DecodeLastRuneInString(s[:j])
		j -= n
		if isCaseIgnorable(r) {
			continue
		}
		before = isCased(r)
		break
	}
	if !before {
		return false
	}
	for j := i + len("Σ"); j < len(s); {
		r, n := utf8.DecodeRuneInString(s[j:])
		j += n
		if isCaseIgnorable(r) {
			continue
		}
		return !isCased(r)
	}
	return true
}

// isCased reports whether r has the Unicode property Cased.
func isCased(r rune) bool {
	if r < utf8.RuneSelf {
		return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z'
	}
	return inRanges(casedRanges, r)
}

// isCaseIgnorable reports whether r has the Unicode property
// Case_Ignorable.
func isCaseIgnorable(r rune) bool {
	if r < utf8.RuneSelf {
		return r == '\'' || r == '.' || r == ':' || r == '^' || r == '`'
	}
	return inRanges(caseIgnorableRanges, r)
}
