// The seed's schema examples with each Standard Schema library (zod,
// valibot, arktype): the event helpers, a live query over a StreamDB built
// from the schema, an optimistic action, and invalid values rejected by
// the helpers and inside actions. Page code: pages/seed.js, pages/schemas.js.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { setup, run, release, waitText, waitTexts, texts, appendEvents, readStream, ev } from './harness.mjs'

let ctx, page

before(async () => {
  ctx = await setup(import.meta.url)
  page = await ctx.open('seed')
})
after(async () => {
  await ctx?.teardown()
  assert.deepEqual(page?.errors ?? [], [], 'the page logged no errors')
})

for (const lib of ['zod', 'valibot', 'arktype']) {
  test(`${lib}: event helpers validate, and build the same events`, async () => {
    await run(page, 'helpers', { lib })
    const lines = await texts(page, `#helpers-${lib} li`)
    assert.equal(lines.length, 8, JSON.stringify(lines))
    assert.equal(lines[0], 'insert {"type":"user","key":"1","value":{"id":"1","name":"Alice","email":"alice@example.com"},"headers":{"operation":"insert"}}')
    assert.match(lines[1], /^update \{"type":"user","key":"1","value":\{[^}]*"Alice Smith"/)
    assert.equal(lines[2], 'delete {"type":"user","key":"1","headers":{"operation":"delete"}}')
    assert.match(lines[3], /^message \{"type":"message","key":"m1"/)
    assert.match(lines[4], /^bad email: SchemaValidationError: Validation failed for user insert: .+ \(SchemaValidationError: true, issues: [1-9]/)
    assert.match(lines[5], /^missing name: SchemaValidationError: Validation failed for user insert: .+ \(SchemaValidationError: true, issues: [1-9]/)
    assert.match(lines[6], /^bad oldValue: SchemaValidationError: Validation failed for user update \(oldValue\): .+ \(SchemaValidationError: true/)
    assert.match(lines[7], /^bad message: SchemaValidationError: Validation failed for message insert: .+ \(SchemaValidationError: true/)
  })

  test(`${lib}: a StreamDB of the schema: live queries and an optimistic action`, async () => {
    const stream = await ctx.stream()
    await appendEvents(stream,
      ev('user', '1', { id: '1', name: 'Alice', email: 'alice@example.com', active: true }),
      ev('message', 'm1', { id: 'm1', userId: '1', text: 'Hello', timestamp: '1' }),
    )
    await run(page, 'queries', { stream, lib })
    const s = `#queries-${lib}`
    await waitTexts(page, `${s} .all li`, ['Alice'])
    await waitTexts(page, `${s} .joined li`, ['Alice: Hello'])
    await appendEvents(stream, ev('user', '2', { id: '2', name: 'Bob', email: 'bob@example.com', active: true }))
    await waitTexts(page, `${s} .active li`, ['Alice', 'Bob'])

    const stream2 = await ctx.stream()
    await run(page, 'optimistic', { stream: stream2, lib })
    const o = `#optimistic-ok-${lib}`
    await page.click(`${o} button.add`)
    await waitTexts(page, `${o} .users li`, ['Alice <alice@example.com>'])
    await release(page, `optimistic-ok-${lib}`)
    await waitText(page, `${o} .status`, 'completed')
    await waitTexts(page, `${o} .users li`, ['Alice <alice@example.com> (synced)'])
  })

  test(`${lib}: an invalid value inside an action throws SchemaValidationError`, async () => {
    const stream = await ctx.stream()
    await run(page, 'optimistic', { stream, lib })
    const o = `#optimistic-ok-${lib}`
    for (const bad of [
      { id: '9', name: 'Mallory', email: 'nope' },
      { id: '9', email: 'mallory@example.com' },
      { id: 9, name: 'Mallory', email: 'mallory@example.com' },
    ]) {
      await page.evaluate((s) => { document.querySelector(`${s} .status`).textContent = '' }, o)
      await page.fill(`${o} input.user`, JSON.stringify(bad))
      await page.click(`${o} button.add`)
      const status = await waitText(page, `${o} .status`, /^threw /)
      assert.match(status, /^threw SchemaValidationError: Insert validation failed for users: .+ \(SchemaValidationError: true\)$/, JSON.stringify(bad))
    }
    assert.deepEqual(await texts(page, `${o} .users li`), [])
    assert.deepEqual(await readStream(stream), [])
  })
}
