// Type declarations of @streamdb/streamdb (js/index.js): createStateSchema,
// createStreamDB, liveQuery, the query builder (js/query.d.ts) and the
// error classes (js/errors.d.ts).
//
// How the types flow:
// - createStateSchema keeps the exact definitions it is given (schema,
//   event type, primary key); a row is the schema's OUTPUT type and what
//   insert() and the event helpers accept is its INPUT type.
// - createStreamDB is generic over that state object and over what the
//   actions factory returns; an action's parameter is its onMutate's.
// - Collection<Row> extends QuerySource<Row>, so the query builder infers
//   result rows from db.collections.<name>; liveQuery and the framework
//   hooks turn a query into QueryData<Q> (rows, or one row or undefined
//   after findOne()).

import type { StandardSchemaV1 } from '@standard-schema/spec'
import type { SourceInfo, QuerySource, Query, InitialQuery, QueryResult, QueryData } from './query.js'
import type { StreamDBError as StreamDBErrorType } from './errors.js'

export {
  Query,
  QueryBuilderError,
  buildQuery,
  eq, gt, gte, lt, lte, and, or, not, inArray, like, ilike, isNull, isUndefined,
  upper, lower, length, concat, coalesce, add, subtract, multiply, divide, caseWhen,
  count, sum, avg, min, max, toArray, materialize,
} from './query.js'
export type {
  QuerySource, SourceInfo, QueryContext, QueryResult, QueryData, QueryFn, InitialQuery, Expression, Aggregate,
  Ref, Refs, Operand, ValueOf, Condition, JoinType, OrderByDirection, OrderByOptions, SourceLike, IncludeField, IncludedCollection,
} from './query.js'
export {
  StreamDBError,
  QueryCompileError,
  InvalidEventError,
  SnapshotError,
  SchemaValidationError,
  StreamError,
  MissingMutationContextError,
  ClosedError,
  ModuleExitedError,
  ModuleVersionError,
  LimitOffsetRequireOrderByError,
  HavingRequiresGroupByError,
  JoinConditionMustBeEqualityError,
  InvalidJoinConditionSameSourceError,
  InvalidJoinConditionSourceMismatchError,
  NonAggregateExpressionNotInGroupByError,
  AggregateFunctionNotInSelectError,
  UnknownExpressionTypeError,
  DuplicateKeyError,
  DuplicateKeySyncError,
  UndefinedKeyError,
  InvalidKeyError,
  KeyUpdateNotAllowedError,
  MissingInsertHandlerError,
  MissingUpdateHandlerError,
  MissingDeleteHandlerError,
  CollectionRequiresSyncConfigError,
  NoPendingSyncTransactionWriteError,
  NoPendingSyncTransactionCommitError,
  SyncTransactionAlreadyCommittedError,
  SyncTransactionAlreadyCommittedWriteError,
  FnSelectWithGroupByError,
  QueryCallbackError,
  InvalidSourceTypeError,
  InvalidSourceError,
  QueryMustHaveFromClauseError,
} from './errors.js'
export type { StreamDBErrorCode, StreamErrorCode, StreamDBErrorOptions } from './errors.js'
export type { StandardSchemaV1 }

// ---------------------------------------------------------------------------
// Schemas

/** AnySchema is any Standard Schema v1 validator (zod, valibot, arktype, or hand-written). */
export type AnySchema = StandardSchemaV1<any, any>

type SuccessValue<R> = R extends { readonly issues?: undefined; readonly value: infer V } ? V : never

/** OutputOf<S> is the type a schema produces: its declared output type, else what validate returns. */
export type OutputOf<S> = S extends { readonly '~standard': infer P }
  ? P extends { readonly types?: infer Ty }
    ? NonNullable<Ty> extends { readonly output: infer O }
      ? O
      : P extends { readonly validate: (...args: any[]) => infer R } ? SuccessValue<Awaited<R>> : unknown
    : unknown
  : never

/** InputOf<S> is the type a schema accepts: its declared input type, else its output type. */
export type InputOf<S> = S extends { readonly '~standard': infer P }
  ? P extends { readonly types?: infer Ty }
    ? NonNullable<Ty> extends { readonly input: infer I } ? I : OutputOf<S>
    : OutputOf<S>
  : never

/** ObjectRow<T> makes a row type an object type (rows are always objects). */
type ObjectRow<T> = T extends object ? T : T & object

/** CollectionDefinition is one entry of createStateSchema's argument. */
export interface CollectionDefinition<S extends AnySchema = AnySchema, K extends string = string, Type extends string = string> {
  /** A synchronous Standard Schema validator of the rows. */
  readonly schema: S
  /** The `type` of the change events routed to this collection. */
  readonly type: Type
  /** The row field holding the key. */
  readonly primaryKey: K
}

/** StateDefinitions is an object of collection definitions, by collection name. */
export type StateDefinitions = { readonly [name: string]: CollectionDefinition }

/** The collection names StreamDB keeps for itself. */
export type ReservedCollectionName = 'collections' | 'preload' | 'close' | 'utils' | 'actions'

/** DefinitionCheck<D> is the definition D must be: its primaryKey a field of its rows. */
type DefinitionCheck<D> = D extends { readonly schema: infer S extends AnySchema }
  ? CollectionDefinition<S, PrimaryKeyOf<OutputOf<S>>>
  : CollectionDefinition

