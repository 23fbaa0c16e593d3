// The warm-up's worker (js/wasm.js, warmModule): it gets the page's compiled
// WebAssembly.Module, starts its own instance of it and runs the module's
// warmUp there. V8 shares a module's compiled code between its instances,
// so the code this instance makes hot is optimized for the page's instance
// too, while the page's thread does nothing. It answers {ok: true, ms}
// when done, or {ok: false, error}, and the page then ends it.
import '../dist/wasm_exec.js'
import { collation } from './collate.js'

// What the module may call: the collations, should a query need one; the
// warm-up makes no request.
const helpers = Object.freeze({
  collation,
  request() {
    throw new Error('StreamDB warm-up: no requests')
  },
})

self.onmessage = async ({ data }) => {
  const t0 = performance.now()
  try {
    const go = new globalThis.Go()
    const key = '__streamdb_warm_ready'
    let api
    globalThis[key] = (raw) => {
      api = raw
      return helpers
    }
    go.argv = ['streamdb', key]
    go.env = {}
    const instance = await WebAssembly.instantiate(data.module, go.importObject)
    const exited = go.run(instance) // settles only if Go exits
    if (!api) throw new Error('the module did not start')
    await Promise.race([api.warmUp(), exited.then(() => Promise.reject(new Error('the module exited')))])
    self.postMessage({ ok: true, ms: performance.now() - t0 })
  } catch (e) {
    self.postMessage({ ok: false, error: String(e?.message ?? e) })
  }
}
