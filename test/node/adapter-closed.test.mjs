// A framework hook whose query changes after its StreamDB was closed (a
// timer re-rendering a page that is being left) keeps its last result with
// the status 'cleaned-up' instead of throwing ClosedError while rendering;
// a query opened afresh on a closed db still throws it (js/adapter.js).
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createStateSchema, createStreamDB, gt, ClosedError } from '@streamdb/streamdb'
import { openLive } from '../../js/adapter.js'
import { startServer, createStream, appendEvents } from './server.mjs'

let srv
before(async () => { srv = await startServer({ longPollMs: 1000 }) })
after(async () => { await srv?.stop() })

test('a query that changes after close keeps the last result, cleaned up', async () => {
  const schema = createStateSchema({ users: { type: 'user', primaryKey: 'id' } })
  const url = await createStream(srv.url)
  await appendEvents(url, schema.users.insert({ value: { id: 'a', n: 1 } }), schema.users.insert({ value: { id: 'b', n: 2 } }))
  const db = createStreamDB({ streamOptions: { url, contentType: 'application/json' }, state: schema })
  await db.preload()
  const query = (min) => (q) => q.from({ u: db.collections.users }).where(({ u }) => gt(u.n, min))
  const first = openLive(query(0))
  assert.equal(first.live.data.length, 2)
  db.close()
  const again = openLive(query(1), undefined, first.live)
  assert.equal(again.live, first.live)
  assert.equal(again.owned, false, 'not the hook\'s to dispose again')
  assert.equal(again.live.status, 'cleaned-up')
  assert.deepEqual(again.live.data.map((u) => u.id), ['a', 'b'], 'the last result')
  assert.throws(() => openLive(query(1)), ClosedError, 'with no previous query the error stands')
})
