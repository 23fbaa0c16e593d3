// Loading the Go module (dist/streamdb.wasm) with the wasm_exec.js of the
// Go release that built it. The module starts once per page (or Node
// process) and is shared by every StreamDB. If the Go program dies (out of
// memory, a fatal error), everything waiting on it rejects with a
// ModuleExitedError, the StreamDBs opened on it report it, and the next
// createStreamDB starts a fresh instance from the compiled module.
import '../dist/wasm_exec.js'
import { collation } from './collate.js'
import { request } from './fetch.js'
import { StreamDBError, ModuleExitedError, ModuleVersionError } from './errors.js'
import { VERSION } from './version.js'

// What the module may call in the page (the ready function returns it).
const helpers = Object.freeze({ collation, request })

// The package's ./websocket entry sets this (js/ws-module.js) before the
// rest of the package loads: the module to load is then the WebSocket
// build, dist/streamdb-ws.wasm.
export const MODULE_URL = Symbol.for('@streamdb/streamdb module URL')

let loading
let loadedFrom // the URL of the module loading or loaded
let compiled // the WebAssembly.Module, for a restart
let current // the running instance: {api, go, error, listeners, pending, stderr}

/**
 * loadModule starts the wasm module once and resolves with its API object.
 * In a browser (or a bundler such as Vite) the .wasm is fetched from its
 * URL next to this package; in Node it is read from the file.
 */
export function loadModule({ wasmURL = globalThis[MODULE_URL] ?? new URL('../dist/streamdb.wasm', import.meta.url) } = {}) {
  loadedFrom ??= String(wasmURL)
  return (loading ??= instantiate(wasmURL).catch((err) => {
    loading = undefined
    loadedFrom = undefined
    if (err instanceof ModuleVersionError) throw err
    throw new Error(`StreamDB: could not load its WebAssembly module from ${wasmURL}: ${err?.message ?? err}`, { cause: err })
  }))
}

/**
 * useModule makes the module at wasmURL the one every later StreamDB runs
 * on. The ./websocket entry calls it with the WebSocket build: it is a
 * no-op when that build is the one loaded (the entry selects it before the
 * package loads), and otherwise, as when a bundler evaluated the package
 * before the entry's choice, it loads that build and stops the other one.
 * It refuses once a StreamDB is open on the other one.
 */
export async function useModule(wasmURL) {
  const href = String(wasmURL)
  if (loadedFrom === undefined) return void (await loadModule({ wasmURL }))
  await loading
  if (loadedFrom === href) return
  if (openDbs > 0) {
    throw new StreamDBError(`StreamDB: a StreamDB is already open on the module from ${loadedFrom}; import '@streamdb/streamdb/websocket' before creating any`, { code: 'USAGE' })
  }
  const old = current
  loadedFrom = href
  loading = instantiate(wasmURL)
  await loading
  try {
    old?.api.shutdown()
  } catch {
    // already gone
  }
}

/**
 * liveModule returns the API of a running module: the loaded one, or, when
 * that one died, a fresh instance of the same compiled module (started
 * synchronously). loadModule must have resolved before.
 */
export function liveModule() {
  if (current && !current.error) return current.api
  if (!compiled) throw new StreamDBError('StreamDB: the WebAssembly module is not loaded', { code: 'NOT_LOADED' })
  const inst = prepare(new globalThis.Go())
  start(inst, new WebAssembly.Instance(compiled, inst.go.importObject))
  if (!inst.api) throw new ModuleExitedError(`StreamDB: a new instance of the WebAssembly module did not start${inst.error ? `: ${inst.error.message}` : ''}`)
  return inst.api
}

let warming // the warm-up's Promise, once per page (warmModule)

// warmTimeoutMs bounds the worker's warm-up: one that has not answered by
// then is ended (a page that throttles its workers, say).
const warmTimeoutMs = 30_000

/**
 * warmModule warms the engine's code up once per page (js/db.js, warmUp):
 * in a Worker, on another instance of the compiled module (V8 shares the
 * code of a module between its instances, so the page's thread pays
 * nothing), when the page can start one; else, with mainThread set, on the
 * page's thread, in slices. It resolves with {thread: 'worker' | 'page',
 * ms}, or null when it did not run (no Worker and mainThread unset); it
 * never rejects.
 */
export function warmModule({ mainThread = false } = {}) {
  warming ??= warmInWorker()
  if (!mainThread) return warming
  return (warming = warming.then((r) => r ?? warmOnPage()))
}

// warmOnPage runs the warm-up on the page's thread.
async function warmOnPage() {
  const t0 = performance.now()
  try {
    await liveModule().warmUp()
  } catch {
    return null // a module that died warms nothing; its callers hear of it
  }
  return { thread: 'page', ms: performance.now() - t0 }
}

