// Type declarations of js/query.js: TanStack DB's query builder API with
// inferred row types.
//
// How the types work:
// - A source carries its row type as a phantom (QuerySource<T>).
// - A Query carries a QueryContext: the row type of every alias (optional
//   where an outer join can leave it unmatched), the from alias, whether
//   there are joins, the select() result, whether orderBy() was called and
//   whether findOne() was.
// - Callbacks get Ref<T> proxies; functions take operands (a constant, a
//   ref or an expression) and return Expression<T>. Refs and expressions
//   share a phantom class member holding T; as a class method it is dropped
//   by object spread, which is how select() tells `u` from `{...u}`.

import { StreamDBError } from './errors.js'

/** SOURCE is the key under which a collection carries its name and database. */
export declare const SOURCE: unique symbol

declare const rowType: unique symbol
declare const valueType: unique symbol
declare const contextType: unique symbol

/** SourceInfo is what a collection holds under SOURCE. */
export interface SourceInfo {
  readonly name: string
  readonly db: object
}

/** QuerySource is anything from()/join() read rows of type T from (a Collection extends it). */
export interface QuerySource<T extends object> {
  readonly [SOURCE]: SourceInfo
  /** Phantom: the row type, never present at run time. */
  readonly [rowType]?: T
}

// ---------------------------------------------------------------------------
// Refs and expressions

/** Typed<T> is anything that evaluates to a T inside a query: a ref or an expression. */
declare class Typed<T> {
  /** Phantom: the value type, never present at run time. */
  [valueType](): T
}

/** Expression is a node of the query IR whose value has type T. */
export interface Expression<T = unknown> extends Typed<T> {
  readonly type: 'ref' | 'val' | 'func' | 'agg'
}

/** Aggregate is an aggregate (count, sum, avg, min, max) whose value has type T. */
export interface Aggregate<T = unknown> extends Expression<T> {
  readonly type: 'agg'
}

type IsAny<T> = 0 extends 1 & T ? true : false

/** IsRecord: T is a plain object type (not an array, a function or a Date). */
type IsRecord<T> = [T] extends [never] ? false
  : [T] extends [readonly unknown[] | Date | ((...args: any[]) => unknown)] ? false
  : [T] extends [object] ? true
  : false

/** Absent<T> is undefined when T may be null or undefined (reading through it may miss). */
type Absent<T> = [Extract<T, null | undefined>] extends [never] ? never : undefined

type RefFields<T> = IsRecord<NonNullable<T>> extends true
  ? { readonly [K in keyof NonNullable<T>]-?: Ref<NonNullable<T>[K] | Absent<T>> }
  : {}

/**
 * Ref<T> is the ref proxy of a value of type T: usable as an operand, and
 * for an object type its properties are the refs of its fields (a field of
 * a nullable or optional object may be undefined).
 */
export type Ref<T> = IsAny<T> extends true
  ? Typed<any> & { readonly [field: string]: Ref<any> }
  : Typed<T> & RefFields<T>

/** Operand<T> is what a function accepts for a T: a constant, a ref or an expression. */
export type Operand<T> = T | null | undefined | Typed<T | null | undefined>

/** ValueOf<X> is the type an operand evaluates to. */
export type ValueOf<X> = X extends Typed<infer T> ? T : X

/** Condition is what where, having and join callbacks return. */
export type Condition = Typed<boolean | null | undefined>

type BoolOperand = Operand<boolean>

// ---------------------------------------------------------------------------
// Expression functions

/** eq(a, b): a equals b (null/undefined on either side matches nothing). */
export declare function eq<T>(left: Operand<T>, right: Operand<T>): Expression<boolean>
/** gt(a, b): a > b. */
export declare function gt<T>(left: Operand<T>, right: Operand<T>): Expression<boolean>
/** gte(a, b): a >= b. */
export declare function gte<T>(left: Operand<T>, right: Operand<T>): Expression<boolean>
/** lt(a, b): a < b. */
export declare function lt<T>(left: Operand<T>, right: Operand<T>): Expression<boolean>
/** lte(a, b): a <= b. */
export declare function lte<T>(left: Operand<T>, right: Operand<T>): Expression<boolean>
/** and(a, b, ...): three-valued conjunction. */
export declare function and(left: BoolOperand, right: BoolOperand, ...rest: BoolOperand[]): Expression<boolean>
/** or(a, b, ...): three-valued disjunction. */
export declare function or(left: BoolOperand, right: BoolOperand, ...rest: BoolOperand[]): Expression<boolean>
/** not(a): three-valued negation. */
export declare function not(value: BoolOperand): Expression<boolean>
/** isUndefined(a): a is undefined (a missing field, or the unmatched side of an outer join). */
export declare function isUndefined(value: unknown): Expression<boolean>
/** isNull(a): a is null (undefined is not null). */
export declare function isNull(value: unknown): Expression<boolean>
/** inArray(a, list): a is an element of list. */
export declare function inArray<T>(
  value: Operand<T>,
  list: ReadonlyArray<T | null | undefined> | Typed<ReadonlyArray<T | null | undefined> | null | undefined>,
): Expression<boolean>
/** like(a, pattern): SQL LIKE, case-sensitive (% any run, _ one character). */
export declare function like(value: Operand<string>, pattern: Operand<string>): Expression<boolean>
/** ilike(a, pattern): SQL LIKE ignoring case. */
export declare function ilike(value: Operand<string>, pattern: Operand<string>): Expression<boolean>

