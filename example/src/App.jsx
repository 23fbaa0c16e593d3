// The chat room's page. Every list on it is a live query (useLiveQuery from
// @streamdb/streamdb/react); every write is an optimistic action. User text
// is only ever rendered as React text nodes.
import { useEffect, useRef, useState, useSyncExternalStore } from 'react'
import { and, count, eq, gt, not } from '@streamdb/streamdb'
import { useLiveQuery } from '@streamdb/streamdb/react'
import { EMOJIS, MAX_LENGTH, reactionId, uid } from './chat.js'

const COLORS = ['#d9480f', '#2b8a3e', '#1864ab', '#862e9c', '#c2255c', '#5f3dc4', '#0b7285', '#e67700']
const ME_KEY = 'streamdb-chat-me'

/** useNow re-renders every `ms` and returns the time, rounded down to it. */
function useNow(ms) {
  const [now, setNow] = useState(() => Math.floor(Date.now() / ms) * ms)
  useEffect(() => {
    const t = setInterval(() => setNow(Math.floor(Date.now() / ms) * ms), ms)
    return () => clearInterval(t)
  }, [ms])
  return now
}

/**
 * useConnection follows the room's link to its stream: connecting, live,
 * retrying (with the attempt and the wait before the next one), stopped,
 * failed or closed, with the error behind it.
 */
function useConnection(db) {
  return useSyncExternalStore((fn) => db.subscribeConnection(fn), () => db.connection)
}

/** connectionText says the link's state in a few words. */
function connectionText(conn, count, status, gateway) {
  switch (conn.state) {
    case 'live':
      return `live${gateway ? ' over WebSocket' : ''} · ${count} message${count === 1 ? '' : 's'}`
    case 'retrying':
      return `reconnecting (try ${conn.attempt} in ${(conn.delayMs / 1000).toFixed(1)} s): ${conn.error.message}`
    case 'failed':
      return `disconnected: ${conn.error.message}`
    case 'stopped':
      return `read to its end · ${count} message${count === 1 ? '' : 's'}`
    case 'closed':
      return 'closed'
    default:
      // A room kept in the browser is shown at once, then caught up.
      return status === 'restored' ? `catching up · ${count} message${count === 1 ? '' : 's'}` : 'connecting…'
  }
}

/** How long an error notice stays (it can be dismissed before). */
const NOTICE_MS = 6000

/** useNotices keeps the error notices shown over the top of the messages (the last three). */
function useNotices() {
  const [notices, setNotices] = useState([])
  const add = (text) => {
    const id = uid()
    setNotices((n) => [...n.slice(-2), { id, text }])
  }
  const dismiss = (id) => setNotices((n) => n.filter((x) => x.id !== id))
  return { notices, add, dismiss }
}

