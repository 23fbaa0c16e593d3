// End-to-end test of the chat example (example/) as `make demo` runs it:
// the reference server with file storage and the example's Vite dev
// server, both started by scripts/demo.mjs on free ports, and two users in
// two browser contexts of headless Chromium (playwright-core).
//
//   node --test test/e2e/
//
// Needs dist/ (make build; built here when missing) and Chromium ($CHROMIUM,
// else `chromium` on PATH). Writes test-results/demo.png (the room after a
// restart), phone.png and phone-people.png (a 390x844 screen).
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { createServer as createNetServer } from 'node:net'
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join as path } from 'node:path'
import { chromium } from 'playwright-core'
import { ROOT, startDemo } from '../../scripts/demo.mjs'

const TYPING_S = 3 // typing indicators last 3 s in this test (?typing=3)
const LATENCY_MS = 300 // Alice's writes wait 300 ms (?latency=300), so "sending…" is seen
const NOTICE_MS = 6000 // an error notice goes away after 6 s (example/src/App.jsx)
const LIVE_QUERIES = 6 // useLiveQuery calls of a joined user's page (example/src/App.jsx)

function chromiumPath() {
  if (process.env.CHROMIUM) return process.env.CHROMIUM
  const r = spawnSync('sh', ['-c', 'command -v chromium || command -v chromium-browser'], { encoding: 'utf8' })
  const path = r.stdout.trim().split('\n')[0]
  if (!path) throw new Error('chromium not found on PATH (make deps installs it; or set CHROMIUM)')
  return path
}