/** upper(a): a in upper case (null and undefined stay). */
export declare function upper<T extends string | null | undefined>(value: T | Typed<T>): Expression<T>
/** lower(a): a in lower case (null and undefined stay). */
export declare function lower<T extends string | null | undefined>(value: T | Typed<T>): Expression<T>
/** length(a): the length of a string or array; 0 for anything else. */
export declare function length(value: Operand<string | ReadonlyArray<unknown>>): Expression<number>
/** concat(a, ...): the string concatenation of the arguments (null/undefined as ''). */
export declare function concat(arg: IncludeField<readonly unknown[]>): IncludeField<string>
export declare function concat(...args: unknown[]): Expression<string>

type MayBeNullish<X> = [Extract<ValueOf<X>, null | undefined>] extends [never] ? false : true
type CoalesceResult<A extends readonly unknown[]> =
  | NonNullable<ValueOf<A[number]>>
  | (false extends { [I in keyof A]: MayBeNullish<A[I]> }[number] ? never : null)

/** coalesce(a, ...): the first argument that is not null or undefined (else null). */
export declare function coalesce<A extends [unknown, ...unknown[]]>(...args: A): Expression<CoalesceResult<A>>

type CaseResult<A extends readonly unknown[]> = A extends readonly [unknown, infer V, ...infer Rest]
  ? ValueOf<V> | CaseResult<Rest>
  : A extends readonly [infer D]
    ? ValueOf<D>
    : null

/** caseWhen(c1, v1, c2, v2, ..., default?): the value of the first true condition, else the default (or null). */
export declare function caseWhen<A extends [unknown, unknown, ...unknown[]]>(...args: A): Expression<CaseResult<A>>

/** add(a, b): a + b (null/undefined count as 0). */
export declare function add(left: Operand<number>, right: Operand<number>): Expression<number>
/** subtract(a, b): a - b. */
export declare function subtract(left: Operand<number>, right: Operand<number>): Expression<number>
/** multiply(a, b): a * b. */
export declare function multiply(left: Operand<number>, right: Operand<number>): Expression<number>
/** divide(a, b): a / b; null when b is 0. */
export declare function divide(left: Operand<number>, right: Operand<number>): Expression<number | null>

/** count(a): the number of rows of the group whose a is not null or undefined. */
export declare function count(value?: unknown): Aggregate<number>
/** sum(a): the sum of a over the group. */
export declare function sum(value: Operand<number>): Aggregate<number>
/** avg(a): the average of a over the group. */
export declare function avg(value: Operand<number>): Aggregate<number>
/** min(a): the smallest a of the group. */
export declare function min<T extends number | string | null | undefined>(value: T | Typed<T>): Aggregate<T>
/** max(a): the largest a of the group. */
export declare function max<T extends number | string | null | undefined>(value: T | Typed<T>): Aggregate<T>

declare const includeType: unique symbol

/**
 * IncludeField is a select field holding a subquery's rows (includes),
 * read as V: what toArray, materialize and concat(toArray(...)) return.
 */
export declare class IncludeField<V> {
  /** Phantom: the field's value type, never present at run time. */
  [includeType](): V
}

/**
 * toArray(q) as a select field: the rows (or the scalar values of a scalar
 * select) of q correlated with the row by eq(child.f, parent.g) in q's
 * where, as a plain array in q's order (orderBy/limit apply per row).
 */
