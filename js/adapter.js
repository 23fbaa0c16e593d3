// What the framework adapters share: turning the argument of useLiveQuery
// into a live query, and the snapshot object they hand to components.
import { buildQuery, toIR } from './query.js'
import { LiveQuery } from './live.js'

/**
 * resolveQuery resolves useLiveQuery's argument without opening anything:
 * a query function or a Query gives its IR and db, with the IR's JSON text
 * as its identity (key); a LiveQuery made elsewhere is its own key; a
 * disabled query (the function returned null) has the key null.
 */
export function resolveQuery(arg) {
  if (arg instanceof LiveQuery) return { key: arg, db: null, live: arg }
  const q = buildQuery(arg)
  if (q === null) return { key: null, db: null }
  // A query's callbacks (fn.where, ...) are not part of its key: as in
  // TanStack DB, the ones of the render that opened it stay.
  const { ir, db, fns } = toIR(q)
  return { key: JSON.stringify(ir), db, ir, fns }
}

/**
 * openLive opens the live query of an argument (resolved by resolveQuery
 * unless spec is given): { live, owned }, where owned says the caller must
 * dispose it, or null for a disabled query. A query that changes after its
 * StreamDB was closed (a timer re-rendering a page that is being left)
 * keeps the previous live query, when there is one, with its last result
 * and the status 'cleaned-up', instead of throwing ClosedError while the
 * component renders.
 */
export function openLive(arg, spec = resolveQuery(arg), previous = null) {
  if (spec.key === null) return null
  if (spec.live) return { live: spec.live, owned: false }
  try {
    return { live: new LiveQuery(spec.db, spec.ir, spec.fns), owned: true }
  } catch (e) {
    if (e?.code === 'CLOSED' && previous) return { live: previous, owned: false }
    throw e
  }
}

const DISABLED = Object.freeze({
  data: undefined,
  state: new Map(),
  collection: null,
  status: 'disabled',
  isLoading: false,
  isReady: false,
  isIdle: false,
  isError: false,
  isCleanedUp: false,
  isEnabled: false,
})

/**
 * snapshot is TanStack DB's useLiveQuery result shape for a live query.
 * Its state (a Map of the whole result) is made when first read, once per
 * snapshot: a render that reads only data pays nothing for it.
 */
export function snapshot(live) {
  if (!live) return DISABLED
  const status = live.status
  let state
  return {
    data: live.data,
    get state() {
      return (state ??= live.state)
    },
    collection: live,
    status,
    isLoading: status === 'loading',
    isReady: status === 'ready',
    isIdle: status === 'idle',
    isError: status === 'error',
    isCleanedUp: status === 'cleaned-up',
    isEnabled: true,
  }
}
