// Bad input, as a user meets it: queries the package or the engine
// rejects, a closed db, malformed items on the stream, a missing stream.
// Every outcome is written as a line of the scenario's log.
import {
  createStateSchema, createStreamDB, liveQuery, eq, count,
  StreamDBError, QueryCompileError, QueryBuilderError, InvalidEventError, ClosedError, StreamError, ModuleExitedError,
} from '@streamdb/streamdb'
// The loader, for its fault injection (the same module the package loads).
import { liveModule } from '../../../js/wasm.js'
import { useLiveQuery } from '@streamdb/streamdb/react'
import { createElement as h, Component } from 'react'
import { createRoot } from 'react-dom/client'
import { section, logger, describe, expose } from './common.js'

window.dbs = {}

const classes = { QueryCompileError, QueryBuilderError, InvalidEventError, ClosedError, StreamError, ModuleExitedError }
/** What an error is: its name, message, and which classes it is an instance of. */
function what(e) {
  const is = Object.entries(classes).filter(([, C]) => e instanceof C).map(([n]) => n)
  if (e instanceof StreamDBError) is.push('StreamDBError')
  const extra = ['code', 'clause', 'status'].filter((k) => e?.[k] !== undefined).map((k) => `${k}=${e[k]}`)
  return `${describe(e)} [${is.join(' ')}] ${extra.join(' ')}`.trim()
}

function attempt(log, label, fn) {
  try {
    const r = fn()
    log(`${label}: ok ${r === undefined ? '' : typeof r}`.trim())
  } catch (e) {
    log(`${label}: ${what(e)}`)
  }
}

async function settle(log, label, p) {
  try {
    await p
    log(`${label}: resolved`)
  } catch (e) {
    log(`${label}: ${what(e)}`)
  }
}

const schema = () => createStateSchema({
  users: { type: 'user', primaryKey: 'id' },
  messages: { type: 'message', primaryKey: 'id' },
})

async function openDb(name, stream, extra = {}) {
  const db = createStreamDB({ streamOptions: { url: stream, contentType: 'application/json' }, state: schema(), ...extra })
  await db.preload()
  window.dbs[name] = db
  return db
}

class Boundary extends Component {
  constructor(props) {
    super(props)
    this.state = { error: null }
  }
  static getDerivedStateFromError(error) {
    return { error }
  }
  render() {
    return this.state.error ? h('p', { className: 'caught' }, what(this.state.error)) : this.props.children
  }
}

/** badQueries: an unknown collection, a query the engine rejects. */
async function badQueries({ stream, other }) {
  const el = section('bad-queries')
  const log = logger(el)
  const db = await openDb('bad-queries', stream)
  const db2 = await openDb('bad-queries-2', other)
  attempt(log, 'unknown collection', () => liveQuery((q) => q.from({ x: db.collections.nope })))
  attempt(log, 'collections of two dbs', () =>
    liveQuery((q) => q.from({ u: db.collections.users }).join({ m: db2.collections.messages }, ({ u, m }) => eq(u.id, m.userId))))
  attempt(log, 'limit without orderBy', () => liveQuery((q) => q.from({ u: db.collections.users }).limit(2)))
  attempt(log, 'offset without orderBy', () => liveQuery((q) => q.from({ u: db.collections.users }).offset(1)))
  attempt(log, 'aggregate in where', () =>
    liveQuery((q) => q.from({ u: db.collections.users }).where(({ u }) => eq(count(u.id), 1))))
  attempt(log, 'valid query afterwards', () => liveQuery((q) => q.from({ u: db.collections.users }).orderBy(({ u }) => u.id).limit(2)))

  // The same in a React component: the error reaches an error boundary.
  function Limited() {
    const r = useLiveQuery((q) => q.from({ u: db.collections.users }).limit(2))
    return h('p', null, `rendered ${r.data.length}`)
  }
  const host = document.createElement('div')
  el.append(host)
  createRoot(host, { onCaughtError: () => {} }).render(h(Boundary, null, h(Limited)))
}

/** closed: everything a closed db is asked to do. */
async function closed({ stream }) {
  const el = section('closed')
  const log = logger(el)
  const db = await openDb('closed', stream, {
    actions: ({ db, stream }) => ({
      addUser: {
        onMutate: (u) => db.collections.users.insert(u),
        mutationFn: async (u) => stream.append({ type: 'user', key: u.id, value: u, headers: { operation: 'insert' } }),
      },
    }),
  })
  const q = liveQuery((q) => q.from({ u: db.collections.users }))
  log(`before close: ${q.data.map((u) => u.name).join(',')} ${q.status}`)
  db.close()
  log(`live query after close: ${q.data.map((u) => u.name).join(',')} ${q.status}`)
  attempt(log, 'liveQuery', () => liveQuery((q) => q.from({ u: db.collections.users })))
  attempt(log, 'action', () => db.actions.addUser({ id: '9', name: 'Zed' }))
  await settle(log, 'preload', db.preload())
  await settle(log, 'awaitTxId', db.utils.awaitTxId('t', 1000))
  await settle(log, 'stream.append', db.stream.append({ type: 'user', key: '9', value: { id: '9' }, headers: { operation: 'insert' } }))
  attempt(log, 'close again', () => db.close())
}

/** closedReads: reading a closed db's collections (the reference keeps their data). */
async function closedReads({ stream }) {
  const el = section('closed-reads')
  const log = logger(el)
  const db = await openDb('closed-reads', stream)
  db.close()
  const users = db.collections.users
  attempt(log, 'get', () => log(`get: ${users.get('1')?.name}`))
  attempt(log, 'size', () => log(`size: ${users.size}`))
  attempt(log, 'toArray', () => log(`toArray: ${users.toArray.map((u) => u.name).join(',')}`))
  log(`status: ${users.status}; offset: ${db.offset !== '-1'}`)
}

