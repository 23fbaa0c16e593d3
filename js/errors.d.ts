// Type declarations of js/errors.js: the error classes. Every error StreamDB
// throws or rejects with is a StreamDBError (errors thrown by user code,
// such as a mutationFn's, pass through unchanged).

import type { StandardSchemaV1 } from '@standard-schema/spec'

/** StreamErrorCode names what went wrong with a Durable Streams request. */
export type StreamErrorCode =
  | 'NOT_FOUND'
  | 'GONE'
  | 'CONFLICT'
  | 'SEQUENCE_CONFLICT'
  | 'STREAM_CLOSED'
  | 'BAD_REQUEST'
  | 'INVALID_OFFSET'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'PRODUCER_FENCED'
  | 'PRODUCER_SEQ_GAP'
  | 'TOO_LARGE'
  | 'RATE_LIMITED'
  | 'BUSY'
  | 'NOT_SUPPORTED'
  | 'UNEXPECTED_STATUS'
  | 'PROTOCOL_ERROR'
  | 'PARSE_ERROR'
  | 'NETWORK_ERROR'
  | 'INVALID_ARGUMENT'

/** StreamDBErrorCode lists the codes StreamDB sets (other strings may appear). */
export type StreamDBErrorCode =
  | 'STREAMDB'
  | 'BAD_ARGUMENT'
  | 'USAGE'
  | 'SNAPSHOT'
  | 'SNAPSHOT_STORAGE'
  | 'RESERVED_NAME'
  | 'DUPLICATE_TYPE'
  | 'NO_KEY'
  | 'DUPLICATE_KEY'
  | 'KEY_NOT_FOUND'
  | 'NOT_OBJECT'
  | 'TX_NOT_PENDING'
  | 'TXID_TIMEOUT'
  | 'UNKNOWN_COLLECTION'
  | 'ROLLED_BACK'
  | 'ONMUTATE_ASYNC'
  | 'CALLBACK_THREW'
  | 'QUERY_BUILDER'
  | 'QUERY_COMPILE'
  | 'QUERY_CALLBACK'
  | 'INVALID_EVENT'
  | 'SCHEMA_VALIDATION'
  | 'NO_TRANSACTION'
  | 'MODULE_EXITED'
  | 'MODULE_VERSION'
  | 'NOT_LOADED'
  | 'CLOSED'
  | 'DUPLICATE_KEY_SYNC'
  | 'NOT_LOCAL'
  | 'BAD_KEY'
  | 'KEY_UPDATE'
  | 'NO_HANDLER'
  | 'SYNC_USAGE'
  | StreamErrorCode

/** StreamDBErrorOptions is the second argument of the error constructors. */
export interface StreamDBErrorOptions {
  /** The code; 'STREAMDB' when absent. */
  code?: StreamDBErrorCode | (string & {})
  /** The underlying error. */
  cause?: unknown
  /** Any other property is copied onto the error. */
  [property: string]: unknown
}

/** StreamDBError is the base class of StreamDB's errors; `code` names the problem. */
export declare class StreamDBError extends Error {
  constructor(message: string, options?: StreamDBErrorOptions)
  /** The problem, for instance 'CLOSED', 'TXID_TIMEOUT', 'KEY_NOT_FOUND'. */
  readonly code: StreamDBErrorCode | (string & {})
  /** The txid awaited, on a 'TXID_TIMEOUT' error. */
  readonly txid?: string
}

/** QueryCompileError: the engine rejected a query; `clause` names the part at fault. */
export declare class QueryCompileError extends StreamDBError {
  constructor(message: string, options?: Omit<StreamDBErrorOptions, 'code'>)
  readonly code: 'QUERY_COMPILE'
  /** The clause at fault (where, select, orderBy, ...). */
  readonly clause?: string
  /** Why the clause was rejected. */
  readonly reason?: string
}

/** InvalidEventError: a state event on the stream was malformed; it was skipped. */
export declare class InvalidEventError extends StreamDBError {
  constructor(message: string, options?: Omit<StreamDBErrorOptions, 'code'>)
  readonly code: 'INVALID_EVENT'
  /** The stream offset of the batch holding the event. */
  readonly offset?: string
  /** The event's type. */
  readonly type?: string
  /** The event's key. */
  readonly key?: string
  /** The event's headers.operation. */
  readonly operation?: string
  /** The event's headers.txid. */
  readonly txid?: string
  /** What is wrong with the event. */
  readonly reason?: string
}

/**
 * SnapshotError: a persisted snapshot was not used, and the stream is read
 * from the start instead (reason: why), or the snapshot store failed
 * ('storage'). Reported to onError.
 */
export declare class SnapshotError extends StreamDBError {
  constructor(message: string, options?: Omit<StreamDBErrorOptions, 'code'>)
  readonly code: 'SNAPSHOT'
  readonly reason?:
    | 'format' | 'version' | 'truncated' | 'checksum' | 'schema' | 'stream'
    | 'stream-gone' | 'stream-recreated' | 'invalid-offset' | 'reset' | 'storage'
}

