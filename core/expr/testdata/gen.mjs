// gen.mjs evaluates a large table of expressions with the evaluator of
// @tanstack/db (compileExpression, the one its live queries use) and prints
// the expressions and their results as JSON: core/expr's tests check every
// case against the Go evaluator.
//
//   node testdata/gen.mjs > testdata/cases.json
//
// Format. Values that JSON cannot hold are tagged objects: {"$js":
// "undefined"}, {"$js": "NaN"}, {"$js": "Infinity"}, {"$js": "-Infinity"}
// (-0 is written as 0: nothing a query returns can tell them apart).
// Expressions are in core/ir's JSON form ({"type": "ref", "path": [...]},
// {"type": "val", "value": v} with no "value" for undefined, {"type":
// "func", "name": ..., "args": [...]}). Refs read the namespaced row
// {r: row, n: null} (alias s is undefined).
//
//   row     the row of alias r
//   pool    values; unary[f][i] = f(pool[i]), binary[f][i][j] = f(pool[i], pool[j]),
//           all arguments as val nodes (each its own copy, as decoded from JSON)
//   refBinary[f][i][j] = f(r.<fields[i]>, r.<fields[j]>) over the row's fields
//   like[f][i][j] = f(likeValues[i], likePatterns[j]) for like and ilike
//   cases   [expression, result] pairs: refs, n-ary logic, lists, case
//           mapping, caseWhen, and random expression trees
import { IR, compileExpression } from '@tanstack/db'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const tanstackVersion = require('@tanstack/db/package.json').version

// ---- encoding -------------------------------------------------------------

function enc(v) {
  if (v === undefined) return { $js: 'undefined' }
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return { $js: 'NaN' }
    if (v === Infinity) return { $js: 'Infinity' }
    if (v === -Infinity) return { $js: '-Infinity' }
    if (Object.is(v, -0)) return 0
  }
  if (typeof v === 'function') throw new Error('function result')
  return v
}

function dec(v) {
  if (v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 1 && '$js' in v) {
    return { undefined: undefined, NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity }[v.$js]
  }
  return v
}

// ---- expressions in IR JSON form ------------------------------------------

const ref = (...path) => ({ type: 'ref', path })
const val = (v) => (v === undefined ? { type: 'val' } : { type: 'val', value: enc(v) })
const fn = (name, ...args) => ({ type: 'func', name, args })

// toIR builds TanStack IR objects; every val node gets its own copy of its
// value, as nodes decoded from JSON have.
function toIR(e) {
  switch (e.type) {
    case 'ref':
      return new IR.PropRef(e.path)
    case 'val':
      return new IR.Value('value' in e ? structuredClone(dec(e.value)) : undefined)
    case 'func':
      return new IR.Func(e.name, e.args.map(toIR))
  }
  throw new Error('bad expression ' + JSON.stringify(e))
}

// ---- data -----------------------------------------------------------------

const pool = [
  undefined, null, true, false,
  0, 1, -1, 1.5, 2, 10, 1e21, 0.1, NaN, Infinity, -Infinity,
  '', 'a', 'A', 'b', 'abc', 'ABC', '10', '9', '2', ' 2 ', '1.5', 'NaN', 'Infinity', '0x10', '1e3',
  'true', 'é', 'É', 'e\u0301', '😀', 'ß', '\uFFFF', 'a,b',
  [], [1], [2], [1, 2], ['a'], ['a', 'b'], [null], [[1, 2], 3], [true], [''],
  {}, { a: 1 },
]

