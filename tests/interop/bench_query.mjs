// bench_query.mjs: Datascript's side of bench/query (docs/performance.md,
// "Query"): npm datascript 1.8.1 on the same data sets, made by the same
// mulberry32 streams as bench/query/gen.h, timed by the same quick protocol
// (200 ms warm-up, 5 samples of >= 300 ms, median and fastest) in CPU time
// (process.cpuUsage: the machine is shared).
//
//   node bench_query.mjs people | rules | pull | math SCALE [q4]
//
// Prints "bench NAME MEDIAN_MS MIN_MS ROWS" lines and "max_rss_kb N".
// Through the JS API attributes are strings and keyword values cannot be
// written: :sex is the string "male" here (docs/architecture.md, "Testing against
// Datascript").
import d from 'datascript';

function mb32(r) {
  r.s = (r.s + 0x6D2B79F5) >>> 0;
  let z = r.s;
  z = Math.imul(z ^ (z >>> 15), z | 1) >>> 0;
  z = (z ^ (z + Math.imul(z ^ (z >>> 7), z | 61))) >>> 0;
  return (z ^ (z >>> 14)) >>> 0;
}
const draw = (r, n) => Number((BigInt(mb32(r)) * BigInt(n)) >> 32n);

const NAMES = ['Ivan', 'Petr', 'Sergei', 'Oleg', 'Yuri', 'Dmitry', 'Fedor', 'Denis'];
const LASTS = ['Ivanov', 'Petrov', 'Sidorov', 'Kovalev', 'Kuznetsov', 'Voronoi'];
const ALIASES = ['A. C. Q. W.', 'A. J. Finn', 'A.A. Fair', 'Aapeli', 'Aaron Wolfe', 'Abigail Van Buren',
  'Jeanne Phillips', 'Abram Tertz', 'Abu Nuwas', 'Acton Bell', 'Adunis'];
const SEXES = ['male', 'female'];

function person(r, ds) {
  const p = { name: NAMES[draw(r, 8)], 'last-name': LASTS[draw(r, 6)] };
  if (ds) {
    p['full-name'] = p.name + ' ' + p['last-name'];
    const k = draw(r, 10), alias = [];
    for (let i = 0; i < k; i++) alias.push(ALIASES[draw(r, 11)]);
    p.alias = alias;
  }
  p.sex = SEXES[draw(r, 2)];
  p.age = draw(r, 100);
  p.salary = draw(r, 100000);
  return p;
}

function people(seed, n) {
  const r = { s: seed }, ps = [];
  for (let i = 0; i < n; i++) ps.push({ ':db/id': String(i + 1), ...person(r, false) });
  for (let i = n - 1; i > 0; i--) {
    const j = draw(r, i + 1);
    [ps[i], ps[j]] = [ps[j], ps[i]];
  }
  return ps;
}

function wide(seed, depth, width) {
  const r = { s: seed + 1 }, out = [];
  const node = (n, level) => {
    const p = { ':db/id': String(n), ...person(r, true) };
    out.push(p);
    if (level === depth) return;
    p.id = n;
    p.follows = [];
    for (let k = 0; k < width; k++) p.follows.push(String(n * width + k));
    for (let k = 0; k < width; k++) node(n * width + k, level + 1);
  };
  node(1, 0);
  return out;
}

function long(depth, width) {
  const out = [];
  for (let x = 0; x < width; x++)
    for (let y = 0; y < depth; y++) {
      const from = x * (depth + 1) + y, to = from + 1;
      out.push({ ':db/id': from + 1, name: 'Ivan', follows: to + 1 });
      out.push({ ':db/id': to + 1, name: 'Ivan' });
    }
  return out;
}

