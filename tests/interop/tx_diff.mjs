// tx_diff.mjs: a random transaction stream for the differential test of
// datom's transactions and pull against npm datascript 1.8.1
// (tests/test_tx_diff.c; docs/architecture.md, "Testing against Datascript").
//
//   node tx_diff.mjs gen SEED N DIR    writes DIR/stream.json: the schema, N
//                                      transactions as EDN for datom, the pulls
//                                      to run at each checkpoint; and
//                                      DIR/ds.json: Datascript's reports,
//                                      datom sets (EAVT) and pull results
//   node tx_diff.mjs compare DIR       compares DIR/datom.json (datom's, written
//                                      by the C side) with DIR/ds.json
//
// Each transaction is a few groups of forms, drawn against Datascript's db of
// the moment: new entities as maps (tempids, nested component maps, nested maps
// with a unique attribute, cardinality-many vectors, lookup refs, references to
// another group's tempid) and as list forms; upserts through :name (maps with
// and without :db/id, list forms); updates by id and by lookup ref (replacing a
// cardinality-one value, asserting what holds); retractions of a value, of
// what is not there, of a whole attribute; :db/retractEntity cascading through
// components and taking the references to the entity with it; :db/cas (nil for
// no value); reverse attributes in maps; metadata on "datomic.tx". One in 16
// transactions also holds a form that must fail (a unique value held by another
// entity, a lookup ref naming nothing, a :db/cas that does not match): both
// sides must refuse it whole. Groups never make one transaction contradict
// itself (two values of a cardinality-one attribute, an assertion and its
// retraction): Datascript applies such forms in order where Datomic refuses
// them, which test_db_tx.c tests by hand.
//
// Compared: each transaction's outcome, tempids and tx-data; at every
// checkpoint the whole datom set (EAVT, with the transaction of each datom) and
// pull results of every pattern form. Entity ids are compared as numbers:
// both number new entities from 1 in the order tempids first appear.
import d from 'datascript';
import fs from 'fs';
import { rng } from './rng.mjs';

const ATTRS = [
  { name: 'name', type: 'string', unique: 'identity' },
  { name: 'email', type: 'string', unique: 'value' },
  { name: 'age', type: 'long' },
  { name: 'nick', type: 'string' },
  { name: 'tags', type: 'string', many: true },
  { name: 'friend', type: 'ref' },
  { name: 'friends', type: 'ref', many: true },
  { name: 'address', type: 'ref', component: true },
  { name: 'parts', type: 'ref', many: true, component: true },
  { name: 'label', type: 'string' },
  { name: 'rank', type: 'long' },
  { name: 'source', type: 'string' },
];
const REF = new Set(ATTRS.filter((a) => a.type === 'ref').map((a) => a.name));
const MANY = new Set(ATTRS.filter((a) => a.many).map((a) => a.name));
const COMPONENT = ['address', 'parts'];
const TAGS = ['red', 'green', 'blue', 'x', 'y', 'zz', 'caf\u00e9', 'a b'];

function datomSchema() {
  return '[' + ATTRS.map((a) => '{:db/ident :' + a.name + ' :db/valueType :db.type/' + a.type +
    ' :db/cardinality :db.cardinality/' + (a.many ? 'many' : 'one') +
    (a.unique ? ' :db/unique :db.unique/' + a.unique : '') +
    (a.component ? ' :db/isComponent true' : '') + '}').join(' ') + ']';
}
function dsSchema() {
  const s = {};
  for (const a of ATTRS) {
    const p = {};
    if (a.type === 'ref') p[':db/valueType'] = ':db.type/ref';
    if (a.many) p[':db/cardinality'] = ':db.cardinality/many';
    if (a.unique) p[':db/unique'] = ':db.unique/' + a.unique;
    if (a.component) p[':db/isComponent'] = true;
    s[a.name] = p;
  }
  return s;
}

// ---- forms: an abstract shape rendered twice ----
// Entities: {id: n}, {tmp: 'name'}, {lookup: [attr, value]}, {tx: true}.
// Values: scalars; for references an entity or {map: pairs} (a nested map).
// Forms: {op: 'add' | 'retract' | 'retractEntity' | 'cas', e, a, v, old}, or
// {pairs: [[attr, value or [values]]...], id?: entity} (a map).
const EID0 = 2 ** 44; // datom's first user entity (partition 4) is EID0 + 1

