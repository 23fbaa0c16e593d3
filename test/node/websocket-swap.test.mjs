// The ./websocket entry imported after the main one (as a production
// bundle may run them): the WebSocket build replaces the default module
// before any StreamDB is made, so live: 'websocket' works.
import { test } from 'node:test'
import assert from 'node:assert/strict'

test('the ./websocket entry after the main one: the WebSocket build takes over', async () => {
  const main = await import('@streamdb/streamdb')
  const ws = await import('@streamdb/streamdb/websocket')
  assert.equal(ws.createStreamDB, main.createStreamDB, 'one package, one createStreamDB')
  const made = []
  globalThis.WebSocket = class {
    constructor(url) {
      made.push(String(url))
      this.readyState = 0
    }
    addEventListener() {}
    removeEventListener() {}
    send() {}
    close() {}
  }
  try {
    const db = ws.createStreamDB({
      streamOptions: { url: 'http://127.0.0.1:9/v1/stream/x' },
      state: ws.createStateSchema({ items: { type: 'item', primaryKey: 'id' } }),
      live: 'websocket',
      websocket: { url: 'ws://127.0.0.1:9/v1/ws' },
    })
    db.preload().catch(() => {})
    const deadline = Date.now() + 5000
    while (made.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
    db.close()
    assert.deepEqual(made, ['ws://127.0.0.1:9/v1/ws?binary=1'])
  } finally {
    delete globalThis.WebSocket
  }
})
