// Seeded pseudo-random numbers for the differential query tests. Every random
// choice of a run goes through one Rng, so the same seed string gives the same
// data, query and step list.

// cyrb128 string hash: four 32-bit seeds from a string.
function hash128(str) {
  let h1 = 1779033703, h2 = 3144134277, h3 = 1013904242, h4 = 2773480762
  for (let i = 0; i < str.length; i++) {
    const k = str.charCodeAt(i)
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067)
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233)
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213)
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179)
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067)
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233)
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213)
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179)
  return [(h1 ^ h2 ^ h3 ^ h4) >>> 0, (h2 ^ h1) >>> 0, (h3 ^ h1) >>> 0, (h4 ^ h1) >>> 0]
}

/** Rng is a small seeded generator (sfc32) with helpers for picking things. */
export class Rng {
  constructor(seed) {
    ;[this.a, this.b, this.c, this.d] = hash128(String(seed))
    for (let i = 0; i < 12; i++) this.next()
  }

  /** next returns a float in [0, 1). */
  next() {
    this.a >>>= 0; this.b >>>= 0; this.c >>>= 0; this.d >>>= 0
    let t = (this.a + this.b) | 0
    this.a = this.b ^ (this.b >>> 9)
    this.b = (this.c + (this.c << 3)) | 0
    this.c = (this.c << 21) | (this.c >>> 11)
    this.d = (this.d + 1) | 0
    t = (t + this.d) | 0
    this.c = (this.c + t) | 0
    return (t >>> 0) / 4294967296
  }

  /** int returns an integer in [lo, hi]. */
  int(lo, hi) {
    return lo + Math.floor(this.next() * (hi - lo + 1))
  }

  /** chance is true with probability p. */
  chance(p) {
    return this.next() < p
  }

  /** pick returns one element of a non-empty array. */
  pick(arr) {
    return arr[Math.floor(this.next() * arr.length)]
  }

  /** some returns n distinct elements of arr (n clamped to its length). */
  some(arr, n) {
    const copy = [...arr]
    const out = []
    while (out.length < n && copy.length) out.push(copy.splice(Math.floor(this.next() * copy.length), 1)[0])
    return out
  }

  /** weighted picks a value from [[weight, value], ...]. */
  weighted(pairs) {
    const total = pairs.reduce((s, [w]) => s + w, 0)
    let r = this.next() * total
    for (const [w, v] of pairs) {
      if ((r -= w) < 0) return v
    }
    return pairs[pairs.length - 1][1]
  }
}
