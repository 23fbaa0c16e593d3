// Summarises a trace written by `bench/run.mjs --trace=FILE`: where the
// page's main thread went around each change. The harness marks the moment
// a change was seen (`notified`); for each mark this counts the main
// thread's busy time in the WINDOW ms before it and after it, and names what
// that time was spent in (the trace's own event names, by total duration,
// nested events counted in each of their ancestors).
//
// With --longest=K (a trace of bench/run.mjs --trace-preload=FILE) it
// lists instead the K longest tasks of the main thread and, for each, the
// time of the events inside it by name.
//
// usage: node bench/trace.mjs TRACE.json [--window=10] [--top=12] [--longest=K]
import { readFileSync } from 'node:fs'

const args = process.argv.slice(2)
const file = args.find((a) => !a.startsWith('--'))
const opt = (name, d) => Number(args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? d)
if (!file) {
  console.error('usage: node bench/trace.mjs TRACE.json [--window=10] [--top=12]')
  process.exit(64)
}
const windowUs = opt('window', 10) * 1000
const top = opt('top', 12)

const events = JSON.parse(readFileSync(file, 'utf8')).traceEvents ?? []
const main = events.find((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain')
if (!main) throw new Error(`${file}: no renderer main thread in the trace`)
const onMain = events.filter((e) => e.pid === main.pid && e.tid === main.tid).sort((a, b) => a.ts - b.ts)
const marks = onMain.filter((e) => e.name === 'notified').map((e) => e.ts)
const tasks = onMain.filter((e) => e.ph === 'X' && e.name === 'ThreadControllerImpl::RunTask')
const slices = onMain.filter((e) => e.ph === 'X' && e.dur > 0 && !['RunTask', 'ThreadControllerImpl::RunTask'].includes(e.name))

// busy returns the main thread's task time within [from, to).
const busy = (from, to) => tasks.reduce((s, t) => s + Math.max(0, Math.min(t.ts + t.dur, to) - Math.max(t.ts, from)), 0)

// spent adds each slice's time within [from, to) to by[name].
function spent(by, from, to) {
  for (const e of slices) {
    const d = Math.min(e.ts + e.dur, to) - Math.max(e.ts, from)
    if (d > 0) by.set(e.name, (by.get(e.name) ?? 0) + d)
  }
}

const median = (a) => {
  const s = [...a].sort((x, y) => x - y)
  return s.length ? s[s.length >> 1] : NaN
}
const ms = (us) => (us / 1000).toFixed(2)

const longest = opt('longest', 0)
if (longest > 0) {
  const t0 = onMain[0]?.ts ?? 0
  for (const t of [...tasks].sort((a, b) => b.dur - a.dur).slice(0, longest)) {
    const by = new Map()
    spent(by, t.ts, t.ts + t.dur)
    console.log(`task of ${ms(t.dur)} ms at ${ms(t.ts - t0)} ms:`)
    for (const [name, d] of [...by].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${ms(d).padStart(8)} ms  ${name}`)
  }
  process.exit(0)
}

const before = []
const afterMark = []
const byBefore = new Map()
const byAfter = new Map()
for (const m of marks) {
  before.push(busy(m - windowUs, m))
  afterMark.push(busy(m, m + windowUs))
  spent(byBefore, m - windowUs, m)
  spent(byAfter, m, m + windowUs)
}
console.log(`${file}: ${marks.length} changes`)
console.log(`main thread busy in the ${ms(windowUs)} ms before a change was seen: median ${ms(median(before))} ms; in the ${ms(windowUs)} ms after: median ${ms(median(afterMark))} ms`)
for (const [title, by] of [['before', byBefore], ['after', byAfter]]) {
  console.log(`\n${title} (per change, mean):`)
  for (const [name, t] of [...by].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${ms(t / Math.max(1, marks.length)).padStart(7)} ms  ${name}`)
}
