// Package collate orders strings as JavaScript's localeCompare does (ICU
// collation through Intl.Collator), for orderBy with stringSort 'locale',
// TanStack DB's default. It is built on golang.org/x/text/collate; it is a
// package of its own so that nothing else links x/text's tables (a browser
// build can use the page's Intl.Collator instead).
//
// x/text's tables are older than the ICU of current JS engines (CLDR 23 and
// Unicode 6.2, against ICU 78 in Node 20.20), so the package corrects them
// where it can:
//   - characters x/text does not know (newer emoji and skin-tone modifiers,
//     bidi isolates, new letters and scripts), which it would sort after
//     everything, and the few hundred it orders differently from today's
//     CLDR (some quotation marks, Cyrillic letters with diacritics), are
//     rewritten before comparing into a known character and a rank that
//     put them where ICU does (newchars_table.go, generated from Node);
//   - decimal digits of other scripts ("٣") equal ASCII digits, as in ICU;
//   - numeric: runs of decimal digits are rewritten into a form that sorts
//     by value (x/text's own numeric option orders some cases wrongly);
//   - ignorePunctuation: sort keys are compared, as x/text's comparison
//     skips the primary level when punctuation is shifted;
//   - sensitivity "case" and caseFirst: the case of each character is
//     compared here, as x/text's case level holds the whole tertiary
//     weight and it has no caseFirst.
//
// What remains different: Han ideographs are ordered by code point (the
// main block, then the extensions) where ICU orders them by radical and
// stroke (the same order within the main block but for a few hundred
// characters); with caseFirst, ICU compares case within each collation
// element, before other tertiary differences ("1a" < "１Ａ" with upper
// first), here over the whole string first.
package collate

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/streamdb/streamdb/core/value"
	"golang.org/x/text/collate"
	"golang.org/x/text/language"
)

// Options are Intl.Collator options.
type Options struct {
	// Sensitivity is "base", "accent", "case" or "variant" ("" is variant,
	// the default for sorting).
	Sensitivity string
	// Numeric orders runs of decimal digits by their value ("2" < "10").
	Numeric bool
	// CaseFirst is "upper", "lower" or "false" ("" is the locale's
	// default, "false" for the locales x/text knows).
	CaseFirst string
	// IgnorePunctuation ignores spaces and punctuation.
	IgnorePunctuation bool
}

// New returns a value.Collation that orders strings as JS
// a.localeCompare(b, locale, options) does (locale "" = the default locale
// of Node/Chromium, which is en-US on these machines). A locale that is
// well-formed but unknown falls back to the default, as in JS; a malformed
// one is an error (JS throws a RangeError). The collation is safe for
// concurrent use.
func New(locale string, o Options) (value.Collation, error) {
	c, err := newCollator(locale, o)
	if err != nil {
		return nil, err
	}
	return c.compare, nil
}

// newCollator configures a collator for New.
func newCollator(locale string, o Options) (*collator, error) {
	tag := language.AmericanEnglish
	if locale != "" {
		t, err := language.Parse(locale)
		var unknown language.ValueError
		switch {
		case errors.As(err, &unknown):
			// Well-formed but unknown ("xx"): JS falls back to the default
			// locale.
		case err != nil:
			return nil, fmt.Errorf("collate: locale %q: %w", locale, err)
		default:
			tag = t
		}
	}
	c := &collator{tag: tag, numeric: o.Numeric}
	switch o.Sensitivity {
	case "", "variant":
		c.level = levelTertiary
	case "base":
		c.level = levelPrimary
		c.opts = append(c.opts, collate.IgnoreCase, collate.IgnoreDiacritics)
	case "accent":
		c.level = levelSecondary
		c.opts = append(c.opts, collate.IgnoreCase)
	case "case":
		c.level = levelCase
		c.opts = append(c.opts, collate.IgnoreDiacritics, collate.OptionsFromTag(language.Make("und-u-kc-true")))
	default:
		return nil, fmt.Errorf("collate: sensitivity %q: want base, accent, case or variant", o.Sensitivity)
	}
	switch o.CaseFirst {
	case "", "false":
	case "lower", "upper":
		c.caseFirst = true
		c.upperFirst = o.CaseFirst == "upper"
	default:
		return nil, fmt.Errorf("collate: caseFirst %q: want upper, lower or false", o.CaseFirst)
	}
	if o.IgnorePunctuation {
		c.shifted = true
		c.opts = append(c.opts, collate.OptionsFromTag(language.Make("und-u-ka-shifted")))
	}
	// The levels above case: primary for sensitivity "case", primary and
	// secondary for "variant" with a caseFirst.
	switch {
	case c.level == levelCase:
		c.aboveCase = []collate.Option{collate.IgnoreCase, collate.IgnoreDiacritics}
	case c.level == levelTertiary && c.caseFirst:
		c.aboveCase = []collate.Option{collate.IgnoreCase}
	}
	if c.aboveCase != nil && c.shifted {
		c.aboveCase = append(c.aboveCase, collate.OptionsFromTag(language.Make("und-u-ka-shifted")))
	}
	c.fast = !c.shifted && asciiFastLocale(tag)
	c.pool.New = func() any {
		s := &state{tag: c.tag, c: collate.New(c.tag, c.opts...)}
		if c.aboveCase != nil {
			s.above = collate.New(c.tag, c.aboveCase...)
		}
		return s
	}
	return c, nil
}

// level is the strength a sensitivity compares at.
type level uint8

