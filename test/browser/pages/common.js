// Helpers shared by the test pages: a section per scenario, a log the test
// reads, and the hook that tells the test the page is ready.
//
// Every page module exports its scenarios; expose() puts them on
// window.scenarios, where the test calls them with page.evaluate.

/** section returns a fresh <section id="name"> in the body (replacing one of the same id). */
export function section(name) {
  document.getElementById(name)?.remove()
  const el = document.createElement('section')
  el.id = name
  document.body.append(el)
  return el
}

/** logger returns a log(line) function writing <li> lines into a <ul class="log"> of el. */
export function logger(el) {
  const ul = document.createElement('ul')
  ul.className = 'log'
  el.append(ul)
  return (line) => {
    const li = document.createElement('li')
    li.textContent = line
    ul.append(li)
  }
}

/** describe shows an error as the user would print it: "Name: message". */
export function describe(err) {
  return err instanceof Error ? `${err.name}: ${err.message}` : `non-error: ${JSON.stringify(err)}`
}

/** gate returns a promise plus its resolve and reject (a test-controlled pause). */
export function gate() {
  let resolve, reject
  const promise = new Promise((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}

/** expose publishes the scenarios and marks the page ready. */
export function expose(scenarios) {
  window.scenarios = scenarios
  document.documentElement.dataset.ready = ''
}
