// Random data, queries and change steps for the differential query tests.
//
// A query is generated as a "plan": our IR JSON (see core/ir/ir.go) plus a few
// builder hints in members whose names start with "_" (how to spell it with
// TanStack's builder: `.innerJoin` vs `.join(.., 'inner')`, returning an alias
// from select, orderBy direction as a string, groupBy as several calls). The
// plan is built with TanStack's own query builder (ir.mjs buildQuery) and the
// IR sent to the engine is converted back from the builder's IR, so the engine
// always sees what TanStack's builder really produced.

// ---------------------------------------------------------------------------
// Data

const NAMES = ['alice', 'Alice', 'ALICE', 'álvaro', 'Álvaro', 'alvaro', 'bob', 'Bob', 'bob2', 'bob10', 'Bob10',
  'émile', 'Emile', 'emile', 'zoë', 'Zoe', 'zoe', '10', '9', '100', 'a b', '', 'ß', 'straße', 'Strasse',
  'ünïcode', 'x_y', 'x%y', 'Ωmega', 'ñandú', 'Nandu', 'Øyvind', 'Ärger', 'arger', 'Zed', 'b']
const CITIES = ['Paris', 'paris', 'Zürich', 'zurich', 'Berlin', 'Ångström', 'Oslo', 'oslo', 'Łódź', 'Lodz']
const TITLES = ['Hello', 'hello world', 'Hello World', 'Ünïcode post', 'post 2', 'post 10', 'Post 9', '',
  'a%b', 'x_y', 'émile writes', 'Emile writes', 'zebra', 'Zebra', 'apple', 'Apple']
const TEAM_NAMES = ['Red', 'red', 'Blue', 'blue', 'Green', 'Ünited', '10', 'A-Team', 'alice', 'Bob']
const REGIONS = ['north', 'North', 'South', 'east', 'Öst', 'west']
const TAGS = ['a', 'b', 'c', 'X', 'é', '10', '9']
// Values mixed into a field of another type, in three pools. numbool: JS's <
// stays a total order over numbers and booleans (false = 0, true = 1, a tie
// with 0 and 1). numstr: numeric strings, which compare as numbers against
// numbers but as text against each other ("10" < "7" < 8 < "10"). all: also
// strings that are no number (NaN against a number or a boolean: a tie with
// every one of them), booleans and null. The last two make TanStack's
// comparator intransitive; the harness decides per step (order.mjs).
const MIXES = {
  numbool: [true, false, 0, 1, -1, 7, 2.5, true],
  numstr: ['7', '10', '-1.5', '', '0', '3.5', '100', 7, 10],
  all: ['7', 'abc', '10', '', '-1.5', 'Alice', 'b', true, false, 42, 7, -1, 0, 3.5, null],
}

// Field descriptors: t = type, n = probability of null, m = probability of
// missing (undefined). A field with m = 0 is "never missing".
const FIELDS = {
  users: {
    id: { t: 'str', key: true },
    name: { t: 'str', n: 0.05 },
    age: { t: 'num', n: 0.1, m: 0.1 },
    active: { t: 'bool', n: 0.1, m: 0.1 },
    teamId: { t: 'str', n: 0.1, m: 0.1 },
    score: { t: 'num', n: 0.1, m: 0.05 },
    tags: { t: 'arr', m: 0.4 },
    city: { t: 'str' },
  },
  posts: {
    id: { t: 'str', key: true },
    userId: { t: 'str', n: 0.05, m: 0.05 },
    title: { t: 'str' },
    likes: { t: 'num', n: 0.1 },
    rating: { t: 'num', n: 0.1, m: 0.1 },
    teamId: { t: 'str', n: 0.1, m: 0.1 },
    draft: { t: 'bool', m: 0.2 },
  },
  teams: {
    id: { t: 'str', key: true },
    name: { t: 'str' },
    region: { t: 'str', n: 0.2 },
    budget: { t: 'num', n: 0.2, m: 0.1 },
  },
}
const PREFIX = { users: 'u', posts: 'p', teams: 't' }
const MIXABLE = ['users.age', 'users.name', 'posts.likes', 'users.score', 'teams.budget', 'posts.title', 'posts.rating',
  'users.active', 'teams.region', 'users.city']

/** genData makes the schema and the initial rows of one test session. */
export function genData(rng) {
  // In 40% of the sessions 1-3 fields mix types: each draws from one pool
  // of MIXES for 20-60% of its values.
  const mixed = rng.chance(0.4) ? rng.some(MIXABLE, rng.int(1, 3)) : []
  const mix = new Map(mixed.map((f) => [f, { pool: rng.pick(Object.keys(MIXES)), rate: rng.pick([0.2, 0.35, 0.6]) }]))
  const counts = { teams: rng.int(2, 6), users: rng.int(5, 25), posts: rng.int(5, 40) }
  const schema = { mixed: new Set(mixed), counts: { ...counts }, fields: {} }
  for (const [coll, fields] of Object.entries(FIELDS)) {
    schema.fields[coll] = {}
    for (const [f, d] of Object.entries(fields)) {
      const m = mix.get(`${coll}.${f}`)
      schema.fields[coll][f] = m ? { ...d, mixed: true, mix: m } : { ...d, mixed: false }
    }
  }
  const collections = {}
  for (const coll of ['users', 'posts', 'teams']) {
    const rows = []
    for (let i = 1; i <= counts[coll]; i++) rows.push(genRow(rng, schema, coll, `${PREFIX[coll]}${i}`))
    collections[coll] = { pk: 'id', rows }
  }
  schema.nextId = { users: counts.users + 1, posts: counts.posts + 1, teams: counts.teams + 1 }
  return { schema, collections }
}

function fieldValue(rng, schema, coll, f) {
  const c = schema.counts
  switch (`${coll}.${f}`) {
    case 'users.name': return rng.pick(NAMES)
    case 'users.age': return rng.chance(0.1) ? 0 : rng.int(-5, 80)
    case 'users.active': return rng.chance(0.5)
    case 'users.teamId': case 'posts.teamId': return rng.chance(0.05) ? 't99' : `t${rng.int(1, c.teams)}`
    case 'users.score': return rng.weighted([[3, () => rng.int(-50, 100)], [3, () => Math.round(rng.next() * 4000 - 1000) / 40],
      [1, () => 0], [1, () => 3.14], [1, () => -0.5]])()
    case 'users.tags': return rng.some(TAGS, rng.int(0, 3))
    case 'users.city': return rng.pick(CITIES)
    case 'posts.userId': return `u${rng.int(1, c.users + 2)}`
    case 'posts.title': return rng.pick(TITLES)
    case 'posts.likes': return rng.int(-3, 20)
    case 'posts.rating': return rng.int(0, 10) / 2
    case 'posts.draft': return rng.chance(0.3)
    case 'teams.name': return rng.pick(TEAM_NAMES)
    case 'teams.region': return rng.pick(REGIONS)
    case 'teams.budget': return rng.chance(0.5) ? rng.int(0, 1000) : rng.int(-100, 100) / 8
  }
  throw new Error(`no generator for ${coll}.${f}`)
}

/** genValue returns a random value of one field, or undefined for "missing". */
export function genValue(rng, schema, coll, f) {
  const d = schema.fields[coll][f]
  if (d.m && rng.chance(d.m)) return undefined
  if (d.n && rng.chance(d.n)) return null
  if (d.mix && rng.chance(d.mix.rate)) return rng.pick(MIXES[d.mix.pool])
  return fieldValue(rng, schema, coll, f)
}

/** genRow returns a new row of coll with the given id. */
export function genRow(rng, schema, coll, id) {
  const row = {}
  for (const f of Object.keys(schema.fields[coll])) {
    if (f === 'id') { row.id = id; continue }
    const v = genValue(rng, schema, coll, f)
    if (v !== undefined) row[f] = v
  }
  return row
}

