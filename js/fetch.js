// The page's side of the module's HTTP requests (wasm/fetch): one call
// starts a request from plain data, and one settled promise hands the
// module the status, the header and either the whole body or a reader of
// it. Going through the bridge once per response, not once per header
// field, chunk and end of body, is what keeps a live change cheap.

/**
 * whenIdle resolves in the page's next idle period (at the latest after
 * 50 ms), or returns null where waiting would not help: no
 * requestIdleCallback (Node, Safari), or a hidden page, which does not
 * paint and whose timers the browser throttles.
 */
function whenIdle() {
  if (typeof requestIdleCallback !== 'function' || globalThis.document?.visibilityState === 'hidden') return null
  return new Promise((resolve) => requestIdleCallback(resolve, { timeout: 50 }))
}

/**
 * request starts fetch(url) with the RequestInit in initJSON (method,
 * headers, mode, credentials, cache, ...) and body (a Uint8Array, or
 * undefined for none). It returns [done, abort]: abort() cancels the
 * request and its body; done resolves to [status, headersJSON, body], where
 * body is a Uint8Array holding the whole body when whole is true, else the
 * body's ReadableStream reader (null when there is no body). headersJSON is
 * the JSON text of an object from lower-case header name to value.
 *
 * A whole request is a long-poll, sent right after the module delivered a
 * change: it leaves in the page's next idle period, so that what the page
 * does with the change (render it) comes before the browser's own cost of
 * starting a request. The server keeps what arrives meanwhile for it.
 */
export function request(url, initJSON, body, whole) {
  const controller = new AbortController()
  const init = JSON.parse(initJSON)
  init.signal = controller.signal
  if (body !== undefined) init.body = body
  const idle = whole ? whenIdle() : null
  const send = () => fetch(url, init)
  const done = (idle ? idle.then(send) : send()).then(async (res) => {
    const headers = JSON.stringify(Object.fromEntries(res.headers))
    if (!whole) return [res.status, headers, res.body ? res.body.getReader() : null]
    return [res.status, headers, new Uint8Array(await res.arrayBuffer())]
  })
  return [done, () => controller.abort()]
}
