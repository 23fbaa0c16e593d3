#!/usr/bin/env node
// package-engine.mjs: the npm package itself (@streamdb/streamdb: the wasm
// in dist/, the bridge, js/live.js splicing results by rank) behind the
// engine protocol of engine.mjs, used only through its public API, as a
// user would:
//
//   init      a new JSON stream on the reference server (the harness starts it
//             and passes its URL in QUERYDIFF_STREAM_SERVER); the rows are
//             appended as State Protocol insert events, then createStreamDB
//             and preload();
//   query     liveQuery() over the package's own query builder, spelled as the
//             generator's plan says (request.plan; request.ir without it);
//   sync      the writes appended to the stream by another writer (plain fetch)
//             as insert/update/delete events carrying one txid; the reply waits
//             for db.utils.awaitTxId(txid), so every live query has seen them;
//   tx        one call of an action whose onMutate applies the mutations with
//             collection insert/update/delete and whose mutationFn returns a
//             promise the harness settles later: the transaction persists
//             until then (so, as in TanStack, a rollback never cascades to it);
//   complete  that promise resolves (the optimistic rows go);
//   rollback  it rejects (the action rolls back);
//   results   each live query's keys (its change feed with includeInitialState)
//             and rows (toArray), checked against its state Map;
//   drop      dispose().
//
// Every request is answered only after the package has settled the step
// (awaitTxId, isPersisted); a step the package never finishes is the
// harness's per-request timeout.

process.env.NODE_ENV ??= 'production'

import * as streamdb from '@streamdb/streamdb'
import { builderFor } from './ir.mjs'
import { keyId, normalizeRow, canonical } from './compare.mjs'
import { serveLines } from './serve.mjs'

const { createStateSchema, createStreamDB, liveQuery } = streamdb

const server = process.env.QUERYDIFF_STREAM_SERVER
if (!server) {
  process.stderr.write('package-engine.mjs: QUERYDIFF_STREAM_SERVER (the reference server\'s base URL) is not set; run it through harness.mjs --server\n')
  process.exit(2)
}

const unsupported = (what) => () => { throw new Error(`${what} is not exported by @streamdb/streamdb`) }
const build = builderFor({
  ...streamdb,
  constant: (v) => v, // the package's select takes an array without refs as a constant
  func: unsupported('this function'),
  agg: unsupported('this aggregate'),
})

// A Standard Schema that accepts every row as it is: the harness's rows are
// already what TanStack accepted.
const anyRow = { '~standard': { version: 1, vendor: 'querydiff', validate: (value) => ({ value }) } }

const settle = () => new Promise((resolve) => setImmediate(resolve))

let db = null
let schema = null
let streamUrl = null
let streamN = 0
let syncN = 0
const queries = new Map() // id → LiveQuery
const txs = new Map() // harness tx id → { tx, resolve, reject }
const errors = [] // what onError reported since the last reply

async function check(res, what) {
  if (!res.ok) throw new Error(`${what}: ${res.status} ${await res.text()}`)
}

async function closeDb() {
  for (const q of queries.values()) q.dispose()
  queries.clear()
  for (const t of txs.values()) t.reject(new Error('session over'))
  txs.clear()
  if (db) db.close()
  db = null
  if (streamUrl) await fetch(streamUrl, { method: 'DELETE' }).catch(() => {})
  streamUrl = null
}

async function init(collections) {
  await closeDb()
  schema = createStateSchema(Object.fromEntries(Object.entries(collections).map(([name, { pk }]) =>
    [name, { schema: anyRow, type: name, primaryKey: pk }])))
  streamUrl = `${server}/v1/stream/querydiff-${process.pid}-${++streamN}`
  await check(await fetch(streamUrl, { method: 'PUT', headers: { 'content-type': 'application/json' } }), `create ${streamUrl}`)
  const events = []
  for (const [name, { rows }] of Object.entries(collections)) {
    for (const value of rows) events.push(schema[name].insert({ value }))
  }
  if (events.length) await append(events)
  db = createStreamDB({
    streamOptions: { url: streamUrl, contentType: 'application/json' },
    state: schema,
    onError: (e) => errors.push(e),
    actions: () => ({
      run: {
        onMutate: ({ mutations }) => {
          for (const m of mutations) {
            const c = db.collections[m.collection]
            if (m.type === 'insert') c.insert(m.value)
            else if (m.type === 'update') c.update(m.key, (draft) => { Object.assign(draft, m.value) })
            else c.delete(m.key)
          }
        },
        mutationFn: ({ id }) => txs.get(id).promise,
      },
    }),
  })
  await db.preload()
}

