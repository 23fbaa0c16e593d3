// useLiveQuery of each framework adapter (React, Vue, Solid) in one page,
// over one StreamDB per scenario. Each renders a role picker, the users of
// the picked role (a query rebuilt when the role changes; the empty role
// disables the query), and the query's status.
import { createStateSchema, createStreamDB, eq, liveQuery } from '@streamdb/streamdb'
import { useLiveQuery as useReact, _internals as reactInternals } from '@streamdb/streamdb/react'
import { useLiveQuery as useVue } from '@streamdb/streamdb/vue'
import { useLiveQuery as useSolid } from '@streamdb/streamdb/solid'
import { createElement, Suspense, useState } from 'react'
import { createRoot } from 'react-dom/client'
import { createApp, h as vh, ref } from 'vue'
import { createSignal } from 'solid-js'
import { render } from 'solid-js/web'
import html from 'solid-js/html'
import { section, expose } from './common.js'

window.dbs = {}

async function open(name, stream) {
  const schema = createStateSchema({ users: { type: 'user', primaryKey: 'id' } })
  const db = createStreamDB({ streamOptions: { url: stream, contentType: 'application/json' }, state: schema })
  await db.preload()
  window.dbs[name] = db
  return db
}

const ROLES = ['admin', 'member', '']

/** The role picker: a <select class="role"> (the empty option disables the query). */
function setRoleFromTest(el, role) {
  const select = el.querySelector('select.role')
  select.value = role
  select.dispatchEvent(new Event('change', { bubbles: true }))
}
window.pickRole = (name, role) => setRoleFromTest(document.getElementById(name), role)

async function react({ stream }) {
  const el = section('react')
  const db = await open('react', stream)
  const h = createElement
  function App() {
    const [role, setRole] = useState('admin')
    const users = useReact(
      (q) => (role ? q.from({ u: db.collections.users }).where(({ u }) => eq(u.role, role)) : undefined),
      [role],
    )
    return h('div', null,
      h('h2', null, 'React'),
      h('select', { className: 'role', value: role, onChange: (e) => setRole(e.target.value) },
        ROLES.map((r) => h('option', { key: r, value: r }, r || '(none)'))),
      h('ul', { className: 'users' }, (users.data ?? []).map((u) => h('li', { key: u.id }, u.name))),
      h('p', { className: 'status' }, `${users.status} ${users.isReady} ${users.isEnabled}`),
    )
  }
  const host = document.createElement('div')
  el.append(host)
  createRoot(host).render(h(App))
}

// A first render that suspends is thrown away by React: the live query it
// opened is never subscribed to, and must not stay open. The component
// suspends until window.resume() is called.
async function reactSuspended({ stream }) {
  const el = section('reactSuspended')
  const db = await open('reactSuspended', stream)
  reactInternals.unclaimedMs = 300
  const h = createElement
  let resume
  const gate = new Promise((r) => (resume = r))
  let waiting = true
  window.resume = () => {
    waiting = false
    resume()
  }
  function Users() {
    const users = useReact((q) => q.from({ u: db.collections.users }), [])
    if (waiting) throw gate
    return h('ul', { className: 'users' }, users.data.map((u) => h('li', { key: u.id }, u.name)))
  }
  const host = document.createElement('div')
  el.append(host)
  createRoot(host).render(h(Suspense, { fallback: h('p', { className: 'waiting' }, 'waiting') }, h(Users)))
}

async function vue({ stream }) {
  const el = section('vue')
  const db = await open('vue', stream)
  const App = {
    setup() {
      const role = ref('admin')
      const { data, status, isReady, isEnabled } = useVue((q) =>
        role.value ? q.from({ u: db.collections.users }).where(({ u }) => eq(u.role, role.value)) : undefined,
      )
      return () => vh('div', [
        vh('h2', 'Vue'),
        vh('select', { class: 'role', value: role.value, onChange: (e) => { role.value = e.target.value } },
          ROLES.map((r) => vh('option', { value: r }, r || '(none)'))),
        vh('ul', { class: 'users' }, (data.value ?? []).map((u) => vh('li', { key: u.id }, u.name))),
        vh('p', { class: 'status' }, `${status.value} ${isReady.value} ${isEnabled.value}`),
      ])
    },
  }
  const host = document.createElement('div')
  el.append(host)
  createApp(App).mount(host)
}

// A LiveQuery made outside the component, passed as a getter (Vue) or an
// accessor (Solid) that switches between two of them: window.switchLive(name,
// 'admin' | 'member').
async function liveArgs({ stream }) {
  const el = section('liveArgs')
  const db = await open('liveArgs', stream)
  const byRole = (role) => liveQuery((q) => q.from({ u: db.collections.users }).where(({ u }) => eq(u.role, role)))
  const lives = { admin: byRole('admin'), member: byRole('member') }
  const list = (rows) => (rows ?? []).map((u) => u.name).join(',')

  const vueRole = ref('admin')
  const vueHost = document.createElement('div')
  el.append(vueHost)
  createApp({
    setup() {
      const { data } = useVue(() => lives[vueRole.value])
      return () => vh('p', { class: 'vue' }, list(data.value))
    },
  }).mount(vueHost)

  const [solidRole, setSolidRole] = createSignal('admin')
  const solidHost = document.createElement('div')
  el.append(solidHost)
  render(() => {
    const users = useSolid(() => lives[solidRole()])
    return html`<p class="solid">${() => list(users())}</p>`
  }, solidHost)

  window.switchLive = (which, role) => (which === 'vue' ? (vueRole.value = role) : setSolidRole(role))
}

async function solid({ stream }) {
  const el = section('solid')
  const db = await open('solid', stream)
  function App() {
    const [role, setRole] = createSignal('admin')
    const users = useSolid((q) =>
      role() ? q.from({ u: db.collections.users }).where(({ u }) => eq(u.role, role())) : undefined,
    )
    return html`<div>
      <h2>Solid</h2>
      <select class="role" onChange=${(e) => setRole(e.target.value)}>
        ${ROLES.map((r) => html`<option value=${r}>${r || '(none)'}</option>`)}
      </select>
      <ul class="users">${() => (users() ?? []).map((u) => html`<li>${u.name}</li>`)}</ul>
      <p class="status">${() => `${users.status} ${users.isReady} ${users.isEnabled}`}</p>
    </div>`
  }
  const host = document.createElement('div')
  el.append(host)
  render(App, host)
}

// A component whose effect dependencies change after its StreamDB was
// closed (a timer re-rendering a page that is being left): React runs the
// effect's cleanup, which disposes the live query, then the effect again,
// which would open it anew on the closed db. The hook keeps the last
// result, cleaned up, with no page error (the e2e test's flake).
async function reactClosed({ stream }) {
  const el = section('reactClosed')
  const db = await open('reactClosed', stream)
  const h = createElement
  let bump
  function App() {
    const [tick, setTick] = useState(0)
    bump = () => setTick((n) => n + 1)
    const users = useReact((q) => q.from({ u: db.collections.users }), [tick])
    return h('div', null,
      h('ul', { className: 'users' }, (users.data ?? []).map((u) => h('li', { key: u.id }, u.name))),
      h('p', { className: 'status' }, `${users.status} ${tick}`),
    )
  }
  const host = document.createElement('div')
  el.append(host)
  createRoot(host).render(h(App))
  window.closeAndRerender = () => {
    db.close()
    bump()
  }
}

expose({ react, reactSuspended, reactClosed, vue, solid, liveArgs })