// ---------------------------------------------------------------------------
// Expressions

const ref = (...path) => ({ type: 'ref', path })
const val = (v) => (v === undefined ? { type: 'val' } : { type: 'val', value: v })
const fn = (name, ...args) => ({ type: 'func', name, args })
const agg = (name, arg) => ({ type: 'agg', name, args: [arg] })
// fref is the ref to field f of scope entry s: [alias, f], or [f] for the
// row of a unionAll(query, ...) (an entry with row set), read by field.
const fref = (s, f) => (s.row ? ref(f) : ref(s.alias, f))

const LIKE_PATTERNS = ['a%', '%e', '%li%', '_ob', 'B%', '%10', '%', '', 'x%y', 'x_y', '%ß%', 'é%', '%_%', 'ALICE',
  'a_i%', '%o', 'Zo_', '%world', 'post _', '%.%']
const STR_CONSTS = ['alice', 'Alice', 'bob', 'Bob', 'zoë', 'zoe', '10', '9', '', 'paris', 'Paris', 'Red', 'red',
  'north', 't1', 't2', 'u1', 'u3', 'Hello', 'é', 'Émile', 'émile', 'ß', 'ss', 'a', 'X']

// A scope entry: { alias, base (collection name), fields: {name: desc}, outer }.
// desc: { t, n, m, mixed } as in FIELDS (outer-joined aliases may be missing).

/** QueryGen generates random query plans over a schema. */
export class QueryGen {
  constructor(rng, schema, collections) {
    this.rng = rng
    this.schema = schema
    this.collections = collections
    this.aliasN = 0
  }

  /** sample returns the value of field f in a random initial row of base (maybe undefined). */
  sample(base, f) {
    const rows = this.collections?.[base]?.rows
    if (!rows?.length) return undefined
    return this.rng.pick(rows)[f]
  }

  /** constFor returns a constant for comparing with field f of base: often a value present in the data. */
  constFor(base, f, t) {
    if (base && f && this.rng.chance(0.6)) {
      const v = this.sample(base, f)
      if (v !== undefined && v !== null && typeof v !== 'object') return v
    }
    return this.constOf(t)
  }

  newAlias(base) {
    return `${PREFIX[base] ?? 'q'}${this.aliasN++ === 0 ? '' : this.aliasN}`
  }

  // ---- refs and typed expressions ----

  /** fieldsOf lists [alias, field, desc] of the scope matching pred. */
  fieldsOf(scope, pred = () => true) {
    const out = []
    for (const s of scope) {
      for (const [f, d] of Object.entries(s.fields)) if (pred(d, f, s)) out.push([s.alias, f, d])
    }
    return out
  }

  pickRef(scope, pred) {
    const fs = this.fieldsOf(scope, pred)
    if (!fs.length) return null
    const [a, f, d] = this.rng.pick(fs)
    const s = scope.find((x) => x.alias === a)
    return { e: s ? fref(s, f) : ref(a, f), d, base: s?.base, field: f }
  }

  constOf(t) {
    const r = this.rng
    switch (t) {
      case 'num': return r.weighted([[4, () => r.int(-5, 30)], [2, () => r.int(-40, 120) / 4], [1, () => 0], [1, () => -1]])()
      case 'str': return r.pick(STR_CONSTS)
      case 'bool': return r.chance(0.5)
      case 'arr': return r.some(TAGS, r.int(0, 2))
      default: return r.pick([1, 'a', null, true, 0, ''])
    }
  }

  /** value returns {e, t} of a random value expression of (preferably) type t. */
  value(scope, t, depth = 0) {
    const r = this.rng
    const want = t ?? r.pick(['num', 'str', 'bool', 'any'])
    const leaf = () => {
      const pr = this.pickRef(scope, (d) => want === 'any' || d.t === want)
      if (pr && r.chance(0.8)) return { e: pr.e, t: pr.d.t }
      return { e: val(this.constOf(want)), t: want }
    }
    if (depth >= 2 || r.chance(0.55)) return leaf()
    const kind = want === 'num' ? r.pick(['arith', 'arith', 'length', 'coalesce', 'case'])
      : want === 'str' ? r.pick(['upper', 'lower', 'concat', 'coalesce', 'case'])
        : want === 'bool' ? r.pick(['pred', 'coalesce', 'case'])
          : r.pick(['arith', 'upper', 'concat', 'coalesce', 'case', 'length'])
    switch (kind) {
      case 'arith': {
        const op = r.pick(['add', 'subtract', 'multiply', 'divide'])
        return { e: fn(op, this.value(scope, 'num', depth + 1).e, this.value(scope, r.chance(0.8) ? 'num' : 'any', depth + 1).e), t: 'num' }
      }
      case 'length': return { e: fn('length', this.value(scope, r.chance(0.8) ? 'str' : 'any', depth + 1).e), t: 'num' }
      case 'upper': case 'lower': return { e: fn(kind, this.value(scope, r.chance(0.85) ? 'str' : 'any', depth + 1).e), t: 'str' }
      case 'concat': {
        const n = r.int(1, 3)
        const args = []
        for (let i = 0; i < n; i++) args.push(this.value(scope, r.pick(['str', 'str', 'num', 'any']), depth + 1).e)
        return { e: fn('concat', ...args), t: 'str' }
      }
      case 'coalesce': {
        const args = [this.value(scope, want, depth + 1).e]
        const n = r.int(1, 2)
        for (let i = 0; i < n; i++) args.push(r.chance(0.5) ? val(this.constOf(want)) : this.value(scope, want, depth + 1).e)
        return { e: fn('coalesce', ...args), t: want }
      }
      case 'case': {
        const pairs = r.int(1, 2)
        const args = []
        for (let i = 0; i < pairs; i++) {
          args.push(r.chance(0.8) ? this.pred(scope, depth + 1) : this.value(scope, 'any', depth + 1).e)
          args.push(this.value(scope, want, depth + 1).e)
        }
        if (r.chance(0.6)) args.push(this.value(scope, want, depth + 1).e)
        return { e: fn('caseWhen', ...args), t: want }
      }
      case 'pred': return { e: this.pred(scope, depth + 1), t: 'bool' }
    }
    return leaf()
  }

