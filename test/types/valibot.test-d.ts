// The seed's examples with valibot schemas instead of zod, and checks that
// rows are the schema's output and insert takes its input.
// Run: npx tsc --noEmit -p test/types

import { createStateSchema, createStreamDB, eq, count } from '@streamdb/streamdb'
import { useLiveQuery } from '@streamdb/streamdb/react'
import * as v from 'valibot'

type Equal<A, B> = (<G>() => G extends A ? 1 : 2) extends (<G>() => G extends B ? 1 : 2) ? true : false
/** expectType<T>()(value) compiles only when value's type is exactly T. */
declare function expectType<T>(): <V>(value: V, ...mismatch: Equal<T, V> extends true ? [] : ['type mismatch', T]) => void

const userSchema = v.object({
  id: v.string(),
  name: v.string(),
  email: v.pipe(v.string(), v.email()),
  active: v.optional(v.boolean(), true),
})

const messageSchema = v.object({
  id: v.string(),
  userId: v.string(),
  text: v.string(),
  timestamp: v.pipe(v.string(), v.transform((s) => new Date(s))),
})

const schema = createStateSchema({
  users: { schema: userSchema, type: 'user', primaryKey: 'id' },
  messages: { schema: messageSchema, type: 'message', primaryKey: 'id' },
})

type User = { id: string; name: string; email: string; active: boolean }
type Message = { id: string; userId: string; text: string; timestamp: Date }

schema.users.insert({ value: { id: '1', name: 'Alice', email: 'alice@example.com' } })
schema.messages.insert({ value: { id: 'm1', userId: '1', text: 'hi', timestamp: '2025-01-01T00:00:00Z' } })
// @ts-expect-error the helpers take the schema's input: a timestamp string
schema.messages.insert({ value: { id: 'm1', userId: '1', text: 'hi', timestamp: new Date() } })
// @ts-expect-error primaryKey must be a field of the rows
createStateSchema({ users: { schema: userSchema, type: 'user', primaryKey: 'userId' } })

const db = createStreamDB({
  streamOptions: { url: 'https://api.example.com/streams/my-stream', contentType: 'application/json' },
  state: schema,
  actions: ({ db, stream }) => ({
    addUser: {
      onMutate: (user: v.InferInput<typeof userSchema>) => {
        db.collections.users.insert(user)
      },
      mutationFn: async (user: v.InferInput<typeof userSchema>) => {
        const txid = crypto.randomUUID()
        await stream.append(schema.users.insert({ value: user, headers: { txid } }))
        await db.utils.awaitTxId(txid)
      },
    },
  }),
})
await db.preload()

expectType<User | undefined>()(db.collections.users.get('1'))
expectType<Message[]>()(db.collections.messages.toArray)
await db.actions.addUser({ id: '1', name: 'Alice', email: 'alice@example.com' })
// @ts-expect-error email is required
db.actions.addUser({ id: '1', name: 'Alice' })

const allUsers = useLiveQuery((q) => q.from({ users: db.collections.users }))
const activeUsers = useLiveQuery((q) =>
  q.from({ users: db.collections.users }).where(({ users }) => eq(users.active, true)),
)
const messagesWithAuthors = useLiveQuery((q) =>
  q
    .from({ messages: db.collections.messages })
    .join({ users: db.collections.users }, ({ messages, users }) => eq(messages.userId, users.id))
    .select(({ messages, users }) => ({ text: messages.text, at: messages.timestamp, userName: users.name })),
)
const messageCount = useLiveQuery((q) =>
  q.from({ messages: db.collections.messages }).select(({ messages }) => ({ total: count(messages.id) })),
)

expectType<User[]>()(allUsers.data)
expectType<User[]>()(activeUsers.data)
expectType<Array<{ text: string; at: Date; userName: string | undefined }>>()(messagesWithAuthors.data)
expectType<Array<{ total: number }>>()(messageCount.data)
