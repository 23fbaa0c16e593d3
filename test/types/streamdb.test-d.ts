// Type tests of js/index.d.ts: createStateSchema, createStreamDB,
// collections, actions, transactions, liveQuery and the error classes.
// `expectType<T>()(value)` asserts an exact inferred type; each
// `// @ts-expect-error` line must fail to type-check.
// Run: npx tsc --noEmit -p test/types

import {
  createStateSchema, createStreamDB, liveQuery, eq, gt, count, Query,
  Collection, LiveQuery, Transaction,
  StreamDBError, QueryCompileError, InvalidEventError, SchemaValidationError, StreamError,
  MissingMutationContextError, ClosedError, QueryBuilderError,
  type ChangeMessage, type ChangeEvent, type CollectionStatus, type TransactionState, type Progress,
  type StreamDB, type StreamDBWithActions, type StandardSchemaV1, type Subscription, type LiveQueryOf, type Connection,
  type StateEvent, type ControlEvent, isChangeEvent, isControlEvent, getStreamDBCollectionId,
} from '@streamdb/streamdb'
import { z } from 'zod'
import * as S from '@streamdb/streamdb'

type Equal<A, B> = (<G>() => G extends A ? 1 : 2) extends (<G>() => G extends B ? 1 : 2) ? true : false
/** expectType<T>()(value) compiles only when value's type is exactly T. */
declare function expectType<T>(): <V>(value: V, ...mismatch: Equal<T, V> extends true ? [] : ['type mismatch', T]) => void

// the helper itself rejects a mismatch
// @ts-expect-error number is not string
expectType<string>()(1 as number)
// @ts-expect-error a subtype is not the type
expectType<{ a: string }>()({ a: 'x', b: 1 })

// ---- createStateSchema: rows are the schema's output, insert takes its input ----

const userSchema = z.object({
  id: z.string(),
  name: z.string(),
  age: z.number().default(0),
  joined: z.string().transform((s) => new Date(s)),
  teamId: z.string().nullable(),
})
const todoSchema = z.object({ key: z.string(), title: z.string(), done: z.boolean() })

type User = { id: string; name: string; age: number; joined: Date; teamId: string | null }
type UserInput = { id: string; name: string; age?: number | undefined; joined: string; teamId: string | null }
type Todo = { key: string; title: string; done: boolean }

const schema = createStateSchema({
  users: { schema: userSchema, type: 'user', primaryKey: 'id' },
  todos: { schema: todoSchema, type: 'todo', primaryKey: 'key' },
})

expectType<'user'>()(schema.users.type)
expectType<'key'>()(schema.todos.primaryKey)
expectType<typeof userSchema>()(schema.users.schema)

// helpers take the input type and keep it in the event
const ev = schema.users.insert({ value: { id: '1', name: 'A', joined: '2025-01-01', teamId: null }, headers: { txid: 't1' } })
expectType<UserInput>()(ev.value)
expectType<'user'>()(ev.type)
expectType<string>()(ev.key)
expectType<'insert'>()(ev.headers.operation)
expectType<string | undefined>()(ev.headers.txid)
const up = schema.todos.update({ value: { key: 'k', title: 't', done: true }, oldValue: { key: 'k', title: 't', done: false } })
expectType<'update'>()(up.headers.operation)
expectType<Todo | undefined>()(up.old_value)
expectType<ChangeEvent<Todo, 'todo', 'delete'>>()(schema.todos.delete({ key: 'k' }))
schema.todos.delete({ oldValue: { key: 'k', title: 't', done: false } })
expectType<'upsert'>()(schema.todos.upsert({ key: 'k', value: { key: 'k', title: 't', done: true } }).headers.operation)

// @ts-expect-error a value of the wrong shape
schema.todos.insert({ value: { key: 'k', title: 1, done: true } })
// @ts-expect-error a value missing a field
schema.todos.upsert({ value: { key: 'k', done: true } })
// @ts-expect-error header values are strings
schema.todos.insert({ value: { key: 'k', title: 't', done: true }, headers: { txid: 1 } })
// @ts-expect-error insert needs a value
schema.todos.insert({ key: 'k' })
// @ts-expect-error keys are strings
schema.todos.delete({ key: 1 })

