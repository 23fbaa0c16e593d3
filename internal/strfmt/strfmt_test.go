package strfmt

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"testing"
	"time"
)

type stringer struct{}

func (stringer) String() string { return "str\"ing" }

// Every verb and operand type the module's messages use, and the flags
// around them: Sprintf must print what fmt.Sprintf prints.
func TestSprintfAsFmt(t *testing.T) {
	err := errors.New("boom")
	cases := []struct {
		format string
		args   []any
	}{
		{"plain", nil},
		{"100%% sure", nil},
		{"%s and %s", []any{"a", "b"}},
		{"%q", []any{"a \"quoted\"\n\x00 é"}},
		{"%.80q", []any{string(make([]byte, 200))}},
		{"%.3q", []any{"héllo"}},
		{"%.20s", []any{[]byte("a long run of bytes, longer than twenty")}},
		{"%.40s", []any{[]byte("short")}},
		{"%.2s", []any{"日本語"}},
		{"%d %d %d %d", []any{0, -42, int64(math.MinInt64), uint64(math.MaxUint64)}},
		{"%d %d %d", []any{uint32(32), int32(-32), uint8(8)}},
		{"%016x %x %x", []any{uint64(0xdeadbeef), -255, uint8(255)}},
		{"%v %v %v %v %v %v", []any{1.5, 1e6, 1e21, 0.0001, 1e-5, math.Copysign(0, -1)}},
		{"%q", []any{[]string{"a", "b"}}},
		{"%s", []any{[]byte("bytes")}},
		{"%-4d|%4q|", []any{7, "x"}},
		{"%5d|%-5d|%05d", []any{42, 42, -42}},
		{"%q %q %q", []any{byte('a'), byte(0), byte(0xff)}},
		{"%c", []any{byte('x')}},
		{"%v %v %v", []any{math.Inf(1), math.Inf(-1), math.NaN()}},
		{"%v %v", []any{true, false}},
		{"%v %s %q", []any{err, err, err}},
		{"%v %s %q", []any{stringer{}, stringer{}, stringer{}}},
		{"%v", []any{2500 * time.Millisecond}},
		{"%v %s", []any{[]string{"a", "b"}, []string{}}},
		{"%v", []any{nil}},
		{"%s", []any{nil}},
		{"%d", []any{nil}},
		{"%d", []any{"str"}},
		{"%s", []any{}},
		{"%8s|%-8s|", []any{"ab", "cd"}},
	}
	for _, c := range cases {
		want := fmt.Sprintf(c.format, c.args...)
		if got := Sprintf(c.format, c.args...); got != want {
			t.Errorf("Sprintf(%q, %v) = %q, fmt gives %q", c.format, c.args, got, want)
		}
	}
}

// An operand fmt prints through reflection is marked, not dropped.
func TestUnsupportedOperand(t *testing.T) {
	type point struct{ X, Y int }
	if got, want := Sprintf("at %v.", point{1, 2}), "at %!v(unsupported)."; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got, want := Sprintf("%s", 1, 2), "%!s(unsupported)%!(EXTRA ?=2)"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	// Flags and verbs our messages do not use.
	if got, want := Sprintf("%+d %X %e", 1, 2, 3.0), "%!+(unsupported)d %!X(unsupported) %!e(unsupported)"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestErrorfWraps(t *testing.T) {
	e := Errorf("read %q: %w", "x", io.EOF)
	if got, want := e.Error(), fmt.Errorf("read %q: %w", "x", io.EOF).Error(); got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if !errors.Is(e, io.EOF) || errors.Unwrap(e) != io.EOF {
		t.Errorf("%v does not wrap io.EOF", e)
	}

	two := Errorf("%w: %w", fs.ErrNotExist, io.EOF)
	if got, want := two.Error(), "file does not exist: EOF"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if !errors.Is(two, fs.ErrNotExist) || !errors.Is(two, io.EOF) {
		t.Errorf("%v does not wrap both", two)
	}
	var pe *fs.PathError
	deep := Errorf("outer: %w", Errorf("inner: %w", &fs.PathError{Op: "open", Path: "p", Err: fs.ErrPermission}))
	if !errors.As(deep, &pe) || !errors.Is(deep, fs.ErrPermission) {
		t.Errorf("errors.As through two wraps failed for %v", deep)
	}

	plain := Errorf("no wrap %d", 3)
	if plain.Error() != "no wrap 3" || errors.Unwrap(plain) != nil {
		t.Errorf("plain = %v, unwraps to %v", plain, errors.Unwrap(plain))
	}
	// %w with something that is not an error: fmt's mark, nothing wrapped.
	notErr := any("s")
	if got, want := Errorf("x %w", notErr).Error(), "x %!w(string=s)"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	// Sprintf does not wrap: %w is a bad verb there, as in fmt.
	if got, want := Sprintf("x %w", io.EOF), "x %!w(unsupported)"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestAppendf(t *testing.T) {
	if got := string(Appendf([]byte("a"), "-%d", 1)); got != "a-1" {
		t.Errorf("got %q", got)
	}
}
