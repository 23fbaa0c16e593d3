// @streamdb/streamdb/db mirrors @durable-streams/state/db: everything of
// the main entry, which also has what the reference re-exports of TanStack
// DB (createCollection, localOnlyCollectionOptions,
// createLiveQueryCollection, queryOnce, createOptimisticAction,
// createTransaction, deepEquals, the query functions).
export * from './index.js'
