// 20 live queries while events stream in at full speed (load.test.mjs):
// the page side is the benchmark's (bench/pages/load.js), run on this
// package; instrument.js comes first so that it sees the wasm instance and
// every long task.
import { wasmBytes } from '../../../bench/pages/instrument.js'
import { createStateSchema, createStreamDB, liveQuery, eq, gt, gte, lt, and, or, inArray, like, count, sum, min, max, upper, concat } from '@streamdb/streamdb'
import { openLoad, loadResults } from '../../../bench/pages/load.js'
import { expose } from './common.js'

const fns = { eq, gt, gte, lt, and, or, inArray, like, count, sum, min, max, upper, concat }
const schema = () => createStateSchema({
  users: { type: 'user', primaryKey: 'id' },
  messages: { type: 'message', primaryKey: 'id' },
})

/** engine opens a StreamDB on stream and adapts it to load.js. */
async function engine(stream, live) {
  const db = createStreamDB({ streamOptions: { url: stream, contentType: 'application/json' }, state: schema(), live })
  await db.preload()
  return {
    db,
    open: async (build) => {
      const lq = liveQuery((q) => build(q, db.collections, fns))
      return { rows: () => lq.data, subscribe: (fn) => lq.subscribe(fn) }
    },
    awaitTxId: (txid) => db.utils.awaitTxId(txid, Infinity),
  }
}

let load

expose({
  /** open preloads the stream, opens the 20 queries and starts watching. */
  async open({ stream, txid }) {
    load = await openLoad(await engine(stream, 'long-poll'), { txid })
    return { openMs: load.openMs, sizes: load.sizes, wasmBefore: load.wasmBefore }
  },
  /** finish waits until the load is in and says what the page went through. */
  finish: (args) => load.finish(args),
  /** results: the live queries' results now. */
  results: () => load.results(),
  /** fresh reads the whole stream into a new db and returns the same queries' results. */
  async fresh({ stream }) {
    const e = await engine(stream, false)
    const results = await loadResults(e)
    return { results, wasm: wasmBytes() }
  },
})
