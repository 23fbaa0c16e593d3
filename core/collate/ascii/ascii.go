// Package ascii compares strings of printable ASCII (U+0020–U+007E) as the
// root collation (CLDR root, English) orders them, without a collation
// table: in that collation every printable ASCII character is one
// collation element with a non-zero primary weight, the common secondary
// weight, and a tertiary weight that only tells an upper-case letter from
// its lower-case one; no contraction or expansion involves them, and
// punctuation is not ignorable. Two such strings therefore compare by the
// primary rank of their characters, position by position (the shorter
// first when one is a prefix of the other), and when every rank is equal
// (the strings differ at most in case, position by position) by the first
// position where they differ, lower case first.
//
// The ranks come from the collation itself (Build), which checks those
// assumptions on the characters and on probes that a tailoring of ASCII
// (Czech "ch", Danish "aa", ignored punctuation, numeric order) would fail.
// The package has no dependencies, so that the browser build can use it
// over the page's Intl.Collator as core/collate uses it over x/text.
package ascii

import (
	"cmp"
	"sort"
)

// Ranks holds the primary rank of each printable ASCII character, from 1;
// the two cases of a letter share one. Other bytes have rank 0.
type Ranks [128]uint8

// Printable reports whether s holds printable ASCII only (and no decimal
// digit, when noDigits).
func Printable(s string, noDigits bool) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c > 0x7E || (noDigits && '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// ComparePrimary orders two printable ASCII strings by their characters'
// ranks: negative, zero or positive. Zero means that they differ at most
// in case, position by position.
func (r *Ranks) ComparePrimary(a, b string) int {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		if ra, rb := r[a[i]], r[b[i]]; ra != rb {
			if ra < rb {
				return -1
			}
			return 1
		}
	}
	switch {
	case len(a) < len(b):
		return -1
	case len(a) > len(b):
		return 1
	}
	return 0
}

// CompareCase orders two strings that ComparePrimary finds equal by the
// first position where they differ: lower case first, or upper case first
// when upperFirst.
func CompareCase(a, b string, upperFirst bool) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			if ('a' <= a[i] && a[i] <= 'z') != upperFirst {
				return -1
			}
			return 1
		}
	}
	return 0
}

// Compare orders two printable ASCII strings at the tertiary level (case
// counts), lower case first: as compare of a collation that Build accepted
// does.
func (r *Ranks) Compare(a, b string) int {
	if d := r.ComparePrimary(a, b); d != 0 {
		return d
	}
	return CompareCase(a, b, false)
}

// probes are pairs on which a collation that tailors ASCII, ignores
// punctuation or orders digits by value disagrees with the ranks.
var probes = [][2]string{
	{"ch", "cz"}, {"ch", "hz"}, // Czech and Slovak put "ch" after "h"
	{"aa", "az"}, {"aa", "zz"}, // Danish and Norwegian put "aa" after "z"
	{"ll", "lz"}, {"cs", "cz"}, {"dz", "dzz"}, {"ij", "iz"}, {"lj", "lz"}, {"nj", "nz"},
	{"a-b", "ab"}, {"a b", "ab"}, {"co-op", "coop"}, {"a.b", "a-b"}, {"a", "a "}, {"-a", "a"},
	{"x10", "x9"}, {"x2", "x10"}, {"a1", "A1"},
	{"Ab", "aB"}, {"aB", "ab"}, {"AB", "ab"}, {"ab", "Abc"}, {"b", "A"}, {"th", "tz"}, {"y", "x"},
	{"v", "w"}, {"w", "vz"}, {"i", "j"}, {"o", "p"}, {"~", "a"}, {"_", "0"}, {"9", "a"},
}

// Build derives the ranks of a collation from compare, its full comparison
// (negative, zero or positive) at the tertiary level, lower case first. ok
// is false when the collation breaks an assumption of the package: a
// character that compares equal to another or to nothing (ignorable), two
// characters with one primary weight that are not a letter's two cases
// (lower first), or a probe on which compare and the ranks disagree.
// It calls compare a little over a thousand times.
func Build(compare func(a, b string) int) (r Ranks, ok bool) {
	chars := make([]string, 0, 0x7F-0x20)
	for c := byte(0x20); c < 0x7F; c++ {
		s := string(rune(c))
		if compare(s, "") <= 0 {
			return Ranks{}, false
		}
		chars = append(chars, s)
	}
	sort.SliceStable(chars, func(i, j int) bool { return compare(chars[i], chars[j]) < 0 })
	rank := uint8(1)
	for i, s := range chars {
		if i > 0 {
			p := chars[i-1]
			if compare(p, s) >= 0 {
				return Ranks{}, false
			}
			// One primary weight: the second characters decide ("b" after
			// "a"); two: the first do.
			if compare(p+"b", s+"a") > 0 {
				lp, ls := p[0]|0x20, s[0]|0x20
				if lp != ls || lp < 'a' || lp > 'z' || p[0] != lp {
					return Ranks{}, false
				}
			} else {
				rank++
			}
		}
		r[s[0]] = rank
	}
	for _, pr := range probes {
		if cmp.Compare(compare(pr[0], pr[1]), 0) != r.Compare(pr[0], pr[1]) || cmp.Compare(compare(pr[1], pr[0]), 0) != r.Compare(pr[1], pr[0]) {
			return Ranks{}, false
		}
	}
	return r, true
}