export declare function toArray<C extends QueryContext>(query: Query<C>): IncludeField<Array<ResultOf<C>>>
/** materialize(q) as a select field: toArray's array, or the first row (or undefined) when q ends in findOne(). */
export declare function materialize<C extends QueryContext>(query: Query<C>): IncludeField<C['single'] extends true ? ResultOf<C> | undefined : Array<ResultOf<C>>>

/**
 * IncludedCollection is what a query builder as a select field gives
 * (TanStack DB's default includes materialization): the child rows of one
 * row as a read-only collection, kept up to date (the row keeps the same
 * object across its updates; subscribeChanges sees the child changes).
 */
export interface IncludedCollection<T> extends Iterable<[string, T]> {
  readonly size: number
  readonly toArray: T[]
  readonly state: Map<string, T>
  readonly status: 'ready'
  isReady(): boolean
  get(key: string): T | undefined
  has(key: string): boolean
  keys(): IterableIterator<string>
  values(): IterableIterator<T>
  entries(): IterableIterator<[string, T]>
  forEach(fn: (value: T, key: string, collection: IncludedCollection<T>) => void): void
  currentStateAsChanges(): Array<{ type: 'insert'; key: string; value: T }>
  subscribeChanges(
    fn: (changes: Array<{ type: 'insert' | 'update' | 'delete'; key: string; value: T; previousValue?: T }>) => void,
    options?: { includeInitialState?: boolean },
  ): { unsubscribe(): void }
}

/** operators lists the function names the query IR knows. */
export declare const operators: readonly string[]

// ---------------------------------------------------------------------------
// Query contexts

/** QueryContext is what a Query knows about its rows at the type level. */
export interface QueryContext {
  /** The row type of every alias (with undefined where an outer join may leave it unmatched). */
  schema: object
  /** The alias given to from(). */
  from: string
  /** Whether a join was added (then rows are namespaced by alias). */
  joined: boolean
  /** Whether select() was called. */
  selected: boolean
  /** The select() result row. */
  result: unknown
  /** Whether orderBy() was called (limit and offset need it). */
  ordered: boolean
  /** Whether findOne() was called. */
  single: boolean
}

type Prettify<T> = { [K in keyof T]: T[K] } & {}

/** Update replaces some members of a context. */
type Update<C extends QueryContext, P extends Partial<QueryContext>> = {
  [K in keyof QueryContext]: K extends keyof P ? P[K] : C[K]
}

type Lookup<S, K> = K extends keyof S ? S[K] : never

/** ResultOf<C> is the row type of a query: the select result, the namespaced row (joins) or the source row. */
type ResultOf<C extends QueryContext> = C['selected'] extends true
  ? C['result']
  : C['joined'] extends true
    ? Prettify<C['schema']>
    : Lookup<C['schema'], C['from']>

/** SourceLike is what from() and join() accept as a source. */
export type SourceLike = QuerySource<any> | Query<any>

type RowOf<S> = S extends Query<infer C> ? ResultOf<C> : S extends QuerySource<infer T> ? T : never

type IsUnion<T, U = T> = T extends unknown ? ([U] extends [T] ? false : true) : false

/** OneSource accepts {alias: source} with exactly one alias. */
type OneSource<TS> = IsUnion<keyof TS> extends true ? never : TS

type SchemaOf<TS> = { [A in keyof TS]: RowOf<TS[A]> }

type FromContext<TS> = {
  schema: SchemaOf<TS>
  from: keyof TS & string
  joined: false
  selected: false
  result: never
  ordered: false
  single: false
}

/** The join types; join() defaults to 'left'. */
export type JoinType = 'inner' | 'left' | 'right' | 'full'

type JoinedSchema<S, TS, J extends JoinType> = Prettify<
  { [A in keyof S]: J extends 'right' | 'full' ? S[A] | undefined : S[A] } &
  { [A in keyof TS]: J extends 'left' | 'full' ? RowOf<TS[A]> | undefined : RowOf<TS[A]> }
>

type Joined<C extends QueryContext, TS, J extends JoinType> = Update<C, { schema: JoinedSchema<C['schema'], TS, J>; joined: true }>

/**
 * VirtualFields are TanStack DB's virtual row fields, readable in every
 * clause as fields of a collection's alias (u.$synced): $synced is false
 * (and $hasPendingWrites true) while an optimistic write overlays the row;
 * $origin is 'local' for an optimistic row and for a synced row the stream
 * wrote while it was optimistic (an action's confirmation), until the next
 * synced write; $key is the row's key; $collectionId its collection's id
 * (getStreamDBCollectionId(url, name)). Rows returned by get, toArray and
 * live queries do not carry them (README, "Virtual row fields").
 */
