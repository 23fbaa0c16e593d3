// The page's side of locale order (orderBy with stringSort 'locale'): the
// Go module ranks the strings it sorts so that it compares numbers, not
// strings through the bridge. See core/jswire/collate.go (Place).

/**
 * collation returns Intl.Collator(locale, options)'s compare, and place:
 * given the JSON text of an array of strings it was never given, it
 * answers the JSON text of one [PRED, SUCC, EQUAL, GROUP] per string and
 * keeps one string of each class of equal strings, in collator order
 * (given '', it forgets them all);
 * and rootASCII: whether the collator's resolved locale and options leave
 * printable ASCII in the root collation's order (English or the root
 * locale, no extension keys, default options), so that the Go module may
 * compare such strings itself (it checks the order once on the characters).
 */
export function collation(locale, optionsJSON) {
  const collator = new Intl.Collator(locale || undefined, optionsJSON ? JSON.parse(optionsJSON) : undefined)
  const compare = collator.compare
  let kept = [] // one string per class of equal strings, in order
  function place(text) {
    if (text === '') {
      // The module forgets its ranks (core/jswire/collate.go, forget).
      kept = []
      return '[]'
    }
    const strs = JSON.parse(text)
    const order = strs.map((_, i) => i).sort((a, b) => compare(strs[a], strs[b]))
    const out = new Array(strs.length)
    const added = [] // [position in kept, string], positions ascending
    let from = 0
    let gap = -1
    let group = -1
    let last
    for (const i of order) {
      const s = strs[i]
      // The first kept string not before s; strings come in order, so the
      // search starts where the last one ended.
      let lo = from
      let hi = kept.length
      while (lo < hi) {
        const mid = (lo + hi) >> 1
        if (compare(kept[mid], s) < 0) lo = mid + 1
        else hi = mid
      }
      from = lo
      if (lo < kept.length && compare(kept[lo], s) === 0) {
        out[i] = [kept[lo], null, 1, 0]
        continue
      }
      if (lo !== gap) {
        gap = lo
        group = 0
        added.push([lo, s])
      } else if (compare(last, s) !== 0) {
        group++
        added.push([lo, s])
      }
      last = s
      out[i] = [lo > 0 ? kept[lo - 1] : null, lo < kept.length ? kept[lo] : null, 0, group]
    }
    if (added.length > 0 && added.length <= 16) {
      // A few new strings (a live change): splices, from the last one back
      // so that the positions before it still hold.
      for (let j = added.length - 1; j >= 0; j--) kept.splice(added[j][0], 0, added[j][1])
    } else if (added.length > 0) {
      const merged = []
      let k = 0
      for (const [pos, s] of added) {
        while (k < pos) merged.push(kept[k++])
        merged.push(s)
      }
      while (k < kept.length) merged.push(kept[k++])
      kept = merged
    }
    return JSON.stringify(out)
  }
  return { compare, place, rootASCII: rootASCII(collator.resolvedOptions()) }
}

function rootASCII(o) {
  const lang = o.locale.split('-')[0]
  return (
    (lang === 'en' || lang === 'und') &&
    !o.locale.includes('-u-') &&
    o.usage === 'sort' &&
    o.sensitivity === 'variant' &&
    !o.ignorePunctuation &&
    !o.numeric &&
    (o.caseFirst === undefined || o.caseFirst === 'false') &&
    (o.collation === undefined || o.collation === 'default')
  )
}
