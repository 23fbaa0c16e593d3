// StreamDB under the benchmark harness, for both of its builds: ours.js
// gives it the package's main entry (the default module), ours-ws.js its
// ./websocket entry (the WebSocket build, live: 'websocket' through a
// streamdb-gateway). Each page imports instrument.js first, then its entry.
import { install } from './harness.js'

/** installOurs installs the harness over the package pkg (its exports). */
export function installOurs(pkg, { name = 'ours' } = {}) {
  const { createStateSchema, createStreamDB, liveQuery, warmUp, eq, gt, gte, lt, and, or, inArray, like, count, sum, min, max, upper, concat } = pkg
  const schema = createStateSchema({
    users: { type: 'user', primaryKey: 'id' },
    messages: { type: 'message', primaryKey: 'id' },
  })
  let db
  const queries = []
  // The functions the load row's queries use (load.js).
  const loadFns = { eq, gt, gte, lt, and, or, inArray, like, count, sum, min, max, upper, concat }
  // open's options: gateway (live: 'websocket') is the gateway's socket URL.
  const make = ({ url, live, gateway, persist, onProgress }) =>
    createStreamDB({
      streamOptions: { url, contentType: 'application/json' },
      state: schema,
      live,
      ...(gateway ? { websocket: { url: gateway } } : {}),
      // persist (the reload section): the snapshot in OPFS, keyed by the
      // stream's URL (persist: true).
      ...(persist ? { persist } : {}),
      ...(onProgress ? { onProgress } : {}),
    })

  install({
    name,
    fns: { eq, count },
    open(o) {
      db = make(o)
      // --warm-up: the engine warms up while the catch-up is on its way.
      if (o.warmUp) warmUp()
    },
    preload: () => db.preload(),
    // live: 'websocket': the change rounds append over the socket.
    append: (event) => db.stream.append(event),
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
    // The streams section: one more database of many in the page.
    one(o) {
      const d = make(o)
      return {
        preload: () => d.preload(),
        append: (event) => d.stream.append(event),
        async query(build) {
          const lq = liveQuery((q) => build(q, d.collections, { eq, count }))
          return { rows: () => lq.data, subscribe: (fn) => lq.subscribe((changes) => changes.length > 0 && fn()) }
        },
        sizes: () => ({ users: d.collections.users.size, messages: d.collections.messages.size }),
        close: () => d.close(),
      }
    },
  })
}
