// The live path of the npm package in Node, against the reference server:
// a long-poll answer reaches the module in one piece (js/fetch.js hands it
// over whole), so one that breaks off part-way must be asked for again from
// the same offset, with nothing lost and nothing applied twice.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, request } from 'node:http'
import { createStateSchema, createStreamDB } from '@streamdb/streamdb'
import { startServer, createStream, appendEvents, until } from './server.mjs'

let srv
before(async () => { srv = await startServer({ longPollMs: 1000 }) })
after(async () => { await srv?.stop() })

const schema = createStateSchema({ users: { type: 'user', primaryKey: 'id' } })
const user = (id) => schema.users.insert({ value: { id, name: id } })

/**
 * cutProxy forwards every request to base; while armed, the next long-poll
 * answer that carries data gets its header and half of its body through,
 * and then the connection is destroyed.
 */
async function cutProxy(base) {
  const up = new URL(base)
  const state = { armed: false, cut: 0 }
  const server = createServer((req, res) => {
    const fwd = request({ host: up.hostname, port: up.port, method: req.method, path: req.url, headers: { ...req.headers, host: up.host } }, (r) => {
      const cut = state.armed && /[?&]live=long-poll/.test(req.url) && r.statusCode === 200
      if (!cut) {
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
        state.armed = false
        state.cut++
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
  return {
    state,
    url: (streamURL) => streamURL.replace(base, `http://127.0.0.1:${server.address().port}`),
    close: () => new Promise((r) => (server.closeAllConnections(), server.close(r))),
  }
}

test('a long-poll answer cut off mid-body is read again from the same offset: nothing lost, nothing twice', { timeout: 30000 }, async (t) => {
  const url = await createStream(srv.url)
  await appendEvents(url, user('a'))
  const proxy = await cutProxy(srv.url)
  t.after(() => proxy.close())
  const events = []
  const db = createStreamDB({ streamOptions: { url: proxy.url(url) }, state: schema, live: 'long-poll', onEvent: (e) => events.push(e.key) })
  t.after(() => db.close())
  await db.preload()
  assert.deepEqual(events, ['a'])

  proxy.state.armed = true
  await appendEvents(url, user('b'), user('c'))
  await until(() => db.collections.users.has('c'), 'b and c to arrive after the cut')
  assert.equal(proxy.state.cut, 1, 'one answer was cut')
  await appendEvents(url, user('d'))
  await until(() => db.collections.users.has('d'), 'd to arrive')
  assert.deepEqual(events, ['a', 'b', 'c', 'd'], 'every event once, in order')
  assert.deepEqual([...db.collections.users.keys()].sort(), ['a', 'b', 'c', 'd'])
})
