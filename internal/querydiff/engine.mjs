// EngineClient starts the engine under test as a child process and talks to
// it in JSON lines: one request line on its stdin, one reply line on its
// stdout, in order. The engine's stderr is kept (last lines) for reports.
//
// Protocol (requests → replies; any request may get {"error": "..."}):
//   {"op":"init","collections":{"users":{"pk":"id","rows":[...]}}} → {"ok":true}
//   {"op":"query","id":"q1","ir":<IR>,"plan":<plan>}
//                                             → {"ok":true} | {"error":"..","clause":".."}
//                                               (plan: the IR with the generator's builder
//                                               hints, gen.mjs; engines may ignore it)
//   {"op":"sync","collection":"users","writes":[{"type":"insert|update|delete","key":"k","value":{..}}]}
//                                             → {"ok":true}  (update: shallow merge; value
//                                               also carries the pk field; delete: no value)
//   {"op":"tx","id":"t1","mutations":[{"collection":"users","type":"insert|update|delete",
//     "key":"k","value":{..}}]}               → {"ok":true}  (update value = changed fields;
//                                               only mutations TanStack accepted and recorded)
//   {"op":"rollback","id":"t1"}              → {"ok":true}  (cascades like TanStack)
//   {"op":"complete","id":"t1"}              → {"ok":true}  (optimistic state dropped)
//   {"op":"results"}                          → {"results":{"q1":[[keyId, value], ...]}}
//   {"op":"drop","id":"q1"}                  → {"ok":true}
// The engine exits when its stdin closes.

import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { nonFiniteOut } from './ir.mjs'

/** EngineClient is one running engine process. */
export class EngineClient {
  constructor(command, { timeoutMs = 20000, cwd, env = {} } = {}) {
    this.command = command
    this.timeoutMs = timeoutMs
    this.pending = []
    this.stderrTail = []
    this.exited = null
    // Own process group, so a hung engine (and anything it started, e.g. under
    // `go run`) can be killed by our child's pid alone.
    this.proc = spawn('/bin/sh', ['-c', `exec ${command}`], { cwd, env: { ...process.env, ...env }, detached: true, stdio: ['pipe', 'pipe', 'pipe'] })
    this.proc.stdin.on('error', () => {}) // EPIPE after a crash: reported via exit
    const rl = createInterface({ input: this.proc.stdout, crlfDelay: Infinity })
    rl.on('line', (line) => this.onLine(line))
    this.proc.stderr.setEncoding('utf8')
    this.proc.stderr.on('data', (d) => {
      for (const l of d.split('\n')) if (l) this.stderrTail.push(l)
      if (this.stderrTail.length > 30) this.stderrTail.splice(0, this.stderrTail.length - 30)
    })
    this.proc.on('exit', (code, signal) => {
      this.exited = `engine exited (code ${code}, signal ${signal})`
      for (const p of this.pending.splice(0)) p.reject(new Error(this.exited))
    })
    this.proc.on('error', (e) => {
      this.exited = `engine failed to start: ${e.message}`
      for (const p of this.pending.splice(0)) p.reject(new Error(this.exited))
    })
  }

  onLine(line) {
    const p = this.pending.shift()
    if (!p) {
      this.stderrTail.push(`(unexpected stdout line) ${line.slice(0, 200)}`)
      return
    }
    clearTimeout(p.timer)
    let msg
    try {
      msg = JSON.parse(line)
    } catch {
      p.reject(new Error(`engine replied with a non-JSON line: ${line.slice(0, 300)}`))
      return
    }
    p.resolve(msg)
  }

  /** request sends one request and resolves with the engine's reply object. */
  request(obj) {
    if (this.exited) return Promise.reject(new Error(this.exited))
    return new Promise((resolve, reject) => {
      const p = { resolve, reject }
      p.timer = setTimeout(() => {
        const i = this.pending.indexOf(p)
        if (i >= 0) this.pending.splice(i, 1)
        reject(new Error(`engine did not answer within ${this.timeoutMs / 1000} s (op ${obj.op})`))
        this.kill() // replies would be out of step from now on
      }, this.timeoutMs)
      this.pending.push(p)
      this.proc.stdin.write(JSON.stringify(obj, nonFiniteOut) + '\n')
    })
  }

  /** kill stops the engine process (the one this client started). */
  kill() {
    if (!this.exited) {
      this.exited = 'engine killed'
      try { process.kill(-this.proc.pid, 'SIGKILL') } catch {
        try { this.proc.kill('SIGKILL') } catch { /* gone */ }
      }
    }
    for (const p of this.pending.splice(0)) {
      clearTimeout(p.timer)
      p.reject(new Error(this.exited))
    }
  }

  /** close ends stdin and waits (briefly) for the engine to exit. */
  async close() {
    if (this.exited) return
    await new Promise((resolve) => {
      const t = setTimeout(() => { this.kill(); resolve() }, 2000)
      this.proc.once('exit', () => { clearTimeout(t); resolve() })
      this.proc.stdin.end()
    })
  }
}