const rowFields = {}
const fieldNames = []
pool.forEach((v, i) => {
  if (v === undefined || (typeof v === 'number' && !Number.isFinite(v))) return
  const name = 'f' + i
  rowFields[name] = v
  fieldNames.push(name)
})
const row = JSON.parse(
  JSON.stringify({
    ...rowFields,
    obj: { a: 1, b: { c: 'deep' }, nul: null, arr: [10, 20, 30], '': 'empty key', 'x.y': 'dotted' },
    nul: null,
    arr: [1, 'two', null, [3], { four: 4 }],
    str: 'héllo',
    emoji: 'a😀b',
    n: 5,
    s: 'Hello World',
    t: true,
    lists: [[], [1, 2, 3], ['a', 'b'], [null], [1, '1'], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'], [true], [false, 0], [[1]], [{}], 'abc'],
  }),
)
const namespaced = { r: row, n: null }

function run(e) {
  const compiled = compileExpression(toIR(e))
  return compiled(namespaced)
}

// ---- sections -------------------------------------------------------------

const unaryFns = ['not', 'isNull', 'isUndefined', 'upper', 'lower', 'length', 'concat', 'coalesce', 'and', 'or', 'array']
const binaryFns = ['eq', 'gt', 'gte', 'lt', 'lte', 'and', 'or', 'in', 'like', 'ilike', 'add', 'subtract', 'multiply', 'divide', 'concat', 'coalesce', 'caseWhen']

const unary = {}
for (const f of unaryFns) unary[f] = pool.map((v) => enc(run(fn(f, val(v)))))

const binary = {}
for (const f of binaryFns) binary[f] = pool.map((a) => pool.map((b) => enc(run(fn(f, val(a), val(b))))))

const refBinaryFns = ['eq', 'gt', 'lte', 'in', 'add', 'concat']
const refBinary = {}
for (const f of refBinaryFns)
  refBinary[f] = fieldNames.map((a) => fieldNames.map((b) => enc(run(fn(f, ref('r', a), ref('r', b))))))

const likeValues = [
  '', 'a', 'abc', 'ABC', 'aBc', 'a%c', 'a_c', '%', '_', '😀', 'a😀c', 'é', 'É', 'e\u0301', 'Straße', 'STRASSE',
  'İ', 'i\u0307', 'ΌΣΟΣ', 'όσος', 'abcabc', 'aaa', 'ab', 'ba', 'x\ny', '%%', 'ab_cd', 'a.c', 'a*c', '[a]', '\\',
  'a\\c', 'K', 'k', 'ǅ', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab',
]
const likePatterns = [
  '', '%', '_', '__', 'a%', '%c', '%b%', 'a_c', 'a__', 'abc', 'ABC', 'a%c', '%a%b%c%', '%%', '_%', '%_', '___',
  '😀', '_😀_', 'a__c', 'a_%_c', 'straße', 'STRASSE', 'strasse', 'i', 'İ', 'i\u0307', 'i_', 'όσος', 'ΌΣΟΣ', '%σ', '%ς',
  'a.c', 'a*c', '[a]', '\\', 'a\\c', '\\%', 'x_y', '%a', 'a%a%a', 'é', 'É', '_\u0301', 'e_', 'k', 'K', 'ǆ', '%a%b',
  '%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%c', 'a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%ac',
]
const like = {}
for (const f of ['like', 'ilike'])
  like[f] = likeValues.map((v) => likePatterns.map((p) => enc(run(fn(f, val(v), val(p))))))

const cases = []
const add = (e) => cases.push([e, enc(run(e))])

// Refs: field walks, null and undefined along the way, array and string
// properties.
for (const path of [
  ['r'], ['r', 'n'], ['r', 'missing'], ['r', 'obj', 'a'], ['r', 'obj', 'b', 'c'], ['r', 'obj', 'missing'],
  ['r', 'obj', 'missing', 'x'], ['r', 'obj', 'nul'], ['r', 'obj', 'nul', 'x'], ['r', 'obj', 'nul', 'x', 'y'],
  ['r', 'nul'], ['r', 'nul', 'x'], ['r', 'nul', 'x', 'y'], ['r', 'obj', ''], ['r', 'obj', 'x.y'],
  ['r', 'arr'], ['r', 'arr', 'length'], ['r', 'arr', '0'], ['r', 'arr', '1'], ['r', 'arr', '2'], ['r', 'arr', '3', '0'],
  ['r', 'arr', '4', 'four'], ['r', 'arr', '5'], ['r', 'arr', '01'], ['r', 'arr', '-1'], ['r', 'arr', '1.0'],
  ['r', 'arr', '2', 'x'], ['r', 'obj', 'arr', '2'], ['r', 'obj', 'arr', 'length'],
  ['r', 'str', 'length'], ['r', 'str', '0'], ['r', 'str', '1'], ['r', 'str', '4'], ['r', 'str', '5'], ['r', 'str', '01'],
  ['r', 'emoji', 'length'], ['r', 'emoji', '0'], ['r', 'emoji', '3'], ['r', 'emoji', '4'],
  ['r', 'n', 'x'], ['r', 'n', 'length'], ['r', 't', 'x'], ['r', 'obj', 'length'], ['r', 'obj', 'a', 'b'],
  ['s'], ['s', 'x'], ['s', 'x', 'y'], ['n'], ['n', 'x'], ['n', 'x', 'y'],
]) {
  add(ref(...path))
  add(fn('isUndefined', ref(...path)))
  add(fn('isNull', ref(...path)))
}

// Identity: the same ref is one object; equal contents are not.
for (const [a, b] of [
  [['r', 'obj'], ['r', 'obj']], [['r', 'arr'], ['r', 'arr']], [['r', 'obj', 'b'], ['r', 'obj', 'b']],
  [['r', 'obj', 'arr'], ['r', 'obj', 'arr']], [['r', 'obj'], ['r', 'arr']], [['r'], ['r']],
  [['r', 'lists', '0'], ['r', 'lists', '0']], [['r', 'lists', '0'], ['r', 'f' + pool.findIndex((v) => Array.isArray(v))]],
]) {
  add(fn('eq', ref(...a), ref(...b)))
  add(fn('in', ref(...a), ref(...b)))
  add(fn('gte', ref(...a), ref(...b)))
}
add(fn('eq', ref('r', 'obj'), val({ a: 1, b: { c: 'deep' }, nul: null, arr: [10, 20, 30], '': 'empty key', 'x.y': 'dotted' })))
add(fn('eq', val([]), val([])))
add(fn('eq', ref('r', 'n'), ref('r', 'n')))
add(fn('eq', ref('s'), ref('s')))
add(fn('eq', ref('r', 'missing'), ref('r', 'missing')))

// N-ary logic over every tuple of up to three operands.
const logicVals = [true, false, null, undefined, 1, 0, '', 'a', NaN]
function tuples(n) {
  if (n === 0) return [[]]
  return tuples(n - 1).flatMap((t) => logicVals.map((v) => [...t, v]))
}
for (let n = 0; n <= 3; n++) {
  for (const t of tuples(n)) {
    add(fn('and', ...t.map(val)))
    add(fn('or', ...t.map(val)))
  }
}
for (const v of logicVals) add(fn('not', val(v)))
// The same through refs (runtime path, not constant folding).
for (const a of ['f2', 'f3', 'f1', 'missing', 'f4', 'f5', 'f16']) {
  for (const b of ['f2', 'f3', 'f1', 'missing']) {
    add(fn('and', ref('r', a), ref('r', b)))
    add(fn('or', ref('r', a), ref('r', b)))
    add(fn('and', ref('r', a), ref('r', b), ref('r', 't')))
    add(fn('or', ref('r', a), ref('r', b), ref('r', 'f3')))
  }
  add(fn('not', ref('r', a)))
}

// in with constant lists and lists read from the row.
const lists = row.lists
for (let li = 0; li < lists.length; li++) {
  for (const v of pool) {
    add(fn('in', val(v), val(lists[li])))
  }
  for (const f of fieldNames) add(fn('in', ref('r', f), ref('r', 'lists', String(li))))
  for (const f of fieldNames) add(fn('in', ref('r', f), val(lists[li])))
}
add(fn('in', ref('r', 'missing'), val([1])))
add(fn('in', val(1), ref('r', 'missing')))
add(fn('in', val(1), val(null)))
add(fn('in', ref('r', 'n'), fn('array', ref('r', 'f5'), ref('r', 'n'))))

// Case mapping: special casing, final sigma, scripts.
const caseStrings = [
  '', 'abc', 'ABC', 'Straße', 'ß', 'ŉ', 'ǅ', 'İstanbul', 'ı', 'ΌΣΟΣ', 'Σ', 'ΑΣ', 'ΑΣ.', 'Α.Σ', 'ΑΣΑ', "Α'Σ'", 'ΣΑ',
  'ᾳ', 'ᾼ', 'ﬁ', 'ﬃ', 'Ǆ', 'ǈ', '😀', 'Ⓐ', 'ⓐ', 'ꭰ', 'Å', 'K', 'ſ', 'ǰ', 'ΐ', 'école', 'ÉCOLE', 'ÀÉÎÕÜ', 'Ω', 'ω',
  'İi', 'a\u0307', 'ΣΣ', 'aΣb', 'aΣ', 'a\u00adΣ', 'a\u00adΣ\u00adb', 'Σ\u0301', 'AΣ\u0301', 'AΣ\u0301b', '1Σ', 'aΣ1',
  '𐐀', '𐐨', 'Ꞌ', 'ᲀ', 'ǅa', 'ＡＢＣ', 'ａｂｃ', 'ꟋꟌ', 'Ɤ', 'ƛ', '𞤀', '𞤢', 'ǈΣ', 'x\u0345', 'ΰ', 'և', 'ẞ',
  'hello world', 'MiXeD CaSe 123', '\u0000a\u0001', 'Ⅻ', 'ⅻ', 'Ꙋ', '\u1e9e', 'ǲ', 'ŀ', 'Ŀ', 'Ǉ',
]
for (const s of caseStrings) {
  add(fn('upper', val(s)))
  add(fn('lower', val(s)))
  add(fn('length', val(s)))
}
add(fn('upper', ref('r', 's')))
add(fn('lower', ref('r', 's')))
add(fn('upper', ref('r', 'obj')))
add(fn('lower', ref('r', 'n')))
add(fn('length', ref('r', 'emoji')))
add(fn('length', ref('r', 'arr')))
add(fn('length', ref('r', 'obj')))

// caseWhen, coalesce, concat with several arguments.
const condVals = [true, false, null, undefined, 1, 0, -1, '', 'a', NaN, [], {}, 'false', '0']
for (const c of condVals) {
  add(fn('caseWhen', val(c), val('yes')))
  add(fn('caseWhen', val(c), val('yes'), val('no')))
  add(fn('caseWhen', val(c), val('first'), val(true), val('second')))
  add(fn('caseWhen', val(false), val('first'), val(c), val('second'), val('default')))
}
add(fn('caseWhen', ref('r', 'missing'), val(1), ref('r', 't'), ref('r', 'n'), val(3)))
add(fn('caseWhen', fn('gt', ref('r', 'n'), val(3)), val('big'), val('small')))
add(fn('caseWhen', fn('gt', ref('r', 'n'), val(9)), val('big')))
for (const args of [[], [null], [undefined, null], [null, 0], [undefined, '', 'x'], [null, NaN, 1], [false, null]]) {
  add(fn('coalesce', ...args.map(val)))
  add(fn('concat', ...args.map(val)))
}
add(fn('coalesce', ref('r', 'missing'), ref('r', 'nul'), ref('r', 'obj', 'b')))
add(fn('concat'))
add(fn('concat', val('a'), val(1), val(null), val(true), val([1, [2, 3], null, {}]), val({}), val(undefined), val(1e21), val(1e-7), val(-0), val(NaN)))
add(fn('concat', ref('r', 's'), val(' '), ref('r', 'n'), ref('r', 'arr'), ref('r', 'missing'), ref('r', 'obj')))

// array, where JSON can hold the result.
add(fn('array'))
add(fn('array', val(1), val('a'), val(null), val([1]), val({ a: 1 })))
add(fn('array', ref('r', 'n'), ref('r', 'obj', 'b')))
add(fn('length', fn('array', val(1), val(2))))
add(fn('concat', fn('array', val(1), val(null), val('x'))))
add(fn('eq', fn('array', val(1)), fn('array', val(1))))

// Arithmetic and comparison through refs.
for (const f of ['add', 'subtract', 'multiply', 'divide']) {
  for (const [a, b] of [['n', 'n'], ['n', 'missing'], ['missing', 'n'], ['missing', 'missing'], ['n', 'nul'], ['s', 'n'], ['n', 's'], ['t', 'n'], ['arr', 'n'], ['obj', 'n'], ['n', 'f4']]) {
    add(fn(f, ref('r', a), ref('r', b)))
  }
}
add(fn('divide', val(1), val(-0)))
add(fn('divide', val(0), val(0)))
add(fn('divide', val(1), val('0')))
add(fn('divide', val(1), val(false)))
add(fn('divide', val(1), val([])))
add(fn('divide', val(1), val(null)))
add(fn('divide', val(1), val(undefined)))
add(fn('multiply', val(-1), val(0)))
add(fn('add', val(0.1), val(0.2)))
add(fn('add', val(1e308), val(1e308)))
add(fn('subtract', val('0x10'), val(' 1 ')))
add(fn('multiply', val([[[3]]]), val('2')))

// Random expression trees (deterministic PRNG). Leaves are constants and
// refs to scalar fields: TanStack compares arrays and objects by reference,
// which JSON values only reproduce for two direct refs to one path.
let seed = 0x5eed
function rand() {
  seed = (seed + 0x6d2b79f5) | 0
  let t = seed
  t = Math.imul(t ^ (t >>> 15), t | 1)
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}
const pick = (xs) => xs[Math.floor(rand() * xs.length)]
const scalarFields = [...fieldNames.filter((f) => row[f] === null || typeof row[f] !== 'object'), 'n', 's', 't', 'str', 'missing', 'nul']
const treeFns = [
  ['eq', 2], ['gt', 2], ['gte', 2], ['lt', 2], ['lte', 2], ['and', 2], ['and', 3], ['or', 2], ['or', 1], ['not', 1],
  ['in', 2], ['like', 2], ['ilike', 2], ['isNull', 1], ['isUndefined', 1], ['upper', 1], ['lower', 1], ['length', 1],
  ['concat', 2], ['concat', 3], ['coalesce', 2], ['caseWhen', 2], ['caseWhen', 3], ['caseWhen', 5], ['add', 2],
  ['subtract', 2], ['multiply', 2], ['divide', 2],
]
function tree(depth) {
  if (depth === 0 || rand() < 0.3) {
    if (rand() < 0.5) return ref('r', pick(scalarFields))
    const v = pick(pool)
    return val(v)
  }
  const [name, n] = pick(treeFns)
  const args = []
  for (let i = 0; i < n; i++) args.push(tree(depth - 1))
  if (name === 'in' && rand() < 0.7) args[1] = val(pick(lists))
  if ((name === 'like' || name === 'ilike') && rand() < 0.7) args[1] = val(pick(likePatterns))
  return fn(name, ...args)
}
for (let i = 0; i < 1000; i++) add(tree(4))

// ---- output ---------------------------------------------------------------

const lines = []
lines.push('{')
lines.push(`"tanstack": ${JSON.stringify(tanstackVersion)},`)
lines.push(`"row": ${JSON.stringify(row)},`)
lines.push(`"pool": ${JSON.stringify(pool.map(enc))},`)
lines.push(`"fields": ${JSON.stringify(fieldNames)},`)
lines.push(`"likeValues": ${JSON.stringify(likeValues)},`)
lines.push(`"likePatterns": ${JSON.stringify(likePatterns)},`)
for (const [name, obj] of [['unary', unary], ['binary', binary], ['refBinary', refBinary], ['like', like]]) {
  lines.push(`"${name}": {`)
  const keys = Object.keys(obj)
  keys.forEach((k, i) => lines.push(`${JSON.stringify(k)}: ${JSON.stringify(obj[k])}${i < keys.length - 1 ? ',' : ''}`))
  lines.push('},')
}
lines.push('"cases": [')
cases.forEach((c, i) => lines.push(JSON.stringify(c) + (i < cases.length - 1 ? ',' : '')))
lines.push(']')
lines.push('}')
process.stdout.write(lines.join('\n') + '\n')
