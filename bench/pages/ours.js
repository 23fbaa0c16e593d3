// StreamDB (this package, through its exports) under the benchmark harness.
import './instrument.js'
import { createStateSchema, createStreamDB, liveQuery, warmUp, eq, gt, gte, lt, and, or, inArray, like, count, sum, min, max, upper, concat } from '@streamdb/streamdb'
import { install } from './harness.js'

const schema = createStateSchema({
  users: { type: 'user', primaryKey: 'id' },
  messages: { type: 'message', primaryKey: 'id' },
})
let db
const queries = []
// The functions the load row's queries use (load.js).
const loadFns = { eq, gt, gte, lt, and, or, inArray, like, count, sum, min, max, upper, concat }

install({
  name: 'ours',
  fns: { eq, count },
  open({ url, live, warmUp: warm, persist, onProgress }) {
    // persist (the reload section): the snapshot in OPFS, keyed by the
    // stream's URL (persist: true).
    db = createStreamDB({ streamOptions: { url, contentType: 'application/json' }, state: schema, live, ...(persist ? { persist } : {}), ...(onProgress ? { onProgress } : {}) })
    // --warm-up: the engine warms up while the catch-up is on its way.
    if (warm) warmUp()
  },
  preload: () => db.preload(),
  async query(i, build) {
    const lq = liveQuery((q) => build(q, db.collections, { eq, count }))
    queries[i] = lq
    return lq.data
  },
  async again(build) {
    const lq = liveQuery((q) => build(q, db.collections, { eq, count }))
    const n = lq.data.length
    lq.dispose()
    return n
  },
  subscribe(i, fn) {
    queries[i].subscribe((changes) => {
      if (changes.length > 0) fn()
    })
  },
  async openQuery(build) {
    const lq = liveQuery((q) => build(q, db.collections, loadFns))
    return { rows: () => lq.data, subscribe: (fn) => lq.subscribe(fn) }
  },
  awaitTxId: (txid) => db.utils.awaitTxId(txid, 600000),
  // The reload section: write the snapshot now (→ {bytes, rows, offset,
  // skipped}), the db's status, and close it.
  saveSnapshot: () => db.utils.saveSnapshot(),
  status: () => db.status,
  close: () => db.close(),
  rows: (i) => queries[i].data,
  info: () => ({ users: db.collections.users.size, messages: db.collections.messages.size }),
})
