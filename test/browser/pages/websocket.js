// Many StreamDBs in one page, each on its own stream, following them live
// over the WebSocket gateway (live: 'websocket') or over HTTP (long-poll).
// The package comes from its ./websocket entry, so the page runs the
// WebSocket build of the module whatever the live mode.
//
// The test (websocket.test.mjs) appends to the streams from Node; every
// value carries sentAt (Date.now() before the append), and the page notes
// when each row appeared, so that the test can compute append -> seen.
import { createStateSchema, createStreamDB } from '@streamdb/streamdb/websocket'
import { z } from 'zod'
import { expose } from './common.js'

const schema = createStateSchema({
  items: {
    schema: z.object({ id: z.string(), stream: z.number(), sentAt: z.number() }),
    type: 'item',
    primaryKey: 'id',
  },
})

// One entry per StreamDB: { db, events: [key, ...] (every event delivered,
// in order, duplicates included), seen: { key: Date.now() when the row
// appeared }, errors: [...], conns: [connection state, ...] (each change) }.
let opened = []
const appends = {} // name -> { offset } | { error } once an append settled

/**
 * open opens one StreamDB per stream URL (live: 'websocket' through the
 * gateway when gateway is given, else live) and preloads them all; it
 * resolves with the time that took, or fails after timeoutMs.
 */
async function open({ streams, live, gateway, timeoutMs = 20000 }) {
  close()
  const t0 = performance.now()
  opened = streams.map((url) => {
    const entry = { events: [], seen: {}, errors: [], conns: [] }
    entry.db = createStreamDB({
      streamOptions: { url },
      state: schema,
      live,
      websocket: gateway ? { url: gateway } : undefined,
      onEvent: (e) => entry.events.push(e.key),
      onError: (e) => entry.errors.push(`${e.name}: ${e.message}`),
    })
    entry.db.subscribeConnection((c) => entry.conns.push(c.state))
    entry.db.collections.items.subscribeChanges((changes) => {
      const now = Date.now()
      for (const c of changes) if (c.type === 'insert' && !(c.key in entry.seen)) entry.seen[c.key] = now
    })
    return entry
  })
  let timer
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => {
      const waiting = opened.map((e, i) => (e.db.status === 'ready' ? null : `${i}: ${e.db.status} ${JSON.stringify(e.errors)}`)).filter(Boolean)
      reject(new Error(`preload not done in ${timeoutMs} ms: ${waiting.join('; ')}`))
    }, timeoutMs)
  })
  try {
    await Promise.race([Promise.all(opened.map((e) => e.db.preload())), late])
  } finally {
    clearTimeout(timer)
  }
  return { preloadMs: Math.round(performance.now() - t0) }
}

function close() {
  for (const e of opened) e.db.close()
  opened = []
}

/** state returns, per StreamDB, its events, its rows' keys and when each was seen. */
function state() {
  return opened.map((e) => ({
    events: e.events,
    rows: e.db.collections.items.toArray.map((r) => r.id),
    seen: e.seen,
    errors: e.errors,
    status: e.db.connection?.state,
    conns: e.conns,
  }))
}

/**
 * append starts db.stream.append(event) on StreamDB i (with events,
 * db.stream.appendBatch(events)) and returns at once; its outcome is kept
 * under name (see appended).
 */
function append({ i, name, event, events }) {
  const s = opened[i].db.stream
  ;(events ? s.appendBatch(events) : s.append(event)).then(
    (r) => (appends[name] = { result: r }),
    (e) => (appends[name] = { error: `${e.name}: ${e.message}` }),
  )
}

/** appended returns the outcome of the append kept under name, or null while it runs. */
function appended({ name }) {
  return appends[name] ?? null
}

/**
 * unreachable opens one StreamDB through a gateway URL where nothing
 * listens, with retry, and returns how preload ended, the connection
 * states it went through and onError's errors.
 */
async function unreachable({ stream, gateway, retry }) {
  const conns = []
  const errors = []
  const db = createStreamDB({
    streamOptions: { url: stream },
    state: schema,
    live: 'websocket',
    websocket: { url: gateway },
    retry,
    onError: (e) => errors.push({ name: e.name, code: e.code, message: e.message }),
  })
  db.subscribeConnection((c) => conns.push(c.state))
  let preload
  try {
    await db.preload()
    preload = 'resolved'
  } catch (e) {
    preload = { name: e.name, code: e.code, message: e.message }
  }
  const out = { preload, conns: [...conns], errors: [...errors], connection: db.connection.state, status: db.status }
  db.close()
  return out
}

expose({ open, close, state, append, appended, unreachable, sockets: () => window.socketsCreated })
