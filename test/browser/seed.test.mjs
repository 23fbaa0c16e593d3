// The seed's code examples (StreamDB's documentation), run in headless
// Chromium against the reference Durable Streams server, with only the
// import paths changed. Page code: pages/seed.js. Each test reads what the
// page shows.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { setup, run, release, waitText, waitTexts, texts, appendEvents, readStream, ev, ROOT } from './harness.mjs'

let ctx, page

before(async () => {
  ctx = await setup(import.meta.url)
  page = await ctx.open('seed')
})
after(async () => {
  await ctx?.teardown()
  assert.deepEqual(page?.errors ?? [], [], 'the page logged no errors')
})

const alice = { id: '1', name: 'Alice', email: 'alice@example.com', active: true }
const bob = { id: '2', name: 'Bob', email: 'bob@example.com', active: false }

test('schema event helpers build the events of the seed and reject invalid values', async () => {
  await run(page, 'helpers', { lib: 'zod' })
  const lines = await texts(page, '#helpers-zod li')
  assert.deepEqual(lines.slice(0, 4), [
    'insert {"type":"user","key":"1","value":{"id":"1","name":"Alice","email":"alice@example.com"},"headers":{"operation":"insert"}}',
    'update {"type":"user","key":"1","value":{"id":"1","name":"Alice Smith","email":"alice@example.com"},"old_value":{"id":"1","name":"Alice","email":"alice@example.com"},"headers":{"operation":"update"}}',
    'delete {"type":"user","key":"1","headers":{"operation":"delete"}}',
    'message {"type":"message","key":"m1","value":{"id":"m1","userId":"1","text":"hi","timestamp":"2025-01-15T12:00:00Z"},"headers":{"operation":"insert"}}',
  ])
  const rejected = lines.slice(4)
  assert.equal(rejected.length, 4)
  for (const [line, what] of rejected.map((l, i) => [l, ['bad email', 'missing name', 'bad oldValue', 'bad message'][i]])) {
    assert.match(line, new RegExp(`^${what}: SchemaValidationError: Validation failed for (user|message) (insert|update)`))
    assert.match(line, /\(SchemaValidationError: true, issues: [1-9]/)
  }
  assert.match(rejected[2], /\(oldValue\)/)
})

test('createStreamDB + preload, and the four useLiveQuery queries update live', async () => {
  const stream = await ctx.stream()
  await appendEvents(stream,
    ev('user', '1', alice),
    ev('user', '2', bob),
    ev('message', 'm1', { id: 'm1', userId: '1', text: 'Hello', timestamp: '1' }),
    ev('message', 'm2', { id: 'm2', userId: '2', text: 'Hi', timestamp: '2' }),
  )
  await run(page, 'queries', { stream, lib: 'zod' })
  const s = '#queries-zod'
  // Rendered from the preloaded state at once.
  await waitTexts(page, `${s} .all li`, ['Alice', 'Bob'])
  await waitTexts(page, `${s} .active li`, ['Alice'])
  assert.deepEqual((await texts(page, `${s} .joined li`)).sort(), ['Alice: Hello', 'Bob: Hi'])
  assert.equal(await waitText(page, `${s} .count`, '2'), '2')
  assert.equal(await waitText(page, `${s} .status`, 'ready,ready,ready,ready'), 'ready,ready,ready,ready')

  // Another writer appends: a new active user with a message, Bob becomes
  // active, the first message goes away.
  await appendEvents(stream,
    ev('user', '3', { id: '3', name: 'Carol', email: 'carol@example.com', active: true }),
    ev('message', 'm3', { id: 'm3', userId: '3', text: 'Hey all', timestamp: '3' }),
  )
  await waitTexts(page, `${s} .all li`, ['Alice', 'Bob', 'Carol'])
  await waitTexts(page, `${s} .active li`, ['Alice', 'Carol'])
  await waitText(page, `${s} .count`, '3')
  await appendEvents(stream,
    ev('user', '2', { active: true }, 'update'),
    ev('message', 'm1', undefined, 'delete'),
  )
  await waitTexts(page, `${s} .active li`, ['Alice', 'Bob', 'Carol'])
  await waitText(page, `${s} .count`, '2')
  assert.deepEqual((await texts(page, `${s} .joined li`)).sort(), ['Bob: Hi', 'Carol: Hey all'])
  // A user renamed: the join follows.
  await appendEvents(stream, ev('user', '3', { name: 'Caroline' }, 'update'))
  await waitTexts(page, `${s} .all li`, ['Alice', 'Bob', 'Caroline'])
  assert.deepEqual((await texts(page, `${s} .joined li`)).sort(), ['Bob: Hi', 'Caroline: Hey all'])
})

test('the four queries under React StrictMode (effects run twice) still update live', async () => {
  const stream = await ctx.stream()
  await appendEvents(stream, ev('user', '1', alice), ev('message', 'm1', { id: 'm1', userId: '1', text: 'Hello', timestamp: '1' }))
  await run(page, 'queries', { stream, lib: 'zod', strict: true })
  const s = '#queries-zod-strict'
  await waitTexts(page, `${s} .all li`, ['Alice'])
  await waitText(page, `${s} .status`, 'ready,ready,ready,ready')
  await appendEvents(stream,
    ev('user', '3', { id: '3', name: 'Carol', email: 'carol@example.com', active: true }),
    ev('message', 'm3', { id: 'm3', userId: '3', text: 'Hey all', timestamp: '3' }),
  )
  await waitTexts(page, `${s} .all li`, ['Alice', 'Carol'])
  await waitTexts(page, `${s} .active li`, ['Alice', 'Carol'])
  await waitText(page, `${s} .count`, '2')
  assert.deepEqual((await texts(page, `${s} .joined li`)).sort(), ['Alice: Hello', 'Carol: Hey all'])
})

test('lifecycle: preload, awaitTxId resolves and times out, close', async () => {
  const stream = await ctx.stream()
  await appendEvents(stream, ev('user', '1', alice))
  await run(page, 'lifecycle', { stream })
  const lines = await texts(page, '#lifecycle li')
  assert.equal(lines[0], 'offset before preload: -1')
  assert.equal(lines[1], 'preload resolved: 1 users, status ready')
  assert.equal(lines[2], 'second preload resolved')
  assert.equal(lines[3], 'awaitTxId(txid) resolved; row: Grace')
  assert.equal(lines[4], 'awaitTxId(seen txid) resolved again: true')
  const m = lines[5].match(/^awaitTxId\(txid-uuid\) rejected after (\d+) ms: (.*)$/)
  assert.ok(m, lines[5])
  assert.equal(m[2], 'Timeout waiting for txid: txid-uuid')
  assert.ok(Number(m[1]) >= 4900 && Number(m[1]) < 9000, `timed out after ${m[1]} ms, wanted about 5000`)
  assert.deepEqual(lines.slice(6), [
    'pending awaitTxId rejected: ClosedError: StreamDB closed (ClosedError: true)',
    'preload after close rejected: ClosedError: StreamDB closed',
    'status after close: cleaned-up',
    'second close: no error',
  ])
})

test('optimistic action: the row shows at once, then is confirmed by the stream', async () => {
  const stream = await ctx.stream()
  await run(page, 'optimistic', { stream })
  const s = '#optimistic-ok-zod'
  await page.click(`${s} button.add`)
  await waitTexts(page, `${s} .users li`, ['Alice <alice@example.com>'])
  await waitText(page, `${s} .status`, 'pending')
  assert.deepEqual(await readStream(stream), [], 'nothing was written yet')
  await release(page, 'optimistic-ok-zod')
  await waitText(page, `${s} .status`, 'completed')
  await waitTexts(page, `${s} .users li`, ['Alice <alice@example.com> (synced)'])
  const items = await readStream(stream)
  assert.equal(items.length, 1)
  assert.equal(items[0].type, 'user')
  assert.deepEqual(items[0].value, { id: '1', name: 'Alice', email: 'alice@example.com' })
  assert.match(items[0].headers.txid, /^[0-9a-f-]{36}$/)
})

test('optimistic action: a failing mutationFn rolls the row back and rejects with its error', async () => {
  const stream = await ctx.stream()
  await appendEvents(stream, ev('user', '2', bob))
  await run(page, 'optimistic', { stream, fail: true })
  const s = '#optimistic-fail-zod'
  await waitTexts(page, `${s} .users li`, ['Bob <bob@example.com> (synced)'])
  await page.click(`${s} button.add`)
  await waitTexts(page, `${s} .users li`, ['Alice <alice@example.com>', 'Bob <bob@example.com> (synced)'])
  await waitText(page, `${s} .status`, 'pending')
  await release(page, 'optimistic-fail-zod')
  await waitText(page, `${s} .status`, 'failed: server said no (original error: true)')
  await waitTexts(page, `${s} .users li`, ['Bob <bob@example.com> (synced)'])
  assert.equal((await readStream(stream)).length, 1, 'nothing was appended')
})

test('an action inserting an invalid value throws SchemaValidationError and changes nothing', async () => {
  const stream = await ctx.stream()
  await run(page, 'optimistic', { stream, lib: 'zod', fail: false })
  const s = '#optimistic-ok-zod'
  await page.fill(`${s} input.user`, JSON.stringify({ id: '9', name: 'Mallory', email: 'nope' }))
  await page.click(`${s} button.add`)
  const status = await waitText(page, `${s} .status`, /^threw /)
  assert.match(status, /^threw SchemaValidationError: Insert validation failed for users: .*\(SchemaValidationError: true\)$/)
  assert.deepEqual(await texts(page, `${s} .users li`), [])
})

test('key/value store pattern', async () => {
  const stream = await ctx.stream()
  await run(page, 'keyValue', { stream })
  await waitTexts(page, '#kv .config li', ['theme=dark'])
  await appendEvents(stream,
    ev('config', 'theme', { key: 'theme', value: 'light' }, 'update'),
    ev('config', 'language', { key: 'language', value: 'en' }),
  )
  await waitTexts(page, '#kv .config li', ['language=en', 'theme=light'])
  await appendEvents(stream, ev('config', 'language', undefined, 'delete'))
  await waitTexts(page, '#kv .config li', ['theme=light'])
})

test('presence tracking pattern', async () => {
  const stream = await ctx.stream()
  await run(page, 'presence', { stream })
  await waitTexts(page, '#presence .everyone li', ['alice: online'])
  await waitTexts(page, '#presence .online li', ['alice'])
  await appendEvents(stream,
    ev('presence', 'bob', { userId: 'bob', status: 'online', lastSeen: 2 }, 'update'),
    ev('presence', 'alice', { userId: 'alice', status: 'away', lastSeen: 3 }, 'update'),
  )
  await waitTexts(page, '#presence .everyone li', ['alice: away', 'bob: online'])
  await waitTexts(page, '#presence .online li', ['bob'])
})

test('multi-type chat room pattern', async () => {
  const stream = await ctx.stream()
  await run(page, 'chat', { stream })
  const s = '#chat-alice'
  await waitTexts(page, `${s} .message`, ['AliceHello from Alice♥'])
  await appendEvents(stream,
    ev('user', 'bob', { id: 'bob', name: 'Bob' }),
    ev('message', 'bob-1', { id: 'bob-1', userId: 'bob', text: 'Hi Alice!', timestamp: new Date().toISOString() }),
    ev('reaction', 'bob-r1', { id: 'bob-r1', messageId: 'alice-1', userId: 'bob', emoji: '♥' }),
    ev('typing', 'bob', { userId: 'bob', isTyping: true }, 'upsert'),
  )
  await waitTexts(page, `${s} .people li`, ['Alice', 'Bob'])
  await waitTexts(page, `${s} .message`, ['AliceHello from Alice♥×2', 'BobHi Alice!'])
  await waitText(page, `${s} .typing`, 'Bob typing…')
  // Alice sends through the page's form.
  await page.fill(`${s} input.draft`, 'How are you?')
  await page.click(`${s} button[type=submit]`)
  await waitText(page, `${s} .message:last-child .text`, 'How are you?')
  await mkdir(join(ROOT, 'test-results'), { recursive: true })
  await page.locator(s).screenshot({ path: join(ROOT, 'test-results', 'chat.png') })
  await appendEvents(stream, ev('typing', 'bob', { userId: 'bob', isTyping: false }, 'upsert'))
  await waitText(page, `${s} .typing`, '')
})

test('use object values: a primitive value is reported through onError and the db goes on', async () => {
  const stream = await ctx.stream()
  await run(page, 'objectValues', { stream })
  await waitTexts(page, '#object-values .counts li', ['views: 42'])
  const errors = await texts(page, '#object-values .log li')
  assert.equal(errors.length, 1, JSON.stringify(errors))
  assert.match(errors[0], /^onError: InvalidEventError: .*\(InvalidEventError: true\)$/)
  assert.match(errors[0], /object/)
  // Still live afterwards.
  await appendEvents(stream, ev('count', 'likes', { id: 'likes', count: 3 }))
  await waitTexts(page, '#object-values .counts li', ['likes: 3', 'views: 42'])
  assert.equal(await page.evaluate(() => window.dbs['object-values'].collections.counts.status), 'ready')
})

test('always call close(): a db made in an effect is closed on unmount', async () => {
  const stream = await ctx.stream()
  await appendEvents(stream, ev('user', '1', alice))
  await run(page, 'closeOnUnmount', { stream })
  await waitTexts(page, '#close .users li', ['Alice'])
  await appendEvents(stream, ev('user', '2', bob))
  await waitTexts(page, '#close .users li', ['Alice', 'Bob'])
  await page.click('#close button.leave')
  assert.deepEqual(await texts(page, '#close .log li'), ['made 1; closed: cleaned-up'])
  assert.deepEqual(await texts(page, '#close .users li'), [])
})

test('always call close() under React StrictMode: effects run twice, the live query still updates', async () => {
  const stream = await ctx.stream()
  await appendEvents(stream, ev('user', '1', alice))
  await run(page, 'closeOnUnmount', { stream, strict: true })
  const s = '#close-strict'
  await waitTexts(page, `${s} .users li`, ['Alice'])
  await appendEvents(stream, ev('user', '2', bob))
  await waitTexts(page, `${s} .users li`, ['Alice', 'Bob'])
  await page.click(`${s} button.leave`)
  // Two dbs, both closed now; the first one's preload was rejected by its close.
  assert.deepEqual(await texts(page, `${s} .log li`), [
    'preload: ClosedError: StreamDB closed',
    'made 2; closed: cleaned-up,cleaned-up',
  ])
})

test('useLiveQuery (React) shows a change made while the component mounts', async () => {
  const stream = await ctx.stream()
  await appendEvents(stream, ev('user', '1', alice))
  await run(page, 'mountRace', { stream })
  // The collection has both rows at once (the action ran in a layout effect).
  assert.equal(await page.evaluate(() => window.dbs['mount-race'].collections.users.size), 2)
  await waitTexts(page, '#mount-race .users li', ['Alice', 'Me'])
})

// Collections no stream feeds (issue 18, item 1), in the page: a
// local-only collection joined with the stream's users by useLiveQuery,
// written outside any transaction, and a live query as another's source.
test('a local-only collection joins the stream\'s collections; a live query is a source', async () => {
  const stream = await ctx.stream()
  await appendEvents(stream,
    ev('user', '1', { ...alice }), ev('user', '2', { ...bob }), ev('user', '3', { id: '3', name: 'Cy', email: 'cy@example.com', active: true }))
  await run(page, 'local', { stream })
  await waitTexts(page, '#local .users li', ['Alice', 'Bob (muted)', 'Cy'])
  const mutedList = () => page.evaluate(() => document.getElementById('local').dataset.muted)
  assert.equal(await mutedList(), 'Bob')
  await page.evaluate(() => window.mute('3'))
  await waitTexts(page, '#local .users li', ['Alice', 'Bob (muted)', 'Cy (muted)'])
  assert.equal(await mutedList(), 'Bob,Cy')
  await page.evaluate(() => window.unmute('2'))
  await waitTexts(page, '#local .users li', ['Alice', 'Bob', 'Cy (muted)'])
  // the stream side moves the join too
  await appendEvents(stream, ev('user', '3', { id: '3', name: 'Cyd', email: 'cy@example.com', active: true }, 'update'))
  await waitTexts(page, '#local .users li', ['Alice', 'Bob', 'Cyd (muted)'])
  assert.equal(await mutedList(), 'Cyd')
  assert.deepEqual(await page.evaluate(() => window.muted.toArray), [{ userId: '3' }])
})
