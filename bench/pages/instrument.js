// Instruments the page before an engine loads (imported first by each
// page): long tasks, resource timing, arrival times of SSE chunks and of
// WebSocket messages, and the wasm memory of an instantiated module. The
// same for both engines.

/** What the harness reads. */
export const probe = {
  longTasks: [], // [startTime, duration]
  sseChunks: [], // [performance.now() at arrival, bytes]
  wsFrames: [], // [performance.now() at arrival, bytes, frame type] (live: 'websocket')
  sockets: [], // the URL of every WebSocket the page opened
  wasmInstances: [],
}

new PerformanceObserver((list) => {
  for (const e of list.getEntries()) probe.longTasks.push([e.startTime, e.duration])
}).observe({ type: 'longtask', buffered: true })

performance.setResourceTimingBufferSize(1_000_000)

// SSE bodies stay open, so resource timing cannot tell when a change
// arrived. A GET with live=sse gets its body passed through a stream that
// stamps each chunk as it reaches the page; nothing else is touched.
const realFetch = globalThis.fetch
globalThis.fetch = async function fetch(input, init) {
  const res = await realFetch.call(this, input, init)
  const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input?.url
  if (!url || !/[?&]live=sse(&|$)/.test(url) || !res.body) return res
  const stamp = new TransformStream({
    transform(chunk, ctl) {
      probe.sseChunks.push([performance.now(), chunk.byteLength])
      ctl.enqueue(chunk)
    },
  })
  const out = new Response(res.body.pipeThrough(stamp), { status: res.status, statusText: res.statusText, headers: res.headers })
  for (const k of ['url', 'redirected', 'type']) Object.defineProperty(out, k, { value: res[k] })
  return out
}

// live: 'websocket' (ours' WebSocket build, through the gateway): every
// WebSocket the page constructs gets, before anyone else's, a 'message'
// listener that stamps the message as it reaches the page, with its size
// and its frame type (the gateway's JSON frames: batch, ack, hello, error;
// core/wsproto). The package looks the constructor up when it dials, after
// this module ran.
if (typeof globalThis.WebSocket === 'function') {
  const RealWebSocket = globalThis.WebSocket
  // The frame's first bytes as text (a binary message, ?binary=1, carries
  // the same JSON as a text one).
  const head = (data) => {
    if (typeof data === 'string') return data.length > 200 ? data.slice(0, 200) : data
    if (data instanceof ArrayBuffer) return new TextDecoder().decode(new Uint8Array(data, 0, Math.min(200, data.byteLength)))
    return ''
  }
  const frameType = (data) => {
    const m = /"type"\s*:\s*"(\w+)"/.exec(head(data))
    return m ? m[1] : null
  }
  globalThis.WebSocket = class WebSocket extends RealWebSocket {
    constructor(...args) {
      super(...args)
      probe.sockets.push(String(args[0]))
      this.addEventListener('message', (e) => {
        const d = e.data
        probe.wsFrames.push([performance.now(), typeof d === 'string' ? d.length : (d?.byteLength ?? d?.size ?? 0), frameType(d)])
      })
    }
  }
}

// The engine's wasm instance (ours has one; the reference none), to read
// its linear memory size.
for (const name of ['instantiate', 'instantiateStreaming']) {
  const real = WebAssembly[name]
  WebAssembly[name] = async function (...args) {
    const r = await real.apply(this, args)
    probe.wasmInstances.push(r.instance ?? r)
    return r
  }
}

/** wasmBytes is the summed size of the linear memories of the instances. */
export function wasmBytes() {
  let n = 0
  for (const inst of probe.wasmInstances) {
    for (const v of Object.values(inst.exports ?? {})) if (v instanceof WebAssembly.Memory) n += v.buffer.byteLength
  }
  return n
}
