// @streamdb/streamdb: a reactive client database for Durable Streams,
// computed by a Go core compiled to WebAssembly.
//
// The module loads the wasm once (top-level await), so that
// createStreamDB and every read are synchronous, as in the reference.
export { createStateSchema, isChangeEvent, isControlEvent, getStreamDBCollectionId } from './schema.js'
export { createStreamDB, Collection, Transaction, warmUp, createOptimisticAction, createTransaction } from './db.js'
export { liveQuery, LiveQuery } from './live.js'
export { createLiveQueryCollection, queryOnce, deepEquals } from './tanstack.js'
export { createCollection, localOnlyCollectionOptions, LocalCollection } from './local.js'
export { MaterializedState } from './materialized.js'
export {
  Query,
  QueryBuilderError,
  buildQuery,
  eq, gt, gte, lt, lte, and, or, not, inArray, like, ilike, isNull, isUndefined,
  upper, lower, length, concat, coalesce, add, subtract, multiply, divide, caseWhen,
  count, sum, avg, min, max, toArray, materialize,
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
