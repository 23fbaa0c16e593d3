// Shared fixtures of the browser tests: the reference Durable Streams server
// (test/node/server.mjs), a Vite dev server that serves the package's own
// files from the repository root (the package is imported by its bare
// name, @streamdb/streamdb, resolved to js/ by an alias, as an installed
// package would be), and headless Chromium driven by playwright-core.
//
// Every test file calls setup() once (in before) and teardown() (in after).
//
// Run (after `make build`):
//   node --test --test-concurrency=1 test/browser/ test/node/ test/vite/
// Name the directories: `node --test test/` would also run pages/*.js,
// which are browser modules. STREAMDB_TEST_VERBOSE=1 prints the pages'
// console; CHROMIUM=<path> picks another Chromium. Pages are under pages/
// (one module per page, its scenarios called with run()).
import { basename, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'
import { createServer } from 'vite'
import { startServer, createStream, appendEvents } from '../node/server.mjs'

export { createStream, appendEvents }

export const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const JS = (f) => join(ROOT, 'js', f)

/** The Chromium binary: $CHROMIUM, else Debian's. */
export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium'

/** launchBrowser starts headless Chromium. */
export function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
  })
}

/**
 * startVite starts a Vite dev server rooted at the repository, with the
 * package name aliased to js/ and every third-party dependency the pages use
 * pre-bundled up front (so that no page reload happens mid-test).
 */
export async function startVite(name = 'default') {
  // A pre-bundle cache per test file, kept between runs (two Vite servers
  // must not rewrite one cache while test files run in parallel).
  const cacheDir = join(ROOT, 'node_modules/.cache/streamdb-browser-tests', name)
  const server = await createServer({
    configFile: false,
    root: ROOT,
    cacheDir,
    logLevel: 'warn',
    clearScreen: false,
    resolve: {
      alias: [
        { find: /^@streamdb\/streamdb$/, replacement: JS('index.js') },
        { find: /^@streamdb\/streamdb\/react$/, replacement: JS('react.js') },
        { find: /^@streamdb\/streamdb\/vue$/, replacement: JS('vue.js') },
        { find: /^@streamdb\/streamdb\/solid$/, replacement: JS('solid.js') },
      ],
    },
    optimizeDeps: {
      noDiscovery: true,
      include: ['react', 'react-dom/client', 'vue', 'solid-js', 'solid-js/web', 'solid-js/html', 'zod', 'valibot', 'arktype'],
    },
    server: { host: '127.0.0.1', port: 0, strictPort: false, hmr: false, watch: null },
  })
  await server.listen()
  const addr = server.httpServer.address()
  return {
    url: `http://127.0.0.1:${addr.port}`,
    stop: async () => {
      await server.close()
    },
  }
}

/**
 * setup starts the three fixtures. The returned object has ds (the
 * reference server's base URL), web (the Vite server's URL), browser, and
 * helpers to open pages.
 */
export async function setup(testFile) {
  const name = testFile ? basename(fileURLToPath(testFile)).replace(/\.test\.mjs$/, '') : 'default'
  const [ds, vite, browser] = await Promise.all([startServer({ longPollMs: 1000 }), startVite(name), launchBrowser()])
  const ctx = {
    ds: ds.url,
    web: vite.url,
    browser,
    /** stream creates a fresh stream on the reference server and returns its URL. */
    stream: (name) => createStream(ds.url, name),
    /**
     * open opens pages/<name>.html in a new browser context with the
     * query parameters given, collects console errors and page errors, and
     * returns the page.
     */
    async open(name, params = {}, { context } = {}) {
      const c = context ?? (await browser.newContext())
      const page = await c.newPage()
      page.errors = []
      let failed
      const pageError = new Promise((_, reject) => (failed = reject))
      pageError.catch(() => {})
      page.on('pageerror', (e) => {
        page.errors.push(String(e))
        failed(e)
      })
      page.on('console', (m) => {
        if (m.type() === 'error') page.errors.push(`${m.text()} (${m.location()?.url ?? ''})`)
        if (process.env.STREAMDB_TEST_VERBOSE) console.log(`[page ${name}] ${m.type()}: ${m.text()}`)
      })
      const wasm = []
      page.on('response', (r) => {
        if (r.url().endsWith('.wasm')) wasm.push(`${new URL(r.url()).pathname} ${r.status()} ${r.headers()['content-type']}`)
      })
      const qs = new URLSearchParams(params).toString()
      await page.goto(`${vite.url}/test/browser/pages/${name}.html${qs ? `?${qs}` : ''}`)
      // Each page sets data-ready on <html> once its script ran to the end.
      try {
        await Promise.race([pageError, page.waitForSelector('html[data-ready]', { state: 'attached', timeout: 30000 })])
      } catch (e) {
        throw new Error(`page ${name} did not get ready: ${e.message}; page errors: ${JSON.stringify(page.errors)}`)
      }
      // The package's wasm, served from dist/ as application/wasm.
      if (wasm.join() !== '/dist/streamdb.wasm 200 application/wasm') {
        throw new Error(`page ${name} loaded the wasm as ${JSON.stringify(wasm)}, wanted /dist/streamdb.wasm 200 application/wasm`)
      }
      return page
    },
    async teardown() {
      const timeout = new Promise((resolve) => setTimeout(resolve, 15000).unref())
      // The browser first: a page's open long-poll must not fail (and log
      // an error the test then finds) because the server stopped first.
      await Promise.race([browser.close().catch(() => {}), timeout])
      await Promise.race([Promise.allSettled([vite.stop(), ds.stop()]), timeout])
    },
  }
  return ctx
}

