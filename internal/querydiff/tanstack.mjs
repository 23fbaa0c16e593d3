// TanStackDB runs the engine protocol's operations (init, query, sync, tx,
// rollback, complete, results, drop) against the real @tanstack/db.
// Used by the harness (the reference side) and by fake-engine.mjs.

import { createCollection, createLiveQueryCollection, createTransaction, BasicIndex } from '@tanstack/db'
import { compareKeys } from '@tanstack/db-ivm'
import { buildQuery, toOurIR, collectionNames } from './ir.mjs'
import { keyId, normalizeRow } from './compare.mjs'

// Errors that mean "TanStack refuses this mutation" (not a crash).
const EXPECTED_REJECTIONS = new Set(['DuplicateKeyError', 'UpdateKeyNotFoundError', 'DeleteKeyNotFoundError', 'KeyUpdateNotAllowedError'])

const settle = () => new Promise((resolve) => setImmediate(resolve))

function errText(e) {
  return `${e?.constructor?.name ?? e?.name ?? "Error"}: ${e?.message ?? String(e)}`
}

/** TanStackDB holds one set of collections, live queries and transactions. */
export class TanStackDB {
  /**
   * cascade: a rollback also rolls back the pending transactions that touch
   * one of its keys (TanStack's rule for pending transactions). Without it,
   * transactions behave as those of an action whose mutationFn has not
   * settled yet (persisting, which TanStack never cascades to), while sync
   * is still applied at once (see package-engine.mjs).
   */
  /**
   * seq: synced rows carry `_seq` as StreamDB's materialization gives them
   * ({...value, [pk]: key, _seq}, one counter for all collections, rising
   * with every change event, deletes included, as @durable-streams/state's
   * materialization numbers them), for engines fed
   * through a stream; the initial rows are numbered in collection order.
   */
  constructor({ autoIndex = 'off', cascade = true, seq = false } = {}) {
    this.autoIndex = autoIndex
    this.cascade = cascade
    this.seq = seq ? 0 : null
    this.colls = {}
    this.syncers = {}
    this.synced = {}
    this.pk = {}
    this.queries = new Map()
    this.txs = new Map()
    this.freshN = 0
  }

  /** init replaces everything with new collections loaded by one sync transaction each. */
  init(collections, ids = {}) {
    this.dispose()
    if (this.seq !== null) this.seq = 0
    for (const [name, { pk, rows: given }] of Object.entries(collections)) {
      const rows = given.map((r) => this.withSeq(r))
      let fns
      const opts = {
        id: ids[name] ?? name,
        getKey: (r) => r[pk],
        startSync: true,
        sync: {
          sync: (params) => {
            fns = params
            params.begin()
            for (const r of rows) params.write({ type: 'insert', value: structuredClone(r) })
            params.commit()
            params.markReady()
          },
        },
      }
      if (this.autoIndex === 'eager') Object.assign(opts, { autoIndex: 'eager', defaultIndexType: BasicIndex })
      this.colls[name] = createCollection(opts)
      collectionNames.set(this.colls[name], name)
      this.syncers[name] = () => fns
      this.pk[name] = pk
      this.synced[name] = new Map(rows.map((r) => [r[pk], structuredClone(r)]))
    }
  }

  /** withSeq returns a synced row as it is materialized (with the next _seq when seq is on). */
  withSeq(row) {
    return this.seq === null ? row : { ...row, _seq: this.seq++ }
  }

  dispose() {
    for (const q of this.queries.values()) this.dropQuery(q)
    this.queries.clear()
    for (const tx of this.txs.values()) {
      try { if (tx.state === 'pending') tx.rollback() } catch { /* ignore */ }
    }
    this.txs.clear()
    for (const c of Object.values(this.colls)) {
      try { const p = c.cleanup(); p?.catch?.(() => {}) } catch { /* ignore */ }
    }
    this.colls = {}
  }