/** malformed: items that are not state events; onError gets each, later events still arrive. */
async function malformed({ stream }) {
  const el = section('malformed')
  const log = logger(el)
  const db = await openDb('malformed', stream, {
    onError: (e) => log(`onError: ${what(e)} offset=${typeof e.offset === 'string' && e.offset.length > 0}`),
  })
  const users = liveQuery((q) => q.from({ u: db.collections.users }))
  const out = document.createElement('p')
  out.className = 'users'
  el.append(out)
  const render = () => { out.textContent = users.data.map((u) => u.name).join(',') }
  users.subscribe(render)
  render()
}

/** missing: preload of a stream that does not exist. */
async function missing({ stream }) {
  const el = section('missing')
  const log = logger(el)
  const db = createStreamDB({ streamOptions: { url: stream, contentType: 'application/json' }, state: schema(), onError: () => {} })
  await settle(log, 'preload', db.preload())
  log(`status: ${db.collections.users.status}`)
  db.close()
}

/**
 * silent: a live db behind a proxy that holds its first live read open
 * and answers nothing; with idleTimeoutMs the read is made again. The
 * section's .out shows the users' names as they arrive, .events every
 * event key delivered.
 */
async function silent({ stream, live }) {
  const el = section(`silent-${live}`)
  const out = document.createElement('p')
  out.className = 'out'
  const events = document.createElement('p')
  events.className = 'events'
  el.append(out, events)
  const seen = []
  const db = createStreamDB({
    streamOptions: { url: stream, contentType: 'application/json' }, state: schema(), live, idleTimeoutMs: 500,
    onEvent: (e) => { seen.push(e.key); events.textContent = seen.join(',') },
  })
  window.dbs[`silent-${live}`] = db
  await db.preload()
  const users = liveQuery((q) => q.from({ u: db.collections.users }).orderBy(({ u }) => u.name))
  const render = () => { out.textContent = users.data.map((u) => u.name).join(',') }
  users.subscribe(render)
  render()
}

/**
 * manyReads: n live dbs on n streams of one server, more live reads than
 * the browser opens connections to one host (6 over HTTP/1.1): the reads
 * beyond those wait in the browser's queue, where the idle rule must not
 * take them for dead. Each db's section logs its connection states and
 * onErrors after preload, and .out shows its users' names.
 */
async function manyReads({ streams, idleTimeoutMs }) {
  await Promise.all(streams.map(async (stream, i) => {
    const el = section(`many-${i}`)
    const log = logger(el)
    const out = document.createElement('p')
    out.className = 'out'
    el.append(out)
    const db = createStreamDB({
      streamOptions: { url: stream, contentType: 'application/json' }, state: schema(), live: 'long-poll', idleTimeoutMs,
      onError: (e) => log(`onError: ${e.message}`),
    })
    window.dbs[`many-${i}`] = db
    await db.preload()
    db.subscribeConnection((c) => log(`state: ${c.state}${c.attempt ? ` ${c.attempt}` : ''}`))
    const users = liveQuery((q) => q.from({ u: db.collections.users }).orderBy(({ u }) => u.name))
    const render = () => { out.textContent = users.data.map((u) => u.name).join(',') }
    users.subscribe(render)
    render()
  }))
}

/**
 * corsRefused: a db that sends a header the server's CORS does not allow,
 * so every request fails in the browser before it leaves; with a retry
 * limit it ends in failed. The log has one line per connection state, one
 * per onError, and how preload ended.
 */
async function corsRefused({ stream }) {
  const el = section('cors-refused')
  const log = logger(el)
  const db = createStreamDB({
    streamOptions: { url: stream, contentType: 'application/json', headers: { 'x-not-allowed': 'v' } },
    state: schema(), retry: { maxRetries: 2, initialDelayMs: 20, maxDelayMs: 40 },
    onError: (e) => log(`onError: ${e.name}`),
  })
  db.subscribeConnection((c) => log(`state: ${c.state}${c.attempt ? ` ${c.attempt}` : ''}`))
  await settle(log, 'preload', db.preload())
  log(`status: ${db.collections.users.status}`)
  db.close()
}

/**
 * moduleExit: the Go program dies under an open db (as it would when
 * memory runs out); what was pending rejects, the db says so, and a new db
 * on the same stream works in a fresh instance of the module.
 */
async function moduleExit({ stream }) {
  const el = section('module-exit')
  const log = logger(el)
  const db = await openDb('module-exit', stream, { onError: (e) => log(`onError: ${e.name}`) })
  db.subscribeConnection((c) => log(`state: ${c.state}`))
  const q = liveQuery((q) => q.from({ u: db.collections.users }))
  const pending = db.utils.awaitTxId('never', Infinity)
  liveModule().crash('out of memory, say')
  await settle(log, 'awaitTxId', pending)
  await new Promise((r) => setTimeout(r, 20))
  log(`status: ${db.collections.users.status} ${q.status}`)
  await settle(log, 'append', db.stream.append({ type: 'user', key: '9', value: { id: '9' }, headers: { operation: 'insert' } }))
  attempt(log, 'get', () => db.collections.users.get('1'))
  attempt(log, 'close', () => db.close())
  const fresh = await openDb('module-exit-fresh', stream)
  log(`fresh: ${fresh.collections.users.toArray.map((u) => u.name).join(',')} ${fresh.collections.users.status}`)
  fresh.close()
}

expose({ badQueries, closed, closedReads, malformed, missing, silent, manyReads, corsRefused, moduleExit })