/**
 * waitText waits until the text of the element matched by selector
 * satisfies want (a string for equality, a RegExp, or a predicate) and
 * returns it. On timeout the error shows the last text seen.
 */
export async function waitText(page, selector, want, { timeout = 10000 } = {}) {
  const pred = typeof want === 'function' ? want : want instanceof RegExp ? (t) => want.test(t) : (t) => t === want
  const deadline = Date.now() + timeout
  let last
  for (;;) {
    last = await page.evaluate((s) => document.querySelector(s)?.textContent ?? null, selector)
    if (last !== null && pred(last)) return last
    if (Date.now() > deadline) {
      throw new Error(`waitText(${selector}): wanted ${want}, last saw ${JSON.stringify(last)}; page errors: ${JSON.stringify(page.errors ?? [])}`)
    }
    await new Promise((r) => setTimeout(r, 25))
  }
}

/** texts returns the textContent of every element matched by selector. */
export function texts(page, selector) {
  return page.$$eval(selector, (els) => els.map((e) => e.textContent))
}

/** waitTexts waits until texts(page, selector) deep-equals want (an array). */
export async function waitTexts(page, selector, want, { timeout = 10000 } = {}) {
  const deadline = Date.now() + timeout
  const w = JSON.stringify(want)
  let last
  for (;;) {
    last = await texts(page, selector)
    if (JSON.stringify(last) === w) return last
    if (Date.now() > deadline) {
      throw new Error(`waitTexts(${selector}): wanted ${w}, last saw ${JSON.stringify(last)}; page errors: ${JSON.stringify(page.errors ?? [])}`)
    }
    await new Promise((r) => setTimeout(r, 25))
  }
}

/** run calls scenarios[name](args) in the page and waits for it. */
export function run(page, name, args = {}) {
  return page.evaluate(([n, a]) => window.scenarios[n](a), [name, args])
}

/** release opens the gate a scenario paused on (window.gates[name]). */
export function release(page, name) {
  return page.evaluate((n) => window.gates[n].resolve(), name)
}

/** readStream returns every item of a JSON stream. */
export async function readStream(url) {
  const res = await fetch(`${url}?offset=-1`)
  if (!res.ok) throw new Error(`read ${url}: ${res.status}`)
  return res.json()
}

/** ev builds a state change event. */
export function ev(type, key, value, operation = 'insert', headers = {}) {
  const e = { type, key, headers: { ...headers, operation } }
  if (value !== undefined) e.value = value
  return e
}

/** waitFor polls fn (async) until it returns a truthy value, and returns it. */
export async function waitFor(fn, { timeout = 10000, what = 'condition' } = {}) {
  const deadline = Date.now() + timeout
  for (;;) {
    const v = await fn()
    if (v) return v
    if (Date.now() > deadline) throw new Error(`waitFor: ${what} not met in ${timeout} ms`)
    await new Promise((r) => setTimeout(r, 25))
  }
}
