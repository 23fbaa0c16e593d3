// Tests of js/query.js: the IR our builder produces must equal the IR that
// TanStack DB 0.15.2's own builder produces for the same calls (converted to
// our IR by internal/querydiff/ir.mjs), for a hand-written table of builder
// calls and for random plans from internal/querydiff/gen.mjs; and misuse
// must throw the right error with a clear message.

import { test } from 'node:test'
import assert from 'node:assert/strict'
import * as T from '@tanstack/db'
import * as S from '../../js/query.js'
import { toOurIR, buildQuery as oracleBuild, fnsOf, planToIR } from '../../internal/querydiff/ir.mjs'
import { genData, QueryGen } from '../../internal/querydiff/gen.mjs'
import { Rng } from '../../internal/querydiff/rng.mjs'

// ---------------------------------------------------------------------------
// The two builders, behind one shape

const FUNCS = ['eq', 'gt', 'gte', 'lt', 'lte', 'and', 'or', 'not', 'inArray', 'like', 'ilike', 'isUndefined', 'isNull',
  'upper', 'lower', 'length', 'concat', 'coalesce', 'caseWhen', 'add', 'subtract', 'multiply', 'divide',
  'count', 'sum', 'avg', 'min', 'max']
const pick = (mod) => Object.fromEntries(FUNCS.map((n) => [n, mod[n]]))

const NAMES = ['users', 'posts', 'teams']
const tanColls = Object.fromEntries(NAMES.map((id) => [id, T.createCollection({ id, getKey: (r) => r.id, sync: { sync: () => {} } })]))
const DB = { name: 'db1' }
const ourColls = Object.fromEntries(NAMES.map((name) => [name, { [S.SOURCE]: { name, db: DB } }]))

// lib.constant(v): how a select field holds an object/array constant
const TAN = { ...pick(T), Query: T.Query, colls: tanColls, constant: (v) => new T.IR.Value(v) }
const OURS = { ...pick(S), Query: S.Query, colls: ourColls, constant: (v) => v }

/** tanstackIR builds with TanStack's builder and converts its IR to ours. */
function tanstackIR(build) {
  return toOurIR(build(new T.Query(), tanColls, TAN)._getQuery())
}

/** oursIR builds with our builder. */
function oursIR(build) {
  const { ir, db, single } = S.toIR(S.buildQuery((q) => build(q, ourColls, OURS)))
  assert.equal(db, DB)
  assert.equal(single, !!ir.findOne)
  return ir
}

// ---------------------------------------------------------------------------
// Hand-written builder calls covering every clause and function

