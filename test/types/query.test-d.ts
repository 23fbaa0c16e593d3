// Type tests of js/query.d.ts: `npx tsc --noEmit -p test/types`.
// Each `check<Equal<A, B>>()` asserts an inferred type; each
// `// @ts-expect-error` line must fail to type-check.

import {
  Query, SOURCE, eq, gt, gte, lt, lte, and, or, not, inArray, like, ilike, isNull, isUndefined, upper, lower,
  length, concat, coalesce, toArray, materialize, type IncludedCollection, caseWhen, add, subtract, multiply, divide, count, sum, avg, min, max, buildQuery, toIR,
  type QuerySource, type QueryResult, type QueryData, type QueryFn, type Expression, type Aggregate, type Ref,
  type InitialQuery, type QueryIR,
} from '../../js/query.js'

type Equal<A, B> = (<G>() => G extends A ? 1 : 2) extends (<G>() => G extends B ? 1 : 2) ? true : false
declare function check<T extends true>(): void

interface User {
  id: string
  name: string
  nick?: string
  age?: number
  active: boolean
  teamId: string | null
  tags: string[]
  address: { city: string; zip?: string }
  profile?: { bio: string }
}
interface Message { id: string; userId: string; text: string; timestamp: string }
interface Team { id: string; name: string; budget: number }

// A collection as the lead's code declares it: it extends QuerySource<T>.
interface Collection<T extends object> extends QuerySource<T> {
  get(key: string): T | undefined
}
declare const users: Collection<User>
declare const messages: Collection<Message>
declare const teams: QuerySource<Team>
const q = new Query()

// ---- from, joins and the result row ----

const all = q.from({ users })
check<Equal<QueryResult<typeof all>, User>>()

// the seed's example: a left join (the default) makes the joined side optional
const withAuthors = q
  .from({ messages })
  .join({ users }, ({ messages, users }) => eq(messages.userId, users.id))
  .select(({ messages, users }) => ({ text: messages.text, userName: users.name }))
const row: { text: string; userName: string | undefined } = null! as QueryResult<typeof withAuthors>
check<Equal<QueryResult<typeof withAuthors>, { text: string; userName: string | undefined }>>()

const inner = q.from({ m: messages }).innerJoin({ u: users }, ({ m, u }) => eq(m.userId, u.id))
check<Equal<QueryResult<typeof inner>, { m: Message; u: User }>>()
const left = q.from({ m: messages }).join({ u: users }, ({ m, u }) => eq(m.userId, u.id))
check<Equal<QueryResult<typeof left>, { m: Message; u: User | undefined }>>()
const leftM = q.from({ m: messages }).leftJoin({ u: users }, ({ m, u }) => eq(m.userId, u.id))
check<Equal<QueryResult<typeof leftM>, { m: Message; u: User | undefined }>>()
const right = q.from({ m: messages }).join({ u: users }, ({ m, u }) => eq(m.userId, u.id), 'right')
check<Equal<QueryResult<typeof right>, { m: Message | undefined; u: User }>>()
const full = q.from({ m: messages }).fullJoin({ u: users }, ({ m, u }) => eq(m.userId, u.id))
check<Equal<QueryResult<typeof full>, { m: Message | undefined; u: User | undefined }>>()

// a right join after an inner join: every earlier alias may be unmatched
const chain = q.from({ m: messages })
  .innerJoin({ u: users }, ({ m, u }) => eq(m.userId, u.id))
  .rightJoin({ t: teams }, ({ u, t }) => eq(u.teamId, t.id))
check<Equal<QueryResult<typeof chain>, { m: Message | undefined; u: User | undefined; t: Team }>>()

// composite join; refs of a left-joined alias read as possibly undefined
const comp = q.from({ m: messages })
  .join({ u: users }, ({ m, u }) => and(eq(m.userId, u.id), eq(m.text, u.name)))
  .select(({ m, u }) => ({ id: m.id, age: u.age, team: u.teamId, city: u.address.city }))
