// The seed's code examples (docs of @durable-streams/state's StreamDB), with
// only the import paths changed, each run as a scenario the test calls with
// page.evaluate(() => scenarios.NAME(args)). The results are rendered into
// the page (React where the seed uses useLiveQuery), and the tests read the
// DOM.
import { createStateSchema, createStreamDB } from '@streamdb/streamdb'
import { useLiveQuery } from '@streamdb/streamdb/react'
import { eq, count, liveQuery, InvalidEventError, ClosedError, SchemaValidationError, createCollection, localOnlyCollectionOptions, createLiveQueryCollection } from '@streamdb/streamdb'
import { z } from 'zod'
import { createElement as h, StrictMode, useEffect, useLayoutEffect, useState } from 'react'
import { createRoot } from 'react-dom/client'
import { libs } from './schemas.js'
import { section, logger, describe, gate, expose } from './common.js'

window.gates = {}
window.dbs = {}

// The seed's schema: users and messages, with any of the three libraries.
function seedSchema(lib) {
  const { userSchema, messageSchema } = libs[lib]
  return createStateSchema({
    users: {
      schema: userSchema,
      type: 'user',
      primaryKey: 'id',
    },
    messages: {
      schema: messageSchema,
      type: 'message',
      primaryKey: 'id',
    },
  })
}

const list = (className, items) =>
  h('ul', { className }, items.map((text, i) => h('li', { key: i }, text)))

/**
 * mount renders a React element into a section and resolves with the root
 * once React has run the element's effects (so useLiveQuery has
 * subscribed: changes from then on must show).
 */
function mount(el, element, { strict = false } = {}) {
  const host = document.createElement('div')
  el.append(host)
  const root = createRoot(host)
  return new Promise((resolve) => {
    // A parent's effects run after its children's.
    function Mounted() {
      useEffect(() => resolve(root), [])
      return element
    }
    // StrictMode at the root, as an app's main.jsx has it.
    root.render(strict ? h(StrictMode, null, h(Mounted)) : h(Mounted))
  })
}

// ---------------------------------------------------------------------------

/** helpers: the seed's event helper calls, shown as JSON; and what they reject. */
function helpers({ lib = 'zod' }) {
  const el = section(`helpers-${lib}`)
  const log = logger(el)
  const schema = seedSchema(lib)
  const previousUser = { id: '1', name: 'Alice', email: 'alice@example.com' }
  const updatedUser = { id: '1', name: 'Alice Smith', email: 'alice@example.com' }
  const show = (name, event) => log(`${name} ${JSON.stringify(event)}`)

  show('insert', schema.users.insert({
    value: { id: '1', name: 'Alice', email: 'alice@example.com' },
  }))
  show('update', schema.users.update({ value: updatedUser, oldValue: previousUser }))
  show('delete', schema.users.delete({ key: '1' }))
  show('message', schema.messages.insert({ value: { id: 'm1', userId: '1', text: 'hi', timestamp: '2025-01-15T12:00:00Z' } }))

  // Invalid values: the helpers validate with the collection's schema.
  const attempts = {
    'bad email': () => schema.users.insert({ value: { id: '2', name: 'Bob', email: 'not-an-email' } }),
    'missing name': () => schema.users.insert({ value: { id: '2', email: 'bob@example.com' } }),
    'bad oldValue': () => schema.users.update({ value: updatedUser, oldValue: { id: '1' } }),
    'bad message': () => schema.messages.insert({ value: { id: 'm2', userId: '1', text: 42, timestamp: 'now' } }),
  }
  for (const [name, fn] of Object.entries(attempts)) {
    try {
      fn()
      log(`${name}: accepted`)
    } catch (e) {
      log(`${name}: ${describe(e)} (SchemaValidationError: ${e instanceof SchemaValidationError}, issues: ${e.issues?.length ?? 0})`)
    }
  }
}

/**
 * queries: createStreamDB + preload, then the seed's four useLiveQuery
 * queries rendered by React.
 */
