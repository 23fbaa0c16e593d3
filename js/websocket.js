// @streamdb/streamdb/websocket: the whole package, over the WebSocket build
// of the Go module, which adds live: 'websocket' (one socket per page to a
// streamdb-gateway, shared by every StreamDB of the page, for reads and
// appends). Import everything from here in a page that uses it: the module
// loads once, and the first entry imported decides which build it is.
import './ws-module.js'
export * from './index.js'
