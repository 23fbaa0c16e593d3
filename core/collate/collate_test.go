package collate

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
)

func TestNewErrors(t *testing.T) {
	for _, tt := range []struct {
		locale string
		o      Options
	}{
		{"not a locale!", Options{}},
		{"", Options{Sensitivity: "loose"}},
		{"", Options{CaseFirst: "first"}},
	} {
		if _, err := New(tt.locale, tt.o); err == nil {
			t.Errorf("New(%q, %+v) accepted", tt.locale, tt.o)
		}
	}
	for _, locale := range []string{"", "en", "en-US", "de", "sv", "fr-CA", "ja", "zh-Hant", "xx"} {
		if _, err := New(locale, Options{}); err != nil {
			t.Errorf("New(%q): %v", locale, err)
		}
	}
}

// TestOrder pins a few orders JavaScript's localeCompare gives (en-US).
func TestOrder(t *testing.T) {
	tests := []struct {
		o    Options
		want []string
	}{
		{Options{}, []string{"", " ", "_", "-", ",", "!", "@", "$", "0", "1", "10", "2", "a", "A", "á", "Á", "ab", "aB", "Ab", "b", "z", "Ω"}},
		{Options{Numeric: true}, []string{"a1", "a2", "a10", "a10b", "a100", "b"}},
		{Options{CaseFirst: "upper"}, []string{"A", "a", "AB", "Ab", "aB", "ab", "B", "b"}},
	}
	for _, tt := range tests {
		coll, err := New("", tt.o)
		if err != nil {
			t.Fatal(err)
		}
		for i := 1; i < len(tt.want); i++ {
			if coll(tt.want[i-1], tt.want[i]) >= 0 || coll(tt.want[i], tt.want[i-1]) <= 0 {
				t.Errorf("%+v: %q should sort before %q", tt.o, tt.want[i-1], tt.want[i])
			}
		}
	}
	base, _ := New("", Options{Sensitivity: "base"})
	accent, _ := New("", Options{Sensitivity: "accent"})
	caseS, _ := New("", Options{Sensitivity: "case"})
	for _, tt := range []struct {
		a, b              string
		base, accent, cas int
	}{
		{"a", "A", 0, 0, -1},
		{"a", "á", 0, -1, 0},
		{"a", "b", -1, -1, -1},
		{"ab", "AB", 0, 0, -1},
		{"résumé", "RESUME", 0, 1, -1},
	} {
		if got := sgn(base(tt.a, tt.b)); got != tt.base {
			t.Errorf("base(%q, %q) = %d", tt.a, tt.b, got)
		}
		if got := sgn(accent(tt.a, tt.b)); got != tt.accent {
			t.Errorf("accent(%q, %q) = %d", tt.a, tt.b, got)
		}
		if got := sgn(caseS(tt.a, tt.b)); got != tt.cas {
			t.Errorf("case(%q, %q) = %d", tt.a, tt.b, got)
		}
	}
}

func sgn(x int) int { return sign(x) }

// asciiStrings returns every printable ASCII string of one and two
// characters and n random ones up to 8 long.
func asciiStrings(n int) []string {
	var out []string
	for c := 0x20; c < 0x7F; c++ {
		out = append(out, string(rune(c)))
	}
	for c := 0x20; c < 0x7F; c += 3 {
		for d := 0x20; d < 0x7F; d += 2 {
			out = append(out, string(rune(c))+string(rune(d)))
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := "aAbBzZ09 -_.,!@$€" // € is not ASCII: the slow path
	alphabet = alphabet[:len(alphabet)-len("€")]
	for range n {
		var b strings.Builder
		for k := r.IntN(8); k >= 0; k-- {
			if r.IntN(4) == 0 {
				b.WriteByte(byte(0x20 + r.IntN(95)))
			} else {
				b.WriteByte(alphabet[r.IntN(len(alphabet))])
			}
		}
		out = append(out, b.String())
	}
	return out
}

// TestASCIIFastPath checks the ASCII fast path against x/text's full
// comparison on every pair of a few thousand strings.
func TestASCIIFastPath(t *testing.T) {
	if !asciiRanks() {
		t.Fatal("the ASCII fast path's assumptions do not hold for x/text's tables")
	}
	strs := asciiStrings(1500)
	for _, o := range []Options{{}, {Sensitivity: "base"}, {Sensitivity: "accent"}, {Sensitivity: "case"},
		{CaseFirst: "upper"}, {CaseFirst: "lower"}, {Numeric: true}, {Sensitivity: "case", CaseFirst: "upper"}} {
		fast, err := newCollator("", o)
		if err != nil {
			t.Fatal(err)
		}
		if !fast.fast {
			t.Fatalf("%+v: no fast path", o)
		}
		slow, _ := newCollator("", o)
		slow.fast = false
		bad := 0
		for i, a := range strs {
			for _, b := range strs[max(0, i-40) : i+1] {
				if f, s := sgn(fast.compare(a, b)), sgn(slow.compare(a, b)); f != s {
					bad++
					if bad < 10 {
						t.Errorf("%+v: fast(%q, %q) = %d, x/text %d", o, a, b, f, s)
					}
				}
			}
		}
		// Sorting a shuffled list gives the same order both ways.
		x := slices.Clone(strs)
		y := slices.Clone(strs)
		slices.SortStableFunc(x, fast.compare)
		slices.SortStableFunc(y, slow.compare)
		for i := range x {
			if fast.compare(x[i], y[i]) != 0 {
				t.Errorf("%+v: sorted lists differ at %d: %q / %q", o, i, x[i], y[i])
				break
			}
		}
	}
	for _, locale := range []string{"de", "sv", "tr", "da", "en-u-kn-true", "cs"} {
		c, _ := newCollator(locale, Options{})
		if c.fast {
			t.Errorf("%s uses the ASCII fast path", locale)
		}
	}
	c, _ := newCollator("", Options{IgnorePunctuation: true})
	if c.fast {
		t.Error("ignorePunctuation uses the ASCII fast path")
	}
}

func TestConcurrent(t *testing.T) {
	coll, _ := New("", Options{CaseFirst: "upper"})
	want := coll("résumé", "Resume")
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 2000 {
				a := fmt.Sprintf("résumé%d", i%7)
				if coll(a[:len("résumé")], "Resume") != want {
					t.Errorf("goroutine %d: result changed", g)
					return
				}
				coll(a, "Ω"+a)
			}
		}()
	}
	wg.Wait()
}

