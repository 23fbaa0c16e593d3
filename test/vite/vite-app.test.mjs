// The npm package as a user gets it: `npm pack` of the repository (after
// `make build`), installed into a fresh Vite 8 project in a temp dir
// (app/ is copied there), built with `vite build` and served with
// `vite preview`, then opened in headless Chromium against the reference
// Durable Streams server: the page loads the wasm as a Vite asset and
// shows a live query's result, which follows the stream. The same app
// under the Vite dev server too.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { cp, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'
import { startServer, createStream, appendEvents } from '../node/server.mjs'

const run = promisify(execFile)
const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const APP = fileURLToPath(new URL('./app/', import.meta.url))
const VITE_VERSION = '8.3.8'

let tmp, appDir, tarball, packed, ds, browser
const children = new Set()

before(async () => {
  await stat(join(ROOT, 'dist/streamdb.wasm')).catch(() => {
    throw new Error('dist/streamdb.wasm is missing: run `make build` first')
  })
  tmp = await mkdtemp(join(tmpdir(), 'streamdb-vite-app-'))
  // --ignore-scripts: prepack would run `make build` again.
  const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], { cwd: ROOT })
  packed = JSON.parse(stdout)[0]
  tarball = join(tmp, packed.filename)
  appDir = join(tmp, 'app')
  await cp(APP, appDir, { recursive: true })
  await writeFile(join(appDir, 'package.json'), JSON.stringify({ name: 'streamdb-vite-app', private: true, type: 'module' }, null, 2))
  await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball, `vite@${VITE_VERSION}`], { cwd: appDir })
  ;[ds, browser] = await Promise.all([
    startServer({ longPollMs: 1000 }),
    chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-dev-shm-usage'] }),
  ])
})

after(async () => {
  for (const c of children) c.kill('SIGTERM')
  await Promise.allSettled([browser?.close(), ds?.stop()])
  if (tmp) await rm(tmp, { recursive: true, force: true })
})

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address()
      s.close(() => resolve(port))
    })
  })
}

/** vite starts `vite <args>` in the app on a free port and resolves with its URL. */
async function vite(...args) {
  const port = await freePort()
  const child = spawn(join(appDir, 'node_modules/.bin/vite'), [...args, '--port', String(port), '--strictPort', '--host', '127.0.0.1'], {
    cwd: appDir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  })
  children.add(child)
  child.once('exit', () => children.delete(child))
  let out = ''
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`vite ${args.join(' ')} did not start: ${out}`)), 30000)
    const onData = (d) => {
      // Colours (on when CI is set) split the URL: drop them.
      out += String(d).replace(/\x1b\[[0-9;]*m/g, '')
      if (out.includes(`127.0.0.1:${port}`)) {
        clearTimeout(timer)
        resolve()
      }
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', onData)
    child.once('exit', (code) => reject(new Error(`vite ${args.join(' ')} exited (${code}): ${out}`)))
  })
  return { url: `http://127.0.0.1:${port}`, stop: () => child.kill('SIGTERM') }
}

/** openApp opens the app at base on a fresh stream and checks what it shows, live. */
async function openApp(base) {
  const stream = await createStream(ds.url)
  await appendEvents(stream,
    { type: 'user', key: '1', value: { id: '1', name: 'Alice', active: true }, headers: { operation: 'insert' } },
    { type: 'user', key: '2', value: { id: '2', name: 'Bob', active: false }, headers: { operation: 'insert' } },
  )
  const page = await browser.newPage()
  const errors = []
  page.on('pageerror', (e) => errors.push(String(e)))
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()))
  const wasm = []
  page.on('response', (r) => {
    if (r.url().endsWith('.wasm')) wasm.push({ url: r.url(), status: r.status(), type: r.headers()['content-type'] })
  })
  await page.goto(`${base}/?stream=${encodeURIComponent(stream)}`)
  const users = () => page.$$eval('#users li', (els) => els.map((e) => e.textContent))
  const waitUsers = async (want) => {
    await page.waitForFunction((w) => JSON.stringify([...document.querySelectorAll('#users li')].map((e) => e.textContent)) === w, JSON.stringify(want), { timeout: 15000 })
      .catch(async (e) => { throw new Error(`wanted ${JSON.stringify(want)}, page shows ${JSON.stringify(await users())}; errors ${JSON.stringify(errors)}: ${e.message}`) })
  }
  await waitUsers(['Alice'])
  assert.equal(await page.textContent('#status'), 'ready')
  await appendEvents(stream,
    { type: 'user', key: '2', value: { active: true }, headers: { operation: 'update' } },
    { type: 'user', key: '3', value: { id: '3', name: 'Carol', active: true }, headers: { operation: 'insert' } },
  )
  await waitUsers(['Alice', 'Bob', 'Carol'])
  await page.close()
  assert.deepEqual(errors, [])
  return { wasm }
}

test('the tarball holds every file package.json exports names', async () => {
  const files = new Set(packed.files.map((f) => f.path))
  const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8'))
  const named = []
  const walk = (v) => (typeof v === 'string' ? named.push(v.replace(/^\.\//, '')) : v && Object.values(v).forEach(walk))
  walk(pkg.exports)
  if (pkg.types) named.push(pkg.types.replace(/^\.\//, ''))
  for (const f of named) assert.ok(files.has(f), `${f} is named by package.json but not in the tarball`)
  assert.ok(files.has('dist/streamdb.wasm') && files.has('dist/wasm_exec.js'))
  const installed = JSON.parse(await readFile(join(appDir, 'node_modules/@streamdb/streamdb/package.json'), 'utf8'))
  assert.equal(installed.version, pkg.version)
})

let buildOutput
test('vite build emits the wasm as an asset', async () => {
  const { stdout, stderr } = await run(join(appDir, 'node_modules/.bin/vite'), ['build'], { cwd: appDir })
  buildOutput = `${stdout}\n${stderr}`
  const assets = await readdir(join(appDir, 'dist/assets'))
  const wasm = assets.filter((f) => f.endsWith('.wasm'))
  assert.equal(wasm.length, 1, `assets: ${assets}`)
  assert.equal((await stat(join(appDir, 'dist/assets', wasm[0]))).size, (await stat(join(ROOT, 'dist/streamdb.wasm'))).size)
})

test('vite build prints no warning about the package', () => {
  assert.ok(buildOutput, 'the build ran')
  assert.doesNotMatch(buildOutput, /externalized for browser compatibility|\[plugin|warn/i, buildOutput)
})

test('the built app (vite preview) loads the wasm asset and shows a live query', async () => {
  await stat(join(appDir, 'dist/index.html')).catch(() => run(join(appDir, 'node_modules/.bin/vite'), ['build'], { cwd: appDir }))
  const server = await vite('preview')
  try {
    const { wasm } = await openApp(server.url)
    assert.equal(wasm.length, 1, JSON.stringify(wasm))
    assert.match(wasm[0].url, /\/assets\/streamdb-[\w-]+\.wasm$/)
    assert.equal(wasm[0].status, 200)
    assert.equal(wasm[0].type, 'application/wasm')
  } finally {
    server.stop()
  }
})

test('the same app under the Vite dev server', async () => {
  const server = await vite()
  try {
    const { wasm } = await openApp(server.url)
    assert.equal(wasm.length, 1, JSON.stringify(wasm))
    assert.equal(wasm[0].type, 'application/wasm')
  } finally {
    server.stop()
  }
})
