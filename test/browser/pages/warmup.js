// The engine's warm-up as a page sees it: createStreamDB starts it in a
// Worker (counted here by wrapping the page's Worker constructor) on a
// device with cores to spare (?cores=N sets what navigator reports),
// warmUp() says where it ran, and the database's data is the stream's
// either way.
import { createStateSchema, createStreamDB, liveQuery, warmUp, eq } from '@streamdb/streamdb'
import { expose } from './common.js'

const cores = new URLSearchParams(location.search).get('cores')
if (cores !== null) Object.defineProperty(navigator, 'hardwareConcurrency', { get: () => Number(cores) })

const RealWorker = globalThis.Worker
let workers = 0
globalThis.Worker = class extends RealWorker {
  constructor(...args) {
    workers++
    super(...args)
  }
}

const schema = () => createStateSchema({
  users: { type: 'user', primaryKey: 'id' },
})

expose({
  /**
   * open creates a StreamDB (with warmUp set unless undefined), preloads it
   * and opens a live query of the active users; then, with wait, waits for
   * warmUp(). It reports the workers the page started, where the warm-up
   * ran and the query's result.
   */
  async open({ stream, warm, wait }) {
    const db = createStreamDB({
      streamOptions: { url: stream, contentType: 'application/json' },
      state: schema(),
      live: false,
      ...(warm === undefined ? {} : { warmUp: warm }),
    })
    const startedByCreate = workers
    await db.preload()
    const q = liveQuery((b) => b.from({ u: db.collections.users }).where(({ u }) => eq(u.active, true)))
    const active = q.data.map((u) => u.id)
    q.dispose()
    const out = { startedByCreate, workers, active }
    if (wait) {
      const r = await warmUp()
      Object.assign(out, { workers, result: r && { thread: r.thread, positive: r.ms > 0 } })
    }
    db.close()
    return out
  },
})
