package collate

import "testing"

// FuzzCompare checks, on arbitrary strings (invalid UTF-8 too), that the
// collations do not panic, that a string equals itself, that swapping the
// arguments flips the sign, and that the ASCII fast path agrees with the
// full comparison.
func FuzzCompare(f *testing.F) {
	f.Add("apple", "Apple", uint8(0))
	f.Add("a10", "a9", uint8(5))
	f.Add("🤣x", "🗿y", uint8(1))
	f.Add("\xff\xfe", "é", uint8(7))
	f.Add("Ёж", "еж", uint8(4))
	options := []Options{
		{}, {Sensitivity: "base"}, {Sensitivity: "accent"}, {Sensitivity: "case"}, {CaseFirst: "upper"},
		{Numeric: true}, {IgnorePunctuation: true}, {CaseFirst: "lower"},
	}
	colls := make([]*collator, len(options))
	slow := make([]*collator, len(options))
	for i, o := range options {
		colls[i], _ = newCollator("", o)
		slow[i], _ = newCollator("", o)
		slow[i].fast = false
	}
	f.Fuzz(func(t *testing.T, a, b string, which uint8) {
		i := int(which) % len(options)
		c := colls[i]
		ab, ba := sign(c.compare(a, b)), sign(c.compare(b, a))
		if ab != -ba {
			t.Fatalf("%+v: compare(%q, %q) = %d but compare(b, a) = %d", options[i], a, b, ab, ba)
		}
		if c.compare(a, a) != 0 {
			t.Fatalf("%+v: compare(%q, itself) != 0", options[i], a)
		}
		if s := sign(slow[i].compare(a, b)); s != ab {
			t.Fatalf("%+v: compare(%q, %q) = %d with the fast path, %d without", options[i], a, b, ab, s)
		}
	})
}
