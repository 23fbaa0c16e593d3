// The chat room's data: five collections in one Durable Stream, and the
// optimistic actions that write to them. Everything here is the package's
// public API: createStateSchema, createStreamDB, db.actions, db.utils.
import { createStateSchema, createStreamDB as createDefault } from '@streamdb/streamdb'
import { z } from 'zod'

/** The longest message the room's (simulated) server accepts. */
export const MAX_LENGTH = 280

/** The reactions offered under every message. */
export const EMOJIS = ['👍', '❤️', '😂', '🎉']

const userSchema = z.object({
  id: z.string(),
  name: z.string().trim().min(1).max(40),
  color: z.string(),
})

const messageSchema = z.object({
  id: z.string(),
  userId: z.string(),
  // The client accepts long messages; the server's limit is MAX_LENGTH.
  text: z.string().trim().min(1).max(5000),
  ts: z.number(),
})

const reactionSchema = z.object({
  id: z.string(),
  messageId: z.string(),
  userId: z.string(),
  emoji: z.string(),
})

// Presence: one row per user, its timestamp refreshed while they type.
const typingSchema = z.object({
  userId: z.string(),
  ts: z.number(),
})

// Key/value store: room settings such as the theme.
const settingSchema = z.object({
  key: z.string(),
  value: z.string(),
})

export const schema = createStateSchema({
  users: { schema: userSchema, type: 'user', primaryKey: 'id' },
  messages: { schema: messageSchema, type: 'message', primaryKey: 'id' },
  reactions: { schema: reactionSchema, type: 'reaction', primaryKey: 'id' },
  typing: { schema: typingSchema, type: 'typing', primaryKey: 'userId' },
  settings: { schema: settingSchema, type: 'setting', primaryKey: 'key' },
})

/** uid returns a random id (crypto.randomUUID needs a secure context; this does not). */
export function uid() {
  const b = crypto.getRandomValues(new Uint8Array(12))
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')
}

/** reactionId is the key of one user's reaction with one emoji to one message. */
export const reactionId = (messageId, userId, emoji) => `${messageId}:${userId}:${emoji}`

/**
 * serverRejects stands for the checks a real server would run on a write
 * (this demo appends straight to the stream, so it checks in mutationFn):
 * it returns why a message is refused, or undefined.
 */
export function serverRejects(text) {
  if (text.length > MAX_LENGTH) return `it is too long (${text.length} characters, at most ${MAX_LENGTH})`
  if (/fail/i.test(text)) return 'it contains "fail" (the demo refuses those on purpose)'
  return undefined
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

/**
 * openChat creates the StreamDB of the room at streamUrl. latencyMs delays
 * every write (to make the pending state easy to see); a refused message
 * fails after latencyMs + failDelayMs. With persist (the default) the room
 * is kept in the browser (OPFS, else IndexedDB): a reload shows it at once
 * and reads only the events that came since. With gateway (a
 * streamdb-gateway's socket URL) the room is read and written through the
 * gateway's WebSocket (live: 'websocket'); createStreamDB is then the one of
 * '@streamdb/streamdb/websocket', imported by main.jsx before the package
 * loaded (the same function once that build is chosen).
 */
export function openChat({ streamUrl, latencyMs = 0, failDelayMs = 1200, persist = true, gateway, createStreamDB = createDefault, onError, onProgress } = {}) {
  return createStreamDB({
    streamOptions: { url: streamUrl, contentType: 'application/json' },
    state: schema,
    ...(gateway ? { live: 'websocket', websocket: { url: gateway } } : {}),
    persist,
    onError,
    onProgress,
    actions: ({ db, stream }) => {
      const { users, messages, reactions, typing, settings } = db.collections

      // write appends events (one append each: a JSON stream stores each
      // appended value as one item) and resolves once the last one, tagged
      // with a txid, is back from the stream: the optimistic rows are then
      // replaced by the synced ones without a flicker. Appends to one stream
      // keep their order.
      async function write(...events) {
        await sleep(latencyMs)
        const txid = uid()
        const last = events.length - 1
        await Promise.all(events.map((e, i) =>
          stream.append(i === last ? { ...e, headers: { ...e.headers, txid } } : e)))
        await db.utils.awaitTxId(txid, 10000)
      }

      // put inserts a row or updates it, optimistically.
      function put(collection, key, row) {
        if (collection.has(key)) {
          collection.update(key, (draft) => {
            Object.assign(draft, row)
          })
        } else collection.insert(row)
      }

      return {
        join: {
          onMutate: (user) => put(users, user.id, user),
          mutationFn: (user) => write(schema.users.upsert({ value: user })),
        },

        sendMessage: {
          onMutate: (m) => {
            messages.insert(m)
            // Sending ends the author's typing indicator.
            if (typing.has(m.userId)) put(typing, m.userId, { userId: m.userId, ts: 0 })
          },
          mutationFn: async (m) => {
            const why = serverRejects(m.text)
            if (why) {
              await sleep(latencyMs + failDelayMs)
              throw new Error(`the server refused the message: ${why}`)
            }
            const events = [schema.messages.insert({ value: m })]
            if (typing.has(m.userId)) events.push(schema.typing.upsert({ value: { userId: m.userId, ts: 0 } }))
            await write(...events)
          },
        },

        // react adds (on: true) or removes (on: false) one reaction.
        react: {
          onMutate: ({ messageId, userId, emoji, on }) => {
            const id = reactionId(messageId, userId, emoji)
            if (on) reactions.insert({ id, messageId, userId, emoji })
            else if (reactions.has(id)) reactions.delete(id)
          },
          mutationFn: ({ messageId, userId, emoji, on }) => {
            const id = reactionId(messageId, userId, emoji)
            return write(on
              ? schema.reactions.insert({ value: { id, messageId, userId, emoji } })
              : schema.reactions.delete({ key: id }))
          },
        },

        setTyping: {
          onMutate: (p) => put(typing, p.userId, p),
          mutationFn: (p) => write(schema.typing.upsert({ value: p })),
        },

        setSetting: {
          onMutate: (s) => put(settings, s.key, s),
          mutationFn: (s) => write(schema.settings.upsert({ value: s })),
        },
      }
    },
  })
}