const lit = (x) => x === null ? 'nil' : typeof x === 'string' ? JSON.stringify(x) : String(x);
function entEdn(e) {
  if (e.id !== undefined) return String(EID0 + e.id);
  if (e.tmp !== undefined) return typeof e.tmp === 'number' ? String(e.tmp) : JSON.stringify(e.tmp);
  if (e.tx) return '"datomic.tx"';
  return '[:' + e.lookup[0] + ' ' + lit(e.lookup[1]) + ']';
}
function entDs(e) {
  if (e.id !== undefined) return e.id;
  if (e.tmp !== undefined) return e.tmp;
  if (e.tx) return 'datomic.tx';
  return [e.lookup[0], e.lookup[1]];
}
const isRef = (a) => REF.has(a.replace(/^_/, ''));
function valEdn(a, v) {
  if (!isRef(a) || v === null) return lit(v);
  return v.pairs ? mapEdn(v) : entEdn(v);
}
function valDs(a, v) {
  if (!isRef(a) || v === null) return v;
  return v.pairs ? mapDs(v) : entDs(v);
}
function mapEdn(m) {
  const kv = m.id ? [':db/id ' + entEdn(m.id)] : [];
  for (const [a, v] of m.pairs)
    kv.push(':' + a + ' ' + (Array.isArray(v) ? '[' + v.map((x) => valEdn(a, x)).join(' ') + ']' : valEdn(a, v)));
  return '{' + kv.join(' ') + '}';
}
function mapDs(m) {
  const o = {};
  if (m.id) o[':db/id'] = entDs(m.id);
  for (const [a, v] of m.pairs) o[a] = Array.isArray(v) ? v.map((x) => valDs(a, x)) : valDs(a, v);
  return o;
}
function formEdn(f) {
  if (f.pairs) return mapEdn(f);
  switch (f.op) {
    case 'add': return `[:db/add ${entEdn(f.e)} :${f.a} ${valEdn(f.a, f.v)}]`;
    case 'retract': return `[:db/retract ${entEdn(f.e)} :${f.a}` + ('v' in f ? ' ' + valEdn(f.a, f.v) : '') + ']';
    case 'retractEntity': return `[:${f.fn ? 'db.fn' : 'db'}/retractEntity ${entEdn(f.e)}]`;
    default: return `[:${f.fn ? 'db.fn' : 'db'}/cas ${entEdn(f.e)} :${f.a} ${valEdn(f.a, f.old)} ${valEdn(f.a, f.v)}]`;
  }
}
function formDs(f) {
  if (f.pairs) return mapDs(f);
  switch (f.op) {
    case 'add': return [':db/add', entDs(f.e), f.a, valDs(f.a, f.v)];
    case 'retract': return 'v' in f ? [':db/retract', entDs(f.e), f.a, valDs(f.a, f.v)] : [':db/retract', entDs(f.e), f.a];
    case 'retractEntity': return [f.fn ? ':db.fn/retractEntity' : ':db/retractEntity', entDs(f.e)];
    default: return [f.fn ? ':db.fn/cas' : ':db/cas', entDs(f.e), f.a, valDs(f.a, f.old), valDs(f.a, f.v)];
  }
}

// ---- the db as the generator sees it: Datascript's, kept from its reports ----
class Model {
  constructor() { this.ents = new Map(); this.maxE = 0; }
  apply(report) {
    for (const x of report.tx_data) {
      if (x.e >= 2 ** 29) continue; // the transaction's own datoms
      this.maxE = Math.max(this.maxE, x.e);
      let m = this.ents.get(x.e);
      if (!m) this.ents.set(x.e, m = new Map());
      if (!m.has(x.a)) m.set(x.a, new Set());
      if (x.tx > 0) m.get(x.a).add(x.v);
      else {
        m.get(x.a).delete(x.v);
        if (!m.get(x.a).size) m.delete(x.a);
        if (!m.size) this.ents.delete(x.e);
      }
    }
  }
  one(e, a) { const s = this.ents.get(e)?.get(a); return s ? [...s][0] : undefined; }
  all(e, a) { return [...(this.ents.get(e)?.get(a) || [])]; }
  persons() { return [...this.ents.keys()].filter((e) => this.ents.get(e).has('name')); }
  components() { return [...this.ents.keys()].filter((e) => this.ents.get(e).has('label')); }
  // Entities whose references point at E.
  referrers(e) {
    const out = [];
    for (const [x, m] of this.ents) for (const a of REF) if (m.get(a)?.has(e)) out.push(x);
    return out;
  }
  componentTree(e, out = []) {
    for (const a of COMPONENT) for (const c of this.all(e, a)) { out.push(c); this.componentTree(c, out); }
    return out;
  }
}

