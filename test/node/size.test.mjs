// Issue 18, item 6: the default wasm module, as `make build` builds it
// (test-package runs it first), is at most 1,000,000 B compressed with
// brotli at quality 11, as scripts/sizes.mjs measures it and a web server
// would serve it. README.md ("What the wasm is made of") says where the
// bytes go.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { brotliCompressSync, constants } from 'node:zlib'

const LIMIT = 1_000_000

test(`dist/streamdb.wasm is at most ${LIMIT} B brotli`, () => {
  const data = readFileSync(new URL('../../dist/streamdb.wasm', import.meta.url))
  const size = brotliCompressSync(data, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: 11,
      [constants.BROTLI_PARAM_SIZE_HINT]: data.length,
    },
  }).length
  assert.ok(size <= LIMIT, `dist/streamdb.wasm is ${size} B brotli, over ${LIMIT} B`)
})
