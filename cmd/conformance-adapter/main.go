//go:build !js

// Command conformance-adapter lets the public Durable Streams client
// conformance suite drive the core/stream client.
//
// It speaks the suite's adapter protocol: one JSON command per line on
// stdin, exactly one JSON result per line on stdout, in order. Logs go to
// stderr. The runner starts it once for the whole run and sends "init"
// first and "shutdown" last:
//
//	make conformance CONFORMANCE_DIR=<checkout of durable-streams/durable-streams>
//
// Requests go over net/http through the nethttp transport.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/streamdb/streamdb/nethttp"
)

func main() {
	a := newAdapter(nethttp.New())
	if err := a.serve(context.Background(), os.Stdin, os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "conformance-adapter: %v\n", err)
		os.Exit(1)
	}
}