// warmInWorker runs the warm-up in a Worker (js/warm-worker.js), null where
// there is none or it fails (a content security policy that forbids
// workers, a bundler that left the worker's file out).
function warmInWorker() {
  if (!compiled || typeof Worker !== 'function') return Promise.resolve(null)
  return new Promise((resolve) => {
    let worker
    let timer
    const done = (r) => {
      clearTimeout(timer)
      try {
        worker?.terminate()
      } catch {
        // already gone
      }
      resolve(r)
    }
    try {
      // The literal new URL(..., import.meta.url) inside new Worker(...) is
      // what bundlers (Vite, webpack) look for to bundle the worker.
      worker = new Worker(new URL('./warm-worker.js', import.meta.url), { type: 'module' })
      worker.onmessage = ({ data }) => done(data?.ok ? { thread: 'worker', ms: data.ms } : null)
      worker.onerror = (e) => {
        e.preventDefault?.()
        done(null)
      }
      worker.onmessageerror = () => done(null)
      worker.postMessage({ module: compiled })
      timer = setTimeout(() => done(null), warmTimeoutMs)
    } catch {
      done(null)
    }
  })
}

/**
 * onModuleExit calls fn (once) with the ModuleExitedError when the module
 * whose API is api dies; it returns the function that stops listening.
 */
export function onModuleExit(api, fn) {
  const inst = instances.get(api)
  if (!inst) return () => {}
  if (inst.error) {
    queueMicrotask(() => fn(inst.error))
    return () => {}
  }
  inst.listeners.add(fn)
  return () => inst.listeners.delete(fn)
}

const instances = new WeakMap() // API object → its instance

// In Node a pending setTimeout keeps the process alive, and the Go runtime
// leaves the setTimeout it made for a Go timer in place when that timer is
// stopped (a read's 60 s idle watchdog, say) until it fires. So while no
// StreamDB is open the module's timeouts are unref'd: a script that has
// closed its databases exits at once.
let openDbs = 0