check<Equal<QueryResult<typeof comp>, { id: string; age: number | undefined; team: string | null | undefined; city: string | undefined }>>()

// ---- select ----

const spread = q.from({ u: users }).select(({ u }) => ({ ...u, upperName: upper(u.name) }))
check<Equal<QueryResult<typeof spread>['upperName'], string>>()
check<Equal<QueryResult<typeof spread>['address'], { city: string; zip?: string }>>()
check<Equal<QueryResult<typeof spread>['age'], number | undefined>>()

const override = q.from({ u: users }).select(({ u }) => ({ ...u, name: length(u.name) }))
check<Equal<QueryResult<typeof override>['name'], number>>()

const alias = q.from({ u: users }).select(({ u }) => u)
check<Equal<QueryResult<typeof alias>, User>>()

const optionalAlias = q.from({ m: messages }).join({ u: users }, ({ m, u }) => eq(m.userId, u.id)).select(({ u }) => u)
check<Equal<QueryResult<typeof optionalAlias>['name'], string | undefined>>()

const nested = q.from({ u: users }).select(({ u }) => ({ id: u.id, info: { name: u.name, place: { city: u.address.city } } }))
check<Equal<QueryResult<typeof nested>, { id: string; info: { name: string; place: { city: string } } }>>()

const wholeRows = q.from({ m: messages }).join({ u: users }, ({ m, u }) => eq(m.userId, u.id)).select(({ m, u }) => ({ msg: m, user: u }))
check<Equal<QueryResult<typeof wholeRows>, { msg: Message; user: User | undefined }>>()

const optionalObject = q.from({ u: users }).select(({ u }) => ({ bio: u.profile.bio, zip: u.address.zip }))
check<Equal<QueryResult<typeof optionalObject>, { bio: string | undefined; zip: string | undefined }>>()

const constants = q.from({ u: users }).select(() => ({ s: 'x', n: 1, b: true, z: null, none: undefined }))
check<Equal<QueryResult<typeof constants>, { s: string; n: number; b: boolean; z: null; none: null }>>()

const pairs = q.from({ u: users }).select(({ u }) => ({ pair: [u.id, u.age] as const }))
check<Equal<QueryResult<typeof pairs>['pair'], [string, number | undefined]>>()

// ---- expression functions ----

check<Equal<ReturnType<typeof eq<string>>, Expression<boolean>>>()
const fns = q.from({ u: users }).select(({ u }) => ({
  up: upper(u.name),
  lowNick: lower(u.nick),
  len: length(u.tags),
  cat: concat(u.name, ' ', u.age),
  name: coalesce(u.nick, u.name),
  maybe: coalesce(u.nick, null),
  kind: caseWhen(gt(u.age, 65), 'senior', gt(u.age, 18), 'adult', 'minor'),
  noDefault: caseWhen(u.active, 1),
  plus: add(u.age, 1),
  minus: subtract(u.age, u.age),
  times: multiply(2, u.age),
  ratio: divide(u.age, 2),
  test: and(or(eq(u.name, 'a'), not(u.active)), inArray(u.teamId, ['t1', null]), like(u.name, 'a%'), ilike(u.nick, 'b%'),
    isNull(u.teamId), isUndefined(u.age), gte(u.age, 1), lt(u.age, 9), lte(u.name, 'z')),
}))
check<Equal<QueryResult<typeof fns>, {
  up: string; lowNick: string | undefined; len: number; cat: string; name: string; maybe: string | null
  kind: string; noDefault: number | null; plus: number; minus: number; times: number; ratio: number | null; test: boolean
}>>()

