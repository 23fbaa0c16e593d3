package ivm

import (
	"testing"

	"github.com/streamdb/streamdb/core/value"
)

var keysSink []byte

// BenchmarkAppendStable: the stable text of an object-valued key (its
// fields sorted by sortedFields).
func BenchmarkAppendStable(b *testing.B) {
	v := value.MustParse(`{"z":1,"y":{"q":1,"b":[1,{"x":2,"a":3}]},"m":"s","a":true,"k":null,"c":2.5}`)
	b.ReportAllocs()
	for b.Loop() {
		keysSink = appendStable(keysSink[:0], v)
	}
}
