// The benchmark's data and its change plan, made from a seed so that every
// engine reads the same stream and receives the same changes.
//
// Shapes (those of the four anchor queries, see README.md):
//   users    N/10 rows {id, name, active (50%), team 0..99}
//   messages N rows    {id, userId (uniform over users), text (~30 chars), ts}
// Ids are strings ("u12", "m345"). Every ts is distinct (a shuffled
// sequence), so "the top 50 by ts" has no ties.

/** mulberry32: a small seeded PRNG returning floats in [0, 1). */
export function prng(seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const WORDS = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet', 'kilo', 'lima', 'mike', 'november', 'oscar', 'papa']
const T0 = 1_700_000_000_000

function text(rnd) {
  let s = ''
  while (s.length < 30) s += (s ? ' ' : '') + WORDS[(rnd() * WORDS.length) | 0]
  return s
}

/** event builds a state event (the Durable Streams state protocol). */
function event(type, key, value, operation) {
  const e = { type, key, headers: { operation } }
  if (value !== undefined) e.value = value
  return e
}

/**
 * makeData returns the initial rows and the POST bodies (JSON arrays of
 * about `batch` events each: users first, then messages).
 */
export function makeData(n, { seed = 1, batch = 1000 } = {}) {
  const rnd = prng(seed)
  const nUsers = Math.max(1, Math.floor(n / 10))
  const users = new Array(nUsers)
  for (let i = 0; i < nUsers; i++) {
    users[i] = { id: `u${i}`, name: `user ${i} ${WORDS[i % WORDS.length]}`, active: rnd() < 0.5, team: (rnd() * 100) | 0 }
  }
  // A shuffled 0..n-1 makes every ts distinct and unordered relative to ids.
  const perm = new Uint32Array(n)
  for (let i = 0; i < n; i++) perm[i] = i
  for (let i = n - 1; i > 0; i--) {
    const j = (rnd() * (i + 1)) | 0
    const t = perm[i]
    perm[i] = perm[j]
    perm[j] = t
  }
  const messages = new Array(n)
  for (let i = 0; i < n; i++) {
    messages[i] = { id: `m${i}`, userId: `u${(rnd() * nUsers) | 0}`, text: text(rnd), ts: T0 + perm[i] * 1000 }
  }
  const bodies = []
  let cur = []
  const push = (e) => {
    cur.push(JSON.stringify(e))
    if (cur.length >= batch) {
      bodies.push(`[${cur.join(',')}]`)
      cur = []
    }
  }
  for (const u of users) push(event('user', u.id, u, 'insert'))
  for (const m of messages) push(event('message', m.id, m, 'insert'))
  if (cur.length) bodies.push(`[${cur.join(',')}]`)
  return { n, nUsers, users, messages, bodies, seed }
}

/**
 * makePlan returns `rounds` rounds of three changes each, in this order:
 * insert a message (newest ts: it enters the top 50), toggle a random
 * user's active flag, delete a message that is inside the current top 50
 * by ts. Each change is one event; `expect` names the live queries it must
 * notify (Q1 users where active; Q2 messages join users; Q3 messages group
 * by userId; Q4 messages order by ts desc limit 50).
 */
export function makePlan(data, { rounds = 100, seed = 2 } = {}) {
  const rnd = prng(seed)
  const { n, nUsers } = data
  const active = data.users.map((u) => u.active)
  // The current order by ts desc, kept for the newest rows only: every
  // insert goes on top and every delete takes one of the first 50, so the
  // first 50 always come from this list.
  const keep = Math.min(n, 50 + rounds + 50)
  const top = data.messages
    .map((m) => m)
    .sort((a, b) => b.ts - a.ts)
    .slice(0, keep)
  const plan = []
  for (let r = 0; r < rounds; r++) {
    const m = { id: `m${n + r}`, userId: `u${(rnd() * nUsers) | 0}`, text: text(rnd), ts: T0 + (n + r) * 1000 }
    top.unshift(m)
    plan.push({ kind: 'insert', event: event('message', m.id, m, 'insert'), expect: ['Q2', 'Q3', 'Q4'] })
    const u = (rnd() * nUsers) | 0
    active[u] = !active[u]
    const user = { ...data.users[u], active: active[u] }
    plan.push({ kind: 'toggle', event: event('user', user.id, user, 'update'), expect: ['Q1'] })
    const i = (rnd() * Math.min(50, top.length)) | 0
    const [d] = top.splice(i, 1)
    plan.push({ kind: 'delete', event: event('message', d.id, undefined, 'delete'), expect: ['Q2', 'Q3', 'Q4'] })
  }
  return plan
}

/** LOAD_TXID marks the load's last event (awaitTxId tells when it is in). */
export const LOAD_TXID = 'load-end'

/**
 * makeLoad returns the data of the load row (bench/README.md, "Load"):
 * `initial`, POST bodies read by the first preload (1,000 users and 1,000
 * messages), and `bodies`, n more events appended while the 20 live
 * queries of pages/load.js are open, in POSTs of `batch` events, the last
 * event carrying the txid LOAD_TXID. Of the n events about 8% insert a
 * user, 78% insert a message, 7% update a message (new likes and text), 4%
 * update a user (active, team) and 3% delete a message. Messages are
 * {id, userId, text, ts, likes}: text ends with the message's number (so
 * that no two are equal and a string order has no ties), ts grows with the
 * number. users and messages are the final state (Maps by id).
 */
export function makeLoad(n, { seed = 3, batch = 1000 } = {}) {
  const rnd = prng(seed)
  const users = new Map()
  const messages = new Map()
  const alive = [] // message ids, for updates and deletes
  let nextUser = 0
  let nextMessage = 0
  const newUser = () => {
    const i = nextUser++
    const u = { id: `u${i}`, name: `user ${i} ${WORDS[i % WORDS.length]}`, active: rnd() < 0.5, team: (rnd() * 100) | 0 }
    users.set(u.id, u)
    return event('user', u.id, u, 'insert')
  }
  const message = (i, userId) => ({ id: `m${i}`, userId, text: `${text(rnd)} ${i}`, ts: T0 + i * 1000, likes: (rnd() * 100) | 0 })
  const newMessage = () => {
    const m = message(nextMessage++, `u${(rnd() * nextUser) | 0}`)
    messages.set(m.id, m)
    alive.push(m.id)
    return event('message', m.id, m, 'insert')
  }
  const pick = () => (rnd() * alive.length) | 0
  const next = () => {
    const r = rnd()
    if (r < 0.08) return newUser()
    if (r < 0.86 || alive.length < 10) return newMessage()
    if (r < 0.93) {
      const old = messages.get(alive[pick()])
      const m = { ...old, text: `${text(rnd)} ${old.id.slice(1)}`, likes: (rnd() * 100) | 0 }
      messages.set(m.id, m)
      return event('message', m.id, m, 'update')
    }
    if (r < 0.97) {
      const old = users.get(`u${(rnd() * nextUser) | 0}`)
      const u = { ...old, active: !old.active, team: (rnd() * 100) | 0 }
      users.set(u.id, u)
      return event('user', u.id, u, 'update')
    }
    const at = pick()
    const id = alive[at]
    alive[at] = alive[alive.length - 1]
    alive.pop()
    messages.delete(id)
    return event('message', id, undefined, 'delete')
  }
  const toBodies = (events) => {
    const out = []
    for (let i = 0; i < events.length; i += batch) out.push(`[${events.slice(i, i + batch).map((e) => JSON.stringify(e)).join(',')}]`)
    return out
  }
  const initial = []
  for (let i = 0; i < 1000; i++) initial.push(newUser())
  for (let i = 0; i < 1000; i++) initial.push(newMessage())
  const load = []
  for (let i = 0; i < n; i++) load.push(next())
  load[n - 1].headers.txid = LOAD_TXID
  return { n, initial: toBodies(initial), bodies: toBodies(load), users, messages, seed }
}
