// query_diff.mjs: random databases and random queries for the differential
// test of datom's Datalog against npm datascript 1.8.1 (tests/test_query_diff.c).
//
//   node query_diff.mjs gen SEED N DIR     writes DIR/cases.json: the databases
//                                           (attributes and datoms), the queries
//                                           in both dialects, Datascript's answers
//   node query_diff.mjs compare DIR        compares DIR/datom.json (datom's answers,
//                                           written by the C side) with them
//
// Queries cover every clause kind (patterns with constants and _, predicates,
// function bindings of every binding form, not, not-join, or, or-join, and,
// rules with recursion and bound arguments, get-else, missing?, ground, tuple,
// untuple), every find spec, :keys, :with, aggregates, and every :in form
// (scalars, tuples, collections, relations, a collection as a source). datom
// gets each query's clauses shuffled, Datascript their working order. The
// places where Datascript departs from Datomic (docs/architecture.md, "Testing against
// Datascript") are left out:
// they are tested by hand in test_query.c.
import d from 'datascript';
import fs from 'fs';
import { rng } from './rng.mjs';

// ---- databases ----
// Attributes: s (string), l (long), m (long, many), d (double), b (boolean),
// r (ref), rs (ref, many), u (string, unique identity), n (long: a second
// number to compare and group by).
const ATTRS = [
  { name: 's', type: 'string' }, { name: 'l', type: 'long' }, { name: 'm', type: 'long', many: true },
  { name: 'd', type: 'double' }, { name: 'b', type: 'boolean' }, { name: 'r', type: 'ref' },
  { name: 'rs', type: 'ref', many: true }, { name: 'u', type: 'string', unique: true },
  { name: 'n', type: 'long' },
];
const STRS = ['a', 'b', 'c', 'ab', 'abc', 'B', '', 'caf\u00e9', 'x y'];
const DBLS = [0.5, 1.5, 2.5, -1.25, 3.0, 10.75];

function value(r, a, ne) {
  switch (a.type) {
    case 'string': return r.pick(STRS);
    case 'long': return a.name === 'n' ? r.int(5) : r.int(14) - 3;
    case 'double': return r.pick(DBLS);
    case 'boolean': return r.chance(0.5);
    default: return 1 + r.int(ne);
  }
}

function genDb(r, big) {
  const ne = big ? 200 + r.int(300) : 8 + r.int(30), datoms = [];
  for (let e = 1; e <= ne; e++) {
    for (const a of ATTRS) {
      if (a.unique) { if (r.chance(0.8)) datoms.push([e, a.name, 'u' + e]); continue; }
      if (!r.chance(a.name === 'rs' || a.name === 'r' ? 0.45 : 0.6)) continue;
      const k = a.many ? 1 + r.int(3) : 1;
      const seen = new Set();
      for (let i = 0; i < k; i++) {
        const v = value(r, a, ne);
        if (seen.has(v)) continue;
        seen.add(v);
        datoms.push([e, a.name, v]);
      }
    }
  }
  return { ne, datoms };
}

const DS_SCHEMA = {
  m: { ':db/cardinality': ':db.cardinality/many' },
  r: { ':db/valueType': ':db.type/ref' },
  rs: { ':db/valueType': ':db.type/ref', ':db/cardinality': ':db.cardinality/many' },
  u: { ':db/unique': ':db.unique/identity' },
};

