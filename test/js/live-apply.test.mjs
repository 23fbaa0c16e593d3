// The live result mirror (js/live.js _apply): a step's removals and
// insertions, applied by splices when few and by one merge when many, give
// the result the wire format describes (removals from the highest old
// position down, then insertions from the lowest new position up). Random
// steps over a fake db, against that description done naively.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { LiveQuery } from '../../js/live.js'
import { Rng } from '../../internal/querydiff/rng.mjs'

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
    const ordered = rng.int(2) === 0
    let next = 0
    const n = rng.int(60)
    const want = Array.from({ length: n }, () => `k${next++}`)
    const lq = new LiveQuery(fakeDb(want.slice(), want.map((k) => ({ id: k })), ordered), {})
    // A step: some rows leave, some enter at positions of the result after it.
    const raw = []
    const leave = new Set()
    for (let i = 0; i < want.length; i++) if (rng.int(4) === 0) leave.add(i)
    for (const i of leave) raw.push(['d', want[i], { id: want[i] }, null, i, -1])
    let after = want.filter((_, i) => !leave.has(i))
    const enter = rng.int(12)
    const placed = []
    for (let j = 0; j < enter; j++) {
      const k = `k${next++}`
      const at = rng.int(after.length + 1)
      after.splice(at, 0, k)
      placed.push(k)
    }
    for (const k of placed) raw.push(['i', k, { id: k }, null, -1, after.indexOf(k)])
    const calls = []
    lq._apply(raw.sort(() => rng.int(3) - 1), calls)
    assert.deepEqual(lq.toArray.map((r) => r.id), after, `round ${round}: ${raw.length} changes`)
    assert.equal(lq.size, after.length)
    assert.deepEqual(calls.length, 0)
  }
})