export function App({ chat, typingMs, notices: external }) {
  const { db, gateway } = chat
  const [me, setMe] = useState(() => {
    try {
      return JSON.parse(sessionStorage.getItem(ME_KEY)) ?? null
    } catch {
      return null
    }
  })
  const { notices, add: notify, dismiss } = useNotices()
  // On a narrow screen the people and the settings fold away behind a button.
  const [sideOpen, setSideOpen] = useState(false)
  // Message ids whose sendMessage transaction is still pending.
  const [sending, setSending] = useState(() => new Set())
  // Reaction ids whose react transaction is still pending.
  const [reacting, setReacting] = useState(() => new Set())

  // Errors reported by the StreamDB itself (the stream went away, ...).
  useEffect(() => external.subscribe(notify), [external])

  /**
   * run starts an action and follows its transaction: `mark` adds and
   * removes a pending marker, and a failure (the changes are then rolled
   * back by StreamDB) becomes a notice.
   */
  function run(what, action, params, mark) {
    let tx
    try {
      tx = db.actions[action](params)
    } catch (e) {
      // onMutate threw (e.g. the collection's schema refused the row): nothing was applied.
      notify(`${what} failed: ${e.message}`)
      return
    }
    mark?.(true)
    tx.isPersisted.promise.then(
      () => mark?.(false),
      (e) => {
        mark?.(false)
        notify(`${what} failed: ${e.message}`)
      },
    )
  }
  const marker = (setter, id) => (on) =>
    setter((s) => {
      const next = new Set(s)
      if (on) next.add(id)
      else next.delete(id)
      return next
    })

  // ---- live queries ------------------------------------------------------

  // The latest 50 messages with their authors' names and colours (a join),
  // newest first; shown oldest first.
  const latest = useLiveQuery((q) =>
    q
      .from({ m: db.collections.messages })
      .join({ u: db.collections.users }, ({ m, u }) => eq(m.userId, u.id))
      .orderBy(({ m }) => m.ts, 'desc')
      .orderBy(({ m }) => m.id, 'desc')
      .limit(50)
      .select(({ m, u }) => ({ id: m.id, userId: m.userId, text: m.text, ts: m.ts, author: u.name, color: u.color })),
  )

  // Reaction counts per message and emoji (groupBy + count).
  const counts = useLiveQuery((q) =>
    q
      .from({ r: db.collections.reactions })
      .groupBy(({ r }) => [r.messageId, r.emoji])
      .select(({ r }) => ({ messageId: r.messageId, emoji: r.emoji, n: count(r.id) })),
  )

  // My own reactions, to show which buttons are pressed.
  const mine = useLiveQuery(
    (q) => (me ? q.from({ r: db.collections.reactions }).where(({ r }) => eq(r.userId, me.id)) : null),
    [me?.id],
  )

  // Who is typing: presence rows newer than typingMs, except mine. The
  // cutoff is a constant of the query, so the query is rebuilt each second.
  const now = useNow(1000)
  const cutoff = now - typingMs
  const typing = useLiveQuery(
    (q) =>
      q
        .from({ t: db.collections.typing })
        .join({ u: db.collections.users }, ({ t, u }) => eq(t.userId, u.id), 'inner')
        .where(({ t }) => and(gt(t.ts, cutoff), not(eq(t.userId, me?.id ?? ''))))
        .orderBy(({ u }) => u.name)
        .select(({ t, u }) => ({ userId: t.userId, name: u.name })),
    [cutoff, me?.id],
  )

  // People in the room.
  const people = useLiveQuery((q) =>
    q.from({ u: db.collections.users }).orderBy(({ u }) => u.name).select(({ u }) => ({ id: u.id, name: u.name, color: u.color })),
  )

  // The theme: one row of the key/value collection.
  const theme = useLiveQuery((q) =>
    q.from({ s: db.collections.settings }).where(({ s }) => eq(s.key, 'theme')).findOne(),
  )
  const themeName = theme.data?.value === 'dark' ? 'dark' : 'light'
  useEffect(() => {
    document.documentElement.dataset.theme = themeName
  }, [themeName])

  // ---- derived view data -------------------------------------------------

  const byMessage = new Map()
  for (const c of counts.data ?? []) {
    if (!byMessage.has(c.messageId)) byMessage.set(c.messageId, new Map())
    byMessage.get(c.messageId).set(c.emoji, c.n)
  }
  const myReactions = new Set((mine.data ?? []).map((r) => r.id))
  const messages = [...(latest.data ?? [])].reverse()
  const conn = useConnection(db)

  // Keep the newest message in view.
  const listRef = useRef(null)
  const newest = messages.at(-1)?.id
  useEffect(() => {
    const el = listRef.current
    if (el) el.scrollTop = el.scrollHeight
  }, [newest])

  // ---- handlers ----------------------------------------------------------

  function join(name) {
    const user = { id: me?.id ?? uid(), name, color: me?.color ?? COLORS[Math.floor(Math.random() * COLORS.length)] }
    sessionStorage.setItem(ME_KEY, JSON.stringify(user))
    setMe(user)
    run('Joining', 'join', user)
  }

  const lastTyping = useRef(0)
  function typed(text) {
    if (!me || text === '') return
    const t = Date.now()
    if (t - lastTyping.current < Math.min(1500, typingMs / 2)) return
    lastTyping.current = t
    run('Typing indicator', 'setTyping', { userId: me.id, ts: t })
  }

  function send(text) {
    const id = uid()
    lastTyping.current = 0
    run('Sending', 'sendMessage', { id, userId: me.id, text, ts: Date.now() }, marker(setSending, id))
  }

  function toggle(messageId, emoji) {
    const id = reactionId(messageId, me.id, emoji)
    run('Reaction', 'react', { messageId, userId: me.id, emoji, on: !myReactions.has(id) }, marker(setReacting, id))
  }

  // ---- view --------------------------------------------------------------

  const peopleCount = people.data?.length ?? 0
  return (
    <div className={`app${sideOpen ? ' side-open' : ''}`}>
      <header className="bar">
        <h1>StreamDB chat</h1>
        <span id="status" className={`status ${latest.status} ${conn.state}`} title={conn.error?.message ?? ''}>
          {connectionText(conn, messages.length, db.status, gateway)}
        </span>
        <button
          id="side-toggle"
          type="button"
          aria-controls="side"
          aria-expanded={sideOpen}
          onClick={() => setSideOpen((o) => !o)}
        >
          People · {peopleCount}
        </button>
      </header>

      <main className="room">
        <section className="chat">
          <Notices notices={notices} dismiss={dismiss} />
          <ol id="messages" ref={listRef}>
            {messages.map((m) => (
              <Message
                key={text(m.id)}
                m={m}
                mine={m.userId === me?.id}
                pending={sending.has(m.id)}
                counts={byMessage.get(m.id)}
                pressed={(e) => myReactions.has(reactionId(m.id, me?.id, e))}
                busy={(e) => reacting.has(reactionId(m.id, me?.id, e))}
                onReact={me ? (e) => toggle(m.id, e) : undefined}
              />
            ))}
          </ol>
          <p id="typing" className="typing" aria-live="polite">
            {typingText(typing.data ?? [])}
          </p>
          {me ? <Composer onSend={send} onType={typed} /> : <JoinForm onJoin={join} />}
        </section>

        <aside id="side" className="side">
          <section>
            <h2>People</h2>
            <ul id="people">
              {(people.data ?? []).map((p) => (
                <li key={text(p.id)}>
                  <span className="dot" style={{ background: color(p.color) ?? 'gray' }} />
                  <span className="name">{text(p.name)}</span>
                  {p.id === me?.id ? <span className="you"> (you)</span> : null}
                </li>
              ))}
            </ul>
          </section>
          <section id="settings">
            <h2>Settings</h2>
            <fieldset>
              <legend>Theme (for everyone in the room)</legend>
              {['light', 'dark'].map((t) => (
                <label key={t}>
                  <input
                    type="radio"
                    name="theme"
                    value={t}
                    checked={themeName === t}
                    disabled={!me}
                    onChange={() => run('Changing the theme', 'setSetting', { key: 'theme', value: t })}
                  />
                  {t}
                </label>
              ))}
            </fieldset>
            {me ? (
              <p className="hint">
                You are <strong>{text(me.name)}</strong>. Messages containing “fail” or longer than {MAX_LENGTH} characters are
                refused by the (simulated) server: watch them roll back.
              </p>
            ) : null}
          </section>
        </aside>
      </main>
    </div>
  )
}

