//go:build js && wasm

package main

import (
	"context"
	"errors"

	"github.com/streamdb/streamdb/core/db"
	"github.com/streamdb/streamdb/core/stream"
	"github.com/streamdb/streamdb/wasm/internal/jsval"
)

// The WebSocket gateway's client (live: 'websocket') is only in the second
// build (build tag streamdb_ws, dist/streamdb-ws.wasm, loaded by the
// package's ./websocket entry), which sets these hooks; the default build
// links neither it nor net/http, and leaves them nil (the shim tells the
// user which entry to import before it gets here).
var (
	// gatewaySource reads the stream at streamURL through the gateway.
	gatewaySource func(gateway, streamURL string) (db.Source, error)
	// gatewayAppend is an append over the gateway's socket: values (JSON
	// values) in one request, each one message.
	gatewayAppend func(ctx context.Context, gateway, url string, values [][]byte, h stream.Header) (runFunc, error)
)

var errNoGateway = errors.New("this build of the module has no WebSocket client")

// registerGateway adds websocket() → bool: whether this build can follow
// a stream through a gateway.
func (b *bridge) registerGateway() error {
	return b.export("websocket", func([]jsval.Value) (any, error) { return gatewaySource != nil, nil })
}
