// startServer starts the reference Durable Streams server (through
// internal/testserver/server.mjs) on a free port for a test, and returns its
// base URL and a stop function.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const script = fileURLToPath(new URL('../../internal/testserver/server.mjs', import.meta.url))

export async function startServer({ dataDir, longPollMs = 1500 } = {}) {
  const args = [script, '--port', '0', '--long-poll-ms', String(longPollMs)]
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
  const res = await fetch(url, { method: 'PUT', headers: { 'content-type': 'application/json' } })
  if (!res.ok && res.status !== 200 && res.status !== 201) throw new Error(`create ${url}: ${res.status}`)
  return url
}

/** appendEvents posts state events (objects) to a JSON stream. */
export async function appendEvents(url, ...events) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(events) })
  if (!res.ok) throw new Error(`append ${url}: ${res.status} ${await res.text()}`)
}