// ---- transactions ----
function genTx(r, model, k) {
  const busy = new Set();   // existing entities a group already changes
  const targets = new Set(); // existing entities referred to
  const forms = [], newTmps = [];
  let fresh = 0;
  const name = () => `p${k}_${fresh++}`;
  const free = (list) => list.filter((e) => !busy.has(e));
  // An existing entity as an id or a lookup ref through a unique attribute.
  const ref = (e) => {
    const n = model.one(e, 'name'), m = model.one(e, 'email'), c = r.int(3);
    if (c === 1 && n !== undefined) return { lookup: ['name', n] };
    if (c === 2 && m !== undefined) return { lookup: ['email', m] };
    return { id: e };
  };
  const target = () => {
    const ps = model.persons().filter((e) => !busy.has(e) || targets.has(e));
    if (!ps.length) return null;
    const e = r.pick(ps);
    targets.add(e);
    return ref(e);
  };
  const comp = () => {
    const p = [['label', r.pick(['home', 'work', 'box', 'wheel', 'door'])]];
    if (r.chance(0.5)) p.push(['rank', r.int(10)]);
    return { pairs: p };
  };
  const tags = () => [...new Set([r.pick(TAGS), r.pick(TAGS)])];
  const groups = [
    // a new entity as a map, with tempid, components, refs, many values
    [20, () => {
      const pairs = [['name', name()]];
      if (r.chance(0.7)) pairs.push(['age', r.int(90)]);
      if (r.chance(0.4)) pairs.push(['email', `m${k}_${fresh++}@x`]);
      if (r.chance(0.3)) pairs.push(['nick', r.pick(TAGS)]);
      if (r.chance(0.5)) pairs.push(['tags', tags()]);
      if (r.chance(0.3)) pairs.push(['address', comp()]);
      if (r.chance(0.25)) pairs.push(['parts', [comp(), comp()].slice(0, 1 + r.int(2))]);
      if (r.chance(0.4)) {
        const t = newTmps.length && r.chance(0.4) ? { tmp: r.pick(newTmps) } : target();
        if (t) pairs.push(['friend', t]);
      }
      if (r.chance(0.3)) {
        const fs = [target(), target()].filter((x) => x);
        if (fs.length) pairs.push(['friends', fs]);
      }
      const m = { pairs };
      if (r.chance(0.7)) { const t = `t${k}_${fresh++}`; m.id = { tmp: t }; newTmps.push(t); }
      // At most 7 keys: a bigger ClojureScript map is a hash map, whose entries
      // (and so the ids of nested maps) come in hash order, not the written one
      pairs.length = Math.min(pairs.length, m.id ? 6 : 7);
      forms.push(m);
    }],
    // a new entity in list forms, its tempid (a string, or a negative number
    // as Datascript allows) used by a later form
    [10, () => {
      const t = r.chance(0.2) ? -1 - fresh++ : `t${k}_${fresh++}`;
      forms.push({ op: 'add', e: { tmp: t }, a: 'name', v: name() });
      if (r.chance(0.6)) forms.push({ op: 'add', e: { tmp: t }, a: 'age', v: r.int(90) });
      if (r.chance(0.5)) for (const g of tags()) forms.push({ op: 'add', e: { tmp: t }, a: 'tags', v: g });
      const f = target();
      if (f && r.chance(0.5)) forms.push({ op: 'add', e: { tmp: t }, a: 'friends', v: f });
      if (newTmps.length && r.chance(0.5)) forms.push({ op: 'add', e: { tmp: r.pick(newTmps) }, a: 'friends', v: { tmp: t } });
      newTmps.push(t);
    }],
    // upsert: a map or list forms naming an existing :name
    [12, () => {
      const ps = free(model.persons());
      if (!ps.length) return;
      const e = r.pick(ps), n = model.one(e, 'name');
      busy.add(e);
      const change = [];
      if (r.chance(0.7)) change.push(['age', r.int(90)]);
      if (r.chance(0.5)) change.push(['tags', tags()]);
      if (r.chance(0.3)) change.push(['nick', r.pick(TAGS)]);
      if (r.chance(0.5)) {
        const m = { pairs: [['name', n], ...change] };
        if (r.chance(0.5)) m.id = { tmp: `u${k}_${fresh++}` };
        forms.push(m);
      } else {
        const t = `u${k}_${fresh++}`;
        forms.push({ op: 'add', e: { tmp: t }, a: 'name', v: n });
        for (const [a, v] of change) for (const x of [].concat(v)) forms.push({ op: 'add', e: { tmp: t }, a, v: x });
      }
    }],
    // a nested map holding a unique attribute (upserted or new)
    [6, () => {
      const ps = free(model.persons());
      const inner = [['name', ps.length && r.chance(0.6) ? model.one(r.pick(ps), 'name') : name()], ['age', r.int(90)]];
      const e = model.persons().find((x) => model.one(x, 'name') === inner[0][1]);
      if (e !== undefined) busy.add(e);
      const a = r.pick(['friend', 'friends']);
      forms.push({ pairs: [['name', name()], [a, a === 'friends' && r.chance(0.5) ? [{ pairs: inner }] : { pairs: inner }]] });
    }],
    // updates of an existing entity, by id or lookup ref
    [16, () => {
      const es = free([...model.ents.keys()]);
      if (!es.length) return;
      const e = r.pick(es), at = ref(e);
      busy.add(e);
      if (model.ents.get(e).has('label')) {
        const a = r.pick(['label', 'rank']);
        forms.push({ op: 'add', e: at, a, v: a === 'label' ? r.pick(['home', 'relabelled']) : r.int(10) });
        return;
      }
      const c = r.int(6);
      if (c === 0) forms.push({ op: 'add', e: at, a: 'age', v: r.int(90) });
      else if (c === 1) { const a = model.one(e, 'age'); forms.push({ op: 'add', e: at, a: 'age', v: a === undefined ? 1 : a }); }
      else if (c === 2) forms.push({ op: 'add', e: at, a: 'tags', v: r.pick(TAGS) });
      else if (c === 3) { const f = target(); if (f) forms.push({ op: 'add', e: at, a: r.pick(['friend', 'friends']), v: f }); }
      else if (c === 4) forms.push({ op: 'add', e: at, a: 'nick', v: r.pick(TAGS) });
      else forms.push({ id: at, pairs: [['address', comp()]] });
    }],
    // retractions: a value held, a value not held, a whole attribute
    [12, () => {
      const es = free([...model.ents.keys()]);
      if (!es.length) return;
      const e = r.pick(es), at = ref(e);
      const attrs = [...model.ents.get(e).keys()].filter((a) => a !== 'name' && a !== 'email' || r.chance(0.2));
      if (!attrs.length) return;
      busy.add(e);
      const a = r.pick(attrs), vs = model.all(e, a), c = r.int(4);
      const asVal = (v) => REF.has(a) ? { id: v } : v;
      if (c <= 1) forms.push({ op: 'retract', e: at, a, v: asVal(r.pick(vs)) });
      else if (c === 2 && !REF.has(a)) forms.push({ op: 'retract', e: at, a, v: a === 'age' || a === 'rank' ? 1000 : 'absent' });
      else if (!COMPONENT.includes(a)) forms.push({ op: 'retract', e: at, a }); // Datascript's cascades
    }],
    // retractEntity: the entity, its components, the references to it
    [6, () => {
      const ps = free(model.persons()).filter((e) => !targets.has(e));
      if (!ps.length) return;
      const e = r.pick(ps), tree = [e, ...model.componentTree(e)];
      const touched = [...tree, ...tree.flatMap((x) => model.referrers(x))];
      if (touched.some((x) => busy.has(x) || (targets.has(x) && tree.includes(x)))) return;
      for (const x of touched) busy.add(x);
      forms.push({ op: 'retractEntity', e: ref(e), fn: r.chance(0.3) });
    }],
    // :db/cas on :age (nil when there is none)
    [6, () => {
      const ps = free(model.persons());
      if (!ps.length) return;
      const e = r.pick(ps), old = model.one(e, 'age');
      busy.add(e);
      forms.push({ op: 'cas', e: ref(e), a: 'age', old: old === undefined ? null : old, v: r.int(90), fn: r.chance(0.3) });
    }],
    // reverse attributes in a map: others come to point at an entity
    [4, () => {
      const ps = free(model.persons());
      if (ps.length < 3) return;
      const e = r.pick(ps);
      busy.add(e);
      targets.add(e);
      const others = [...new Set([r.pick(ps), r.pick(ps)])].filter((x) => x !== e && !busy.has(x));
      if (!others.length) return;
      for (const x of others) busy.add(x);
      forms.push({ id: ref(e), pairs: [[r.pick(['_friend', '_friends']), others.map((x) => ({ id: x }))]] });
    }],
    // metadata on the transaction
    [5, () => {
      if (!forms.some((f) => f.e?.tx)) forms.push({ op: 'add', e: { tx: true }, a: 'source', v: 'batch ' + k });
    }],
  ];
  const total = groups.reduce((s, g) => s + g[0], 0);
  const n = 1 + r.int(4);
  for (let i = 0; i < n; i++) {
    let w = r.int(total), g = 0;
    while (w >= groups[g][0]) w -= groups[g++][0];
    groups[g][1]();
  }
  let expect = null;
  if (r.int(16) === 0) expect = failing(r, model, forms, busy, k);
  return { forms, expect };
}

