// The page's request helper (js/fetch.js): a long-poll ("whole") answer of
// a few events reaches the module as one Uint8Array, one crossing, also
// when the server sends it chunked with no Content-Length (as the
// reference server does); a large one comes as a reader that gives back
// every byte, so the module reads it in parts.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import { request } from '../../js/fetch.js'

const server = createServer((req, res) => {
  const n = Number(new URL(req.url, 'http://x').searchParams.get('n'))
  const sized = req.url.includes('sized')
  res.writeHead(200, sized ? { 'content-length': String(n) } : {})
  // Chunks of 10 KiB (chunked transfer when not sized).
  for (let at = 0; at < n; at += 10240) res.write(Buffer.alloc(Math.min(10240, n - at), at / 10240))
  res.end()
})
await new Promise((r) => server.listen(0, '127.0.0.1', r))
after(() => server.close())
const base = `http://127.0.0.1:${server.address().port}/`

// body reads what request gave as the module does, copying each part read
// from a reader before it asks for the next.
async function body(v) {
  if (v instanceof Uint8Array) return { whole: true, bytes: v }
  const parts = []
  for (;;) {
    const { done, value } = await v.read()
    if (done) break
    parts.push(value.slice())
  }
  return { whole: false, bytes: new Uint8Array(Buffer.concat(parts)) }
}

test('small long-poll answers come whole, sized or chunked; large ones as a reader of every byte', async () => {
  for (const [query, n, whole] of [['chunked', 30000, true], ['sized', 30000, true], ['chunked', 600000, false], ['sized', 600000, false]]) {
    const [done] = request(`${base}?${query}&n=${n}`, JSON.stringify({ method: 'GET' }), undefined, true)
    const [status, , v] = await done
    assert.equal(status, 200)
    const got = await body(v)
    assert.equal(got.whole, whole, `${query} ${n} bytes`)
    assert.equal(got.bytes.length, n)
    for (let at = 0; at < n; at += 10240) assert.equal(got.bytes[at], (at / 10240) & 255, `${query} ${n}: byte ${at}`)
  }
  // Not a long-poll: always a reader, of every byte however many parts
  // it takes.
  for (const n of [100, 3000000]) {
    const [done] = request(`${base}?chunked&n=${n}`, JSON.stringify({ method: 'GET' }), undefined, false)
    const [, , v] = await done
    assert.ok(!(v instanceof Uint8Array))
    const got = await body(v)
    assert.equal(got.bytes.length, n)
    for (let at = 0; at < n; at += 10240) assert.equal(got.bytes[at], (at / 10240) & 255, `${n}: byte ${at}`)
  }
})
