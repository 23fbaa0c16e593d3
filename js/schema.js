// createStateSchema: collection definitions (Standard Schema, event type,
// primary key) with typed event helpers, as @durable-streams/state has them.
import { StreamDBError, SchemaValidationError } from './errors.js'

const RESERVED = new Set(['collections', 'preload', 'close', 'utils', 'actions'])

/**
 * validateSync runs a Standard Schema v1 validator synchronously and returns
 * its issues (an empty array when the value is valid). An asynchronous
 * validator is an error: StreamDB validates inside synchronous calls.
 */
export function validateSync(schema, value) {
  const std = schema?.['~standard']
  if (!std || typeof std.validate !== 'function') return { value, issues: [] }
  const r = std.validate(value)
  if (r && typeof r.then === 'function') {
    throw new SchemaValidationError('the schema validates asynchronously; StreamDB needs a synchronous Standard Schema')
  }
  return { value: r?.issues ? value : r?.value ?? value, issues: r?.issues ?? [] }
}

function check(def, value, op, suffix = '') {
  const { issues } = validateSync(def.schema, value)
  if (issues.length > 0) {
    throw new SchemaValidationError(
      `Validation failed for ${def.type} ${op}${suffix}: ${issues.map((i) => i.message).join(', ')}`,
      { issues },
    )
  }
}

function keyOf(def, key, value, op) {
  if (key !== undefined) return key
  const v = value?.[def.primaryKey]
  if (v !== undefined && v !== null && v !== '') return String(v)
  throw new StreamDBError(
    `Cannot create ${def.type} ${op} event: must provide either 'key' or a value with a non-empty '${def.primaryKey}' field`,
    { code: 'NO_KEY' },
  )
}

function helpers(def) {
  return {
    insert({ key, value, headers } = {}) {
      check(def, value, 'insert')
      return { type: def.type, key: keyOf(def, key, value, 'insert'), value, headers: { ...headers, operation: 'insert' } }
    },
    update({ key, value, oldValue, headers } = {}) {
      check(def, value, 'update')
      if (oldValue !== undefined) check(def, oldValue, 'update', ' (oldValue)')
      return {
        type: def.type,
        key: keyOf(def, key, value, 'update'),
        value,
        old_value: oldValue,
        headers: { ...headers, operation: 'update' },
      }
    },
    delete({ key, oldValue, headers } = {}) {
      if (oldValue !== undefined) check(def, oldValue, 'delete', ' (oldValue)')
      let k = key
      if (k === undefined) {
        if (!oldValue) {
          throw new StreamDBError(
            `Cannot create ${def.type} delete event: must provide either 'key' or 'oldValue' with a ${def.primaryKey} field`,
            { code: 'NO_KEY' },
          )
        }
        k = String(oldValue[def.primaryKey])
      }
      return { type: def.type, key: k, old_value: oldValue, headers: { ...headers, operation: 'delete' } }
    },
    upsert({ key, value, headers } = {}) {
      check(def, value, 'upsert')
      return { type: def.type, key: keyOf(def, key, value, 'upsert'), value, headers: { ...headers, operation: 'upsert' } }
    },
  }
}

/**
 * createStateSchema checks and returns collection definitions, each with
 * insert, update, delete and upsert helpers that build (and validate)
 * State Protocol change events.
 */
export function createStateSchema(collections) {
  if (collections === null || typeof collections !== 'object') {
    throw new StreamDBError('createStateSchema: expected an object of collection definitions', { code: 'BAD_ARGUMENT' })
  }
  const types = new Map()
  const out = {}
  for (const [name, def] of Object.entries(collections)) {
    if (RESERVED.has(name)) {
      throw new StreamDBError(
        `Reserved collection name "${name}": collections, preload, close, utils and actions are used by the StreamDB`,
        { code: 'RESERVED_NAME' },
      )
    }
    if (!def || typeof def.type !== 'string' || def.type === '') {
      throw new StreamDBError(`collection "${name}": type must be a non-empty string`, { code: 'BAD_ARGUMENT' })
    }
    if (typeof def.primaryKey !== 'string' || def.primaryKey === '') {
      throw new StreamDBError(`collection "${name}": primaryKey must be a non-empty string`, { code: 'BAD_ARGUMENT' })
    }
    if (types.has(def.type)) {
      throw new StreamDBError(
        `Duplicate event type "${def.type}" in collections "${types.get(def.type)}" and "${name}"`,
        { code: 'DUPLICATE_TYPE' },
      )
    }
    types.set(def.type, name)
    out[name] = { ...def, ...helpers(def) }
  }
  return out
}

/**
 * isChangeEvent reports whether a State Protocol event is a change (its
 * headers carry an operation). As in @durable-streams/state, an event
 * without headers is a TypeError.
 */
export function isChangeEvent(event) {
  return 'operation' in event.headers
}

/**
 * isControlEvent reports whether a State Protocol event is a control event
 * (its headers carry a control). As in @durable-streams/state, an event
 * without headers is a TypeError.
 */
export function isControlEvent(event) {
  return 'control' in event.headers
}

/** getStreamDBCollectionId is the id of a StreamDB's collection: "stream-db:<url>:<name>". */
export function getStreamDBCollectionId(url, name) {
  return `stream-db:${url}:${name}`
}