async function queries({ stream, lib = 'zod', strict = false }) {
  const el = section(`queries-${lib}${strict ? '-strict' : ''}`)
  const schema = seedSchema(lib)

  const db = createStreamDB({
    streamOptions: {
      url: stream,
      contentType: 'application/json',
    },
    state: schema,
  })

  await db.preload()
  window.dbs[`queries-${lib}`] = db

  function App() {
    const allUsers = useLiveQuery((q) => q.from({ users: db.collections.users }))

    const activeUsers = useLiveQuery((q) =>
      q
        .from({ users: db.collections.users })
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

    return h('div', null,
      h('h2', null, `queries (${lib})`),
      list('all', allUsers.data.map((u) => u.name)),
      list('active', activeUsers.data.map((u) => u.name)),
      list('joined', messagesWithAuthors.data.map((m) => `${m.userName}: ${m.text}`)),
      h('p', { className: 'count' }, String(messageCount.data[0]?.total ?? 0)),
      h('p', { className: 'status' }, [allUsers.status, activeUsers.status, messagesWithAuthors.status, messageCount.status].join(',')),
    )
  }
  await mount(el, h(App), { strict })
}

/** lifecycle: preload, awaitTxId (resolving, timing out), close. */
async function lifecycle({ stream: url }) {
  const el = section('lifecycle')
  const log = logger(el)
  const schema = seedSchema('zod')
  const db = createStreamDB({
    streamOptions: { url, contentType: 'application/json' },
    state: schema,
  })
  log(`offset before preload: ${db.offset}`)

  await db.preload()
  log(`preload resolved: ${db.collections.users.size} users, status ${db.collections.users.status}`)
  await db.preload()
  log('second preload resolved')

  // The seed's awaitTxId line: a txid nobody writes times out after 5 s.
  const t0 = performance.now()
  const timeout = db.utils.awaitTxId('txid-uuid', 5000).then(
    () => log('awaitTxId(txid-uuid) resolved'),
    (e) => log(`awaitTxId(txid-uuid) rejected after ${Math.round(performance.now() - t0)} ms: ${e.message}`),
  )

  // "Use transaction IDs for critical operations."
  const user = { id: '7', name: 'Grace', email: 'grace@example.com' }
  const stream = db.stream
  const txid = crypto.randomUUID()
  await stream.append(schema.users.insert({ value: user, headers: { txid } }))
  await db.utils.awaitTxId(txid, 10000)
  log(`awaitTxId(txid) resolved; row: ${db.collections.users.get('7')?.name}`)
  const t1 = performance.now()
  await db.utils.awaitTxId(txid, 10000)
  log(`awaitTxId(seen txid) resolved again: ${performance.now() - t1 < 1000}`)
  await timeout

  // close(): pending waiters reject, the db stays closed.
  const pending = db.utils.awaitTxId('never-written', 60000).then(
    () => log('pending awaitTxId resolved'),
    (e) => log(`pending awaitTxId rejected: ${describe(e)} (ClosedError: ${e instanceof ClosedError})`),
  )
  db.close()
  await pending
  await db.preload().then(
    () => log('preload after close resolved'),
    (e) => log(`preload after close rejected: ${describe(e)}`),
  )
  log(`status after close: ${db.collections.users.status}`)
  db.close()
  log('second close: no error')
}

/**
 * optimistic: the seed's addUser action, behind a gate the test opens, so
 * that the optimistic row can be seen before the mutation settles. With
 * fail, mutationFn throws instead of appending.
 */
async function optimistic({ stream, fail = false, lib = 'zod' }) {
  const name = `optimistic-${fail ? 'fail' : 'ok'}-${lib}`
  const el = section(name)
  const schema = seedSchema(lib)
  const streamUrl = stream
  const g = (window.gates[name] = gate())
  const failure = new Error('server said no')

  const db = createStreamDB({
    streamOptions: { url: streamUrl, contentType: 'application/json' },
    state: schema,
    actions: ({ db, stream }) => ({
      addUser: {
        onMutate: (user) => {
          db.collections.users.insert(user)
        },
        mutationFn: async (user) => {
          await g.promise // the test looks at the optimistic state first
          if (fail) throw failure
          const txid = crypto.randomUUID()
          await stream.append(
            schema.users.insert({ value: user, headers: { txid } })
          )
          await db.utils.awaitTxId(txid)
        },
      },
    }),
  })
  await db.preload()
  window.dbs[name] = db

  function App() {
    const users = useLiveQuery((q) => q.from({ users: db.collections.users }))
    const [status, setStatus] = useState('idle')
    const [input, setInput] = useState(JSON.stringify({ id: '1', name: 'Alice', email: 'alice@example.com' }))
    const add = async () => {
      let tx
      try {
        tx = await db.actions.addUser(JSON.parse(input))
      } catch (e) {
        setStatus(`threw ${describe(e)} (SchemaValidationError: ${e instanceof SchemaValidationError})`)
        return
      }
      setStatus(tx.state)
      tx.isPersisted.promise.then(
        () => setStatus(`${tx.state}`),
        (e) => setStatus(`${tx.state}: ${e.message} (original error: ${e === failure})`),
      )
    }
    return h('div', null,
      h('h2', null, name),
      h('input', { className: 'user', value: input, onChange: (e) => setInput(e.target.value), size: 60 }),
      h('button', { className: 'add', onClick: add }, 'Add user'),
      list('users', users.data.map((u) => `${u.name} <${u.email}>${u._seq === undefined ? '' : ' (synced)'}`)),
      h('p', { className: 'status' }, status),
    )
  }
  await mount(el, h(App))
}

// ---------------------------------------------------------------------------
// Common patterns

/** Renders a live query's rows into a list, kept up to date. */
function bind(el, className, query, format) {
  const ul = document.createElement('ul')
  ul.className = className
  el.append(ul)
  const render = () => {
    ul.replaceChildren(...query.data.map((row) => {
      const li = document.createElement('li')
      li.textContent = format(row)
      return li
    }))
  }
  query.subscribe(render)
  render()
}

/** keyValue: the key/value store pattern. */
async function keyValue({ stream: url }) {
  const el = section('kv')
  const configSchema = z.object({ key: z.string(), value: z.string() })

  const schema = createStateSchema({
    config: {
      schema: configSchema,
      type: 'config',
      primaryKey: 'key',
    },
  })

  const db = createStreamDB({ streamOptions: { url, contentType: 'application/json' }, state: schema })
  await db.preload()
  const stream = db.stream

  await stream.append(
    schema.config.insert({ value: { key: 'theme', value: 'dark' } })
  )
  bind(el, 'config', liveQuery((q) => q.from({ c: db.collections.config })), (c) => `${c.key}=${c.value}`)
}

/** presence: the presence tracking pattern. */
async function presence({ stream: url }) {
  const el = section('presence')
  const presenceSchema = z.object({
    userId: z.string(),
    status: z.enum(['online', 'away', 'offline']),
    lastSeen: z.number(),
  })

  const schema = createStateSchema({
    presence: {
      schema: presenceSchema,
      type: 'presence',
      primaryKey: 'userId',
    },
  })

  const db = createStreamDB({ streamOptions: { url, contentType: 'application/json' }, state: schema })
  await db.preload()
  const stream = db.stream

  await stream.append(
    schema.presence.update({
      value: { userId: 'alice', status: 'online', lastSeen: Date.now() },
    })
  )
  bind(el, 'everyone', liveQuery((q) => q.from({ p: db.collections.presence })), (p) => `${p.userId}: ${p.status}`)
  bind(el, 'online', liveQuery((q) => q.from({ p: db.collections.presence }).where(({ p }) => eq(p.status, 'online'))), (p) => p.userId)
}

/** chat: the multi-type chat room pattern, rendered by React. */
async function chat({ stream: url, me = 'alice', name = 'Alice', appendSeed = true }) {
  const el = section(`chat-${me}`)
  el.className = 'chat'
  const userSchema = z.object({ id: z.string(), name: z.string() })
  const messageSchema = z.object({ id: z.string(), userId: z.string(), text: z.string(), timestamp: z.string() })
  const reactionSchema = z.object({ id: z.string(), messageId: z.string(), userId: z.string(), emoji: z.string() })
  const typingSchema = z.object({ userId: z.string(), isTyping: z.boolean() })

  const schema = createStateSchema({
    users: { schema: userSchema, type: 'user', primaryKey: 'id' },
    messages: { schema: messageSchema, type: 'message', primaryKey: 'id' },
    reactions: { schema: reactionSchema, type: 'reaction', primaryKey: 'id' },
    typing: { schema: typingSchema, type: 'typing', primaryKey: 'userId' },
  })

  const db = createStreamDB({
    streamOptions: { url, contentType: 'application/json' },
    state: schema,
    actions: ({ db, stream }) => ({
      send: {
        onMutate: (message) => {
          db.collections.messages.insert(message)
        },
        mutationFn: async (message) => {
          const txid = crypto.randomUUID()
          await stream.append(schema.messages.insert({ value: message, headers: { txid } }))
          await db.utils.awaitTxId(txid)
        },
      },
    }),
  })
  await db.preload()
  window.dbs[`chat-${me}`] = db
  const stream = db.stream

  function Chat() {
    const messages = useLiveQuery((q) =>
      q
        .from({ m: db.collections.messages })
        .join({ u: db.collections.users }, ({ m, u }) => eq(m.userId, u.id))
        .orderBy(({ m }) => m.timestamp)
        .select(({ m, u }) => ({ id: m.id, text: m.text, author: u.name }))
    )
    const reactions = useLiveQuery((q) =>
      q
        .from({ r: db.collections.reactions })
        .groupBy(({ r }) => [r.messageId, r.emoji])
        .select(({ r }) => ({ messageId: r.messageId, emoji: r.emoji, n: count(r.id) }))
    )
    const typing = useLiveQuery((q) =>
      q
        .from({ t: db.collections.typing })
        .join({ u: db.collections.users }, ({ t, u }) => eq(t.userId, u.id), 'inner')
        .where(({ t }) => eq(t.isTyping, true))
        .select(({ u }) => ({ name: u.name }))
    )
    const people = useLiveQuery((q) => q.from({ u: db.collections.users }).orderBy(({ u }) => u.name))
    const [draft, setDraft] = useState('')
    const send = (e) => {
      e.preventDefault()
      if (!draft) return
      db.actions.send({ id: `${me}-${crypto.randomUUID()}`, userId: me, text: draft, timestamp: new Date().toISOString() })
      setDraft('')
    }
    const byMessage = new Map()
    for (const r of reactions.data) byMessage.set(r.messageId, `${byMessage.get(r.messageId) ?? ''}${r.emoji}${r.n > 1 ? `×${r.n}` : ''}`)
    const typers = typing.data.map((t) => t.name).filter((n) => n !== name)
    return h('div', null,
      h('h2', null, `Chat room: ${name}`),
      list('people', people.data.map((p) => p.name)),
      h('div', { className: 'messages' },
        messages.data.map((m) => h('div', { className: 'message', key: m.id },
          h('span', { className: 'author' }, m.author ?? '?'),
          h('span', { className: 'text' }, m.text),
          byMessage.has(m.id) ? h('span', { className: 'reactions' }, byMessage.get(m.id)) : null,
        ))),
      h('p', { className: 'typing' }, typers.length ? `${typers.join(', ')} typing…` : ''),
      h('form', { onSubmit: send },
        h('input', { className: 'draft', value: draft, onChange: (e) => setDraft(e.target.value), placeholder: 'Message' }),
        h('button', { type: 'submit' }, 'Send')),
    )
  }
  await mount(el, h(Chat))

  if (appendSeed) {
    const user = { id: me, name }
    const message = { id: `${me}-1`, userId: me, text: `Hello from ${name}`, timestamp: new Date().toISOString() }
    const reaction = { id: `${me}-r1`, messageId: message.id, userId: me, emoji: '♥' }
    await stream.append(schema.users.insert({ value: user }))
    await stream.append(schema.messages.insert({ value: message }))
    await stream.append(schema.reactions.insert({ value: reaction }))
  } else {
    await stream.append(schema.users.insert({ value: { id: me, name } }))
  }
}

/**
 * objectValues: "Use object values". A primitive value is reported through
 * onError and skipped; the db goes on.
 */
async function objectValues({ stream }) {
  const el = section('object-values')
  const log = logger(el)
  const schema = createStateSchema({ counts: { type: 'count', primaryKey: 'id' } })
  const db = createStreamDB({
    streamOptions: { url: stream, contentType: 'application/json' },
    state: schema,
    onError: (e) => log(`onError: ${describe(e)} (InvalidEventError: ${e instanceof InvalidEventError})`),
  })
  await db.preload()
  bind(el, 'counts', liveQuery((q) => q.from({ c: db.collections.counts })), (c) => `${c.id}: ${c.count}`)

  // Won't work
  await db.stream.append({ type: 'count', key: 'views', value: 42, headers: { operation: 'insert' } })
  // Works
  await db.stream.append({ type: 'count', key: 'views', value: { id: 'views', count: 42 }, headers: { operation: 'insert' } })
  window.dbs['object-values'] = db
}

/**
 * closeOnUnmount: "Always call close()": the db is made in an effect and
 * closed by its cleanup (with strict, under StrictMode, which runs effects
 * twice). The test clicks Leave to unmount.
 */
async function closeOnUnmount({ stream, strict = false }) {
  const el = section(strict ? 'close-strict' : 'close')
  const log = logger(el)
  const schema = seedSchema('zod')
  const streamOptions = { url: stream, contentType: 'application/json' }
  const made = []

  function Users({ db }) {
    const users = useLiveQuery((q) => q.from({ users: db.collections.users }), [db])
    return list('users', users.data.map((u) => u.name))
  }

  function Room() {
    const [db, setDb] = useState(null)
    useEffect(() => {
      const db = createStreamDB({ streamOptions, state: schema })
      made.push(db)
      db.preload().then(() => setDb(db), (e) => log(`preload: ${describe(e)}`))
      return () => db.close()
    }, [])
    return db ? h(Users, { db }) : h('p', { className: 'loading' }, 'loading')
  }

  const root = await mount(el, h(Room), { strict })
  const leave = document.createElement('button')
  leave.className = 'leave'
  leave.textContent = 'Leave'
  leave.onclick = () => {
    root.unmount()
    log(`made ${made.length}; closed: ${made.map((d) => d.collections.users.status).join(',')}`)
  }
  el.append(leave)
}

/**
 * mountRace: a change made while React mounts (an action run from a
 * sibling's layout effect, after the list rendered and before its
 * subscription, which React makes in a passive effect) must show.
 */
async function mountRace({ stream }) {
  const el = section('mount-race')
  const schema = seedSchema('zod')
  const db = createStreamDB({
    streamOptions: { url: stream, contentType: 'application/json' },
    state: schema,
    actions: ({ db }) => ({
      join: {
        onMutate: (user) => db.collections.users.insert(user),
        mutationFn: () => new Promise(() => {}), // stays pending: the row stays optimistic
      },
    }),
  })
  await db.preload()
  window.dbs['mount-race'] = db
  function Users() {
    const users = useLiveQuery((q) => q.from({ users: db.collections.users }))
    return list('users', users.data.map((u) => u.name))
  }
  function Join() {
    useLayoutEffect(() => {
      db.actions.join({ id: '5', name: 'Me', email: 'me@example.com' })
    }, [])
    return null
  }
  await mount(el, h('div', null, h(Users), h(Join)))
}

/**
 * local: a collection no stream feeds (localOnlyCollectionOptions: the
 * users the viewer muted), joined with the stream's messages by a
 * useLiveQuery; muting and unmuting write it outside any transaction, and
 * a live query collection is the source of another query.
 */
async function local({ stream }) {
  const el = section('local')
  const db = createStreamDB({ streamOptions: { url: stream, contentType: 'application/json' }, state: seedSchema('zod') })
  await db.preload()
  window.dbs.local = db
  const muted = createCollection(localOnlyCollectionOptions({ id: 'muted', getKey: (m) => m.userId, initialData: [{ userId: '2' }] }))
  window.muted = muted
  function Visible() {
    const { data } = useLiveQuery((q) => q.from({ u: db.collections.users })
      .leftJoin({ m: muted }, ({ u, m }) => eq(u.id, m.userId))
      .orderBy(({ u }) => u.id)
      .select(({ u, m }) => ({ name: u.name, muted: m.userId })))
    return list('users', data.map((r) => `${r.name}${r.muted === undefined ? '' : ' (muted)'}`))
  }
  await mount(el, h(Visible))
  const mutedNames = createLiveQueryCollection((q) => q.from({ m: muted }).join({ u: db.collections.users }, ({ m, u }) => eq(m.userId, u.id), 'inner').select(({ u }) => ({ name: u.name })))
  const fromLive = createLiveQueryCollection((q) => q.from({ x: mutedNames }).orderBy(({ x }) => x.name).select(({ x }) => ({ n: x.name })))
  await fromLive.preload()
  const show = () => { el.dataset.muted = fromLive.toArray.map((r) => r.n).join(',') }
  show()
  fromLive.subscribeChanges(show)
  window.mute = (userId) => muted.insert({ userId }).isPersisted.promise
  window.unmute = (userId) => muted.delete(userId).isPersisted.promise
}

expose({ mountRace, local, helpers, queries, lifecycle, optimistic, keyValue, presence, chat, objectValues, closeOnUnmount })
