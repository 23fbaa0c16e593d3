// The seed's examples (the user's description of StreamDB, which is kept
// outside this repository) verbatim, with
// zod, the import paths changed to @streamdb/streamdb and
// @streamdb/streamdb/react. Names a snippet uses without defining them
// (updatedUser, streamUrl, configSchema, ...) are declared first, and
// snippets that redefine `schema` or `db` sit in their own block. Each
// snippet ends with checks of what it inferred.
// Run: npx tsc --noEmit -p test/types

import { createStateSchema, createStreamDB } from "@streamdb/streamdb"
import { z } from "zod"
import { useLiveQuery } from "@streamdb/streamdb/react"
import { eq, count } from "@streamdb/streamdb"
import { useEffect } from "react"
import type { StreamHandle, StreamOptions, Transaction, Collection, LiveQueryState, DisabledLiveQueryState } from "@streamdb/streamdb"

type Equal<A, B> = (<G>() => G extends A ? 1 : 2) extends (<G>() => G extends B ? 1 : 2) ? true : false
/** expectType<T>()(value) compiles only when value's type is exactly T. */
declare function expectType<T>(): <V>(value: V, ...mismatch: Equal<T, V> extends true ? [] : ['type mismatch', T]) => void

// ---- Define a StandardSchema ----

const userSchema = z.object({
  id: z.string(),
  name: z.string(),
  email: z.string().email(),
})

const messageSchema = z.object({
  id: z.string(),
  userId: z.string(),
  text: z.string(),
  timestamp: z.string(),
})

const schema = createStateSchema({
  users: {
    schema: userSchema,
    type: "user",
    primaryKey: "id",
  },
  messages: {
    schema: messageSchema,
    type: "message",
    primaryKey: "id",
  },
})

type User = { id: string; name: string; email: string }
type Message = { id: string; userId: string; text: string; timestamp: string }
expectType<"user">()(schema.users.type)
expectType<"id">()(schema.messages.primaryKey)

// ---- The schema's typed event helpers ----

declare const updatedUser: z.infer<typeof userSchema>
declare const previousUser: z.infer<typeof userSchema>

schema.users.insert({
  value: { id: "1", name: "Alice", email: "alice@example.com" },
})
schema.users.update({ value: updatedUser, oldValue: previousUser })
schema.users.delete({ key: "1" })

const inserted = schema.users.insert({ value: updatedUser })
expectType<"user">()(inserted.type)
expectType<"insert">()(inserted.headers.operation)
expectType<User>()(inserted.value)

// ---- Create a StreamDB ----

const db = createStreamDB({
  streamOptions: {
    url: "https://api.example.com/streams/my-stream",
    contentType: "application/json",
  },
  state: schema,
})

await db.preload()

expectType<Collection<User, User>>()(db.collections.users)
expectType<User | undefined>()(db.collections.messages.get("1") && updatedUser)
expectType<Message[]>()(db.collections.messages.toArray)

// ---- Reactive queries ----

const allUsers = useLiveQuery((q) => q.from({ users: db.collections.users }))

// The seed's activeUsers reads users.active, a field its userSchema lacks:
// a type error here as in TanStack DB. The same text against a schema
// that has the field is in the block below.
const activeUsers = useLiveQuery((q) =>
  q
    .from({ users: db.collections.users })
    // @ts-expect-error the seed's userSchema has no `active` field
    .where(({ users }) => eq(users.active, true))
)

const messagesWithAuthors = useLiveQuery((q) =>
  q
    .from({ messages: db.collections.messages })
    .join({ users: db.collections.users }, ({ messages, users }) =>
      eq(messages.userId, users.id)
    )
    .select(({ messages, users }) => ({
      text: messages.text,
      userName: users.name,
    }))
)

const messageCount = useLiveQuery((q) =>
  q
    .from({ messages: db.collections.messages })
    .select(({ messages }) => ({ total: count(messages.id) }))
)

expectType<User[]>()(allUsers.data)
expectType<LiveQueryState<User, User[]>>()(allUsers)
expectType<Array<{ text: string; userName: string | undefined }>>()(messagesWithAuthors.data)
expectType<Array<{ total: number }>>()(messageCount.data)
expectType<Map<string | number, { total: number }>>()(messageCount.state)