/** SchemaValidationError: a value failed its collection's Standard Schema. */
export declare class SchemaValidationError extends StreamDBError {
  constructor(message: string, options?: Omit<StreamDBErrorOptions, 'code'> & { issues?: ReadonlyArray<StandardSchemaV1.Issue> })
  readonly code: 'SCHEMA_VALIDATION'
  /** The schema's issues (absent when the schema validates asynchronously). */
  readonly issues?: ReadonlyArray<StandardSchemaV1.Issue>
}

/** StreamError: a Durable Streams request failed (status, url, offset). */
export declare class StreamError extends StreamDBError {
  constructor(message: string, options?: StreamDBErrorOptions)
  readonly code: StreamErrorCode | (string & {})
  /** The HTTP status (absent when there was no response). */
  readonly status?: number
  /** The stream URL. */
  readonly url?: string
  /** The offset of the request. */
  readonly offset?: string
}

/** MissingMutationContextError: insert/update/delete outside an action's onMutate. */
export declare class MissingMutationContextError extends StreamDBError {
  constructor(message: string)
  readonly code: 'NO_TRANSACTION'
}

/** ClosedError: the StreamDB was closed (message "StreamDB closed", as the reference). */
export declare class ClosedError extends StreamDBError {
  constructor(message?: string)
  readonly code: 'CLOSED'
}

/**
 * ModuleExitedError: the Go program behind StreamDB stopped (out of memory,
 * a fatal error; the message quotes what it said). Everything pending
 * rejects with it, the StreamDBs opened on it go to the connection state
 * 'failed' and report it to onError; a new createStreamDB starts a fresh
 * instance of the module.
 */
export declare class ModuleExitedError extends StreamDBError {
  constructor(message: string, options?: StreamDBErrorOptions)
  readonly code: 'MODULE_EXITED'
}

/**
 * ModuleVersionError: the WebAssembly module was built for another version
 * of the package than the JavaScript that loads it (a stale
 * dist/streamdb.wasm, or one from another release). loadModule and
 * createStreamDB reject with it; the message names both versions.
 */
export declare class ModuleVersionError extends StreamDBError {
  constructor(message: string, options?: StreamDBErrorOptions)
  readonly code: 'MODULE_VERSION'
  /** The package's version (package.json). */
  readonly packageVersion: string
  /** The version the module says it was built as. */
  readonly moduleVersion: string
}

/** QueryBuilderError: the query builder was misused (the message says how). */
export declare class QueryBuilderError extends StreamDBError {
  constructor(message: string, options?: Omit<StreamDBErrorOptions, 'code'>)
  readonly code: 'QUERY_BUILDER'
  /** The clause at fault, when the builder names one (join). */
  readonly clause?: string
}

/**
 * TanStack DB's classes for the queries it rejects, by the same names
 * (thrown where TanStack throws them: by the builder for the join ones,
 * which are QueryBuilderErrors; when the live query is made for the
 * others, which are QueryCompileErrors); each has our code and clause.
 */
/** LimitOffsetRequireOrderByError: limit or offset without an orderBy. */
export declare class LimitOffsetRequireOrderByError extends QueryCompileError {
  constructor(message: string, options?: Omit<StreamDBErrorOptions, 'code'>)
}
/** HavingRequiresGroupByError: having without a groupBy (or aggregates in the select). */
export declare class HavingRequiresGroupByError extends QueryCompileError {
  constructor(message: string, options?: Omit<StreamDBErrorOptions, 'code'>)
}
/** JoinConditionMustBeEqualityError: a join condition that is not eq, or an and of eqs. */
export declare class JoinConditionMustBeEqualityError extends QueryBuilderError {
  constructor(message: string, options?: Omit<StreamDBErrorOptions, 'code'>)
}
/** InvalidJoinConditionSameSourceError: a join equality whose two sides refer to the same source. */
export declare class InvalidJoinConditionSameSourceError extends QueryBuilderError {
  constructor(message: string, options?: Omit<StreamDBErrorOptions, 'code'>)
}
/** InvalidJoinConditionSourceMismatchError: a join equality whose sides are not the two sides of the join. */
export declare class InvalidJoinConditionSourceMismatchError extends QueryBuilderError {
  constructor(message: string, options?: Omit<StreamDBErrorOptions, 'code'>)
}
/** NonAggregateExpressionNotInGroupByError: a select field of a grouped query that is neither an aggregate nor a groupBy expression. */
export declare class NonAggregateExpressionNotInGroupByError extends QueryCompileError {
  constructor(message: string, options?: Omit<StreamDBErrorOptions, 'code'>)
}
/** AggregateFunctionNotInSelectError: an aggregate in having or orderBy that the select does not have. */
export declare class AggregateFunctionNotInSelectError extends QueryCompileError {
  constructor(message: string, options?: Omit<StreamDBErrorOptions, 'code'>)
}
/** UnknownExpressionTypeError: an aggregate where none may be: where, groupBy, inside another aggregate. */
export declare class UnknownExpressionTypeError extends QueryCompileError {
  constructor(message: string, options?: Omit<StreamDBErrorOptions, 'code'>)
}