// ---- queries: an abstract form rendered twice ----
// Terms: {v: 'x'} a variable, {c: value} a constant, {blank: true}, {a: 'name'}
// an attribute. Rendering: datom writes attributes as keywords (:s), Datascript
// as strings ("s").
function lit(x) {
  if (typeof x === 'string') return JSON.stringify(x);
  if (typeof x === 'boolean') return String(x);
  if (Array.isArray(x)) return '[' + x.map(lit).join(' ') + ']';
  if (Number.isInteger(x)) return String(x);
  return Number.isFinite(x) && String(x).includes('.') ? String(x) : x.toFixed(1);
}
const attr = (dialect, a) => dialect === 'datom' ? ':' + a : JSON.stringify(a);
function term(dialect, t) {
  if (t.raw) return t.raw;
  if (t.v) return '?' + t.v;
  if (t.blank) return '_';
  if (t.a) return attr(dialect, t.a);
  if (t.lookup) return '[' + attr(dialect, t.lookup[0]) + ' ' + lit(t.lookup[1]) + ']';
  return lit(t.c);
}
function clause(dialect, c) {
  switch (c.k) {
    case 'pat': return '[' + (c.src ? c.src + ' ' : '') + c.t.map((t) => term(dialect, t)).join(' ') + ']';
    case 'pred': return '[(' + c.f + ' ' + c.args.map((t) => term(dialect, t)).join(' ') + ')]';
    case 'fn': return '[(' + c.f + (c.args.length ? ' ' : '') + c.args.map((t) => term(dialect, t)).join(' ') + ') ' + c.bind + ']';
    case 'not': return '(not ' + c.body.map((b) => clause(dialect, b)).join(' ') + ')';
    case 'not-join': return '(not-join [' + c.vars.map((v) => '?' + v).join(' ') + '] ' + c.body.map((b) => clause(dialect, b)).join(' ') + ')';
    case 'or': return '(or ' + c.branches.map((br) => branch(dialect, br)).join(' ') + ')';
    case 'or-join': return '(or-join [' + c.vars.map((v) => '?' + v).join(' ') + '] ' + c.branches.map((br) => branch(dialect, br)).join(' ') + ')';
    case 'call': return '(' + c.rule + ' ' + c.args.map((t) => term(dialect, t)).join(' ') + ')';
    default: throw new Error('clause ' + c.k);
  }
}
function branch(dialect, br) {
  return br.length === 1 ? clause(dialect, br[0]) : '(and ' + br.map((b) => clause(dialect, b)).join(' ') + ')';
}
function render(dialect, q) {
  let s = '[:find ' + q.find;
  if (q.keys) s += ' :keys ' + q.keys;
  if (q.with) s += ' :with ' + q.with;
  if (q.in) s += ' :in ' + q.in;
  s += ' :where ' + q.where.map((c) => clause(dialect, c)).join(' ') + ']';
  return s;
}
function renderRules(dialect, rules) {
  return '[' + rules.map((r) => '[(' + r.head + ') ' + r.body.map((c) => clause(dialect, c)).join(' ') + ']').join(' ') + ']';
}

const V = (v) => ({ v });
const C = (c) => ({ c });
const A = (a) => ({ a });
const B = { blank: true };
const pat = (...t) => ({ k: 'pat', t });
const LONGS = ['l', 'm', 'n'];

// A value attribute of a type and a constant of it.
function constOf(r, name, ne) { return value(r, ATTRS.find((a) => a.name === name), ne); }

