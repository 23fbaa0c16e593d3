// Type declarations of @streamdb/streamdb/vue: useLiveQuery with TanStack
// DB's Vue return shape, every field a ComputedRef (data.value,
// status.value, ...).

import type { ComputedRef, MaybeRef, MaybeRefOrGetter } from 'vue'
import type { Query, InitialQuery, QueryResult, QueryData } from './query.js'
import type { LiveQuery, LiveQueryState, LiveQueryStateOf } from './index.js'

export type { LiveQueryState, DisabledLiveQueryState, LiveQueryStateOf } from './index.js'

/** Merged<U> joins the members of a union of result shapes field by field. */
type Merged<U> = { [K in KeysOf<U>]: U extends unknown ? (K extends keyof U ? U[K] : never) : never }
type KeysOf<U> = U extends unknown ? keyof U : never

/** ComputedFields<S> is a result shape with every field a ComputedRef. */
export type ComputedFields<S> = { readonly [K in keyof S]: ComputedRef<S[K]> }

/** UseLiveQueryReturn<R> is the Vue result for a query function returning R. */
export type UseLiveQueryReturn<R> = ComputedFields<Merged<LiveQueryStateOf<R>>>

/**
 * useLiveQuery runs a query live in the current effect scope:
 * useLiveQuery(q => q.from({ u: db.collections.users })). The query is
 * rebuilt when a ref it reads, or one of deps, changes. A function
 * returning null or undefined disables the query.
 */
export declare function useLiveQuery<R extends Query<any> | null | undefined>(
  query: (q: InitialQuery) => R,
  deps?: ReadonlyArray<MaybeRefOrGetter<unknown>>,
): UseLiveQueryReturn<R>
/** useLiveQuery with a built Query (or a ref holding one). */
export declare function useLiveQuery<Q extends Query<any>>(
  query: MaybeRef<Q> | ComputedRef<Q> | (() => Q),
  deps?: ReadonlyArray<MaybeRefOrGetter<unknown>>,
): ComputedFields<LiveQueryState<QueryResult<Q>, QueryData<Q>>>
/** useLiveQuery with a LiveQuery made elsewhere (or a ref holding one); the caller keeps and disposes it. */
export declare function useLiveQuery<T, D>(
  liveQuery: MaybeRef<LiveQuery<T, D>> | ComputedRef<LiveQuery<T, D>> | (() => LiveQuery<T, D>),
  deps?: ReadonlyArray<MaybeRefOrGetter<unknown>>,
): ComputedFields<LiveQueryState<T, D>>