export interface VirtualFields {
  $synced: boolean
  $origin: 'local' | 'remote'
  $key: string
  $collectionId: string
  $hasPendingWrites: boolean
}

type VirtualRefs<T> = { readonly [K in keyof VirtualFields]-?: Ref<VirtualFields[K] | Absent<T>> }

/** Refs<S> is what callbacks receive: one ref per alias, with its virtual fields. */
export type Refs<S> = { readonly [A in keyof S]: Ref<S[A]> & VirtualRefs<S[A]> }

/** RefsWithSelected adds $selected (the select result) for orderBy and having, once select() was called. */
type RefsWithSelected<C extends QueryContext> = Refs<C['schema']> &
  (C['selected'] extends true ? { readonly $selected: Ref<C['result']> } : {})

type JoinCallbackRefs<C extends QueryContext, TS> = Refs<Prettify<C['schema'] & SchemaOf<TS>>>

// ---------------------------------------------------------------------------
// select() result types

/** Spread<T>: the row {...ref} gives; every field may be undefined when the ref may be. */
type Spread<T> = IsAny<T> extends true ? any
  : [T] extends [NonNullable<T>] ? T
  : Prettify<{ [K in keyof NonNullable<T>]: NonNullable<T>[K] | undefined }>

type SelectObject<R> = Prettify<{ -readonly [K in keyof R as K extends string | number ? K : never]: SelectValue<R[K]> }>

/** SelectValue is the value of one select field: a ref/expression's type, a constant, or a nested object. */
type SelectValue<V> = V extends Typed<infer T>
  ? T
  : V extends IncludeField<infer T>
  ? T
  : V extends Query<infer C>
  ? IncludedCollection<ResultOf<C>>
  : V extends undefined
    ? null
    : V extends string | number | boolean | null
      ? V
      : V extends readonly unknown[]
        ? { -readonly [I in keyof V]: SelectValue<V[I]> }
        : V extends object
          ? SelectObject<V>
          : never

/**
 * SelectCheck: a select callback returns an object of fields, an alias, or
 * a scalar (a ref or an expression), which only an includes subquery may
 * (toArray, concat(toArray(...))): at the top a live query throws.
 */
type SelectCheck<R> = unknown

/** SelectedRow is the row a select callback's return value describes (an alias itself = its spread; a constant itself). */
type SelectedRow<R> = R extends Typed<infer T> ? Spread<T> : R extends string | number | boolean | null ? R : SelectObject<R>

// ---------------------------------------------------------------------------
// Query

/** OrderByDirection is orderBy's direction. */
export type OrderByDirection = 'asc' | 'desc'

/** OrderByOptions is orderBy's options object. */
export interface OrderByOptions {
  direction?: OrderByDirection
  /** Where null and undefined go, in both directions (default 'first'). */
  nulls?: 'first' | 'last'
  /** 'locale' (the default) compares strings with Intl.Collator; 'lexical' by UTF-16 code units. */
  stringSort?: 'locale' | 'lexical'
  /** The collation locale (with stringSort 'locale'). */
  locale?: string
  /** Intl.Collator options (with stringSort 'locale'). */
  localeOptions?: Intl.CollatorOptions
}

/** The message a misplaced limit/offset shows at the type level. */
type NeedsOrderBy = 'limit() and offset() need orderBy() first'

/** InitialQuery is the `q` a query function receives: call from() or unionAll() on it. */
export interface InitialQuery {
  /** from sets the source: from({ alias: collection | subquery }). */
  from<TS extends Record<string, SourceLike>>(source: OneSource<TS>): Query<FromContext<TS>>
  /**
   * unionAll({ a: c1, b: c2 }) sets the source to the rows of every source,
   * each row { a: row } or { b: row } (read them with coalesce(a.t, b.t));
   * with one source it is from().
   */
  unionAll<TS extends Record<string, SourceLike>>(sources: TS): Query<UnionSourcesContext<TS>>
  /** unionAll(q1, q2, ...) sets the source to the result rows of the queries; callbacks read their fields (r.t). */
  unionAll<QS extends readonly [Query<any>, ...Query<any>[]]>(...queries: QS): Query<UnionBranchesContext<QS>>
}

type UnionSourcesContext<TS> = IsUnion<keyof TS> extends true
  ? {
      schema: { [A in keyof TS]: RowOf<TS[A]> | undefined }
      from: keyof TS & string
      joined: true
      selected: false
      result: never
      ordered: false
      single: false
    }
  : FromContext<TS>

