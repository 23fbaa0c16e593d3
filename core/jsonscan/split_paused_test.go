package jsonscan

import (
	"bytes"
	"fmt"
	"testing"
)

// SplitItemsPaused finds the items SplitItems finds, pausing about once per
// megabyte.
func TestSplitItemsPaused(t *testing.T) {
	body := arrayOf(50_000, func(i int) string {
		return fmt.Sprintf(`{"key":"k%d","value":{"text":"an item with a [bracket] and a \"quote\", number %d"}}`, i, i)
	})
	want, err := SplitItems(nil, body)
	if err != nil {
		t.Fatal(err)
	}
	pauses := 0
	got, err := SplitItemsPaused(nil, body, func() { pauses++ })
	if err != nil || len(got) != len(want) {
		t.Fatalf("%d items, %v; want %d", len(got), err, len(want))
	}
	for i := range want {
		if !bytes.Equal(got[i], want[i]) {
			t.Fatalf("item %d: %s, want %s", i, got[i], want[i])
		}
	}
	if mb := len(body) >> 20; pauses < mb-1 || pauses > mb+1 {
		t.Fatalf("%d pauses for %d MB", pauses, mb)
	}
}

// arrayOf returns the JSON array of n items, item(i) the i-th one's text.
func arrayOf(n int, item func(i int) string) []byte {
	var b bytes.Buffer
	b.WriteByte('[')
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(item(i))
	}
	b.WriteByte(']')
	return b.Bytes()
}