// A form that makes the whole transaction fail; its kind, for the message.
function failing(r, model, forms, busy, k) {
  const ps = model.persons().filter((e) => !busy.has(e));
  const mailed = ps.filter((e) => model.one(e, 'email') !== undefined);
  const c = r.int(3);
  if (c === 0 && mailed.length && ps.length > 1) {
    const a = r.pick(mailed), b = r.pick(ps.filter((e) => e !== a));
    forms.push({ op: 'add', e: { id: b }, a: 'email', v: model.one(a, 'email') });
    return 'unique';
  }
  if (c === 1 && ps.length) {
    const e = r.pick(ps), old = model.one(e, 'age');
    forms.push({ op: 'cas', e: { id: e }, a: 'age', old: old === undefined ? 7 : old + 1, v: 3 });
    return 'cas';
  }
  forms.push({ op: 'add', e: { lookup: ['name', 'nobody ' + k] }, a: 'age', v: 1 });
  return 'lookup';
}

// ---- pulls ----
const PULLS = [
  ['[*]', '[*]'],
  ['[:name :age :tags :nick]', '["name" "age" "tags" "nick"]'],
  ['[:name {:friend [:name :email]}]', '["name" {"friend" ["name" "email"]}]'],
  ['[:name {:friends [:name]} {:address [*]} {:parts [:label :rank]}]', '["name" {"friends" ["name"]} {"address" [*]} {"parts" ["label" "rank"]}]'],
  ['[:name {:_friend [:name]} {:_friends [:name :age]}]', '["name" {"_friend" ["name"]} {"_friends" ["name" "age"]}]'],
  ['[:db/id [:name :as "N"] [:tags :limit 2] [:age :default -1]]', '[:db/id ["name" :as "N"] ["tags" :limit 2] ["age" :default -1]]'],
  ['[:label :rank {:_parts [:name]} {:_address [:name]}]', '["label" "rank" {"_parts" ["name"]} {"_address" ["name"]}]'],
  ['[:name {:friend 2}]', '["name" {"friend" 2}]'],
  ['[:name {:friends 1}]', '["name" {"friends" 1}]'],
  ['[:name :age {:friend ...}]', '["name" "age" {"friend" ...}]'],
  ['[:db/id :email {:address [:label]} {:parts [:db/id :label]}]', '[:db/id "email" {"address" ["label"]} {"parts" [:db/id "label"]}]'],
];

