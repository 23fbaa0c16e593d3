// Normalisation of result rows and comparison of two result lists.

const VIRTUAL = new Set(['$synced', '$origin', '$key', '$collectionId', '$hasPendingWrites'])

function isPlainObject(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
}

function stripVirtual(obj) {
  const out = {}
  for (const [k, v] of Object.entries(obj)) if (!VIRTUAL.has(k)) out[k] = v
  return out
}

/**
 * normalizeRow removes TanStack's virtual props from a result row (top level
 * and one level down: the alias objects of join rows, or a whole row selected
 * as a field) and round-trips it through JSON, as the engine's replies are.
 */
// stripNested strips the virtual props of the rows an includes field holds
// (TanStack's child rows carry them), at any depth.
function stripNested(v) {
  if (Array.isArray(v)) return v.map(stripNested)
  if (!isPlainObject(v)) return v
  const out = stripVirtual(v)
  for (const [k, x] of Object.entries(out)) out[k] = stripNested(x)
  return out
}

export function normalizeRow(row) {
  if (!isPlainObject(row)) return JSON.parse(JSON.stringify(row ?? null))
  const top = stripVirtual(row)
  for (const [k, v] of Object.entries(top)) {
    // an alias object of a join row, a whole row selected as a field, or
    // an includes field (an array, or for materialize(findOne) one child
    // row, whose fields may hold whole rows too)
    if (isPlainObject(v) || Array.isArray(v)) top[k] = stripNested(v)
  }
  const s = JSON.stringify(top)
  return s === undefined ? null : JSON.parse(s)
}

/** keyId is our KeyID form of a TanStack key (core/ivm/ivm.go KeyID). */
export function keyId(k) {
  switch (typeof k) {
    case 'string': return 's' + k
    case 'number': return 'n' + String(k)
    case 'boolean': return 'b' + String(k)
    case 'undefined': return 'u'
    default:
      if (k === null) return 'z'
      if (Array.isArray(k)) return 'a' + JSON.stringify(k)
      return 'o' + JSON.stringify(k)
  }
}

/** canonical is JSON text with object keys sorted (to see key-order-only differences). */
export function canonical(v) {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`
  if (isPlainObject(v)) return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(',')}}`
  return JSON.stringify(v)
}

const cmpStr = (a, b) => (a < b ? -1 : a > b ? 1 : 0)

/**
 * approxEqual is deep equality where numbers may differ by rounding.
 * EXCEPTION: TanStack re-folds sum/avg over a group's contributions in an
 * order that depends on the change history (db-ivm's reduce), so float sums
 * differ in the last bits between TanStack incremental, TanStack from scratch
 * and any other engine (221.34 vs 221.33999999999997). Numbers within 1e-9
 * relative (or absolute below 1) are accepted as equal. Property order still
 * counts when strictKeyOrder is set.
 */
export function approxEqual(a, b, strictKeyOrder = true) {
  if (typeof a === 'number' && typeof b === 'number') {
    return a === b || Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b))
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => approxEqual(x, b[i], strictKeyOrder))
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a), kb = Object.keys(b)
    if (ka.length !== kb.length) return false
    if (strictKeyOrder && ka.some((k, i) => k !== kb[i])) return false
    return ka.every((k) => Object.hasOwn(b, k) && approxEqual(a[k], b[k], strictKeyOrder))
  }
  return a === b
}

/**
 * compareResults compares TanStack's rows with the engine's rows (each
 * [keyId, value]) under a mode:
 *   ordered        keys, values and order must match
 *   unordered      keys and values must match; order is ignored (sorted by key)
 *   values         keys ignored (distinct), values and order must match
 *   values-set     keys and order ignored (distinct without orderBy)
 * Returns null when equal, else {index, tanstack, engine, note}.
 */
export function compareResults(ts, eng, mode, { strictKeyOrder = true } = {}) {
  if (!Array.isArray(eng)) return { index: -1, tanstack: `${ts.length} rows`, engine: eng, note: 'engine result is not an array' }
  const valueText = (v) => (strictKeyOrder ? JSON.stringify(v) : canonical(v))
  let a = ts.map(([k, v]) => [mode === 'values' || mode === 'values-set' ? '' : k, valueText(v), v])
  let b = eng.map((r) => (Array.isArray(r) && r.length === 2 ? r : ['<bad row>', r]))
    .map(([k, v]) => [mode === 'values' || mode === 'values-set' ? '' : k, valueText(v), v])
  if (mode === 'unordered') {
    a = [...a].sort((x, y) => cmpStr(x[0], y[0]) || cmpStr(x[1], y[1]))
    b = [...b].sort((x, y) => cmpStr(x[0], y[0]) || cmpStr(x[1], y[1]))
  } else if (mode === 'values-set') {
    a = [...a].sort((x, y) => cmpStr(x[1], y[1]))
    b = [...b].sort((x, y) => cmpStr(x[1], y[1]))
  }
  const n = Math.max(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const x = a[i], y = b[i]
    if (x && y && x[0] === y[0] && (x[1] === y[1] || approxEqual(x[2], y[2], strictKeyOrder))) continue
    let note = ''
    if (!x) note = `engine has ${b.length - a.length} extra row(s)`
    else if (!y) note = `engine is missing ${a.length - b.length} row(s)`
    else if (x[0] !== y[0]) note = 'key differs'
    else if (canonical(x[2]) === canonical(y[2])) note = 'values differ only in property order'
    else note = 'value differs'
    if (x && y && a.length !== b.length) note += ` (row counts: tanstack ${a.length}, engine ${b.length})`
    return {
      index: i,
      tanstack: x ? [x[0], x[2]] : undefined,
      engine: y ? [y[0], y[2]] : undefined,
      note,
    }
  }
  return null
}
