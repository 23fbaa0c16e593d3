// The README's first sample ("Using the package"), verbatim between the
// two marker lines: test/js/readme-sample.test.mjs checks that it is the
// README's text, and tsc (make test-package) that it type-checks. What the
// sample leaves to the app (url, getToken, render) is declared first; the
// checks of what it inferred come after it.
// Run: npx tsc --noEmit -p test/types

declare const url: string
declare function getToken(): Promise<string>
declare function render(rows: readonly unknown[]): void

// ---- README sample begin ----
import { createStateSchema, createStreamDB, liveQuery, eq } from '@streamdb/streamdb'
import { useLiveQuery } from '@streamdb/streamdb/react' // or /vue, /solid
import { z } from 'zod' // any Standard Schema library: zod, valibot, arktype, ...

// url, getToken and render are your app's.
const userSchema = z.object({ id: z.string(), name: z.string(), active: z.boolean() })
const messageSchema = z.object({ id: z.string(), userId: z.string(), text: z.string() })
const schema = createStateSchema({
  users: { schema: userSchema, type: 'user', primaryKey: 'id' },
  messages: { schema: messageSchema, type: 'message', primaryKey: 'id' },
})
const db = createStreamDB({
  streamOptions: {
    url, contentType: 'application/json',
    headers: { authorization: async () => `Bearer ${await getToken()}` }, // functions run for every request
    params: { tenant: 'acme' }, // added to every request's query
  },
  state: schema,
  live: 'long-poll', // or 'sse', or false
  taskBudgetMs: 50, // the longest stretch of preload (or live burst) work before the page gets a turn (default 50)
  // warmUp: true, // warm the engine up in a Worker (default: only on 4 or more logical cores; false: never)
  idleTimeoutMs: 60000, // a read that hears nothing this long is taken for dead and made again (0: never)
  retry: { maxRetries: 10 }, // give up after 10 failed tries in a row (default: retry forever, 100 ms up to 30 s)
  maxEventBytes: 16 << 20, // a longer event is reported and left out (default 64 MiB)
  onError: (err) => {}, // InvalidEventError (offset, type, key), StreamError, ...
  onProgress: ({ bytes, events, offset, ready }) => {},
  actions: ({ db, stream }) => ({
    addUser: {
      onMutate: (user) => db.collections.users.insert(user), // visible at once
      mutationFn: async (user) => {
        const txid = crypto.randomUUID()
        await stream.append(schema.users.insert({ value: user, headers: { txid } }))
        await db.utils.awaitTxId(txid) // rolled back if this throws
      },
    },
  }),
})
await db.preload()

const active = liveQuery((q) => q.from({ u: db.collections.users }).where(({ u }) => eq(u.active, true)))
active.data            // rows, kept up to date
active.subscribe(() => render(active.data))
function Messages() { // a React component
  const { data, isReady } = useLiveQuery((q) =>
    q.from({ m: db.collections.messages })
      .join({ u: db.collections.users }, ({ m, u }) => eq(m.userId, u.id), 'inner')
      .select(({ m, u }) => ({ text: m.text, userName: u.name })))
  return isReady ? data.map((row) => `${row.userName}: ${row.text}`).join('\n') : 'loading'
}

const tx = db.actions.addUser({ id: '1', name: 'Alice', active: true })
await tx.isPersisted.promise
await db.stream.appendBatch([ // several events in one request
  schema.messages.insert({ value: { id: 'm1', userId: '1', text: 'hello' } }),
  schema.messages.insert({ value: { id: 'm2', userId: '1', text: 'again' } }),
])
db.close()
// ---- README sample end ----

type Equal<A, B> = (<G>() => G extends A ? 1 : 2) extends (<G>() => G extends B ? 1 : 2) ? true : false
/** expectType<T>()(value) compiles only when value's type is exactly T. */
declare function expectType<T>(): <V>(value: V, ...mismatch: Equal<T, V> extends true ? [] : ['type mismatch', T]) => void

type User = { id: string; name: string; active: boolean }
expectType<User[]>()(active.data)
expectType<string>()(Messages())
// An action's parameter is its onMutate's: untyped in JavaScript, so any.
expectType<any>()(null as unknown as Parameters<typeof db.actions.addUser>[0])