{
  // activeUsers, verbatim, over a users schema that has `active`
  const userSchema = z.object({
    id: z.string(),
    name: z.string(),
    email: z.string().email(),
    active: z.boolean(),
  })
  const db = createStreamDB({
    streamOptions: { url: "https://api.example.com/streams/my-stream" },
    state: createStateSchema({ users: { schema: userSchema, type: "user", primaryKey: "id" } }),
  })

  const activeUsers = useLiveQuery((q) =>
    q
      .from({ users: db.collections.users })
      .where(({ users }) => eq(users.active, true))
  )

  expectType<Array<{ id: string; name: string; email: string; active: boolean }>>()(activeUsers.data)
}

// ---- Lifecycle ----

await db.preload()
db.close()
await db.utils.awaitTxId("txid-uuid", 5000)

// ---- Optimistic actions ----

declare const streamUrl: string
{
  const db = createStreamDB({
    streamOptions: { url: streamUrl, contentType: "application/json" },
    state: schema,
    actions: ({ db, stream }) => ({
      addUser: {
        onMutate: (user) => {
          db.collections.users.insert(user)
        },
        mutationFn: async (user) => {
          const txid = crypto.randomUUID()
          await stream.append(
            schema.users.insert({ value: user, headers: { txid } })
          )
          await db.utils.awaitTxId(txid)
        },
      },
    }),
  })

  await db.actions.addUser({ id: "1", name: "Alice", email: "alice@example.com" })

  expectType<Transaction>()(db.actions.addUser({}))
}

// ---- Common patterns: key/value store ----

declare const stream: StreamHandle
{
  const configSchema = z.object({ key: z.string(), value: z.string() })

  const schema = createStateSchema({
    config: {
      schema: configSchema,
      type: "config",
      primaryKey: "key",
    },
  })

  await stream.append(
    schema.config.insert({ value: { key: "theme", value: "dark" } })
  )
}

// ---- Common patterns: presence tracking ----

{
  const presenceSchema = z.object({ userId: z.string(), status: z.enum(["online", "away", "offline"]), lastSeen: z.number() })

  const schema = createStateSchema({
    presence: {
      schema: presenceSchema,
      type: "presence",
      primaryKey: "userId",
    },
  })

  await stream.append(
    schema.presence.update({
      value: { userId: "alice", status: "online", lastSeen: Date.now() },
    })
  )
}

// ---- Common patterns: multi-type chat room ----

{
  const reactionSchema = z.object({ id: z.string(), messageId: z.string(), emoji: z.string() })
  const typingSchema = z.object({ userId: z.string(), typing: z.boolean() })
  const user = { id: "1", name: "Alice", email: "alice@example.com" }
  const message = { id: "m1", userId: "1", text: "hi", timestamp: "2025-01-01T00:00:00Z" }
  const reaction = { id: "r1", messageId: "m1", emoji: "+1" }

  const schema = createStateSchema({
    users: { schema: userSchema, type: "user", primaryKey: "id" },
    messages: { schema: messageSchema, type: "message", primaryKey: "id" },
    reactions: { schema: reactionSchema, type: "reaction", primaryKey: "id" },
    typing: { schema: typingSchema, type: "typing", primaryKey: "userId" },
  })

  await stream.append(schema.users.insert({ value: user }))
  await stream.append(schema.messages.insert({ value: message }))
  await stream.append(schema.reactions.insert({ value: reaction }))

  expectType<"typing">()(schema.typing.type)
}

// ---- Best practices ----

// Use object values (the snippets are object literals; as statements they
// would parse as blocks, so they are bound to names here).
// Won't work
const wontWork = { type: "count", key: "views", value: 42 }
// Works
const works = { type: "count", key: "views", value: { id: "views", count: 42 } }

// Always call close().
declare const streamOptions: StreamOptions
useEffect(() => {
  const db = createStreamDB({ streamOptions, state: schema })
  return () => db.close()
}, [])

// Use transaction IDs for critical operations.
{
  const user = updatedUser
  const txid = crypto.randomUUID()
  await stream.append(schema.users.insert({ value: user, headers: { txid } }))
  await db.utils.awaitTxId(txid, 10000)
}

// Validate at boundaries.
{
  const userSchema = z.object({
    id: z.string().uuid(),
    email: z.string().email(),
    age: z.number().min(0).max(150),
  })
  const schema = createStateSchema({ users: { schema: userSchema, type: "user", primaryKey: "id" } })
  expectType<{ id: string; email: string; age: number }>()(schema.users.insert({ value: { id: "u", email: "e", age: 1 } }).value)
}
