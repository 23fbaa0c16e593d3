// The engine's warm-up (warmUp, createStreamDB's warmUp option) in
// Chromium. By default createStreamDB runs it in a Worker, once per page,
// on a device with at least four logical cores, and not with fewer;
// warmUp: true starts it anyway and warmUp: false never; warmUp() starts it
// if it has not started and resolves with {thread: 'worker'}; a page whose
// content security policy forbids workers gets it on its own thread. The
// database reads its stream the same in every case. (How much sooner a
// first visit's first results come is make bench's.)
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { setup, run, appendEvents, ev } from './harness.mjs'

let ctx

before(async () => {
  ctx = await setup(import.meta.url)
})
after(async () => {
  await ctx?.teardown()
})

async function usersStream() {
  const stream = await ctx.stream()
  await appendEvents(stream, ev('user', 'a', { id: 'a', active: true }), ev('user', 'b', { id: 'b', active: false }), ev('user', 'c', { id: 'c', active: true }))
  return stream
}

const inWorker = { thread: 'worker', positive: true }
const active = ['a', 'c']

test('on four cores or more createStreamDB starts one worker per page', async () => {
  const page = await ctx.open('warmup', { cores: 8 })
  const stream = await usersStream()
  assert.deepEqual(await run(page, 'open', { stream, wait: true }), { startedByCreate: 1, workers: 1, result: inWorker, active })
  assert.deepEqual(await run(page, 'open', { stream, wait: true }), { startedByCreate: 1, workers: 1, result: inWorker, active })
  assert.deepEqual(page.errors, [])
})

test('on two cores it starts none; warmUp() then starts it', async () => {
  const page = await ctx.open('warmup', { cores: 2 })
  const stream = await usersStream()
  assert.deepEqual(await run(page, 'open', { stream, wait: false }), { startedByCreate: 0, workers: 0, active })
  assert.deepEqual(await run(page, 'open', { stream, wait: true }), { startedByCreate: 0, workers: 1, result: inWorker, active })
  assert.deepEqual(page.errors, [])
})

test('warmUp: true starts it on two cores, warmUp: false never', async () => {
  const two = await ctx.open('warmup', { cores: 2 })
  const stream = await usersStream()
  assert.deepEqual(await run(two, 'open', { stream, warm: true, wait: true }), { startedByCreate: 1, workers: 1, result: inWorker, active })
  const eight = await ctx.open('warmup', { cores: 8 })
  assert.deepEqual(await run(eight, 'open', { stream, warm: false, wait: false }), { startedByCreate: 0, workers: 0, active })
  assert.deepEqual([...two.errors, ...eight.errors], [])
})

test('where workers are forbidden the warm-up runs on the page', async () => {
  const page = await ctx.open('warmup-csp', { cores: 8 })
  const stream = await usersStream()
  assert.deepEqual(await run(page, 'open', { stream, wait: true }), { startedByCreate: 1, workers: 1, result: { thread: 'page', positive: true }, active })
  // The only thing the page logged is the browser's refusal of the worker.
  assert.ok(page.errors.every((e) => /Content Security Policy|worker/i.test(e)), JSON.stringify(page.errors))
})
