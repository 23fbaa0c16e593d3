package jsonscan

import (
	"bytes"
	"fmt"
	"testing"
)

// SplitItemsPaused finds the items SplitItems finds, pausing about once per
// megabyte.
func TestSplitItemsPaused(t *testing.T) {
	var b bytes.Buffer
	b.WriteByte('[')
	for i := range 50_000 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"key":"k%d","value":{"text":"an item with a [bracket] and a \"quote\", number %d"}}`, i, i)
	}
	b.WriteByte(']')
	want, err := SplitItems(nil, b.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	pauses := 0
	got, err := SplitItemsPaused(nil, b.Bytes(), func() { pauses++ })
	if err != nil || len(got) != len(want) {
		t.Fatalf("%d items, %v; want %d", len(got), err, len(want))
	}
	for i := range want {
		if !bytes.Equal(got[i], want[i]) {
			t.Fatalf("item %d: %s, want %s", i, got[i], want[i])
		}
	}
	if mb := b.Len() >> 20; pauses < mb-1 || pauses > mb+1 {
		t.Fatalf("%d pauses for %d MB", pauses, mb)
	}
}
