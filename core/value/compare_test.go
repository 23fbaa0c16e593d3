package value

import (
	"math"
	"slices"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/stretchr/testify/assert"
)

// utf16Compare is the reference: compare code units.
func utf16Compare(a, b string) int {
	return slices.Compare(utf16.Encode([]rune(a)), utf16.Encode([]rune(b)))
}

func TestLexical(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"a", "b", -1},
		{"b", "a", 1},
		{"a", "ab", -1},
		{"B", "a", -1},
		{"é", "z", 1},
		{"\uE000", "😀", 1}, // Go byte order says -1: UTF-16 puts the surrogate pair first
		{"\uFFFD", "\U0010FFFF", 1},
		{"😀", "\uFFFF", -1},
		{"x😀", "x\uE000", -1},
		{"\uD7FF", "😀", -1},
		{"😀", "😁", -1},
		{"ab😀c", "ab😀d", -1},
		{"日本", "日本語", -1},
	}
	for _, tt := range tests {
		t.Run(tt.a+"|"+tt.b, func(t *testing.T) {
			assert.Equal(t, tt.want, Lexical(tt.a, tt.b))
			assert.Equal(t, -tt.want, Lexical(tt.b, tt.a))
			assert.Equal(t, tt.want, CompareKeys(tt.a, tt.b))
			assert.Equal(t, utf16Compare(tt.a, tt.b), tt.want)
		})
	}
	assert.Equal(t, -1, strings.Compare("\uE000", "😀"), "Go's native order differs")
}

// Lone surrogates (their WTF-8 form, as jsonscan.Unquote keeps them) order
// by their code unit, as JavaScript's < orders "\ud800" and friends.
func TestLexicalLoneSurrogates(t *testing.T) {
	const (
		d800 = "\xed\xa0\x80" // \ud800
		d83d = "\xed\xa0\xbd" // \ud83d, the first half of 😀 (\ud83d\ude00)
		dc00 = "\xed\xb0\x80" // \udc00
	)
	tests := []struct {
		a, b string
		want int
	}{
		{d800, d800, 0},
		{d800, dc00, -1},
		{"\uD7FF", d800, -1},
		{d800, "\uE000", -1},
		{dc00, "\uFFFD", -1},
		{d800, "😀", -1},
		{dc00, "😀", 1},
		{d83d, "😀", -1},
		{d83d + "x", "😀", -1},
		{d83d + "\xed\xb8\x80", "😀", 0}, // the two halves, each lone: the same code units
		{"a" + d800, "a\uFFFD", -1},
		{"\xff", d800, 1}, // a byte that is not UTF-8 is U+FFFD
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, Lexical(tt.a, tt.b), "%q < %q", tt.a, tt.b)
		assert.Equal(t, -tt.want, Lexical(tt.b, tt.a), "%q > %q", tt.a, tt.b)
	}
}

func FuzzLexical(f *testing.F) {
	f.Add("a", "b")
	f.Add("\uE000", "😀")
	// differences after a common prefix of whole words, inside a character
	f.Add("abcdefgé", "abcdefgè")
	f.Add(`["m48213","u7731"]`, `["m48213","u7732"]`)
	f.Add("0123456789abcde\uE000", "0123456789abcde😀")
	f.Fuzz(func(t *testing.T, a, b string) {
		if !utf8Valid(a) || !utf8Valid(b) {
			return
		}
		if got, want := Lexical(a, b), utf16Compare(a, b); got != want {
			t.Fatalf("Lexical(%q, %q) = %d, want %d", a, b, got, want)
		}
	})
}

func utf8Valid(s string) bool { return strings.ToValidUTF8(s, "\uFFFD") == s }

func TestCompare(t *testing.T) {
	nan := Number(math.NaN())
	tests := []struct {
		name string
		a, b Value
		want int
	}{
		{"numbers", Number(1), Number(2), -1},
		{"numbers equal", Number(1), MustParse("1.0"), 0},
		{"-0", Number(math.Copysign(0, -1)), Number(0), 0},
		{"NaN largest", nan, Number(math.Inf(1)), 1},
		{"NaN vs number", Number(-1), nan, -1},
		{"NaN equal", nan, nan, 0},
		{"strings", String("a"), String("b"), -1},
		{"strings utf16", String("\uE000"), String("😀"), 1},
		{"bools", Bool(false), Bool(true), -1},
		{"bools equal", Bool(true), Bool(true), 0},
		{"arrays elementwise", MustParse(`[1,"b"]`), MustParse(`[1,"a",0]`), 1},
		{"arrays prefix", MustParse(`[1,2]`), MustParse(`[1,2,3]`), -1},
		{"arrays equal", MustParse(`[1,[2]]`), MustParse(`[1.0,[2]]`), 0},
		{"arrays empty", MustParse(`[]`), MustParse(`[null]`), -1},
		{"arrays numbers by value", MustParse(`[10]`), MustParse(`[9]`), 1},
		{"objects by text", MustParse(`{"a":1}`), MustParse(`{"a":2}`), -1},
		{"kinds: bool < number", Bool(true), Number(0), -1},
		{"kinds: number < string", Number(9), String("1"), -1},
		{"kinds: string < array", String("z"), MustParse(`[]`), -1},
		{"kinds: array < object", MustParse(`[]`), MustParse(`{}`), -1},
		{"kinds: undefined < null", Undefined(), Null(), -1},
		{"kinds: null < bool", Null(), Bool(false), -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, Compare(tt.a, tt.b, nil))
			assert.Equal(t, -tt.want, Compare(tt.b, tt.a, Lexical))
		})
	}
	rev := func(a, b string) int { return -Lexical(a, b) }
	assert.Equal(t, 1, Compare(String("a"), String("b"), rev))
	assert.Equal(t, 1, Compare(MustParse(`["a"]`), MustParse(`["b"]`), rev))
}