// ---- the kinds of query ----
const GENS = [
  // patterns, constants, _, joins through refs
  (r, db) => { const a = r.pick(['s', 'l', 'm', 'd', 'b']); return { find: '?e ?v', where: [pat(V('e'), A(a), V('v'))] }; },
  (r, db) => { const a = r.pick(['s', 'l', 'm', 'n']); return { find: '?e', where: [pat(V('e'), A(a), C(constOf(r, a, db.ne)))] }; },
  (r, db) => ({ find: '?v', where: [pat(B, A(r.pick(['s', 'l', 'd'])), V('v'))] }),
  (r, db) => ({ find: '?e ?f ?v', where: [pat(V('e'), A(r.pick(['r', 'rs'])), V('f')), pat(V('f'), A(r.pick(['s', 'l'])), V('v'))] }),
  (r, db) => ({ find: '?x', where: [pat(V('e'), A('r'), V('f')), pat(V('f'), A('rs'), V('g')), pat(V('g'), A('l'), V('x'))] }),
  (r, db) => ({ find: '?e ?f', where: [pat(V('e'), A('r'), V('f')), pat(V('f'), A('r'), V('e'))] }),
  (r, db) => ({ find: '?e ?f', where: [pat(V('e'), A('l'), V('x')), pat(V('f'), A('n'), V('x')), pat(V('e'), A('s'), C(r.pick(STRS)))] }),
  (r, db) => ({ find: '?v', where: [pat({ lookup: ['u', 'u' + (1 + r.int(db.ne))] }, A(r.pick(['s', 'l', 'm'])), V('v'))] }),
  (r, db) => ({ find: '?e', where: [pat(V('e'), A('r'), { lookup: ['u', 'u' + (1 + r.int(db.ne))] })] }),
  (r, db) => ({ find: '?e ?v', where: [pat(V('e'), A('u'), V('v')), pat(V('e'), A('s'), V('v'))] }),
  // predicates
  (r, db) => {
    const a = r.pick(LONGS), op = r.pick(['<', '<=', '>', '>=', '=', '!=', 'not=']);
    return { find: '?e ?v', where: [pat(V('e'), A(a), V('v')), { k: 'pred', f: op, args: [V('v'), C(r.int(10) - 2)] }] };
  },
  (r, db) => {
    const op = r.pick(['<', '>', '=', '!=']);
    return { find: '?s ?t', where: [pat(V('e'), A('s'), V('s')), pat(V('f'), A('s'), V('t')), { k: 'pred', f: op, args: [V('s'), V('t')] }] };
  },
  (r, db) => ({ find: '?e ?v ?w', where: [pat(V('e'), A('l'), V('v')), pat(V('e'), A('n'), V('w')), { k: 'pred', f: r.pick(['<', '>=', '==']), args: [V('v'), V('w')] }] }),
  (r, db) => ({ find: '?d', where: [pat(V('e'), A('d'), V('d')), { k: 'pred', f: r.pick(['<', '>']), args: [V('d'), C(r.pick([1, 2, 2.5]))] }] }),
  (r, db) => ({ find: '?v', where: [pat(V('e'), A('l'), V('v')), { k: 'pred', f: r.pick(['even?', 'odd?', 'pos?', 'neg?', 'zero?']), args: [V('v')] }] }),
  (r, db) => ({ find: '?s', where: [pat(V('e'), A('s'), V('s')), { k: 'pred', f: r.pick(['clojure.string/starts-with?', 'clojure.string/ends-with?', 'clojure.string/includes?']), args: [V('s'), C(r.pick(['a', 'b', 'c', '']))] }] }),
  (r, db) => ({ find: '?e', where: [pat(V('e'), A('b'), V('b')), { k: 'pred', f: r.pick(['true?', 'false?']), args: [V('b')] }] }),
  (r, db) => ({ find: '?e ?x ?y', where: [pat(V('e'), A('l'), V('x')), pat(V('e'), A('n'), V('y')), { k: 'pred', f: '<', args: [C(-1), V('x'), V('y'), C(9)] }] }),
  // function bindings: scalar, tuple, collection, relation
  (r, db) => {
    const f = r.pick(['+', '-', '*', 'max', 'min', 'quot', 'rem', 'mod']);
    return { find: '?e ?w', where: [pat(V('e'), A('l'), V('v')), pat(V('e'), A('n'), V('n')), { k: 'pred', f: '!=', args: [V('n'), C(0)] }, { k: 'fn', f, args: [V('v'), V('n')], bind: '?w' }] };
  },
  (r, db) => ({ find: '?v ?w', where: [pat(V('e'), A('l'), V('v')), { k: 'fn', f: r.pick(['inc', 'dec', 'identity']), args: [V('v')], bind: '?w' }] }),
  (r, db) => ({ find: '?s ?c', where: [pat(V('e'), A('s'), V('s')), { k: 'fn', f: r.pick(['count', 'str']), args: [V('s')], bind: '?c' }] }),
  (r, db) => ({ find: '?t', where: [pat(V('e'), A('s'), V('s')), pat(V('e'), A('l'), V('l')), { k: 'fn', f: 'str', args: [V('s'), C('-'), V('l')], bind: '?t' }] }),
  (r, db) => ({ find: '?s ?t', where: [pat(V('e'), A('s'), V('s')), { k: 'pred', f: '>=', args: [{ v: 's' }, C('a')] }, { k: 'fn', f: 'subs', args: [V('s'), C(0), C(1)], bind: '?t' }, { k: 'pred', f: '!=', args: [V('s'), C('')] }] }),
  (r, db) => ({ find: '?x', where: [{ k: 'fn', f: 'ground', args: [C([1, 2, 3, 5])], bind: '[?x ...]' }, pat(V('e'), A('l'), V('x'))] }),
  (r, db) => ({ find: '?a ?b', where: [{ k: 'fn', f: 'ground', args: [C([[1, 'a'], [2, 'b'], [3, 'c']])], bind: '[[?a ?b]]' }, pat(V('e'), A('l'), V('a')), pat(V('e'), A('s'), V('b'))] }),
  (r, db) => ({ find: '?a ?b', where: [pat(V('e'), A('l'), V('l')), pat(V('e'), A('s'), V('s')), { k: 'fn', f: 'tuple', args: [V('l'), V('s')], bind: '?t' }, { k: 'fn', f: 'untuple', args: [V('t')], bind: '[?a ?b]' }] }),
  (r, db) => ({ find: '?e ?v', where: [pat(V('e'), A('s'), B), { k: 'fn', f: 'get-else', args: [{ raw: '$' }, V('e'), A('l'), C(-99)], bind: '?v' }] }),
  (r, db) => ({ find: '?e', where: [pat(V('e'), A('s'), B), { k: 'pred', f: 'missing?', args: [{ raw: '$' }, V('e'), A(r.pick(['l', 'r', 'm']))] }] }),
  (r, db) => ({ find: '?x ?y', where: [{ k: 'fn', f: 'ground', args: [C(r.int(5))], bind: '?x' }, pat(V('e'), A('n'), V('x')), pat(V('e'), A('l'), V('y'))] }),
  // not, not-join, or, or-join, and
  (r, db) => ({ find: '?e', where: [pat(V('e'), A('s'), B), { k: 'not', body: [pat(V('e'), A('l'), C(constOf(r, 'l', db.ne)))] }] }),
  (r, db) => ({ find: '?e ?x', where: [pat(V('e'), A('l'), V('x')), { k: 'not', body: [pat(V('e'), A('m'), V('x'))] }] }),
  (r, db) => ({ find: '?e', where: [pat(V('e'), A('s'), B), { k: 'not-join', vars: ['e'], body: [pat(V('e'), A('rs'), V('f')), pat(V('f'), A('l'), V('x')), { k: 'pred', f: '>', args: [V('x'), C(3)] }] }] }),
  (r, db) => ({ find: '?e ?s', where: [pat(V('e'), A('s'), V('s')), { k: 'not', body: [{ k: 'pred', f: '=', args: [V('s'), C(r.pick(STRS))] }] }] }),
  (r, db) => ({ find: '?e', where: [pat(V('e'), A('l'), B), { k: 'or', branches: [[pat(V('e'), A('n'), C(r.int(5)))], [pat(V('e'), A('s'), C(r.pick(STRS)))]] }] }),
  (r, db) => ({ find: '?e', where: [pat(V('e'), A('u'), B), { k: 'or', branches: [[pat(V('e'), A('l'), C(1))], [pat(V('e'), A('b'), C(true)), pat(V('e'), A('n'), C(2))]] }] }),
  (r, db) => ({ find: '?e', where: [pat(V('e'), A('u'), B), { k: 'or-join', vars: ['e'], branches: [[pat(V('e'), A('r'), V('x')), pat(V('x'), A('l'), C(2))], [pat(V('e'), A('m'), V('y')), { k: 'pred', f: '>', args: [V('y'), C(4)] }]] }] }),
  (r, db) => ({ find: '?e ?v', where: [pat(V('e'), A('l'), V('v')), { k: 'or', branches: [[{ k: 'pred', f: '<', args: [V('v'), C(0)] }], [{ k: 'pred', f: '>', args: [V('v'), C(6)] }]] }] }),
  (r, db) => ({ find: '?e', where: [pat(V('e'), A('s'), B), { k: 'not', body: [{ k: 'or', branches: [[pat(V('e'), A('n'), C(1))], [pat(V('e'), A('n'), C(2))]] }] }] }),
  // aggregates, grouping, :with
  (r, db) => {
    const ag = r.pick(['count', 'count-distinct', 'sum', 'min', 'max', 'avg', 'median', 'variance', 'stddev', 'distinct']);
    const g = r.chance(0.5);
    return { find: (g ? '?g ' : '') + '(' + ag + ' ?v)', with: r.chance(0.5) ? '?e' : null, where: [pat(V('e'), A('l'), V('v')), pat(V('e'), A('n'), V('g'))] };
  },
  (r, db) => ({ find: '(' + r.pick(['min', 'max']) + ' ' + (1 + r.int(3)) + ' ?v)', with: '?e', where: [pat(V('e'), A(r.pick(['l', 'd', 's'])), V('v'))] }),
  (r, db) => ({ find: '(count ?e) .', where: [pat(V('e'), A(r.pick(['s', 'l', 'r', 'm'])), B)] }),
  (r, db) => ({ find: '?s (count ?e) (min ?l) (max ?l)', where: [pat(V('e'), A('s'), V('s')), pat(V('e'), A('l'), V('l'))] }),
  (r, db) => ({ find: '(sum ?d) .', with: '?e', where: [pat(V('e'), A('d'), V('d'))] }),
  (r, db) => ({ find: '(min ?s) .', where: [pat(V('e'), A('s'), V('s'))] }),
  // find specs and :keys
  (r, db) => ({ find: '[?v ...]', where: [pat(V('e'), A(r.pick(['l', 's', 'm'])), V('v'))] }),
  (r, db) => ({ find: '?v .', where: [pat(V('e'), A('u'), C('u' + (1 + r.int(db.ne + 3)))), pat(V('e'), A(r.pick(['l', 's'])), V('v'))] }),
  (r, db) => ({ find: '[?s ?l]', where: [pat(V('e'), A('u'), C('u' + (1 + r.int(db.ne)))), pat(V('e'), A('s'), V('s')), pat(V('e'), A('l'), V('l'))] }),
  (r, db) => ({ find: '?e ?s', keys: 'id name', where: [pat(V('e'), A('s'), V('s'))] }),
  // rules
  (r, db) => ({ rules: 'reach', find: '?x ?y', in: '$ %', where: [{ k: 'call', rule: 'reach', args: [V('x'), V('y')] }] }),
  (r, db) => ({ rules: 'reach', find: '?y', in: '$ %', where: [pat(V('x'), A('u'), C('u' + (1 + r.int(db.ne)))), { k: 'call', rule: 'reach', args: [V('x'), V('y')] }] }),
  (r, db) => ({ rules: 'reach', find: '?x', in: '$ %', where: [pat(V('y'), A('l'), C(r.int(8))), { k: 'call', rule: 'reach', args: [V('x'), V('y')] }] }),
  (r, db) => ({ rules: 'kin', find: '?x ?y', in: '$ %', where: [pat(V('x'), A('n'), C(r.int(5))), { k: 'call', rule: 'kin', args: [V('x'), V('y')] }] }),
  (r, db) => ({ rules: 'big', find: '?e', in: '$ %', where: [pat(V('e'), A('s'), B), { k: 'call', rule: 'big', args: [V('e')] }] }),
  (r, db) => ({ rules: 'reach', find: '(count ?y) .', in: '$ %', where: [{ k: 'call', rule: 'reach', args: [V('x'), V('y')] }] }),
  // inputs: scalars, tuples, collections, relations, a collection as a source
  (r, db) => ({ find: '?e', in: '$ ?x', inputs: [r.int(8) - 2], where: [pat(V('e'), A('l'), V('x'))] }),
  (r, db) => ({ find: '?e ?x', in: '$ [?x ...]', inputs: [[r.int(8), r.int(8), 2]], where: [pat(V('e'), A('m'), V('x'))] }),
  (r, db) => ({ find: '?e', in: '$ [?x ?y]', inputs: [[r.int(8), r.int(5)]], where: [pat(V('e'), A('l'), V('x')), pat(V('e'), A('n'), V('y'))] }),
  (r, db) => ({ find: '?e ?t', in: '$ [[?x ?t]]', inputs: [[[1, 'one'], [2, 'two'], [3, 'three']]], where: [pat(V('e'), A('l'), V('x'))] }),
  (r, db) => ({ find: '?a ?b', in: '$ $2', inputs: [[[1, 'x'], [2, 'y'], [3, 'z']]], where: [{ k: 'pat', src: '$2', t: [V('a'), V('b')] }, pat(V('e'), A('l'), V('a'))] }),
  (r, db) => ({ find: '?v', in: '$ ?lo ?hi', inputs: [r.int(5), 4 + r.int(6)], where: [pat(V('e'), A('l'), V('v')), { k: 'pred', f: '<=', args: [V('lo'), V('v')] }, { k: 'pred', f: '<', args: [V('v'), V('hi')] }] }),
];

