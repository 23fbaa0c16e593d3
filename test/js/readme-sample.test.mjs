// The README's first sample is test/types/readme.test-d.ts's, which tsc
// type-checks (make test-package): this test fails when the two differ, so
// that the README never shows a sample that does not compile.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'

const read = (path) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8')

/** readmeSample is the first ```js block after "## Using the package". */
function readmeSample() {
  const readme = read('README.md')
  const section = readme.indexOf('\n## Using the package\n')
  assert.ok(section >= 0, 'README.md has a "## Using the package" section')
  const start = readme.indexOf('```js\n', section)
  assert.ok(start >= 0, 'the section has a ```js block')
  const end = readme.indexOf('\n```\n', start)
  return readme.slice(start + '```js\n'.length, end + 1)
}

function typedSample() {
  const file = read('test/types/readme.test-d.ts')
  const begin = '// ---- README sample begin ----\n'
  const end = '// ---- README sample end ----\n'
  const i = file.indexOf(begin)
  const j = file.indexOf(end)
  assert.ok(i >= 0 && j > i, 'test/types/readme.test-d.ts has the sample markers')
  return file.slice(i + begin.length, j)
}

test('the README sample is the one test/types type-checks', () => {
  assert.equal(readmeSample(), typedSample(), 'copy the README sample into test/types/readme.test-d.ts (or back)')
})
