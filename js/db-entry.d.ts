// @streamdb/streamdb/db mirrors @durable-streams/state/db (see db-entry.js).
export * from './index.js'
