package faults

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

func TestArray(t *testing.T) {
	for _, n := range []int{0, 1, 2, 1000} {
		b, err := io.ReadAll(Array(n, func(dst []byte, i int) []byte { return fmt.Appendf(dst, `{"i":%d}`, i) }))
		if err != nil {
			t.Fatal(err)
		}
		var items []struct{ I int }
		if err := json.Unmarshal(b, &items); err != nil || len(items) != n {
			t.Fatalf("n=%d: %d items, %v: %.80s", n, len(items), err, b)
		}
		for i, it := range items {
			if it.I != i {
				t.Fatalf("n=%d: item %d is %d", n, i, it.I)
			}
		}
	}
}

func TestCut(t *testing.T) {
	b, err := io.ReadAll(Cut(io.NopCloser(strings.NewReader("0123456789")), 4))
	if string(b) != "0123" || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("%q, %v", b, err)
	}
}