function gen(seed, n, dir) {
  const r = rng(seed);
  const conn = d.create_conn(dsSchema()), model = new Model();
  const txs = [], reports = [], checkpoints = [], results = [];
  let failed = 0;
  for (let k = 0; k < n; k++) {
    const { forms, expect } = genTx(r, model, k);
    txs.push({ edn: '[' + forms.map(formEdn).join(' ') + ']', expect });
    try {
      const rep = d.transact(conn, forms.map(formDs));
      model.apply(rep);
      const tempids = {};
      for (const [t, e] of Object.entries(rep.tempids)) if (t !== ':db/current-tx' && t !== 'datomic.tx') tempids[t] = e;
      reports.push({ tempids, data: rep.tx_data.map((x) => [x.e, x.a, x.v, Math.abs(x.tx), x.tx > 0]) });
    } catch (e) {
      failed++;
      reports.push({ error: String(e.message || e) });
    }
    if ((k + 1) % 250 === 0 || k === n - 1) {
      const db = d.db(conn), pulls = [], res = [];
      for (let i = 0; i < 10 * PULLS.length; i++) {
        const [pd, ps] = PULLS[i % PULLS.length], e = 1 + r.int(model.maxE + 3);
        pulls.push({ pattern: pd, e });
        res.push(d.pull(db, ps, e));
      }
      checkpoints.push({ after: k, pulls });
      results.push({ eavt: d.datoms(db, ':eavt').map((x) => [x.e, x.a, x.v, x.tx]), pulls: res });
    }
  }
  fs.writeFileSync(dir + '/stream.json', JSON.stringify({ attrs: ATTRS.map((a) => a.name), schema: datomSchema(), txs, checkpoints }));
  fs.writeFileSync(dir + '/ds.json', JSON.stringify({ reports, results }));
  const datoms = results[results.length - 1].eavt.length;
  console.log(`generated ${n} transactions (${failed} refused by Datascript), ${checkpoints.length} checkpoints; ${datoms} datoms at the end`);
}

