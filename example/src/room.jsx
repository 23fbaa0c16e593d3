// The room: opens its StreamDB, renders the page, then preloads (reads the
// stream to its end and follows it live). main.jsx calls start once it has
// picked the package's entry.
import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { openChat } from './chat.js'
import { App } from './App.jsx'
import './style.css'

/**
 * start opens the room. gateway is the streamdb-gateway's socket URL when
 * the room is followed through it (live: 'websocket'), and createStreamDB
 * then the one of '@streamdb/streamdb/websocket'.
 */
export async function start({ gateway, createStreamDB } = {}) {
  // Where the room lives: ?stream=<url>, else VITE_STREAM_URL (set by
  // `make demo`), else the demo's default.
  const params = new URLSearchParams(location.search)
  const streamUrl = params.get('stream') || import.meta.env.VITE_STREAM_URL || 'http://127.0.0.1:4437/v1/stream/chat'
  // ?latency=<ms> delays every write, to watch the pending state;
  // ?typing=<seconds> is how long a typing indicator lasts; ?persist=0 reads
  // the whole stream on every load instead of keeping the room in the browser.
  const latencyMs = Number(params.get('latency') ?? 0) || 0
  const persist = params.get('persist') !== '0'
  const typingMs = (Number(params.get('typing') ?? 5) || 5) * 1000

  // Errors the StreamDB reports while following the stream, for the page.
  const listeners = new Set()
  const errors = {
    subscribe(fn) {
      listeners.add(fn)
      return () => listeners.delete(fn)
    },
  }
  const report = (e) => {
    console.warn('StreamDB:', e)
    for (const fn of listeners) fn(`Stream error: ${e.message}`)
  }

  const root = createRoot(document.getElementById('root'))
  // The restore of a kept room, for the page and the end-to-end test.
  const onProgress = (p) => {
    if (p.phase === 'restore') document.documentElement.dataset.restored = String(p.restored)
  }
  if (gateway) document.documentElement.dataset.live = 'websocket'
  const db = openChat({ streamUrl, latencyMs, persist, gateway, createStreamDB, onError: report, onProgress })
  // The room's StreamDB, for the browser's console: try db.collections.messages.toArray.
  window.db = db
  root.render(
    <StrictMode>
      <App chat={{ db, gateway }} typingMs={typingMs} notices={errors} />
    </StrictMode>,
  )
  window.addEventListener('pagehide', () => db.close())

  try {
    await db.preload()
    document.documentElement.dataset.ready = 'true'
  } catch (e) {
    root.render(
      <div className="fatal" role="alert">
        <h1>Could not open the chat room</h1>
        <p>{`${streamUrl}${gateway ? ` (through the gateway at ${gateway})` : ''}: ${e.message}`}</p>
        <p>Is the Durable Streams server running{gateway ? ', and the gateway' : ''}? Start everything with <code>make demo{gateway ? ' GATEWAY=1' : ''}</code>.</p>
      </div>,
    )
  }
}
