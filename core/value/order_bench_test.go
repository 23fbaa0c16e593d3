package value

import (
	"strconv"
	"strings"
	"testing"
)

// The benchmarks of the sorts by position (positions): object keys out of
// order, a patch adding array-index keys, an object of more than 16 keys.

func BenchmarkBuildUnsorted(b *testing.B) {
	var ob ObjectBuilder
	b.ReportAllocs()
	for b.Loop() {
		ob.Reset()
		for _, k := range []string{"b", "3", "a", "1", "c", "2", "10", "d"} {
			ob.Add(k, Number(1))
		}
		sink = ob.Build()
	}
}

func BenchmarkMergeNewIndex(b *testing.B) {
	row := MustParse(`{"a":1,"b":2,"5":3,"c":4}`)
	patch := MustParse(`{"2":17,"z":true,"0":1}`)
	b.ReportAllocs()
	for b.Loop() {
		sink = Merge(row, patch)
	}
}

func BenchmarkParseManyKeys(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(`{`)
	for i := 40; i > 0; i-- {
		if i < 40 {
			sb.WriteString(",")
		}
		sb.WriteString(`"k` + strconv.Itoa(i) + `":` + strconv.Itoa(i))
	}
	sb.WriteString(`,"3":1,"k5":2}`)
	src := []byte(sb.String())
	b.ReportAllocs()
	for b.Loop() {
		sink, _ = Parse(src)
	}
}