  /** pred returns a random boolean expression (every function of a.2). */
  pred(scope, depth = 0) {
    const r = this.rng
    const kinds = [[6, 'cmp'], [depth ? 1.5 : 0.5, 'eqnull'], [2, 'in'], [2, 'like'], [2, 'isnull'], [1, 'boolref'], [2, 'computed']]
    if (depth < 2) kinds.push([3, 'andor'], [1, 'not'])
    switch (r.weighted(kinds)) {
      case 'cmp': {
        const op = r.pick(['eq', 'eq', 'gt', 'gte', 'lt', 'lte'])
        const t = r.pick(['num', 'num', 'str', 'bool'])
        const left = this.pickRef(scope, (d) => d.t === t) ?? this.pickRef(scope, (d) => d.t !== 'arr')
        if (!left) return fn('eq', val(1), val(1))
        const lt = left.d.t
        let right
        if (r.chance(0.2)) right = this.pickRef(scope, (d) => d.t === lt)?.e
        right ??= val(this.constFor(left.base, left.field, lt))
        return r.chance(0.2) ? fn(op, right, left.e) : fn(op, left.e, right)
      }
      case 'eqnull': {
        const left = this.pickRef(scope)
        const c = r.pick([null, undefined, null])
        return fn(r.pick(['eq', 'eq', 'gt', 'lte']), left.e, val(c))
      }
      case 'in': {
        const left = this.pickRef(scope, (d) => d.t !== 'arr') ?? this.pickRef(scope)
        const t = left.d.t
        const list = []
        const n = r.int(0, 4)
        for (let i = 0; i < n; i++) list.push(r.chance(0.15) ? null : this.constFor(left.base, left.field, t === 'any' ? 'str' : t))
        if (r.chance(0.1)) return fn('in', left.e, val(r.pick(['abc', 3, null])))
        return fn('in', left.e, val(list))
      }
      case 'like': {
        let left = (r.chance(0.85) ? this.pickRef(scope, (d) => d.t === 'str') : null) ?? this.pickRef(scope)
        let le = left.e
        if (r.chance(0.2)) le = fn(r.pick(['lower', 'upper', 'concat']), le)
        let pat = r.pick(LIKE_PATTERNS)
        const sv = r.chance(0.6) ? this.sample(left.base, left.field) : undefined
        if (typeof sv === 'string' && sv.length) {
          const cut = r.int(0, sv.length)
          pat = r.pick([sv.slice(0, cut) + '%', '%' + sv.slice(cut), sv.slice(0, cut) + '_' + sv.slice(cut + 1), sv.toUpperCase(), '%' + sv.slice(cut, cut + 2) + '%'])
        }
        return fn(r.pick(['like', 'ilike']), le, val(pat))
      }
      case 'isnull': {
        const pr = (r.chance(0.8) ? this.pickRef(scope, (d) => d.n || d.m) : null) ?? this.pickRef(scope)
        return fn(r.pick(['isNull', 'isUndefined']), pr.e)
      }
      case 'boolref': {
        const b = this.pickRef(scope, (d) => d.t === 'bool')
        return b ? b.e : fn('isNull', this.pickRef(scope).e)
      }
      case 'computed': {
        const t = r.pick(['num', 'str', 'num'])
        let left = this.value(scope, t, 1).e
        for (let i = 0; i < 3 && left.type !== 'func'; i++) left = this.value(scope, t, 0).e
        // Now and then NaN or ±Infinity, which JSON cannot carry (the IR names them).
        const c = t === 'num' && r.chance(0.1) ? r.pick([NaN, Infinity, -Infinity]) : this.constOf(t)
        return fn(r.pick(['eq', 'gt', 'gte', 'lt', 'lte']), left, val(c))
      }
      case 'andor': {
        const n = r.int(2, 3)
        const args = []
        for (let i = 0; i < n; i++) args.push(this.pred(scope, depth + 1))
        return fn(r.chance(0.6) ? 'or' : 'and', ...args)
      }
      case 'not': return fn('not', this.pred(scope, depth + 1))
    }
    throw new Error('unreachable')
  }

  /**
   * orderableRef: a field whose order is total in TanStack (not mixed), or
   * with allowMixed also a mixed one (for top-level orderBy: the harness
   * checks per step whether the values present are ordered consistently).
   */
  orderableRef(scope, allowArr = false, allowMixed = false) {
    return this.pickRef(scope, (d) => (allowMixed || (!d.mixed && d.t !== 'any')) && (d.t !== 'arr' || allowArr))
  }

  /** orderChance is p, or 0.75 when the scope has a mixed-type field (to order by it). */
  orderChance(scope, p) {
    return this.fieldsOf(scope, (d) => d.mixed).length ? Math.max(p, 0.75) : p
  }

  orderOpts() {
    const r = this.rng
    const direction = r.pick(['asc', 'desc'])
    if (r.chance(0.3)) return { direction, nulls: 'first', _style: 'string' }
    const o = { direction, nulls: r.pick(['first', 'last']) }
    const ss = r.weighted([[3, undefined], [3, 'lexical'], [2, 'locale']])
    if (ss) o.stringSort = ss
    if (ss === 'locale') {
      if (r.chance(0.4)) o.locale = r.pick(['en', 'de', 'sv', 'fr'])
      if (r.chance(0.3)) o.localeOptions = r.pick([{ sensitivity: 'base' }, { numeric: true }, { sensitivity: 'accent' }, { caseFirst: 'upper' }])
    }
    return o
  }

  // ---- sources ----

  scopeOfCollection(base, alias) {
    const fields = {}
    for (const [f, d] of Object.entries(this.schema.fields[base])) fields[f] = { ...d }
    return { alias, base, fields }
  }

  /** subquery returns {plan, fields} of a simple subquery over one collection. */
  subquery(base) {
    const r = this.rng
    const alias = this.newAlias(base)
    const inner = [this.scopeOfCollection(base, alias)]
    const plan = { from: { alias, collection: base } }
    const nw = r.weighted([[5, 0], [4, 1], [1, 2]])
    if (nw) plan.where = Array.from({ length: nw }, () => this.pred(inner))
    let fields = { ...inner[0].fields }
    if (r.chance(0.6)) {
      // keep original names (so join links still apply), maybe compute some
      const keep = ['id', ...r.some(Object.keys(fields).filter((f) => f !== 'id'), r.int(1, 4))]
      plan.select = []
      fields = {}
      if (r.chance(0.3)) {
        plan.select.push({ spread: [alias] })
        fields = { ...inner[0].fields }
      }
      for (const f of keep) {
        const d = inner[0].fields[f]
        if (f !== 'id' && d.t === 'str' && r.chance(0.25)) {
          plan.select.push({ field: f, expr: fn(r.pick(['upper', 'lower']), ref(alias, f)) })
          fields[f] = { ...d }
        } else if (f !== 'id' && d.t === 'num' && r.chance(0.25)) {
          plan.select.push({ field: f, expr: fn('add', ref(alias, f), val(1)) })
          fields[f] = { ...d, n: 0, m: 0 }
        } else {
          plan.select.push({ field: f, expr: ref(alias, f) })
          fields[f] = { ...d }
        }
      }
      if (r.chance(0.3)) {
        plan.select.push({ field: 'extra', expr: this.value(inner, undefined, 1).e })
        fields.extra = { t: 'any', mixed: true, n: 0.5, m: 0.5 }
      }
    }
    if (r.chance(0.2)) {
      const o = this.orderableRef(inner)
      if (o) {
        plan.orderBy = [{ expr: o.e, ...this.orderOpts() }, { expr: ref(alias, 'id'), direction: 'asc', nulls: 'first' }]
        plan.limit = r.int(1, 8)
      }
    }
    return { plan, fields }
  }

  /** source returns {src, scopeEntry} for a from/join source. */
  source(base, allowSub) {
    if (allowSub && this.rng.chance(0.2)) {
      const { plan, fields } = this.subquery(base)
      const alias = `s${this.aliasN++}`
      return { src: { alias, query: plan }, entry: { alias, base, fields } }
    }
    const alias = this.newAlias(base)
    return { src: { alias, collection: base }, entry: this.scopeOfCollection(base, alias) }
  }

  // ---- joins ----

  joinOn(scope, entry) {
    const r = this.rng
    const LINKS = [
      ['users', ['id'], 'posts', ['userId']],
      ['users', ['teamId'], 'teams', ['id']],
      ['posts', ['teamId'], 'teams', ['id']],
      ['users', ['teamId'], 'posts', ['teamId']],
      ['users', ['name'], 'teams', ['name']],
      ['users', ['teamId'], 'users', ['teamId']],
      ['posts', ['userId'], 'posts', ['userId']],
      ['users', ['id', 'teamId'], 'posts', ['userId', 'teamId']],
      ['posts', ['userId', 'teamId'], 'users', ['id', 'teamId']],
      ['users', ['city', 'teamId'], 'users', ['city', 'teamId']],
    ]
    const cands = []
    for (const s of scope) {
      for (const [a, af, b, bf] of LINKS) {
        for (const [x, xf, y, yf] of [[a, af, b, bf], [b, bf, a, af]]) {
          if (s.base === x && entry.base === y && xf.every((f) => s.fields[f]) && yf.every((f) => entry.fields[f])) {
            cands.push([s, xf, yf])
          }
        }
      }
    }
    if (!cands.length) return null
    const [s, xf, yf] = r.pick(cands)
    const eqs = xf.map((f, i) => {
      let le = fref(s, f)
      let re = ref(entry.alias, yf[i])
      if (r.chance(0.08)) { le = fn('lower', le); re = fn('lower', re) }
      return r.chance(0.5) ? fn('eq', le, re) : fn('eq', re, le)
    })
    return eqs.length === 1 ? eqs[0] : fn('and', ...eqs)
  }