const CASES = {
  'from only': (q, c) => q.from({ u: c.users }),
  'where eq': (q, c, f) => q.from({ u: c.users }).where(({ u }) => f.eq(u.name, 'alice')),
  'where bare ref': (q, c) => q.from({ u: c.users }).where(({ u }) => u.active),
  'where nested path': (q, c, f) => q.from({ u: c.users }).where(({ u }) => f.eq(u.address.city, 'Paris')),
  'where repeated': (q, c, f) => q.from({ u: c.users }).where(({ u }) => f.gt(u.age, 18)).where(({ u }) => f.lte(u.age, 65)),
  'comparisons': (q, c, f) => q.from({ u: c.users }).where(({ u }) => f.and(f.gt(u.a, 1), f.gte(u.b, 2.5), f.lt(u.c, -3), f.lte(u.d, 0))),
  'and/or/not': (q, c, f) => q.from({ u: c.users }).where(({ u }) => f.or(f.not(u.active), f.and(f.eq(u.x, true), f.eq(u.y, false)))),
  'inArray': (q, c, f) => q.from({ u: c.users }).where(({ u }) => f.inArray(u.teamId, ['t1', 't2', null])),
  'like/ilike': (q, c, f) => q.from({ u: c.users }).where(({ u }) => f.or(f.like(u.name, 'a%'), f.ilike(u.name, '_OB'))),
  'isNull/isUndefined': (q, c, f) => q.from({ u: c.users }).where(({ u }) => f.and(f.isNull(u.a), f.isUndefined(u.b))),
  'eq with null and undefined': (q, c, f) => q.from({ u: c.users }).where(({ u }) => f.or(f.eq(u.a, null), f.eq(u.b, undefined))),
  'string functions': (q, c, f) => q.from({ u: c.users }).select(({ u }) => ({ up: f.upper(u.name), lo: f.lower(u.name), len: f.length(u.tags), cat: f.concat(u.first, ' ', u.last, 3) })),
  'coalesce': (q, c, f) => q.from({ u: c.users }).select(({ u }) => ({ v: f.coalesce(u.nick, u.name, 'anon') })),
  'caseWhen': (q, c, f) => q.from({ u: c.users }).select(({ u }) => ({ k: f.caseWhen(f.gt(u.age, 65), 'senior', f.gt(u.age, 18), 'adult', 'minor'), j: f.caseWhen(u.active, 1) })),
  'arithmetic': (q, c, f) => q.from({ u: c.users }).select(({ u }) => ({ a: f.add(u.x, 1), s: f.subtract(u.x, u.y), m: f.multiply(2, u.y), d: f.divide(u.x, 0) })),
  'select constants': (q, c, f) => q.from({ u: c.users }).select(() => ({ s: 'x', n: 1.5, b: false, z: null, u: undefined, list: f.constant([1, 'a', null]) })),
  'select array of refs': (q, c) => q.from({ u: c.users }).select(({ u }) => ({ pair: [u.id, u.name, 3] })),
  'select nested': (q, c, f) => q.from({ u: c.users }).select(({ u }) => ({ id: u.id, info: { name: u.name, deep: { up: f.upper(u.name) } } })),
  'select spread first': (q, c, f) => q.from({ u: c.users }).select(({ u }) => ({ ...u, nameUp: f.upper(u.name) })),
  'select spread middle/last': (q, c) => q.from({ u: c.users }).select(({ u }) => ({ a: u.id, ...u, b: u.name, ...u })),
  'select spread of a path': (q, c) => q.from({ u: c.users }).select(({ u }) => ({ id: u.id, ...u.address })),
  'select alias itself': (q, c) => q.from({ u: c.users }).select(({ u }) => u),
  'select whole row as a field': (q, c, f) => q.from({ u: c.users }).join({ p: c.posts }, ({ u, p }) => f.eq(u.id, p.userId)).select(({ u, p }) => ({ user: u, post: p })),
  'select integer-like keys': (q, c) => q.from({ u: c.users }).select(({ u }) => ({ b: u.b, 2: u.two, a: u.a, 1: u.one })),
  'select replaces': (q, c) => q.from({ u: c.users }).select(({ u }) => ({ a: u.a })).select(({ u }) => ({ b: u.b })),
  'join default left': (q, c, f) => q.from({ u: c.users }).join({ p: c.posts }, ({ u, p }) => f.eq(u.id, p.userId)),
  'join types': (q, c, f) => q.from({ u: c.users }).join({ p: c.posts }, ({ u, p }) => f.eq(p.userId, u.id), 'inner').join({ t: c.teams }, ({ u, t }) => f.eq(u.teamId, t.id), 'full'),
  'join methods': (q, c, f) => q.from({ u: c.users })
    .innerJoin({ p: c.posts }, ({ u, p }) => f.eq(u.id, p.userId))
    .leftJoin({ t: c.teams }, ({ p, t }) => f.eq(p.teamId, t.id))
    .rightJoin({ u2: c.users }, ({ t, u2 }) => f.eq(t.id, u2.teamId))
    .fullJoin({ p2: c.posts }, ({ u2, p2 }) => f.eq(f.lower(u2.name), f.lower(p2.title))),
  'composite join': (q, c, f) => q.from({ u: c.users }).join({ p: c.posts }, ({ u, p }) => f.and(f.eq(u.id, p.userId), f.eq(p.teamId, u.teamId))),
  'join with select': (q, c, f) => q.from({ m: c.posts }).join({ u: c.users }, ({ m, u }) => f.eq(m.userId, u.id)).select(({ m, u }) => ({ text: m.title, userName: u.name })),
  'groupBy one': (q, c, f) => q.from({ p: c.posts }).groupBy(({ p }) => p.userId).select(({ p }) => ({ userId: p.userId, n: f.count(p.id) })),
  'groupBy array': (q, c, f) => q.from({ p: c.posts }).groupBy(({ p }) => [p.userId, f.lower(p.teamId)]).select(({ p }) => ({ s: f.sum(p.likes), a: f.avg(p.likes), lo: f.min(p.likes), hi: f.max(p.likes) })),
  'groupBy repeated': (q, c, f) => q.from({ p: c.posts }).groupBy(({ p }) => p.userId).groupBy(({ p }) => p.teamId).select(({ p }) => ({ u: p.userId, n: f.count(p.id) })),
  'aggregate without groupBy': (q, c, f) => q.from({ p: c.posts }).select(({ p }) => ({ total: f.count(p.id), plus: f.add(f.sum(p.likes), 1) })),
  'count of nothing': (q, c, f) => q.from({ p: c.posts }).select(() => ({ n: f.count() })),
  'having with aggregate and $selected': (q, c, f) => q.from({ p: c.posts }).groupBy(({ p }) => p.userId).select(({ p }) => ({ u: p.userId, n: f.count(p.id) }))
    .having(({ p }) => f.gt(f.count(p.id), 1)).having(({ $selected }) => f.lt($selected.n, 10)),
  'having before select': (q, c, f) => q.from({ p: c.posts }).groupBy(({ p }) => p.userId).having(({ p }) => f.gt(f.sum(p.likes), 1)),
  'orderBy default': (q, c) => q.from({ u: c.users }).orderBy(({ u }) => u.name),
  'orderBy desc string': (q, c) => q.from({ u: c.users }).orderBy(({ u }) => u.name, 'desc'),
  'orderBy options': (q, c) => q.from({ u: c.users })
    .orderBy(({ u }) => u.name, { direction: 'desc', nulls: 'last', stringSort: 'locale', locale: 'de', localeOptions: { sensitivity: 'base' } })
    .orderBy(({ u }) => u.city, { stringSort: 'lexical', locale: 'dropped' })
    .orderBy(({ u }) => u.id, {}),
  'orderBy array': (q, c, f) => q.from({ u: c.users }).orderBy(({ u }) => [u.a, f.length(u.b)], { direction: 'desc' }),
  'orderBy $selected': (q, c, f) => q.from({ u: c.users }).select(({ u }) => ({ up: f.upper(u.name) })).orderBy(({ $selected }) => $selected.up),
  'orderBy aggregate': (q, c, f) => q.from({ p: c.posts }).groupBy(({ p }) => p.userId).select(({ p }) => ({ n: f.count(p.id) })).orderBy(({ p }) => f.count(p.id), 'desc'),
  'limit/offset': (q, c) => q.from({ u: c.users }).orderBy(({ u }) => u.id).limit(10).offset(20),
  'limit 0 and later override': (q, c) => q.from({ u: c.users }).orderBy(({ u }) => u.id).limit(5).offset(1).limit(0),
  'distinct': (q, c) => q.from({ u: c.users }).select(({ u }) => ({ city: u.city })).distinct(),
  'findOne': (q, c, f) => q.from({ u: c.users }).where(({ u }) => f.eq(u.id, 'u1')).findOne(),
  'subquery in from': (q, c, f) => q.from({ s: new f.Query().from({ u: c.users }).where(({ u }) => u.active).select(({ u }) => ({ id: u.id, n: u.name })) })
    .where(({ s }) => f.like(s.n, 'a%')),
  'subquery in join': (q, c, f) => q.from({ u: c.users })
    .join({ top: new f.Query().from({ p: c.posts }).orderBy(({ p }) => p.likes, 'desc').limit(3).findOne() }, ({ u, top }) => f.eq(u.id, top.userId), 'inner'),
  'subquery reused twice': (q, c, f) => {
    const sub = new f.Query().from({ p: c.posts }).where(({ p }) => f.gt(p.likes, 0))
    return q.from({ a: sub }).join({ b: sub }, ({ a, b }) => f.eq(a.userId, b.userId))
  },
  'virtual props': (q, c, f) => q.from({ u: c.users }).where(({ u }) => f.and(f.eq(u.$synced, true), f.eq(u.$origin, 'local'))).select(({ u }) => ({ k: u.$key })),
  'constant objects and arrays': (q, c, f) => q.from({ u: c.users }).where(({ u }) => f.eq(u.meta, { a: [1, 2], b: { c: 'd' } })),
  'unionAll of sources': (q, c, f) => q.unionAll({ u: c.users, p: c.posts }).where(({ u, p }) => f.gt(f.coalesce(u.age, p.likes), 1))
    .orderBy(({ u, p }) => f.coalesce(u.name, p.title)).limit(3).select(({ u, p }) => ({ id: f.coalesce(u.id, p.id), p })),
  'unionAll of one source': (q, c) => q.unionAll({ u: c.users }),
  'unionAll of a subquery and a join after': (q, c, f) => q.unionAll({ s: new f.Query().from({ x: c.posts }), u: c.users })
    .join({ t: c.teams }, ({ u, t }) => f.eq(u.teamId, t.id), 'inner'),
  'unionAll of queries': (q, c, f) => q.unionAll(
    new f.Query().from({ u: c.users }).select(({ u }) => ({ id: u.id, v: u.age })),
    new f.Query().from({ p: c.posts }).orderBy(({ p }) => p.likes).limit(2).select(({ p }) => ({ id: p.id, v: p.likes })),
  ).where((r) => f.gt(r.v, 0)).join({ t: c.users }, (r) => f.eq(r.id, r.t.id)).groupBy((r) => r.id).select((r) => ({ id: r.id, n: f.count(r.t.id) })),
  'every clause': (q, c, f) => q.from({ u: c.users }).join({ p: c.posts }, ({ u, p }) => f.eq(u.id, p.userId), 'inner')
    .where(({ u }) => f.gt(u.age, 10)).groupBy(({ u }) => u.teamId)
    .select(({ u, p }) => ({ team: u.teamId, n: f.count(p.id), best: f.max(p.likes) }))
    .having(({ $selected }) => f.gt($selected.n, 0)).orderBy(({ $selected }) => $selected.best, 'desc')
    .limit(5).offset(1).distinct().findOne(),
}

