#!/usr/bin/env node
// Splits a CPU profile of ours (bench/run.mjs --cpu-profile, with a wasm
// built without -s -w) into where the time went:
//
//   node bench/profile.mjs FILE.cpuprofile [--top=15] [--within=NAME,...]
//
// --within keeps only the samples from the first to the last one whose
// stack holds a function of one of those names, with everything between
// them (V8's collector, crossings): --within=liveQuery gives a first
// result's own time, without the page's idle collections that a profile
// window may hold before and after it.
//
// Each sample is put in one part by its stack (the deepest frame that
// names a part decides):
//   engine    the Go engine building the result (core/query, core/ivm,
//             core/db, core/collection, core/value under them)
//   answer    building the answer for JS (core/jswire: the JSON text)
//   bridge    the rest of the Go module's call (wasm/, syscall/js)
//   go-gc     Go's garbage collector and allocator, whatever called it
//   crossing  copying the answer into JS (TextDecoder in wasm_exec.js)
//   parse     JSON.parse of the answer (the shim's line that parses it)
//   shim      the rest of the package's JS (js/*.js)
//   js-gc     V8's garbage collector
//   page      the harness and everything else; idle is left out
// and the most expensive functions (self time) of each part are listed.
import { readFileSync, readdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const args = process.argv.slice(2)
const files = args.filter((a) => !a.startsWith('--'))
const top = Number(args.find((a) => a.startsWith('--top='))?.slice(6) ?? 12)
const within = args.find((a) => a.startsWith('--within='))?.slice(9).split(',').filter(Boolean) ?? null
if (files.length === 0) {
  console.error('usage: node bench/profile.mjs FILE.cpuprofile... [--top=N] [--within=NAME,...]')
  process.exit(2)
}

const GO_GC = /^(runtime\.(gc|mallocgc|scan|markroot|greyobject|tryDefer|__mspan_|__mheap_|__mcentral_|__mcache_|__gcWork_|__gcControllerState_|__spanSet_|wbBuf|bulkBarrier|typePointers|heapSetType|findObject|memclrNoHeapPointers|nextFreeFast|sweepone|bgsweep|bgscavenge|__sweepLocked_|deductSweepCredit|newobject|makeslice|growslice|publicationBarrier|(__)?pageAlloc)|gcWriteBarrier|internal_runtime_atomic\.)/
const ENGINE = /^github\.com_streamdb_streamdb_core_(query|ivm|db|collection)\./
const ANSWER = /^github\.com_streamdb_streamdb_core_jswire\./

// The names of the functions, methods and getters of the package's JS
// (js/*.js): the bundle holds them with the page's, so they are told apart
// by name.
const HERE = dirname(fileURLToPath(import.meta.url))
const SHIM = new Set()
for (const f of readdirSync(join(HERE, '../js'))) {
  if (!f.endsWith('.js')) continue
  const src = readFileSync(join(HERE, '../js', f), 'utf8')
  for (const m of src.matchAll(/^\s*(?:export\s+)?(?:async\s+)?(?:function\*?\s+|class\s+|(?:static\s+)?(?:get|set)\s+)?(#?[A-Za-z_$][\w$]*)\s*[({]/gm)) {
    if (!['if', 'for', 'while', 'switch', 'catch', 'return', 'function'].includes(m[1])) SHIM.add(m[1])
  }
  for (const m of src.matchAll(/(?:function|class)\s+([A-Za-z_$][\w$]*)/g)) SHIM.add(m[1])
}
const shimName = (name) => SHIM.has(name) || SHIM.has(name.replace(/^(get|set) /, ''))

function partOf(stack) {
  // stack: root first. Go's allocator and collector are their own part
  // from wherever called; otherwise building the answer holds all it calls
  // (the result's Range too), then the engine.
  const leaf = stack[stack.length - 1]
  const name = leaf.functionName
  if (name === '(idle)' || name === '(program)') return null
  if (name === '(garbage collector)') return 'js-gc'
  if (name === 'decode' && leaf.url === '') return 'crossing'
  if (name === 'wasm-to-js' || name === 'js-to-wasm' || /^(runtime\.(resetMemoryDataView|wasmExit)|syscall_js\.|get buffer$)/.test(name)) return 'crossing'
  if (leaf.url.endsWith('.wasm')) {
    if (GO_GC.test(name) || stack.some((f) => /^runtime\.(gcBgMarkWorker|bgsweep|bgscavenge)$/.test(f.functionName))) return 'go-gc'
    if (stack.some((f) => ANSWER.test(f.functionName))) return 'answer'
    if (stack.some((f) => ENGINE.test(f.functionName))) return 'engine'
    return 'bridge'
  }
  if (shimName(name)) return 'shim'
  return 'page'
}

for (const file of files) {
  const p = JSON.parse(readFileSync(file, 'utf8'))
  const byId = new Map(p.nodes.map((n) => [n.id, n]))
  const parent = new Map()
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const stackOf = new Map()
  const stack = (id) => {
    if (stackOf.has(id)) return stackOf.get(id)
    const s = []
    for (let x = id; x !== undefined; x = parent.get(x)) s.push(byId.get(x).callFrame)
    s.reverse()
    stackOf.set(id, s)
    return s
  }
  const parts = new Map()
  const selfBy = new Map()
  let total = 0
  // --within: the span of samples from the first to the last whose stack
  // holds one of the names.
  let from = 0
  let to = p.samples.length - 1
  if (within) {
    const hits = p.samples.map((id, i) => (stack(id).some((f) => within.includes(f.functionName)) ? i : -1)).filter((i) => i >= 0)
    if (hits.length === 0) {
      console.log(`\n${file}: no sample under ${within.join(', ')}`)
      continue
    }
    from = hits[0]
    to = hits[hits.length - 1]
  }
  for (let i = from; i <= to; i++) {
    const dt = (p.timeDeltas[i + 1] ?? 0) / 1000
    const s = stack(p.samples[i])
    let part = partOf(s)
    if (part === null) continue
    const leaf = s[s.length - 1]
    // The shim's JSON.parse: V8 counts builtins to their JS caller; the
    // shim's functions whose self time is a JSON.parse say so by name.
    if (part === 'shim' && /^_openQuery$|^_onStep$|^collRows$|^parseStep$/.test(leaf.functionName)) part = 'parse'
    total += dt
    parts.set(part, (parts.get(part) ?? 0) + dt)
    const key = `${part}\t${leaf.functionName || '(anonymous)'}`
    selfBy.set(key, (selfBy.get(key) ?? 0) + dt)
  }
  console.log(`\n${file}: ${total.toFixed(0)} ms of samples (idle left out${within ? `; within ${within.join(', ')}` : ''})`)
  for (const name of ['engine', 'answer', 'bridge', 'go-gc', 'crossing', 'parse', 'shim', 'js-gc', 'page']) {
    const ms = parts.get(name) ?? 0
    if (ms === 0) continue
    console.log(`  ${name.padEnd(9)} ${ms.toFixed(0).padStart(6)} ms ${((100 * ms) / total).toFixed(0).padStart(3)} %`)
    const fns = [...selfBy].filter(([k]) => k.startsWith(name + '\t')).sort((a, b) => b[1] - a[1]).slice(0, top)
    for (const [k, v] of fns) if (v >= 0.5) console.log(`      ${v.toFixed(1).padStart(7)}  ${k.split('\t')[1]}`)
  }
}