// @ts-expect-error primaryKey must be a field of the rows
createStateSchema({ users: { schema: userSchema, type: 'user', primaryKey: 'email' } })
createStateSchema({
  users: { schema: userSchema, type: 'user', primaryKey: 'id' },
  // @ts-expect-error primaryKey of the second collection is not a todo field
  todos: { schema: todoSchema, type: 'todo', primaryKey: 'id' },
})
// @ts-expect-error a definition needs a type
createStateSchema({ users: { schema: userSchema, primaryKey: 'id' } })
// @ts-expect-error the schema must be a Standard Schema
createStateSchema({ users: { schema: { parse: (v: unknown) => v }, type: 'user', primaryKey: 'id' } })
// @ts-expect-error "actions" is a reserved collection name
createStateSchema({ actions: { schema: todoSchema, type: 'todo', primaryKey: 'key' } })
// @ts-expect-error unknown collection of the schema
schema.posts

// a hand-written Standard Schema without `types`: rows come from validate's result
const manual: StandardSchemaV1<unknown, { slug: string; hits: number }> = {
  '~standard': { version: 1, vendor: 'manual', validate: (v) => ({ value: v as { slug: string; hits: number } }) },
}
const manualSchema = createStateSchema({ pages: { schema: manual, type: 'page', primaryKey: 'slug' } })
// @ts-expect-error the manual schema's rows have no `id`
createStateSchema({ pages: { schema: manual, type: 'page', primaryKey: 'id' } })
// a schema whose rows are unknown takes any primary key
const untyped: StandardSchemaV1 = { '~standard': { version: 1, vendor: 'manual', validate: (v) => ({ value: v }) } }
expectType<object>()(createStreamDB({ streamOptions: { url: 'x' }, state: createStateSchema({ things: { schema: untyped, type: 'thing', primaryKey: 'anything' } }) }).collections.things.toArray[0]!)

// ---- createStreamDB and collections ----

const db = createStreamDB({
  streamOptions: { url: 'http://localhost:4437/v1/stream/app', headers: { Authorization: () => 'Bearer x' } },
  state: schema,
  live: 'sse',
  onError: (e) => expectType<Error>()(e),
  onProgress: (p) => expectType<Progress>()(p),
})
expectType<StreamDB<typeof schema>>()(db)
createStreamDB({ streamOptions: { url: 'x' }, state: schema, warmUp: false })
// @ts-expect-error warmUp is a boolean
createStreamDB({ streamOptions: { url: 'x' }, state: schema, warmUp: 'yes' })
expectType<Promise<S.WarmUpResult | null>>()(S.warmUp())
expectType<'worker' | 'page'>()((null as unknown as S.WarmUpResult).thread)
const users = db.collections.users
expectType<Collection<User, UserInput>>()(users)
expectType<User | undefined>()(users.get('1'))
expectType<boolean>()(users.has(1))
expectType<number>()(users.size)
expectType<User[]>()(users.toArray)
expectType<Map<string, User>>()(users.state)
expectType<IterableIterator<string>>()(users.keys())
expectType<IterableIterator<User>>()(users.values())
expectType<IterableIterator<[string, User]>>()(users.entries())
for (const [k, row] of users) {
  expectType<string>()(k)
  expectType<User>()(row)
}
users.forEach((row, key, coll) => {
  expectType<User>()(row)
  expectType<string>()(key)
  expectType<Collection<User, UserInput>>()(coll)
})
expectType<CollectionStatus>()(users.status)
expectType<boolean>()(users.isReady())
expectType<Promise<void>>()(users.preload())
expectType<Promise<User[]>>()(users.toArrayWhenReady())
expectType<string>()(users.id)
const sub = users.subscribeChanges((changes) => {
  expectType<Array<ChangeMessage<User>>>()(changes)
  for (const c of changes) if (c.type === 'update') expectType<User>()(c.previousValue)
}, { includeInitialState: true })
expectType<Subscription>()(sub)
expectType<Promise<Todo[]>>()(db.collections.todos.toArrayWhenReady())
expectType<{ slug: string; hits: number } | undefined>()(
  createStreamDB({ streamOptions: { url: 'x' }, state: manualSchema }).collections.pages.get('home'),
)