func TestNumericForm(t *testing.T) {
	for in, want := range map[string]string{
		"":           "",
		"abc":        "abc",
		"a1":         "a001",
		"a0":         "a000",
		"a007":       "a007",
		"10":         "0110",
		"1234567890": "090" + "1234567890",
		"x٣y":        "x003y",
		"１２":         "0112",
		"1.5":        "001.005",
	} {
		if got := numericForm(in); got != want {
			t.Errorf("numericForm(%q) = %q, want %q", in, got, want)
		}
	}
	if got := scriptDigitsToASCII("a٣b१２"); got != "a3b1２" {
		t.Errorf("scriptDigitsToASCII = %q", got)
	}
}

func BenchmarkCompareASCII(b *testing.B) {
	coll, _ := New("", Options{})
	pairs := [][2]string{{"alice", "bob"}, {"Alice Smith", "alice smith"}, {"item 10", "item 9"}, {"zeta", "Zeta"}}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		p := pairs[i&3]
		coll(p[0], p[1])
		i++
	}
}

func BenchmarkCompareASCIISlow(b *testing.B) {
	c, _ := newCollator("", Options{})
	c.fast = false
	pairs := [][2]string{{"alice", "bob"}, {"Alice Smith", "alice smith"}, {"item 10", "item 9"}, {"zeta", "Zeta"}}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		p := pairs[i&3]
		c.compare(p[0], p[1])
		i++
	}
}

func BenchmarkCompareUnicode(b *testing.B) {
	coll, _ := New("", Options{})
	pairs := [][2]string{{"résumé", "resume"}, {"Zoë", "zoe"}, {"日本語", "中文"}, {"straße", "strasse"}}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		p := pairs[i&3]
		coll(p[0], p[1])
		i++
	}
}

// TestNewCharsTable checks the generated table: sorted, disjoint, no ASCII
// (the fast path and the ASCII skip in rewriteNew rely on that), ranks
// within the rank code points.
func TestNewCharsTable(t *testing.T) {
	for i, e := range newChars {
		if e.lo > e.hi || e.lo < 0x80 || (i > 0 && e.lo <= newChars[i-1].hi) {
			t.Fatalf("entry %d %+v is out of order or ASCII", i, e)
		}
		if e.rank >= 0 && rankBase+e.rank+(e.hi-e.lo) > 0xEFFFF {
			t.Fatalf("entry %d %+v: rank out of plane 14", i, e)
		}
	}
	for _, tt := range []struct{ a, b string }{
		{"🗿", "🤣"}, {"🤣", "🥰"}, {"🤣", "a"}, {"🗿z", "🤣c"}, {"x\u2066", "x"},
	} {
		c, _ := New("", Options{})
		if tt.a == "x\u2066" {
			if c(tt.a, tt.b) != 0 {
				t.Errorf("an ignorable new character counts: %q vs %q", tt.a, tt.b)
			}
			continue
		}
		if c(tt.a, tt.b) >= 0 {
			t.Errorf("%q should sort before %q", tt.a, tt.b)
		}
	}
}
