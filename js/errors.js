// Error classes. Every error StreamDB throws or rejects with is an instance
// of StreamDBError (except errors thrown by user code, such as a
// mutationFn's, which pass through unchanged).

/** StreamDBError is the base class; `code` names the problem. */
export class StreamDBError extends Error {
  constructor(message, { code = 'STREAMDB', cause, ...props } = {}) {
    super(message, cause === undefined ? undefined : { cause })
    this.name = 'StreamDBError'
    this.code = code
    Object.assign(this, props)
  }
}

/** QueryCompileError: the engine rejected a query; `clause` names the part at fault. */
export class QueryCompileError extends StreamDBError {
  constructor(message, props) {
    super(message, { code: 'QUERY_COMPILE', ...props })
    this.name = 'QueryCompileError'
  }
}

/** QueryBuilderError: the query builder was misused (the message says how). */
export class QueryBuilderError extends StreamDBError {
  constructor(message, props) {
    super(message, { ...props, code: 'QUERY_BUILDER' })
    this.name = 'QueryBuilderError'
  }
}

// TanStack DB's classes for the queries it rejects, by the same names, so
// that code written for it (catch, instanceof, error.name) works: each is
// a QueryCompileError with our code and clause, except the join ones,
// which TanStack's builder throws (QueryBuilderErrors, as here). The
// engine names the one that applies (the wire error's kind) for queries
// that reach it.
function tanstackClass(name, Base = QueryCompileError, code = undefined) {
  const C = class extends Base {
    constructor(message, props) {
      super(message, code === undefined ? props : { ...props, code })
      this.name = name
    }
  }
  Object.defineProperty(C, 'name', { value: name })
  return C
}
/** LIMIT or OFFSET without an orderBy. */
export const LimitOffsetRequireOrderByError = tanstackClass('LimitOffsetRequireOrderByError')
/** having without a groupBy (or aggregates in the select). */
export const HavingRequiresGroupByError = tanstackClass('HavingRequiresGroupByError')
/** A join condition that is not eq (or an and of eqs). */
export const JoinConditionMustBeEqualityError = tanstackClass('JoinConditionMustBeEqualityError', QueryBuilderError)
/** A join equality whose two sides refer to the same source. */
export const InvalidJoinConditionSameSourceError = tanstackClass('InvalidJoinConditionSameSourceError', QueryBuilderError)
/** A join equality whose sides do not refer to the two sides of the join. */
export const InvalidJoinConditionSourceMismatchError = tanstackClass('InvalidJoinConditionSourceMismatchError', QueryBuilderError)
/** A select field of a grouped query that is neither an aggregate nor a groupBy expression. */
export const NonAggregateExpressionNotInGroupByError = tanstackClass('NonAggregateExpressionNotInGroupByError')
/** An aggregate in having or orderBy that the select does not have. */
export const AggregateFunctionNotInSelectError = tanstackClass('AggregateFunctionNotInSelectError')
/** An aggregate where none may be (where, groupBy, inside another aggregate). */
export const UnknownExpressionTypeError = tanstackClass('UnknownExpressionTypeError')
/** fn.select() with a groupBy(). */
export const FnSelectWithGroupByError = tanstackClass('FnSelectWithGroupByError')
/** unionAll() given no sources: nothing, a string, an array, null or an empty object. */
export const InvalidSourceTypeError = tanstackClass('InvalidSourceTypeError', QueryBuilderError)
/** A source that is neither a collection nor a query. */
export const InvalidSourceError = tanstackClass('InvalidSourceError', QueryBuilderError)
/** A query (a unionAll branch or source) without from(). */
export const QueryMustHaveFromClauseError = tanstackClass('QueryMustHaveFromClauseError', QueryBuilderError)
const byKind = {
  LimitOffsetRequireOrderByError,
  HavingRequiresGroupByError,
  JoinConditionMustBeEqualityError,
  InvalidJoinConditionSameSourceError,
  InvalidJoinConditionSourceMismatchError,
  NonAggregateExpressionNotInGroupByError,
  AggregateFunctionNotInSelectError,
  UnknownExpressionTypeError,
  FnSelectWithGroupByError,
}

/**
 * QueryCallbackError: a query's callback (fn.where, fn.select, fn.having;
 * `clause` says which) threw, or fn.select returned what JSON cannot carry;
 * `cause` is what it threw. The live query stops: opening it throws this
 * error, or, at a later change, its status becomes 'error' (its `error`)
 * and its result stays what it was before that change.
 */
export class QueryCallbackError extends StreamDBError {
  constructor(message, props) {
    super(message, { code: 'QUERY_CALLBACK', ...props })
    this.name = 'QueryCallbackError'
  }
}

