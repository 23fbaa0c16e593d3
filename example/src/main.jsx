// Entry point: picks the package's entry, then opens the room (room.jsx, which
// renders it under React's <StrictMode>).
//
// By default the room follows its stream over HTTP (long-poll) with the
// package's default entry. With a gateway, ?ws=<socket URL> or
// VITE_GATEWAY_URL (set by `make demo GATEWAY=1`; ?ws=0 turns it off), it
// is followed, and written to, through the streamdb-gateway's WebSocket
// (live: 'websocket'), which needs the WebSocket build of the module. The
// first entry of the package imported decides which build loads, so
// '@streamdb/streamdb/websocket' is imported before anything else of the
// app: room.jsx (and through it chat.js and App.jsx, which import the
// default entry's names) only after it. Without a gateway the page never
// loads the WebSocket build.
const ws = new URLSearchParams(location.search).get('ws') ?? import.meta.env.VITE_GATEWAY_URL
const gateway = ws && ws !== '0' ? ws : undefined
const pkg = gateway ? await import('@streamdb/streamdb/websocket') : undefined
const { start } = await import('./room.jsx')
await start({ gateway, createStreamDB: pkg?.createStreamDB })
