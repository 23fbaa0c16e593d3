// Types of @streamdb/streamdb/websocket: the main entry's, unchanged.
export * from './index.js'
