//go:build !js

package db_test

import (
	"github.com/streamdb/streamdb/core/stream"
	"github.com/streamdb/streamdb/nethttp"
)

// newTransport returns the transport the integration tests use: net/http
// natively, fetch in the browser (transport_js_test.go).
func newTransport() stream.Transport { return nethttp.New() }
