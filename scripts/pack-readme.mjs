// The npm package gets the short README of npm/README.md, the repository
// keeps its own. npm always packs the package root's README.md, so
// package.json's prepack runs `node scripts/pack-readme.mjs prepack`, which
// moves README.md aside (to .README.repository.md) and puts npm/README.md
// in its place, and postpack runs `... postpack`, which moves it back.
// A pack that failed in between leaves the aside file: the next prepack
// refuses to start, and `node scripts/pack-readme.mjs postpack` restores
// the repository's README.
import { copyFileSync, existsSync, renameSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const readme = `${root}README.md`
const aside = `${root}.README.repository.md`
const npmReadme = `${root}npm/README.md`

const step = process.argv[2]
if (step === 'prepack') {
  if (existsSync(aside)) {
    console.error(`${aside} exists: an earlier pack did not finish. Run \`node scripts/pack-readme.mjs postpack\` to put the repository's README back.`)
    process.exit(1)
  }
  renameSync(readme, aside)
  copyFileSync(npmReadme, readme)
} else if (step === 'postpack') {
  if (existsSync(aside)) renameSync(aside, readme)
} else {
  console.error('usage: node scripts/pack-readme.mjs prepack|postpack')
  process.exit(2)
}
