// Measures what WebAssembly memory costs the first time it is touched: a
// memory grows by 50 MiB, then one byte of every 4 KiB page is written,
// twice. The first pass pays the operating system's page faults (what a
// first result that grows the module's memory pays for its new pages),
// the second is the same writes to memory already there.
//
// usage: node bench/fresh-memory.mjs [--mib=50] [--rounds=3]
const opt = (name, d) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? d)
const mib = opt('mib', 50)
const rounds = opt('rounds', 3)
const page = 4096
const pages = (mib << 20) / 65536 // WebAssembly pages of 64 KiB

const memory = new WebAssembly.Memory({ initial: 16, maximum: 16 + pages * rounds })
const touch = (bytes, from, value) => {
  const t = performance.now()
  for (let i = from; i < bytes.length; i += page) bytes[i] = value
  return performance.now() - t
}
for (let r = 0; r < rounds; r++) {
  const from = memory.buffer.byteLength
  let t = performance.now()
  memory.grow(pages)
  const grow = performance.now() - t
  const bytes = new Uint8Array(memory.buffer)
  const first = touch(bytes, from, 1)
  const again = touch(bytes, from, 2)
  const perPage = (first * 1000) / ((bytes.length - from) / page)
  console.log(
    `${mib} MiB: grow ${grow.toFixed(2)} ms, first touch ${first.toFixed(1)} ms (${perPage.toFixed(2)} µs per 4 KiB page), again ${again.toFixed(2)} ms`,
  )
}