  // ---- whole queries ----

  /** query returns a random plan; kind picks the feature mix. */
  query() {
    const r = this.rng
    const kind = r.weighted([[14, 'filter'], [10, 'select'], [16, 'join'], [14, 'group'], [5, 'aggregate'],
      [7, 'distinct'], [6, 'findOne'], [8, 'subfrom'], [5, 'invalid'], [8, 'includes'], [6, 'virtual'], [10, 'fn'], [7, 'union'], [7, 'unionq']])
    const plan = this[`q_${kind}`]()
    plan._kind = kind
    return plan
  }

  base() {
    return this.rng.weighted([[5, 'users'], [4, 'posts'], [1, 'teams']])
  }

  addWhere(plan, scope, max = 2) {
    const n = Math.min(max, this.rng.weighted([[4, 0], [5, 1], [2, 2], [1, 3]]))
    if (n) plan.where = [...(plan.where ?? []), ...Array.from({ length: n }, () => this.pred(scope))]
  }

  addOrder(plan, scope, { withLimit = 0.5, selected = null } = {}) {
    const r = this.rng
    const n = r.int(1, 2)
    plan.orderBy = []
    // Mixed-type fields, where there are any, are ordered by more often than
    // not, and mostly under limit/offset (where top-K has to keep a window).
    const mixed = this.fieldsOf(scope, (d) => d.mixed).length > 0
    for (let i = 0; i < n; i++) {
      let e
      if (mixed && r.chance(0.6)) e = this.pickRef(scope, (d) => d.mixed).e
      else if (selected && r.chance(0.4)) e = ref('$selected', r.pick(selected))
      else if (r.chance(0.2)) {
        const base = this.orderableRef(scope, false, true)
        e = base && base.d.t === 'str' ? fn(r.pick(['lower', 'upper', 'length']), base.e)
          : base && base.d.t === 'num' ? fn(r.pick(['add', 'multiply']), base.e, val(r.int(-2, 3))) : base?.e
      } else e = this.orderableRef(scope, r.chance(0.1), true)?.e
      if (e) plan.orderBy.push({ expr: e, ...this.orderOpts() })
    }
    if (!plan.orderBy.length) { delete plan.orderBy; return }
    if (r.chance(mixed ? Math.max(withLimit, 0.8) : withLimit)) {
      if (r.chance(0.85)) plan.limit = r.int(0, 7)
      if (r.chance(0.4)) plan.offset = r.int(0, 4)
    }
  }

  randomSelect(scope, { allowSpread = true, allowNested = true } = {}) {
    const r = this.rng
    const sel = []
    const names = new Set()
    const fname = () => {
      let f
      do { f = r.pick(['a', 'b', 'c', 'name', 'total', 'x_y', 'label', 'score', 'id', 'n2', 'teamId', 'upperName']) } while (names.has(f))
      names.add(f)
      return f
    }
    const aliased = scope.filter((s) => !s.row) // a union row has no alias to spread
    allowSpread &&= aliased.length > 0
    if (allowSpread && r.chance(0.3)) sel.push({ spread: [r.pick(aliased).alias] })
    const n = r.int(1, 4)
    for (let i = 0; i < n; i++) {
      if (allowNested && r.chance(0.12)) {
        const inner = []
        const m = r.int(1, 2)
        const innerNames = new Set()
        for (let j = 0; j < m; j++) {
          let f
          do { f = r.pick(['x', 'y', 'z', 'name']) } while (innerNames.has(f))
          innerNames.add(f)
          inner.push({ field: f, expr: r.chance(0.6) ? this.pickRef(scope).e : this.value(scope).e })
        }
        sel.push({ field: fname(), select: inner })
      } else if (aliased.length && r.chance(0.05)) {
        sel.push({ field: fname(), expr: ref(r.pick(aliased).alias) }) // a whole row as a field
      } else if (r.chance(0.5)) {
        const pr = this.pickRef(scope)
        sel.push({ field: r.chance(0.5) ? fname() : (names.has(pr.field) ? fname() : (names.add(pr.field), pr.field)), expr: pr.e })
      } else {
        sel.push({ field: fname(), expr: this.value(scope).e })
      }
    }
    if (allowSpread && r.chance(0.1)) sel.push({ spread: [r.pick(aliased).alias] })
    return sel
  }

  q_filter() {
    const { src, entry } = this.source(this.base(), false)
    const scope = [entry]
    const plan = { from: src }
    this.addWhere(plan, scope, 3)
    if (!plan.where) plan.where = [this.pred(scope)]
    if (this.rng.chance(this.orderChance(scope, 0.4))) this.addOrder(plan, scope)
    return plan
  }

  // ---- includes: a subquery as a select field ----

  /** q_includes: parents with one or two includes fields (toArray, concat(toArray), materialize). */
  q_includes() {
    const r = this.rng
    const [pb, pf, cb, cf] = r.pick([['users', 'id', 'posts', 'userId'], ['teams', 'id', 'users', 'teamId'],
      ['teams', 'id', 'posts', 'teamId'], ['users', 'teamId', 'users', 'teamId'], ['posts', 'userId', 'users', 'id']])
    const { src, entry } = this.source(pb, false)
    const scope = [entry]
    const plan = { from: src }
    this.addWhere(plan, scope, 1)
    const sel = r.chance(0.7) ? this.randomSelect(scope, { allowSpread: false, allowNested: false }) : [{ field: 'id', expr: ref(entry.alias, 'id') }]
    const names = new Set(sel.map((e) => e.field))
    for (let i = 0; i < (r.chance(0.2) ? 2 : 1); i++) {
      let f = `kids${i}`
      while (names.has(f)) f += '_'
      sel.push({ field: f, include: this.includePlan(entry, pf, cb, cf) })
    }
    plan.select = sel
    if (r.chance(this.orderChance(scope, 0.35))) this.addOrder(plan, scope)
    return plan
  }

  /** includePlan is a child query of base cb correlated by eq(child.cf, parent.pf). */
  includePlan(parent, pf, cb, cf) {
    const r = this.rng
    const { src, entry } = this.source(cb, false)
    const cs = [entry]
    const corr = r.chance(0.5) ? fn('eq', ref(entry.alias, cf), ref(parent.alias, pf)) : fn('eq', ref(parent.alias, pf), ref(entry.alias, cf))
    const q = { from: src, where: [corr] }
    if (r.chance(0.3)) q.where = [fn('and', this.pred(cs), corr)]
    else if (r.chance(0.3)) q.where.push(this.pred(cs))
    if (r.chance(0.25)) {
      // a filter on the parent's fields (the parent context)
      const c = this.pickRef(cs, (d) => d.t === 'num') ?? this.pickRef(cs)
      const p = this.pickRef([parent], (d) => d.t === c.d.t) ?? this.pickRef([parent])
      q.where.push(fn(r.pick(['eq', 'gte', 'lt']), c.e, p.e))
    }
    const materialize = r.weighted([[5, 'array'], [3, 'concat'], [3, 'singleton']])
    const inc = { query: q, materialize }
    if (materialize === 'concat' || (materialize === 'array' && r.chance(0.4))) {
      inc.scalar = r.chance(0.7) ? this.pickRef(cs).e : this.value(cs).e
    } else if (r.chance(0.7)) {
      q.select = this.randomSelect(cs, { allowSpread: r.chance(0.3), allowNested: false })
      if (r.chance(0.2)) q.select.push({ field: 'parentCtx', expr: this.pickRef([parent]).e })
    }
    if (r.chance(0.5)) this.addOrder(q, cs, { withLimit: 0.6 })
    if (materialize === 'singleton') q.findOne = true
    return inc
  }

