// useLiveQuery of the React, Vue and Solid adapters in headless Chromium:
// each renders the users of a picked role, updates live when events are
// appended to the stream, rebuilds its query when the role (the query's
// dependency) changes, and shows a disabled query when no role is picked.
// Page code: pages/frameworks.js.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { setup, run, waitText, waitTexts, appendEvents, ev } from './harness.mjs'

let ctx, page

before(async () => {
  ctx = await setup(import.meta.url)
  page = await ctx.open('frameworks')
})
after(async () => {
  await ctx?.teardown()
  assert.deepEqual(page?.errors ?? [], [], 'the page logged no errors')
})

const user = (id, name, role) => ev('user', id, { id, name, role })

for (const fw of ['react', 'vue', 'solid']) {
  test(`${fw}: useLiveQuery updates live and follows its dependencies`, async () => {
    const stream = await ctx.stream()
    await appendEvents(stream, user('1', 'Ann', 'admin'), user('2', 'Ben', 'member'))
    await run(page, fw, { stream })
    const s = `#${fw}`
    await waitTexts(page, `${s} .users li`, ['Ann'])
    await waitText(page, `${s} .status`, 'ready true true')

    // Live: a new admin, Ben promoted.
    await appendEvents(stream, user('3', 'Cy', 'admin'))
    await waitTexts(page, `${s} .users li`, ['Ann', 'Cy'])
    await appendEvents(stream, ev('user', '2', { role: 'admin' }, 'update'))
    await waitTexts(page, `${s} .users li`, ['Ann', 'Ben', 'Cy'])

    // The dependency changes: another query.
    await page.evaluate(([n]) => window.pickRole(n, 'member'), [fw])
    await waitTexts(page, `${s} .users li`, [])
    await appendEvents(stream, user('4', 'Dee', 'member'))
    await waitTexts(page, `${s} .users li`, ['Dee'])
    await appendEvents(stream, ev('user', '1', { role: 'member' }, 'update'))
    await waitTexts(page, `${s} .users li`, ['Ann', 'Dee'])

    // Disabled, then enabled again.
    await page.evaluate(([n]) => window.pickRole(n, ''), [fw])
    await waitText(page, `${s} .status`, 'disabled false false')
    await waitTexts(page, `${s} .users li`, [])
    await page.evaluate(([n]) => window.pickRole(n, 'admin'), [fw])
    await waitTexts(page, `${s} .users li`, ['Ben', 'Cy'])
    await waitText(page, `${s} .status`, 'ready true true')
    await appendEvents(stream, ev('user', '3', undefined, 'delete'))
    await waitTexts(page, `${s} .users li`, ['Ben'])
  })
}

test('react: a live query opened by a render React throws away is disposed', async () => {
  const stream = await ctx.stream()
  await appendEvents(stream, user('1', 'Ann', 'admin'))
  await run(page, 'reactSuspended', { stream })
  await waitText(page, '#reactSuspended .waiting', 'waiting')
  const count = () => page.evaluate(() => window.dbs.reactSuspended._liveQueryCount)
  assert.ok((await count()) >= 1, 'the suspended render opened its query')
  // Unclaimed for longer than the grace period (300 ms in this page).
  await page.waitForFunction(() => window.dbs.reactSuspended._liveQueryCount === 0, null, { timeout: 5000 })
  await page.evaluate(() => window.resume())
  await waitTexts(page, '#reactSuspended .users li', ['Ann'])
  await appendEvents(stream, user('2', 'Ben', 'member'))
  await waitTexts(page, '#reactSuspended .users li', ['Ann', 'Ben'])
  await new Promise((r) => setTimeout(r, 600))
  assert.equal(await count(), 1, 'the committed component keeps exactly one live query past the grace period')
  await appendEvents(stream, user('3', 'Cy', 'member'))
  await waitTexts(page, '#reactSuspended .users li', ['Ann', 'Ben', 'Cy'])
})

test('react: effect dependencies that change after the db closed keep the last result, with no error', async () => {
  const stream = await ctx.stream()
  await appendEvents(stream, user('1', 'Ann', 'admin'))
  await run(page, 'reactClosed', { stream })
  await waitTexts(page, '#reactClosed .users li', ['Ann'])
  await waitText(page, '#reactClosed .status', 'ready 0')
  await page.evaluate(() => window.closeAndRerender())
  await waitText(page, '#reactClosed .status', 'cleaned-up 1')
  await waitTexts(page, '#reactClosed .users li', ['Ann'])
  assert.deepEqual(page.errors, [], 'no ClosedError from the effect')
})

test('vue takes a getter and solid an accessor of a LiveQuery made elsewhere', async () => {
  const stream = await ctx.stream()
  await appendEvents(stream, user('1', 'Ann', 'admin'), user('2', 'Ben', 'member'))
  await run(page, 'liveArgs', { stream })
  await waitText(page, '#liveArgs .vue', 'Ann')
  await waitText(page, '#liveArgs .solid', 'Ann')
  await appendEvents(stream, user('3', 'Cy', 'admin'))
  await waitText(page, '#liveArgs .vue', 'Ann,Cy')
  await waitText(page, '#liveArgs .solid', 'Ann,Cy')
  // The getter's source changes: the hook follows the other LiveQuery.
  await page.evaluate(() => window.switchLive('vue', 'member'))
  await waitText(page, '#liveArgs .vue', 'Ben')
  await waitText(page, '#liveArgs .solid', 'Ann,Cy')
  await page.evaluate(() => window.switchLive('solid', 'member'))
  await waitText(page, '#liveArgs .solid', 'Ben')
  await appendEvents(stream, user('4', 'Dee', 'member'))
  await waitText(page, '#liveArgs .vue', 'Ben,Dee')
  await waitText(page, '#liveArgs .solid', 'Ben,Dee')
  // The hooks did not own those LiveQueries: both are still open.
  assert.equal(await page.evaluate(() => window.dbs.liveArgs._liveQueryCount), 2)
})