test('hand-written builder calls: our IR equals TanStack DB\'s', () => {
  assert.ok(Object.keys(CASES).length >= 40)
  for (const [name, build] of Object.entries(CASES)) {
    const want = tanstackIR(build)
    const got = oursIR(build)
    assert.deepStrictEqual(got, want, name)
  }
})

// ---------------------------------------------------------------------------
// Random plans from gen.mjs

const walk = (refs, path) => path.slice(1).reduce((p, seg) => p[seg], refs[path[0]])

function planExpr(e, refs, lib) {
  switch (e.type) {
    case 'ref': return walk(refs, e.path)
    case 'val': return 'value' in e ? e.value : undefined
    case 'func': {
      const f = lib[e.name === 'in' ? 'inArray' : e.name]
      if (!f) throw new Error(`plan uses the unknown function ${e.name}`)
      return f(...e.args.map((a) => planExpr(a, refs, lib)))
    }
    case 'agg': return lib[e.name](planExpr(e.args[0], refs, lib))
  }
  throw new Error(`unknown expression type ${e.type}`)
}

function planSelect(list, refs, lib) {
  let obj = {}
  for (const s of list) {
    if (s.spread) obj = { ...obj, ...walk(refs, s.spread) }
    else if (s.select) obj[s.field] = planSelect(s.select, refs, lib)
    else if (s.expr.type === 'val' && s.expr.value !== null && typeof s.expr.value === 'object') obj[s.field] = lib.constant(s.expr.value)
    else obj[s.field] = planExpr(s.expr, refs, lib)
  }
  return obj
}