/** until polls fn until it returns a truthy value, and returns that value. */
async function until(what, fn, { timeout = 10000, every = 25 } = {}) {
  const deadline = Date.now() + timeout
  let last
  for (;;) {
    try {
      last = await fn()
      if (last) return last
    } catch (e) {
      last = e
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`)
    await new Promise((r) => setTimeout(r, every))
  }
}

const dataDir = mkdtempSync(path(tmpdir(), 'streamdb-e2e-'))
const problems = [] // page errors, console errors, dialogs: none expected
const timings = {}
let demo
let browser
let alice
let bob

/** open opens the app in a new context and waits until it has preloaded. */
async function open(name, query = '') {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } })
  const page = await context.newPage()
  page.on('pageerror', (e) => problems.push(`${name}: page error: ${e.message} ${e.stack}`))
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`${name}: console error: ${m.text()}`)
  })
  page.on('dialog', (d) => {
    problems.push(`${name}: dialog ${d.type()}: ${d.message()}`)
    d.dismiss().catch(() => {})
  })
  await page.goto(`${demo.url}?typing=${TYPING_S}${query}`)
  await page.waitForSelector('html[data-ready]', { state: 'attached', timeout: 30000 })
  return page
}

async function join(page, name) {
  await page.fill('#name-input', name)
  await page.click('#join-form button[type=submit]')
  await page.waitForSelector('#message-input')
}

async function post(page, text) {
  await page.fill('#message-input', text)
  await page.press('#message-input', 'Enter')
}

/** The texts of the messages on a page, oldest first. */
const messageTexts = (page) => page.$$eval('#messages .message .text', (els) => els.map((e) => e.textContent))

/** overlaps tells whether two boxes ({x, y, width, height}) share any area. */
const overlaps = (a, b) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height

/** The boxes of the error notices shown on a page. */
const noticeBoxes = (page) => page.locator('#notices .notice').evaluateAll((els) => els.map((e) => e.getBoundingClientRect().toJSON()))

/** The id of the message whose text is exactly text. */
async function messageId(page, text) {
  return until(`message ${JSON.stringify(text)}`, () =>
    page.$$eval('#messages .message', (els, t) => els.find((e) => e.querySelector('.text')?.textContent === t)?.dataset.id, text))
}

/** The count shown on one reaction button ('' when there is none). */
const reactionCount = (page, id, emoji) =>
  page.$$eval(`#messages .message[data-id="${id}"] .reaction[data-emoji="${emoji}"] .count`, (els) => els[0]?.textContent ?? '')

/** The reaction chips under a message: [[emoji, count], ...]. */
const chips = (page, id) =>
  page.$$eval(`#messages .message[data-id="${id}"] .reaction`, (els) => els.map((e) => [e.dataset.emoji, e.querySelector('.count').textContent]))

/**
 * react presses emoji under a message as a person does: its chip when the
 * message has that reaction, else the add-a-reaction button and the emoji
 * in its picker.
 */
async function react(page, id, emoji) {
  const msg = `#messages .message[data-id="${id}"]`
  const chip = await page.$(`${msg} .reaction[data-emoji="${emoji}"]`)
  if (chip) return chip.click()
  await page.click(`${msg} .add-reaction`)
  await page.click(`${msg} .picker button[data-emoji="${emoji}"]`)
}

async function waitCount(page, id, emoji, want) {
  await until(`${emoji} count ${want} on ${id}`, async () => (await reactionCount(page, id, emoji)) === want)
}

before(async () => {
  const t0 = Date.now()
  demo = await startDemo({
    dataDir,
    port: 0,
    dsPort: 0,
    build: !existsSync(path(ROOT, 'dist/streamdb.wasm')),
    logLevel: 'warn',
  })
  browser = await chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
  })
  timings.start = Date.now() - t0
})

after(async () => {
  await browser?.close()
  await demo?.stop()
  rmSync(dataDir, { recursive: true, force: true })
  console.log(`# timings (ms): ${JSON.stringify(timings)}`)
})

describe('chat example', { timeout: 110000 }, () => {
  it('opens a new room seeded with a welcome message, and two users join', async () => {
    assert.equal(demo.created, true)
    const t0 = Date.now()
    ;[alice, bob] = await Promise.all([open('alice', `&latency=${LATENCY_MS}`), open('bob')])
    timings.firstLoad = Date.now() - t0
    await join(alice, 'Alice')
    await join(bob, 'Bob')
    for (const page of [alice, bob]) {
      await until('the welcome message', async () => /^Welcome!/.test((await messageTexts(page))[0] ?? ''))
      await until('both users listed', async () => {
        const names = await page.$$eval('#people .name', (els) => els.map((e) => e.textContent))
        return names.includes('Alice') && names.includes('Bob') && names.includes('StreamDB')
      })
    }
    assert.equal(await alice.getAttribute('html', 'data-theme'), 'light')
  })

  it('A posts: pending on A until persisted, live on B with the author name', async () => {
    const text = 'Hello from Alice'
    const t0 = Date.now()
    await post(alice, text)
    const id = await messageId(alice, text)
    // Optimistic: on A at once, marked as sending.
    assert.equal(await alice.textContent(`.message[data-id="${id}"] .sending`), 'sending…')
    // Live on B, with the author's name from the join.
    await bob.waitForSelector(`.message[data-id="${id}"]`)
    timings.postToPeer = Date.now() - t0
    assert.equal(await bob.textContent(`.message[data-id="${id}"] .author`), 'Alice')
    assert.equal(await bob.textContent(`.message[data-id="${id}"] .text`), text)
    // Persisted: the marker goes, the message stays.
    await alice.waitForSelector(`.message[data-id="${id}"] .sending`, { state: 'detached' })
    assert.equal(await alice.textContent(`.message[data-id="${id}"] .text`), text)
    // B replies; A sees it.
    await post(bob, 'Hi Alice, Bob here')
    const reply = await messageId(alice, 'Hi Alice, Bob here')
    assert.equal(await alice.textContent(`.message[data-id="${reply}"] .author`), 'Bob')
  })

  it('reaction counts update in both pages', async () => {
    const id = await messageId(alice, 'Hello from Alice')
    const t0 = Date.now()
    await react(alice, id, '👍')
    await waitCount(alice, id, '👍', '1')
    await waitCount(bob, id, '👍', '1')
    timings.reactionToPeer = Date.now() - t0
    await react(bob, id, '👍')
    await react(bob, id, '🎉')
    for (const page of [alice, bob]) {
      await waitCount(page, id, '👍', '2')
      await waitCount(page, id, '🎉', '1')
    }
    // Alice takes hers back.
    await until('Alice pressed 👍', async () =>
      (await alice.getAttribute(`.message[data-id="${id}"] .reaction[data-emoji="👍"]`, 'aria-pressed')) === 'true')
    await react(alice, id, '👍')
    for (const page of [alice, bob]) await waitCount(page, id, '👍', '1')
    assert.equal(await alice.getAttribute(`.message[data-id="${id}"] .reaction[data-emoji="👍"]`, 'aria-pressed'), 'false')
    assert.equal(await bob.getAttribute(`.message[data-id="${id}"] .reaction[data-emoji="👍"]`, 'aria-pressed'), 'true')
  })

  it('a message shows only the reactions it has: none, then the one added, with its count', async () => {
    const id = await messageId(alice, 'Hi Alice, Bob here')
    for (const page of [alice, bob]) {
      assert.deepEqual(await chips(page, id), [])
      assert.equal(await page.$(`.message[data-id="${id}"] .reactions`), null, 'no empty reaction row')
    }
    await react(bob, id, '😂')
    for (const page of [alice, bob]) await until(`one 😂 chip on ${id}`, async () => JSON.stringify(await chips(page, id)) === '[["😂","1"]]')
    assert.equal(await bob.$(`.message[data-id="${id}"] .picker`), null, 'the picker closes once an emoji is picked')
    // Alice adds hers by pressing the chip.
    await react(alice, id, '😂')
    for (const page of [alice, bob]) await until(`😂 2 on ${id}`, async () => JSON.stringify(await chips(page, id)) === '[["😂","2"]]')
    // Both take theirs back: no chip is left.
    await react(alice, id, '😂')
    await until('😂 1 on Bob\'s page', async () => JSON.stringify(await chips(bob, id)) === '[["😂","1"]]')
    await react(bob, id, '😂')
    for (const page of [alice, bob]) await until(`no chip on ${id}`, async () => (await chips(page, id)).length === 0)
  })

  it('the room runs under React StrictMode: one live query per list, no doubled rows', async () => {
    for (const page of [alice, bob]) {
      // The app's root renders <StrictMode> (React keeps the root's fiber on its container).
      assert.equal(await page.evaluate(() => {
        const root = document.getElementById('root')
        const fiber = root[Object.keys(root).find((k) => k.startsWith('__reactContainer$'))]
        return fiber?.child?.elementType === Symbol.for('react.strict_mode')
      }), true, 'rendered under StrictMode')
      // StrictMode mounts every component twice: no live query is left open twice.
      await until(`${LIVE_QUERIES} live queries`, () => page.evaluate((n) => window.db._liveQueryCount === n, LIVE_QUERIES), { timeout: 8000 })
      // Every message once, in the page and in the collection.
      const ids = await page.$$eval('#messages .message', (els) => els.map((e) => e.dataset.id))
      assert.equal(new Set(ids).size, ids.length, `no message twice: ${ids}`)
      assert.deepEqual([...ids].sort(), (await page.evaluate(() => [...window.db.collections.messages.keys()])).sort())
      const names = await page.$$eval('#people .name', (els) => els.map((e) => e.textContent))
      assert.deepEqual(names, ['Alice', 'Bob', 'StreamDB'])
    }
    // Still live after StrictMode's remount: a message from one is on the other, once.
    await post(bob, 'Still live')
    const id = await messageId(alice, 'Still live')
    await alice.waitForSelector(`.message[data-id="${id}"]`)
    assert.equal((await messageTexts(alice)).filter((t) => t === 'Still live').length, 1)
    assert.equal(await alice.evaluate((n) => window.db._liveQueryCount, LIVE_QUERIES), LIVE_QUERIES)
  })

  it('typing indicator: shown live, cleared by sending, expires by itself', async () => {
    const typing = (page) => page.textContent('#typing')
    await bob.type('#message-input', 'abc')
    await until('"Bob is typing…" on A', async () => (await typing(alice)) === 'Bob is typing…')
    assert.equal((await typing(bob)).trim(), '') // one's own typing is not shown
    // Sending clears it at once (well before it would expire).
    const t0 = Date.now()
    await bob.press('#message-input', 'Enter')
    await until('typing cleared on A', async () => (await typing(alice)).trim() === '', { timeout: (TYPING_S - 1) * 1000 })
    timings.typingCleared = Date.now() - t0
    // Typing without sending: it expires after TYPING_S seconds.
    await bob.type('#message-input', 'x')
    await until('"Bob is typing…" on A again', async () => (await typing(alice)) === 'Bob is typing…')
    const t1 = Date.now()
    await until('typing expired on A', async () => (await typing(alice)).trim() === '', { timeout: (TYPING_S + 3) * 1000 })
    timings.typingExpired = Date.now() - t1
    assert.ok(timings.typingExpired >= (TYPING_S - 1.5) * 1000, `expired after ${timings.typingExpired} ms`)
    await bob.fill('#message-input', '')
  })

  it('a refused write is rolled back with an error notice: over the messages, not the people; it goes away by itself', async () => {
    let shownAt
    for (const [text, reason] of [
      ['this message will fail', /refused the message: it contains "fail"/],
      ['x'.repeat(300), /refused the message: it is too long \(300 characters, at most 280\)/],
    ]) {
      await post(alice, text)
      const id = await messageId(alice, text)
      assert.equal(await alice.textContent(`.message[data-id="${id}"] .sending`), 'sending…')
      await alice.waitForSelector(`.message[data-id="${id}"]`, { state: 'detached', timeout: 10000 })
      const notices = await alice.$$eval('#notices .notice-text', (els) => els.map((e) => e.textContent))
      shownAt = Date.now()
      assert.match(notices.at(-1), reason)
      assert.ok(!(await messageTexts(bob)).includes(text), 'B never sees a refused message')
    }
    // Both notices are shown, neither over the people list.
    const people = await alice.locator('#people').boundingBox()
    const boxes = await noticeBoxes(alice)
    assert.equal(boxes.length, 2)
    for (const box of boxes) assert.ok(!overlaps(box, people), `notice ${JSON.stringify(box)} covers the people list ${JSON.stringify(people)}`)
    assert.ok(await alice.isVisible('#notices .notice'))
    // One is dismissed by hand, the other goes away by itself after NOTICE_MS.
    await alice.click('#notices .notice .dismiss')
    assert.equal((await alice.$$('#notices .notice')).length, 1)
    await until('the notice gone by itself', async () => (await alice.$$('#notices .notice')).length === 0, { timeout: NOTICE_MS + 3000, every: 100 })
    const after = Date.now() - shownAt
    assert.ok(after >= NOTICE_MS - 1000, `gone after ${after} ms`)
  })

  it('markup in a message is shown as text and runs nothing', async () => {
    const text = '<img src=x onerror=alert(1)>'
    await post(alice, text)
    for (const page of [alice, bob]) {
      const id = await messageId(page, text)
      assert.equal(await page.textContent(`.message[data-id="${id}"] .text`), text)
      assert.equal(await page.$$eval('img', (els) => els.length), 0)
      assert.equal(await page.evaluate(() => document.querySelector('#messages').innerHTML.includes('<img')), false)
    }
    await new Promise((r) => setTimeout(r, 300)) // time for an onerror to fire, were there an img
    assert.deepEqual(problems.filter((p) => p.includes('dialog')), [])
  })

  it('odd rows appended by another writer are rendered as text and break nothing', async () => {
    // Anyone with the stream's URL can append: a user whose name is markup
    // and whose colour is a URL, and a message whose text is an object and
    // whose time is not a number.
    const ev = (type, key, value) => ({ type, key, value, headers: { operation: 'insert' } })
    for (const e of [
      ev('user', 'mallory', { id: 'mallory', name: '<img src=x onerror=alert(2)>', color: 'url(http://127.0.0.1:9/x)' }),
      ev('message', 'odd', { id: 'odd', userId: 'mallory', text: { html: '<b>bold</b>' }, ts: 'not a time' }),
    ]) {
      const res = await fetch(demo.streamUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(e) })
      assert.ok(res.ok, `append: ${res.status}`)
    }
    for (const page of [alice, bob]) {
      await page.waitForSelector('.message[data-id="odd"]')
      assert.equal(await page.textContent('.message[data-id="odd"] .author'), '<img src=x onerror=alert(2)>')
      assert.equal(await page.textContent('.message[data-id="odd"] .text'), '{"html":"<b>bold</b>"}')
      assert.equal(await page.$('.message[data-id="odd"] time'), null)
      assert.equal(await page.$$eval('img, b', (els) => els.length), 0)
      const dots = await page.$$eval('#people .dot', (els) => els.map((e) => e.style.background))
      assert.ok(dots.every((d) => !d.includes('url')), `no URL in colours: ${dots}`)
    }
    await new Promise((r) => setTimeout(r, 300))
    assert.deepEqual(problems, [])
  })

  it('on a 390 px wide screen the messages get the room; the people and settings fold away and open', async () => {
    // A room of its own: one user and 20 short messages.
    const streamUrl = `${demo.streamUrl}-phone`
    const put = await fetch(streamUrl, { method: 'PUT', headers: { 'content-type': 'application/json' } })
    assert.ok(put.ok, `PUT: ${put.status}`)
    const ev = (type, key, value) => ({ type, key, value, headers: { operation: 'insert' } })
    const t0 = Date.now() - 60000
    const events = [ev('user', 'sam', { id: 'sam', name: 'Sam', color: '#2b8a3e' })]
    for (let i = 1; i <= 20; i++) events.push(ev('message', `m${i}`, { id: `m${i}`, userId: 'sam', text: `Message ${i}`, ts: t0 + i * 1000 }))
    const res = await fetch(streamUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(events) })
    assert.ok(res.ok, `append: ${res.status}`)

    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true })
    try {
      const page = await context.newPage()
      page.on('pageerror', (e) => problems.push(`phone: page error: ${e.message} ${e.stack}`))
      await page.goto(`${demo.url}?persist=0&stream=${encodeURIComponent(streamUrl)}`)
      await page.waitForSelector('html[data-ready]', { state: 'attached', timeout: 30000 })
      await join(page, 'Pat')
      await until('20 messages', async () => (await messageTexts(page)).length === 20)
      // A fresh page under StrictMode: one live query per list from the start.
      assert.equal(await page.evaluate(() => window.db._liveQueryCount), LIVE_QUERIES)
      // Messages wholly inside the list and the screen.
      const visible = await page.$$eval('#messages .message', (els) => {
        const list = document.querySelector('#messages').getBoundingClientRect()
        const top = Math.max(0, list.top) - 0.5
        const bottom = Math.min(innerHeight, list.bottom) + 0.5
        return els.filter((e) => {
          const r = e.getBoundingClientRect()
          return r.height > 0 && r.top >= top && r.bottom <= bottom
        }).length
      })
      timings.phoneMessagesVisible = visible
      assert.ok(visible >= 8, `${visible} of 20 messages visible at 390x844`)
      // People and settings are folded away; the button in the bar opens them.
      assert.equal(await page.isVisible('#people'), false)
      assert.equal(await page.isVisible('#settings'), false)
      assert.equal(await page.textContent('#side-toggle'), 'People · 2')
      await page.click('#side-toggle')
      await page.waitForSelector('#people', { state: 'visible' })
      assert.deepEqual(await page.$$eval('#people .name', (els) => els.map((e) => e.textContent)), ['Pat', 'Sam'])
      assert.ok(await page.isVisible('input[name=theme][value=dark]'))
      // An error notice does not cover the open people list either.
      await post(page, 'this one will fail')
      await page.waitForSelector('#notices .notice', { timeout: 10000 })
      const people = await page.locator('#people').boundingBox()
      for (const box of await noticeBoxes(page)) assert.ok(!overlaps(box, people), `notice ${JSON.stringify(box)} covers the people list ${JSON.stringify(people)}`)
      mkdirSync(path(ROOT, 'test-results'), { recursive: true })
      await page.screenshot({ path: path(ROOT, 'test-results/phone-people.png') })
      // Folded again: the messages have the room back.
      await page.click('#side-toggle')
      await page.waitForSelector('#people', { state: 'hidden' })
      await page.click('#notices .notice .dismiss')
      await page.screenshot({ path: path(ROOT, 'test-results/phone.png') })
    } finally {
      await context.close()
    }
  })

  it('the theme setting applies to every page', async () => {
    await bob.check('input[name=theme][value=dark]')
    await until('dark theme on A', async () => (await alice.getAttribute('html', 'data-theme')) === 'dark')
    assert.equal(await alice.isChecked('input[name=theme][value=dark]'), true)
    await alice.check('input[name=theme][value=light]')
    await until('light theme on B', async () => (await bob.getAttribute('html', 'data-theme')) === 'light')
  })

  it('a reload shows all the data again', async () => {
    const want = await messageTexts(alice)
    const id = await messageId(alice, 'Hello from Alice')
    const t0 = Date.now()
    await bob.reload()
    await bob.waitForSelector('html[data-ready]', { state: 'attached' })
    await until('messages after reload', async () => JSON.stringify(await messageTexts(bob)) === JSON.stringify(want))
    timings.reload = Date.now() - t0
    assert.equal(want.length, 7) // welcome, hello, reply, "Still live", the typed "abc", the markup, the odd row
    await waitCount(bob, id, '👍', '1')
    await waitCount(bob, id, '🎉', '1')
    assert.equal(await bob.getAttribute(`.message[data-id="${id}"] .reaction[data-emoji="👍"]`, 'aria-pressed'), 'true')
    assert.ok(await bob.$('#message-input'), 'still joined as Bob (the tab keeps its user)')
    assert.equal(await bob.getAttribute('html', 'data-theme'), 'light')
    // The room was kept in the browser (persist): the reload restored it and
    // read the stream from the kept offset, not from the start.
    assert.ok(Number(await bob.getAttribute('html', 'data-restored')) > 0, 'the reload restored the kept room')
    const offsets = await bob.evaluate(() => performance.getEntriesByType('resource')
      .map((e) => new URL(e.name).searchParams.get('offset')).filter((o) => o !== null))
    assert.notEqual(offsets[0], '-1', `the first read after the reload starts at the kept offset (reads: ${offsets.join(', ')})`)
  })

  it('the status line says when the server cannot be reached, and why', async () => {
    // A port where nothing listens: the page keeps retrying, and says so.
    const s = createNetServer()
    await new Promise((r) => s.listen(0, '127.0.0.1', r))
    const port = s.address().port
    await new Promise((r) => s.close(r))
    const context = await browser.newContext()
    try {
      const page = await context.newPage()
      await page.goto(`${demo.url}?stream=${encodeURIComponent(`http://127.0.0.1:${port}/v1/stream/chat`)}`)
      await page.waitForFunction(() => /^reconnecting \(try \d+ in [\d.]+ s\): /.test(document.querySelector('#status')?.textContent ?? ''), null, { timeout: 15000 })
      assert.match(await page.getAttribute('#status', 'class'), /\bretrying\b/)
    } finally {
      await context.close()
    }
  })

  it('a second run of the demo reuses the stored room', async () => {
    const want = await messageTexts(alice)
    await alice.context().close()
    await bob.context().close()
    await demo.stop()
    const t0 = Date.now()
    demo = await startDemo({ dataDir, port: 0, dsPort: 0, build: false, logLevel: 'warn' })
    timings.restart = Date.now() - t0
    assert.equal(demo.created, false)
    const carol = await open('carol')
    await until('messages after restart', async () => JSON.stringify(await messageTexts(carol)) === JSON.stringify(want))
    await join(carol, 'Carol')
    await post(carol, 'Carol here, after a restart: everything is still there')
    await messageId(carol, 'Carol here, after a restart: everything is still there')
    await carol.waitForSelector('.message .sending', { state: 'detached' })
    mkdirSync(path(ROOT, 'test-results'), { recursive: true })
    await carol.screenshot({ path: path(ROOT, 'test-results/demo.png') })
  })

  it('no page error, console error or dialog on any page', () => {
    assert.deepEqual(problems, [])
  })
})