/** PrimaryKeyOf<T> is the fields a primary key may name (any string when the row type is unknown). */
type PrimaryKeyOf<T> = unknown extends T ? string : keyof T & string

/** ValidDefinitions<T> checks every definition of T (and rejects reserved names). */
export type ValidDefinitions<T> = {
  readonly [K in keyof T]: K extends ReservedCollectionName ? never : DefinitionCheck<T[K]>
}

/** RowOf<D> is the row type of a collection definition (its schema's output). */
export type RowOf<D> = D extends { readonly schema: infer S } ? ObjectRow<OutputOf<S>> : never

/** RowInputOf<D> is what a collection definition's insert accepts (its schema's input). */
export type RowInputOf<D> = D extends { readonly schema: infer S } ? InputOf<S> : never

/** Operation is a change event's headers.operation. */
export type Operation = 'insert' | 'update' | 'delete' | 'upsert'

/** ChangeHeaders are a change event's headers: the operation, and any string headers (txid, timestamp, ...). */
export interface ChangeHeaders<Op extends Operation = Operation> {
  readonly operation: Op
  readonly txid?: string
  readonly timestamp?: string
  readonly [header: string]: string | undefined
}

/** EventHeaders are the headers a helper is given ('operation' is always set by the helper). */
export type EventHeaders = { readonly [header: string]: string }

/** ChangeEvent is a State Protocol change event. */
export interface ChangeEvent<T = unknown, Type extends string = string, Op extends Operation = Operation> {
  type: Type
  key: string
  value?: T
  old_value?: T
  headers: ChangeHeaders<Op>
}

/** ControlEvent is a State Protocol control event. */
export interface ControlEvent {
  headers: { control: 'snapshot-start' | 'snapshot-end' | 'reset'; offset?: string }
}

/** StateEvent is anything a state stream carries. */
export type StateEvent<T = unknown> = ChangeEvent<T> | ControlEvent

/** isChangeEvent reports whether an event is a change (its headers carry an operation); an event without headers throws a TypeError, as in @durable-streams/state. */
export declare function isChangeEvent<T>(event: StateEvent<T>): event is ChangeEvent<T>
/** isControlEvent reports whether an event is a control event (its headers carry a control); an event without headers throws a TypeError. */
export declare function isControlEvent<T>(event: StateEvent<T>): event is ControlEvent
/** getStreamDBCollectionId is the id of a StreamDB's collection: `stream-db:<url>:<name>`. */
export declare function getStreamDBCollectionId(url: string, name: string): string

/**
 * CollectionEventHelpers build (and validate, throwing SchemaValidationError)
 * change events for one collection. The key is `key`, else the value's
 * primary key field.
 */
export interface CollectionEventHelpers<T, Type extends string = string> {
  /** insert builds an insert event. */
  insert(params: { key?: string; value: T; headers?: EventHeaders }): ChangeEvent<T, Type, 'insert'> & { value: T }
  /** update builds an update event (oldValue, when given, is validated too). */
  update(params: { key?: string; value: T; oldValue?: T; headers?: EventHeaders }): ChangeEvent<T, Type, 'update'> & { value: T }
  /** delete builds a delete event; it needs `key` or `oldValue`. */
  delete(params: { key?: string; oldValue?: T; headers?: EventHeaders }): ChangeEvent<T, Type, 'delete'>
  /** upsert builds an upsert event (an insert or an update, whichever applies). */
  upsert(params: { key?: string; value: T; headers?: EventHeaders }): ChangeEvent<T, Type, 'upsert'> & { value: T }
}

type TypeOf<D> = D extends { readonly type: infer Type extends string } ? Type : string

/** StateSchema is createStateSchema's result: each definition with its event helpers. */
export type StateSchema<T = StateDefinitions> = {
  readonly [K in keyof T]: T[K] & CollectionEventHelpers<RowInputOf<T[K]>, TypeOf<T[K]>>
}

/**
 * createStateSchema checks collection definitions (a Standard Schema, the
 * event type, the primary key field) and adds insert/update/delete/upsert
 * event helpers to each.
 */
export declare function createStateSchema<const T extends ValidDefinitions<T>>(collections: T): StateSchema<T>

// ---------------------------------------------------------------------------
// Collections and transactions

/** CollectionStatus is a collection's (or live query's) lifecycle state. */
export type CollectionStatus = 'idle' | 'loading' | 'ready' | 'error' | 'cleaned-up'

/** Key is a row key (collections key rows by the String() of their primary key). */
export type Key = string | number

/** ChangeMessage is one change delivered to subscribeChanges (and LiveQuery.subscribe). */
export type ChangeMessage<T, K = string> =
  | { readonly type: 'insert'; readonly key: K; readonly value: T }
  | { readonly type: 'update'; readonly key: K; readonly value: T; readonly previousValue: T }
  | { readonly type: 'delete'; readonly key: K; readonly value: T }

/** SubscribeChangesOptions: with includeInitialState the first call carries the current rows as inserts. */
export interface SubscribeChangesOptions {
  includeInitialState?: boolean
}

/** Subscription is what subscribeChanges returns. */
export interface Subscription {
  unsubscribe(): void
}

/** Draft<T> is the writable copy of a row an update callback changes. */
export type Draft<T> = { -readonly [K in keyof T]: T[K] }

/** UpdateConfig is accepted between the keys and the callback of update() for TanStack DB compatibility; it is ignored. */
export type UpdateConfig = { readonly [option: string]: unknown }