// Rows come from a stream anyone with its URL can append to: render
// what is there defensively (text as text, colours only as #rrggbb, times
// only when they are numbers).
const text = (v) => (typeof v === 'string' ? v : v === undefined || v === null ? '' : JSON.stringify(v))
const color = (v) => (typeof v === 'string' && /^#[0-9a-f]{6}$/i.test(v) ? v : undefined)
const when = (ts) => (Number.isFinite(ts) && Math.abs(ts) < 8.64e15 ? new Date(ts) : null)

function typingText(rows) {
  if (rows.length === 0) return '\u00a0'
  const names = rows.map((r) => text(r.name))
  if (names.length === 1) return `${names[0]} is typing…`
  if (names.length === 2) return `${names[0]} and ${names[1]} are typing…`
  return `${names.slice(0, -1).join(', ')} and ${names.at(-1)} are typing…`
}

/**
 * Message shows one message. Under it only the reactions that have votes
 * (each a button: press it to add or take back yours); the smiley button
 * (shown when the message is hovered or focused, always on touch screens)
 * opens a picker of all the emojis.
 */
function Message({ m, mine, pending, counts, pressed, busy, onReact }) {
  const [picking, setPicking] = useState(false)
  const at = when(m.ts)
  const used = EMOJIS.filter((e) => (counts?.get(e) ?? 0) > 0)
  const pick = (e) => {
    setPicking(false)
    onReact(e)
  }
  return (
    <li
      className={`message${mine ? ' mine' : ''}${pending ? ' pending' : ''}`}
      data-id={m.id}
      // The picker closes when the focus leaves the message.
      onBlur={(ev) => {
        if (!ev.currentTarget.contains(ev.relatedTarget)) setPicking(false)
      }}
    >
      <div className="meta">
        <span className="author" style={{ color: color(m.color) }}>
          {text(m.author) || 'someone'}
        </span>
        {at ? <time dateTime={at.toISOString()}>{at.toLocaleTimeString()}</time> : null}
        {pending ? <span className="sending">sending…</span> : null}
        {onReact ? (
          <button
            type="button"
            className="add-reaction"
            title="Add a reaction"
            aria-label="Add a reaction"
            aria-expanded={picking}
            onClick={() => setPicking((p) => !p)}
          >
            <SmileyPlus />
          </button>
        ) : null}
      </div>
      <p className="text">{text(m.text)}</p>
      {used.length > 0 || picking ? (
        <div className="reactions">
          {used.map((e) => (
            <button
              key={e}
              type="button"
              className="reaction"
              data-emoji={e}
              aria-pressed={pressed(e)}
              aria-busy={busy(e)}
              aria-label={`${e} ${counts.get(e)}`}
              disabled={!onReact}
              onClick={() => onReact?.(e)}
            >
              <span className="emoji">{e}</span>
              <span className="count">{counts.get(e)}</span>
            </button>
          ))}
          {picking ? (
            <span className="picker" role="group" aria-label="Reactions" onKeyDown={(ev) => ev.key === 'Escape' && setPicking(false)}>
              {EMOJIS.map((e) => (
                <button key={e} type="button" className="pick" data-emoji={e} aria-pressed={pressed(e)} onClick={() => pick(e)}>
                  {e}
                </button>
              ))}
            </span>
          ) : null}
        </div>
      ) : null}
    </li>
  )
}

/** SmileyPlus is the add-a-reaction icon: a smiley with a plus. */
function SmileyPlus() {
  return (
    <svg viewBox="0 0 20 16" width="20" height="16" aria-hidden="true" fill="none" stroke="currentColor" strokeWidth="1.4" strokeLinecap="round">
      <circle cx="8" cy="8" r="6.3" />
      <path d="M5.4 9.6a3.2 3.2 0 0 0 5.2 0" />
      <circle cx="5.9" cy="6.4" r="0.5" fill="currentColor" stroke="none" />
      <circle cx="10.1" cy="6.4" r="0.5" fill="currentColor" stroke="none" />
      <path d="M17 1.5v4M15 3.5h4" />
    </svg>
  )
}

function Composer({ onSend, onType }) {
  const [text, setText] = useState('')
  return (
    <form
      id="composer"
      onSubmit={(ev) => {
        ev.preventDefault()
        const t = text.trim()
        if (t === '') return
        onSend(t)
        setText('')
      }}
    >
      <input
        id="message-input"
        autoComplete="off"
        placeholder="Write a message…"
        value={text}
        onChange={(ev) => {
          setText(ev.target.value)
          onType(ev.target.value)
        }}
      />
      <span className={`left${text.length > MAX_LENGTH ? ' over' : ''}`}>{MAX_LENGTH - text.length}</span>
      <button type="submit">Send</button>
    </form>
  )
}

function JoinForm({ onJoin }) {
  const [name, setName] = useState('')
  return (
    <form
      id="join-form"
      onSubmit={(ev) => {
        ev.preventDefault()
        const n = name.trim()
        if (n) onJoin(n)
      }}
    >
      <label htmlFor="name-input">Your name</label>
      <input id="name-input" autoComplete="off" maxLength={40} value={name} onChange={(ev) => setName(ev.target.value)} />
      <button type="submit">Join the room</button>
    </form>
  )
}

/** Notices shows the error notices; each goes away after NOTICE_MS, or when dismissed. */
function Notices({ notices, dismiss }) {
  return (
    <div id="notices" role="alert">
      {notices.map((n) => (
        <Notice key={n.id} text={n.text} dismiss={() => dismiss(n.id)} />
      ))}
    </div>
  )
}

function Notice({ text, dismiss }) {
  useEffect(() => {
    const t = setTimeout(dismiss, NOTICE_MS)
    return () => clearTimeout(t)
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [])
  return (
    <div className="notice">
      <span className="notice-text">{text}</span>
      <button type="button" className="dismiss" aria-label="Dismiss" onClick={dismiss}>
        ×
      </button>
    </div>
  )
}
