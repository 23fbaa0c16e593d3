// gen.mjs makes a few thousand test strings (mixed case, accents, digits,
// numbers inside text, punctuation, spaces, empty, emoji, CJK, …) and, for
// each configuration of locale and Intl.Collator options, JavaScript's
// localeCompare sign on random pairs, the sorted order, and the sign of each
// pair of neighbours in that order (the hardest pairs). core/collate's
// test compares the Go collation with it.
//
//   node testdata/gen.mjs [count]
let seed = 12345
function rand() {
  seed = (seed + 0x6d2b79f5) | 0
  let t = seed
  t = Math.imul(t ^ (t >>> 15), t | 1)
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}
const pick = (xs) => xs[Math.floor(rand() * xs.length)]

const pieces = [
  'a', 'b', 'c', 'z', 'A', 'B', 'Z', 'e', 'E', 'é', 'É', 'è', 'ê', 'ë', 'e\u0301', 'ñ', 'Ñ', 'ö', 'Ö', 'ø', 'å', 'Å',
  'æ', 'Æ', 'œ', 'ß', 'ẞ', 'ss', 'SS', 'ı', 'İ', 'i', 'I', 'ç', 'Ç', 'đ', 'ł', 'Ł', 'þ', 'ð',
  '0', '1', '2', '9', '10', '42', '007', '123', '1.5', '3,14', '½', '²', '٣', '１',
  ' ', '  ', '\t', '-', '_', '.', ',', ';', ':', '!', '?', "'", '"', '(', ')', '[', ']', '{', '}', '@', '*', '/', '\\',
  '&', '#', '%', '`', '^', '+', '<', '=', '>', '|', '~', '$', '€', '£', '¥', '§', '©', '°', '·', '—', '–', '…', '«', '»',
  '😀', '😃', '👍', '👍🏽', '🇫🇷', '❤️', '★', '☃', '♥', '🤣', '🥰', '🫠', '🧑‍💻',
  '中', '文', '日本', '語', '한', '국', 'あ', 'ア', 'ｱ', 'カ', 'が', 'Ａ', 'ａ',
  'α', 'Α', 'β', 'Ω', 'ω', 'ς', 'σ', 'Σ', 'д', 'Д', 'я', 'Я', 'ё', 'Ё',
  'ש', 'ا', 'ب', 'क', 'ก', '\u00ad', '\u200b', '\u0000', '\u0001', 'ǅ', 'ﬁ', 'ℌ', 'ℍ', 'Ⅻ',
  'hello', 'Hello', 'HELLO', 'world', 'item', 'Item', 'file', 'File', 'co-op', 'coop', 'résumé', 'resume', 'naïve',
  'Straße', 'strasse', 'apple', 'Apple', 'banana', 'x', 'X', 'y', 'Y',
]
const blocks = [
  [0x20, 0x7e], [0xa0, 0x24f], [0x250, 0x2ff], [0x300, 0x36f], [0x370, 0x3ff], [0x400, 0x4ff], [0x530, 0x58f],
  [0x590, 0x5ff], [0x600, 0x6ff], [0x900, 0x97f], [0x980, 0x9ff], [0xe00, 0xe7f], [0x10a0, 0x10ff], [0x1100, 0x11ff],
  [0x1e00, 0x1eff], [0x1f00, 0x1fff], [0x2000, 0x206f], [0x20a0, 0x20cf], [0x2100, 0x23ff], [0x2460, 0x27bf],
  [0x2c60, 0x2c7f], [0x3000, 0x30ff], [0x4e00, 0x4fff], [0xa720, 0xa7ff], [0xac00, 0xacff],
  [0xfb00, 0xfb4f], [0xff00, 0xffef], [0x10400, 0x1044f], [0x1d400, 0x1d7ff], [0x1f000, 0x1faff],
]
const words = ['apple', 'Apple', 'APPLE', 'banana', 'Banana', 'cherry', 'résumé', 'resume', 'Resume', 'zebra', 'Zoë', 'zoe', 'item', 'file']

