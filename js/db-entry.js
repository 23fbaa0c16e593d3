// @streamdb/streamdb/db mirrors @durable-streams/state/db: everything of
// the main entry (which also has what the reference re-exports of TanStack
// DB and StreamDB can give: createLiveQueryCollection, queryOnce,
// deepEquals, the query functions). Not yet: createCollection,
// localOnlyCollectionOptions, createOptimisticAction and createTransaction
// (see README).
export * from './index.js'
