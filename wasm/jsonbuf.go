//go:build js && wasm

package main

import "unsafe"

// The answers that carry many rows to JS (a collection's rows, a step) are
// built by core/jswire as one JSON text in a buffer sized once from an
// estimate, and a first result in pieces of one reused buffer
// (answerInPieces); handing the bytes over without the copy string(buf)
// makes keeps such an answer to one allocation of its size instead of
// about four (the doublings of append, then the copy): it is the wasm
// memory's high-water mark that counts, since it never shrinks.

// handOver returns buf's bytes as a string without copying them; buf must
// not be written while the string is in use. The string only lives until
// the bridge has copied it into a JS string.
func handOver(buf []byte) string {
	return unsafe.String(unsafe.SliceData(buf), len(buf))
}