/** TransactionState: pending → persisting → completed | failed. */
export type TransactionState = 'pending' | 'persisting' | 'completed' | 'failed'

/** PendingMutation is one optimistic change of a transaction. */
export interface PendingMutation {
  readonly type: 'insert' | 'update' | 'delete'
  /** The collection written (as in TanStack DB, the Collection object). */
  readonly collection: Collection<any, any>
  readonly key: string
  /** The row before the change (undefined for an insert). */
  readonly original: unknown
  /** The row after the change (undefined for a delete). */
  readonly modified: unknown
}

/**
 * Transaction is an action's transaction: its changes are visible at once;
 * isPersisted.promise settles when mutationFn does (and the changes are
 * rolled back when it fails).
 */
export interface Transaction {
  /** The transaction's number within its StreamDB. */
  readonly id: number
  readonly state: TransactionState
  readonly mutations: ReadonlyArray<PendingMutation>
  /** Resolves with the transaction when mutationFn resolves; rejects with its error. */
  readonly isPersisted: {
    readonly promise: Promise<Transaction>
    resolve(tx: Transaction): void
    reject(error: unknown): void
  }
  /** The error the transaction failed with. */
  readonly error: unknown
  /** rollback undoes a pending transaction. */
  rollback(): void
}

/** StandaloneTransaction is createTransaction's transaction. */
export interface StandaloneTransaction extends Transaction {
  /** mutate runs fn; the collection writes it makes join this transaction (and it commits, with autoCommit). */
  mutate(fn: () => void): this
  /** commit persists the writes through mutationFn; it resolves when persisted. */
  commit(): Promise<Transaction>
}

/**
 * createTransaction returns a transaction, as TanStack DB's: tx.mutate(() => writes)
 * applies collection writes optimistically (and commits them, with autoCommit, the
 * default); commit() calls mutationFn({ transaction }) to persist them. The writes
 * must be to collections of one StreamDB.
 */
export declare function createTransaction(config?: {
  mutationFn?: (params: { transaction: StandaloneTransaction }) => unknown
  autoCommit?: boolean
}): StandaloneTransaction

/**
 * createOptimisticAction returns vars => Transaction, as TanStack DB's: onMutate
 * writes collections at once (it must be synchronous), mutationFn persists.
 */
export declare function createOptimisticAction<V = void>(config: {
  onMutate: (vars: V) => void
  mutationFn: (vars: V, params: { transaction: Transaction }) => unknown
}): (vars: V) => Transaction

/** Transaction is exported for instanceof checks; transactions are made by actions. */
export declare const Transaction: (abstract new (internal: never) => Transaction) & { readonly prototype: Transaction }

/**
 * Collection is one collection of a StreamDB, with TanStack DB's read API.
 * T is the row type (the schema's output), TInput what insert accepts (its
 * input). Writes are allowed only inside an action's onMutate.
 */
export interface Collection<T extends object = Record<string, unknown>, TInput = T> extends QuerySource<T> {
  /** `stream-db:<url>:<name>`. */
  readonly id: string
  /** The row with this key, or undefined. */
  get(key: Key): T | undefined
  has(key: Key): boolean
  readonly size: number
  /** The rows, in key order (a new array). */
  readonly toArray: T[]
  /** A new Map from key to row. */
  readonly state: Map<string, T>
  keys(): IterableIterator<string>
  values(): IterableIterator<T>
  entries(): IterableIterator<[string, T]>
  [Symbol.iterator](): IterableIterator<[string, T]>
  forEach(callback: (value: T, key: string, collection: this) => void): void
  readonly status: CollectionStatus
  isReady(): boolean
  /** preload is the StreamDB's preload(). */
  preload(): Promise<void>
  toArrayWhenReady(): Promise<T[]>
  stateWhenReady(): Promise<Map<string, T>>
  /** subscribeChanges calls callback with every batch of changes. */
  subscribeChanges(callback: (changes: Array<ChangeMessage<T>>) => void, options?: SubscribeChangesOptions): Subscription
  /** insert adds rows optimistically (inside an action's onMutate). */
  insert(data: TInput | ReadonlyArray<TInput>): Transaction
  /** update changes a row through a draft: update(key, draft => { draft.x = 1 }). */
  update(key: Key, callback: (draft: Draft<T>) => void): Transaction
  update(key: Key, config: UpdateConfig, callback: (draft: Draft<T>) => void): Transaction
  /** update changes several rows: update([k1, k2], drafts => ...). */
  update(keys: ReadonlyArray<Key>, callback: (drafts: Array<Draft<T>>) => void): Transaction
  update(keys: ReadonlyArray<Key>, config: UpdateConfig, callback: (drafts: Array<Draft<T>>) => void): Transaction
  /** delete removes rows optimistically. */
  delete(keys: Key | ReadonlyArray<Key>): Transaction
}

/** Collection is exported for instanceof checks; collections are made by createStreamDB. */
export declare const Collection: (abstract new (internal: never) => Collection<any, any>) & { readonly prototype: Collection<any, any> }

// ---------------------------------------------------------------------------
// Collections no stream feeds (createCollection)

/** A write of a sync transaction: the key is getKey(value) unless given. */
export type SyncWrite<T> =
  | { readonly type: 'insert' | 'update'; readonly value: T; readonly key?: Key }
  | { readonly type: 'delete'; readonly key: Key }
  | { readonly type: 'delete'; readonly value: T }

