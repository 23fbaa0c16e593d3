//go:build js && wasm

package testserver

import (
	"github.com/streamdb/streamdb/core/stream"
	"github.com/streamdb/streamdb/wasm/fetch"
)

// Transport returns the transport tests reach the server with: the
// browser's fetch under GOOS=js, net/http natively.
func Transport() stream.Transport { return fetch.New() }