/**
 * TanStack DB's classes for the collection operations it refuses, by the
 * same names; each is a StreamDBError with our code.
 */
/** DuplicateKeyError: an insert of a key that is already there. */
export declare class DuplicateKeyError extends StreamDBError {
  constructor(message: string, options?: Omit<StreamDBErrorOptions, 'code'>)
}
/** DuplicateKeySyncError: a sync transaction's insert of a key whose row differs (thrown by commit()). */
export declare class DuplicateKeySyncError extends StreamDBError {
  constructor(message: string, options?: Omit<StreamDBErrorOptions, 'code'>)
}
/** UndefinedKeyError: getKey gave undefined or null. */
export declare class UndefinedKeyError extends StreamDBError {
  constructor(message: string, options?: Omit<StreamDBErrorOptions, 'code'>)
}
/** InvalidKeyError: getKey gave something that is neither a string nor a number. */
export declare class InvalidKeyError extends StreamDBError {
  constructor(message: string, options?: Omit<StreamDBErrorOptions, 'code'>)
}
/** KeyUpdateNotAllowedError: an update that changes a row's key. */
export declare class KeyUpdateNotAllowedError extends StreamDBError {
  constructor(message: string, options?: Omit<StreamDBErrorOptions, 'code'>)
}
/** MissingInsertHandlerError: insert outside a transaction on a collection without onInsert. */
export declare class MissingInsertHandlerError extends StreamDBError {
  constructor(message: string, options?: Omit<StreamDBErrorOptions, 'code'>)
}
/** MissingUpdateHandlerError: update outside a transaction on a collection without onUpdate. */
export declare class MissingUpdateHandlerError extends StreamDBError {
  constructor(message: string, options?: Omit<StreamDBErrorOptions, 'code'>)
}
/** MissingDeleteHandlerError: delete outside a transaction on a collection without onDelete. */
export declare class MissingDeleteHandlerError extends StreamDBError {
  constructor(message: string, options?: Omit<StreamDBErrorOptions, 'code'>)
}
/** CollectionRequiresSyncConfigError: createCollection without sync. */
export declare class CollectionRequiresSyncConfigError extends StreamDBError {
  constructor(message: string, options?: Omit<StreamDBErrorOptions, 'code'>)
}
/** NoPendingSyncTransactionWriteError: a sync write or truncate before begin(). */
export declare class NoPendingSyncTransactionWriteError extends StreamDBError {
  constructor(message: string, options?: Omit<StreamDBErrorOptions, 'code'>)
}
/** NoPendingSyncTransactionCommitError: a sync commit() before begin(). */
export declare class NoPendingSyncTransactionCommitError extends StreamDBError {
  constructor(message: string, options?: Omit<StreamDBErrorOptions, 'code'>)
}
/** SyncTransactionAlreadyCommittedError: a second commit() of a sync transaction. */
export declare class SyncTransactionAlreadyCommittedError extends StreamDBError {
  constructor(message: string, options?: Omit<StreamDBErrorOptions, 'code'>)
}
/** SyncTransactionAlreadyCommittedWriteError: a write to a committed sync transaction. */
export declare class SyncTransactionAlreadyCommittedWriteError extends StreamDBError {
  constructor(message: string, options?: Omit<StreamDBErrorOptions, 'code'>)
}
/** FnSelectWithGroupByError: fn.select() with a groupBy() (use select() with aggregates). */
export declare class FnSelectWithGroupByError extends QueryCompileError {
  constructor(message: string, options?: Omit<StreamDBErrorOptions, 'code'>)
}

/**
 * QueryCallbackError: a query's callback threw (fn.where, fn.select,
 * fn.having: `clause` says which), or fn.select returned what JSON cannot
 * carry (a BigInt, a cycle); `cause` is what was thrown. The live query
 * stops: opening it throws this error, or, at a later change, its status
 * becomes 'error' (its `error` is this) and its result stays what it was
 * before that change.
 */
export declare class QueryCallbackError extends StreamDBError {
  constructor(message: string, options?: StreamDBErrorOptions)
  readonly code: 'QUERY_CALLBACK'
  readonly clause: 'fn.where' | 'fn.select' | 'fn.having'
}
/** InvalidSourceTypeError: unionAll() given no sources (nothing, a string, an array, null or an empty object). */
export declare class InvalidSourceTypeError extends QueryBuilderError {
  constructor(message: string, options?: Omit<StreamDBErrorOptions, 'code'>)
}
/** InvalidSourceError: a unionAll source that is neither a collection nor a query. */
export declare class InvalidSourceError extends QueryBuilderError {
  constructor(message: string, options?: Omit<StreamDBErrorOptions, 'code'>)
}
/** QueryMustHaveFromClauseError: a unionAll branch or source query without from(). */
export declare class QueryMustHaveFromClauseError extends QueryBuilderError {
  constructor(message: string, options?: Omit<StreamDBErrorOptions, 'code'>)
}
