//go:build !js

package testserver

import (
	"github.com/streamdb/streamdb/core/stream"
	"github.com/streamdb/streamdb/nethttp"
)

// Transport returns the transport tests reach the server with: net/http
// natively, the browser's fetch under GOOS=js.
func Transport() stream.Transport { return nethttp.New() }