  q_select() {
    const r = this.rng
    const { src, entry } = this.source(this.base(), false)
    const scope = [entry]
    const plan = { from: src }
    this.addWhere(plan, scope, 1)
    if (r.chance(0.15)) {
      plan.select = [{ spread: [entry.alias] }]
      if (r.chance(0.6)) plan._selectAlias = true
    } else plan.select = this.randomSelect(scope)
    if (r.chance(this.orderChance(scope, 0.35))) this.addOrder(plan, scope, { selected: plan.select.filter((s) => s.field && s.expr && !(s.expr.type === 'ref' && s.expr.path.length === 1)).map((s) => s.field) })
    return plan
  }

  q_join() {
    const r = this.rng
    const first = this.source(this.base(), true)
    const scope = [first.entry]
    const plan = { from: first.src, join: [] }
    const nj = r.chance(0.3) ? 2 : 1
    for (let i = 0; i < nj; i++) {
      let added = false
      for (let tries = 0; tries < 6 && !added; tries++) {
        const nxt = this.source(this.base(), true)
        const on = this.joinOn(scope, nxt.entry)
        if (!on) continue
        const type = r.pick(['inner', 'left', 'right', 'full'])
        const j = { type, source: nxt.src, on }
        if (r.chance(0.5)) j._method = true
        plan.join.push(j)
        if (type === 'left' || type === 'full') nxt.entry.outer = true
        if (type === 'right' || type === 'full') for (const s of scope) s.outer = true
        scope.push(nxt.entry)
        added = true
      }
    }
    if (!plan.join.length) delete plan.join
    this.addWhere(plan, scope, 2)
    if (plan.join && r.chance(0.2)) {
      const s = r.pick(scope.slice(1))
      plan.where = [...(plan.where ?? []), r.chance(0.7) ? fn('isUndefined', ref(s.alias)) : fn('not', fn('isUndefined', ref(s.alias)))]
    }
    if (r.chance(0.6)) plan.select = this.randomSelect(scope)
    if (r.chance(this.orderChance(scope, 0.4))) this.addOrder(plan, scope)
    return plan
  }

  groupKey(scope, coalesced) {
    const r = this.rng
    const pr = this.pickRef(scope, (d) => d.t !== 'arr' && (!coalesced || !d.mixed)) ?? this.pickRef(scope)
    if (coalesced) return fn('coalesce', pr.e, val(pr.d.t === 'num' ? -999 : 'none'))
    if (r.chance(0.15) && pr.d.t === 'str') return fn('lower', pr.e)
    return pr.e
  }

  aggregates(scope, sel, names) {
    const r = this.rng
    const n = r.int(1, 3)
    const aggs = []
    for (let i = 0; i < n; i++) {
      const name = r.pick(['count', 'count', 'sum', 'avg', 'min', 'max'])
      let arg
      if (name === 'count') arg = (r.chance(0.3) ? fref(scope[0], 'id') : this.pickRef(scope).e)
      else if (name === 'min' || name === 'max') {
        // min/max over mixed-type values depend on fold order in TanStack (JS
        // < is not a total order across types): only single-type fields. As
        // min/max turn null/undefined into 0, a string field must also never
        // be null or missing (nor on the outer side of a join).
        const strOk = (d, s) => d.t === 'str' && !d.n && !d.m && !s.outer
        arg = (this.pickRef(scope, (d, f, s) => !d.mixed && (d.t === 'num' || (strOk(d, s) && r.chance(0.3)))) ??
          this.pickRef(scope, (d) => !d.mixed && d.t === 'num'))?.e
        if (!arg) continue
      } else {
        arg = r.chance(0.75) ? (this.pickRef(scope, (d) => d.t === 'num') ?? this.pickRef(scope)).e : this.value(scope, 'num', 1).e
      }
      let e = agg(name, arg)
      if (r.chance(0.1)) e = fn(r.pick(['add', 'multiply']), e, val(r.int(1, 3)))
      let f
      do { f = r.pick(['n', 'total', 'avgv', 'lo', 'hi', 'cnt', 's2']) } while (names.has(f))
      names.add(f)
      sel.push({ field: f, expr: e })
      aggs.push({ field: f, expr: e })
    }
    return aggs
  }

  having(scope, aggs) {
    const r = this.rng
    const one = () => {
      const a = r.pick(aggs)
      // an aggregate used in having/orderBy must itself be a select entry:
      // one wrapped in an expression (add(sum(x), 1)) is referenced by name
      const left = r.chance(0.5) || a.expr.type !== 'agg' ? ref('$selected', a.field) : a.expr
      return fn(r.pick(['gt', 'gte', 'lt', 'eq']), left, val(r.pick([0, 1, 2, 3, 10, 50, -1, Infinity, NaN])))
    }
    const n = r.int(1, 2)
    return Array.from({ length: n }, () => (r.chance(0.2) ? fn(r.pick(['and', 'or']), one(), one()) : one()))
  }

  q_group() {
    const r = this.rng
    let scope, plan
    if (r.chance(0.3)) {
      const j = this.q_join_base()
      scope = j.scope; plan = j.plan
    } else {
      const { src, entry } = this.source(this.base(), true)
      scope = [entry]; plan = { from: src }
    }
    this.addWhere(plan, scope, 1)
    const nk = r.chance(0.3) ? 2 : 1
    // With limit/offset the window would depend on TanStack's tie-break by
    // key, which is not a total order for null/undefined/boolean group keys
    // (compareKeys): coalesce the key so it is a string or number.
    const willLimit = r.chance(0.3)
    const keys = Array.from({ length: nk }, () => this.groupKey(scope, willLimit && nk === 1))
    plan.groupBy = keys
    if (nk === 2 && r.chance(0.5)) plan._groupByCalls = true
    const names = new Set()
    const sel = []
    keys.forEach((k, i) => {
      if (r.chance(0.85)) {
        const f = `k${i}`
        names.add(f)
        sel.push({ field: f, expr: k })
      }
    })
    const aggs = this.aggregates(scope, sel, names)
    plan.select = sel
    if (aggs.length && r.chance(0.4)) plan.having = this.having(scope, aggs)
    if (sel.length > 0 && (r.chance(0.6) || willLimit)) {
      plan.orderBy = []
      const nOrd = r.int(1, 2)
      for (let i = 0; i < nOrd; i++) {
        const s = r.pick(sel)
        const wrappedAgg = s.expr.type === 'func' && JSON.stringify(s.expr).includes('"type":"agg"')
        plan.orderBy.push({ expr: r.chance(0.6) || wrappedAgg ? ref('$selected', s.field) : s.expr, ...this.orderOpts() })
      }
      // Group keys last, to make the order total where possible. Note: in a
      // grouped query TanStack evaluates a source ref in orderBy (u.team)
      // against the aggregated row, where it is undefined, so only the
      // $selected form orders by the key; the raw form is kept sometimes as
      // that quirk is part of the semantics.
      if (r.chance(0.7)) {
        keys.forEach((k, i) => {
          const selected = sel.find((x) => x.field === `k${i}`)
          plan.orderBy.push({ expr: selected && r.chance(0.85) ? ref('$selected', `k${i}`) : k, direction: 'asc', nulls: 'first' })
        })
      }
      if (willLimit) {
        plan.limit = r.int(0, 5)
        if (r.chance(0.4)) plan.offset = r.int(0, 3)
      }
    }
    return plan
  }