const grouped = q.from({ m: messages }).groupBy(({ m }) => m.userId).select(({ m }) => ({
  userId: m.userId, n: count(m.id), all: count(), firstText: min(m.text), lastAt: max(m.timestamp),
}))
check<Equal<QueryResult<typeof grouped>, { userId: string; n: number; all: number; firstText: string; lastAt: string }>>()
const teamAgg = q.from({ t: teams }).select(({ t }) => ({ total: sum(t.budget), mean: avg(t.budget), lo: min(t.budget) }))
check<Equal<QueryResult<typeof teamAgg>, { total: number; mean: number; lo: number }>>()
check<Equal<ReturnType<typeof count>, Aggregate<number>>>()
const ages = q.from({ u: users }).select(({ u }) => ({ youngest: min(u.age) }))
check<Equal<QueryResult<typeof ages>, { youngest: number | undefined }>>()

// ---- where, having, orderBy, limit, findOne ----

q.from({ u: users }).where(({ u }) => u.active)
q.from({ u: users }).where(({ u }) => eq(u.address.city, 'Paris')).where(({ u }) => gt(u.age, 18))
q.from({ u: users }).where(({ u }) => eq(u.age, null))
q.from({ u: users }).where(({ u }) => eq(u.teamId, u.id))
const sel = q.from({ m: messages }).groupBy(({ m }) => [m.userId, m.timestamp]).select(({ m }) => ({ u: m.userId, n: count(m.id) }))
  .having(({ $selected }) => gt($selected.n, 1))
  .having(({ m }) => gt(count(m.id), 1))
  .orderBy(({ $selected }) => $selected.n, 'desc')
  .orderBy(({ m }) => m.userId, { direction: 'asc', nulls: 'last', stringSort: 'locale', locale: 'de', localeOptions: { sensitivity: 'base' } })
  .limit(10)
  .offset(5)
  .distinct()
check<Equal<QueryResult<typeof sel>, { u: string; n: number }>>()
check<Equal<QueryData<typeof sel>, Array<{ u: string; n: number }>>>()

const one = q.from({ u: users }).where(({ u }) => eq(u.id, '1')).findOne()
check<Equal<QueryData<typeof one>, User | undefined>>()
check<Equal<QueryResult<typeof one>, User>>()

// ---- subqueries ----

const active = q.from({ u: users }).where(({ u }) => u.active).select(({ u }) => ({ id: u.id, nick: u.nick }))
const fromSub = new Query().from({ a: active }).join({ m: messages }, ({ a, m }) => eq(a.id, m.userId), 'inner')
check<Equal<QueryResult<typeof fromSub>, { a: { id: string; nick: string | undefined }; m: Message }>>()
const subRow = new Query().from({ a: active }).where(({ a }) => like(a.nick, 'x%'))
check<Equal<QueryResult<typeof subRow>, { id: string; nick: string | undefined }>>()

// ---- entry points ----

const fn: QueryFn = (q) => q.from({ users })
const disabled: QueryFn = () => null
const built = buildQuery((q) => q.from({ u: users }).select(({ u }) => ({ n: u.name })))
const maybeBuilt: typeof built = null
check<Equal<QueryResult<NonNullable<typeof built>>, { n: string }>>()
check<Equal<QueryResult<(q: InitialQuery) => typeof alias>, User>>()
const ir: QueryIR = toIR(all).ir
const s: symbol = SOURCE
const r: Ref<User> = null!
const city: Ref<string> = r.address.city

// ---- errors ----

