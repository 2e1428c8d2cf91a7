// pq_write_check.mjs: real peers read the Parquet files datom wrote and must
// get the values datom meant. Driven by tests/test_parquet_write.c, which
// writes DIR/manifest.json and, per case, NAME.parquet and NAME.jsonl (one JSON
// array of expected values per row; int64-like values as decimal strings,
// binaries as hex, non-finite doubles as "NaN"/"Infinity"/"-Infinity").
//
// Peers: DuckDB (@duckdb/node-api: types, values, row groups, created_by,
// statistics), arrow-rs (parquet-wasm: decodes every page, then re-encodes
// with its own writer; DuckDB reads that copy and must see the same values),
// hyparquet (a third decoder, for the codecs it has: none and snappy).
//
// Usage: node pq_write_check.mjs DIR. Prints each mismatch; exit 1 on any.
import { DuckDBInstance } from '@duckdb/node-api';
import { readFileSync, writeFileSync } from 'node:fs';
import { parquetReadObjects, parquetMetadata } from 'hyparquet';
import * as pw from 'parquet-wasm';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: node pq_write_check.mjs DIR');
  process.exit(2);
}
const manifest = JSON.parse(readFileSync(`${dir}/manifest.json`, 'utf8'));
const inst = await DuckDBInstance.create(':memory:');
const db = await inst.connect();
await db.run('SET threads = 1');

let failures = 0;
function fail(kase, peer, msg) {
  failures++;
  if (failures <= 60) console.log(`FAIL ${kase.name} [${peer}]: ${msg}`);
}

async function rows(sql) {
  const r = await db.runAndReadAll(sql);
  return r.getRows();
}

const duckTypes = {
  bool: 'BOOLEAN', int32: 'INTEGER', int64: 'BIGINT', uint64: 'UBIGINT', double: 'DOUBLE', string: 'VARCHAR',
  date: 'DATE', duration: 'BIGINT', binary: 'BLOB', interval: 'INTERVAL',
};

// The DuckDB type a datom column reads as.
function duckType(col) {
  if (col.kind === 'decimal' || col.kind === 'decimal128') return `DECIMAL(${col.precision},${col.scale})`;
  if (col.kind === 'timestamp')
    return col.utc ? 'TIMESTAMP WITH TIME ZONE' : col.unit === 'ns' ? 'TIMESTAMP_NS' : 'TIMESTAMP';
  if (col.kind === 'time') return col.utc ? 'TIME WITH TIME ZONE' : col.unit === 'ns' ? 'TIME_NS' : 'TIME';
  return duckTypes[col.kind];
}

function q(name) { return '"' + name.replaceAll('"', '""') + '"'; }

// A DuckDB expression giving the column in the form the expected values use.
function canonical(col) {
  const c = q(col.name);
  switch (col.kind) {
  case 'bool': case 'double': case 'string': return c;
  case 'int32': return `CAST(${c} AS INTEGER)`;
  case 'date': return `CAST(${c} - DATE '1970-01-01' AS INTEGER)`;
  case 'timestamp': return `CAST(epoch_${col.unit}(${c}) AS VARCHAR)`;
  case 'time': {
    const t = col.utc ? `CAST(${c} AS TIME)` : c;
    const us = `hour(${t}) * 3600000000 + minute(${t}) * 60000000 + microsecond(${t})`;
    const v = col.unit === 'ms' ? `(${us}) // 1000`
            : col.unit === 'ns' ? `hour(${t}) * 3600000000000 + minute(${t}) * 60000000000 + nanosecond(${t})` : us;
    return `CAST(${v} AS VARCHAR)`;
  }
  case 'binary': return `lower(hex(${c}))`;
  default: return `CAST(${c} AS VARCHAR)`; // int64, uint64, duration, decimal, interval
  }
}

function decimalUnscaled(text, scale) {
  // DuckDB prints every scale digit: "-12.3400" -> -123400
  const neg = text.startsWith('-');
  const [ip, fp = ''] = text.replace('-', '').split('.');
  const v = BigInt(ip + fp.padEnd(scale, '0'));
  return (neg ? -v : v).toString();
}

function sameDouble(a, e) {
  if (e === 'NaN') return Number.isNaN(a);
  if (e === 'Infinity') return a === Infinity;
  if (e === '-Infinity') return a === -Infinity;
  return a === e;
}

// Compares one decoded value with the expected one; returns true if equal.
function same(col, got, exp) {
  if (exp === null || got === null || got === undefined) return exp === null && (got === null || got === undefined);
  switch (col.kind) {
  case 'double': return sameDouble(got, exp);
  case 'decimal': case 'decimal128': return decimalUnscaled(String(got), col.scale) === exp;
  default: return got === exp;
  }
}

function show(v) {
  return typeof v === 'bigint' ? `${v}n` : JSON.stringify(v);
}

