// The warm-up's worker (js/wasm.js, warmModule): it gets the page's compiled
// WebAssembly.Module, starts its own instance of it as the page starts its
// own (startModule) and runs the module's warmUp there. V8 shares a
// module's compiled code between its instances, so the code this instance
// makes hot is optimized for the page's instance too, while the page's
// thread does nothing. It answers {ok: true, ms} when done, or {ok: false,
// error}, and the page then ends it.
import { startModule } from './wasm.js'

self.onmessage = async ({ data }) => {
  const t0 = performance.now()
  try {
    const api = await startModule(data.module)
    await api.warmUp() // rejects if the program dies meanwhile
    self.postMessage({ ok: true, ms: performance.now() - t0 })
  } catch (e) {
    self.postMessage({ ok: false, error: String(e?.message ?? e) })
  }
}