type KeysOfUnion<T> = T extends unknown ? keyof T : never
type ValueOfUnion<T, K extends PropertyKey> = T extends unknown ? (K extends keyof T ? T[K] : undefined) : never

/** The row of unionAll(q1, q2, ...): every field of a query's row, of the type it has in any of them. */
type UnionBranchesRow<QS extends readonly Query<any>[]> = RowOf<QS[number]> extends infer R
  ? { [K in KeysOfUnion<R>]: ValueOfUnion<R, K> }
  : never

type UnionBranchesContext<QS extends readonly Query<any>[]> = {
  schema: UnionBranchesRow<QS>
  from: never
  joined: true
  selected: false
  result: never
  ordered: false
  single: false
}

/** Query is an immutable query under construction; every method returns a new Query. */
export interface Query<C extends QueryContext = any> {
  /** Phantom: the context, never present at run time. */
  readonly [contextType]?: C

  /** join adds a source matched by eq(...) or and(eq(...), ...); the type defaults to 'left'. */
  join<TS extends Record<string, SourceLike>, J extends JoinType = 'left'>(
    source: OneSource<TS>,
    on: (refs: JoinCallbackRefs<C, TS>) => Expression<boolean>,
    type?: J,
  ): Query<Joined<C, TS, J>>
  /** innerJoin is join(source, on, 'inner'). */
  innerJoin<TS extends Record<string, SourceLike>>(source: OneSource<TS>, on: (refs: JoinCallbackRefs<C, TS>) => Expression<boolean>): Query<Joined<C, TS, 'inner'>>
  /** leftJoin is join(source, on, 'left'): the joined alias may be undefined. */
  leftJoin<TS extends Record<string, SourceLike>>(source: OneSource<TS>, on: (refs: JoinCallbackRefs<C, TS>) => Expression<boolean>): Query<Joined<C, TS, 'left'>>
  /** rightJoin is join(source, on, 'right'): the earlier aliases may be undefined. */
  rightJoin<TS extends Record<string, SourceLike>>(source: OneSource<TS>, on: (refs: JoinCallbackRefs<C, TS>) => Expression<boolean>): Query<Joined<C, TS, 'right'>>
  /** fullJoin is join(source, on, 'full'): every alias may be undefined. */
  fullJoin<TS extends Record<string, SourceLike>>(source: OneSource<TS>, on: (refs: JoinCallbackRefs<C, TS>) => Expression<boolean>): Query<Joined<C, TS, 'full'>>

  /** where adds a filter: an expression or a boolean ref (several calls are ANDed). */
  where(callback: (refs: Refs<C['schema']>) => Condition): Query<C>
  /** having adds a filter on groups; after select() the callback also gets $selected. */
  having(callback: (refs: RefsWithSelected<C>) => Condition): Query<C>
  /** select sets the result row: an object of fields (nested objects and spreads allowed), or an alias. */
  select<R extends object | string | number | boolean | null>(callback: (refs: Refs<C['schema']>) => R & SelectCheck<R>): Query<Update<C, { selected: true; result: SelectedRow<R> }>>
  /** groupBy adds grouping expressions, one or an array (several calls accumulate). */
  groupBy(callback: (refs: Refs<C['schema']>) => unknown): Query<C>
  /** orderBy adds sort columns, one or an array (several calls accumulate); after select() the callback also gets $selected. */
  orderBy(callback: (refs: RefsWithSelected<C>) => unknown, options?: OrderByDirection | OrderByOptions): Query<Update<C, { ordered: true }>>
  /** limit keeps at most n rows (after orderBy()). */
  limit(count: C['ordered'] extends true ? number : NeedsOrderBy): Query<C>
  /** offset skips n rows (after orderBy()). */
  offset(count: C['ordered'] extends true ? number : NeedsOrderBy): Query<C>
  /** distinct keeps one row per distinct selected value. */
  distinct(): Query<C>
  /** findOne asks for one row (or undefined) instead of an array. */
  findOne(): Query<Update<C, { single: true }>>
  /**
   * fn holds TanStack DB's functional clauses: JS callbacks the engine
   * calls once per row (and again on its removal: they must be functions
   * of their row), in batches; see the README for what they cost.
   */
  readonly fn: FnClauses<C>
}

/** FnRow<C> is the row fn.where and fn.select callbacks get: {alias: row, ...}. */
export type FnRow<C extends QueryContext> = C['schema']

