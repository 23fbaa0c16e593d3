// useLiveQuery for Vue: the fields of TanStack DB's result as computed refs
// (data.value, status.value, ...). The argument is a query function (it
// takes the builder), or a Query or LiveQuery as a value, a ref or a getter
// (a function of no arguments). The query is rebuilt when a ref it reads,
// or one of deps, changes.
import { computed, shallowRef, toValue, watchEffect, onScopeDispose } from 'vue'
import { openLive, snapshot } from './adapter.js'

export function useLiveQuery(query, deps = []) {
  const snap = shallowRef(snapshot(null))
  let last = null // the live query shown last
  const stop = watchEffect((onCleanup) => {
    for (const d of deps) toValue(d)
    const isQueryFn = typeof query === 'function' && query.length > 0
    const arg = isQueryFn ? query : toValue(query)
    const opened = openLive(arg, undefined, last)
    if (!opened) {
      snap.value = snapshot(null)
      return
    }
    const { live, owned } = opened
    last = live
    snap.value = snapshot(live)
    const unsubscribe = live.subscribe(() => {
      snap.value = snapshot(live)
    })
    onCleanup(() => {
      unsubscribe()
      if (owned) live.dispose()
    })
  })
  onScopeDispose(stop, true)
  const field = (k) => computed(() => snap.value[k])
  return {
    data: field('data'),
    state: field('state'),
    collection: field('collection'),
    status: field('status'),
    isLoading: field('isLoading'),
    isReady: field('isReady'),
    isIdle: field('isIdle'),
    isError: field('isError'),
    isCleanedUp: field('isCleanedUp'),
    isEnabled: field('isEnabled'),
  }
}
