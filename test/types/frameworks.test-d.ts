// Type tests of js/react.d.ts, js/vue.d.ts and js/solid.d.ts: useLiveQuery's
// return shapes (React: a plain object; Vue: ComputedRefs; Solid: an
// accessor carrying the fields), with data typed from the query.
// Run: npx tsc --noEmit -p test/types

import { createStateSchema, createStreamDB, liveQuery, eq, count, Query } from '@streamdb/streamdb'
import type { LiveQuery, LiveQueryState, DisabledLiveQueryState, CollectionStatus } from '@streamdb/streamdb'
import { useLiveQuery as useReact } from '@streamdb/streamdb/react'
import { useLiveQuery as useVue } from '@streamdb/streamdb/vue'
import { useLiveQuery as useSolid } from '@streamdb/streamdb/solid'
import { ref, computed, type ComputedRef } from 'vue'
import { createSignal } from 'solid-js'
import { z } from 'zod'

type Equal<A, B> = (<G>() => G extends A ? 1 : 2) extends (<G>() => G extends B ? 1 : 2) ? true : false
/** expectType<T>()(value) compiles only when value's type is exactly T. */
declare function expectType<T>(): <V>(value: V, ...mismatch: Equal<T, V> extends true ? [] : ['type mismatch', T]) => void

const schema = createStateSchema({
  users: { schema: z.object({ id: z.string(), name: z.string(), age: z.number() }), type: 'user', primaryKey: 'id' },
  posts: { schema: z.object({ id: z.string(), userId: z.string(), title: z.string() }), type: 'post', primaryKey: 'id' },
})
const db = createStreamDB({ streamOptions: { url: 'http://localhost/s' }, state: schema })
type User = { id: string; name: string; age: number }
type Post = { id: string; userId: string; title: string }
declare const on: boolean

// ---- React: a plain object ----

const r1 = useReact((q) => q.from({ u: db.collections.users }))
expectType<LiveQueryState<User, User[]>>()(r1)
expectType<User[]>()(r1.data)
expectType<Map<string | number, User>>()(r1.state)
expectType<LiveQuery<User, User[]>>()(r1.collection)
expectType<CollectionStatus>()(r1.status)
expectType<boolean>()(r1.isLoading)
expectType<true>()(r1.isEnabled)

const r2 = useReact(
  (q) => q.from({ p: db.collections.posts }).join({ u: db.collections.users }, ({ p, u }) => eq(p.userId, u.id), 'inner')
    .select(({ p, u }) => ({ title: p.title, author: u.name })),
  [on],
)
expectType<Array<{ title: string; author: string }>>()(r2.data)
// @ts-expect-error reading a field the select did not produce
r2.data[0]!.userId

const r3 = useReact((q) => q.from({ u: db.collections.users }).where(({ u }) => eq(u.id, '1')).findOne())
expectType<User | undefined>()(r3.data)

const r4 = useReact((q) => (on ? q.from({ u: db.collections.users }) : undefined))
expectType<LiveQueryState<User, User[]> | DisabledLiveQueryState<User>>()(r4)
expectType<User[] | undefined>()(r4.data)
expectType<CollectionStatus | 'disabled'>()(r4.status)
if (r4.isEnabled) expectType<User[]>()(r4.data)
else expectType<null>()(r4.collection)
// @ts-expect-error data may be undefined while disabled
r4.data.length

const lq = liveQuery((q) => q.from({ u: db.collections.users }).select(({ u }) => ({ n: count(u.id) })))
expectType<Array<{ n: number }>>()(useReact(lq).data)
expectType<User[]>()(useReact(new Query().from({ u: db.collections.users })).data)
// @ts-expect-error useLiveQuery takes a query function, a Query or a LiveQuery
useReact(db.collections.users)
// @ts-expect-error unknown collection name
useReact((q) => q.from({ x: db.collections.comments }))

// ---- Vue: every field a ComputedRef ----

const v1 = useVue((q) => q.from({ u: db.collections.users }).orderBy(({ u }) => u.age, 'desc').limit(10))
expectType<ComputedRef<User[]>>()(v1.data)
expectType<User[]>()(v1.data.value)
expectType<ComputedRef<CollectionStatus>>()(v1.status)
expectType<ComputedRef<Map<string | number, User>>>()(v1.state)
expectType<boolean>()(v1.isReady.value)

const minAge = ref(18)
const v2 = useVue((q) => q.from({ u: db.collections.users }).where(({ u }) => eq(u.age, minAge.value)).findOne(), [minAge])
expectType<User | undefined>()(v2.data.value)

const v3 = useVue((q) => (on ? q.from({ p: db.collections.posts }) : null))
expectType<ComputedRef<Post[] | undefined>>()(v3.data)
expectType<CollectionStatus | 'disabled'>()(v3.status.value)
expectType<LiveQuery<Post, Post[]> | null>()(v3.collection.value)
expectType<boolean>()(v3.isEnabled.value)

const built = computed(() => new Query().from({ p: db.collections.posts }))
expectType<Post[]>()(useVue(built).data.value)
expectType<Array<{ n: number }>>()(useVue(ref(lq)).data.value)
expectType<Array<{ n: number }>>()(useVue(() => lq).data.value)
expectType<Post[]>()(useVue(() => new Query().from({ p: db.collections.posts })).data.value)
// @ts-expect-error Vue refs are read through .value
v1.data.length

// ---- Solid: an accessor carrying the fields ----

const [minAgeSignal] = createSignal(18)
const s1 = useSolid((q) => q.from({ u: db.collections.users }).where(({ u }) => eq(u.age, minAgeSignal())))
expectType<User[]>()(s1())
expectType<User[]>()(s1.data)
expectType<Map<string | number, User>>()(s1.state)
expectType<CollectionStatus>()(s1.status)
expectType<boolean>()(s1.isLoading)
expectType<LiveQuery<User, User[]>>()(s1.collection)

const s2 = useSolid((q) => q.from({ p: db.collections.posts }).findOne())
expectType<Post | undefined>()(s2())

const s3 = useSolid((q) => (on ? q.from({ p: db.collections.posts }) : null))
expectType<Post[] | undefined>()(s3())
if (s3.isEnabled) expectType<Post[]>()(s3())
expectType<Array<{ n: number }>>()(useSolid(lq)())
const [lqSignal] = createSignal(lq)
expectType<Array<{ n: number }>>()(useSolid(lqSignal)())
expectType<Array<{ n: number }>>()(useSolid(() => lqSignal()).data)
// @ts-expect-error the accessor takes no argument
s1(1)
// @ts-expect-error reading a field the query does not have
s1()[0]!.email
