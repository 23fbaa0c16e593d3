package jsonscan

import (
	"bytes"
	"fmt"
	"testing"
)

// scanPieces feeds b to an ItemScanner in pieces of the given sizes (the
// last one repeated), keeping only what Scan says to keep, as a reader of
// a body does. Items come back copied: the buffer they were in is reused.
func scanPieces(b []byte, sizes []int) ([][]byte, error) {
	var (
		s     ItemScanner
		buf   []byte
		items [][]byte
	)
	for k := 0; len(b) > 0; k++ {
		n := min(sizes[min(k, len(sizes)-1)], len(b))
		buf = append(buf, b[:n]...)
		b = b[n:]
		got, keep, err := s.Scan(nil, buf)
		for _, it := range got {
			if it != nil {
				it = bytes.Clone(it)
			}
			items = append(items, it)
		}
		if err != nil {
			return items, err
		}
		buf = append(buf[:0], buf[keep:]...)
	}
	return items, s.End()
}

// ItemScanner finds the items SplitItems finds and fails where it fails,
// however the input is cut.
func TestItemScannerPieces(t *testing.T) {
	for _, in := range []string{
		`[]`, ` [ ] `, `[1]`, `[1,2,3]`, ` [ 1 , "a,b" , {"x":[1,2]} ] `, `[1,]`, `[,]`, `[1,,2]`,
		`["\"]",{"a":"\\"}]`, `[{"a":"}"},[["]"]]]`, "[\n\t1\r\n]\n",
		`[1`, `[1,2`, `["abc`, `["a\`, `[1]x`, `x`, ``, `  `, `{}`, `[}`, `[1}]`, `[1] [2]`,
	} {
		want, wantErr := SplitItems(nil, []byte(in))
		for _, sizes := range [][]int{{len(in) + 1}, {1}, {2}, {3, 1}, {5, 2, 7}} {
			got, err := scanPieces([]byte(in), sizes)
			if (err != nil) != (wantErr != nil) {
				t.Fatalf("%q in pieces %v: error %v, SplitItems %v", in, sizes, err, wantErr)
			}
			if err == nil && fmt.Sprintf("%q", got) != fmt.Sprintf("%q", want) {
				t.Fatalf("%q in pieces %v: %q, SplitItems %q", in, sizes, got, want)
			}
		}
	}
}

// An item dropped while open still counts and comes back nil; the items
// around it come back whole, and nothing of it is kept.
func TestItemScannerDrop(t *testing.T) {
	in := []byte(`[1,{"big":"` + string(bytes.Repeat([]byte("x"), 1000)) + `"},3]`)
	var (
		s     ItemScanner
		buf   []byte
		items []string
	)
	for len(in) > 0 {
		n := min(64, len(in))
		buf = append(buf, in[:n]...)
		in = in[n:]
		got, keep, err := s.Scan(nil, buf)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range got {
			if it == nil {
				items = append(items, "<dropped>")
			} else {
				items = append(items, string(it))
			}
		}
		buf = append(buf[:0], buf[keep:]...)
		if open := s.Open(buf); open > 100 {
			s.Drop(buf)
			buf = buf[:0]
		}
		if len(buf) > 200 {
			t.Fatalf("kept %d bytes of a dropped item", len(buf))
		}
	}
	if err := s.End(); err != nil {
		t.Fatal(err)
	}
	if want := "[1 <dropped> 3]"; fmt.Sprint(items) != want || s.Items() != 3 {
		t.Fatalf("items %v (%d), want %s (3)", items, s.Items(), want)
	}
}

// FuzzItemScanner checks the scanner against SplitItems on the whole input,
// cut at a fuzzed size.
func FuzzItemScanner(f *testing.F) {
	for _, s := range []string{`[1,"a\"]",{"b":[2]}]`, `[1,,2]`, ` [ ] `, `["\\"]`, `[1]x`} {
		f.Add([]byte(s), uint8(3))
	}
	f.Fuzz(func(t *testing.T, b []byte, size uint8) {
		want, wantErr := SplitItems(nil, b)
		got, err := scanPieces(b, []int{int(size%16) + 1, int(size/16) + 1})
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("%q: error %v, SplitItems %v", b, err, wantErr)
		}
		if err == nil && fmt.Sprintf("%q", got) != fmt.Sprintf("%q", want) {
			t.Fatalf("%q: %q, SplitItems %q", b, got, want)
		}
	})
}