// make demo GATEWAY=1: the same room read and written through the WebSocket
// gateway (cmd/streamdb-gateway in front of the stream server). Each page
// loads the WebSocket build, opens one socket to the gateway and makes no
// HTTP request to the stream server.
describe('chat example through the gateway', { timeout: 60000 }, () => {
  const gwDataDir = mkdtempSync(path(tmpdir(), 'streamdb-e2e-gw-'))
  const gwProblems = []
  let gwDemo
  after(async () => {
    await gwDemo?.stop()
    rmSync(gwDataDir, { recursive: true, force: true })
  })

  async function openGw(name, query = '') {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } })
    const page = await context.newPage()
    page.sockets = []
    page.wasm = []
    page.streamRequests = []
    page.on('pageerror', (e) => gwProblems.push(`${name}: page error: ${e.message}`))
    page.on('console', (m) => {
      if (m.type() === 'error') gwProblems.push(`${name}: console error: ${m.text()}`)
    })
    page.on('websocket', (ws) => page.sockets.push(ws.url()))
    page.on('request', (r) => {
      if (r.url().endsWith('.wasm')) page.wasm.push(new URL(r.url()).pathname.split('/').pop())
      if (r.url().startsWith(gwDemo.streamUrl)) page.streamRequests.push(r.url())
    })
    await page.goto(`${gwDemo.url}?persist=0${query}`)
    await page.waitForSelector('html[data-ready]', { state: 'attached', timeout: 30000 })
    return page
  }

  it('two users chat through the gateway', async () => {
    const t0 = Date.now()
    gwDemo = await startDemo({ dataDir: gwDataDir, port: 0, dsPort: 0, gateway: true, gatewayPort: 0, build: false, logLevel: 'warn' })
    timings.gatewayStart = Date.now() - t0
    assert.match(gwDemo.gatewayUrl, /^ws:\/\/127\.0\.0\.1:\d+\/v1\/ws$/)
    const [carol, dave] = await Promise.all([openGw('carol'), openGw('dave')])
    for (const page of [carol, dave]) assert.equal(await page.getAttribute('html', 'data-live'), 'websocket')
    await join(carol, 'Carol')
    await join(dave, 'Dave')
    const t1 = Date.now()
    await post(carol, 'Hello over the socket')
    const id = await messageId(dave, 'Hello over the socket')
    timings.gatewayPostToPeer = Date.now() - t1
    assert.equal(await dave.textContent(`.message[data-id="${id}"] .author`), 'Carol')
    await carol.waitForSelector(`.message[data-id="${id}"] .sending`, { state: 'detached' })
    // In the stream once (the append went over the socket).
    const items = await (await fetch(`${gwDemo.streamUrl}?offset=-1`)).json()
    assert.equal(items.filter((e) => e.type === 'message' && e.value?.text === 'Hello over the socket').length, 1)
    for (const page of [carol, dave]) {
      assert.match(await page.textContent('#status'), /^live over WebSocket · /)
      assert.deepEqual(page.wasm, ['streamdb-ws.wasm'])
      assert.deepEqual(page.sockets.filter((u) => u.startsWith('ws://127.0.0.1') && u.includes('/v1/ws')), [`${gwDemo.gatewayUrl}?binary=1`])
      assert.deepEqual(page.streamRequests, [], 'no HTTP request to the stream server')
      await page.context().close()
    }
    // ?ws=0: the same app over HTTP, on the default build.
    const erin = await openGw('erin', '&ws=0')
    await messageId(erin, 'Hello over the socket')
    assert.equal(await erin.getAttribute('html', 'data-live'), null)
    assert.deepEqual(erin.wasm, ['streamdb.wasm'])
    assert.deepEqual(erin.sockets.filter((u) => u.includes('/v1/ws')), [])
    assert.ok(erin.streamRequests.length > 0)
    await erin.context().close()
    assert.deepEqual(gwProblems, [])
  })
})
