package jsonscan

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkSplitItems splits a body of state events like a stream's. (A
// word-at-a-time search for the structural bytes measured 40% slower in
// wasm: they come every few bytes, and each costs a call.)
func BenchmarkSplitItems(b *testing.B) {
	var sb strings.Builder
	sb.WriteByte('[')
	for i := range 20000 {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, `{"type":"message","key":"m%d","value":{"id":"m%d","userId":"u%d","text":"message number %d","ts":%d},"headers":{"operation":"insert"}}`, i, i, i/10, i, 1700000000000+i)
	}
	sb.WriteByte(']')
	body := []byte(sb.String())
	items := make([][]byte, 0, 20000)
	b.SetBytes(int64(len(body)))
	b.ResetTimer()
	for range b.N {
		var err error
		if items, err = SplitItems(items[:0], body); err != nil {
			b.Fatal(err)
		}
	}
}
