// The scenario of mixed-order.test.mjs, run in a worker thread so that an
// engine that never returns (a live orderBy spinning in the wasm) can be
// stopped by the test's timer instead of freezing the test process.
//
// It opens a StreamDB on the stream workerData.url, keeps two live queries
// open (an orderBy on two mixed-type fields with limit and offset, and a left
// join ordered with a limit), appends workerData.batches one POST each while
// they are live, waits for the last batch's txid and posts back, for each
// query, its live data and the data of the same query opened afresh.
import { parentPort, workerData } from 'node:worker_threads'
import { createStateSchema, createStreamDB, liveQuery, eq } from '@streamdb/streamdb'

// Rows mix every JSON kind on purpose: a schema that accepts anything.
const anything = { '~standard': { version: 1, vendor: 'test', validate: (value) => ({ value }) } }
const schema = createStateSchema({
  items: { schema: anything, type: 'item', primaryKey: 'id' },
  tags: { schema: anything, type: 'tag', primaryKey: 'id' },
})

const queries = {
  orderByLimitOffset: (db) => (q) => q.from({ i: db.collections.items })
    .orderBy(({ i }) => i.b, 'desc').orderBy(({ i }) => i.c).limit(7).offset(2),
  leftJoinOrderByLimit: (db) => (q) => q.from({ t: db.collections.tags })
    .join({ i: db.collections.items }, ({ t, i }) => eq(t.b, i.c), 'left')
    .orderBy(({ t }) => t.a).limit(20),
}

async function append(url, events) {
  const res = await fetch(url, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(events),
  })
  if (!res.ok) throw new Error(`append: ${res.status} ${await res.text()}`)
}

const { url, batches, lastTxid } = workerData
const db = createStreamDB({ streamOptions: { url }, state: schema })
try {
  await db.preload()
  const live = Object.fromEntries(Object.entries(queries).map(([name, q]) => [name, liveQuery(q(db))]))
  for (const batch of batches) await append(url, batch)
  await db.utils.awaitTxId(lastTxid, 20000)
  const result = {}
  for (const [name, q] of Object.entries(queries)) {
    const fresh = liveQuery(q(db))
    result[name] = { live: live[name].data, fresh: fresh.data }
    fresh.dispose()
  }
  parentPort.postMessage({ result })
} catch (err) {
  parentPort.postMessage({ error: String(err?.stack ?? err) })
} finally {
  db.close()
}