// ---- comparing ----
// Ids: datom's user entities are EID0 + n, its transactions 3 * 2^42 + t with
// t = 1 the schema; Datascript's transactions 2^29 + t.
const TX0 = 3 * 2 ** 42;
const idDatom = (x) => x >= EID0 ? x - EID0 : x >= TX0 ? 'tx' + (x - TX0 - 1) : 'db' + x;
const idDs = (x) => x >= 2 ** 29 ? 'tx' + (x - 2 ** 29) : x;
const bare = (a) => a.replace(/^:/, '');
function datom(id, [e, a, v, tx, added]) {
  a = bare(a);
  return JSON.stringify([id(e), a, REF.has(a) ? id(v) : v, id(tx), added]);
}
const KNOWN = new Set(ATTRS.map((a) => a.name));
const sorted = (id, ds) => ds.filter((x) => KNOWN.has(bare(x[1]))).map((x) => datom(id, x)).sort();
function pullNorm(id, x) {
  if (Array.isArray(x)) return x.map((y) => pullNorm(id, y));
  if (x && typeof x === 'object') {
    const o = {};
    for (const k of Object.keys(x).sort((a, b) => bare(a) < bare(b) ? -1 : 1))
      o[bare(k)] = bare(k) === 'db/id' ? id(x[k]) : pullNorm(id, x[k]);
    return o;
  }
  return x;
}

// datom gives a reference whose sub-pattern matches nothing as {:db/id e};
// Datascript leaves the attribute out (docs/architecture.md). Datom's result
// without such entries, where Datascript's lacks the key.
function dropIdOnly(o, t) {
  const idOnly = (v) => v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).join() === 'db/id';
  if (Array.isArray(o)) {
    if (!Array.isArray(t)) return o;
    const kept = o.length === t.length ? o : o.filter((x) => !idOnly(x));
    return kept.length === t.length ? kept.map((x, i) => dropIdOnly(x, t[i])) : kept;
  }
  if (!o || typeof o !== 'object') return o;
  const r = {}, tt = t && typeof t === 'object' ? t : {};
  for (const [k, v] of Object.entries(o)) {
    if (!(k in tt) && (idOnly(v) || (Array.isArray(v) && v.every(idOnly)))) continue;
    r[k] = dropIdOnly(v, tt[k]);
  }
  return r;
}