function compareRows(kase, peer, got, expected) {
  if (got.length !== expected.length) {
    fail(kase, peer, `${got.length} rows, expected ${expected.length}`);
    return;
  }
  let shown = 0;
  for (let r = 0; r < expected.length; r++) {
    for (let c = 0; c < kase.columns.length; c++) {
      const col = kase.columns[c];
      if (!same(col, got[r][c], expected[r][c])) {
        if (shown++ < 5) fail(kase, peer, `row ${r} column ${col.name} (${col.kind}): got ${show(got[r][c])}, expected ${show(expected[r][c])}`);
        else failures++;
      }
    }
  }
}

async function duckValues(path, kase) {
  const cols = kase.columns.map(canonical).join(', ');
  return rows(`SELECT ${cols} FROM read_parquet('${path}', file_row_number = true) ORDER BY file_row_number`);
}

async function checkDuckDB(kase, path, expected) {
  const desc = await rows(`DESCRIBE SELECT * FROM read_parquet('${path}')`);
  kase.columns.forEach((col, i) => {
    const want = duckType(col);
    if (!desc[i] || desc[i][0] !== col.name || desc[i][1] !== want)
      fail(kase, 'duckdb', `column ${i}: ${desc[i] && desc[i][0]} ${desc[i] && desc[i][1]}, expected ${col.name} ${want}`);
  });
  compareRows(kase, 'duckdb', await duckValues(path, kase), expected);

  const [[nrg]] = await rows(`SELECT count(*) FROM parquet_metadata('${path}') WHERE column_id = 0`);
  if (kase.row_groups !== undefined && Number(nrg) !== kase.row_groups)
    fail(kase, 'duckdb', `${nrg} row groups, expected ${kase.row_groups}`);
  const [[createdBy, nrows, fmtVersion]] =
    await rows(`SELECT created_by, num_rows, format_version FROM parquet_file_metadata('${path}')`);
  if (!String(createdBy).startsWith('datom version ')) fail(kase, 'duckdb', `created_by ${createdBy}`);
  if (Number(nrows) !== expected.length) fail(kase, 'duckdb', `num_rows ${nrows}`);
  if (Number(fmtVersion) !== 1) fail(kase, 'duckdb', `format version ${fmtVersion}`);
  const kv = await rows(`SELECT decode(key), decode(value) FROM parquet_kv_metadata('${path}')`);
  const ds = kv.find(([k]) => k === 'datom.schema');
  if (!ds) {
    fail(kase, 'duckdb', 'no datom.schema key-value metadata');
  } else {
    const cols = JSON.parse(ds[1]).columns;
    const want = kase.columns.map(c => (c.kind === 'duration' ? { name: c.name, kind: c.kind, unit: c.unit } : { name: c.name, kind: c.kind }));
    if (JSON.stringify(cols) !== JSON.stringify(want)) fail(kase, 'duckdb', `datom.schema ${ds[1]}, expected ${JSON.stringify(want)}`);
  }
  const codecs = await rows(`SELECT DISTINCT compression FROM parquet_metadata('${path}')`);
  for (const [codec] of codecs)
    if (codec !== kase.codec) fail(kase, 'duckdb', `codec ${codec}, expected ${kase.codec}`);
  await checkStats(kase, path, expected);
}

// Null counts of every chunk must add up; min/max (where written) must bound the values.
async function checkStats(kase, path, expected) {
  const st = await rows(`SELECT column_id, sum(stats_null_count) FROM parquet_metadata('${path}') GROUP BY column_id ORDER BY column_id`);
  for (const [cid, nulls] of st) {
    const want = expected.filter(row => row[Number(cid)] === null).length;
    if (Number(nulls) !== want) fail(kase, 'duckdb', `column ${cid}: null_count ${nulls}, expected ${want}`);
  }
  // Filter pushdown uses min/max: a count with a predicate must match the data.
  for (let c = 0; c < kase.columns.length; c++) {
    const col = kase.columns[c];
    if (!['int32', 'int64', 'uint64', 'string', 'date'].includes(col.kind)) continue;
    const vals = expected.map(r => r[c]).filter(v => v !== null);
    if (!vals.length) continue;
    const pivot = vals[Math.floor(vals.length / 2)];
    const lit = col.kind === 'string' ? `'${pivot.replaceAll("'", "''")}'` : col.kind === 'date' ? `DATE '1970-01-01' + ${pivot}` : pivot;
    const cmp = (a, b) => (col.kind === 'string' ? (Buffer.compare(Buffer.from(a), Buffer.from(b))) : (BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0));
    const want = vals.filter(v => cmp(v, pivot) >= 0).length;
    const [[n]] = await rows(`SELECT count(*) FROM read_parquet('${path}') WHERE ${q(col.name)} >= ${lit}`);
    if (Number(n) !== want) fail(kase, 'duckdb', `column ${col.name}: ${n} rows >= pivot, expected ${want} (statistics wrong?)`);
  }
}

