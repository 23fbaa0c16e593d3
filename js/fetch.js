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

// Where a script can see a redirect (Node; a page's fetch only gives an
// opaque answer for redirect: 'manual'), the module follows redirects
// itself, so that credentials never go to another origin.
const followsOwnRedirects = typeof document === 'undefined' && typeof process !== 'undefined' && Boolean(process.versions?.node)

// Header names that carry credentials: on a redirect to another origin
// they are left out (fetch itself only leaves out Authorization, and
// Node's not even that for names it does not know, such as x-api-key).
const credentialHeader = /^(authorization|proxy-authorization|cookie)$|auth|token|key|secret|session|credential|password/i

/**
 * fetchFollowing is fetch(url, init) with redirects followed here (at most
 * 20): a 303, or a 301 or 302 of a POST, goes on as a GET without a body;
 * a 307 or 308 repeats the request; when the next URL is on another
 * origin, credential headers are left out from then on.
 */
async function fetchFollowing(url, init) {
  let current = new URL(url)
  let req = { ...init, redirect: 'manual', headers: { ...(init.headers ?? {}) } }
  for (let hops = 0; ; hops++) {
    const res = await fetch(current, req)
    const location = res.headers.get('location')
    if (res.status < 300 || res.status > 399 || res.status === 304 || !location) return res
    if (hops === 20) throw new TypeError(`fetch ${url}: more than 20 redirects`)
    await res.body?.cancel()
    const next = new URL(location, current)
    if (res.status === 303 || ((res.status === 301 || res.status === 302) && req.method === 'POST')) {
      req = { ...req, method: 'GET', body: undefined }
      for (const k of Object.keys(req.headers)) if (/^content-/i.test(k)) delete req.headers[k]
    }
    if (next.origin !== current.origin) {
      for (const k of Object.keys(req.headers)) if (credentialHeader.test(k)) delete req.headers[k]
    }
    current = next
  }
}

/**
 * request starts fetch(url) with the RequestInit in initJSON (method,
 * headers, mode, credentials, cache, ...) and body (a Uint8Array, or
 * undefined for none). It returns [done, abort]: abort() cancels the
 * request and its body; done resolves to [status, headersJSON, body], where
 * body is a Uint8Array holding the whole body when whole is true, else the
 * body's ReadableStream reader (null when there is no body); a whole body
 * larger than WHOLE_MAX comes as a reader too. headersJSON is
 * the JSON text of an object from lower-case header name to value.
 *
 * A whole request is a long-poll, sent right after the module delivered a
 * change: it leaves in the page's next idle period, so that what the page
 * does with the change (render it) comes before the browser's own cost of
 * starting a request. The server keeps what arrives meanwhile for it.
 */
// A whole body is one copy into the module: for a long-poll's usual few
// events. A larger one (a burst, a tab that slept) comes as a reader, so
// that the module reads it in parts instead of holding it whole twice.
const WHOLE_MAX = 256 * 1024

/**
 * upTo reads a body until it ends or passes max bytes (its length is not
 * known ahead: the reference server sends chunked answers): a body that
 * ended comes back whole, as one Uint8Array; a longer one as a reader that
 * first gives back what was read, then the rest.
 */
async function upTo(reader, max) {
  const chunks = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    chunks.push(value)
    size += value.byteLength
    if (size > max) {
      return {
        read: () => (chunks.length > 0 ? Promise.resolve({ done: false, value: chunks.shift() }) : reader.read()),
        cancel: (reason) => reader.cancel(reason),
      }
    }
  }
  if (chunks.length === 1) return chunks[0]
  const whole = new Uint8Array(size)
  let at = 0
  for (const c of chunks) {
    whole.set(c, at)
    at += c.byteLength
  }
  return whole
}

export function request(url, initJSON, body, whole) {
  const controller = new AbortController()
  const init = JSON.parse(initJSON)
  init.signal = controller.signal
  if (body !== undefined) init.body = body
  const idle = whole ? whenIdle() : null
  const send = () => (followsOwnRedirects ? fetchFollowing(url, init) : fetch(url, init))
  const done = (idle ? idle.then(send) : send()).then(async (res) => {
    const headers = JSON.stringify(Object.fromEntries(res.headers))
    if (!res.body) return [res.status, headers, null]
    return [res.status, headers, whole ? await upTo(res.body.getReader(), WHOLE_MAX) : res.body.getReader()]
  })
  return [done, () => controller.abort()]
}
