// A long preload as the page sees it: the main thread's long tasks while a
// large stream loads, and whether the page got to run (progress, a timer)
// before the preload ended.
import { createStateSchema, createStreamDB } from '@streamdb/streamdb'
import { expose } from './common.js'

const schema = () => createStateSchema({
  users: { type: 'user', primaryKey: 'id' },
  messages: { type: 'message', primaryKey: 'id' },
})

const longTasks = []
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) longTasks.push([e.startTime, e.duration])
}).observe({ type: 'longtask', buffered: true })

expose({
  /** preload reads the whole stream and reports the page's long tasks meanwhile. */
  async preload({ stream, taskBudgetMs }) {
    let progress = 0
    let ticks = 0
    const timer = setInterval(() => ticks++, 10)
    const t0 = performance.now()
    const db = createStreamDB({
      streamOptions: { url: stream, contentType: 'application/json' },
      state: schema(),
      live: false,
      taskBudgetMs,
      onProgress: () => progress++,
    })
    await db.preload()
    const t1 = performance.now()
    clearInterval(timer)
    // Long tasks are reported after they end: let the observer catch up.
    await new Promise((r) => setTimeout(r, 200))
    const during = longTasks.filter(([start, d]) => start + d > t0 && start < t1)
    const out = {
      ms: Math.round(t1 - t0),
      users: db.collections.users.size,
      messages: db.collections.messages.size,
      tasks: during.length,
      longest: Math.round(Math.max(0, ...during.map(([, d]) => d))),
      all: during.map(([s, d]) => `${Math.round(s - t0)}+${Math.round(d)}`).join(" "),
      progress,
      ticks,
    }
    db.close()
    return out
  },
})
