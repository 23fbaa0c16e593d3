//go:build js && wasm

// Command streamdb is the bridge: the program compiled to
// dist/streamdb.wasm and loaded by the JS shim. It exposes the core to
// JavaScript as one API object, through wasm/internal/jsval, and
// does marshalling and scheduling only.
//
// Loading contract (js/wasm.js is the loader): the loader sets
// go.argv = ["streamdb", key] and defines globalThis[key] as a function;
// main builds the API object and calls globalThis[key](api), which may
// return the page's helpers (js/wasm.js: {collation, request}; see
// newJSCompare and fetch.Transport's Helper).
// Without a key it sets globalThis.streamdb = api. main then blocks until JS calls
// api.shutdown(), which releases every exported function and lets the
// program exit.
//
// The API object's methods, every one of them (TestExportsDocumented
// checks this list against the object). The JSON texts they take and
// return are core/jswire's wire format; "→ Promise" marks the asynchronous
// ones.
//
// The module and the Durable Streams client (core/stream):
//
//	version() → string
//	shutdown()
//	warmUp() → Promise (see warm.go)
//	crash(message)
//	create(url, {contentType, ttlSeconds, closed, headers}) → Promise<{created, status, offset, closed}>
//	append(url, data, {contentType, headers, signal, retry, onRetry}) → Promise<{offset}>
//	head(url, {headers}) → Promise<{contentType, offset, closed}>
//	read(url, {offset, live, maxBatches, headers, signal}, onBatch?) → Promise<{offset, upToDate, closed, cursor, contentType}>
//
// StreamDB databases (core/db), by handle:
//
//	dbOpen(config, onStep, onError?, onProgress?, onBatch?, onConnection?, refresh?, store?) → handle
//	dbPreload(handle) → Promise
//	dbOffset(handle) → offset
//	dbFollow(handle, names)
//	dbClose(handle)
//	dbRelease(handle)
//	collGet(handle, collection, key) → row text or undefined
//	collHas(handle, collection, key) → bool
//	collSize(handle, collection) → number
//	collRows(handle, collection) → rows text
//	queryOpen(handle, ir, runner?, n?, id?, keys?) → first result text (runner:
//	  the query's n callbacks, js/fn.js; id: the live query's, for
//	  virtualProps; keys: false leaves the result's keys out)
//	queryKeys(handle, query) → the result's keys text
//	queryClose(handle, query)
//	txBegin(handle, {txid}) → transaction
//	txMutate(handle, transaction, operation, collection, key, value)
//	txRollback(handle, transaction)
//	txInfo(handle, transaction) → transaction text
//	txCommit(handle, transaction, persist) → Promise
//	awaitTxId(handle, txid, timeoutMs) → Promise
//	dbSave(handle) → Promise<snapshot info text> (persist: a snapshot now)
//
// Local collections (createCollection; see local.go): a database that reads
// no stream, read with the calls above, and its mirrors in StreamDBs:
//
//	localOpen(onStep, onError) → handle
//	localAdd(handle, collection)
//	localSync(handle, collection, truncate, writes)
//	dbMirror(handle, local, collection, as)
//	websocket() → bool (whether this build follows streams through a gateway)
//
// Failures return (synchronous calls) or reject with (asynchronous ones)
// an Error whose message is the Go error text, named and given properties
// as the wire format says.
package main

import (
	"context"
	"os"

	"github.com/streamdb/streamdb/core/stream"
	"github.com/streamdb/streamdb/wasm/fetch"
	"github.com/streamdb/streamdb/wasm/internal/jsval"
)

// version is the module version reported by api.version(). `make build`
// sets it to package.json's version (-ldflags "-X main.version=..."), and
// the JS loader (js/wasm.js) refuses a module whose version is not its
// own: a module built another way says "dev" and is refused.
var version = "dev"

func main() {
	retry := stream.DefaultRetryPolicy()
	transport := fetch.New()
	client, err := stream.NewClient(transport, stream.Options{Retry: &retry})
	if err != nil {
		fail(err)
	}
	b, err := newStreamDB(client)
	if err != nil {
		fail(err)
	}
	if err := b.publish(os.Args[1:]); err != nil {
		b.shutdown()
		fail(err)
	}
	// No request was made yet: JS gets to call the API only once main
	// waits below.
	if fn, err := b.helpers.Get("request"); err == nil && fn.Type() == jsval.TypeFunction {
		transport.Helper = fn
	}
	<-b.Done()
}

// fail reports an error that keeps the module from starting and exits.
func fail(err error) {
	println("streamdb:", err.Error())
	os.Exit(1)
}

// newStreamDB builds the bridge with the module's exports, all using
// client for Durable Streams requests.
func newStreamDB(client *stream.Client) (*bridge, error) {
	b, err := newBridge()
	if err != nil {
		return nil, err
	}
	b.streams = &streamAPI{b: b, client: client, writers: map[string]*writer{}}
	err = b.export("version", func([]jsval.Value) (any, error) { return version, nil })
	if err == nil {
		err = b.export("shutdown", func([]jsval.Value) (any, error) { b.shutdown(); return nil, nil })
	}
	if err == nil {
		err = b.async("warmUp", func(context.Context, []jsval.Value) (runFunc, func(), error) {
			return func() (any, error) {
				b.warmOnce.Do(func() { b.warmErr = b.warmUp() })
				return nil, b.warmErr
			}, nil, nil
		})
	}
	if err == nil {
		// Fault injection for the loader's tests: the program dies the way
		// it does when memory runs out (a fatal error in a goroutine, the
		// runtime exits), after this call has returned.
		err = b.export("crash", func(args []jsval.Value) (any, error) {
			msg := "crash requested"
			if len(args) > 0 {
				if s, err := args[0].String(); err == nil {
					msg = s
				}
			}
			go func() { panic("streamdb: " + msg) }()
			return nil, nil
		})
	}
	if err == nil {
		err = b.streams.register()
	}
	if err == nil {
		b.dbs = &dbAPI{b: b}
		err = b.dbs.register()
	}
	if err == nil {
		err = b.registerGateway()
	}
	if err != nil {
		b.shutdown()
		return nil, err
	}
	return b, nil
}
