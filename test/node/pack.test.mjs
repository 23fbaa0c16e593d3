// Issue 18, item 6: the npm tarball as npm users expect it. `npm pack
// --dry-run` (which runs prepack: make build and the README swap, then
// postpack) lists LICENSE, the short npm README (npm/README.md, not the
// repository's), package.json, js/*.js, js/*.d.ts, the two wasm modules and
// wasm_exec.js, and nothing else; the repository's README.md is the same
// afterwards.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const read = (p) => readFileSync(join(ROOT, p), 'utf8')

test('npm pack: LICENSE, the short README, the JS, its types and the wasm, nothing else; the repository README stays', () => {
  const repoReadme = read('README.md')
  const r = spawnSync('npm', ['pack', '--dry-run', '--json'], { cwd: ROOT, encoding: 'utf8', timeout: 300_000 })
  assert.equal(r.status, 0, `npm pack --dry-run failed:\n${r.stderr}`)
  // prepack's `make build` prints to stdout before npm's JSON.
  const listing = JSON.parse(r.stdout.slice(r.stdout.search(/^\[/m)))
  const files = new Map(listing[0].files.map((f) => [f.path, f.size]))

  const js = readdirSync(join(ROOT, 'js')).filter((f) => f.endsWith('.js') || f.endsWith('.d.ts')).map((f) => `js/${f}`)
  const want = ['LICENSE', 'README.md', 'package.json', 'dist/streamdb.wasm', 'dist/streamdb-ws.wasm', 'dist/wasm_exec.js', ...js]
  assert.deepEqual([...files.keys()].sort(), want.sort())

  assert.equal(files.get('README.md'), statSync(join(ROOT, 'npm/README.md')).size, 'the tarball has npm/README.md as its README')
  assert.ok(read('npm/README.md').length < 4000, 'the npm README is short')
  assert.equal(read('README.md'), repoReadme, "the repository's README.md is back after the pack")
  assert.ok(!existsSync(join(ROOT, '.README.repository.md')), 'no README left aside')

  const pkg = JSON.parse(read('package.json'))
  assert.equal(pkg.license, 'MIT')
  assert.match(read('LICENSE'), /^MIT License\n\nCopyright \(c\) StreamDB authors\n/)
})

test('npm pack tarballs are ignored by git', () => {
  const r = spawnSync('git', ['check-ignore', '-q', 'streamdb-streamdb-0.1.0.tgz'], { cwd: ROOT })
  assert.equal(r.status, 0, '*.tgz is in .gitignore')
})
