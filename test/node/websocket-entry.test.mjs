// The package's ./websocket entry in Node: it loads the WebSocket build,
// whose live: 'websocket' reaches the module (the shim once dropped the
// module's `websocket` flag, a plain value, so that every live: 'websocket'
// was refused as "needs the WebSocket build"), and a runtime without a
// global WebSocket (Node 20) is told so by createStreamDB instead of the
// module dying of a Go panic (coder/websocket calls the missing
// constructor) on its first dial. The real socket is tested in Chromium
// (test/browser/websocket.test.mjs).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createStateSchema, createStreamDB, StreamDBError } from '@streamdb/streamdb/websocket'
import { z } from 'zod'

const schema = createStateSchema({
  items: { schema: z.object({ id: z.string() }), type: 'item', primaryKey: 'id' },
})
const gateway = 'ws://127.0.0.1:9/v1/ws'
const open = (name) => createStreamDB({
  streamOptions: { url: `http://127.0.0.1:9/v1/stream/${name}` },
  state: schema,
  live: 'websocket',
  websocket: { url: gateway },
})

/** withWebSocket runs fn with globalThis.WebSocket set to ctor (undefined: none). */
async function withWebSocket(ctor, fn) {
  const had = Object.getOwnPropertyDescriptor(globalThis, 'WebSocket')
  if (ctor === undefined) delete globalThis.WebSocket
  else globalThis.WebSocket = ctor
  try {
    return await fn()
  } finally {
    if (had) Object.defineProperty(globalThis, 'WebSocket', had)
    else delete globalThis.WebSocket
  }
}

test('without a global WebSocket, live: \'websocket\' is refused by createStreamDB', async () => {
  await withWebSocket(undefined, () => {
    assert.throws(() => open('a'), (e) => {
      assert.ok(e instanceof StreamDBError, String(e))
      assert.equal(e.code, 'BAD_ARGUMENT')
      assert.match(e.message, /needs a global WebSocket/)
      return true
    })
  })
})

test('with a WebSocket, the StreamDBs of the process share one socket to the gateway', async () => {
  // A WebSocket that never opens: enough to see what the module dials.
  const made = []
  class FakeWebSocket {
    constructor(url) {
      made.push(String(url))
      this.readyState = 0
    }
    addEventListener() {}
    removeEventListener() {}
    send() {}
    close() {}
  }
  await withWebSocket(FakeWebSocket, async () => {
    const dbs = [open('a'), open('b'), open('c')]
    try {
      for (const db of dbs) db.preload().catch(() => {})
      const deadline = Date.now() + 5000
      while (made.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
      await new Promise((r) => setTimeout(r, 200))
      assert.deepEqual(made, [`${gateway}?binary=1`])
    } finally {
      for (const db of dbs) db.close()
    }
  })
})
