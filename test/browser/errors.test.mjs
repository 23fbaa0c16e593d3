// Bad input in headless Chromium: queries the package rejects (unknown
// collection, collections of two dbs) or the engine rejects (limit
// without orderBy: QueryCompileError with its clause), a closed db,
// malformed items on the stream, a missing stream. Page code:
// pages/errors.js; each outcome is a line the page shows.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { setup, run, waitText, waitFor, texts, appendEvents, ev } from './harness.mjs'
import { startProxy } from '../node/proxy.mjs'

let ctx, page
let refused // the stream of the CORS test, whose failed requests the page logs

before(async () => {
  ctx = await setup(import.meta.url)
  page = await ctx.open('errors')
})
after(async () => {
  await ctx?.teardown()
  // The browser logs the 404 of the missing stream's request, and the
  // requests its CORS refused (they name that stream).
  const errors = (page?.errors ?? []).filter((e) => !/status of 404 .*does-not-exist/.test(e) && !(refused && e.includes(refused)))
  assert.deepEqual(errors, [], 'the page logged no errors')
})

test('queries that cannot run throw a clear error; a valid one still works', async () => {
  const stream = await ctx.stream()
  await appendEvents(stream, ev('user', '1', { id: '1', name: 'Ann' }), ev('user', '2', { id: '2', name: 'Ben' }), ev('user', '3', { id: '3', name: 'Cy' }))
  await run(page, 'badQueries', { stream, other: await ctx.stream() })
  const lines = await texts(page, '#bad-queries .log li')
  if (process.env.STREAMDB_TEST_VERBOSE) console.log(lines)
  const byLabel = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)]))
  assert.match(byLabel['unknown collection'], /^QueryBuilderError: .*from/, byLabel['unknown collection'])
  assert.match(byLabel['unknown collection'], /\[QueryBuilderError StreamDBError\]/)
  assert.match(byLabel['collections of two dbs'], /^QueryBuilderError: a query can only read collections of one StreamDB/)
  // TanStack's class names, still QueryCompileErrors (test/node/tanstack-errors.test.mjs).
  assert.match(byLabel['limit without orderBy'], /^LimitOffsetRequireOrderByError: .*orderBy.* \[QueryCompileError StreamDBError\] code=QUERY_COMPILE clause=limit$/i)
  assert.match(byLabel['offset without orderBy'], /^LimitOffsetRequireOrderByError: .* \[QueryCompileError StreamDBError\] code=QUERY_COMPILE clause=offset$/i)
  assert.match(byLabel['aggregate in where'], /^UnknownExpressionTypeError: .* \[QueryCompileError StreamDBError\]/)
  assert.equal(byLabel['valid query afterwards'], 'ok object')
  const caught = await waitText(page, '#bad-queries .caught', /LimitOffsetRequireOrderByError/)
  assert.match(caught, /clause=limit/)
})

test('a closed db: writes, queries, preload and awaitTxId throw or reject with ClosedError', async () => {
  const stream = await ctx.stream()
  await appendEvents(stream, ev('user', '1', { id: '1', name: 'Ann' }))
  await run(page, 'closed', { stream })
  const lines = await texts(page, '#closed .log li')
  assert.deepEqual(lines, [
    'before close: Ann ready',
    'live query after close: Ann cleaned-up',
    'liveQuery: ClosedError: StreamDB closed [ClosedError StreamDBError] code=CLOSED',
    'action: ClosedError: StreamDB closed [ClosedError StreamDBError] code=CLOSED',
    'preload: ClosedError: StreamDB closed [ClosedError StreamDBError] code=CLOSED',
    'awaitTxId: ClosedError: StreamDB closed [ClosedError StreamDBError] code=CLOSED',
    'stream.append: ClosedError: StreamDB closed [ClosedError StreamDBError] code=CLOSED',
    'close again: ok',
  ])
})

test('a closed db keeps its collections readable (as the reference: "Collections keep their data")', async () => {
  const stream = await ctx.stream()
  await appendEvents(stream, ev('user', '1', { id: '1', name: 'Ann' }))
  await run(page, 'closedReads', { stream })
  assert.deepEqual(await texts(page, '#closed-reads .log li'), [
    'get: Ann',
    'get: ok',
    'size: 1',
    'size: ok',
    'toArray: Ann',
    'toArray: ok',
    'status: cleaned-up; offset: true',
  ])
})

test('malformed items on the stream: onError gets InvalidEventError for each, later events still arrive', async () => {
  const stream = await ctx.stream()
  await appendEvents(stream, ev('user', '1', { id: '1', name: 'Ann' }))
  await run(page, 'malformed', { stream })
  await waitText(page, '#malformed .users', 'Ann')
  const bad = [
    'just a string',
    42,
    [1, 2],
    null,
    { type: 'user', key: '2', value: { id: '2', name: 'no headers' } },
    { type: 'user', key: '2', value: { id: '2', name: 'bad op' }, headers: { operation: 'explode' } },
    { type: 'user', value: { id: '2', name: 'no key' }, headers: { operation: 'insert' } },
    { type: 'user', key: '2', value: 'primitive', headers: { operation: 'insert' } },
    { type: 'user', key: '2', value: null, headers: { operation: 'update' } },
  ]
  await appendEvents(stream, ...bad)
  await appendEvents(stream, ev('user', '3', { id: '3', name: 'Cy' }))
  await waitText(page, '#malformed .users', 'Ann,Cy')
  // onError runs before the batch's later events are shown, but poll anyway.
  await waitFor(async () => (await texts(page, '#malformed .log li')).length >= bad.length, { what: 'one onError per bad item', timeout: 3000 }).catch(() => {})
  const errors = await texts(page, '#malformed .log li')
  if (process.env.STREAMDB_TEST_VERBOSE) console.log(errors)
  assert.equal(errors.length, bad.length, JSON.stringify(errors, null, 1))
  for (const line of errors) assert.match(line, /^onError: InvalidEventError: .* \[InvalidEventError StreamDBError\] code=INVALID_EVENT offset=true$/)
  // More live events after the bad ones.
  await appendEvents(stream, ev('user', '1', { name: 'Anne' }, 'update'))
  await waitText(page, '#malformed .users', 'Anne,Cy')
  assert.equal(await page.evaluate(() => window.dbs.malformed.collections.users.status), 'ready')
})