const RULES = {
  reach: [{ head: 'reach ?a ?b', body: [pat(V('a'), A('r'), V('b'))] },
    { head: 'reach ?a ?b', body: [pat(V('a'), A('rs'), V('b'))] },
    { head: 'reach ?a ?b', body: [pat(V('a'), A('r'), V('c')), { k: 'call', rule: 'reach', args: [V('c'), V('b')] }] }],
  kin: [{ head: 'kin ?a ?b', body: [pat(V('a'), A('n'), V('x')), pat(V('b'), A('n'), V('x')), { k: 'pred', f: '!=', args: [V('a'), V('b')] }] },
    { head: 'kin ?a ?b', body: [pat(V('a'), A('rs'), V('b'))] }],
  big: [{ head: 'big ?e', body: [pat(V('e'), A('l'), V('v')), { k: 'pred', f: '>', args: [V('v'), C(5)] }] },
    { head: 'big ?e', body: [pat(V('e'), A('r'), V('f')), { k: 'call', rule: 'big', args: [V('f')] }] }],
};

// Inputs for datom: EDN texts; for Datascript: JS values.
const ednOf = (v) => lit(v);

function gen(seed, n, dir) {
  const r = rng(seed);
  const dbs = [], cases = [];
  const perDb = 50;
  const ndbs = Math.ceil(n / perDb);
  for (let i = 0; i < ndbs; i++) dbs.push(genDb(r, i % 4 === 3)); /* some big enough for hash joins */
  const dsDbs = dbs.map((db) => d.init_db(db.datoms.map(([e, a, v]) => [e, a, v]), DS_SCHEMA));
  let ok = 0, errors = 0;
  for (let i = 0; i < n; i++) {
    const dbi = Math.floor(i / perDb), db = dbs[dbi];
    const g = GENS[i % GENS.length];
    const q = g(r, db);
    // datom gets the clauses in a random order (its planner must not care);
    // Datascript, which joins in the written order, the order that works
    const shuffled = [...q.where];
    for (let k = shuffled.length - 1; k > 0; k--) {
      const j = r.int(k + 1);
      [shuffled[k], shuffled[j]] = [shuffled[j], shuffled[k]];
    }
    const qd = render('datom', { ...q, where: shuffled }), qs = render('ds', q);
    const inputsD = [], inputsS = [];
    if (q.rules) { inputsD.push(renderRules('datom', RULES[q.rules])); inputsS.push(renderRules('ds', RULES[q.rules])); }
    for (const v of q.inputs || []) { inputsD.push(ednOf(v)); inputsS.push(v); }
    let answer, error = null;
    try {
      answer = d.q(qs, dsDbs[dbi], ...inputsS);
      ok++;
    } catch (e) {
      error = String(e.message || e);
      errors++;
    }
    cases.push({ db: dbi, gen: i % GENS.length, datom: qd, ds: qs, inputs: inputsD, answer, error });
  }
  fs.writeFileSync(dir + '/cases.json', JSON.stringify({ dbs: dbs.map((db) => ({ datoms: db.datoms })), attrs: ATTRS, cases }));
  console.log(`generated ${n} queries on ${ndbs} databases; Datascript answered ${ok}, refused ${errors}`);
}