const strings = new Set(['', ' ', 'a', 'A', 'b', 'B', 'á', 'Á', 'ab', 'aB', 'Ab', 'AB', '1', '10', '2', 'a1', 'a10', 'a2', 'a 1', 'a-1'])
const count = Number(process.argv[2] || 3000)
while (strings.size < count) {
  const kind = rand()
  let s = ''
  if (kind < 0.25) {
    // ASCII words and numbers, the common case.
    const n = 1 + Math.floor(rand() * 3)
    const parts = []
    for (let i = 0; i < n; i++) parts.push(rand() < 0.3 ? String(Math.floor(rand() * 1000)) : pick(words))
    s = parts.join(pick([' ', '', '-', '_', '.']))
  } else if (kind < 0.4) {
    // Short ASCII letters and digits.
    const n = 1 + Math.floor(rand() * 6)
    for (let i = 0; i < n; i++) s += pick('aAbBcCxXyYzZ0123456789')
  } else if (kind < 0.55) {
    // Random assigned characters of many scripts and blocks (not the Han
    // extensions: x/text orders Han by code point, ICU by radical and stroke).
    const n = 1 + Math.floor(rand() * 4)
    while ([...s].length < n) {
      const [lo, hi] = pick(blocks)
      const ch = String.fromCodePoint(lo + Math.floor(rand() * (hi - lo + 1)))
      if (!/\p{Cn}|\p{Cs}|\p{Co}/u.test(ch)) s += ch
    }
  } else {
    const n = 1 + Math.floor(rand() * 4)
    for (let i = 0; i < n; i++) s += pick(pieces)
  }
  strings.add(s)
}
// Pairs that tell options apart: expansions, case, digits of other
// scripts, numbers, punctuation, tailorings of de and sv.
const tricky = [
  ['Æ', 'AE'], ['æ', 'ae'], ['Æ', 'Ae'], ['ǲ', 'Dz'], ['ﬀ', 'ff'], ['Ǳ', 'DZ'], ['æb', 'aeB'], ['ẞ', 'SS'], ['ß', 'ẞ'],
  ['ß', 'ss'], ['σ', 'ς'], ['ς', 'Σ'], ['a', 'A'], ['a', 'á'], ['á', 'A'], ['ａ', 'A'], ['1', '１'], ['٣', '3'], ['3', '३'],
  ['01', '1'], ['a01', 'a1'], ['1a', '01b'], ['²', '3'], ['½', '1'], ['①', '9'], ['a-b', 'ab'], ['a b', 'ab'],
  ['co-op', 'coop'], ['', ' '], ['', '\u0000'], ['a\u0000', 'a'], ['resume', 'résumé'], ['Résumé', 'resume'],
  ['x10', 'x9'], ['x10', 'X9'], ['file10.txt', 'file9.txt'], ['e\u0301', 'é'], ['ö', 'oe'], ['å', 'z'], ['ä', 'ae'],
  ['İ', 'I'], ['ı', 'i'], ['ch', 'cz'], ['Ø', 'O'], ['ø', 'p'], ['Þ', 'z'], ['ð', 'd'], ['中', '文'], ['あ', 'ア'],
  ['ア', 'ｱ'], ['カ', 'が'], ['😀', '😃'], ['★', '☃'], ['a😀', 'a1'], ['@', '!'], ['_', '-'], ['$', '€'],
  ['Apple', 'apple'], ['apple', 'Apple2'], ['a1b', 'A1b'], ['ab', 'aB'], ['aB', 'Ab'],
]
for (const [a, b] of tricky) {
  strings.add(a)
  strings.add(b)
}
const list = [...strings]
const index = new Map(list.map((s, i) => [s, i]))

const configs = [
  { name: 'default' },
  { name: 'en', locale: 'en' },
  { name: 'base', options: { sensitivity: 'base' } },
  { name: 'accent', options: { sensitivity: 'accent' } },
  { name: 'case', options: { sensitivity: 'case' } },
  { name: 'numeric', options: { numeric: true } },
  { name: 'upperFirst', options: { caseFirst: 'upper' } },
  { name: 'lowerFirst', options: { caseFirst: 'lower' } },
  { name: 'ignorePunctuation', options: { ignorePunctuation: true } },
  { name: 'de', locale: 'de' },
  { name: 'sv', locale: 'sv' },
]

const pairCount = 4000
const pairs = tricky.map(([a, b]) => [index.get(a), index.get(b)])
for (let i = 0; i < pairCount; i++) pairs.push([Math.floor(rand() * list.length), Math.floor(rand() * list.length)])

const out = { node: process.version, icu: process.versions.icu, strings: list, pairs, configs: [] }
for (const c of configs) {
  const cmp = (a, b) => a.localeCompare(b, c.locale, c.options)
  const signs = pairs.map(([i, j]) => Math.sign(cmp(list[i], list[j])))
  const order = list.map((_, i) => i).sort((i, j) => cmp(list[i], list[j]) || i - j)
  const adjacent = order.slice(1).map((j, k) => Math.sign(cmp(list[order[k]], list[j])))
  out.configs.push({ ...c, signs, order, adjacent })
}
process.stdout.write(JSON.stringify(out))
