// datascript.mjs: the peer side of bench/facts: npm datascript 1.8.1 running the
// write benchmarks of facts_bench.c on the same people (the generator of
// people.h, mulberry32 seed 42) with the same protocol: tx-data built before
// timing, one untimed run, then RUNS timed ones; median and minimum, wall and
// CPU. One line per bench, as facts_bench.c prints them.
//
//   node datascript.mjs [--runs N] [init add-1 add-5 add-all retract-5]
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const d = require('datascript');

const N = 20000;
const names = ['Ivan', 'Petr', 'Sergei', 'Oleg', 'Yuri', 'Dmitry', 'Fedor', 'Denis'];
const lasts = ['Ivanov', 'Petrov', 'Sidorov', 'Kovalev', 'Kuznetsov', 'Voronoi'];
const sexes = ['male', 'female'];

function mulberry32(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6D2B79F5) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 15), z | 1) >>> 0;
    z = (z ^ (z + Math.imul(z ^ (z >>> 7), z | 61))) >>> 0;
    return (z ^ (z >>> 14)) >>> 0;
  };
}
const rndInt = (next, n) => Number((BigInt(next()) * BigInt(n)) >> 32n);

function people(seed) {
  const next = mulberry32(seed);
  const p = [];
  for (let i = 0; i < N; i++)
    p.push({ id: i + 1, name: names[rndInt(next, 8)], last: lasts[rndInt(next, 6)], sex: sexes[rndInt(next, 2)],
             age: rndInt(next, 100), salary: rndInt(next, 100000) });
  for (let i = N - 1; i >= 1; i--) {
    const j = rndInt(next, i + 1);
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}

const P = people(42);
if (P[0].id !== 19727 || P[0].name !== 'Dmitry' || P[0].age !== 54 || P[0].salary !== 25929 || P[19999].id !== 9805)
  throw new Error('people20k differs from its test vector');

const schema = { follows: { ':db/valueType': ':db.type/ref', ':db/cardinality': ':db.cardinality/many' },
                 name: { ':db/index': true }, salary: { ':db/index': true } };
const personMap = (p) => ({ ':db/id': String(p.id), name: p.name, 'last-name': p.last, sex: p.sex, age: p.age,
                            salary: p.salary });

const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

function run(name, runs, prepare, body, count) {
  const ms = [], cpu = [];
  let datoms = 0;
  for (let i = -1; i < runs; i++) {
    const input = prepare();
    const t0 = performance.now(), c0 = cpuMs();
    const db = body(input);
    const t1 = performance.now(), c1 = cpuMs();
    if (i >= 0) { ms.push(t1 - t0); cpu.push(c1 - c0); }
    datoms = count(db);
  }
  const rss = Math.round(process.resourceUsage().maxRSS);
  console.log(`${name} median_ms=${median(ms).toFixed(1)} min_ms=${Math.min(...ms).toFixed(1)} ` +
              `cpu_median_ms=${median(cpu).toFixed(1)} cpu_min_ms=${Math.min(...cpu).toFixed(1)} datoms=${datoms} maxrss_kb=${rss}`);
}

const eavtCount = (db) => d.datoms(db, ':eavt').length;

const benches = {
  'add-1': (runs) => {
    const txs = [];
    for (const p of P)
      for (const [a, v] of [['name', p.name], ['last-name', p.last], ['sex', p.sex], ['age', p.age], ['salary', p.salary]])
        txs.push([[':db/add', String(p.id), a, v]]);
    run('add-1', runs, () => d.empty_db(schema), (db) => { for (const tx of txs) db = d.db_with(db, tx); return db; }, eavtCount);
  },
  'add-5': (runs) => {
    const txs = P.map((p) => [personMap(p)]);
    run('add-5', runs, () => d.empty_db(schema), (db) => { for (const tx of txs) db = d.db_with(db, tx); return db; }, eavtCount);
  },
  'add-all': (runs) => {
    const tx = P.map(personMap);
    run('add-all', runs, () => d.empty_db(schema), (db) => d.db_with(db, tx), eavtCount);
  },
  init: (runs) => {
    const datoms = [];
    for (const p of P)
      for (const [a, v] of [['name', p.name], ['last-name', p.last], ['sex', p.sex], ['age', p.age], ['salary', p.salary]])
        datoms.push([p.id, a, v]);
    run('init', runs, () => null, () => d.init_db(datoms, schema), eavtCount); // each [e a v] becomes a datom of tx0 inside
  },
  'retract-5': (runs) => {
    const next = mulberry32(44);
    const eids = Array.from({ length: N }, (_, i) => i + 1);
    for (let i = N - 1; i >= 1; i--) {
      const j = rndInt(next, i + 1);
      [eids[i], eids[j]] = [eids[j], eids[i]];
    }
    if (eids[0] !== 18271 || eids[1] !== 2489) throw new Error('retract-5 order differs from its test vector');
    const full = () => d.db_with(d.empty_db(schema), P.map(personMap));
    run('retract-5', runs, full, (db) => { for (const e of eids) db = d.db_with(db, [[':db.fn/retractEntity', e]]); return db; },
        eavtCount);
  },
};

let runs = 5;
const args = process.argv.slice(2);
if (args[0] === '--runs') { runs = Math.max(1, Math.min(15, Number(args[1]))); args.splice(0, 2); }
for (const name of (args.length ? args : ['init', 'add-1', 'add-5', 'add-all', 'retract-5'])) {
  if (!benches[name]) { console.error(`unknown bench ${name}`); process.exit(2); }
  benches[name](runs);
}