// ---- comparing ----
const EID0 = 2 ** 44; // datom's first user entity id (partition 4)

function norm(x) {
  if (Array.isArray(x)) return x.map(norm);
  if (x && typeof x === 'object') {
    const o = {};
    for (const k of Object.keys(x).sort()) o[k.startsWith(':') ? k.slice(1) : k] = norm(x[k]);
    return o;
  }
  if (typeof x === 'number' && x >= EID0 && x < 2 * EID0) return x - EID0;
  return x;
}
const key = (x) => JSON.stringify(x);
function canon(x, isSet) {
  x = norm(x);
  if (isSet && Array.isArray(x)) return '[' + x.map((y) => key(canonDeep(y))).sort().join(',') + ']';
  return key(canonDeep(x));
}
// Inner collections that are sets (distinct, (min n)...) compare sorted.
function canonDeep(x) {
  if (Array.isArray(x)) return x.map(canonDeep);
  if (typeof x === 'number') return Number.isInteger(x) ? x : Number(x.toPrecision(12));
  return x;
}
const UNORDERED_AGG = /\((distinct|min \d|max \d)/;

function compare(dir) {
  const { cases } = JSON.parse(fs.readFileSync(dir + '/cases.json', 'utf8'));
  const ours = JSON.parse(fs.readFileSync(dir + '/datom.json', 'utf8'));
  let same = 0, bad = 0, skipped = 0;
  const gens = new Set();
  for (let i = 0; i < cases.length; i++) {
    const c = cases[i], o = ours[i];
    if (c.error) { skipped++; continue; }
    const findSpec = c.datom.slice(7, c.datom.indexOf(' :'));
    const isSet = !findSpec.endsWith('.') && !(findSpec.startsWith('[') && !findSpec.includes('...'));
    let a = c.answer, b = o.value;
    if (UNORDERED_AGG.test(findSpec)) {
      const sortInner = (x) => Array.isArray(x) ? x.map((y) => Array.isArray(y) ? [...y].sort() : y) : x;
      a = Array.isArray(a) ? a.map(sortInner) : a;
      b = Array.isArray(b) ? b.map(sortInner) : b;
      if (findSpec.endsWith('.')) { a = Array.isArray(a) ? [...a].sort() : a; b = Array.isArray(b) ? [...b].sort() : b; }
    }
    if (o.error === undefined && canon(a, isSet) === canon(b, isSet)) { same++; gens.add(c.gen); continue; }
    bad++;
    if (bad <= 20) {
      console.log(`MISMATCH #${i}: ${c.datom}  inputs ${JSON.stringify(c.inputs)}`);
      console.log(`  datascript: ${canon(a, isSet).slice(0, 400)}`);
      console.log(`  datom:      ${o.error !== undefined ? 'error: ' + o.error : canon(b, isSet).slice(0, 400)}`);
    }
  }
  console.log(`${same} answers equal, ${bad} differ, ${skipped} skipped (Datascript refused); ${gens.size} of ${GENS.length} query kinds compared`);
  process.exit(bad ? 1 : 0);
}

const [mode, a1, a2, a3] = process.argv.slice(2);
if (mode === 'gen') gen(Number(a1), Number(a2), a3);
else if (mode === 'compare') compare(a1);
else { console.error('usage: query_diff.mjs gen SEED N DIR | compare DIR'); process.exit(2); }
