// The live result mirror (js/live.js _apply): a step's removals and
// insertions, applied by splices when few and by one merge when many, give
// the result the wire format describes (removals from the highest old
// position down, then insertions from the lowest new position up). Random
// steps over a fake db, against that description done naively.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { LiveQuery } from '../../js/live.js'
import { Rng } from '../../internal/querydiff/rng.mjs'

// below returns an integer in [0, n) (Rng.int takes both bounds).
const below = (rng, n) => rng.int(0, n - 1)

function fakeDb(keys, rows, ordered) {
  return {
    _openQuery: () => ({ id: 1, keys, rows, ordered, single: false }),
    _status: () => 'ready',
    _register() {},
    _run(fn, x) { fn(x) },
  }
}

test('a step of many changes gives the same result as one splice per change', () => {
  const rng = new Rng(7)
  for (let round = 0; round < 300; round++) {
    const ordered = below(rng, 2) === 0
    let next = 0
    const n = below(rng, 60)
    const want = Array.from({ length: n }, () => `k${next++}`)
    const lq = new LiveQuery(fakeDb(want.slice(), want.map((k) => ({ id: k })), ordered), {})
    // A step: some rows leave, some enter at positions of the result after it.
    const raw = []
    const leave = new Set()
    for (let i = 0; i < want.length; i++) if (below(rng, 4) === 0) leave.add(i)
    for (const i of leave) raw.push(['d', want[i], null, i, -1])
    let after = want.filter((_, i) => !leave.has(i))
    const enter = below(rng, 12)
    const placed = []
    for (let j = 0; j < enter; j++) {
      const k = `k${next++}`
      const at = below(rng, after.length + 1)
      after.splice(at, 0, k)
      placed.push(k)
    }
    for (const k of placed) raw.push(['i', k, { id: k }, -1, after.indexOf(k)])
    const calls = []
    lq._apply(raw.sort(() => below(rng, 3) - 1), calls)
    assert.deepEqual(lq.toArray.map((r) => r.id), after, `round ${round}: ${raw.length} changes`)
    assert.equal(lq.size, after.length)
    assert.deepEqual(calls.length, 0)
  }
})

test('a step of many changes near the end of a large result: rows and keys as one splice per change gives them', () => {
  // The merge moves the rows from the first position the step touches
  // on: changes at the end, the usual case of a live result in key order
  // (new messages), and a first change anywhere before it.
  const rng = new Rng(11)
  for (let round = 0; round < 200; round++) {
    const withKeys = round % 2 === 0
    let next = 0
    const n = 200 + below(rng, 2000)
    const want = Array.from({ length: n }, () => `k${next++}`)
    const lq = new LiveQuery(fakeDb(withKeys ? want.slice() : undefined, want.map((k) => ({ id: k })), false), {})
    const tail = below(rng, 3) === 0 ? n : n - 1 - below(rng, Math.min(n, 30)) // where the step's changes begin
    const raw = []
    const leave = new Set()
    for (let i = tail; i < n; i++) if (below(rng, 3) === 0) leave.add(i)
    for (const i of leave) raw.push(['d', want[i], null, i, -1])
    const after = want.filter((_, i) => !leave.has(i))
    const placed = []
    for (let j = 0, enter = 5 + below(rng, 20); j < enter; j++) {
      const k = `k${next++}`
      const at = Math.min(after.length, tail - leave.size + below(rng, Math.max(1, after.length - tail + leave.size + 1)))
      after.splice(Math.max(0, at), 0, k)
      placed.push(k)
    }
    for (const k of placed) raw.push(['i', k, { id: k }, -1, after.indexOf(k)])
    lq._apply(raw.sort(() => below(rng, 3) - 1), [])
    assert.deepEqual(lq.toArray.map((r) => r.id), after, `round ${round}: ${raw.length} changes from ${tail} of ${n}`)
    if (withKeys) assert.deepEqual([...lq.keys()], after, `round ${round}: the keys`)
  }
})

test("an update's previous value and a delete's value are the rows the user held, which the wire leaves out", () => {
  for (const ordered of [false, true]) {
    const keys = ['a', 'b', 'c', 'd']
    const rows = keys.map((k) => ({ id: k, n: 1 }))
    const held = rows.slice()
    const lq = new LiveQuery(fakeDb(keys.slice(), rows, ordered), {})
    const seen = []
    lq.subscribe((changes) => seen.push(...changes))
    const calls = []
    // b updated in place, d deleted, e inserted: [TYPE, KEY, VALUE, OLDRANK, RANK]
    lq._apply([['u', 'b', { id: 'b', n: 2 }, 1, 1], ['d', 'd', null, 3, -1], ['i', 'e', { id: 'e', n: 1 }, -1, 3]], calls)
    for (const [fn, changes] of calls) fn(changes)
    const byType = Object.fromEntries(seen.map((c) => [c.type, c]))
    assert.equal(byType.update.previousValue, held[1], 'the update: previousValue is the row held before')
    assert.deepEqual(byType.update.value, { id: 'b', n: 2 })
    assert.equal(byType.delete.value, held[3], 'the delete: value is the row held before')
    assert.deepEqual(lq.toArray.map((r) => `${r.id}${r.n}`), ['a1', 'b2', 'c1', 'e1'])
  }
})