/** What a sync function gets, as in TanStack DB. */
export interface SyncParams<T extends object> {
  readonly collection: LocalCollection<T>
  /** begin starts a sync transaction; write adds to it; commit applies it whole (or throws and applies nothing). */
  begin(): void
  write(message: SyncWrite<T>): void
  commit(): true
  /** truncate drops every synced row before the transaction's own writes. */
  truncate(): void
  markReady(): void
  markError(error: unknown): void
}

/** SyncConfig is createCollection's sync: the function that feeds the collection. */
export interface SyncConfig<T extends object = Record<string, unknown>> {
  sync(params: SyncParams<T>): void | (() => void) | { cleanup?: () => void }
  /** 'partial' (default): an update is merged into the row; 'full': it replaces it. */
  rowUpdateMode?: 'partial' | 'full'
}

/** What a handler (onInsert, onUpdate, onDelete) gets. */
export interface HandlerParams<T extends object> {
  readonly transaction: Transaction
  readonly collection: LocalCollection<T>
}

/** createCollection's config, as TanStack DB's. */
export interface CollectionConfig<T extends object = Record<string, unknown>, S extends AnySchema = never> {
  /** A random UUID when absent. */
  id?: string
  getKey(row: T): Key
  sync: SyncConfig<T>
  schema?: S
  onInsert?: (params: HandlerParams<T>) => unknown
  onUpdate?: (params: HandlerParams<T>) => unknown
  onDelete?: (params: HandlerParams<T>) => unknown
  /** Run the sync function at once (default: at the first read through a query, preload or subscriber). */
  startSync?: boolean
  /** Accepted for compatibility; local collections live until the page goes. */
  gcTime?: number
  utils?: Record<string, (...args: any[]) => any>
}

/**
 * LocalCollection is a collection made by createCollection: the read and
 * write API of a StreamDB collection, with a status of its own. Its rows live
 * in the Go module, keyed by String(getKey(row)); queries join it with a
 * StreamDB's collections. Writes outside a transaction run its handler.
 */
export interface LocalCollection<T extends object = Record<string, unknown>, TInput = T> extends Collection<T, TInput> {
  readonly config: CollectionConfig<T, any>
  readonly utils: Record<string, (...args: any[]) => any>
  /** preload starts the sync and resolves when it marks the collection ready. */
  preload(): Promise<void>
  onFirstReady(callback: () => void): void
  startSyncImmediate(): void
  /** cleanup stops the sync (its cleanup function runs) and drops the rows. */
  cleanup(): Promise<void>
}
export declare const LocalCollection: (abstract new (internal: never) => LocalCollection<any, any>) & { readonly prototype: LocalCollection<any, any> }

/** createCollection makes a collection as TanStack DB's does, held by the Go module. */
export declare function createCollection<T extends object, S extends AnySchema = never>(config: CollectionConfig<T, S>): LocalCollection<T>

/** The config localOnlyCollectionOptions returns. */
export interface LocalOnlyCollectionConfig<T extends object> extends CollectionConfig<T, any> {
  readonly utils: { acceptMutations(transaction: { readonly mutations: ReadonlyArray<PendingMutation> }): void } & Record<string, (...args: any[]) => any>
}

/**
 * localOnlyCollectionOptions: an in-memory collection that starts with
 * initialData and is ready at once; writes outside a transaction run the
 * handler given and then stay; in a transaction of your own, call
 * utils.acceptMutations(transaction) in its mutationFn.
 */
export declare function localOnlyCollectionOptions<T extends object>(config: {
  id?: string
  getKey(row: T): Key
  schema?: AnySchema
  initialData?: ReadonlyArray<T>
  onInsert?: (params: HandlerParams<T>) => unknown
  onUpdate?: (params: HandlerParams<T>) => unknown
  onDelete?: (params: HandlerParams<T>) => unknown
  utils?: Record<string, (...args: any[]) => any>
}): LocalOnlyCollectionConfig<T>

// ---------------------------------------------------------------------------
// StreamDB

/**
 * HeaderValue is a header (or query parameter) value, or a function called
 * anew for every request, which may return a Promise (a token that
 * expires); null or undefined leaves the name out.
 */
export type HeaderValue = string | (() => string | null | undefined | PromiseLike<string | null | undefined>)

/** StreamOptions locate the Durable Stream. */
export interface StreamOptions {
  /** The stream URL (resolved against the page's location). */
  url: string | URL
  /** Request headers, sent with every read and append. */
  headers?: Readonly<Record<string, HeaderValue>>
  /** Query parameters added to every read and append (the protocol's own, offset, live and cursor, win). */
  params?: Readonly<Record<string, HeaderValue>>
  /** Accepted for compatibility; StreamDB reads and appends JSON. */
  contentType?: string
}

/**
 * AppendData is one message for db.stream.append: a string or bytes holding
 * one JSON value, sent as they are (as @durable-streams/client sends them),
 * or an event object, sent as its JSON (the reference client takes only
 * strings and bytes). Not an array: see StreamHandle.appendBatch.
 */
export type AppendData = string | Uint8Array | ArrayBuffer | ArrayBufferView | object

/** NotArray<T> is T unless T is an array (an array is refused by append). */
export type NotArray<T> = T extends readonly unknown[] ? never : T