expectType<string>()(db.offset)
expectType<Promise<void>>()(db.preload())
expectType<void>()(db.close())
expectType<string>()(db.stream.url)
expectType<Promise<{ offset: string }>>()(db.stream.append(schema.todos.insert({ value: { key: 'k', title: 't', done: false } })))
expectType<Promise<{ offset: string }>>()(db.stream.append('{"type":"todo"}'))
expectType<Promise<{ offset: string }>>()(db.stream.append(new Uint8Array(2), { signal: AbortSignal.timeout(1000), headers: { 'x-a': () => 'b' } }))
expectType<Promise<{ offset: string }>>()(db.stream.append(Promise.resolve('{}')))
// @ts-expect-error an array is not one event: appendBatch takes several
db.stream.append([schema.todos.insert({ value: { key: 'k', title: 't', done: false } })])
// @ts-expect-error a number is not an event
db.stream.append(42)
expectType<Promise<{ offset: string }>>()(db.stream.appendBatch([
  schema.todos.insert({ value: { key: 'k', title: 't', done: false } }),
  schema.todos.delete({ key: 'j' }),
  '{"type":"todo","key":"i","headers":{"operation":"delete"}}',
]))
// @ts-expect-error appendBatch takes an array
db.stream.appendBatch(schema.todos.delete({ key: 'j' }))
expectType<Promise<void>>()(db.utils.awaitTxId('t1'))
await db.utils.awaitTxId('t1', 10_000)

// @ts-expect-error unknown collection name
db.collections.posts
// @ts-expect-error collections are read-only
db.collections.users = db.collections.users
// @ts-expect-error awaitTxId takes a string txid
db.utils.awaitTxId(42)
// @ts-expect-error the timeout is a number of milliseconds
db.utils.awaitTxId('t1', '5s')
// @ts-expect-error no actions were given
db.actions
// @ts-expect-error live is true, false, 'long-poll' or 'sse'
createStreamDB({ streamOptions: { url: 'x' }, state: schema, live: 'ws' })
// @ts-expect-error state is required
createStreamDB({ streamOptions: { url: 'x' } })
// @ts-expect-error the state must be collection definitions
createStreamDB({ streamOptions: { url: 'x' }, state: { users: userSchema } })
// @ts-expect-error stream or streamOptions is required
createStreamDB({ state: schema })
// an existing stream handle instead of streamOptions
createStreamDB({ stream: db.stream, state: schema })

// ---- actions ----

const adb = createStreamDB({
  streamOptions: { url: 'x' },
  state: schema,
  actions: ({ db, stream }) => ({
    addTodo: {
      onMutate: (todo: Todo) => {
        expectType<Transaction>()(db.collections.todos.insert(todo))
      },
      mutationFn: async (todo: Todo, { transaction }) => {
        expectType<Transaction>()(transaction)
        const txid = crypto.randomUUID()
        await stream.append(schema.todos.insert({ value: todo, headers: { txid } }))
        await db.utils.awaitTxId(txid)
      },
    },
    rename: {
      onMutate: ({ id, name }: { id: string; name: string }) => {
        db.collections.users.update(id, (draft) => {
          expectType<Date>()(draft.joined)
          draft.name = name
          // @ts-expect-error a draft field keeps its type
          draft.age = 'old'
        })
        db.collections.users.update([id, 'other'], (drafts) => {
          expectType<number>()(drafts[0]!.age)
        })
      },
      mutationFn: async () => {},
    },
    clearDone: {
      onMutate: () => {
        db.collections.todos.delete(db.collections.todos.toArray.filter((t) => t.done).map((t) => t.key))
        // @ts-expect-error insert of a wrong row shape inside onMutate
        db.collections.todos.insert({ key: 'k', title: 't', done: 'yes' })
        // @ts-expect-error insert of a row of another collection
        db.collections.todos.insert({ id: '1', name: 'A', joined: 'x', teamId: null })
        // insert takes the schema's input: age may be left out, joined is the string the transform reads
        db.collections.users.insert([{ id: '1', name: 'A', joined: '2025-01-01', teamId: null }])
        // @ts-expect-error insert takes the input type, not the transformed Date
        db.collections.users.insert({ id: '1', name: 'A', joined: new Date(), teamId: null })
      },
      mutationFn: async () => {},
    },
  }),
})