  /**
   * q_fn: a filter, select, join or group query with callbacks (fn.where,
   * fn.select, fn.having), given as data in plan._fns (ir.mjs fnOf makes
   * the functions, the same for TanStack and the engine). The native engine
   * cannot run them (it answers "skip", counted by the harness).
   */
  q_fn() {
    const r = this.rng
    const plan = this[`q_${r.weighted([[3, 'filter'], [2, 'select'], [3, 'join'], [3, 'group']])}`]()
    const scope = [plan.from, ...(plan.join ?? []).map((j) => j.source)].filter((src) => src.collection)
      .map((src) => this.scopeOfCollection(src.collection, src.alias))
    const outer = (plan.join ?? []).length > 0
    const fns = []
    const add = (spec) => fns.push(spec) - 1
    const cmpSpec = (alias, field, d, base) => {
      const t = d.t === 'num' ? 'num' : d.t === 'bool' ? 'bool' : 'str'
      const cmp = d.t === 'num' ? r.pick(['>', '<', '===', '!==']) : r.pick(['===', '!=='])
      return { op: 'cmp', alias, field, cmp, value: this.constFor(base, field, t) }
    }
    const fieldSpec = () => {
      const fs = this.fieldsOf(scope)
      if (!fs.length) return null
      const [alias, field, d] = r.pick(fs)
      const base = scope.find((x) => x.alias === alias).base
      if (d.t === 'bool' && r.chance(0.5)) return { op: 'raw', alias, field }
      return cmpSpec(alias, field, d, base)
    }
    const grouped = !!plan.groupBy || (plan.select ?? []).some((e) => e.expr && JSON.stringify(e.expr).includes('"type":"agg"'))
    if (!grouped && r.chance(0.7)) {
      const n = r.int(1, 2)
      for (let i = 0; i < n; i++) {
        const spec = outer && r.chance(0.25) ? { op: 'missing', alias: r.pick(plan.join).source.alias } : fieldSpec()
        if (spec) (plan.fnWhere ??= []).push(add(spec))
      }
    }
    if (!grouped && scope.length && r.chance(0.5)) {
      // fn.select replaces the select: orderBy over the old $selected goes.
      const names = ['a', 'b', 'c', 'label', 'score']
      const picked = []
      for (let i = 0, n = r.int(1, 3); i < n; i++) {
        const [alias, field] = r.pick(this.fieldsOf(scope))
        picked.push([names[i], alias, field, r.weighted([[6, 'id'], [2, 'str'], [1, 'type']])])
      }
      delete plan.select
      delete plan._selectAlias
      plan.fnSelect = add({ op: 'pick', fields: picked })
      plan.orderBy = (plan.orderBy ?? []).filter((o) => !JSON.stringify(o.expr).includes('$selected'))
      if (r.chance(0.4)) plan.orderBy.push({ expr: ref('$selected', r.pick(picked)[0]), ...this.orderOpts() })
      if (!plan.orderBy.length) { delete plan.orderBy; delete plan.limit; delete plan.offset }
      if (r.chance(0.15)) {
        plan.distinct = true
        delete plan.orderBy; delete plan.limit; delete plan.offset
      }
    }
    if (grouped) {
      const fields = (plan.select ?? []).filter((e) => e.field && e.expr).map((e) => e.field)
      if (fields.length) {
        const field = r.pick(fields)
        const spec = r.chance(0.7)
          ? { op: 'cmp', alias: '$selected', field, cmp: r.pick(['>', '<', '!==']), value: r.pick([0, 1, 2, 'a', 'm']) }
          : { op: 'raw', alias: '$selected', field }
        plan.fnHaving = [add(spec)]
      }
    } else if (r.chance(0.3)) {
      const spec = fieldSpec()
      if (spec) plan.fnHaving = [add(spec)]
    }
    if (!fns.length) {
      const spec = fieldSpec()
      if (spec && !grouped) plan.fnWhere = [add(spec)]
    }
    if (fns.length) plan._fns = fns
    return plan
  }

  q_join_base() {
    const first = this.source(this.base(), false)
    const scope = [first.entry]
    const plan = { from: first.src }
    for (let tries = 0; tries < 6; tries++) {
      const nxt = this.source(this.base(), false)
      const on = this.joinOn(scope, nxt.entry)
      if (!on) continue
      const type = this.rng.pick(['inner', 'left', 'right', 'full'])
      plan.join = [{ type, source: nxt.src, on }]
      if (type !== 'inner') for (const s of [...scope, nxt.entry]) s.outer = true
      scope.push(nxt.entry)
      break
    }
    return { plan, scope }
  }

  q_aggregate() {
    const r = this.rng
    const { src, entry } = this.source(this.base(), false)
    const scope = [entry]
    const plan = { from: src }
    this.addWhere(plan, scope, 1)
    const sel = []
    const aggs = this.aggregates(scope, sel, new Set())
    plan.select = sel
    if (aggs.length && r.chance(0.3)) plan.having = this.having(scope, aggs)
    return plan
  }

  /**
   * q_virtual reads TanStack's virtual row fields ($synced, $origin, $key,
   * $collectionId, $hasPendingWrites) of one or two sources in where,
   * select, orderBy, groupBy and join conditions; the steps' transactions
   * make rows optimistic, then synced (of local origin when the stream
   * wrote them meanwhile).
   */
  q_virtual() {
    const r = this.rng
    const VIRTUAL = { $synced: { t: 'bool' }, $hasPendingWrites: { t: 'bool' }, $origin: { t: 'str' }, $key: { t: 'str' }, $collectionId: { t: 'str' } }
    const withVirtual = (e) => ({ ...e, fields: { ...e.fields, ...structuredClone(VIRTUAL) } })
    const { src, entry } = this.source(this.base(), false)
    const scope = [withVirtual(entry)]
    const plan = { from: src }
    if (r.chance(0.3)) {
      const j = this.source(this.base(), false)
      const je = withVirtual(j.entry)
      let on = this.joinOn(scope, j.entry)
      if (!on || r.chance(0.3)) on = fn('eq', ref(entry.alias, '$key'), ref(je.alias, r.pick(Object.keys(je.fields).filter((f) => je.fields[f].t === 'str'))))
      plan.join = [{ type: r.pick(['inner', 'left']), source: j.src, on }]
      scope.push(je)
    }
    const vref = (a = r.pick(scope).alias) => ref(a, r.pick(Object.keys(VIRTUAL)))
    const vpred = () => {
      const a = r.pick(scope).alias
      switch (r.int(0, 5)) {
        case 0: return fn('eq', ref(a, '$synced'), val(r.chance(0.5)))
        case 1: return fn('eq', ref(a, '$origin'), val(r.pick(['local', 'remote'])))
        case 2: return fn('eq', ref(a, '$hasPendingWrites'), val(r.chance(0.5)))
        case 3: return fn('in', ref(a, '$key'), val(r.some(['u1', 'u2', 'u3', 'p1', 'p2', 'p5', 't1', 't2', 'u30', 'p50'], r.int(1, 4))))
        case 4: return fn('like', ref(a, '$collectionId'), val(r.pick(['%users', '%posts', '%teams', '%s'])))
        default: return fn(r.pick(['and', 'or']), this.pred(scope, 1), fn('eq', ref(a, '$synced'), val(true)))
      }
    }
    if (r.chance(0.6)) plan.where = [vpred()]
    if (r.chance(0.2)) {
      const g = ref(r.pick(scope).alias, r.pick(['$synced', '$origin', '$hasPendingWrites']))
      plan.groupBy = [g]
      plan.select = [{ field: 'g', expr: g }, { field: 'n', expr: agg('count', ref(scope[0].alias, 'id')) }]
      if (r.chance(0.4)) plan.select.push({ field: 'k', expr: agg('max', ref(scope[0].alias, '$key')) })
      return plan
    }
    const sel = []
    for (const s of scope) sel.push({ field: `${s.alias}_id`, expr: ref(s.alias, 'id') })
    const n = r.int(1, 4)
    for (let i = 0; i < n; i++) sel.push({ field: `v${i}`, expr: r.chance(0.8) ? vref() : fn('concat', vref(), val('|'), vref()) })
    if (r.chance(0.3)) sel.push({ field: 'x', expr: this.value(scope, undefined, 1).e })
    plan.select = sel
    if (r.chance(0.5)) {
      plan.orderBy = [{ expr: vref(scope[0].alias), ...this.orderOpts() }, { expr: ref(scope[0].alias, 'id'), direction: 'asc', nulls: 'first' }]
      if (scope.length > 1) plan.orderBy.push({ expr: ref(scope[1].alias, 'id'), direction: 'asc', nulls: 'first' })
      if (r.chance(0.5)) plan.limit = r.int(1, 6)
    }
    return plan
  }