// @ts-expect-error unknown field of an alias
q.from({ u: users }).select(({ u }) => ({ x: u.nope }))
// @ts-expect-error unknown alias
q.from({ u: users }).where(({ x }) => eq(x.id, 1))
// @ts-expect-error comparing a number field with a string
q.from({ u: users }).where(({ u }) => eq(u.age, 'x'))
// @ts-expect-error comparing a string field with a number field
q.from({ m: messages }).join({ u: users }, ({ m, u }) => eq(m.userId, u.id)).where(({ m, u }) => gt(m.text, u.age))
// @ts-expect-error where must return an expression, not a JS boolean
q.from({ u: users }).where(() => true)
// @ts-expect-error where must not return a non-boolean ref
q.from({ u: users }).where(({ u }) => u.name)
// @ts-expect-error limit needs orderBy
q.from({ u: users }).limit(10)
// @ts-expect-error offset needs orderBy
q.from({ u: users }).offset(10)
const typo: QueryResult<typeof withAuthors> = null!
// @ts-expect-error a typo in a selected field, when read
typo.usrName
// @ts-expect-error a left-joined field may be undefined
const notOptional: string = typo.userName
// @ts-expect-error two sources in from
q.from({ u: users, m: messages })
// @ts-expect-error not a source
q.from({ u: [1, 2, 3] })
// @ts-expect-error from() twice
q.from({ u: users }).from({ m: messages })
// @ts-expect-error a join condition must be an expression (eq/and)
q.from({ m: messages }).join({ u: users }, ({ u }) => u.active)
// @ts-expect-error join types are inner, left, right, full
q.from({ m: messages }).join({ u: users }, ({ m, u }) => eq(m.userId, u.id), 'outer')
// @ts-expect-error sum of a string
q.from({ u: users }).select(({ u }) => ({ s: sum(u.name) }))
// @ts-expect-error like on a number
q.from({ u: users }).where(({ u }) => like(u.age, '1%'))
// @ts-expect-error upper of a number
q.from({ u: users }).select(({ u }) => ({ s: upper(u.age) }))
// @ts-expect-error and of a string
q.from({ u: users }).where(({ u }) => and(u.name, u.active))
// @ts-expect-error inArray with a list of the wrong type
q.from({ u: users }).where(({ u }) => inArray(u.id, [1, 2]))
// @ts-expect-error $selected is not available in where
q.from({ u: users }).select(({ u }) => ({ n: u.name })).where(({ $selected }) => eq($selected.n, 'x'))
// @ts-expect-error $selected needs a select
q.from({ u: users }).orderBy(({ $selected }) => $selected.n)
// @ts-expect-error $selected has only the selected fields
q.from({ u: users }).select(({ u }) => ({ n: u.name })).orderBy(({ $selected }) => $selected.name)
// @ts-expect-error orderBy direction
q.from({ u: users }).orderBy(({ u }) => u.name, 'up')
// @ts-expect-error fn.where's row has only the query's aliases
q.from({ u: users }).fn.where((row) => row.m.id === 'x')
// @ts-expect-error fn.having's row has no $selected before a select
q.from({ u: users }).fn.having((row) => row.$selected)

// @ts-expect-error where before from
q.where(() => eq(1, 1))
// A scalar select (for includes: toArray, concat(toArray(...))).
check<Equal<QueryResult<ReturnType<typeof scalarName>>, string>>()
function scalarName() { return q.from({ u: users }).select(({ u }) => upper(u.name)) }

// ---- includes ----

const withIncludes = q.from({ u: users }).select(({ u }) => ({
  id: u.id,
  texts: toArray(q.from({ m: messages }).where(({ m }) => eq(m.userId, u.id)).select(({ m }) => m.text)),
  all: concat(toArray(q.from({ m: messages }).where(({ m }) => eq(m.userId, u.id)).select(({ m }) => m.text))),
  last: materialize(q.from({ m: messages }).where(({ m }) => eq(m.userId, u.id)).orderBy(({ m }) => m.timestamp, 'desc').select(({ m }) => ({ text: m.text })).findOne()),
  msgs: materialize(q.from({ m: messages }).where(({ m }) => eq(m.userId, u.id))),
  live: q.from({ m: messages }).where(({ m }) => eq(m.userId, u.id)),
}))
type WithIncludes = QueryResult<typeof withIncludes>
check<Equal<WithIncludes['texts'], string[]>>()
check<Equal<WithIncludes['all'], string>>()
check<Equal<WithIncludes['last'], { text: string } | undefined>>()
check<Equal<WithIncludes['msgs'], Message[]>>()
check<Equal<WithIncludes['live'], IncludedCollection<Message>>>()
// A constant scalar select (TanStack DB takes one too): one mark per child row.
const withMarks = q.from({ u: users }).select(({ u }) => ({
  marks: toArray(q.from({ m: messages }).where(({ m }) => eq(m.userId, u.id)).select(() => false)),
  dots: concat(toArray(q.from({ m: messages }).where(({ m }) => eq(m.userId, u.id)).select(() => '.'))),
}))
check<Equal<QueryResult<typeof withMarks>['marks'], boolean[]>>()
check<Equal<QueryResult<typeof withMarks>['dots'], string>>()
// @ts-expect-error toArray wraps a query
toArray(users)
// @ts-expect-error a query function must return a query
const badFn: QueryFn = (q) => q

