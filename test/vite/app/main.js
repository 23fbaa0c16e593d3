// A user's app: the package installed from its npm tarball, imported by
// name; the stream's URL comes from the page's query string.
import { createStateSchema, createStreamDB, liveQuery, eq } from '@streamdb/streamdb'

const url = new URLSearchParams(location.search).get('stream')
const schema = createStateSchema({ users: { type: 'user', primaryKey: 'id' } })
const db = createStreamDB({ streamOptions: { url, contentType: 'application/json' }, state: schema })
await db.preload()

const active = liveQuery((q) =>
  q.from({ users: db.collections.users }).where(({ users }) => eq(users.active, true)))

function render() {
  document.getElementById('users').replaceChildren(...active.data.map((u) => {
    const li = document.createElement('li')
    li.textContent = u.name
    return li
  }))
  document.getElementById('status').textContent = active.status
}
active.subscribe(render)
render()
