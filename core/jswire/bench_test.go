package jswire_test

import (
	"strconv"
	"testing"

	"github.com/streamdb/streamdb/core/jswire"
	"github.com/streamdb/streamdb/core/value"
)

// benchRows are 10,000 rows of 4 fields.
func benchRows() ([]string, []value.Value) {
	keys := make([]string, 10_000)
	rows := make([]value.Value, len(keys))
	for i := range keys {
		keys[i] = "u" + strconv.Itoa(i)
		v, err := value.ParseString(`{"id":"` + keys[i] + `","name":"user ` + strconv.Itoa(i) + `","team":` + strconv.Itoa(i%100) + `,"active":true}`)
		if err != nil {
			panic(err)
		}
		rows[i] = v
	}
	return keys, rows
}

// BenchmarkCollectionRows writes a collection's rows (collRows), without
// the virtual fields.
func BenchmarkCollectionRows(b *testing.B) {
	keys, rows := benchRows()
	rng := func(fn func(string, value.Value) bool) {
		for i, k := range keys {
			if !fn(k, rows[i]) {
				return
			}
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		jswire.CollectionRows(rng)
	}
}

// BenchmarkQueryOpened writes a first result, without the virtual fields.
func BenchmarkQueryOpened(b *testing.B) {
	keys, rows := benchRows()
	rng := func(fn func(k, v value.Value) bool) {
		for i, k := range keys {
			if !fn(value.String(k), rows[i]) {
				return
			}
		}
	}
	p := &jswire.Pieces{Size: 1 << 20, Emit: func([]byte) {}}
	b.ReportAllocs()
	for b.Loop() {
		jswire.QueryOpened(1, false, false, true, rng, p)
	}
}
