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

// In Node a pending setTimeout keeps the process alive, and the Go runtime
// leaves the setTimeout it made for a Go timer in place when that timer is
// stopped (a read's 60 s idle watchdog, say) until it fires. So while no
// StreamDB is open the module's timeouts are unref'd: a script that has
// closed its databases exits at once.
let openDbs = 0
let goInstance

/** dbOpened and dbClosed count the open StreamDBs (js/db.js calls them). */
export function dbOpened() {
  openDbs++
}
export function dbClosed() {
  if (--openDbs === 0) for (const t of goInstance?._scheduledTimeouts?.values() ?? []) t?.unref?.()
}

// unrefIdleTimers wraps the runtime's scheduleTimeoutEvent import so that
// a timeout made while no StreamDB is open does not keep Node alive.
function unrefIdleTimers(go) {
  const imports = go.importObject?.gojs
  const schedule = imports?.['runtime.scheduleTimeoutEvent']
  if (typeof schedule !== 'function' || !(go._scheduledTimeouts instanceof Map)) return
  imports['runtime.scheduleTimeoutEvent'] = (sp) => {
    schedule(sp)
    if (openDbs === 0) go._scheduledTimeouts.get(go._nextCallbackTimeoutID - 1)?.unref?.()
  }
}

async function instantiate(wasmURL) {
  const go = new globalThis.Go()
  goInstance = go
  unrefIdleTimers(go)
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