function planOrder(o) {
  if (o._style === 'string' && o.nulls === 'first' && !o.stringSort) return o.direction
  const opts = { direction: o.direction, nulls: o.nulls }
  for (const k of ['stringSort', 'locale', 'localeOptions']) if (o[k] !== undefined) opts[k] = o[k]
  return opts
}

const JOIN_METHODS = { inner: 'innerJoin', left: 'leftJoin', right: 'rightJoin', full: 'fullJoin' }

/** planBuild builds a gen.mjs plan with either builder (lib = TAN or OURS), as user code would. */
function planBuild(plan, lib, fns = fnsOf(plan._fns)) {
  const src = (s) => ({ [s.alias]: s.query ? planBuild(s.query, lib, fns) : lib.colls[s.collection] })
  const f = plan.from
  let q = f.union ? new lib.Query().unionAll(Object.assign({}, ...f.union.map(src)))
    : f.unionAll ? new lib.Query().unionAll(...f.unionAll.map((b) => planBuild(b, lib, fns)))
      : new lib.Query().from(src(f))
  for (const j of plan.join ?? []) {
    const on = (refs) => planExpr(j.on, refs, lib)
    q = j._method ? q[JOIN_METHODS[j.type]](src(j.source), on) : q.join(src(j.source), on, j.type)
  }
  for (const w of plan.where ?? []) q = q.where((refs) => planExpr(w, refs, lib))
  for (const i of plan.fnWhere ?? []) q = q.fn.where(fns[i])
  if (plan.groupBy) {
    if (plan._groupByCalls) for (const g of plan.groupBy) q = q.groupBy((refs) => planExpr(g, refs, lib))
    else q = q.groupBy((refs) => plan.groupBy.map((g) => planExpr(g, refs, lib)))
  }
  if (plan.select) {
    if (plan._selectAlias && plan.select.length === 1 && plan.select[0].spread) q = q.select((refs) => walk(refs, plan.select[0].spread))
    else q = q.select((refs) => planSelect(plan.select, refs, lib))
  }
  if (plan.fnSelect !== undefined) q = q.fn.select(fns[plan.fnSelect])
  for (const h of plan.having ?? []) q = q.having((refs) => planExpr(h, refs, lib))
  for (const i of plan.fnHaving ?? []) q = q.fn.having(fns[i])
  for (const o of plan.orderBy ?? []) q = q.orderBy((refs) => planExpr(o.expr, refs, lib), planOrder(o))
  if (plan.limit !== undefined) q = q.limit(plan.limit)
  if (plan.offset !== undefined) q = q.offset(plan.offset)
  if (plan.distinct) q = q.distinct()
  if (plan.findOne) q = q.findOne()
  return q
}

