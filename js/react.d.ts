// Type declarations of @streamdb/streamdb/react: useLiveQuery with TanStack
// DB's React return shape, a plain object { data, state, collection,
// status, isLoading, isReady, isIdle, isError, isCleanedUp, isEnabled }.

import type { Query, InitialQuery, QueryResult, QueryData } from './query.js'
import type { LiveQuery, LiveQueryState, LiveQueryStateOf } from './index.js'

export type { LiveQueryState, DisabledLiveQueryState, LiveQueryStateOf } from './index.js'

/**
 * useLiveQuery runs a query live while the component is mounted:
 * useLiveQuery(q => q.from({ u: db.collections.users })). The query is
 * rebuilt when its IR (or one of deps) changes. A function returning null
 * or undefined disables the query (status 'disabled', isEnabled false).
 */
export declare function useLiveQuery<R extends Query<any> | null | undefined>(
  query: (q: InitialQuery) => R,
  deps?: ReadonlyArray<unknown>,
): LiveQueryStateOf<R>
/** useLiveQuery with a built Query. */
export declare function useLiveQuery<Q extends Query<any>>(
  query: Q,
  deps?: ReadonlyArray<unknown>,
): LiveQueryState<QueryResult<Q>, QueryData<Q>>
/** useLiveQuery with a LiveQuery made elsewhere (the caller keeps and disposes it). */
export declare function useLiveQuery<T, D>(
  liveQuery: LiveQuery<T, D>,
  deps?: ReadonlyArray<unknown>,
): LiveQueryState<T, D>