/** AppendOptions configure one db.stream.append or appendBatch. */
export interface AppendOptions {
  /** Request headers of this append, added to the stream's (a function runs for this request). */
  headers?: Readonly<Record<string, HeaderValue>>
  /** Aborting it rejects the append with its reason (a request already sent may still land). */
  signal?: AbortSignal
}

/** StreamHandle is db.stream: the stream's URL, append and appendBatch. */
export interface StreamHandle {
  /** The absolute stream URL. */
  readonly url: string
  /**
   * append writes one message to the stream, as the reference client's
   * append does: a string or bytes as they are (one JSON value: `'[a,b]'`
   * is one message, an array), a promise of one once it resolves, an
   * event object as its JSON. An array is refused (StreamDBError,
   * BAD_ARGUMENT; the reference client refuses it too): appendBatch
   * appends several events in one request. Appends made while an earlier
   * one is in flight may share its request, in call order.
   */
  append<T extends AppendData>(data: NotArray<T> | PromiseLike<string | Uint8Array>, options?: AppendOptions): Promise<{ offset: string }>
  /**
   * appendBatch writes several events in one request (the body is the JSON
   * array of them, which the server stores as one message each): all of
   * them land, at one offset and in order, or none. Each event is what
   * append takes (not a promise, not an array); an empty array is refused.
   */
  appendBatch(events: ReadonlyArray<AppendData>, options?: AppendOptions): Promise<{ offset: string }>
}

/** Progress is what onProgress receives as the stream is read. */
export interface Progress {
  readonly bytes: number
  readonly events: number
  readonly offset: string
  readonly ready: boolean
  /**
   * Where reading is: 'restore' (once, with persist: a snapshot was
   * restored, its rows readable), 'catch-up' (reading up to the stream's
   * end, from the snapshot's offset or the start), 'live'.
   */
  readonly phase?: 'restore' | 'catch-up' | 'live'
  /** With phase 'restore': the rows the snapshot held. */
  readonly restored?: number
  /** With phase 'restore': the snapshot's size in bytes. */
  readonly snapshotBytes?: number
}

/** SnapshotInfo is what db.utils.saveSnapshot() wrote. */
export interface SnapshotInfo {
  /** The snapshot's size in bytes, and the rows it holds. */
  readonly bytes: number
  readonly rows: number
  /** The stream offset it is exact at. */
  readonly offset: string
  /** True when nothing was written: another tab was writing this snapshot. */
  readonly skipped: boolean
}

/**
 * PersistOptions say where a StreamDB keeps its snapshot (createStreamDB's
 * persist). The snapshot is the synced rows of every collection, the
 * stream offset they are exact at, the stream's URL, the schema, and the
 * recent txids; optimistic rows and pending transactions are not kept.
 */
export interface PersistOptions {
  /** Names the snapshot (default: the stream's URL). */
  key?: string
  /** Where: OPFS where the browser has it, else IndexedDB; 'file' in Node (needs path). */
  storage?: 'opfs' | 'indexeddb' | 'file'
  /** The snapshot file, in Node. */
  path?: string
  /** The least time between two background saves while live (default 3000 ms). */
  everyMs?: number
}

/** StreamDBUtils are db.utils. */
export interface StreamDBUtils {
  /**
   * awaitTxId resolves once an event carrying this txid (headers.txid) has
   * been applied; it rejects after timeout ms (default 5000).
   */
  awaitTxId(txid: string, timeout?: number): Promise<void>
  /**
   * saveSnapshot writes the persisted snapshot now (persist only; the db
   * also saves by itself after preload and while live), for example before
   * the page goes away. It rejects before preload has completed.
   */
  saveSnapshot(): Promise<SnapshotInfo>
}

/** Collections maps a state's collection names to their collections. */
export type Collections<S extends StateDefinitions> = {
  readonly [K in keyof S]: Collection<RowOf<S[K]>, RowInputOf<S[K]>>
}

/** StreamDB is a reactive database over one Durable Stream. */
export interface StreamDB<S extends StateDefinitions = StateDefinitions> {
  readonly collections: Collections<S>
  readonly stream: StreamHandle
  readonly utils: StreamDBUtils
  /** The offset of the last batch read ("-1" before preload). */
  readonly offset: string
  /**
   * 'loading', 'restored' (persist: a snapshot's rows are readable and the
   * stream is read from its offset), 'ready', 'error', or 'cleaned-up'
   * (closed). Collections keep TanStack's statuses ('loading' until the
   * catch-up is done).
   */
  readonly status: 'loading' | 'restored' | 'ready' | 'error' | 'cleaned-up'
  /** preload reads the stream up to its current end; it then follows it live. */
  preload(): Promise<void>
  /**
   * close stops reading; pending preload and awaitTxId calls reject. It cannot be undone. The
   * collections and results stay readable; once nothing references the db, it is garbage
   * collected and the module frees its rows.
   */
  close(): void
  /** The link to the stream now (see Connection). */
  readonly connection: Connection
  /** subscribeConnection calls fn with each new connection state (every retry is one); it returns the unsubscribe function. */
  subscribeConnection(fn: (connection: Connection) => void): () => void
}

/**
 * Connection is the state of a StreamDB's link to its stream:
 * - connecting: reading has not started, or is catching up;
 * - live: caught up and following the stream;
 * - retrying: a request failed (error); the next try comes after delayMs
 *   (attempt counts the tries since the last success; each one is also
 *   reported to onError);
 * - stopped: read to its end with nothing to follow (live: false, or the
 *   stream is closed);
 * - failed: reading stopped for good (error: the stream is gone, access was
 *   refused, retry.maxRetries ran out); preload() rejects, the collections
 *   and live queries have status 'error';
 * - closed: close() was called.
 */
