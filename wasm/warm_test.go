//go:build js && wasm

package main

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// The warm-up runs to its end: every query shape of warmQueries is one the
// engine takes (a shape it refused would stop the warm-up there and leave
// the rest cold).
func TestWarmUpRunsToTheEnd(t *testing.T) {
	b := newTestBridge(t)
	require.NoError(t, b.warmUp())
}