/** dbOpened and dbClosed count the open StreamDBs (js/db.js calls them). */
export function dbOpened() {
  openDbs++
}
export function dbClosed() {
  if (--openDbs === 0) for (const t of current?.go._scheduledTimeouts?.values() ?? []) t?.unref?.()
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

// keepStderr wraps the runtime's write import to keep the end of what the
// program writes to stderr (a fatal error's message) for the error that
// reports its death. The output still goes where wasm_exec.js sends it.
function keepStderr(go, inst) {
  const imports = go.importObject?.gojs
  const write = imports?.['runtime.wasmWrite']
  if (typeof write !== 'function') return
  const text = new TextDecoder()
  imports['runtime.wasmWrite'] = (sp) => {
    try {
      const v = new DataView(go._inst.exports.mem.buffer)
      const at = sp >>> 0
      if (v.getUint32(at + 8, true) === 2) {
        const p = v.getUint32(at + 16, true) + v.getInt32(at + 20, true) * 4294967296
        inst.stderr = (inst.stderr + text.decode(new Uint8Array(v.buffer, p, v.getInt32(at + 24, true)))).slice(-4000)
      }
    } catch {
      // only a diagnostic
    }
    write(sp)
  }
}

// prepare makes the record of a Go instance to be and wraps its imports;
// it comes before the module is instantiated with them.
function prepare(go) {
  // pending: the rejecters of the calls whose Promise is still pending
  // (settledOrDead), rejected if the program dies.
  const inst = { api: undefined, go, error: undefined, listeners: new Set(), pending: new Set(), stderr: '', code: undefined }
  unrefIdleTimers(go)
  keepStderr(go, inst)
  const exit = go.exit
  go.exit = (code) => {
    inst.code = code
    exit?.call(go, code)
  }
  // Whatever wakes the program goes through _resume: a trap inside Go
  // surfaces there (it is dead then, though wasm_exec.js does not say so),
  // and after its exit the callbacks it left (a fetch's, a timer's) would
  // throw "Go program has already exited" into the page's event loop (in
  // Node, an uncaught exception that ends the process): they do nothing.
  // (A Go timer's setTimeout loops on _resume while its id stays
  // scheduled, so a dead program's timeouts are dropped as well.)
  const resume = go._resume
  go._resume = function (...args) {
    if (this.exited || inst.error) {
      died(inst)
      for (const t of this._scheduledTimeouts?.values() ?? []) clearTimeout(t)
      this._scheduledTimeouts?.clear()
      return
    }
    try {
      return resume.apply(this, args)
    } catch (e) {
      died(inst, e)
      throw e
    } finally {
      if (this.exited) died(inst)
    }
  }
  return inst
}

// start runs a prepared instance; its API is set once Go has published it
// (synchronously, from main).
function start(inst, instance) {
  const { go } = inst
  const key = `__streamdb_ready_${Math.random().toString(36).slice(2)}`
  globalThis[key] = (raw) => {
    delete globalThis[key]
    inst.api = guard(inst, raw)
    instances.set(inst.api, inst)
    return helpers
  }
  go.argv = ['streamdb', key]
  go.env = {}
  // Settles only when Go exits: not awaited.
  go.run(instance).then(() => died(inst), (e) => died(inst, e))
  delete globalThis[key]
  if (inst.api) current = inst // one that did not start is never handed out
  return inst
}

/**
 * startModule starts an instance of the compiled module (a
 * WebAssembly.Module) in this realm, as the page's is started, and resolves
 * with its API: the warm-up's worker runs its own instance this way
 * (js/warm-worker.js). Its calls reject with a ModuleExitedError if the
 * program dies.
 */
export async function startModule(module) {
  const inst = prepare(new globalThis.Go())
  start(inst, await WebAssembly.instantiate(module, inst.go.importObject))
  if (!inst.api) throw inst.error ?? new Error('the module did not start')
  return inst.api
}

// died marks an instance dead (once): every call still pending
// rejects, every listener hears of it, and the next StreamDB gets a new one.
function died(inst, cause) {
  if (inst.error) return
  // Go prints a fatal error's message, a blank line, then the stacks.
  const said = inst.stderr.trimStart().split(/\r?\n\s*\n/)[0].split('\n').map((l) => l.trim()).filter(Boolean).slice(-3).join(' | ')
  const how = inst.code !== undefined ? ` (exit code ${inst.code})` : cause ? ` (${cause.message ?? cause})` : ''
  inst.error = new ModuleExitedError(
    `StreamDB's WebAssembly module stopped${how}${said ? `: ${said}` : ''}; what it held is lost, a new StreamDB starts a fresh one`,
    cause === undefined ? undefined : { cause },
  )
  for (const reject of inst.pending) reject(inst.error)
  inst.pending.clear()
  for (const fn of [...inst.listeners]) {
    try {
      fn(inst.error)
    } catch {
      // a listener's failure is its own
    }
  }
  inst.listeners.clear()
}

// settledOrDead returns a Promise that settles as p does, or rejects with
// the instance's ModuleExitedError if it dies first. Not Promise.race with
// a Promise of the program's death: each race leaves a reaction on that
// Promise, which never settles while the module lives, and so keeps every
// call's promises and closures alive (about 1 KB of JS heap per action in
// a long session).
function settledOrDead(inst, p) {
  return new Promise((resolve, reject) => {
    inst.pending.add(reject)
    p.then(
      (v) => {
        inst.pending.delete(reject)
        resolve(v)
      },
      (e) => {
        inst.pending.delete(reject)
        reject(e)
      },
    )
  })
}

// guard wraps the module's API: after the program died, calls throw its
// ModuleExitedError instead of wasm_exec.js's "Go program has already
// exited", and every Promise a call returned rejects with it instead of
// staying pending forever.
function guard(inst, raw) {
  const api = {}
  for (const name of Object.keys(raw)) {
    const fn = raw[name]
    if (typeof fn !== 'function') continue
    api[name] = (...args) => {
      if (inst.error) throw inst.error
      let r
      try {
        r = fn(...args)
      } catch (e) {
        if (inst.go.exited) died(inst, e)
        throw inst.error ?? e
      }
      return r instanceof Promise ? settledOrDead(inst, r) : r
    }
  }
  return Object.freeze(api)
}

async function instantiate(wasmURL) {
  const inst = prepare(new globalThis.Go())
  const { go } = inst
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
  compiled = result.module
  start(inst, result.instance)
  if (!inst.api) throw inst.error ?? new Error('the module did not start')
  checkVersion(inst, url)
  return inst.api
}

// checkVersion refuses a module built for another version of the package:
// the API between this JS and the Go module changes between versions, and
// a mismatch would otherwise fail later and strangely. The instance is
// stopped and forgotten.
function checkVersion(inst, url) {
  let built
  try {
    built = inst.api.version?.()
  } catch {
    // a module without the method: its version is unknown
  }
  if (built === VERSION) return
  try {
    inst.api.shutdown()
  } catch {
    // already gone
  }
  if (current === inst) current = undefined
  compiled = undefined
  const moduleVersion = typeof built === 'string' ? built : 'unknown'
  throw new ModuleVersionError(
    `StreamDB: the WebAssembly module at ${url} was built as version ${moduleVersion}, but this package (@streamdb/streamdb) is version ${VERSION}; rebuild the module with \`make build\`, or reinstall the package`,
    { packageVersion: VERSION, moduleVersion },
  )
}