async function append(events) {
  await check(await fetch(streamUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(events) }), 'append')
}

async function sync(name, writes) {
  const txid = `sync-${++syncN}`
  const headers = { txid }
  const c = schema[name]
  if (!c) throw new Error(`unknown collection ${name}`)
  await append(writes.map((w) => (w.type === 'delete' ? c.delete({ key: w.key, headers })
    : c[w.type]({ key: w.key, value: w.value, headers }))))
  await db.utils.awaitTxId(txid, 10000)
  await settle()
}

async function tx(id, mutations) {
  const entry = {}
  entry.promise = new Promise((resolve, reject) => Object.assign(entry, { resolve, reject }))
  entry.promise.catch(() => {}) // handled by the action; this only marks it handled
  txs.set(id, entry)
  try {
    entry.tx = db.actions.run({ id, mutations })
  } catch (e) {
    txs.delete(id)
    throw e
  }
  await settle()
  if (entry.tx.state !== 'pending' && entry.tx.state !== 'persisting') {
    throw new Error(`transaction ${id} is ${entry.tx.state} while its mutationFn has not settled`)
  }
}

async function finish(id, ok) {
  const t = txs.get(id)
  if (!t) throw new Error(`unknown transaction ${id}`)
  txs.delete(id)
  if (ok) {
    t.resolve()
    await t.tx.isPersisted.promise
  } else {
    t.reject(new Error('rolled back by the harness'))
    await t.tx.isPersisted.promise.then(() => { throw new Error(`transaction ${id} completed although its mutationFn rejected`) }, () => {})
  }
  await settle()
}

/** resultOf reads a live query as a user can: keys from its change feed, rows from toArray, checked against state. */
function resultOf(id, lq) {
  let initial = []
  lq.subscribeChanges((changes) => { initial = changes }, { includeInitialState: true }).unsubscribe()
  const rows = lq.toArray
  if (rows.length !== initial.length || lq.size !== rows.length) {
    throw new Error(`query ${id}: toArray has ${rows.length} rows, size says ${lq.size}, the change feed's initial state ${initial.length}`)
  }
  const state = lq.state
  return initial.map((c, i) => {
    if (canonical(c.value) !== canonical(rows[i])) throw new Error(`query ${id}: row ${i} of toArray differs from the change feed's: ${JSON.stringify(rows[i])} vs ${JSON.stringify(c.value)}`)
    if (canonical(state.get(c.key)) !== canonical(rows[i])) throw new Error(`query ${id}: state.get(${JSON.stringify(c.key)}) is ${JSON.stringify(state.get(c.key))}, toArray has ${JSON.stringify(rows[i])}`)
    return [keyId(c.key), normalizeRow(rows[i])]
  })
}

async function handle(req) {
  const reply = await answer(req)
  if (errors.length) {
    const reported = errors.splice(0).map((e) => `${e?.name}: ${e?.message}`).join('; ')
    process.stderr.write(`onError: ${reported}\n`)
    if (!reply.error) return { error: `onError reported: ${reported}` }
  }
  return reply
}

async function answer(req) {
  switch (req.op) {
    case 'init':
      await init(req.collections)
      // the collection ids rows report as $collectionId
      return { ok: true, ids: Object.fromEntries(Object.keys(req.collections).map((n) => [n, db.collections[n].id])) }
    case 'query': {
      if (queries.has(req.id)) throw new Error(`query ${req.id} exists`)
      let lq
      try {
        lq = liveQuery(build(req.plan ?? req.ir, db.collections))
      } catch (e) {
        return { error: `${e?.name ?? 'Error'}: ${e?.message ?? e}`, clause: e?.clause ?? e?.code }
      }
      queries.set(req.id, lq)
      return { ok: true }
    }
    case 'sync':
      await sync(req.collection, req.writes)
      return { ok: true }
    case 'tx':
      await tx(req.id, req.mutations)
      return { ok: true }
    case 'complete':
      await finish(req.id, true)
      return { ok: true }
    case 'rollback':
      await finish(req.id, false)
      return { ok: true }
    case 'results': {
      const out = {}
      for (const [id, lq] of queries) out[id] = resultOf(id, lq)
      return { results: out }
    }
    case 'drop':
      queries.get(req.id)?.dispose()
      queries.delete(req.id)
      return { ok: true }
  }
  return { error: `unknown op ${req.op}` }
}

serveLines(handle, closeDb)