export type Connection =
  | { readonly state: 'connecting' | 'live' | 'stopped' | 'closed'; readonly error?: undefined }
  | { readonly state: 'retrying'; readonly attempt: number; readonly delayMs: number; readonly error: StreamDBErrorType }
  | { readonly state: 'failed'; readonly error: StreamDBErrorType }

/** RetryOptions say how a StreamDB retries failed reads (5xx, 429, no answer). */
export interface RetryOptions {
  /** Retries after the first attempt before reading fails for good. Default: forever. */
  maxRetries?: number
  /** The first backoff bound (each wait is random up to the bound). Default 100. */
  initialDelayMs?: number
  /** The largest backoff bound. Default 30000. */
  maxDelayMs?: number
  /** How the bound grows after each attempt. Default 2. */
  multiplier?: number
}

/** ActionContext is what an action's mutationFn receives after its parameter. */
export interface ActionContext {
  transaction: Transaction
}

/**
 * ActionDefinition is one optimistic action: onMutate applies the changes
 * at once (synchronously, with collection insert/update/delete); mutationFn
 * persists them (appending to the stream, then awaitTxId).
 */
export interface ActionDefinition<P = any> {
  onMutate: (params: P) => void
  mutationFn: (params: P, context: ActionContext) => Promise<unknown> | void
}

/** ActionDefinitions is what the actions factory returns. */
export type ActionDefinitions = { readonly [name: string]: ActionDefinition<any> }

/** SyncOnMutate<A> rejects an action whose onMutate returns a Promise (StreamDB throws ONMUTATE_ASYNC). */
export type SyncOnMutate<A> = {
  [K in keyof A]: A[K] extends { onMutate: (...args: any[]) => PromiseLike<unknown> }
    ? { readonly 'onMutate must be synchronous (it returned a Promise)': never }
    : unknown
}

/** ActionFactory builds the actions from the database and its stream. */
export type ActionFactory<S extends StateDefinitions, A extends ActionDefinitions> = (context: {
  db: StreamDB<S>
  stream: StreamHandle
}) => A & SyncOnMutate<A>

/** ActionMap turns action definitions into functions: the parameters are onMutate's. */
export type ActionMap<A> = {
  readonly [K in keyof A]: A[K] extends { onMutate: (...args: infer P) => any } ? (...params: P) => Transaction : never
}

/** StreamDBWithActions is a StreamDB created with actions. */
export interface StreamDBWithActions<S extends StateDefinitions = StateDefinitions, A = {}> extends StreamDB<S> {
  readonly actions: ActionMap<A>
}

/** StreamLocation: streamOptions, or stream (an existing handle: anything with url and headers), which wins when both are given. */
export type StreamLocation =
  | { streamOptions: StreamOptions; stream?: StreamOptions | StreamHandle }
  | { stream: StreamOptions | StreamHandle; streamOptions?: StreamOptions }

/** CreateStreamDBOptions are createStreamDB's options. */
export type CreateStreamDBOptions<S extends StateDefinitions = StateDefinitions, A extends ActionDefinitions = ActionDefinitions> =
  StreamLocation & CreateStreamDBSettings<S, A>