  /**
   * createQuery builds a plan (or our IR, which is a plan without hints) with
   * the query builder and starts a live query over it. Returns {ok, ir} or
   * {error, stage, ir}; ir is our IR converted from the builder's IR (null
   * when the builder itself threw).
   */
  createQuery(id, plan) {
    let qb, ir = null
    try {
      qb = buildQuery(plan, this.colls)
      ir = toOurIR(qb._getQuery())
    } catch (e) {
      return { error: errText(e), stage: 'build', ir }
    }
    let lq
    try {
      lq = createLiveQueryCollection({ query: qb, startSync: true })
    } catch (e) {
      return { error: errText(e), stage: 'compile', ir }
    }
    const q = { id, ir, lq, events: new Map(), builderIR: qb._getQuery() }
    try {
      q.sub = lq.subscribeChanges((changes) => {
        for (const c of changes) {
          if (c.type === 'delete') q.events.delete(c.key)
          else q.events.set(c.key, c.value)
        }
      }, { includeInitialState: true })
    } catch (e) {
      this.dropQuery(q)
      return { error: errText(e), stage: 'subscribe', ir }
    }
    if (lq.status === 'error') {
      this.dropQuery(q)
      return { error: 'live query status error', stage: 'start', ir }
    }
    this.queries.set(id, q)
    return { ok: true, ir }
  }

  dropQuery(q) {
    try { q.sub?.unsubscribe() } catch { /* ignore */ }
    try { const p = q.lq.cleanup(); p?.catch?.(() => {}) } catch { /* ignore */ }
  }

  /** drop stops a live query. */
  drop(id) {
    const q = this.queries.get(id)
    if (q) this.dropQuery(q)
    this.queries.delete(id)
  }

  /** sync applies one sync transaction (begin, writes, commit) to one collection. */
  sync(name, writes) {
    const fns = this.syncers[name]?.()
    if (!fns) throw new Error(`unknown collection ${name}`)
    const pk = this.pk[name]
    const model = this.synced[name]
    fns.begin()
    for (const w of writes) {
      if (w.type === 'insert') {
        const value = this.withSeq(structuredClone(w.value))
        fns.write({ type: 'insert', value })
        model.set(w.key, structuredClone(value))
      } else if (w.type === 'update') {
        const value = this.withSeq({ ...structuredClone(w.value), [pk]: w.key })
        fns.write({ type: 'update', value })
        model.set(w.key, { ...model.get(w.key), ...structuredClone(value) })
      } else {
        fns.write({ type: 'delete', key: w.key })
        model.delete(w.key)
        this.withSeq({})
      }
    }
    fns.commit()
  }

  /**
   * tx starts a pending optimistic transaction and applies its mutations one
   * by one; mutations TanStack rejects are skipped. Returns {accepted,
   * rejected}. A transaction with no accepted mutation is rolled back and
   * forgotten.
   */
  tx(id, mutations) {
    const tx = createTransaction({ id, autoCommit: false, mutationFn: async () => {} })
    tx.isPersisted.promise.catch(() => {})
    const accepted = []
    const rejected = []
    for (const m of mutations) {
      const c = this.colls[m.collection]
      const before = [...tx.mutations]
      const current = m.type === 'update' ? c.get(m.key) : undefined
      try {
        tx.mutate(() => {
          if (m.type === 'insert') c.insert(structuredClone(m.value))
          else if (m.type === 'update') c.update(m.key, (draft) => { Object.assign(draft, structuredClone(m.value)) })
          else c.delete(m.key)
        })
      } catch (e) {
        // A rejection of the mutation itself is expected (the generator makes
        // some on purpose); anything else (e.g. DuplicateKeySyncError from a
        // live query's output while propagating the change) is a TanStack
        // crash and ends the session.
        if (!EXPECTED_REJECTIONS.has(e?.constructor?.name)) {
          const err = new Error(`while applying mutation ${JSON.stringify(m)}: ${errText(e)}`)
          err.name = e?.constructor?.name ?? 'Error'
          throw err
        }
        rejected.push({ mutation: m, error: errText(e) })
        continue
      }
      const recorded = before.length !== tx.mutations.length || tx.mutations.some((x, i) => x !== before[i])
      if (!recorded) {
        // An update that changes nothing records no mutation in TanStack.
        rejected.push({ mutation: m, error: 'NoOpUpdate: the update changed nothing, TanStack recorded no mutation' })
        continue
      }
      if (m.type === 'update' && current) {
        // send only what the draft really changed
        const changed = {}
        for (const [k, v] of Object.entries(m.value)) {
          if (JSON.stringify(v) !== JSON.stringify(current[k])) changed[k] = v
        }
        accepted.push(Object.keys(changed).length ? { ...m, value: changed } : m)
      } else accepted.push(m)
    }
    if (accepted.length) this.txs.set(id, tx)
    else tx.rollback()
    return { accepted, rejected }
  }

