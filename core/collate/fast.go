package collate

import (
	"sync"

	"github.com/streamdb/streamdb/core/collate/ascii"
	"golang.org/x/text/collate"
	"golang.org/x/text/language"
)

// The ASCII fast path: in the root collation (and English, which does not
// tailor it) two strings of printable ASCII compare by their characters'
// primary ranks and then their case (package ascii). asciiRanks builds the
// ranks from x/text's full comparison, which also checks the package's
// assumptions; TestASCIIFastPath checks the fast path against the full
// comparison.

var (
	ranksOnce sync.Once
	ranks     ascii.Ranks
	ranksOK   bool
)

// asciiRanks computes ranks once; it reports whether the fast path holds.
func asciiRanks() bool {
	ranksOnce.Do(func() {
		full := collate.New(language.English)
		ranks, ranksOK = ascii.Build(full.CompareString)
	})
	return ranksOK
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
	if !ascii.Printable(a, c.numeric) || !ascii.Printable(b, c.numeric) {
		return 0, false
	}
	if d := ranks.ComparePrimary(a, b); d != 0 || c.level == levelPrimary || c.level == levelSecondary {
		return d, true
	}
	return ascii.CompareCase(a, b, c.upperFirst), true
}
