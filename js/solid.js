// useLiveQuery for Solid: an accessor returning the data, which also
// carries state, collection, status, isLoading, isReady, ... as getters.
// The argument is a query function (it takes the builder), a Query or
// LiveQuery, or an accessor of one (a function of no arguments). Signals
// read inside the query function or the accessor rebuild the query.
import { createComputed, createSignal, onCleanup } from 'solid-js'
import { openLive, snapshot } from './adapter.js'

export function useLiveQuery(query) {
  const [snap, setSnap] = createSignal(snapshot(null), { equals: false })
  let last = null // the live query shown last
  createComputed(() => {
    const opened = openLive(typeof query === 'function' && query.length === 0 ? query() : query, undefined, last)
    if (!opened) {
      setSnap(snapshot(null))
      return
    }
    const { live, owned } = opened
    last = live
    setSnap(snapshot(live))
    const unsubscribe = live.subscribe(() => setSnap(snapshot(live)))
    onCleanup(() => {
      unsubscribe()
      if (owned) live.dispose()
    })
  })
  const accessor = () => snap().data
  for (const k of ['data', 'state', 'collection', 'status', 'isLoading', 'isReady', 'isIdle', 'isError', 'isCleanedUp', 'isEnabled']) {
    Object.defineProperty(accessor, k, { get: () => snap()[k], enumerable: true })
  }
  return accessor
}