// The synthetic math genealogy (bench-facts 6.6) as datoms [e a v].
function math(seed, scale) {
  const n = Math.max(100, Math.round(256767 * scale));
  const r = { s: seed + 7 }, datoms = [];
  const adv = new Array(n + 1), school = new Int32Array(n + 1).fill(-1), area = new Int32Array(n + 1).fill(-1);
  const nameAt = new Array(n + 1);
  for (let i = 1; i <= n; i++) {
    const g = Math.floor((i - 1) * 32 / n);
    let k = 0;
    if (g > 0) {
      const u = draw(r, 100);
      k = u < 10 ? 0 : u < 81 ? 1 : u < 98 ? 2 : 3;
    }
    const list = [];
    if (k) {
      const lo = Math.floor((g - 1) * n / 32) + 1, m = Math.floor(g * n / 32) + 1 - lo;
      for (let t = 0; t < k; t++) {
        const a = draw(r, m), b = draw(r, m), j = lo + Math.floor(a * b / m);
        if (!list.includes(j)) list.push(j);
      }
    }
    adv[i] = list;
    const did = 1000000 + i;
    datoms.push([did, 'dissertation/cid', i]);
    nameAt[i] = datoms.length;
    datoms.push([i, 'person/name', 'Person ' + i]);
    datoms.push([did, 'dissertation/title', 'Thesis ' + i]);
    if (draw(r, 100) < 84) {
      const first = list.length ? list[0] : 0;
      let u;
      if (first && school[first] >= 0 && draw(r, 100) < 22) u = school[first];
      else { const a = draw(r, 3000), b = draw(r, 3000); u = Math.floor(a * b / 3000); }
      school[i] = u;
      datoms.push([did, 'dissertation/univ', 'University ' + u]);
      datoms.push([did, 'dissertation/country', 'Country ' + (u % 80)]);
    }
    datoms.push([did, 'dissertation/year', 1400 + 20 * g + draw(r, 20)]);
    if (draw(r, 100) < 45) {
      const first = list.length ? list[0] : 0;
      let ar;
      if (first && area[first] >= 0 && draw(r, 100) < 52) ar = area[first];
      else ar = draw(r, 64);
      area[i] = ar;
      datoms.push([did, 'dissertation/area', 'Area ' + ar]);
    }
    for (const j of list) datoms.push([j, 'person/advised', did]);
  }
  let best = -1, bestD = 0;
  const seen = new Uint8Array(n + 1);
  for (let i = 1; i <= n; i++) {
    if (Math.floor((i - 1) * 32 / n) !== 31) continue;
    seen.fill(0);
    const stack = [i];
    let count = 0;
    while (stack.length) {
      const p = stack.pop();
      for (const a of adv[p]) if (!seen[a]) { seen[a] = 1; count++; stack.push(a); }
    }
    const dd = Math.abs(count - 135);
    if (best < 0 || dd < bestD) { best = i; bestD = dd; }
  }
  datoms[nameAt[best]][2] = 'David Scott Warren';
  return { datoms, david: best };
}

// ---- timing ----

const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
// A count (the pulls' tree nodes), a collection's length, or one value.
const rows = (res) => typeof res === 'number' ? res : Array.isArray(res) ? res.length : (res == null ? 0 : 1);

function measure(name, fn) {
  let t0 = cpu(), n = 0;
  do n = rows(fn()); while (cpu() - t0 < 200);
  const s = [];
  for (let k = 0; k < 5; k++) {
    let count = 0;
    t0 = cpu();
    do { fn(); count++; } while (cpu() - t0 < 300);
    s.push((cpu() - t0) / count);
  }
  s.sort((a, b) => a - b);
  console.log(`bench ${name} ${s[2].toFixed(4)} ${s[0].toFixed(4)} ${n}`);
}

function once(name, fn) {
  const t0 = cpu();
  const n = rows(fn());
  const t = cpu() - t0;
  console.log(`bench ${name} ${t.toFixed(4)} ${t.toFixed(4)} ${n}`);
}

const DL = { follows: { ':db/valueType': ':db.type/ref', ':db/cardinality': ':db.cardinality/many' },
  name: { ':db/index': true }, salary: { ':db/index': true } };
const DS = { id: { ':db/unique': ':db.unique/identity' },
  follows: { ':db/valueType': ':db.type/ref', ':db/cardinality': ':db.cardinality/many' },
  alias: { ':db/cardinality': ':db.cardinality/many' } };

function benchPeople() {
  const db = d.db_with(d.empty_db(DL), people(42, 20000));
  const qs = [
    ['q1', '[:find ?e :where [?e "name" "Ivan"]]'],
    ['q2', '[:find ?e ?a :where [?e "name" "Ivan"] [?e "age" ?a]]'],
    ['q2-switch', '[:find ?e ?a :where [?e "age" ?a] [?e "name" "Ivan"]]'],
    ['q3', '[:find ?e ?a :where [?e "name" "Ivan"] [?e "age" ?a] [?e "sex" "male"]]'],
    ['q4', '[:find ?e ?l ?a :where [?e "name" "Ivan"] [?e "last-name" ?l] [?e "age" ?a] [?e "sex" "male"]]'],
    ['q5', '[:find ?e1 ?l ?a :where [?e "name" "Ivan"] [?e "age" ?a] [?e1 "age" ?a] [?e1 "last-name" ?l]]'],
    ['qpred1', '[:find ?e ?s :where [?e "salary" ?s] [(> ?s 50000)]]'],
    ['qpred2', '[:find ?e ?s :in $ ?min_s :where [?e "salary" ?s] [(> ?s ?min_s)]]', 50000],
  ];
  for (const [name, q, arg] of qs)
    measure(name, arg === undefined ? () => d.q(q, db) : () => d.q(q, db, arg));
}

