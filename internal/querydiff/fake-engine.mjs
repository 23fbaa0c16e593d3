#!/usr/bin/env node
// fake-engine.mjs: a second TanStack DB instance behind the engine protocol
// (JSON lines on stdin/stdout), so the harness can run "TanStack vs TanStack"
// before the Go engine exists. It rebuilds each query from OUR IR with the
// query builder and checks that converting the rebuilt builder's IR gives the
// same IR back (an end-to-end test of ir.mjs).
//
// Options:
//   --fresh              answer `results` from live queries created afresh over
//                        the current state (incremental vs from-scratch: shows
//                        where TanStack's answer depends on the change history)
//   --autoindex=eager    collections with autoIndex 'eager' (BasicIndex)

process.env.NODE_ENV ??= 'production'

import { TanStackDB, settle } from './tanstack.mjs'
import { canonical } from './compare.mjs'
import { serveLines } from './serve.mjs'

const args = process.argv.slice(2)
const fresh = args.includes('--fresh')
const autoIndex = args.find((a) => a.startsWith('--autoindex='))?.split('=')[1] ?? 'off'

const db = new TanStackDB({ autoIndex })
const irs = new Map()

async function handle(req) {
  switch (req.op) {
    case 'init':
      db.init(req.collections)
      irs.clear()
      return { ok: true }
    case 'query': {
      const r = db.createQuery(req.id, req.ir)
      if (r.error) return { error: r.error, clause: r.stage }
      if (canonical(r.ir) !== canonical(req.ir)) {
        db.drop(req.id)
        return { error: `IR round trip mismatch: got ${JSON.stringify(r.ir)}`, clause: 'ir' }
      }
      irs.set(req.id, req.ir)
      return { ok: true }
    }
    case 'sync':
      db.sync(req.collection, req.writes)
      await settle()
      return { ok: true }
    case 'tx': {
      const r = db.tx(req.id, req.mutations)
      await settle()
      if (r.rejected.length) return { error: `mutations rejected: ${JSON.stringify(r.rejected)}` }
      return { ok: true }
    }
    case 'rollback':
      db.rollback(req.id)
      await settle()
      return { ok: true }
    case 'complete':
      await db.complete(req.id)
      return { ok: true }
    case 'results': {
      const out = {}
      if (fresh) {
        for (const [id, ir] of irs) {
          const tmp = `${id}__fresh`
          const r = db.createQuery(tmp, ir)
          if (r.error) return { error: `fresh query failed: ${r.error}` }
          out[id] = db.resultOf(db.queries.get(tmp)).rows
          db.drop(tmp)
        }
      } else {
        for (const [id, res] of Object.entries(db.results())) out[id] = res.rows
      }
      return { results: out }
    }
    case 'drop':
      db.drop(req.id)
      irs.delete(req.id)
      return { ok: true }
  }
  return { error: `unknown op ${req.op}` }
}

serveLines(handle, () => db.dispose())
