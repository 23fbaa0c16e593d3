// Two pages in two browser contexts (two users, no shared storage) on one
// stream: each sees the other's writes live, through the seed's chat room
// pattern (pages/seed.js, scenario chat).
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { setup, run, waitText, waitTexts, texts, appendEvents, readStream, ev } from './harness.mjs'

let ctx, alice, bob

before(async () => {
  ctx = await setup(import.meta.url)
  ;[alice, bob] = await Promise.all([ctx.open('seed'), ctx.open('seed')])
})
after(async () => {
  await ctx?.teardown()
  assert.deepEqual(alice?.errors ?? [], [], 'alice\'s page logged no errors')
  assert.deepEqual(bob?.errors ?? [], [], 'bob\'s page logged no errors')
})

const messages = (page, me) => texts(page, `#chat-${me} .message`)

test('two contexts on one stream see each other\'s writes live', async () => {
  assert.notEqual(alice.context(), bob.context())
  const stream = await ctx.stream()
  await run(alice, 'chat', { stream, me: 'alice', name: 'Alice' })
  await run(bob, 'chat', { stream, me: 'bob', name: 'Bob', appendSeed: false })
  // Both see both people and Alice's first message with its reaction.
  for (const [page, me] of [[alice, 'alice'], [bob, 'bob']]) {
    await waitTexts(page, `#chat-${me} .people li`, ['Alice', 'Bob'])
    await waitTexts(page, `#chat-${me} .message`, ['AliceHello from Alice♥'])
  }

  // Bob types in his page; Alice's page shows it.
  await bob.fill('#chat-bob input.draft', 'Hi Alice, Bob here')
  await bob.click('#chat-bob button[type=submit]')
  await waitTexts(bob, '#chat-bob .message', ['AliceHello from Alice♥', 'BobHi Alice, Bob here'])
  await waitTexts(alice, '#chat-alice .message', ['AliceHello from Alice♥', 'BobHi Alice, Bob here'])

  // And back.
  await alice.fill('#chat-alice input.draft', 'Welcome Bob')
  await alice.click('#chat-alice button[type=submit]')
  const want = ['AliceHello from Alice♥', 'BobHi Alice, Bob here', 'AliceWelcome Bob']
  await waitTexts(alice, '#chat-alice .message', want)
  await waitTexts(bob, '#chat-bob .message', want)

  // A third writer (outside both pages) is seen by both.
  await appendEvents(stream,
    ev('reaction', 'x1', { id: 'x1', messageId: (await readStream(stream)).find((e) => e.value?.text === 'Welcome Bob').key, userId: 'bob', emoji: '★' }),
    ev('typing', 'alice', { userId: 'alice', isTyping: true }, 'upsert'),
  )
  await waitText(bob, '#chat-bob .message:last-child .reactions', '★')
  await waitText(alice, '#chat-alice .message:last-child .reactions', '★')
  await waitText(bob, '#chat-bob .typing', 'Alice typing…')
  await waitText(alice, '#chat-alice .typing', '') // one's own typing is not shown
  assert.deepEqual(await messages(alice, 'alice'), await messages(bob, 'bob'))
})
