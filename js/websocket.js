// @streamdb/streamdb/websocket: the whole package, over the WebSocket build
// of the Go module, which adds live: 'websocket' (one socket per page to a
// streamdb-gateway, shared by every StreamDB of the page, for reads and
// appends). Import everything from here in a page that uses it.
//
// ./ws-module.js selects that build before the rest of the package loads
// (no other build is fetched) where modules run in import order, as in a
// browser without a bundler or Vite's dev server. A production bundle may
// run the package first: useModule then loads the WebSocket build in place
// of the default one before any StreamDB is made.
import './ws-module.js'
import { useModule } from './wasm.js'

await useModule(new URL('../dist/streamdb-ws.wasm', import.meta.url))

export * from './index.js'