/** CreateStreamDBSettings are createStreamDB's options besides the stream's location. */
export interface CreateStreamDBSettings<S extends StateDefinitions = StateDefinitions, A extends ActionDefinitions = ActionDefinitions> {
  /** The collections: createStateSchema's result. */
  state: S
  /** Builds the optimistic actions. */
  actions?: ActionFactory<S, A>
  /**
   * Follow the stream after preload: true (long-poll, the default),
   * 'long-poll', 'sse', false, or 'websocket' (with websocket.url: through
   * a streamdb-gateway, one socket per page for every StreamDB and their
   * appends; needs the package's ./websocket entry).
   */
  live?: boolean | 'long-poll' | 'sse' | 'websocket'
  /** The gateway of live: 'websocket': its socket URL (ws://host:port/v1/ws). */
  websocket?: { url: string }
  /**
   * The longest stretch, in milliseconds, the engine works on the main
   * thread on one preload or one live answer (a burst of events) before
   * it lets the page run (paint, input, onProgress) for one turn of the
   * event loop. A live answer's events applied so far are visible (and
   * its live queries updated) before each such turn. Default 50.
   */
  taskBudgetMs?: number
  /**
   * Start the engine's warm-up (see warmUp) in a Worker, where the page can
   * run one: a first visit's first queries then run on optimized code, for
   * no time of the page's thread. By default (undefined) it starts on a
   * device with at least four logical cores (navigator.hardwareConcurrency):
   * with fewer, the worker takes time from the page's own work. true starts
   * it anyway, false never.
   */
  warmUp?: boolean
  /**
   * How long, in milliseconds, a read of the stream may hear nothing from
   * the server (no answer yet, or no more of a body or of an SSE
   * connection) before the connection is taken for dead and the read made
   * again from the same offset: a proxy that holds a connection open and
   * forwards nothing, a laptop that slept. A live server answers (or sends
   * a keep-alive) at least every long-poll timeout, 30 s for the reference
   * server: keep this above yours. Default 60000; 0 waits forever. The time
   * of a request counts from when it gets its turn among the page's
   * requests to the same host (browsers open six connections per host over
   * HTTP/1.1 and queue the rest).
   */
  idleTimeoutMs?: number
  /**
   * How reads of the stream are retried after a failure that may pass
   * (5xx, 429, no answer). Default: forever, from 100 ms up to 30 s. With
   * maxRetries, a server that stays unreachable ends in the connection
   * state 'failed', and preload() rejects. With live: 'websocket' it
   * applies to the gateway's socket: each failed socket is a retry (the
   * waits are the socket's own, shared by the page's StreamDBs), and
   * maxRetries of them in a row without news fail the StreamDB; and to the
   * stream server behind the gateway: each failed read of the gateway's is
   * a retry (the connection is 'retrying' with the server's code and
   * status), and more than maxRetries in a row fail the StreamDB.
   */
  retry?: RetryOptions
  /**
   * The largest event, in bytes, the engine reads (default 64 MiB): an SSE
   * data event or an item of a response that is longer is read past
   * without being kept, left out, reported as an InvalidEventError with
   * its offset, and the stream goes on after it.
   */
  maxEventBytes?: number
  /**
   * Keep the synced state across page loads: on open, the stored snapshot
   * is restored (the collections are readable at once, status 'restored')
   * and only the events after its offset are read; preload() resolves once
   * they are. A snapshot is written in the background after preload and
   * then at most every everyMs while the state changes, in slices, and
   * replaces the stored one only once complete. Any doubt (another schema
   * or stream, a damaged or cut snapshot, another format version, the
   * stream deleted or recreated, a reset after the offset) means a
   * SnapshotError to onError and a full read: never stale data. true: the
   * defaults. Off by default.
   */
  persist?: boolean | PersistOptions
  /**
   * Every row a user reads (a collection's get, toArray, state, iteration,
   * subscribeChanges values; live query results) carries TanStack DB's
   * virtual fields after its own, as TanStack DB 0.15.2 attaches them:
   * $hasPendingWrites, $synced, $origin ('local' | 'remote'), $key and
   * $collectionId. Off by default: at 100k rows it makes collection.toArray
   * about 2.4x and a live query's first result about 4x slower, and the
   * rows' JSON about 3x larger (README, "Virtual row fields").
   */
  virtualProps?: boolean
  /**
   * Called with errors met while following the stream, and with what a
   * subscriber or another callback threw (a StreamDBError with code
   * CALLBACK_THREW, the exception as its cause): one callback's exception
   * never stops another, nor a live query's update. Default: console.warn.
   */
  onError?: (error: Error) => void
  /** Called as the stream is read. */
  onProgress?: (progress: Progress) => void
}

/** Where warmUp ran, and for how long (milliseconds). */
export interface WarmUpResult {
  /** 'worker': in a Worker, the page's thread paid nothing; 'page': on the page's thread. */
  thread: 'worker' | 'page'
  ms: number
}

/**
 * warmUp runs the query engine on made-up rows so that the browser
 * optimizes its code before the page's first queries need it. In a
 * browser it runs in a Worker, on another instance of the same compiled
 * module, and the page's thread pays nothing: createStreamDB starts it on a
 * device with at least four logical cores (see its warmUp option); calling
 * warmUp() starts it if it has not started, or waits for it. Where no Worker
 * can run (Node, a content security policy that forbids workers) it runs on
 * the page's thread, in slices (about half a second in all). Once per
 * page. Resolves with where it ran, or null when it could not run.
 */
export declare function warmUp(): Promise<WarmUpResult | null>

/**
 * createStreamDB connects collection definitions (createStateSchema) to a
 * Durable Stream. Nothing is read until preload().
 */
export declare function createStreamDB<S extends StateDefinitions, A extends ActionDefinitions = ActionDefinitions>(
  options: CreateStreamDBOptions<S, A>,
): string extends keyof A ? StreamDB<S> : StreamDBWithActions<S, A>

// ---------------------------------------------------------------------------
// Live queries

/** LiveQueryKey is a live query's result key. */
export type LiveQueryKey = string | number

/**
 * LiveQuery is the live result of one query: data is the array of result
 * rows (a new array after each change), or for findOne() the row or
 * undefined; state is a Map from result key to row.
 */
