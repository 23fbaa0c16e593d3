//go:build js && wasm

package main

import (
	"unsafe"

	"github.com/streamdb/streamdb/core/value"
)

// The answers that carry many rows to JS (a first result, a collection's
// rows, a step) are built as one JSON text. Sizing the buffer once from an
// estimate, and handing the bytes over without the copy string(buf) makes,
// keeps such an answer to one allocation of its size instead of about
// four (the doublings of append, then the copy): it is the wasm memory's
// high-water mark that counts, since it never shrinks.

// jsonSize estimates the length of v's JSON text: exact for arrays and
// objects (held as their text), close for the rest (escapes not counted).
func jsonSize(v value.Value) int {
	switch v.Kind() {
	case value.KindArray, value.KindObject:
		return len(v.JSON())
	case value.KindString:
		s, _ := v.Str()
		return len(s) + 2
	case value.KindNumber:
		return 24
	}
	return 5
}

// handOver returns buf's bytes as a string without copying them; buf must
// not be written again. The string only lives until the bridge has copied
// it into a JS string.
func handOver(buf []byte) string {
	return unsafe.String(unsafe.SliceData(buf), len(buf))
}