expectType<StreamDBWithActions<typeof schema, any>>()(adb as StreamDBWithActions<typeof schema, any>)
expectType<(todo: Todo) => Transaction>()(adb.actions.addTodo)
expectType<() => Transaction>()(adb.actions.clearDone)
const tx = adb.actions.rename({ id: '1', name: 'B' })
expectType<number>()(tx.id)
expectType<TransactionState>()(tx.state)
expectType<Promise<Transaction>>()(tx.isPersisted.promise)
expectType<'insert' | 'update' | 'delete'>()(tx.mutations[0]!.type)
tx.rollback()
// @ts-expect-error the action's parameter is onMutate's
adb.actions.addTodo({ key: 'k' })
// @ts-expect-error unknown action
adb.actions.removeTodo
// @ts-expect-error an action with a parameter needs it
adb.actions.rename()

createStreamDB({
  streamOptions: { url: 'x' },
  state: schema,
  // @ts-expect-error onMutate must be synchronous
  actions: ({ db }) => ({
    addTodo: {
      onMutate: async (todo: Todo) => {
        db.collections.todos.insert(todo)
      },
      mutationFn: async () => {},
    },
  }),
})

// ---- liveQuery ----

const lq = liveQuery((q) => q.from({ u: db.collections.users }).where(({ u }) => gt(u.age, 18)))
expectType<LiveQuery<User, User[]>>()(lq)
expectType<User[]>()(lq.data)
expectType<Map<string | number, User>>()(lq.state)
expectType<User | undefined>()(lq.get('1'))
expectType<CollectionStatus>()(lq.status)
expectType<boolean>()(lq.isReady())
expectType<() => void>()(lq.subscribe((changes) => expectType<Array<ChangeMessage<User, string | number>>>()(changes)))
lq.dispose()

const one = liveQuery((q) => q.from({ u: db.collections.users }).where(({ u }) => eq(u.id, '1')).findOne())
expectType<User | undefined>()(one.data)

const perTeam = liveQuery((q) =>
  q.from({ u: db.collections.users })
    .groupBy(({ u }) => u.teamId)
    .select(({ u }) => ({ teamId: u.teamId, n: count(u.id) })),
)
expectType<Array<{ teamId: string | null; n: number }>>()(perTeam.data)
// @ts-expect-error reading a field the select did not produce
perTeam.data[0]!.name

declare const enabled: boolean
const maybe = liveQuery((q) => (enabled ? q.from({ t: db.collections.todos }) : null))
expectType<LiveQuery<Todo, Todo[]> | null>()(maybe)
// @ts-expect-error the live query may be null (disabled)
maybe.data

const built = new Query().from({ t: db.collections.todos }).orderBy(({ t }) => t.title).limit(5)
expectType<LiveQueryOf<typeof built>>()(liveQuery(built))
expectType<Todo[]>()(liveQuery(built).data)

// @ts-expect-error a query function must return a query
liveQuery((q) => q)
// @ts-expect-error unknown field in a where
liveQuery((q) => q.from({ u: db.collections.users }).where(({ u }) => eq(u.email, 'x')))