// TanStack DB's classes for the collection operations it refuses, by the
// same names: StreamDBErrors with our code.
function operationClass(name, code) {
  return tanstackClass(name, StreamDBError, code)
}
/** An insert of a key that is already there. */
export const DuplicateKeyError = operationClass('DuplicateKeyError', 'DUPLICATE_KEY')
/** A sync transaction's insert of a key whose row differs (createCollection's sync). */
export const DuplicateKeySyncError = operationClass('DuplicateKeySyncError', 'DUPLICATE_KEY_SYNC')
/** getKey gave undefined (or null) for a row. */
export const UndefinedKeyError = operationClass('UndefinedKeyError', 'NO_KEY')
/** getKey gave something that is neither a string nor a number. */
export const InvalidKeyError = operationClass('InvalidKeyError', 'BAD_KEY')
/** An update that changes a row's key. */
export const KeyUpdateNotAllowedError = operationClass('KeyUpdateNotAllowedError', 'KEY_UPDATE')
/** insert on a collection without onInsert, outside a transaction. */
export const MissingInsertHandlerError = operationClass('MissingInsertHandlerError', 'NO_HANDLER')
/** update on a collection without onUpdate, outside a transaction. */
export const MissingUpdateHandlerError = operationClass('MissingUpdateHandlerError', 'NO_HANDLER')
/** delete on a collection without onDelete, outside a transaction. */
export const MissingDeleteHandlerError = operationClass('MissingDeleteHandlerError', 'NO_HANDLER')
/** createCollection without a sync config. */
export const CollectionRequiresSyncConfigError = operationClass('CollectionRequiresSyncConfigError', 'BAD_ARGUMENT')
/** A sync write or commit with no sync transaction begun. */
export const NoPendingSyncTransactionWriteError = operationClass('NoPendingSyncTransactionWriteError', 'SYNC_USAGE')
/** A sync commit with no sync transaction begun. */
export const NoPendingSyncTransactionCommitError = operationClass('NoPendingSyncTransactionCommitError', 'SYNC_USAGE')
/** A sync write to a transaction already committed. */
export const SyncTransactionAlreadyCommittedWriteError = operationClass('SyncTransactionAlreadyCommittedWriteError', 'SYNC_USAGE')
/** A second commit of a sync transaction. */
export const SyncTransactionAlreadyCommittedError = operationClass('SyncTransactionAlreadyCommittedError', 'SYNC_USAGE')

/** InvalidEventError: a state event on the stream was malformed; it was skipped. */
export class InvalidEventError extends StreamDBError {
  constructor(message, props) {
    super(message, { code: 'INVALID_EVENT', ...props })
    this.name = 'InvalidEventError'
  }
}

/** SchemaValidationError: a value failed its collection's Standard Schema. */
export class SchemaValidationError extends StreamDBError {
  constructor(message, props) {
    super(message, { code: 'SCHEMA_VALIDATION', ...props })
    this.name = 'SchemaValidationError'
  }
}

/** StreamError: a Durable Streams request failed (status, url, offset). */
export class StreamError extends StreamDBError {
  constructor(message, props) {
    super(message, props)
    this.name = 'StreamError'
  }
}

/**
 * SnapshotError: a persisted snapshot was not used (reason: 'format',
 * 'version', 'truncated', 'checksum', 'schema', 'stream', 'stream-gone',
 * 'stream-recreated', 'invalid-offset', 'reset') and the stream is read
 * from the start instead, or it could not be read or written ('storage').
 * It goes to onError; nothing stale is ever shown.
 */
export class SnapshotError extends StreamDBError {
  constructor(message, props) {
    super(message, { code: 'SNAPSHOT', ...props })
    this.name = 'SnapshotError'
  }
}

/** MissingMutationContextError: insert/update/delete outside an action's onMutate. */
export class MissingMutationContextError extends StreamDBError {
  constructor(message) {
    super(message, { code: 'NO_TRANSACTION' })
    this.name = 'MissingMutationContextError'
  }
}

/** ClosedError: the StreamDB was closed (message "StreamDB closed", as the reference). */
export class ClosedError extends StreamDBError {
  constructor(message = 'StreamDB closed') {
    super(message, { code: 'CLOSED' })
    this.name = 'ClosedError'
  }
}

/**
 * ModuleExitedError: the Go program behind StreamDB stopped (out of memory,
 * a fatal error). Everything pending rejects with it and the StreamDBs
 * opened on it are failed; a new createStreamDB starts a fresh instance.
 */
export class ModuleExitedError extends StreamDBError {
  constructor(message, props) {
    super(message, { code: 'MODULE_EXITED', ...props })
    this.name = 'ModuleExitedError'
  }
}

/**
 * ModuleVersionError: the WebAssembly module was built for another version
 * of the package than the JavaScript that loads it (a stale
 * dist/streamdb.wasm, or one copied from another release). It names both
 * versions; rebuild the module (make build) or reinstall the package.
 */
export class ModuleVersionError extends StreamDBError {
  constructor(message, props) {
    super(message, { code: 'MODULE_VERSION', ...props })
    this.name = 'ModuleVersionError'
  }
}

const keep = ['clause', 'reason', 'offset', 'type', 'key', 'operation', 'txid', 'status', 'url']

/**
 * fromModule turns an Error made by the Go module (name and properties set
 * there) into an instance of the matching class. Anything else is returned
 * as is.
 */
export function fromModule(e) {
  if (!(e instanceof Error) || e instanceof StreamDBError) return e
  const props = {}
  for (const k of keep) if (e[k] !== undefined && e[k] !== '') props[k] = e[k]
  switch (e.name) {
    case 'QueryCompileError':
      return new (Object.hasOwn(byKind, e.kind) ? byKind[e.kind] : QueryCompileError)(e.message, props)
    case 'InvalidEventError':
      return new InvalidEventError(e.message, props)
    case 'SnapshotError':
      return new SnapshotError(e.message, props)
    case 'StreamError':
      return new StreamError(e.message, { code: e.code, ...props })
    case 'StreamDBError':
      if (e.code === 'CLOSED') return new ClosedError(e.message)
      if (e.code === 'DUPLICATE_KEY') return new DuplicateKeyError(e.message, props)
      if (e.code === 'DUPLICATE_KEY_SYNC') return new DuplicateKeySyncError(e.message, props)
      return new StreamDBError(e.message, { code: e.code, ...props })
    case 'TypeError':
      return new StreamDBError(e.message, { code: 'BAD_ARGUMENT' })
  }
  return e
}

/** call invokes a synchronous module export and throws what it returns as an error. */
export function call(mod, name, ...args) {
  const r = mod[name](...args)
  if (r instanceof Error) throw fromModule(r)
  return r
}
