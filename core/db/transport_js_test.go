//go:build js && wasm

package db_test

import (
	"github.com/streamdb/streamdb/core/stream"
	"github.com/streamdb/streamdb/wasm/fetch"
)

// newTransport returns the transport the integration tests use: fetch in
// the browser, net/http natively (transport_native_test.go).
func newTransport() stream.Transport { return fetch.New() }