test('preload of a missing stream rejects with a StreamError (404)', async () => {
  await run(page, 'missing', { stream: `${ctx.ds}/v1/stream/does-not-exist-${Date.now()}` })
  const lines = await texts(page, '#missing .log li')
  assert.match(lines[0], /^preload: .* \[StreamError StreamDBError\] .*status=404/)
  assert.equal(lines[1], 'status: error')
})

for (const live of ['long-poll', 'sse']) {
  test(`a ${live} read the network keeps silent is made again after idleTimeoutMs; nothing is lost or doubled`, { timeout: 30000 }, async (t) => {
    const stream = await ctx.stream()
    await appendEvents(stream, ev('user', '1', { id: '1', name: 'Ann' }))
    let silence = true
    const proxy = await startProxy(ctx.ds, (req) => {
      if (!silence || !/[?&]live=/.test(req.url)) return null
      silence = false
      return 'silent'
    })
    t.after(() => proxy.close())
    await run(page, 'silent', { stream: proxy.url(stream), live })
    await waitText(page, `#silent-${live} .out`, 'Ann')
    await waitFor(() => proxy.counts.silent === 1, { what: 'the live read to reach the silent proxy' })
    await appendEvents(stream, ev('user', '2', { id: '2', name: 'Ben' }))
    await waitText(page, `#silent-${live} .out`, 'Ann,Ben')
    assert.equal(await page.evaluate((s) => document.querySelector(s).textContent, `#silent-${live} .events`), '1,2')
    await page.evaluate((k) => window.dbs[k].close(), `silent-${live}`)
  })
}

test('more live reads than the browser has connections to the server: the queued ones are not taken for dead', { timeout: 60000 }, async () => {
  // The reference server answers an idle long-poll after 1 s; 14 reads on
  // one host take 6 connections, and the others wait their turn for up to
  // two seconds before their own second, longer than idleTimeoutMs; a read
  // that has its turn is answered within half of it.
  const n = 14
  const streams = await Promise.all(Array.from({ length: n }, () => ctx.stream()))
  await Promise.all(streams.map((s, i) => appendEvents(s, ev('user', '1', { id: '1', name: `Ann${i}` }))))
  await run(page, 'manyReads', { streams, idleTimeoutMs: 2000 })
  for (let i = 0; i < n; i++) await waitText(page, `#many-${i} .out`, `Ann${i}`)
  await new Promise((r) => setTimeout(r, 6000))
  await Promise.all(streams.map((s, i) => appendEvents(s, ev('user', '2', { id: '2', name: `Ben${i}` }))))
  for (let i = 0; i < n; i++) await waitText(page, `#many-${i} .out`, `Ann${i},Ben${i}`)
  const logs = await Promise.all(Array.from({ length: n }, (_, i) => texts(page, `#many-${i} .log li`)))
  assert.deepEqual(logs.flat(), [], 'no read taken for dead, no retry')
  for (let i = 0; i < n; i++) await page.evaluate((k) => window.dbs[k].close(), `many-${i}`)
})

test('a header the server\'s CORS refuses: each failed try is reported, and the retry limit ends in failed', async () => {
  const stream = await ctx.stream()
  refused = new URL(stream).pathname
  await run(page, 'corsRefused', { stream })
  const lines = await texts(page, '#cors-refused .log li')
  const states = lines.filter((l) => l.startsWith('state: '))
  assert.deepEqual(states, ['state: retrying 1', 'state: retrying 2', 'state: failed', 'state: closed'], lines.join(' | '))
  assert.ok(lines.filter((l) => l.startsWith('onError: ')).length >= 3, lines.join(' | '))
  assert.ok(lines.some((l) => /^preload: StreamError: /.test(l)), lines.join(' | '))
  assert.ok(lines.includes('status: error'), lines.join(' | '))
})

// Last: it replaces the page's module instance.
test('the Go program dies: pending calls reject with ModuleExitedError, the db fails, a new db starts a fresh module', async () => {
  const stream = await ctx.stream()
  await appendEvents(stream, ev('user', '1', { id: '1', name: 'Ann' }))
  await run(page, 'moduleExit', { stream })
  const lines = await texts(page, '#module-exit .log li')
  const exited = /^ModuleExitedError: StreamDB's WebAssembly module stopped \(exit code 2\): panic: streamdb: out of memory, say; .* \[ModuleExitedError StreamDBError\] code=MODULE_EXITED$/
  const line = (label) => lines.find((l) => l.startsWith(label)) ?? `no ${label} line in: ${lines.join(' | ')}`
  assert.match(line('awaitTxId: '), new RegExp(`^awaitTxId: ${exited.source.slice(1)}`))
  assert.match(line('append: '), /^append: ModuleExitedError: /)
  assert.match(line('get: '), /^get: ModuleExitedError: /)
  assert.ok(lines.includes('onError: ModuleExitedError'), lines.join(' | '))
  assert.ok(lines.includes('state: failed'), lines.join(' | '))
  assert.ok(lines.includes('status: error error'), lines.join(' | '))
  assert.ok(lines.includes('close: ok'), lines.join(' | '))
  assert.ok(lines.includes('fresh: Ann ready'), lines.join(' | '))
})
