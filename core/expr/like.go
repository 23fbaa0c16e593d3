package expr

import "strings"

// A like pattern: % matches any run of characters (none included), _ exactly
// one UTF-16 code unit (so an emoji needs two), everything else itself; the
// match is anchored at both ends and there is no escape character. ilike
// lower-cases both sides with JavaScript's toLowerCase first.
//
// Matching works on bytes whenever that gives the code-unit answer: when the
// value is ASCII (each byte is a code unit; a non-ASCII byte of the pattern
// never equals an ASCII byte), or when the pattern has no _ (literal runs of
// valid UTF-8 can only match at character boundaries). Otherwise both sides
// are converted to UTF-16.

// likePattern is a pattern prepared once: its text (lower-cased for ilike)
// and whether it has a _.
type likePattern struct {
	p          string
	underscore bool
}

// newLikePattern prepares p; fold lower-cases it for ilike.
func newLikePattern(p string, fold bool) likePattern {
	if fold {
		p = jsToLower(p)
	}
	return likePattern{p: p, underscore: strings.IndexByte(p, '_') >= 0}
}

// match reports whether v matches the pattern; fold says that the pattern is
// already lower-cased and v must be (ilike).
func (lp likePattern) match(v string, fold bool) bool {
	if fold {
		if isASCII(v) {
			return matchBytes(v, lp.p, true)
		}
		v = jsToLower(v)
	}
	if !lp.underscore || isASCII(v) {
		return matchBytes(v, lp.p, false)
	}
	var vb, pb [64]uint16
	return matchUnits(appendUnits(vb[:0], v), appendUnits(pb[:0], lp.p))
}

// lowerASCII lower-cases an ASCII byte.
func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + ('a' - 'A')
	}
	return c
}

// matchBytes matches v against pattern p byte by byte, lower-casing the
// bytes of v when fold is set (v must then be ASCII). It backtracks only to
// the last %, so it is O(len(v)·len(p)) at worst.
func matchBytes(v, p string, fold bool) bool {
	vi, pi := 0, 0
	star, restart := -1, 0
	for vi < len(v) {
		c := v[vi]
		if fold {
			c = lowerASCII(c)
		}
		switch {
		case pi < len(p) && p[pi] == '%':
			star, restart = pi, vi
			pi++
		case pi < len(p) && (p[pi] == '_' || p[pi] == c):
			vi++
			pi++
		case star >= 0:
			restart++
			vi, pi = restart, star+1
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '%' {
		pi++
	}
	return pi == len(p)
}

// matchUnits is matchBytes over UTF-16 code units.
func matchUnits(v, p []uint16) bool {
	vi, pi := 0, 0
	star, restart := -1, 0
	for vi < len(v) {
		switch {
		case pi < len(p) && p[pi] == '%':
			star, restart = pi, vi
			pi++
		case pi < len(p) && (p[pi] == '_' || p[pi] == v[vi]):
			vi++
			pi++
		case star >= 0:
			restart++
			vi, pi = restart, star+1
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '%' {
		pi++
	}
	return pi == len(p)
}
