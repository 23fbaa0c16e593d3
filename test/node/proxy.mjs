// A fault-injecting proxy in front of the reference server, for the faults
// the server itself never makes. Every request is forwarded; `fault` picks,
// per request, what happens instead:
//
//   'cut':    the answer's header and half of its body go through (when
//             it has a body of 2 bytes or more; else all of it), then the
//             connection is destroyed;
//   'silent': the request is accepted and nothing is ever answered (a
//             proxy that holds a connection open and forwards nothing);
//   a number: the proxy answers with that status itself (503, 429, ...),
//             with CORS headers that let a page read it;
//   null:     forwarded as is.
import { createServer, request } from 'node:http'

/**
 * startProxy forwards to base. fault(req) is asked once per request. It
 * returns {url(streamURL), counts, close()}: url maps a stream URL of base
 * to the same stream through the proxy, counts holds how many requests got
 * each fault.
 */
export async function startProxy(base, fault = () => null) {
  const up = new URL(base)
  const counts = { cut: 0, silent: 0, status: 0 }
  const held = new Set()
  const server = createServer((req, res) => {
    const f = fault(req)
    if (typeof f === 'number') {
      counts.status++
      res.writeHead(f, { 'content-type': 'text/plain', 'access-control-allow-origin': '*' }).end(`the proxy says ${f}`)
      return
    }
    if (f === 'silent') {
      counts.silent++
      held.add(res)
      res.on('close', () => held.delete(res))
      return
    }
    const fwd = request({ host: up.hostname, port: up.port, method: req.method, path: req.url, headers: { ...req.headers, host: up.host } }, (r) => {
      if (f !== 'cut' || r.statusCode !== 200) {
        res.writeHead(r.statusCode, r.headers)
        r.pipe(res)
        return
      }
      const chunks = []
      r.on('data', (c) => chunks.push(c))
      r.on('end', () => {
        const body = Buffer.concat(chunks)
        if (body.length < 2) {
          res.writeHead(r.statusCode, r.headers)
          res.end(body)
          return
        }
        counts.cut++
        const headers = { ...r.headers }
        delete headers['content-length']
        res.writeHead(r.statusCode, headers)
        res.write(body.subarray(0, body.length >> 1), () => setTimeout(() => res.socket.destroy(), 20))
      })
    })
    fwd.on('error', () => res.destroy())
    req.pipe(fwd)
  })
  await new Promise((r) => server.listen(0, '127.0.0.1', r))
  const origin = `http://127.0.0.1:${server.address().port}`
  return {
    counts,
    url: (streamURL) => streamURL.replace(base, origin),
    close: () => new Promise((r) => {
      for (const res of held) res.destroy()
      server.closeAllConnections()
      server.close(r)
    }),
  }
}
