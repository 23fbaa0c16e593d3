// useLiveQuery for React, on useSyncExternalStore, with TanStack DB's
// return shape: { data, state, collection, status, isLoading, isReady, ... }.
import { useCallback, useEffect, useRef, useState, useSyncExternalStore } from 'react'
import { openLive, resolveQuery, snapshot } from './adapter.js'

/**
 * A render React throws away (a suspended first render, an interrupted
 * concurrent render, strict mode's second render) never commits, so the
 * live query it opened would run until the database closes. A live query
 * opened while rendering that no committed component has claimed within
 * unclaimedMs is disposed; a component that commits later finds it cleaned
 * up and opens it again. Tests may shorten it.
 */
export const _internals = { unclaimedMs: 5000 }

function disposeUnclaimed(opened) {
  if (!opened?.owned) return
  const timer = setTimeout(() => {
    if (!opened.claimed) opened.live.dispose()
  }, _internals.unclaimedMs)
  timer.unref?.() // never keeps Node alive
}

export function useLiveQuery(query, deps = []) {
  const spec = resolveQuery(query)
  const ref = useRef(null)
  const [, setVersion] = useState(0)
  if (ref.current === null || ref.current.spec.key !== spec.key || ref.current.spec.db !== spec.db) {
    const opened = openLive(query, spec, ref.current?.opened?.live)
    disposeUnclaimed(opened)
    ref.current = { spec, opened, snap: snapshot(opened?.live) }
  }
  const cur = ref.current
  const opened = cur.opened
  const live = opened?.live
  // A new live query (a reopened one included) gives a new subscribe
  // function, so React subscribes to it. Subscribing happens on commit:
  // it claims the query.
  const subscribe = useCallback(
    (notify) => {
      if (!live) return () => {}
      opened.claimed = true
      return live.subscribe(() => {
        cur.snap = snapshot(live)
        notify()
      })
    },
    [cur, opened, live],
  )
  // A change between rendering and subscribing reaches no callback: read
  // the live query again when its data or status moved on.
  const getSnapshot = () => {
    if (live && (cur.snap.data !== live.data || cur.snap.status !== live.status)) cur.snap = snapshot(live)
    return cur.snap
  }
  const snap = useSyncExternalStore(subscribe, getSnapshot, getSnapshot)
  useEffect(() => {
    // Strict mode, or a change of deps, runs the cleanup and then this
    // again: a query disposed by the cleanup is opened again, unless its
    // StreamDB was closed meanwhile (it then keeps its last result).
    if (cur.opened?.owned && cur.opened.live.status === 'cleaned-up') {
      cur.opened = openLive(query, cur.spec, cur.opened.live)
      cur.snap = snapshot(cur.opened.live)
      setVersion((n) => n + 1)
    }
    if (cur.opened) cur.opened.claimed = true
    return () => {
      if (cur.opened?.owned) cur.opened.live.dispose()
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [cur, ...deps])
  return snap
}