  q_distinct() {
    const r = this.rng
    const { src, entry } = this.source(this.base(), false)
    const scope = [entry]
    const plan = { from: src }
    this.addWhere(plan, scope, 1)
    // Distinct result keys are random hashes in TanStack, so ties in orderBy
    // are broken randomly: select only fields that are never missing and
    // never mixed-type, and order by all of them.
    const safe = this.fieldsOf(scope, (d, f) => !d.m && !d.mixed && d.t !== 'arr' && f !== 'id')
    const picked = r.some(safe, r.int(1, 2))
    plan.select = picked.map(([a, f]) => ({ field: f, expr: r.chance(0.2) && scope[0].fields[f].t === 'str' ? fn('lower', ref(a, f)) : ref(a, f) }))
    plan.distinct = true
    if (r.chance(0.6)) {
      plan.orderBy = plan.select.map((s) => ({ expr: r.chance(0.5) ? ref('$selected', s.field) : s.expr, direction: r.pick(['asc', 'desc']), nulls: r.pick(['first', 'last']), stringSort: 'lexical' }))
      if (r.chance(0.5)) plan.limit = r.int(0, 5)
      if (r.chance(0.3)) plan.offset = r.int(0, 3)
    }
    return plan
  }

  q_findOne() {
    const r = this.rng
    const plan = r.chance(0.7) ? this.q_filter() : this.q_select()
    plan.findOne = true
    if (r.chance(0.5)) { delete plan.limit; delete plan.offset }
    return plan
  }

  q_subfrom() {
    const r = this.rng
    const base = this.base()
    const { plan: sub, fields } = this.subquery(base)
    const alias = `s${this.aliasN++}`
    const entry = { alias, base, fields }
    const scope = [entry]
    const plan = { from: { alias, query: sub } }
    this.addWhere(plan, scope, 2)
    if (r.chance(0.5)) plan.select = this.randomSelect(scope)
    if (r.chance(this.orderChance(scope, 0.4))) this.addOrder(plan, scope)
    return plan
  }

  // ---- unionAll ----

  /**
   * coalesced returns coalesce(a.f, b.g, ...) over fields of type t of every
   * alias of scope that has one (the way to read one column of a union of
   * sources), or null.
   */
  coalesced(scope, t) {
    const refs = []
    for (const s of scope) {
      const fs = Object.entries(s.fields).filter(([, d]) => d.t === t)
      if (fs.length) refs.push(ref(s.alias, this.rng.pick(fs)[0]))
    }
    return refs.length > 1 ? fn('coalesce', ...refs) : null
  }

  /** q_union: unionAll({a: src1, b: src2, ...}), then where, select or groupBy, orderBy, joins. */
  q_union() {
    const r = this.rng
    const n = r.chance(0.25) ? 3 : 2
    const scope = []
    const union = []
    for (let i = 0; i < n; i++) {
      const { src, entry } = this.source(this.base(), true)
      entry.outer = true // a row holds one alias only
      union.push(src)
      scope.push(entry)
    }
    const plan = { from: { union } }
    if (r.chance(0.25)) {
      for (let tries = 0; tries < 4; tries++) {
        const nxt = this.source(this.base(), false)
        const on = this.joinOn(scope, nxt.entry)
        if (!on) continue
        const type = r.pick(['inner', 'left'])
        plan.join = [{ type, source: nxt.src, on }]
        if (type === 'left') nxt.entry.outer = true
        scope.push(nxt.entry)
        break
      }
    }
    this.addWhere(plan, scope, 1)
    if (r.chance(0.4)) {
      const t = r.pick(['num', 'str'])
      const c = this.coalesced(scope, t)
      if (c) plan.where = [...(plan.where ?? []), fn(r.pick(['gt', 'lt', 'gte']), c, val(this.constOf(t)))]
    }
    if (r.chance(0.2)) {
      // grouped by a coalesced key
      const key = this.coalesced(scope, 'str') ?? fref(scope[0], 'id')
      plan.groupBy = [fn('coalesce', key, val('none'))]
      const sel = [{ field: 'k0', expr: plan.groupBy[0] }]
      this.aggregates(scope, sel, new Set(['k0']))
      plan.select = sel
      if (r.chance(0.5)) plan.orderBy = [{ expr: ref('$selected', 'k0'), direction: r.pick(['asc', 'desc']), nulls: 'first', stringSort: 'lexical' }]
      return plan
    }
    if (r.chance(0.5)) {
      plan.select = this.randomSelect(scope)
      if (r.chance(0.5)) {
        const c = this.coalesced(scope, r.pick(['num', 'str']))
        if (c && !plan.select.some((e) => e.field === 'co')) plan.select.push({ field: 'co', expr: c })
      }
    }
    if (r.chance(0.5)) {
      const c = this.coalesced(scope, r.pick(['num', 'str']))
      if (c && !this.fieldsOf(scope, (d) => d.mixed).length) {
        plan.orderBy = [{ expr: c, ...this.orderOpts() }]
        if (r.chance(0.6)) plan.limit = r.int(0, 7)
        if (r.chance(0.3)) plan.offset = r.int(0, 3)
      } else this.addOrder(plan, scope)
    }
    if (r.chance(0.08)) plan.findOne = true
    return plan
  }

  /**
   * unionBranch returns a query over base whose select gives the fields of
   * a union of queries (id, v: a number, label: a string), and their descs.
   */
  unionBranch(base) {
    const r = this.rng
    const { src, entry } = this.source(base, r.chance(0.3))
    const scope = [entry]
    const plan = { from: src }
    this.addWhere(plan, scope, 1)
    const fields = { id: { t: 'str' } }
    plan.select = [{ field: 'id', expr: ref(entry.alias, 'id') }]
    for (const [name, t] of [['v', 'num'], ['label', 'str']]) {
      if (r.chance(0.1)) continue // missing in this query's rows
      const pr = this.pickRef(scope, (d, f) => d.t === t && f !== 'id')
      if (!pr) continue
      plan.select.push({ field: name, expr: pr.e })
      fields[name] = { ...pr.d }
    }
    if (r.chance(0.2)) {
      const o = this.orderableRef(scope)
      if (o) {
        plan.orderBy = [{ expr: o.e, ...this.orderOpts() }, { expr: ref(entry.alias, 'id'), direction: 'asc', nulls: 'first' }]
        plan.limit = r.int(1, 6)
      }
    }
    return { plan, fields }
  }

