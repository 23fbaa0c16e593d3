// internal/testserver/server.mjs run by hand stays up whatever its stdin
// is (`node internal/testserver/server.mjs < /dev/null` used to exit at
// once) and says where it listens; with --stop-with-stdin, as the tests run
// it, it stops when its stdin closes (issue 18, item 7).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const script = fileURLToPath(new URL('../../internal/testserver/server.mjs', import.meta.url))
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

/** start runs server.mjs with args and stdin ('ignore': /dev/null, or 'pipe'). */
function start(args, stdin) {
  const child = spawn(process.execPath, [script, '--port', '0', ...args], { stdio: [stdin, 'pipe', 'pipe'] })
  const out = { stdout: '', stderr: '' }
  child.stdout.on('data', (d) => { out.stdout += d })
  child.stderr.on('data', (d) => { out.stderr += d })
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })))
  const url = new Promise((resolve, reject) => {
    child.stdout.on('data', () => {
      const m = /DS_URL=(\S+)/.exec(out.stdout)
      if (m) resolve(m[1])
    })
    exited.then(({ code, signal }) => reject(new Error(`server.mjs exited (${code ?? signal}) before listening: ${out.stderr}`)))
  })
  return { child, out, exited, url }
}

test('run by hand with stdin at its end (< /dev/null) it stays up, serves, and says where it listens', { timeout: 20000 }, async (t) => {
  const s = start([], 'ignore')
  t.after(() => s.child.kill('SIGKILL'))
  const url = await s.url
  await sleep(1000)
  assert.equal(s.child.exitCode, null, `still running a second later (stderr: ${s.out.stderr})`)
  const res = await fetch(`${url}/v1/stream/by-hand`, { method: 'PUT', headers: { 'content-type': 'application/json' } })
  assert.equal(res.status, 201)
  assert.match(s.out.stderr, new RegExp(`listening at ${url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*Ctrl-C stops it`))
  s.child.kill('SIGTERM')
  assert.deepEqual(await s.exited, { code: 0, signal: null }, 'SIGTERM stops it cleanly')
})

test('with --stop-with-stdin it stops when its stdin closes (a parent that dies takes it along), and says nothing on stderr', { timeout: 20000 }, async (t) => {
  const s = start(['--stop-with-stdin'], 'pipe')
  t.after(() => s.child.kill('SIGKILL'))
  const url = await s.url
  assert.equal((await fetch(`${url}/v1/stream/piped`, { method: 'PUT', headers: { 'content-type': 'application/json' } })).status, 201)
  s.child.stdin.end()
  assert.deepEqual(await s.exited, { code: 0, signal: null })
  assert.equal(s.out.stderr, '')
})

test('an unknown option is refused with the usage', { timeout: 20000 }, async () => {
  const s = start(['--no-such-option'], 'ignore')
  s.url.catch(() => {})
  assert.deepEqual(await s.exited, { code: 2, signal: null })
  assert.match(s.out.stderr, /unknown or incomplete option --no-such-option\nusage: node internal\/testserver\/server.mjs/)
})
