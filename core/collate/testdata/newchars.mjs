// newchars.mjs prints, as JSON, every assigned character that the JS engine
// knows, except Han ideographs (and noncharacters, surrogates, private
// use), in the order of Intl.Collator('en-US') with, for each, whether it
// is ignorable at the primary level or at every level. mknewchars.go turns
// it into newchars_table.go for the characters x/text's tables lack.
//
//   node testdata/newchars.mjs | go run mknewchars.go > newchars_table.go
const cps = []
for (let cp = 0; cp <= 0x10ffff; cp++) {
  if (cp >= 0xd800 && cp <= 0xdfff) continue
  const s = String.fromCodePoint(cp)
  if (/^[\p{Cn}\p{Co}\p{Cs}\p{Script=Han}]$/u.test(s)) continue
  cps.push(cp)
}
const coll = new Intl.Collator('en-US')
const base = new Intl.Collator('en-US', { sensitivity: 'base' })
cps.sort((a, b) => coll.compare(String.fromCodePoint(a), String.fromCodePoint(b)) || a - b)
// group: the index of the class of characters equal at the primary level;
// kind: 0 has a primary weight, 1 ignorable at the primary level only, 2
// ignorable at every level.
const out = []
let group = -1
let prev = null
for (const cp of cps) {
  const s = String.fromCodePoint(cp)
  let kind = 0
  if (coll.compare(s, '') === 0) kind = 2
  else if (base.compare(s, '') === 0) kind = 1
  if (kind === 0 && (prev === null || base.compare(prev, s) !== 0)) group++
  if (kind === 0) prev = s
  out.push([cp, kind === 0 ? group : -kind])
}
process.stdout.write(JSON.stringify({ unicode: process.versions.unicode, icu: process.versions.icu, sorted: out }))
