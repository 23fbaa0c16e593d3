// The reference stack under the benchmark harness: @durable-streams/state
// 0.3.1 createStreamDB feeding @tanstack/db 0.15.2 collections, and
// createLiveQueryCollection for the queries.
import './instrument.js'
import { createStateSchema, createStreamDB } from '@durable-streams/state/db'
import { createLiveQueryCollection, eq, gt, gte, lt, and, or, inArray, like, count, sum, min, max, upper, concat, BTreeIndex } from '@tanstack/db'
import { install } from './harness.js'

const schema = createStateSchema({
  users: { type: 'user', primaryKey: 'id' },
  messages: { type: 'message', primaryKey: 'id' },
})
let db
const queries = []
// The functions the load row's queries use (load.js).
const loadFns = { eq, gt, gte, lt, and, or, inArray, like, count, sum, min, max, upper, concat }

/**
 * indexCollections: createStreamDB makes the collections itself and has no
 * index options: set what createCollection({autoIndex: 'eager',
 * defaultIndexType: BTreeIndex}) would have set. Queries then create their
 * indexes (users.active, messages.userId, messages.ts). (The index
 * manager's field name is minified in the dist; it is the own property
 * that has a defaultIndexType.)
 */
function indexCollections(db) {
  for (const c of Object.values(db.collections)) {
    c.config.autoIndex = 'eager'
    c.config.defaultIndexType = BTreeIndex
    const mgr = Object.values(c).find((v) => v && typeof v === 'object' && v !== c.config && 'defaultIndexType' in v)
    if (!mgr) throw new Error('bench: cannot find the index manager of the collection')
    mgr.defaultIndexType = BTreeIndex
  }
}

install({
  name: 'reference',
  fns: { eq, count },
  open({ url, live, indexed }) {
    db = createStreamDB({ streamOptions: { url, contentType: 'application/json' }, state: schema, live })
    if (indexed) indexCollections(db)
  },
  preload: () => db.preload(),
  async query(i, build) {
    const t0 = performance.now()
    const c = createLiveQueryCollection({ query: (q) => build(q, db.collections, { eq, count }), startSync: true })
    queries[i] = c
    await c.preload()
    const t1 = performance.now()
    const rows = c.toArray
    const t2 = performance.now()
    rows.timing = { readyMs: t1 - t0, toArrayMs: t2 - t1 }
    return rows
  },
  async again(build) {
    const c = createLiveQueryCollection({ query: (q) => build(q, db.collections, { eq, count }), startSync: true })
    await c.preload()
    const n = c.toArray.length
    await c.cleanup()
    return n
  },
  subscribe(i, fn) {
    queries[i].subscribeChanges(() => fn(), { includeInitialState: false })
  },
  async openQuery(build) {
    const c = createLiveQueryCollection({ query: (q) => build(q, db.collections, loadFns), startSync: true })
    await c.preload()
    return { rows: () => c.toArray, subscribe: (fn) => c.subscribeChanges(() => fn(), { includeInitialState: false }) }
  },
  // (createStreamDB's awaitTxId resolves once the batch with txid is
  // committed to the collections.)
  awaitTxId: (txid) => db.utils.awaitTxId(txid, 600000),
  close: () => db.close(),
  rows: (i) => queries[i].toArray,
  info: () => ({
    users: db.collections.users.size,
    messages: db.collections.messages.size,
    indexes: Object.fromEntries(Object.entries(db.collections).map(([k, c]) => [k, [...c.indexes.values()].map((x) => `${x.name ?? ''}:${x.constructor?.name}`)])),
  }),
  // The streams section: one more database of many in the page (appends
  // are the harness's POSTs).
  one({ url, live, indexed }) {
    const d = createStreamDB({ streamOptions: { url, contentType: 'application/json' }, state: schema, live })
    if (indexed) indexCollections(d)
    return {
      preload: () => d.preload(),
      async query(build) {
        const c = createLiveQueryCollection({ query: (q) => build(q, d.collections, { eq, count }), startSync: true })
        await c.preload()
        return { rows: () => c.toArray, subscribe: (fn) => c.subscribeChanges(() => fn(), { includeInitialState: false }) }
      },
      sizes: () => ({ users: d.collections.users.size, messages: d.collections.messages.size }),
      close: () => d.close(),
    }
  },
})
