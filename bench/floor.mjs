// The browser's own share of a live change, with no engine in the page: a
// page follows a stream with plain long-poll fetches (each answer read with
// arrayBuffer(), or through its body's reader), the runner appends one event
// at a time, and the page records, per answer, how long after the
// response's end (resource timing's responseEnd, what `make bench` calls the
// arrival) its header and its whole body reached JavaScript, and what the
// synchronous fetch() call itself took. These are the floor under `make
// bench`'s "arrival → notified" for long-poll. A fourth way ("next at
// header") sends the next long-poll as soon as an answer's header is there,
// before its body is read: what that costs the answer in hand.
//
// usage: node bench/floor.mjs [--changes=30] [--gap-ms=60]
import { spawn } from 'node:child_process'
import { createServer } from 'node:http'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=')))
const changes = Number(args.changes ?? 30)
const gapMs = Number(args['gap-ms'] ?? 60)
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium'

const script = fileURLToPath(new URL('../internal/testserver/server.mjs', import.meta.url))
const ds = spawn(process.execPath, [script, '--port', '0', '--stop-with-stdin'], { stdio: ['pipe', 'pipe', 'inherit'] })
const dsURL = await new Promise((resolve) => {
  let out = ''
  ds.stdout.on('data', (d) => {
    out += d
    const m = out.match(/DS_URL=(\S+)/)
    if (m) resolve(m[1])
  })
})
const url = `${dsURL}/v1/stream/floor-${Date.now()}`
const post = (body) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
await fetch(url, { method: 'PUT', headers: { 'content-type': 'application/json' } })
await post('[{"n":0}]')

// The page: one reader, in the mode its query string names.
const page = `<!doctype html><script>
window.out = []
async function follow(mode) {
  let offset = '-1'
  let ahead = null
  let aheadCall = 0
  for (;;) {
    const u = ${JSON.stringify(url)} + '?offset=' + encodeURIComponent(offset) + (offset === '-1' ? '' : '&live=long-poll')
    if (mode === 'xhr') {
      const t0 = performance.now()
      const x = new XMLHttpRequest()
      x.open('GET', u)
      x.responseType = 'arraybuffer'
      let header = 0
      const done = new Promise((resolve) => {
        x.onreadystatechange = () => { if (x.readyState === 2) header = performance.now() }
        x.onload = resolve
        x.onerror = resolve
      })
      x.send()
      const call = performance.now() - t0
      await done
      const body = performance.now()
      offset = x.getResponseHeader('stream-next-offset')
      const e = performance.getEntriesByName(u).pop()
      if (u.includes('live=') && x.status === 200) window.out.push({ call, header: header - e.responseEnd, body: body - e.responseEnd })
      performance.clearResourceTimings()
      continue
    }
    const t0 = performance.now()
    const pending = ahead ?? fetch(u, { signal: new AbortController().signal })
    const call = ahead ? aheadCall : performance.now() - t0
    ahead = null
    const res = await pending
    const header = performance.now()
    if (mode === 'ahead' && u.includes('live=') && res.status === 200) {
      // The next long-poll leaves at this answer's header, before its body
      // is read: does its fetch() call delay the body?
      const next = ${JSON.stringify(url)} + '?offset=' + encodeURIComponent(res.headers.get('stream-next-offset')) + '&live=long-poll'
      const t1 = performance.now()
      ahead = fetch(next, { signal: new AbortController().signal })
      aheadCall = performance.now() - t1
    }
    if (mode === 'whole' || mode === 'ahead') await res.arrayBuffer()
    else for (const r = res.body.getReader(); !(await r.read()).done;);
    const body = performance.now()
    offset = res.headers.get('stream-next-offset')
    const e = performance.getEntriesByName(u).pop()
    if (u.includes('live=') && res.status === 200) window.out.push({ call, header: header - e.responseEnd, body: body - e.responseEnd })
    performance.clearResourceTimings()
  }
}
follow(new URLSearchParams(location.search).get('mode'))
</script>`
const web = createServer((_, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(page))
await new Promise((r) => web.listen(0, '127.0.0.1', r))
const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'] })
const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1]
try {
  for (const mode of ['whole', 'ahead', 'reader', 'xhr']) {
    const p = await browser.newPage()
    await p.goto(`http://127.0.0.1:${web.address().port}/?mode=${mode}`)
    await new Promise((r) => setTimeout(r, 300))
    for (let i = 1; i <= changes; i++) {
      await post(`[{"n":${i}}]`)
      await new Promise((r) => setTimeout(r, gapMs))
    }
    const out = await p.evaluate(() => window.out)
    const m = (k) => median(out.map((o) => o[k])).toFixed(2)
    console.log(`${{ whole: 'arrayBuffer()', ahead: 'next at header', reader: 'body reader  ', xhr: 'XMLHttpRequest' }[mode]}: ${out.length} answers; median after the response's end: header ${m('header')} ms, whole body ${m('body')} ms; the fetch() call itself ${m('call')} ms`)
    await p.close()
  }
} finally {
  await browser.close()
  web.close()
  ds.kill()
}