  /** rollback rolls a pending transaction back (TanStack cascades to conflicting ones, unless cascade is off). */
  rollback(id) {
    const tx = this.txs.get(id)
    if (!tx) throw new Error(`unknown transaction ${id}`)
    tx.rollback(this.cascade ? undefined : { isSecondaryRollback: true })
    this.forgetSettled()
  }

  /** complete commits a pending transaction with a resolving mutationFn. */
  async complete(id) {
    const tx = this.txs.get(id)
    if (!tx) throw new Error(`unknown transaction ${id}`)
    await tx.commit()
    await settle()
    this.forgetSettled()
  }

  forgetSettled() {
    for (const [id, tx] of this.txs) if (tx.state !== 'pending') this.txs.delete(id)
  }

  /** pendingTx lists the ids of pending transactions in creation order. */
  pendingTx() {
    return [...this.txs.entries()].filter(([, tx]) => tx.state === 'pending').map(([id]) => id)
  }

  syncedRows(name) {
    return this.synced[name]
  }

  visibleRows(name) {
    const out = new Map()
    for (const [k, v] of this.colls[name].entries()) out.set(k, v)
    return out
  }

  /**
   * resultOf materialises one live query. Known TanStack 0.15.2 bug:
   * with groupBy on a nullable column the output collection's sorted key
   * array gets corrupted (its comparator compareKeys is not a total order for
   * null/undefined/boolean keys), so entries()/toArray can repeat or skip rows
   * while size is right. The row set is therefore taken from the live query's
   * change events; entries() only supplies the order, and is used only when it
   * lists exactly the event keys once each. Otherwise (flagged `inconsistent`)
   * the rows are ordered by compareKeys, TanStack's defined key order.
   */
  resultOf(q) {
    const ev = q.events
    const seen = new Set()
    const order = []
    let consistent = true
    for (const [k] of q.lq.entries()) {
      if (seen.has(k) || !ev.has(k)) { consistent = false; break }
      seen.add(k)
      order.push(k)
    }
    if (consistent && order.length !== ev.size) consistent = false
    let keys = order
    if (!consistent) keys = [...ev.keys()].sort(compareKeys)
    const oddKeys = keys.some((k) => typeof k !== 'string' && typeof k !== 'number')
    return {
      rows: keys.map((k) => [keyId(k), normalizeRow(ev.get(k))]),
      inconsistent: !consistent,
      oddKeys,
      size: q.lq.size,
    }
  }

  /**
   * freshResult evaluates our IR from scratch over the current (visible)
   * state with a new live query, and drops it again. Null when that fails.
   */
  freshResult(ir) {
    return this.fresh(ir, (q) => this.resultOf(q))
  }

  /** freshEntries is freshResult's [key, row] pairs as TanStack gives them (not normalised; no order). */
  freshEntries(ir) {
    return this.fresh(ir, (q) => [...q.events.entries()])
  }

  fresh(ir, read) {
    const id = `__fresh${++this.freshN}`
    const r = this.createQuery(id, ir)
    if (r.error) return null
    const res = read(this.queries.get(id))
    this.drop(id)
    return res
  }

  /** results returns every live query's result, by id. */
  results() {
    const out = {}
    for (const [id, q] of this.queries) out[id] = this.resultOf(q)
    return out
  }
}

export { settle }