  /** q_unionq: unionAll(q1, q2, ...), read by field, then where, select or groupBy, orderBy, a join. */
  q_unionq() {
    const r = this.rng
    const n = r.chance(0.25) ? 3 : 2
    const branches = []
    const fields = {}
    for (let i = 0; i < n; i++) {
      const b = this.unionBranch(this.base())
      branches.push(b.plan)
      for (const [f, d] of Object.entries(b.fields)) {
        const o = fields[f]
        fields[f] = o ? { t: o.t, n: Math.max(o.n ?? 0, d.n ?? 0), m: Math.max(o.m ?? 0, d.m ?? 0), mixed: o.mixed || d.mixed } : { ...d }
      }
    }
    for (const f of ['v', 'label']) if (fields[f] && branches.some((b) => !b.select.some((e) => e.field === f))) fields[f].m = 1
    const row = { alias: null, row: true, base: null, fields }
    const scope = [row]
    const plan = { from: { unionAll: branches } }
    if (r.chance(0.25)) {
      const t = this.source('users', false)
      const on = r.chance(0.5) ? fn('eq', ref('id'), ref(t.entry.alias, 'id')) : fn('eq', ref(t.entry.alias, 'id'), ref('id'))
      plan.join = [{ type: r.pick(['inner', 'left']), source: t.src, on }]
      if (plan.join[0].type === 'left') t.entry.outer = true
      scope.push(t.entry)
    }
    this.addWhere(plan, scope, 2)
    if (r.chance(0.2)) {
      const key = fn('coalesce', this.pickRef(scope, (d) => d.t === 'str' && !d.mixed)?.e ?? ref('id'), val('none'))
      plan.groupBy = [key]
      const sel = [{ field: 'k0', expr: key }]
      this.aggregates(scope, sel, new Set(['k0']))
      plan.select = sel
      if (r.chance(0.5)) plan.orderBy = [{ expr: ref('$selected', 'k0'), direction: r.pick(['asc', 'desc']), nulls: 'first', stringSort: 'lexical' }]
      return plan
    }
    if (r.chance(0.5)) plan.select = this.randomSelect(scope)
    if (r.chance(0.5)) this.addOrder(plan, scope)
    return plan
  }

  q_invalid() {
    const r = this.rng
    const kind = r.pick(['limitNoOrder', 'offsetNoOrder', 'nonEqJoin', 'nonAggSelect', 'havingAggNotSelected', 'havingNoGroup', 'joinSameSide'])
    const { src, entry } = this.source(this.base(), false)
    const scope = [entry]
    const plan = { from: src, _invalid: kind }
    switch (kind) {
      case 'limitNoOrder': plan.limit = r.int(1, 3); break
      case 'offsetNoOrder': plan.offset = r.int(1, 3); break
      case 'nonEqJoin': {
        const nxt = this.source(this.base(), false)
        plan.join = [{ type: r.pick(['inner', 'left']), source: nxt.src, on: fn(r.pick(['gt', 'lt', 'or']), ref(entry.alias, 'id'), ref(nxt.entry.alias, 'id')) }]
        break
      }
      case 'nonAggSelect':
        plan.groupBy = [ref(entry.alias, 'id')]
        plan.select = [{ field: 'x', expr: this.pickRef(scope, (d, f) => f !== 'id').e }, { field: 'n', expr: agg('count', ref(entry.alias, 'id')) }]
        break
      case 'havingAggNotSelected':
        plan.groupBy = [ref(entry.alias, 'id')]
        plan.select = [{ field: 'k', expr: ref(entry.alias, 'id') }]
        plan.having = [fn('gt', agg('count', ref(entry.alias, 'id')), val(0))]
        break
      case 'havingNoGroup':
        plan.having = [fn('eq', ref(entry.alias, 'id'), val('u1'))]
        break
      case 'joinSameSide': {
        const nxt = this.source(this.base(), false)
        plan.join = [{ type: 'inner', source: nxt.src, on: fn('eq', ref(entry.alias, 'id'), ref(entry.alias, 'id')) }]
        break
      }
    }
    return plan
  }
}

// ---------------------------------------------------------------------------
// Steps

/**
 * genStep returns the next random step. `model` gives the current state:
 * synced(coll) → Map key→row of synced rows, visible(coll) → Map key→row of
 * visible rows, pendingTx() → array of pending transaction ids.
 */
export function genStep(rng, schema, model, txCounter) {
  const pending = model.pendingTx()
  const kind = rng.weighted([[45, 'sync'], [25, 'tx'], [pending.length ? 13 : 0, 'rollback'], [pending.length ? 17 : 0, 'complete']])
  if (kind === 'rollback' || kind === 'complete') return { op: kind, id: rng.pick(pending) }
  const coll = () => rng.weighted([[5, 'users'], [5, 'posts'], [2, 'teams']])
  const changes = (c, key) => {
    const fields = Object.keys(schema.fields[c]).filter((f) => f !== 'id')
    const out = {}
    for (const f of rng.some(fields, rng.int(1, 3))) {
      let v = genValue(rng, schema, c, f)
      if (v === undefined) v = null // undefined cannot travel as JSON
      out[f] = v
    }
    out.id = key
    return out
  }
  const freshKey = (c, existing) => {
    if (rng.chance(0.15)) {
      // reuse a low, already issued id that may have been deleted
      const k = `${PREFIX[c]}${rng.int(1, Math.min(4, schema.nextId[c] - 1))}`
      if (!existing.has(k)) return k
    }
    return `${PREFIX[c]}${schema.nextId[c]++}`
  }
  if (kind === 'sync') {
    const c = coll()
    const synced = new Map(model.synced(c))
    const n = rng.int(1, 5)
    const writes = []
    for (let i = 0; i < n; i++) {
      const keys = [...synced.keys()]
      const t = rng.weighted([[4, 'insert'], [5, keys.length ? 'update' : 'insert'], [3, keys.length ? 'delete' : 'insert']])
      if (t === 'insert') {
        const key = freshKey(c, synced)
        const value = genRow(rng, schema, c, key)
        synced.set(key, value)
        writes.push({ type: 'insert', key, value })
      } else if (t === 'update') {
        const key = rng.pick(keys)
        const value = changes(c, key)
        synced.set(key, { ...synced.get(key), ...value })
        writes.push({ type: 'update', key, value })
      } else {
        const key = rng.pick(keys)
        synced.delete(key)
        writes.push({ type: 'delete', key })
      }
    }
    return { op: 'sync', collection: c, writes }
  }
  // optimistic transaction: 1-3 mutations, sometimes several on one key
  const id = `t${txCounter.n++}`
  const mutations = []
  const n = rng.int(1, 3)
  const vis = {}
  for (let i = 0; i < n; i++) {
    const c = coll()
    vis[c] ??= new Map(model.visible(c))
    const v = vis[c]
    const keys = [...v.keys()]
    const t = rng.weighted([[3, 'insert'], [5, keys.length ? 'update' : 'insert'], [3, keys.length ? 'delete' : 'insert'], [0.3, 'bad']])
    if (t === 'insert') {
      const key = freshKey(c, v)
      const value = genRow(rng, schema, c, key)
      v.set(key, value)
      mutations.push({ collection: c, type: 'insert', key, value })
    } else if (t === 'update') {
      const key = rng.pick(keys)
      const value = changes(c, key)
      delete value.id
      v.set(key, { ...v.get(key), ...value })
      mutations.push({ collection: c, type: 'update', key, value })
    } else if (t === 'delete') {
      const key = rng.pick(keys)
      v.delete(key)
      mutations.push({ collection: c, type: 'delete', key })
    } else {
      // something TanStack rejects: duplicate insert, update/delete of a missing key
      const key = keys.length && rng.chance(0.5) ? rng.pick(keys) : `${PREFIX[c]}404`
      const bt = v.has(key) ? 'insert' : rng.pick(['update', 'delete'])
      if (bt === 'insert') mutations.push({ collection: c, type: 'insert', key, value: genRow(rng, schema, c, key) })
      else if (bt === 'update') mutations.push({ collection: c, type: 'update', key, value: { likes: 1 } })
      else mutations.push({ collection: c, type: 'delete', key })
    }
  }
  return { op: 'tx', id, mutations }
}
