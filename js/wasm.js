// Loading the Go module (dist/streamdb.wasm) with the wasm_exec.js of the
// Go release that built it. The module starts once per page (or Node
// process) and is shared by every StreamDB.
import '../dist/wasm_exec.js'
import { collation } from './collate.js'
import { request } from './fetch.js'

// What the module may call in the page (the ready function returns it).
const helpers = Object.freeze({ collation, request })

let loading

/**
 * loadModule starts the wasm module once and resolves with its API object.
 * In a browser (or a bundler such as Vite) the .wasm is fetched from its
 * URL next to this package; in Node it is read from the file.
 */
export function loadModule({ wasmURL = new URL('../dist/streamdb.wasm', import.meta.url) } = {}) {
  return (loading ??= instantiate(wasmURL).catch((err) => {
    loading = undefined
    throw new Error(`StreamDB: could not load its WebAssembly module from ${wasmURL}: ${err?.message ?? err}`, { cause: err })
  }))
}

async function instantiate(wasmURL) {
  const go = new globalThis.Go()
  const key = `__streamdb_ready_${Math.random().toString(36).slice(2)}`
  const ready = new Promise((resolve) => {
    globalThis[key] = (api) => {
      delete globalThis[key]
      resolve(api)
      return helpers
    }
  })
  go.argv = ['streamdb', key]
  go.env = {}
  let result
  const url = wasmURL instanceof URL ? wasmURL : new URL(String(wasmURL), globalThis.location?.href)
  if (typeof process !== 'undefined' && process.versions?.node && url.protocol === 'file:') {
    // Not a literal specifier: bundlers leave it alone (this branch only
    // runs in Node).
    const fsModule = 'node:fs/promises'
    const { readFile } = await import(/* @vite-ignore */ fsModule)
    result = await WebAssembly.instantiate(await readFile(url), go.importObject)
  } else {
    const res = await fetch(url)
    if (!res.ok) throw new Error(`HTTP ${res.status}`)
    result = (res.headers.get('content-type') ?? '').startsWith('application/wasm')
      ? await WebAssembly.instantiateStreaming(res, go.importObject)
      : await WebAssembly.instantiate(await res.arrayBuffer(), go.importObject)
  }
  go.run(result.instance) // settles only when Go exits: not awaited
  return ready
}