const attempt = (fn) => {
  try {
    return { ir: fn() }
  } catch (e) {
    return { error: e }
  }
}

const PLANS = Number(process.env.QUERY_TEST_PLANS ?? 2000)
const PER_DATASET = 50

test(`${PLANS} random plans: our IR equals TanStack DB's`, () => {
  const stats = { equal: 0, bothRejected: 0, expected: {}, kinds: {} }
  const unexpected = []
  for (let n = 0; n < PLANS / PER_DATASET; n++) {
    const rng = new Rng(`query-builder:${n}`)
    const { schema, collections } = genData(rng)
    const qg = new QueryGen(rng, schema, collections)
    for (let i = 0; i < PER_DATASET; i++) {
      let plan
      try {
        plan = qg.query()
      } catch (e) {
        // gen.mjs q_group picks an orderBy column from an empty select
        // when every aggregate was skipped: not a builder matter
        stats.generatorErrors = (stats.generatorErrors ?? 0) + 1
        i--
        continue
      }
      stats.kinds[plan._kind] = (stats.kinds[plan._kind] ?? 0) + 1
      // Includes need the parent's refs inside the child query, which
      // planBuild does not give; the differential harness compares them end
      // to end (internal/querydiff, test/node/includes.test.mjs).
      if (JSON.stringify(plan).includes('"include":')) {
        stats.skippedIncludes = (stats.skippedIncludes ?? 0) + 1
        continue
      }
      const tan = attempt(() => toOurIR(planBuild(plan, TAN)._getQuery()))
      const oracle = attempt(() => toOurIR(oracleBuild(plan, tanColls)._getQuery()))
      // our plan→builder function must build what ir.mjs's does
      assert.deepStrictEqual(tan.ir, oracle.ir, `plan builder differs from ir.mjs: ${JSON.stringify(plan)}`)
      assert.equal(!!tan.error, !!oracle.error)
      const ours = attempt(() => S.toIR(planBuild(plan, OURS)).ir)
      if (tan.error && ours.error) {
        assert.ok(ours.error instanceof S.QueryBuilderError, `${ours.error}`)
        stats.bothRejected++
      } else if (!tan.error && ours.error && plan._invalid === 'joinSameSide') {
        // TanStack's builder accepts eq(u.id, u.id) as a join condition and
        // its compiler rejects it later; ours rejects it in the builder.
        assert.match(ours.error.message, /Invalid join condition/)
        stats.expected.joinSameSide = (stats.expected.joinSameSide ?? 0) + 1
      } else if (tan.error || ours.error) {
        unexpected.push({ plan, tanstack: String(tan.error ?? 'ok'), ours: String(ours.error ?? 'ok') })
      } else {
        try {
          // (the callbacks' specs, tan.ir._fns, are the harness's own)
          assert.deepStrictEqual(ours.ir, planToIR(tan.ir))
          stats.equal++
        } catch (e) {
          unexpected.push({ plan, diff: e.message.slice(0, 2000) })
        }
      }
    }
  }
  if (process.env.QUERY_TEST_VERBOSE) console.log(JSON.stringify(stats))
  assert.deepStrictEqual(unexpected.slice(0, 3), [])
  assert.equal(stats.equal + stats.bothRejected + (stats.expected.joinSameSide ?? 0) + (stats.skippedIncludes ?? 0), PLANS)
  assert.ok((stats.skippedIncludes ?? 0) < PLANS / 10, `${stats.skippedIncludes} plans with includes skipped`)
  assert.ok(stats.equal > PLANS * 0.9, JSON.stringify(stats))
})

// ---------------------------------------------------------------------------
// Builder behaviour

const q0 = () => new S.Query()
const users = ourColls.users
const posts = ourColls.posts

test('queries are immutable', () => {
  const a = q0().from({ u: users })
  const b = a.where(({ u }) => S.eq(u.id, 1))
  const c = a.orderBy(({ u }) => u.id)
  assert.equal(S.toIR(a).ir.where, undefined)
  assert.equal(S.toIR(b).ir.where.length, 1)
  assert.equal(S.toIR(c).ir.where, undefined)
  assert.notEqual(a, b)
})