// ---- virtual row fields (TanStack DB's $synced, $origin, $key, $collectionId, $hasPendingWrites) ----

const virtual = q
  .from({ u: users })
  .join({ m: messages }, ({ u, m }) => eq(u.$key, m.userId))
  .where(({ u }) => eq(u.$synced, false))
  .orderBy(({ u }) => u.$origin)
  .select(({ u, m }) => ({ id: u.id, origin: u.$origin, key: u.$key, coll: u.$collectionId, pending: u.$hasPendingWrites, mSynced: m.$synced }))
check<Equal<QueryResult<typeof virtual>, { id: string; origin: 'local' | 'remote'; key: string; coll: string; pending: boolean; mSynced: boolean | undefined }>>()
// @ts-expect-error: $origin is 'local' or 'remote'
q.from({ u: users }).where(({ u }) => eq(u.$origin, 1))

// ---- fn.where, fn.select, fn.having ----

const fnSel = q.from({ u: users }).leftJoin({ m: messages }, ({ u, m }) => eq(u.id, m.userId))
  .fn.where((row) => row.u.active && row.m?.text !== '')
  .fn.select((row) => ({ name: row.u.name, text: row.m?.text }))
  .orderBy(({ $selected }) => $selected.name)
check<Equal<QueryResult<typeof fnSel>, { name: string; text: string | undefined }>>()
const fnHaving = q.from({ m: messages }).groupBy(({ m }) => m.userId)
  .select(({ m }) => ({ userId: m.userId, n: count(m.id) }))
  .fn.having((row) => row.$selected.n > 1)
check<Equal<QueryResult<typeof fnHaving>, { userId: string; n: number }>>()

// ---- unionAll ----

// unionAll({ a, b }): each row has one alias; the others are undefined
const uSources = q.unionAll({ m: messages, t: teams })
check<Equal<QueryResult<typeof uSources>, { m: Message | undefined; t: Team | undefined }>>()
const uSel = uSources
  .where(({ m, t }) => gt(coalesce(m.timestamp, t.name), ''))
  .orderBy(({ m, t }) => coalesce(m.id, t.id))
  .limit(5)
  .select(({ m, t }) => ({ id: coalesce(m.id, t.id), text: m.text }))
type USel = QueryResult<typeof uSel>
check<Equal<USel['text'], string | undefined>>()
// with one source it is from()
check<Equal<QueryResult<typeof uOne>, Message>>()
const uOne = q.unionAll({ m: messages })
// unionAll(q1, q2): the result rows of the queries, read by field
const uBranches = q.unionAll(
  new Query().from({ m: messages }).select(({ m }) => ({ id: m.id, label: m.text })),
  new Query().from({ t: teams }).select(({ t }) => ({ id: t.id, label: t.name, budget: t.budget })),
)
const uBr = uBranches.where((r) => gt(r.label, 'a')).orderBy((r) => r.id).select((r) => ({ id: r.id, budget: r.budget }))
check<Equal<QueryResult<typeof uBr>, { id: string; budget: number | undefined }>>()
const uBrJoin = uBranches.join({ u: users }, (r) => eq(r.id, r.u.id))
check<Equal<QueryResult<typeof uBrJoin>, { id: string; label: string; budget: number | undefined; u: User | undefined }>>()
// @ts-expect-error: unionAll's queries are queries
q.unionAll(new Query().from({ m: messages }), { t: teams })
// @ts-expect-error: unionAll sets the source, from() cannot follow
q.unionAll({ m: messages, t: teams }).from({ users })
