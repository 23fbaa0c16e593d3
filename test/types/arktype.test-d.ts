// The seed's examples with ArkType schemas instead of zod, and checks that
// rows are the schema's output and insert takes its input.
// Run: npx tsc --noEmit -p test/types

import { createStateSchema, createStreamDB, liveQuery, eq, count, type Transaction } from '@streamdb/streamdb'
import { useLiveQuery } from '@streamdb/streamdb/react'
import { type } from 'arktype'

type Equal<A, B> = (<G>() => G extends A ? 1 : 2) extends (<G>() => G extends B ? 1 : 2) ? true : false
/** expectType<T>()(value) compiles only when value's type is exactly T. */
declare function expectType<T>(): <V>(value: V, ...mismatch: Equal<T, V> extends true ? [] : ['type mismatch', T]) => void

const userSchema = type({
  id: 'string',
  name: 'string',
  email: 'string.email',
  'age?': 'number',
})

const messageSchema = type({
  id: 'string',
  userId: 'string',
  text: 'string',
  timestamp: 'string.date.parse',
})

const schema = createStateSchema({
  users: { schema: userSchema, type: 'user', primaryKey: 'id' },
  messages: { schema: messageSchema, type: 'message', primaryKey: 'id' },
})

schema.users.insert({ value: { id: '1', name: 'Alice', email: 'alice@example.com' } })
schema.messages.insert({ value: { id: 'm1', userId: '1', text: 'hi', timestamp: '2025-01-01' } })
// @ts-expect-error age is a number
schema.users.insert({ value: { id: '1', name: 'Alice', email: 'a@b.c', age: '3' } })
// @ts-expect-error primaryKey must be a field of the rows
createStateSchema({ messages: { schema: messageSchema, type: 'message', primaryKey: 'messageId' } })

const db = createStreamDB({
  streamOptions: { url: 'https://api.example.com/streams/my-stream' },
  state: schema,
  actions: ({ db, stream }) => ({
    addUser: {
      onMutate: (user: typeof userSchema.inferIn) => {
        db.collections.users.insert(user)
        // @ts-expect-error insert of a wrong row shape inside onMutate
        db.collections.users.insert({ id: 1 })
      },
      mutationFn: async (user: typeof userSchema.inferIn) => {
        const txid = crypto.randomUUID()
        await stream.append(schema.users.insert({ value: user, headers: { txid } }))
        await db.utils.awaitTxId(txid)
      },
    },
  }),
})
await db.preload()

const user = db.collections.users.get('1')!
expectType<string>()(user.email)
expectType<number | undefined>()(user.age)
expectType<Date>()(db.collections.messages.toArray[0]!.timestamp)
expectType<Transaction>()(db.actions.addUser({ id: '1', name: 'Alice', email: 'alice@example.com' }))

const allUsers = useLiveQuery((q) => q.from({ users: db.collections.users }))
const messagesWithAuthors = useLiveQuery((q) =>
  q
    .from({ messages: db.collections.messages })
    .join({ users: db.collections.users }, ({ messages, users }) => eq(messages.userId, users.id))
    .select(({ messages, users }) => ({ text: messages.text, userName: users.name, age: users.age })),
)
const messageCount = liveQuery((q) =>
  q.from({ messages: db.collections.messages }).select(({ messages }) => ({ total: count(messages.id) })),
)

expectType<Array<typeof userSchema.infer>>()(allUsers.data)
expectType<Array<{ text: string; userName: string | undefined; age: number | undefined }>>()(messagesWithAuthors.data)
expectType<Array<{ total: number }>>()(messageCount.data)
