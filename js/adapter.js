// What the framework adapters share: turning the argument of useLiveQuery
// into a live query, and the snapshot object they hand to components.
import { buildQuery, toIR } from './query.js'
import { LiveQuery } from './live.js'

/**
 * openLive resolves useLiveQuery's argument: a query function, a Query,
 * or a LiveQuery made elsewhere (which the caller keeps and disposes).
 * It returns { live, owned, key } or null for a disabled query.
 */
export function openLive(arg) {
  if (arg instanceof LiveQuery) return { live: arg, owned: false, key: arg }
  const q = buildQuery(arg)
  if (q === null) return null
  const { ir, db } = toIR(q)
  return { live: new LiveQuery(db, ir), owned: true, key: JSON.stringify(ir), db }
}

/** specKey returns the identity of a query argument without opening it. */
export function specKey(arg) {
  if (arg instanceof LiveQuery) return { key: arg, db: null }
  const q = buildQuery(arg)
  if (q === null) return { key: null, db: null }
  const { ir, db } = toIR(q)
  return { key: JSON.stringify(ir), db }
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

/** snapshot is TanStack DB's useLiveQuery result shape for a live query. */
export function snapshot(live) {
  if (!live) return DISABLED
  const status = live.status
  return {
    data: live.data,
    state: live.state,
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