const MESSAGE = { unique: /unique/i, cas: /cas/i, lookup: /lookup|nothing|no entity|not found/i };

function compare(dir) {
  const { txs, checkpoints } = JSON.parse(fs.readFileSync(dir + '/stream.json', 'utf8'));
  const ds = JSON.parse(fs.readFileSync(dir + '/ds.json', 'utf8'));
  const ours = JSON.parse(fs.readFileSync(dir + '/datom.json', 'utf8'));
  let bad = 0, same = 0, refused = 0;
  const say = (what, a, b) => {
    if (++bad > 20) return;
    console.log('MISMATCH ' + what);
    console.log('  datascript: ' + JSON.stringify(a).slice(0, 600));
    console.log('  datom:      ' + JSON.stringify(b).slice(0, 600));
  };
  for (let k = 0; k < txs.length; k++) {
    const a = ds.reports[k], b = ours.reports[k];
    if (a.error || b.error) {
      if (!a.error || !b.error) say(`tx ${k}: ${txs[k].edn}`, a, b);
      else if (txs[k].expect && !MESSAGE[txs[k].expect].test(b.error)) say(`tx ${k} message (${txs[k].expect})`, a, b);
      else { refused++; same++; }
      continue;
    }
    const ta = {}, tb = {};
    for (const [t, e] of Object.entries(a.tempids)) ta[t] = idDs(e);
    for (const [t, e] of Object.entries(b[':tempids'])) if (t !== 'datomic.tx') tb[t] = idDatom(e);
    const ka = JSON.stringify(Object.entries(ta).sort()), kb = JSON.stringify(Object.entries(tb).sort());
    const da = JSON.stringify(sorted(idDs, a.data)), db = JSON.stringify(sorted(idDatom, b[':tx-data']));
    if (ka !== kb) say(`tx ${k} tempids: ${txs[k].edn}`, ka, kb);
    else if (da !== db) {
      const sa = new Set(JSON.parse(da)), sb = new Set(JSON.parse(db));
      say(`tx ${k} tx-data: ${txs[k].edn}; only Datascript's / only datom's`, [...sa].filter((x) => !sb.has(x)), [...sb].filter((x) => !sa.has(x)));
    }
    else same++;
  }
  let pulls = 0, datoms = 0, emptyRefs = 0;
  for (let c = 0; c < checkpoints.length; c++) {
    const a = ds.results[c], b = ours.results[c], after = checkpoints[c].after;
    const ea = sorted(idDs, a.eavt.map((x) => [...x, true])), eb = sorted(idDatom, b.eavt.map((x) => [...x, true]));
    datoms += ea.length;
    if (JSON.stringify(ea) !== JSON.stringify(eb)) {
      const sa = new Set(ea), sb = new Set(eb);
      say(`EAVT after tx ${after}: only Datascript's / only datom's`, ea.filter((x) => !sb.has(x)).slice(0, 8), eb.filter((x) => !sa.has(x)).slice(0, 8));
    }
    for (let i = 0; i < checkpoints[c].pulls.length; i++) {
      const p = checkpoints[c].pulls[i];
      const na = pullNorm(idDs, a.pulls[i]), nb = pullNorm(idDatom, b.pulls[i]);
      const pa = JSON.stringify(na), pb = JSON.stringify(nb);
      if (pa === pb) pulls++;
      else if (pa === JSON.stringify(dropIdOnly(nb, na))) { pulls++; emptyRefs++; }
      else say(`pull ${p.pattern} of ${p.e} after tx ${after}`, pa, pb);
    }
  }
  console.log(`${same} of ${txs.length} transactions alike (${refused} refused by both), ` +
    `${checkpoints.length} datom sets (${datoms} datoms) compared, ${pulls} pulls alike ` +
    `(${emptyRefs} but for references whose sub-pattern matches nothing); ${bad} differences`);
  process.exit(bad ? 1 : 0);
}

const [mode, a1, a2, a3] = process.argv.slice(2);
if (mode === 'gen') gen(Number(a1), Number(a2), a3);
else if (mode === 'compare') compare(a1);
else { console.error('usage: tx_diff.mjs gen SEED N DIR | compare DIR'); process.exit(2); }
