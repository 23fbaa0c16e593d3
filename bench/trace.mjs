// Summarises a trace written by `bench/run.mjs --trace=FILE`: where the
// page's main thread went around each change. The harness marks the moment
// a change was seen (`notified`); for each mark this counts the main
// thread's busy time in the WINDOW ms before it and after it, and names what
// that time was spent in (the trace's own event names, by total duration,
// nested events counted in each of their ancestors).
//
// With --longest=K (a trace of bench/run.mjs --trace-preload=FILE or
// --trace-startup=FILE) it lists instead the K longest tasks of the main
// thread and, for each, the time of the events inside it by name.
//
// With --samples=FROM,TO (a trace recorded with bench/run.mjs --trace-samples
// as well, which adds V8's sampling profiler) it names the JavaScript and
// wasm functions the main thread's samples fell in, from FROM to TO ms after
// each change was seen (negative: before): by the sampled function, then by
// every function on the sampled stack.
//
// usage: node bench/trace.mjs TRACE.json [--window=10] [--top=12] [--longest=K] [--samples=FROM,TO]
import { readFileSync } from 'node:fs'

const args = process.argv.slice(2)
const file = args.find((a) => !a.startsWith('--'))
const opt = (name, d) => Number(args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? d)
if (!file) {
  console.error('usage: node bench/trace.mjs TRACE.json [--window=10] [--top=12] [--longest=K] [--samples=FROM,TO]')
  process.exit(64)
}
const windowUs = opt('window', 10) * 1000
const top = opt('top', 12)

const events = JSON.parse(readFileSync(file, 'utf8')).traceEvents ?? []
// The page's renderer main thread: the busiest one (a navigation may leave
// others in the trace).
const count = new Map()
for (const e of events) count.set(`${e.pid}.${e.tid}`, (count.get(`${e.pid}.${e.tid}`) ?? 0) + 1)
const main = events
  .filter((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain')
  .sort((a, b) => count.get(`${b.pid}.${b.tid}`) - count.get(`${a.pid}.${a.tid}`))[0]
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
  const t0 = onMain.find((e) => e.ts > 0)?.ts ?? 0 // metadata events have ts 0
  for (const t of [...tasks].sort((a, b) => b.dur - a.dur).slice(0, longest)) {
    const by = new Map()
    spent(by, t.ts, t.ts + t.dur)
    console.log(`task of ${ms(t.dur)} ms at ${ms(t.ts - t0)} ms:`)
    for (const [name, d] of [...by].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${ms(d).padStart(8)} ms  ${name}`)
  }
  process.exit(0)
}

const samplesArg = args.find((a) => a.startsWith('--samples='))
if (samplesArg) {
  const [from, to] = samplesArg.split('=')[1].split(',').map((x) => Number(x) * 1000)
  // The profiler's events: a Profile (its start) and ProfileChunks (nodes,
  // sampled node ids, time deltas) per profiled thread; the main thread's.
  const nodes = new Map()
  const samples = []
  for (const prof of events.filter((e) => e.name === 'Profile' && e.pid === main.pid && e.tid === main.tid)) {
    let t = prof.args.data.startTime
    for (const c of events.filter((e) => e.name === 'ProfileChunk' && e.pid === prof.pid && e.id === prof.id)) {
      const cp = c.args.data.cpuProfile ?? {}
      for (const n of cp.nodes ?? []) nodes.set(`${prof.id}/${n.id}`, { ...n, parentKey: n.parent === undefined ? undefined : `${prof.id}/${n.parent}` })
      const deltas = c.args.data.timeDeltas ?? []
      for (const [i, id] of (cp.samples ?? []).entries()) samples.push([(t += deltas[i]), `${prof.id}/${id}`])
    }
  }
  if (samples.length === 0) throw new Error(`${file}: no samples (record with bench/run.mjs --trace-samples)`)
  const self = new Map()
  const incl = new Map()
  let n = 0
  for (const [t, key] of samples) {
    if (!marks.some((m) => t >= m + from && t < m + to)) continue
    const names = []
    for (let node = nodes.get(key); node; node = nodes.get(node.parentKey)) names.push(node.callFrame.functionName || '(anonymous)')
    if (names[0] === '(idle)') continue
    n++
    self.set(names[0], (self.get(names[0]) ?? 0) + 1)
    for (const f of new Set(names)) incl.set(f, (incl.get(f) ?? 0) + 1)
  }
  console.log(`${file}: ${marks.length} changes; ${n} samples (not idle) from ${ms(from)} to ${ms(to)} ms around them, ${(n / Math.max(1, marks.length)).toFixed(1)} per change`)
  for (const [title, by] of [['sampled function', self], ['on the stack', incl]]) {
    console.log(`\nby ${title} (samples):`)
    for (const [name, c] of [...by].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${String(c).padStart(6)}  ${name.replace(/github\.com_streamdb_streamdb_/g, '')}`)
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