test('ref proxies: one per path, paths recorded', () => {
  let seen
  q0().from({ u: users }).where(({ u }) => {
    seen = u
    assert.equal(u.name, u.name)
    assert.notEqual(u.name, u.city)
    return S.eq(u.a.b.c, 1)
  })
  assert.ok(seen)
  const { ir } = S.toIR(q0().from({ u: users }).where(({ u }) => S.eq(u.a.b.c, 1)))
  assert.deepStrictEqual(ir.where[0].args[0], { type: 'ref', path: ['u', 'a', 'b', 'c'] })
})

test('$selected only in orderBy and having, after select', () => {
  q0().from({ u: users }).where((refs) => { assert.equal(refs.$selected, undefined); return S.eq(1, 1) })
  q0().from({ u: users }).orderBy((refs) => { assert.equal(refs.$selected, undefined); return refs.u.id })
  const s = q0().from({ u: users }).select(({ u }) => ({ n: u.name }))
  s.orderBy((refs) => { assert.ok(refs.$selected); return refs.$selected.n })
  s.having((refs) => { assert.ok(refs.$selected); return S.eq(refs.$selected.n, 'x') })
  s.select((refs) => { assert.equal(refs.$selected, undefined); return { a: 1 } })
})

test('values: undefined has no value member, constants are copied', () => {
  const list = ['a', 'b']
  const q = q0().from({ u: users }).where(({ u }) => S.and(S.inArray(u.id, list), S.eq(u.x, undefined)))
  list.push('c')
  const { ir } = S.toIR(q)
  assert.deepStrictEqual(ir.where[0].args[0].args[1], { type: 'val', value: ['a', 'b'] })
  assert.deepStrictEqual(ir.where[0].args[1].args[1], { type: 'val' })
  assert.ok(!('value' in ir.where[0].args[1].args[1]))
  assert.doesNotThrow(() => JSON.stringify(ir))
})

test('buildQuery: function, query, disabled', () => {
  const q = q0().from({ u: users })
  assert.equal(S.buildQuery(q), q)
  assert.equal(S.buildQuery(() => q), q)
  assert.equal(S.buildQuery(() => null), null)
  assert.equal(S.buildQuery(() => undefined), null)
  let arg
  S.buildQuery((x) => { arg = x; return null })
  assert.ok(arg instanceof S.Query)
})

test('toIR: db and single', () => {
  const r = S.toIR(q0().from({ u: users }).findOne())
  assert.equal(r.db, DB)
  assert.equal(r.single, true)
  assert.equal(S.toIR(q0().from({ u: users })).single, false)
  const sub = q0().from({ p: posts })
  assert.equal(S.toIR(q0().from({ s: sub })).db, DB)
})

// ---------------------------------------------------------------------------
// Errors

const other = { [S.SOURCE]: { name: 'users', db: { name: 'db2' } } }

/** throwsWith asserts fn throws an instance of cls whose message matches re. */
function throwsWith(fn, cls, re) {
  assert.throws(fn, (e) => {
    assert.ok(e instanceof cls, `want ${cls.name}, got ${e?.constructor?.name}: ${e?.message}`)
    assert.match(e.message, re)
    return true
  })
}

