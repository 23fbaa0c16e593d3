// Type declarations of @streamdb/streamdb/solid: useLiveQuery with TanStack
// DB's Solid return shape, an accessor returning the data that also
// carries data, state, collection, status, isLoading, ... as getters.

import type { Query, InitialQuery, QueryResult, QueryData } from './query.js'
import type { LiveQuery, LiveQueryState, LiveQueryStateOf } from './index.js'

export type { LiveQueryState, DisabledLiveQueryState, LiveQueryStateOf } from './index.js'

/** LiveQueryAccessor<S> is an accessor of S's data carrying S's fields. */
export type LiveQueryAccessor<S extends { readonly data: unknown }> = (() => S['data']) & S

/** UseLiveQueryReturn<R> is the Solid result for a query function returning R. */
export type UseLiveQueryReturn<R> = AccessorOf<LiveQueryStateOf<R>>

/** AccessorOf<S> is LiveQueryAccessor of each member of the union S (so that isEnabled narrows it). */
type AccessorOf<S> = S extends { readonly data: unknown } ? LiveQueryAccessor<S> : never

/**
 * useLiveQuery runs a query live in the current owner:
 * const users = useLiveQuery(q => q.from({ u: db.collections.users })); users().
 * Signals read inside the function rebuild the query. A function returning
 * null or undefined disables the query.
 */
export declare function useLiveQuery<R extends Query<any> | null | undefined>(
  query: (q: InitialQuery) => R,
): UseLiveQueryReturn<R>
/** useLiveQuery with a built Query. */
export declare function useLiveQuery<Q extends Query<any>>(query: Q | (() => Q)): LiveQueryAccessor<LiveQueryState<QueryResult<Q>, QueryData<Q>>>
/** useLiveQuery with a LiveQuery made elsewhere (the caller keeps and disposes it). */
export declare function useLiveQuery<T, D>(liveQuery: LiveQuery<T, D> | (() => LiveQuery<T, D>)): LiveQueryAccessor<LiveQueryState<T, D>>
