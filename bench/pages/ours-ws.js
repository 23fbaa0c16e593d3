// StreamDB under the benchmark harness through the package's ./websocket
// entry: the WebSocket build of the module (dist/streamdb-ws.wasm), which
// adds live: 'websocket' (one socket to a streamdb-gateway for every
// StreamDB of the page, reads and appends). instrument.js comes first: it
// wraps the page's WebSocket before the package can use it.
import './instrument.js'
import * as pkg from '@streamdb/streamdb/websocket'
import { installOurs } from './ours-adapter.js'

installOurs(pkg, { name: 'ours-ws' })
