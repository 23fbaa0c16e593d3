// The runner of a query's callbacks (fn.where, fn.select, fn.having): the
// Go engine calls it synchronously, once per batch of rows and callback,
// with the rows as the JSON text of an array of namespaced rows
// ({alias: row, ...}, with $selected where TanStack DB gives it); it calls
// the callback once per row, in order (wasm/fn.go).
import { QueryCallbackError } from './errors.js'

const EXACT = 0 // keep the rows whose callback returned true
const TRUTHY = 1 // keep the rows whose callback returned a truthy value
const MAP = 2 // the callback's results, as JSON text

function describe(e) {
  if (e instanceof Error) return e.message
  try {
    return String(e)
  } catch {
    return typeof e
  }
}

/**
 * fnRunner returns the runner of fns, a list of { fn, clause }. When a
 * callback throws, the runner returns false, keeps a QueryCallbackError as
 * runner.failure and calls runner.onFailure with it (set by the live query;
 * it must not run user code synchronously: the engine is mid-update).
 * runner.release() lets go of the callbacks and onFailure once the query
 * is closed: the module may keep the runner itself (a JS value Go held is
 * let go of only by a finalizer of Go's collector, which need not run).
 */
export function fnRunner(fns) {
  const run = (op, i, text) => {
    if (fns === null) return false // released: the query is closed
    const { fn, clause } = fns[i]
    const rows = JSON.parse(text)
    const n = rows.length
    try {
      if (op === MAP) {
        const out = new Array(n)
        for (let k = 0; k < n; k++) out[k] = fn(rows[k])
        try {
          return JSON.stringify(out)
        } catch (e) {
          return fail(clause, `${clause} returned a value JSON cannot carry (${describe(e)}): rows are JSON`, e)
        }
      }
      const keep = new Uint8Array(n)
      if (op === EXACT) for (let k = 0; k < n; k++) keep[k] = fn(rows[k]) === true ? 1 : 0
      else for (let k = 0; k < n; k++) keep[k] = fn(rows[k]) ? 1 : 0
      return keep
    } catch (e) {
      return fail(clause, `${clause} callback threw: ${describe(e)}`, e)
    }
  }
  const fail = (clause, message, cause) => {
    run.failure = new QueryCallbackError(message, { clause, cause })
    run.onFailure?.(run.failure)
    return false
  }
  run.failure = undefined
  run.onFailure = undefined
  run.release = () => {
    fns = null
    run.onFailure = undefined
  }
  return run
}
