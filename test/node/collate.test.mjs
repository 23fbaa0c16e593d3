// Locale order (orderBy with stringSort 'locale', TanStack DB's default)
// through the package: the module ranks the strings it sorts with the
// page's Intl.Collator in bulk (js/collate.js) and compares ranks; the
// order must be localeCompare's, for a first result and for strings that
// arrive live, including many that fall between the same two neighbours
// (which uses up the room between their ranks).
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createStateSchema, createStreamDB, liveQuery } from '@streamdb/streamdb'
import { startServer, createStream, appendEvents, until } from './server.mjs'

let srv
before(async () => { srv = await startServer({ longPollMs: 1000 }) })
after(async () => { await srv?.stop() })

const schema = createStateSchema({ people: { type: 'person', primaryKey: 'id' } })
const person = (id, name) => schema.people.insert({ value: { id, name } })

// Names that locale order and code unit order sort differently.
const parts = ['a', 'A', 'á', 'b', 'Æ', 'e', 'é', 'E', 'z', 'Z', 'ö', 'o', 'ß', 's', '1', '10', '2', ' ', '-']
function names(n, seed, from = parts) {
  let x = seed
  const rnd = () => (x = (x * 1103515245 + 12345) % 2147483648) / 2147483648
  return Array.from({ length: n }, () => Array.from({ length: 1 + Math.floor(rnd() * 5) }, () => from[Math.floor(rnd() * from.length)]).join(''))
}

// named gives a batch of names their people's ids: prefix0000, prefix0001, ...
const named = (prefix, list) => list.map((name, i) => ({ id: `${prefix}${String(i).padStart(4, '0')}`, name }))

// openPeople appends the people to a new stream and opens a StreamDB on
// it, preloaded (closed after the test).
async function openPeople(t, people) {
  const url = await createStream(srv.url)
  await appendEvents(url, ...people.map((r) => person(r.id, r.name)))
  const db = createStreamDB({ streamOptions: { url }, state: schema })
  t.after(() => db.close())
  await db.preload()
  return { url, db }
}

// expected orders rows by name with collator, ties by id in code unit
// order (the engine's key order).
function expected(rows, collator, desc = false) {
  return [...rows].sort((a, b) => (desc ? collator.compare(b.name, a.name) : collator.compare(a.name, b.name)) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).map((r) => r.id)
}

for (const [label, opts, collator] of [
  ['default locale', {}, new Intl.Collator()],
  ['de, sensitivity base, descending', { locale: 'de', localeOptions: { sensitivity: 'base' }, desc: true }, new Intl.Collator('de', { sensitivity: 'base' })],
  ['numeric', { localeOptions: { numeric: true } }, new Intl.Collator(undefined, { numeric: true })],
]) {
  test(`locale order, first result and live: ${label}`, async (t) => {
    const initial = named('p', names(600, 7))
    const { url, db } = await openPeople(t, initial)
    const order = { direction: opts.desc ? 'desc' : 'asc', stringSort: 'locale', ...(opts.locale ? { locale: opts.locale } : {}), ...(opts.localeOptions ? { localeOptions: opts.localeOptions } : {}) }
    const all = liveQuery((q) => q.from({ p: db.collections.people }).orderBy(({ p }) => p.name, order))
    const top = liveQuery((q) => q.from({ p: db.collections.people }).orderBy(({ p }) => p.name, order).limit(20))
    t.after(() => { all.dispose(); top.dispose() })
    assert.deepEqual(all.data.map((r) => r.id), expected(initial, collator, opts.desc))
    assert.deepEqual(top.data.map((r) => r.id), expected(initial, collator, opts.desc).slice(0, 20))

    // Live: new names anywhere, then 80 that all fall between the same two.
    const more = named('q', names(150, 11))
    const squeezed = named('r', Array.from({ length: 80 }, (_, i) => 'm' + 'z'.repeat(i + 1)))
    const live = [...more, ...squeezed]
    for (let i = 0; i < live.length; i += 23) await appendEvents(url, ...live.slice(i, i + 23).map((r) => person(r.id, r.name)))
    const everyone = [...initial, ...live]
    await until(() => all.size === everyone.length, 'the live names to arrive')
    assert.deepEqual(all.data.map((r) => r.id), expected(everyone, collator, opts.desc))
    assert.deepEqual(top.data.map((r) => r.id), expected(everyone, collator, opts.desc).slice(0, 20))
  })
}

