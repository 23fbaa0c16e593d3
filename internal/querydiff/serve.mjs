// serveLines answers the engine protocol (engine.mjs) on stdin/stdout for an
// engine written in JavaScript: one request line in, one reply line out, in
// order, one request at a time. handle(request) returns the reply object (or
// a Promise of it); a throw becomes {"error": ...}. When stdin closes, the
// requests in flight are answered, then close() runs and the process exits.

import { createInterface } from 'node:readline'
import { nonFiniteIn } from './ir.mjs'

export function serveLines(handle, close = () => {}) {
  const queue = []
  let busy = false
  const pump = async () => {
    if (busy) return
    busy = true
    while (queue.length) {
      const line = queue.shift()
      let reply
      try {
        reply = await handle(JSON.parse(line, nonFiniteIn))
      } catch (e) {
        reply = { error: `${e?.name ?? 'Error'}: ${e?.message ?? e}` }
      }
      process.stdout.write(JSON.stringify(reply) + '\n')
    }
    busy = false
  }
  const rl = createInterface({ input: process.stdin, crlfDelay: Infinity })
  rl.on('line', (line) => {
    queue.push(line)
    pump()
  })
  rl.on('close', () => {
    const wait = async () => {
      if (busy || queue.length) return setTimeout(wait, 5)
      try { await close() } finally { process.exit(0) }
    }
    wait()
  })
}