const FOLLOWS = '[[(follows ?x ?y) [?x "follows" ?y]] [(follows ?x ?y) [?x "follows" ?t] (follows ?t ?y)]]';

function benchRules() {
  const sets = [['rules-wide-3x3', true, 3, 3], ['rules-wide-5x3', true, 5, 3], ['rules-wide-7x3', true, 7, 3],
    ['rules-wide-4x6', true, 4, 6], ['rules-long-10x3', false, 10, 3], ['rules-long-30x3', false, 30, 3],
    ['rules-long-30x5', false, 30, 5]];
  for (const [name, isWide, depth, width] of sets) {
    const db = d.db_with(d.empty_db(DS), isWide ? wide(42, depth, width) : long(depth, width));
    measure(name, () => d.q('[:find ?e ?e2 :in $ % :where (follows ?e ?e2)]', db, FOLLOWS));
  }
}

function benchPull() {
  const db = d.db_with(d.empty_db(DS), wide(42, 4, 5));
  const count = (t) => 1 + (t.follows || []).reduce((a, c) => a + count(c), 0);
  measure('pull-one', () => count(d.pull(db, '["name" {"follows" ...}]', 1)));
  measure('pull-many', () => count(d.pull(db, '[:db/id "last-name" "alias" "sex" "age" "salary" {"follows" ...}]', 1)));
  measure('pull-wildcard', () => count(d.pull(db, '[* {"follows" ...}]', 1)));
}

const MATH_SCHEMA = { 'dissertation/cid': { ':db/valueType': ':db.type/ref' },
  'dissertation/univ': { ':db/index': true }, 'dissertation/area': { ':db/index': true },
  'person/name': { ':db/index': true },
  'person/advised': { ':db/valueType': ':db.type/ref', ':db/cardinality': ':db.cardinality/many' } };
const RULES = '[(author ?d ?c) [?d "dissertation/cid" ?c]] [(adv ?x ?y) [?x "person/advised" ?d] (author ?d ?y)]';
const MATH_QS = [
  ['math-Q1', '[:find [?n ...] :in $ % :where [?d "person/name" "David Scott Warren"] (adv ?x ?d) (adv ?y ?x) [?y "person/name" ?n]]', ''],
  ['math-Q2', '[:find [?n ...] :in $ % :where (adv ?x ?y) (univ ?x ?u) (univ ?y ?u) [?y "person/name" ?n]]',
    ' [(univ ?c ?u) [?d "dissertation/cid" ?c] [?d "dissertation/univ" ?u]]'],
  ['math-Q3', '[:find [?n ...] :in $ % :where (adv ?x ?y) (area ?x ?a1) (area ?y ?a2) [(!= ?a1 ?a2)] [?y "person/name" ?n]]',
    ' [(area ?c ?a) [?d "dissertation/cid" ?c] [?d "dissertation/area" ?a]]'],
  ['math-Q4', '[:find [?n ...] :in $ % :where [?x "person/name" "David Scott Warren"] (anc ?y ?x) [?y "person/name" ?n]]',
    ' [(anc ?x ?y) (adv ?x ?y)] [(anc ?x ?y) (adv ?x ?z) (anc ?z ?y)]'],
];

function benchMath(scale, withQ4) {
  const { datoms } = math(42, scale);
  const t0 = cpu();
  const db = d.init_db(datoms, MATH_SCHEMA);
  console.error(`loaded math: ${datoms.length} datoms in ${(cpu() - t0).toFixed(0)} ms`);
  for (const [name, q, extra] of MATH_QS) {
    const rules = '[' + RULES + extra + ']';
    if (name === 'math-Q4') {
      if (withQ4) once(name, () => d.q(q, db, rules));
    } else {
      measure(name, () => d.q(q, db, rules));
    }
  }
}

const [mode, arg, flag] = process.argv.slice(2);
if (mode === 'people') benchPeople();
else if (mode === 'rules') benchRules();
else if (mode === 'pull') benchPull();
else if (mode === 'math') benchMath(Number(arg || 1), flag === 'q4');
else { console.error('usage: bench_query.mjs people|rules|pull|math SCALE [q4]'); process.exit(2); }
console.log(`max_rss_kb ${Math.round(process.resourceUsage().maxRSS)}`);