export interface LiveQuery<T = any, D = T[]> extends QuerySource<T & object> {
  /** The result: rows in order, or one row (or undefined) for findOne. */
  readonly data: D
  /** A new Map from result key to row. */
  readonly state: Map<LiveQueryKey, T>
  readonly size: number
  /** `live-query-<n>`, as TanStack DB names its live query collections. */
  readonly id: string
  get(key: LiveQueryKey): T | undefined
  has(key: LiveQueryKey): boolean
  /** The rows in order (a new array). */
  readonly toArray: T[]
  /** The keys, rows and [key, row] pairs in result order (of the result when called). */
  keys(): IterableIterator<LiveQueryKey>
  values(): IterableIterator<T>
  entries(): IterableIterator<[LiveQueryKey, T]>
  [Symbol.iterator](): IterableIterator<[LiveQueryKey, T]>
  forEach(callback: (value: T, key: LiveQueryKey, query: this) => void): void
  /** The result as insert changes, in result order. */
  currentStateAsChanges(): Array<ChangeMessage<T, LiveQueryKey>>
  /** 'loading' until the StreamDB has preloaded, then 'ready'; 'error' if reading failed; 'cleaned-up' once disposed. */
  readonly status: CollectionStatus
  isReady(): boolean
  /** Resolves once the result is ready (the StreamDB's preload); rejects if reading fails. */
  preload(): Promise<void>
  /** Calls callback once, when the result is first ready (in a microtask if it already is). */
  onFirstReady(callback: () => void): void
  toArrayWhenReady(): Promise<T[]>
  stateWhenReady(): Promise<Map<LiveQueryKey, T>>
  /** Whether the query ends in findOne(). */
  readonly single: boolean
  /** Whether the query has an orderBy. */
  readonly ordered: boolean
  /** subscribe calls callback (with the step's changes) after every change of the result; it returns the unsubscribe function. */
  subscribe(callback: (changes: Array<ChangeMessage<T, LiveQueryKey>>) => void): () => void
  /** subscribeChanges is the collection-style change feed of the result. */
  subscribeChanges(callback: (changes: Array<ChangeMessage<T, LiveQueryKey>>) => void, options?: SubscribeChangesOptions): Subscription
  /** dispose stops the query; its last result stays readable. */
  dispose(): void
}

/** LiveQuery is exported for instanceof checks; live queries are made by liveQuery(). */
export declare const LiveQuery: (abstract new (internal: never) => LiveQuery<any, any>) & { readonly prototype: LiveQuery<any, any> }

/**
 * createLiveQueryCollection runs a query live, as liveQuery does (a
 * LiveQuery is TanStack DB's live query collection); it takes the query
 * function, a built query, or { query }. It starts at once.
 */
export declare function createLiveQueryCollection<R extends Query<any>>(query: ((q: InitialQuery) => R) | { query: (q: InitialQuery) => R }): LiveQueryOf<R>
export declare function createLiveQueryCollection<Q extends Query<any>>(query: Q | { query: Q }): LiveQueryOf<Q>

/** queryOnce resolves with a query's result once the StreamDB is ready (rows, or the row for findOne); the query is not kept live. */
export declare function queryOnce<R extends Query<any>>(query: ((q: InitialQuery) => R) | { query: (q: InitialQuery) => R }): Promise<QueryData<R>>
export declare function queryOnce<Q extends Query<any>>(query: Q | { query: Q }): Promise<QueryData<Q>>

/** deepEquals compares two values as TanStack DB's deepEquals does (arrays, plain objects, Maps, Sets, Dates, RegExps, typed arrays). */
export declare function deepEquals(a: unknown, b: unknown): boolean

/**
 * MaterializedState keeps the state of change events in plain Maps, as
 * @durable-streams/state's: apply (insert, update, upsert set the value
 * whole; delete removes it), applyBatch, get, getType (the live Map),
 * clear, typeCount, types.
 */
export declare class MaterializedState {
  apply(event: ChangeEvent<unknown>): void
  applyBatch(events: ReadonlyArray<ChangeEvent<unknown>>): void
  get<T = unknown>(type: string, key: string): T | undefined
  getType(type: string): Map<string, unknown>
  clear(): void
  readonly typeCount: number
  readonly types: string[]
}

/** LiveQueryOf<Q> is the live query of a query (or query function). */
export type LiveQueryOf<Q> = LiveQuery<QueryResult<Q>, QueryData<Q>>

/** MaybeNull<R> is null when R may be null or undefined (a disabled query). */
type MaybeNull<R> = [Extract<R, null | undefined>] extends [never] ? never : null

/**
 * liveQuery runs a query live: liveQuery(q => q.from({ u: db.collections.users })...).
 * It returns null when the function returns null or undefined.
 */
export declare function liveQuery<R extends Query<any> | null | undefined>(
  query: (q: InitialQuery) => R,
): LiveQueryOf<NonNullable<R>> | MaybeNull<R>
export declare function liveQuery<Q extends Query<any>>(query: Q): LiveQueryOf<Q>

// ---------------------------------------------------------------------------
// What the framework hooks return (react, vue, solid)

/** LiveQueryState is useLiveQuery's result for an enabled query (TanStack DB's shape). */
export interface LiveQueryState<T = any, D = T[]> {
  readonly data: D
  readonly state: Map<LiveQueryKey, T>
  readonly collection: LiveQuery<T, D>
  readonly status: CollectionStatus
  readonly isLoading: boolean
  readonly isReady: boolean
  readonly isIdle: boolean
  readonly isError: boolean
  readonly isCleanedUp: boolean
  readonly isEnabled: true
}

/** DisabledLiveQueryState is useLiveQuery's result while the query function returns null or undefined. */
export interface DisabledLiveQueryState<T = any> {
  readonly data: undefined
  /** An empty Map. */
  readonly state: Map<LiveQueryKey, T>
  readonly collection: null
  readonly status: 'disabled'
  readonly isLoading: false
  readonly isReady: false
  readonly isIdle: false
  readonly isError: false
  readonly isCleanedUp: false
  readonly isEnabled: false
}

/** LiveQueryStateOf<R> is the hook result for a query function returning R (disabled when R may be null). */
export type LiveQueryStateOf<R> =
  | LiveQueryState<QueryResult<NonNullable<R>>, QueryData<NonNullable<R>>>
  | ([MaybeNull<R>] extends [never] ? never : DisabledLiveQueryState<QueryResult<NonNullable<R>>>)
