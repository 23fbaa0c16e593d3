// startServer starts the reference Durable Streams server (through
// internal/testserver/server.mjs) on a free port for a test, and returns its
// base URL and a stop function.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const script = fileURLToPath(new URL('../../internal/testserver/server.mjs', import.meta.url))

export async function startServer({ dataDir, longPollMs = 1500 } = {}) {
  // --stop-with-stdin: the server stops when this process dies (its stdin pipe closes).
  const args = [script, '--port', '0', '--long-poll-ms', String(longPollMs), '--stop-with-stdin']
  if (dataDir) args.push('--data-dir', dataDir)
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'] })
  const url = await new Promise((resolve, reject) => {
    let out = ''
    child.stdout.on('data', (d) => {
      out += d
      const m = out.match(/DS_URL=(\S+)/)
      if (m) resolve(m[1])
    })
    child.on('exit', (code) => reject(new Error(`the reference server exited (${code}) before listening`)))
  })
  return {
    url,
    stop: () => new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve()
      child.once('exit', resolve)
      child.kill('SIGTERM')
    }),
  }
}

/** createStream creates a JSON stream at a fresh path and returns its URL. */
export async function createStream(base, name = `s-${Math.random().toString(36).slice(2)}`) {
  const url = `${base}/v1/stream/${name}`
  const put = () => fetch(url, { method: 'PUT', headers: { 'content-type': 'application/json' } })
  // A kept-alive socket the server closed while a test held the event loop
  // (thousands of synchronous actions) fails the first request: try again.
  const res = await put().catch(put)
  if (!res.ok && res.status !== 200 && res.status !== 201) throw new Error(`create ${url}: ${res.status}`)
  return url
}

/** appendEvents posts state events (objects) to a JSON stream. */
export async function appendEvents(url, ...events) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(events) })
  if (!res.ok) throw new Error(`append ${url}: ${res.status} ${await res.text()}`)
}

/** until polls fn until it returns a truthy value (5 s at most) and returns that value. */
export async function until(fn, what) {
  const deadline = Date.now() + 5000
  for (;;) {
    const v = fn()
    if (v) return v
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}
