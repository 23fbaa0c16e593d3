// Issue 18, item 6: the JS loader checks the version the WebAssembly module
// was built as. `make build` builds dist/streamdb.wasm as package.json's
// version; a module built as another version (here: the same program
// linked with -X main.version=0.0.0-other) is refused with a
// ModuleVersionError naming both versions, at load time, not later and
// strangely.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'))
const { VERSION } = await import('../../js/version.js')
const { loadModule } = await import('../../js/wasm.js')
const { ModuleVersionError, StreamDBError } = await import('../../js/errors.js')

let dir
let wrongURL
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'streamdb-version-'))
  const wasm = join(dir, 'streamdb.wasm')
  const built = spawnSync('go', ['build', '-trimpath', '-ldflags=-s -w -X main.version=0.0.0-other', '-o', wasm, './wasm'], {
    cwd: ROOT,
    env: { ...process.env, GOOS: 'js', GOARCH: 'wasm' },
    stdio: 'inherit',
  })
  assert.equal(built.status, 0, 'go build ./wasm with another version')
  wrongURL = pathToFileURL(wasm)
})
after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true })
})

test("js/version.js says package.json's version", () => {
  assert.equal(VERSION, pkg.version)
})

test('a module built as another version is refused with a ModuleVersionError naming both versions; the right one then loads', async () => {
  await assert.rejects(loadModule({ wasmURL: wrongURL }), (e) => {
    assert.ok(e instanceof ModuleVersionError, `a ModuleVersionError, got ${e?.name}: ${e?.message}`)
    assert.ok(e instanceof StreamDBError)
    assert.equal(e.name, 'ModuleVersionError')
    assert.equal(e.code, 'MODULE_VERSION')
    assert.equal(e.packageVersion, pkg.version)
    assert.equal(e.moduleVersion, '0.0.0-other')
    assert.match(e.message, new RegExp(`built as version 0\\.0\\.0-other, but this package \\(@streamdb/streamdb\\) is version ${pkg.version.replaceAll('.', '\\.')}`))
    return true
  })
  // The refused module is stopped and forgotten: the package's own loads.
  const api = await loadModule()
  assert.equal(api.version(), pkg.version, 'dist/streamdb.wasm (make build) is built as package.json\'s version')
  api.shutdown()
})

test('importing the package with a module of another version fails with that error', () => {
  // In its own process: the package loads its module when it is imported.
  const script = `
    globalThis[Symbol.for('@streamdb/streamdb module URL')] = new URL(${JSON.stringify(String(wrongURL))})
    try {
      await import('@streamdb/streamdb')
      console.log('loaded')
    } catch (e) {
      console.log(JSON.stringify({ name: e.name, code: e.code, message: e.message }))
    }`
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 })
  assert.equal(r.status, 0, r.stderr)
  const got = JSON.parse(r.stdout.trim().split('\n').at(-1))
  assert.equal(got.name, 'ModuleVersionError')
  assert.equal(got.code, 'MODULE_VERSION')
  assert.match(got.message, /built as version 0\.0\.0-other, but this package \(@streamdb\/streamdb\) is version/)
})
