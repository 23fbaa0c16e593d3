// What @durable-streams/state exports beyond the StreamDB, and what its
// ./db entry re-exports of TanStack DB, checked against both packages
// (issue 18, item 1): MaterializedState against @durable-streams/state
// 0.3.1's on random event sequences; deepEquals against @tanstack/db
// 0.15.2's on random pairs of values; the ./db subpath's exports.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import * as refState from '@durable-streams/state'
import * as T from '@tanstack/db'
import { MaterializedState, deepEquals } from '@streamdb/streamdb'
import * as oursDb from '@streamdb/streamdb/db'
import * as oursMain from '@streamdb/streamdb'
import { Rng } from '../../internal/querydiff/rng.mjs'

// below returns an integer in [0, n) (Rng.int takes both bounds).
const below = (rng, n) => rng.int(0, n - 1)

test('MaterializedState answers as the reference\'s after every event', () => {
  const rng = new Rng(5)
  const ops = ['insert', 'update', 'upsert', 'delete', 'bogus']
  for (let round = 0; round < 200; round++) {
    const ours = new MaterializedState()
    const ref = new refState.MaterializedState()
    const view = (s) => JSON.stringify([s.typeCount, s.types, s.types.map((t) => [...s.getType(t)]), s.get('a', 'k1'), [...s.getType('nope')]])
    for (let i = 0; i < 30; i++) {
      const e = { type: ['a', 'b', 'c'][below(rng, 3)], key: `k${below(rng, 4)}`, headers: { operation: ops[below(rng, ops.length)] } }
      if (below(rng, 3) > 0) e.value = below(rng, 2) ? { n: i } : i
      if (below(rng, 10) === 0) {
        ours.applyBatch([e, e])
        ref.applyBatch([e, e])
      } else {
        ours.apply(e)
        ref.apply(e)
      }
      if (below(rng, 40) === 0) {
        ours.clear()
        ref.clear()
      }
      assert.equal(view(ours), view(ref), `round ${round}, event ${i}: ${JSON.stringify(e)}`)
    }
    // getType is the live Map, as the reference's.
    const live = ours.getType('a')
    ours.apply({ type: 'a', key: 'z', value: 1, headers: { operation: 'insert' } })
    assert.equal(live.get('z') ?? ours.getType('a').get('z'), 1)
  }
})

test('deepEquals agrees with TanStack DB\'s on random pairs of values', () => {
  const rng = new Rng(11)
  const pick = (xs) => xs[below(rng, xs.length)]
  const gen = (d = 0) => {
    const r = below(rng, 100)
    if (d > 3 || r < 35) return pick([0, -0, 1, NaN, 'a', 'b', '', true, false, null, undefined, 1n])
    if (r < 50) return Array.from({ length: below(rng, 3) }, () => gen(d + 1))
    if (r < 65) {
      const o = {}
      for (let i = below(rng, 3); i > 0; i--) o[pick(['x', 'y', 'z'])] = gen(d + 1)
      return o
    }
    if (r < 70) return new Date(pick([0, 1, NaN]))
    if (r < 75) return new Map(Array.from({ length: below(rng, 3) }, () => [pick(['k', 1]), gen(d + 1)]))
    if (r < 82) return new Set(Array.from({ length: below(rng, 3) }, () => gen(d + 1)))
    if (r < 86) return pick([/a/, /a/g, /b/])
    if (r < 90) return pick([new Uint8Array([1, 2]), new Uint8Array([1]), new Float64Array([NaN]), new Int8Array([1, 2])])
    if (r < 94) return Object.assign(Object.create(null), { x: gen(d + 1) })
    return pick([new URL('http://a/'), new URL('http://b/'), new (class A {})(), Object.assign(new (class B {})(), { x: 1 })])
  }
  const copy = (v, d = 0) => {
    if (below(rng, 12) === 0) return gen(d)
    if (Array.isArray(v)) return v.map((x) => copy(x, d + 1))
    if (v instanceof Map) return new Map([...v].map(([k, x]) => [k, copy(x, d + 1)]))
    if (v instanceof Set) return new Set([...v].reverse().map((x) => copy(x, d + 1)))
    if (v instanceof Date) return new Date(v.getTime())
    const p = v !== null && typeof v === 'object' ? Object.getPrototypeOf(v) : undefined
    if (p === Object.prototype || p === null) {
      const o = p === null && below(rng, 2) ? Object.create(null) : {}
      for (const k of Object.keys(v).reverse()) o[k] = copy(v[k], d + 1)
      return o
    }
    return v
  }
  let equal = 0
  for (let i = 0; i < 50000; i++) {
    const a = gen()
    const b = below(rng, 2) ? copy(a) : gen()
    const want = T.deepEquals(a, b)
    if (want) equal++
    if (deepEquals(a, b) !== want) assert.fail(`pair ${i}: TanStack says ${want} for ${String(a)} and ${String(b)}`)
  }
  assert.ok(equal > 10000, `${equal} equal pairs`)
})

test('the ./db subpath exports every name the reference\'s does', async () => {
  const ref = await import('@durable-streams/state/db')
  for (const name of Object.keys(ref)) assert.equal(typeof oursDb[name], typeof ref[name], `./db exports ${name}`)
  for (const name of Object.keys(refState)) assert.equal(typeof oursMain[name], typeof refState[name], `. exports ${name}`)
  for (const name of Object.keys(oursMain)) assert.equal(oursDb[name], oursMain[name], `./db also exports ${name} of the main entry`)
})