/**
 * FnHavingRow<C> is the row fn.having callbacks get: with a groupBy (or
 * aggregates in the select) only $selected is set; without, the aliases'
 * rows too. $selected is the select's result (the row itself without a
 * select).
 */
export type FnHavingRow<C extends QueryContext> = C['schema'] & (C['selected'] extends true ? { $selected: C['result'] } : {})

/** FnClauses<C> are query.fn's methods. */
export interface FnClauses<C extends QueryContext> {
  /**
   * select makes each result row what the callback returns for it
   * (replacing select()); orderBy() can read it as $selected. It cannot be
   * used with groupBy() (FnSelectWithGroupByError). The results cross as
   * JSON: what JSON.stringify makes of them (a Date becomes its ISO string,
   * undefined members are dropped, NaN becomes null).
   */
  select<R>(callback: (row: FnRow<C>) => R): Query<Update<C, { selected: true; result: R }>>
  /** where keeps the rows for which the callback returns true (exactly), after the where() clauses. */
  where(callback: (row: FnRow<C>) => unknown): Query<C>
  /** having keeps the groups for which the callback returns true (without groupBy: a truthy value), after the having() clauses. */
  having(callback: (row: FnHavingRow<C>) => unknown): Query<C>
}

/** Query's constructor: `new Query()` gives an InitialQuery. */
export declare const Query: {
  new (): InitialQuery
  readonly prototype: Query<any>
}

/** QueryResult<Q> is the row type of a query (or of a query function's query). */
export type QueryResult<Q> = Q extends Query<infer C>
  ? ResultOf<C>
  : Q extends (q: InitialQuery) => infer R
    ? QueryResult<NonNullable<R>>
    : never

/** QueryData<Q> is what a live query's data is: the rows, or one row or undefined after findOne(). */
export type QueryData<Q> = Q extends Query<infer C>
  ? C['single'] extends true ? ResultOf<C> | undefined : Array<ResultOf<C>>
  : Q extends (q: InitialQuery) => infer R
    ? QueryData<NonNullable<R>>
    : never

/** QueryFn is the query function form useLiveQuery accepts (null/undefined = disabled). */
export type QueryFn = (q: InitialQuery) => Query<any> | null | undefined

export { QueryBuilderError } from './errors.js'

/** buildQuery runs a query function (null when it returns null/undefined) or passes a Query through. */
export declare function buildQuery<Q extends Query<any>>(fn: (q: InitialQuery) => Q | null | undefined): Q | null
export declare function buildQuery<Q extends Query<any>>(query: Q): Q

// ---------------------------------------------------------------------------
// The IR (core/ir/ir.go)

/** IRExpr is one IR expression node. */
export type IRExpr =
  | { type: 'ref'; path: string[] }
  | { type: 'val'; value?: unknown }
  | { type: 'func'; name: string; args: IRExpr[] }
  | { type: 'agg'; name: 'count' | 'sum' | 'avg' | 'min' | 'max'; args: IRExpr[] }

/** IRSource is a collection or a subquery under an alias. */
export type IRSource = { alias: string; collection: string } | { alias: string; query: QueryIR }

/** IRFrom is a from: a source, a union of sources (unionAll({a, b})) or of queries (unionAll(q1, q2)). */
export type IRFrom = IRSource | { union: IRSource[] } | { unionAll: QueryIR[] }

/** IRSelectEntry is one entry of a select. */
export type IRSelectEntry = { field: string; expr: IRExpr } | { field: string; select: IRSelectEntry[] } | { spread: string[] }

/** IROrder is one orderBy column. */
export interface IROrder {
  expr: IRExpr
  direction: OrderByDirection
  nulls: 'first' | 'last'
  stringSort?: 'locale' | 'lexical'
  locale?: string
  localeOptions?: Intl.CollatorOptions
}

/** QueryIR is a query as IR JSON. */
export interface QueryIR {
  from: IRFrom
  join?: Array<{ type: JoinType; source: IRSource; on: IRExpr }>
  where?: IRExpr[]
  select?: IRSelectEntry[]
  groupBy?: IRExpr[]
  having?: IRExpr[]
  orderBy?: IROrder[]
  limit?: number
  offset?: number
  distinct?: true
  findOne?: true
}

/** toIR returns the query's IR, the database its collections belong to, and whether it ends in findOne(). */
export declare function toIR(query: Query<any>): { ir: QueryIR; db: object; single: boolean }

export {}
