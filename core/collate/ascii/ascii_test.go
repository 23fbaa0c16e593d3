package ascii_test

import (
	"cmp"
	"math/rand/v2"
	"strings"
	"testing"

	"golang.org/x/text/collate"
	"golang.org/x/text/language"

	"github.com/streamdb/streamdb/core/collate/ascii"
)

// randomASCII makes strings of printable ASCII that share prefixes and
// differ in case, punctuation and digits.
func randomASCII(n int) []string {
	rng := rand.New(rand.NewPCG(3, 9))
	const alphabet = "aAbBcChHzZ -_.,'09~!"
	out := []string{""}
	for len(out) < n {
		if len(out) > 1 && rng.IntN(3) == 0 {
			base := out[rng.IntN(len(out))]
			out = append(out, base+string(alphabet[rng.IntN(len(alphabet))]))
			continue
		}
		var b strings.Builder
		for range 1 + rng.IntN(5) {
			b.WriteByte(alphabet[rng.IntN(len(alphabet))])
		}
		out = append(out, b.String())
	}
	return out
}

// The ranks built from the root collation order printable ASCII strings as
// the collation does, on every pair of a thousand strings.
func TestBuildAgreesWithRoot(t *testing.T) {
	for _, tag := range []language.Tag{language.English, language.Und} {
		full := collate.New(tag)
		r, ok := ascii.Build(full.CompareString)
		if !ok {
			t.Fatalf("%v: the root order's assumptions do not hold", tag)
		}
		strs := randomASCII(1000)
		for _, a := range strs {
			for _, b := range strs {
				if got, want := r.Compare(a, b), cmp.Compare(full.CompareString(a, b), 0); got != want {
					t.Fatalf("%v: Compare(%q, %q) = %d, the collation says %d", tag, a, b, got, want)
				}
			}
		}
	}
}

// Collations that do not order ASCII as the root does are refused. (One
// that orders it by code units is not: its ranks, all distinct, are that
// order.)
func TestBuildRefuses(t *testing.T) {
	for _, tc := range []struct {
		name    string
		compare func(a, b string) int
	}{
		{"Czech (ch after h)", collate.New(language.Czech).CompareString},
		{"Danish (aa after z)", collate.New(language.Danish).CompareString},
		{"Lithuanian (y as i)", collate.New(language.Lithuanian).CompareString},
		{"numeric", collate.New(language.English, collate.Numeric).CompareString},
		{"punctuation ignored", collate.New(language.Make("en-u-ka-shifted")).CompareString},
		{"case ignored", collate.New(language.English, collate.IgnoreCase).CompareString},
		{"upper case first", func(a, b string) int {
			return -collate.New(language.English).CompareString(strings.ToLower(a), strings.ToLower(b))
		}},
		{"a character ignored", func(a, b string) int {
			return collate.New(language.English).CompareString(strings.ReplaceAll(a, "~", ""), strings.ReplaceAll(b, "~", ""))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, ok := ascii.Build(tc.compare); ok {
				t.Fatal("accepted")
			}
		})
	}
}

func TestCompare(t *testing.T) {
	r, ok := ascii.Build(collate.New(language.English).CompareString)
	if !ok {
		t.Fatal("no ranks")
	}
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"", "a", -1}, {"a", "A", -1}, {"A", "b", -1}, {"ab", "aB", -1}, {"aB", "Ab", -1},
		{"a-b", "ab", -1}, {"a b", "a-b", -1}, {"x10", "x9", -1}, {"abc", "ab", 1}, {"Zebra", "apple", 1},
		{"same", "same", 0}, {"_", "-", -1}, {"~", "z", -1},
	} {
		if got := r.Compare(tc.a, tc.b); got != tc.want {
			t.Errorf("Compare(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
	for _, tc := range []struct {
		s        string
		noDigits bool
		want     bool
	}{
		{"", false, true}, {"plain text ~!", false, true}, {"tab\t", false, false}, {"é", false, false},
		{"del\x7f", false, false}, {"x9", false, true}, {"x9", true, false},
	} {
		if got := ascii.Printable(tc.s, tc.noDigits); got != tc.want {
			t.Errorf("Printable(%q, %v) = %v", tc.s, tc.noDigits, got)
		}
	}
}