const QBE = S.QueryBuilderError
const ERRORS = [
  ['where returns a JS boolean', () => q0().from({ u: users }).where(({ u }) => u.id === 'x'), QBE, /Invalid where\(\) expression: expected a query expression, but received a boolean.*eq\(user\.id, 'abc'\)/s],
  ['where returns a string', () => q0().from({ u: users }).where(() => 'x'), QBE, /received a string/],
  ['where returns undefined', () => q0().from({ u: users }).where(() => {}), QBE, /received undefined/],
  ['having returns a boolean', () => q0().from({ u: users }).groupBy(({ u }) => u.a).having(() => true), QBE, /Invalid having\(\) expression/],
  ['join on gt', () => q0().from({ u: users }).join({ p: posts }, ({ u, p }) => S.gt(u.id, p.userId)), QBE, /Join condition must be an equality expression.*got the expression gt\(u\.id, p\.userId\)/s],
  ['join on or', () => q0().from({ u: users }).join({ p: posts }, ({ u, p }) => S.or(S.eq(u.id, p.userId), S.eq(u.a, p.b))), QBE, /Join condition must be an equality/],
  ['join on a bare ref', () => q0().from({ u: users }).join({ p: posts }, ({ p }) => p.ok), QBE, /Join condition must be an equality.*got the ref p\.ok/s],
  ['join on and with a gt', () => q0().from({ u: users }).join({ p: posts }, ({ u, p }) => S.and(S.eq(u.id, p.userId), S.gt(u.a, p.b))), QBE, /Join condition must be an equality/],
  ['join on the same side', () => q0().from({ u: users }).join({ p: posts }, ({ u }) => S.eq(u.id, u.teamId)), QBE, /Invalid join condition eq\(u\.id, u\.teamId\): one side of each eq\(\) must use only the joined source "p"/],
  ['join on a constant', () => q0().from({ u: users }).join({ p: posts }, ({ p }) => S.eq(p.userId, 'u1')), QBE, /Invalid join condition/],
  ['join mixing sides', () => q0().from({ u: users }).join({ p: posts }, ({ u, p }) => S.eq(S.concat(u.id, p.x), p.userId)), QBE, /Invalid join condition/],
  ['join type', () => q0().from({ u: users }).join({ p: posts }, ({ u, p }) => S.eq(u.id, p.userId), 'outer'), QBE, /join type must be one of inner, left, right, full/],
  ['join alias reused', () => q0().from({ u: users }).join({ u: posts }, ({ u }) => S.eq(u.id, u.userId)), QBE, /alias "u" is already used/],
  ['source not a collection', () => q0().from({ u: [1, 2] }), QBE, /Invalid source for live query: the value provided for alias "u" in the from clause is not a StreamDB collection or subquery/],
  ['a TanStack collection as source', () => q0().from({ u: tanColls.users }), QBE, /alias "u"/],
  ['join source not a collection', () => q0().from({ u: users }).join({ p: {} }, () => null), QBE, /alias "p" in the join clause/],
  ['two sources', () => q0().from({ u: users, p: posts }), QBE, /Only one source is allowed in the from clause/],
  ['empty source', () => q0().from({}), QBE, /empty object/],
  ['null source', () => q0().from(null), QBE, /got null/],
  ['reserved alias', () => q0().from({ $x: users }), QBE, /reserved/],
  ['subquery without from', () => q0().from({ s: q0() }), QBE, /A sub query passed to a from clause must have a from clause itself/],
  ['where before from', () => q0().where(() => S.eq(1, 1)), QBE, /Query must have a from clause/],
  ['from twice', () => q0().from({ u: users }).from({ p: posts }), QBE, /from\(\) can only be called once/],
  ['different dbs', () => S.toIR(q0().from({ u: users }).join({ o: other }, ({ u, o }) => S.eq(u.id, o.id))), QBE, /different databases/],
  ['different dbs in a subquery', () => S.toIR(q0().from({ s: q0().from({ o: other }) }).join({ u: users }, ({ s, u }) => S.eq(s.id, u.id))), QBE, /"users" and "users" belong to different databases/],
  ['toIR without from', () => S.toIR(q0()), QBE, /Query must have a from clause/],
  ['buildQuery returns junk', () => S.buildQuery(() => 42), QBE, /must return a query/],
  ['buildQuery returns q', () => S.buildQuery((q) => q), QBE, /Query must have a from clause/],
  ['buildQuery of junk', () => S.buildQuery({}), QBE, /expected a query or a query function/],
  ['fn.select without a callback', () => q0().from({ u: users }).fn.select('r'), QBE, /fn\.select\(\) needs a callback, got/],
  ['fn.where without a callback', () => q0().from({ u: users }).fn.where(null), QBE, /fn\.where\(\) needs a callback/],
  ['fn.having without a callback', () => q0().from({ u: users }).fn.having({}), QBE, /fn\.having\(\) needs a callback/],
  ['unionAll after from', () => q0().from({ u: users }).unionAll({ u: users, p: posts }), QBE, /unionAll\(\) sets the source of a query/],
  ['unionAll of nothing', () => q0().unionAll(), QBE, /Invalid source for unionAll clause.*Got: undefined/s],
  ['unionAll of a query and sources', () => q0().unionAll(q0().from({ u: users }), { p: posts }), QBE, /argument 2 is object, not a query/],
  ['unionAll row selected whole', () => q0().unionAll(q0().from({ u: users }), q0().from({ p: posts })).select((r) => r), QBE, /cannot be selected whole/],
  ['caseWhen with an object branch', () => S.caseWhen(true, { a: 1 }), QBE, /conditional projection\) is not supported/],
  ['caseWhen with one argument', () => S.caseWhen(true), QBE, /at least two arguments/],
  ['caseWhen with an array condition', () => S.caseWhen([1], 2), QBE, /conditions must be expression-like/],
  // A scalar select is for includes (toArray, concat); a query cannot end in one.
  ['scalar select', () => S.toIR(q0().from({ u: users }).select(({ u }) => u.name)), QBE, /Top-level scalar select\(\) is not supported/],
  ['scalar select of an expression', () => S.toIR(q0().from({ u: users }).select(({ u }) => S.upper(u.name))), QBE, /Top-level scalar select\(\) is not supported/],
  ['scalar select of a constant', () => S.toIR(q0().from({ u: users }).select(() => 7)), QBE, /Top-level scalar select\(\) is not supported/],
  ['select of undefined', () => S.toIR(q0().from({ u: users }).select(() => undefined)), QBE, /must return an object of fields.*got undefined/],
  ['orderBy custom compare', () => q0().from({ u: users }).orderBy(({ u }) => u.name, { stringSort: 'custom', compare: () => 0 }), QBE, /'custom' is not supported/],
  ['orderBy direction', () => q0().from({ u: users }).orderBy(({ u }) => u.name, 'up'), QBE, /direction must be 'asc' or 'desc', got "up"/],
  ['orderBy nulls', () => q0().from({ u: users }).orderBy(({ u }) => u.name, { nulls: 'middle' }), QBE, /nulls must be 'first' or 'last'/],
  ['limit negative', () => q0().from({ u: users }).limit(-1), QBE, /limit\(\) needs a non-negative integer, got -1/],
  ['offset fraction', () => q0().from({ u: users }).offset(1.5), QBE, /offset\(\) needs a non-negative integer/],
  ['Date constant', () => q0().from({ u: users }).where(({ u }) => S.gt(u.at, new Date())), TypeError, /a Date cannot be used in a StreamDB query \(gt\(\)\): rows are JSON.*toISOString/s],
  ['Date in select', () => q0().from({ u: users }).select(() => ({ now: new Date() })), TypeError, /a Date cannot be used.*select field "now"/s],
  ['NaN inside an array constant', () => S.inArray(1, [1, NaN]), TypeError, /NaN cannot be used as a constant.*on their own/s],
  ['bigint constant', () => S.eq(1, 10n), TypeError, /bigint/],
  ['Map constant', () => S.eq(1, new Map()), TypeError, /a Map object cannot be used/],
  ['function constant', () => S.eq(1, () => 1), TypeError, /a function cannot be used/],
  ['cyclic constant', () => { const a = [1]; a.push(a); return S.eq(1, a) }, TypeError, /a cyclic object cannot be used/],
  ['undefined in a constant array', () => S.inArray(1, [1, undefined]), TypeError, /undefined inside a constant array/],
  ['spread outside select', () => q0().from({ u: users }).where(({ u }) => S.eq({ ...u }, 1)), TypeError, /spread of a ref \(\{\.\.\.alias\}\) can only be used in select\(\)/],
  ['ref inside a constant array', () => q0().from({ u: users }).where(({ u }) => S.inArray('x', [u.a])), TypeError, /ref or expression inside a constant array/],
  ['TanStack expression', () => q0().from({ u: users }).where(({ u }) => S.and(T.eq(1, 1), S.eq(u.a, 1))), TypeError, /from @tanstack\/db cannot be used in a StreamDB query/],
  ['assign to a ref', () => q0().from({ u: users }).where(({ u }) => { u.name = 'x'; return u.ok }), QBE, /cannot assign name on a ref/],
]

test('misuse throws clear errors', async (t) => {
  for (const [name, fn, cls, re] of ERRORS) {
    await t.test(name, () => throwsWith(fn, cls, re))
  }
})

test('QueryBuilderError is a StreamDBError and an Error', () => {
  const e = new S.QueryBuilderError('x')
  assert.ok(e instanceof Error)
  assert.equal(e.name, 'QueryBuilderError')
  assert.equal(e.code, 'QUERY_BUILDER')
})

test('NaN and ±Infinity constants are named in the IR (JSON has no literal for them); inside arrays they are refused', () => {
  const from = { u: ourColls.users }
  for (const [c, name] of [[NaN, 'NaN'], [Infinity, 'Infinity'], [-Infinity, '-Infinity']]) {
    const q = S.buildQuery((b) => b.from(from).where(({ u }) => S.gt(u.age, c)))
    const ir = JSON.parse(JSON.stringify(S.toIR(q).ir))
    assert.deepEqual(ir.where[0].args[1], { type: 'val', number: name })
  }
  assert.throws(() => S.buildQuery((b) => b.from(from).where(({ u }) => S.inArray(u.age, [1, NaN]))), /NaN and ±Infinity can be constants on their own/)
})