// ---- classes and errors ----

declare const something: unknown
if (something instanceof Collection) expectType<Collection<any, any>>()(something)
if (something instanceof LiveQuery) expectType<LiveQuery<any, any>>()(something)
if (something instanceof Transaction) expectType<Transaction>()(something)
// @ts-expect-error collections are made by createStreamDB, not new
new Collection()

try {
  await db.preload()
} catch (e) {
  if (e instanceof StreamError) {
    expectType<number | undefined>()(e.status)
    expectType<string | undefined>()(e.url)
  } else if (e instanceof ClosedError) {
    expectType<'CLOSED'>()(e.code)
  } else if (e instanceof SchemaValidationError) {
    expectType<ReadonlyArray<StandardSchemaV1.Issue> | undefined>()(e.issues)
  } else if (e instanceof QueryCompileError) {
    expectType<string | undefined>()(e.clause)
  } else if (e instanceof InvalidEventError) {
    expectType<string | undefined>()(e.offset)
  } else if (e instanceof MissingMutationContextError) {
    expectType<'NO_TRANSACTION'>()(e.code)
  } else if (e instanceof StreamDBError) {
    const code: string = e.code
    if (e.code === 'TXID_TIMEOUT') expectType<string | undefined>()(e.txid)
  }
}
const qb: StreamDBError = new QueryBuilderError('x')
const base: Error = new StreamDBError('boom', { code: 'USAGE', cause: new Error('inner') })
new ClosedError()
// @ts-expect-error error constructors take a message
new StreamDBError()

// ---- the connection: its state, its subscription, the retry and idle options ----

{
  const conn = db.connection
  if (conn.state === 'retrying') {
    expectType<number>()(conn.attempt)
    expectType<number>()(conn.delayMs)
    expectType<StreamDBError>()(conn.error)
  }
  if (conn.state === 'failed') expectType<StreamDBError>()(conn.error)
  // @ts-expect-error no attempt outside retrying
  conn.attempt
  const stop = db.subscribeConnection((c) => expectType<Connection>()(c))
  expectType<() => void>()(stop)
  createStreamDB({ streamOptions: { url: 'u' }, state: schema, retry: { maxRetries: 3, initialDelayMs: 10 }, idleTimeoutMs: 0 })
  // @ts-expect-error retry takes numbers
  createStreamDB({ streamOptions: { url: 'u' }, state: schema, retry: { maxRetries: 'many' } })
}

// ---- the event guards and the collection id of @durable-streams/state ----

{
  const e = {} as StateEvent<{ id: string }>
  if (isChangeEvent(e)) expectType<ChangeEvent<{ id: string }>>()(e)
  if (isControlEvent(e)) expectType<ControlEvent>()(e)
  expectType<string>()(getStreamDBCollectionId('http://x/s', 'users'))
}

// Collections no stream feeds, and a live query as a source (issue 18, item 1).
{
  type Todo = { id: string; text: string; done: boolean }
  const todos = S.createCollection(S.localOnlyCollectionOptions<Todo>({ getKey: (t) => t.id, initialData: [{ id: 'a', text: 'milk', done: false }] }))
  const t: Todo | undefined = todos.get('a')
  todos.insert({ id: 'b', text: 'eggs', done: true })
  // @ts-expect-error a row of another shape
  todos.insert({ id: 1 })
  const open = S.createLiveQueryCollection((q) => q.from({ t: todos }).where(({ t }) => S.eq(t.done, false)))
  const again = S.createLiveQueryCollection((q) => q.from({ o: open }).select(({ o }) => ({ text: o.text })))
  const texts: Array<{ text: string }> = again.data
  const synced = S.createCollection<{ sku: string; qty: number }>({
    getKey: (r) => r.sku,
    sync: { sync: ({ begin, write, commit, markReady }) => { begin(); write({ type: 'insert', value: { sku: 'x', qty: 1 } }); commit(); markReady() } },
  })
  void [t, texts, synced.status]
}