async function checkArrow(kase, path, expected) {
  const bytes = new Uint8Array(readFileSync(path));
  let table;
  try {
    table = pw.readParquet(bytes);
  } catch (e) {
    fail(kase, 'arrow-rs', `readParquet: ${e}`);
    return;
  }
  const nrows = table.recordBatches().reduce((n, b) => n + b.numRows, 0);
  if (nrows !== expected.length) fail(kase, 'arrow-rs', `${nrows} rows, expected ${expected.length}`);
  const meta = (await pw.ParquetFile.fromFile(new Blob([bytes]))).metadata();
  if (meta.fileMetadata().numRows() !== expected.length) fail(kase, 'arrow-rs', `metadata num_rows ${meta.fileMetadata().numRows()}`);
  if (kase.row_groups !== undefined && meta.numRowGroups() !== kase.row_groups)
    fail(kase, 'arrow-rs', `${meta.numRowGroups()} row groups, expected ${kase.row_groups}`);
  if (!expected.length || kase.arrow_reencode === false) return; // arrow-rs writes no file schema for zero batches
  // arrow-rs re-encodes what it decoded; DuckDB reads that and must see the same values.
  const copy = `${dir}/${kase.name}.arrow-rs.parquet`;
  writeFileSync(copy, pw.writeParquet(table));
  compareRows(kase, 'arrow-rs', await duckValues(copy, kase), expected);
}

function hypValue(col, v) {
  if (v === null || v === undefined) return null;
  switch (col.kind) {
  case 'int64': case 'timestamp': case 'duration': case 'time': return String(v);
  case 'uint64': return String(BigInt.asUintN(64, BigInt(v))); // hyparquet gives a nullable UINT_64 its signed bits
  case 'binary': return Buffer.from(v).toString('hex');
  case 'decimal': case 'decimal128': return v; // a float: compared approximately below
  default: return v;
  }
}

// The manifest can say how many data pages of each encoding a column must
// have per row group ("pages": {"col": ["PLAIN:2,RLE_DICTIONARY:1", ...]}): it
// proves page bounds and dictionary fallback happened where intended.
function checkPages(kase, meta) {
  for (const [name, want] of Object.entries(kase.pages || {})) {
    const got = meta.row_groups.map(rg => {
      const chunk = rg.columns.find(c => c.meta_data.path_in_schema[0] === name);
      return chunk.meta_data.encoding_stats.filter(s => s.page_type === 'DATA_PAGE')
        .map(s => `${s.encoding}:${s.count}`).join(',');
    });
    if (JSON.stringify(got) !== JSON.stringify(want)) fail(kase, 'hyparquet', `column ${name} data pages ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
  }
}

async function checkHyparquet(kase, path, expected) {
  if (kase.codec === 'ZSTD' || kase.hyparquet === false) return; // hyparquet alone has snappy only
  const buf = readFileSync(path);
  const file = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
  const parsers = { dateFromDays: d => d, timestampFromMilliseconds: v => v, timestampFromMicroseconds: v => v,
    timestampFromNanoseconds: v => v };
  let objs;
  try {
    parquetMetadata(file);
    objs = await parquetReadObjects({ file, utf8: false, parsers });
  } catch (e) {
    fail(kase, 'hyparquet', `${e}`);
    return;
  }
  checkPages(kase, parquetMetadata(file));
  const got = objs.map(o => kase.columns.map(col => hypValue(col, o[col.name])));
  // hyparquet turns decimals into floats: compare those approximately.
  const exp = expected.map(row => row.map((v, c) => {
    const col = kase.columns[c];
    return (col.kind === 'decimal' || col.kind === 'decimal128') && v !== null ? Number(v) / 10 ** col.scale : v;
  }));
  for (const row of got) kase.columns.forEach((col, c) => {
    if ((col.kind === 'decimal' || col.kind === 'decimal128') && row[c] !== null) row[c] = String(row[c]);
  });
  const cols = kase.columns.map(col => (col.kind === 'decimal' || col.kind === 'decimal128' ? { ...col, kind: 'approx' } : col));
  const k2 = { ...kase, columns: cols };
  const approx = (got1, e) => Math.abs(Number(got1) - e) <= 1e-9 * Math.max(1, Math.abs(e));
  if (got.length !== exp.length) return fail(kase, 'hyparquet', `${got.length} rows, expected ${exp.length}`);
  let shown = 0;
  for (let r = 0; r < exp.length; r++)
    cols.forEach((col, c) => {
      const ok = col.kind === 'approx' ? (exp[r][c] === null ? got[r][c] === null : approx(got[r][c], exp[r][c])) : same(col, got[r][c], exp[r][c]);
      if (!ok && shown++ < 5) fail(k2, 'hyparquet', `row ${r} column ${col.name}: got ${show(got[r][c])}, expected ${show(exp[r][c])}`);
    });
}

for (const kase of manifest) {
  const path = `${dir}/${kase.name}.parquet`;
  const expected = readFileSync(`${dir}/${kase.name}.jsonl`, 'utf8').split('\n').filter(l => l).map(l => JSON.parse(l));
  const before = failures;
  await checkDuckDB(kase, path, expected);
  await checkArrow(kase, path, expected);
  await checkHyparquet(kase, path, expected);
  console.log(`${failures === before ? 'ok  ' : 'FAIL'} ${kase.name}: ${expected.length} rows, ${kase.columns.length} columns, ${kase.codec}`);
}
console.log(failures ? `${failures} mismatches` : 'all peers agree');
process.exit(failures ? 1 : 0);
