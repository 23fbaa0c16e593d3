package value

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// refScanString is the byte-at-a-time reading of a string literal at s[i]
// that scanString must equal: the index past its closing quote, and
// whether a backslash came before it.
func refScanString(s string, i int) (int, bool) {
	escaped := false
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '"':
			return j + 1, escaped
		case '\\':
			escaped = true
			j++
		}
	}
	return len(s), escaped
}

// TestScanString checks the word-at-a-time scan against the byte loop on
// strings whose quotes, backslashes and multi-byte characters fall at every
// position of an eight-byte word, at every start, and unterminated ones.
func TestScanString(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	pieces := []string{"a", "b", `\"`, `\\`, `\n`, "é", "\u2028", "xyzw", `\u0041`, "\x00", "\xff"}
	for n := range 4000 {
		var b strings.Builder
		b.WriteString(strings.Repeat(" ", n%9))
		start := b.Len()
		b.WriteByte('"')
		for k := r.IntN(40); k > 0; k-- {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		if n%7 != 0 {
			b.WriteByte('"')
		}
		for k := r.IntN(12); k > 0; k-- {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		s := b.String()
		end, esc := scanString(s, start)
		wantEnd, wantEsc := refScanString(s, start)
		if end != wantEnd || esc != wantEsc {
			t.Fatalf("scanString(%q, %d) = %d, %v; want %d, %v", s, start, end, esc, wantEnd, wantEsc)
		}
	}
}

// TestStringNeedsEscape checks the word-at-a-time test against its
// definition (AppendJSON writes the string differently from the string in
// quotes) with each kind of byte at every position of a word.
func TestStringNeedsEscape(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	special := []string{"\"", "\\", "\x00", "\x1f", "\x7f", " ", "~", "é", "\u2028", "\xff", "\xed\xa0\x80", "𝄞"}
	for n := range 20000 {
		b := []byte(strings.Repeat("abcdefgh", 1+n%4)[:r.IntN(8*(1+n%4))+1])
		s := string(b)
		if n%3 != 0 {
			at := r.IntN(len(s) + 1)
			s = s[:at] + special[r.IntN(len(special))] + s[at:]
		}
		want := string(AppendJSON(nil, String(s))) != `"`+s+`"`
		if got := StringNeedsEscape(s); got != want {
			t.Fatalf("StringNeedsEscape(%q) = %v, want %v", s, got, want)
		}
	}
}
