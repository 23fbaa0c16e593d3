// Selects the WebSocket build of the Go module (dist/streamdb-ws.wasm: the
// default build plus the gateway client, live: 'websocket'). The package's
// ./websocket entry imports this module before the rest of the package, so
// that it is set when js/wasm.js loads the module. The key is the one
// js/wasm.js reads (MODULE_URL); it is spelled out here so that this file
// runs before js/wasm.js is evaluated.
globalThis[Symbol.for('@streamdb/streamdb module URL')] ??= new URL('../dist/streamdb-ws.wasm', import.meta.url)