// Names of printable ASCII alone compare in the module (the default
// locale's collator orders ASCII as the root collation does); the first
// live batch with other names ranks every name seen so far through the
// page's collator. The order must stay localeCompare's throughout.
test('locale order: ASCII names, then a live batch of others, then ASCII again', async (t) => {
  const asciiParts = ['a', 'A', 'b', 'B', 'z', 'Z', 'o', 's', 'ch', '1', '10', '2', ' ', '-', '_', '.', '~', "'"]
  const asciiNames = (n, seed) => names(n, seed, asciiParts)
  const collator = new Intl.Collator()
  const initial = named('p', asciiNames(500, 3))
  const { url, db } = await openPeople(t, initial)
  const all = liveQuery((q) => q.from({ p: db.collections.people }).orderBy(({ p }) => p.name, { stringSort: 'locale' }))
  const top = liveQuery((q) => q.from({ p: db.collections.people }).orderBy(({ p }) => p.name, { direction: 'desc', stringSort: 'locale' }).limit(15))
  t.after(() => { all.dispose(); top.dispose() })
  let everyone = [...initial]
  const check = () => {
    assert.deepEqual(all.data.map((r) => r.id), expected(everyone, collator))
    assert.deepEqual(top.data.map((r) => r.id), expected(everyone, collator, true).slice(0, 15))
  }
  check()
  const batches = [
    named('q', asciiNames(60, 5)),
    named('r', names(60, 9)),
    named('s', asciiNames(60, 13)),
  ]
  for (const batch of batches) {
    await appendEvents(url, ...batch.map((r) => person(r.id, r.name)))
    everyone = [...everyone, ...batch]
    await until(() => all.size === everyone.length, 'the live names to arrive')
    check()
  }
})

// A flow of renames: more distinct names than the module's collation keeps
// (core/jswire/collate.go, forgetAt) go through a live locale order, which
// then forgets the names it ranked (in the module and in js/collate.js)
// instead of holding every name ever sorted. The order stays
// localeCompare's across the forgets.
test('locale order: a long flow of renames, past what the collation keeps', { timeout: 120000 }, async (t) => {
  const collator = new Intl.Collator()
  const initial = named('p', names(1000, 21))
  const { url, db } = await openPeople(t, initial)
  const all = liveQuery((q) => q.from({ p: db.collections.people }).orderBy(({ p }) => p.name, { stringSort: 'locale' }))
  const top = liveQuery((q) => q.from({ p: db.collections.people }).orderBy(({ p }) => p.name, { direction: 'desc', stringSort: 'locale' }).limit(15))
  t.after(() => { all.dispose(); top.dispose() })
  const current = new Map(initial.map((r) => [r.id, r.name]))
  let n = 0
  for (let batch = 0; batch < 40; batch++) {
    const renames = []
    for (let i = 0; i < 1000; i++, n++) {
      const id = initial[(n * 7) % initial.length].id
      const name = `é${n} ${names(1, n, parts)[0]}` // distinct, outside ASCII: ranked
      current.set(id, name)
      renames.push(schema.people.update({ value: { id, name } }))
    }
    await appendEvents(url, ...renames)
  }
  const last = [...current].map(([id, name]) => ({ id, name }))
  await until(() => all.data.every((r) => current.get(r.id) === r.name), 'the renames to arrive')
  assert.deepEqual(all.data.map((r) => r.id), expected(last, collator))
  assert.deepEqual(top.data.map((r) => r.id), expected(last, collator, true).slice(0, 15))
})