const (
	levelPrimary   level = iota // base
	levelSecondary              // accent
	levelCase                   // case: primary plus case
	levelTertiary               // variant
)

// collator is one configured collation.
type collator struct {
	tag        language.Tag
	opts       []collate.Option
	aboveCase  []collate.Option
	level      level
	numeric    bool
	shifted    bool
	caseFirst  bool // caseFirst upper or lower
	upperFirst bool
	fast       bool
	pool       sync.Pool // of *state
}

// state is what one comparison uses: x/text collators are not safe for
// concurrent use.
type state struct {
	tag   language.Tag
	c     *collate.Collator
	above *collate.Collator // the levels above case (sensitivity case, or a caseFirst)
	buf   collate.Buffer

	// Case weights (sensitivity case, caseFirst): the number of primary
	// elements of non-ASCII runes, from a primary-only collator.
	primary *collate.Collator
	counts  map[rune]uint8
	wa, wb  []uint8
}

func (c *collator) compare(a, b string) int {
	if c.fast {
		if r, ok := c.compareASCII(a, b); ok {
			return r
		}
	}
	if c.numeric {
		a, b = numericForm(a), numericForm(b)
	} else {
		a, b = scriptDigitsToASCII(a), scriptDigitsToASCII(b)
	}
	s := c.pool.Get().(*state)
	defer c.pool.Put(s)
	ra, ta, newA := rewriteNew(a, !c.shifted)
	rb, tb, newB := rewriteNew(b, !c.shifted)
	if newA || newB {
		if r := c.compareIn(s, ra, rb); r != 0 || c.level != levelTertiary {
			return r
		}
		// Equal with the new characters rewritten: at the tertiary level,
		// break the tie on what the rewriting lost (which of two variants
		// of a new letter), ignorable characters dropped.
		return c.compareIn(s, ta, tb)
	}
	return c.compareIn(s, a, b)
}

// compareIn compares a and b with the collators of s.
func (c *collator) compareIn(s *state, a, b string) int {
	if c.level == levelCase {
		// ICU's case level holds the case of each character and nothing
		// else of the tertiary level; x/text's holds the whole tertiary
		// weight (width, variants), so it is done here.
		if r := c.compareWith(s, s.above, a, b); r != 0 {
			return r
		}
		return s.compareCase(a, b, c.upperFirst)
	}
	r := c.compareWith(s, s.c, a, b)
	if r == 0 || !c.caseFirst {
		return r
	}
	// caseFirst: within the tertiary level, case comes first.
	if above := c.compareWith(s, s.above, a, b); above != 0 {
		return above
	}
	if cs := s.compareCase(a, b, c.upperFirst); cs != 0 {
		return cs
	}
	return r
}

// compareWith compares with x; with ignorePunctuation it compares sort
// keys, as x/text's CompareString ignores the primary level then.
func (c *collator) compareWith(s *state, x *collate.Collator, a, b string) int {
	if !c.shifted {
		return x.CompareString(a, b)
	}
	s.buf.Reset()
	ka := x.KeyFromString(&s.buf, a)
	kb := x.KeyFromString(&s.buf, b)
	return bytes.Compare(ka, kb)
}

// appendCaseWeights appends the case weights of r, one per primary
// collation element it has, as ICU's case bits see them: 0 for lower case
// and uncased, 2 for upper case ("Æ" and "ẞ" are two upper-case elements,
// like "AE" and "SS"); a title-case digraph is upper then lower.
func (s *state) appendCaseWeights(dst []uint8, r rune) []uint8 {
	n := 1
	switch {
	case r < 0x20 || r == 0x7F:
		n = 0 // control characters are ignorable
	case r >= utf8.RuneSelf:
		n = s.primaries(r)
	}
	for i := 0; i < n; i++ {
		switch {
		case unicode.IsUpper(r), unicode.IsTitle(r) && i == 0:
			dst = append(dst, 2)
		default:
			dst = append(dst, 0)
		}
	}
	return dst
}

// primaries returns the number of primary collation elements of r.
func (s *state) primaries(r rune) int {
	if n, ok := s.counts[r]; ok {
		return int(n)
	}
	if s.primary == nil {
		s.primary = collate.New(s.tag, collate.IgnoreCase, collate.IgnoreDiacritics)
		s.counts = map[rune]uint8{}
	}
	s.buf.Reset()
	key := s.primary.KeyFromString(&s.buf, string(r))
	n := 0
	for i := 0; i < len(key); n++ {
		// Primary weights are two bytes, or three when the first has its
		// high bit set.
		if key[i]&0x80 != 0 {
			i += 3
		} else {
			i += 2
		}
	}
	if len(s.counts) < 4096 {
		s.counts[r] = uint8(min(n, 255))
	}
	return n
}

// compareCase compares the case weights of a and b element by element
// (the shorter padded with lower case), lower case first unless
// upperFirst.
func (s *state) compareCase(a, b string, upperFirst bool) int {
	wa, wb := s.wa[:0], s.wb[:0]
	for _, r := range a {
		wa = s.appendCaseWeights(wa, r)
	}
	for _, r := range b {
		wb = s.appendCaseWeights(wb, r)
	}
	s.wa, s.wb = wa, wb
	for i := 0; i < max(len(wa), len(wb)); i++ {
		var x, y uint8
		if i < len(wa) {
			x = wa[i]
		}
		if i < len(wb) {
			y = wb[i]
		}
		if x != y {
			if (x < y) != upperFirst {
				return -1
			}
			return 1
		}
	}
	return 0
}
