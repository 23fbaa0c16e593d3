package collate

import (
	"cmp"
	"sort"
	"sync"

	"golang.org/x/text/collate"
	"golang.org/x/text/language"
)

// The ASCII fast path. In the root collation (and English, which does not
// tailor it) every printable ASCII character (U+0020–U+007E) is one
// collation element with a non-zero primary weight, the common secondary
// weight, and a tertiary weight that only tells upper-case letters from
// lower-case ones; no contraction involves them. For two strings made of
// these characters alone, the UCA comparison therefore reduces to:
// compare the primary rank character by character (the shorter string first
// when one is a prefix of the other), and if all are equal (so the strings
// differ at most in case, position by position) the first position where
// they differ decides, lower case first. asciiRanks computes the primary
// ranks with x/text and checks those assumptions; TestASCIIFastPath checks
// the fast path against the full comparison.

var (
	ranksOnce sync.Once
	ranks     [128]uint8 // primary rank of each printable ASCII byte, from 1
	ranksOK   bool
)

// asciiRanks computes ranks once; it reports whether the fast path holds.
func asciiRanks() bool {
	ranksOnce.Do(func() {
		full := collate.New(language.English)
		primary := collate.New(language.English, collate.IgnoreCase, collate.IgnoreDiacritics)
		chars := make([]string, 0, 95)
		for c := byte(0x20); c < 0x7F; c++ {
			chars = append(chars, string(c))
		}
		sort.SliceStable(chars, func(i, j int) bool { return primary.CompareString(chars[i], chars[j]) < 0 })
		rank := uint8(0)
		for i, s := range chars {
			if i == 0 || primary.CompareString(chars[i-1], s) != 0 {
				rank++
			} else {
				// Equal primaries must be a case pair, lower case first.
				p, c := chars[i-1][0], s[0]
				if lower(p) != lower(c) || p == c || full.CompareString(string(lower(p)), string(upper(p))) >= 0 {
					return
				}
			}
			if full.CompareString(s, "") == 0 {
				return // ignorable
			}
			ranks[s[0]] = rank
		}
		ranksOK = true
	})
	return ranksOK
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func upper(c byte) byte {
	if 'a' <= c && c <= 'z' {
		return c - ('a' - 'A')
	}
	return c
}

// asciiFastLocale reports whether tag's collation is the root order for
// ASCII: English or the root locale, with no collation options in the tag.
func asciiFastLocale(tag language.Tag) bool {
	base, _ := tag.Base()
	if b := base.String(); b != "en" && b != "und" {
		return false
	}
	if len(tag.Extensions()) > 0 {
		return false
	}
	return asciiRanks()
}

// compareASCII compares a and b when both are printable ASCII (and, with
// the numeric option, hold no digits); ok is false otherwise.
func (c *collator) compareASCII(a, b string) (r int, ok bool) {
	if !c.plainASCII(a) || !c.plainASCII(b) {
		return 0, false
	}
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		if ra, rb := ranks[a[i]], ranks[b[i]]; ra != rb {
			return cmp.Compare(ra, rb), true
		}
	}
	if len(a) != len(b) {
		return cmp.Compare(len(a), len(b)), true
	}
	if c.level == levelPrimary || c.level == levelSecondary {
		return 0, true
	}
	for i := 0; i < n; i++ {
		if a[i] != b[i] {
			aLower := 'a' <= a[i] && a[i] <= 'z'
			if aLower != c.upperFirst {
				return -1, true
			}
			return 1, true
		}
	}
	return 0, true
}

// plainASCII reports whether s is printable ASCII, without digits when
// the numeric option is on.
func (c *collator) plainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if ch < 0x20 || ch > 0x7E || (c.numeric && '0' <= ch && ch <= '9') {
			return false
		}
	}
	return true
}
