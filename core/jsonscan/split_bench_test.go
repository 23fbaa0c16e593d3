package jsonscan

import (
	"fmt"
	"testing"
)

// BenchmarkSplitItems splits a body of state events like a stream's. (A
// word-at-a-time search for the structural bytes measured 40% slower in
// wasm: they come every few bytes, and each costs a call.)
func BenchmarkSplitItems(b *testing.B) {
	body := arrayOf(20000, func(i int) string {
		return fmt.Sprintf(`{"type":"message","key":"m%d","value":{"id":"m%d","userId":"u%d","text":"message number %d","ts":%d},"headers":{"operation":"insert"}}`, i, i, i/10, i, 1700000000000+i)
	})
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
