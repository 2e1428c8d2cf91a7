// pq_roundtrip.mjs: every flat type DuckDB writes, and what arrow-rs
// (parquet-wasm) and hyparquet-writer write with their defaults, through
// datom and back, compared value by value by DuckDB. Driven by
// tests/test_pq_roundtrip.sh:
//
//   node pq_roundtrip.mjs gen DIR    writes DIR/NAME.parquet for each case and
//                                    DIR/manifest.json: [{name, text, nested}]
//   (the test runs `datom convert` to NAME.datom.parquet, and for cases with
//    text, NAME.datom.csv and `datom cat --json` to NAME.datom.jsonl)
//   node pq_roundtrip.mjs check DIR  compares; prints each mismatch, exit 1 on any
//
// What is compared, for each case: DuckDB reads the original and datom's
// Parquet; datom's column types are the original's, widened where the table
// model has no narrower kind (outType below); every value is the same, by
// value (IS DISTINCT FROM after a cast to datom's type) and by text, row by
// row, and the two tables are equal as multisets (EXCEPT ALL both ways);
// filters that use datom's min/max statistics count the same rows. datom's
// CSV, read by DuckDB with datom's types, gives the same values; datom's JSON
// lines hold the CSV's values, numbers as JSON numbers in full, NaN and
// infinities as strings, missing values as null.
import { readFileSync, writeFileSync, mkdirSync, existsSync } from 'fs';
import { join } from 'path';
import { require } from './pq_expect.mjs';

const { DuckDBInstance } = require('@duckdb/node-api');
const pw = require('parquet-wasm');
const { parquetWriteFile, schemaFromColumnData } = await import('hyparquet-writer');

const [cmd, dir] = process.argv.slice(2);
if (!['gen', 'check'].includes(cmd) || !dir) {
  console.error('usage: node pq_roundtrip.mjs gen|check DIR');
  process.exit(2);
}
const inst = await DuckDBInstance.create(':memory:');
const con = await inst.connect();
await con.run('SET threads = 1');
await con.run("SET TimeZone = 'UTC'");
const rows = async sql => (await con.runAndReadAll(sql)).getRows();
const q = name => `"${name.replaceAll('"', '""')}"`;

// ---- gen ----

// [name, DuckDB type, special values (SQL literals) for the first rows, a value over i]
const types = [
  ['b', 'BOOLEAN', ['true', 'false'], 'i % 3 = 0'],
  ['i8', 'TINYINT', ['-128', '127', '0'], 'i % 256 - 128'],
  ['i16', 'SMALLINT', ['-32768', '32767'], '(i * 37) % 65536 - 32768'],
  ['i32', 'INTEGER', ['-2147483648', '2147483647'], 'i * 7919 % 100000 - 50000'],
  ['i64', 'BIGINT', ['-9223372036854775808', '9223372036854775807', '-9007199254740993'], 'i * 1000000007 * (1 - 2 * (i % 2))'],
  ['h', 'HUGEINT', ['170141183460469231731687303715884105727', '-1'], 'i::HUGEINT * 12345678901234567'],
  ['u8', 'UTINYINT', ['255', '0'], 'i % 256'],
  ['u16', 'USMALLINT', ['65535'], 'i * 7 % 65536'],
  ['u32', 'UINTEGER', ['4294967295', '2147483648'], 'i * 100003 % 4294967296'],
  ['u64', 'UBIGINT', ['18446744073709551615', '9223372036854775808', '9007199254740993', '0'],
    '9223372036854775807::UBIGINT + (i * 2654435761)::UBIGINT'],
  ['uh', 'UHUGEINT', ['340282366920938463463374607431768211455'], 'i * 3'],
  ['f32', 'FLOAT', ["'nan'", "'inf'", "'-inf'", '-0.0', '3.4028235e38', '1e-45'], 'i * 0.25 - 100'],
  ['f64', 'DOUBLE', ["'nan'", "'inf'", "'-inf'", '-0.0', '5e-324', '1.7976931348623157e308', '0.1'], 'i / 7.0'],
  ['d4', 'DECIMAL(4,2)', ['99.99', '-99.99', '0.01'], '(i % 10000 - 5000) / 100'],
  ['d9', 'DECIMAL(9,3)', ['999999.999', '-999999.999'], '(i * 7919 % 1000000000 - 500000000) / 1000'],
  ['d18', 'DECIMAL(18,6)', ['999999999999.999999', '-999999999999.999999', '4503599627.370497'],
    '(CAST(i AS DECIMAL(18,0)) * 123456789012 - 300000000000000) / 1000000'],
  ['d19', 'DECIMAL(19,0)', ['9999999999999999999', '-9999999999999999999'], 'i * 1000003'],
  ['d30', 'DECIMAL(30,5)', ['1234567890123456789012345.67891', '-0.00001'],
    'CAST(i AS DECIMAL(30,0)) * 1234567890123456789 * (1 - 2 * (i % 2)) / 100000'],
  ['d38', 'DECIMAL(38,10)', ['9999999999999999999999999999.9999999999', '-9999999999999999999999999999.9999999999'],
    'CAST(i AS DECIMAL(38,0)) * 12345678901234567890123 / 10000000000'],
  ['s', 'VARCHAR', ["''", "'NA'", "'a,b'", "'q\"q'", "'line' || chr(10) || 'break'", "'héllo 日本 🎉'"], "'cat_' || (i % 10)"],
  ['blob', 'BLOB', ["'\\x00\\xFF'::BLOB", "''::BLOB"], "(i::VARCHAR)::BLOB"],
  ['d', 'DATE', ["'0001-01-01'", "'9999-12-31'", "'1969-12-31'"], "DATE '1970-01-01' + (i * 37 % 40000 - 20000)::INTEGER"],
  ['t', 'TIME', ["'00:00:00'", "'23:59:59.999999'", "'24:00:00'", "'09:44:36.358352'"],
    "TIME '00:00:00' + to_microseconds(i * 1234567 % 86400000000)"],
  ['t_ns', 'TIME_NS', ["'23:59:59.999999999'", "'00:00:00.000000001'"],
    "printf('%02d:%02d:%02d.%09d', i % 24, i * 7 % 60, i * 13 % 60, i * 987654321 % 1000000000)"],
  ['ttz', 'TIMETZ', ["'09:44:36.5+00'", "'00:00:00+00'"], "TIME '00:00:00' + to_microseconds(i * 7654321 % 86400000000)"],
  ['ts', 'TIMESTAMP', ["'0001-01-01 00:00:00'", "'9999-12-31 23:59:59.999999'", "'1969-12-31 23:59:59.999999'"],
    "TIMESTAMP '1960-01-01' + to_microseconds(i * 1234567891)"],
  ['tstz', 'TIMESTAMPTZ', ["'2024-02-29 12:00:00.5+00'"], "TIMESTAMPTZ '1960-01-01 00:00:00+00' + to_microseconds(i * 1234567891)"],
  ['ts_s', 'TIMESTAMP_S', ["'1900-01-01 00:00:01'"], "TIMESTAMP '1960-01-01' + to_seconds(i * 12345)"],
  ['ts_ms', 'TIMESTAMP_MS', ["'1969-12-31 23:59:59.999'", "'2262-04-11 23:47:16.854'"], "TIMESTAMP '1960-01-01' + to_milliseconds(i * 1234567)"],
  ['ts_ns', 'TIMESTAMP_NS', ["'1969-12-31 23:59:59.999999999'", "'2020-01-01 00:00:00.123456789'", "'1677-09-22 00:00:00'", "'2262-04-11 23:47:16.854775806'"],
    "make_timestamp_ns(1600000000000000000 + i * 1234567891011)"],
  ['iv', 'INTERVAL', ["INTERVAL '0 seconds'", "INTERVAL '1 year 2 months 3 days 04:05:06.789'", "INTERVAL '100000 days'"],
    "to_milliseconds(i * 1234567) + to_days(i % 100) + to_months(i % 30)"],
  ['uuid', 'UUID', ["'00000000-0000-0000-0000-000000000000'", "'ffffffff-ffff-ffff-ffff-ffffffffffff'"], 'md5(i::VARCHAR)::UUID'],
  ['e', 'mood', ["'sad'"], "CASE i % 3 WHEN 0 THEN 'sad' WHEN 1 THEN 'ok' ELSE 'happy' END"],
  ['j', 'JSON', ["'{\"a\": [1, 2]}'", "'null'"], "json_object('i', i)"],
  ['bits', 'BIT', ["'101'"], "(i % 64)::BIT"],
  ['big', 'VARINT', ["'123456789012345678901234567890'"], '(i * 1000003)::VARINT'],
];

// Table model widening (docs/formats.md, "Parquet reader"): what DuckDB reads
// back from datom's Parquet, for a column it read as TYPE from the original.
export function outType(type) {
  return {
    TINYINT: 'INTEGER', SMALLINT: 'INTEGER', UTINYINT: 'INTEGER', USMALLINT: 'INTEGER',
    UINTEGER: 'UBIGINT', FLOAT: 'DOUBLE', UUID: 'VARCHAR', JSON: 'VARCHAR',
  }[type] ?? type;
}

async function makeTable(n) {
  await con.run("CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')");
  const cols = types.map(([name, type, special, expr], k) => {
    const cases = special.map((v, r) => `WHEN i = ${r} THEN CAST(${v} AS ${type})`).join(' ');
    return `CASE WHEN (i * 31 + ${k}) % 11 = 5 THEN NULL ${cases} ELSE CAST(${expr} AS ${type}) END AS ${q(name)}`;
  });
  await con.run(`CREATE TABLE t AS SELECT ${cols.join(', ')} FROM range(${n}) r(i) ORDER BY i`);
}

async function gen() {
  mkdirSync(dir, { recursive: true });
  await makeTable(5000);
  const manifest = [];
  const out = name => join(dir, `${name}.parquet`);
  for (const [ver, codec] of [['V1', 'snappy'], ['V2', 'zstd']]) {
    await con.run(`COPY t TO '${out(`duckdb_${ver}`)}' (FORMAT parquet, COMPRESSION ${codec}, ROW_GROUP_SIZE 2048, PARQUET_VERSION ${ver})`);
    manifest.push({ name: `duckdb_${ver}`, text: true });
  }
  // the ends of each range DuckDB can write (no text: DuckDB's own spelling of
  // its infinities and BC dates is not ISO-8601)
  await con.run(`COPY (SELECT * FROM (VALUES
      (DATE 'infinity', TIMESTAMP 'infinity', TIMESTAMP '-infinity', TIMESTAMPTZ 'infinity', TIMESTAMP_MS '290309-12-22 (BC) 00:00:00',
       DATE '5877642-06-25 (BC)', TIMESTAMP_S '294247-01-10 04:00:54', INTERVAL '178956970 years 7 months 2147483647 days 1193:02:47.295'),
      (DATE '-infinity', TIMESTAMP '294247-01-10 04:00:54.775806', TIMESTAMP '290309-12-22 (BC) 00:00:00', TIMESTAMPTZ '-infinity',
       TIMESTAMP_MS '294247-01-10 04:00:54.775', DATE '5881580-07-10', NULL, NULL))
      v(d, ts, ts2, tstz, ts_ms, d2, ts_s, iv)) TO '${out('duckdb_extremes')}' (FORMAT parquet)`);
  manifest.push({ name: 'duckdb_extremes', text: false });
  // nested types: refused by name
  await con.run(`COPY (SELECT 1 AS ok, [1, 2] AS l, {'a': 1} AS st, MAP {'k': 1} AS m, [1, 2, 3]::INTEGER[3] AS arr,
      union_value(n := 1)::UNION(n INTEGER, s VARCHAR) AS u) TO '${out('duckdb_nested')}' (FORMAT parquet)`);
  manifest.push({ name: 'duckdb_nested', nested: ['l', 'st', 'm', 'arr', 'u'] });

  // arrow-rs with its default writer properties, over what it reads from DuckDB's file
  const arrow = pw.writeParquet(pw.readParquet(new Uint8Array(readFileSync(out('duckdb_V1')))));
  writeFileSync(out('arrow'), arrow);
  manifest.push({ name: 'arrow', text: true });

  // hyparquet-writer: types it picks from JavaScript values, and the ones it
  // writes when given a schema element
  const n = 3000, nul = (i, k, v) => ((i * 13 + k) % 7 === 0 ? null : v), range = f => Array.from({ length: n }, (_, i) => f(i));
  const U64 = 1n << 64n;
  const columns = [
    ['b', range(i => nul(i, 0, i % 3 === 0))],
    ['i32', range(i => nul(i, 1, i * 7919 - 10000000))],
    ['i64', range(i => nul(i, 2, BigInt(i) * 1000000007n - (1n << 62n)))],
    ['f64', range(i => nul(i, 3, i === 4 ? NaN : i === 5 ? -Infinity : i / 3))],
    ['s', range(i => nul(i, 4, `v${i % 40} é`))],
    ['bin', range(i => nul(i, 5, new Uint8Array([i & 255, 0, 255])))],
    ['when', range(i => nul(i, 6, new Date(Date.UTC(1950, 0, 1) + i * 86399999)))],
    ['obj', range(i => nul(i, 7, { i, tag: `x${i % 3}` }))],
    ['uuid', range(i => nul(i, 8, `${(i * 2654435761 >>> 0).toString(16).padStart(8, '0')}-0000-4000-8000-${i.toString(16).padStart(12, '0')}`)), 'UUID'],
    ['f16', range(i => nul(i, 9, (i % 64) * 0.25 - 4)), 'FLOAT16'],
  ];
  const overrides = [
    ['u64', { type: 'INT64', converted_type: 'UINT_64' }, range(i => nul(i, 10, i === 0 ? U64 - 1n : (BigInt(i) * 0x9e3779b97f4a7c15n) % U64))],
    ['u32', { type: 'INT32', converted_type: 'UINT_32' }, range(i => nul(i, 11, (i * 2654435761) % 4294967296))],
    ['ts_ns', { type: 'INT64', logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: false, unit: 'NANOS' } },
      range(i => nul(i, 12, 1600000000000000000n + BigInt(i) * 123456789011n))],
    ['ts_us_utc', { type: 'INT64', logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MICROS' } },
      range(i => nul(i, 13, BigInt(i) * 86399999999n - 1000000000000n))],
    ['time_us', { type: 'INT64', logical_type: { type: 'TIME', isAdjustedToUTC: false, unit: 'MICROS' } },
      range(i => nul(i, 14, BigInt(i) * 28793000003n % 86400000000n))],
    ['time_ns', { type: 'INT64', logical_type: { type: 'TIME', isAdjustedToUTC: false, unit: 'NANOS' } },
      range(i => nul(i, 15, BigInt(i) * 28793000000003n % 86400000000000n))],
    ['time_ms', { type: 'INT32', converted_type: 'TIME_MILLIS' }, range(i => nul(i, 16, (i * 28793) % 86400000))],
    ['day', { type: 'INT32', converted_type: 'DATE' }, range(i => nul(i, 17, i * 13 - 20000))],
    ['dec', { type: 'FIXED_LEN_BYTE_ARRAY', type_length: 16, converted_type: 'DECIMAL', precision: 38, scale: 5 },
      range(i => nul(i, 18, (BigInt(i) * 123456789012345678901234567n) * (i % 2 ? -1n : 1n)))],
  ];
  const columnData = [
    ...columns.map(([name, data, type]) => (type ? { name, data, type } : { name, data })),
    ...overrides.map(([name, , data]) => ({ name, data })),
  ];
  const schemaOverrides = Object.fromEntries(overrides.map(([name, el]) => [name, { name, repetition_type: 'OPTIONAL', ...el }]));
  const schema = schemaFromColumnData({ columnData, schemaOverrides });
  parquetWriteFile({ filename: out('hyparquet'), columnData: columnData.map(({ name, data }) => ({ name, data })), schema });
  manifest.push({ name: 'hyparquet', text: true });
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 1));
}

// ---- check ----

let failures = 0;
function fail(kase, msg) {
  failures++;
  if (failures <= 80) console.log(`FAIL ${kase}: ${msg}`);
}

const src = (f, rn = true) => `read_parquet('${f}'${rn ? ', file_row_number = true' : ''})`;

async function describe(rel) {
  return (await rows(`DESCRIBE SELECT * FROM ${rel}`)).map(([name, type]) => ({ name, type }));
}

// Casting an original column to datom's type, as a value and as text.
const cast = (alias, c) => `CAST(${alias}.${q(c.name)} AS ${c.out})`;

async function compareParquet(kase, inPath, outPath) {
  const cols = await describe(src(inPath, false));
  const got = await describe(src(outPath, false));
  if (got.length !== cols.length) return fail(kase, `${got.length} columns, the original ${cols.length}`);
  cols.forEach((c, i) => {
    c.out = outType(c.type);
    if (got[i].name !== c.name || got[i].type !== c.out)
      fail(kase, `column ${i}: datom's is ${got[i].name} ${got[i].type}, wanted ${c.name} ${c.out} (from ${c.type})`);
  });
  const [[na]] = await rows(`SELECT count(*) FROM ${src(inPath)}`), [[nb]] = await rows(`SELECT count(*) FROM ${src(outPath)}`);
  if (na !== nb) fail(kase, `${nb} rows, the original ${na}`);
  for (const c of cols) {
    const b = `b.${q(c.name)}`;
    const [[n, first]] = await rows(`SELECT count(*), min(a.file_row_number) FROM ${src(inPath)} a JOIN ${src(outPath)} b USING (file_row_number)
      WHERE ${cast('a', c)} IS DISTINCT FROM ${b} OR CAST(${cast('a', c)} AS VARCHAR) IS DISTINCT FROM CAST(${b} AS VARCHAR)`);
    if (n > 0n) {
      const [[x, y]] = await rows(`SELECT CAST(a.${q(c.name)} AS VARCHAR), CAST(${b} AS VARCHAR) FROM ${src(inPath)} a JOIN ${src(outPath)} b
        USING (file_row_number) WHERE file_row_number = ${first}`);
      fail(kase, `column ${c.name} (${c.type}): ${n} values differ; row ${first}: original ${x}, datom ${y}`);
    }
  }
  const list = cols.map(c => cast('a', c)).join(', ');
  for (const [l, r] of [[`SELECT ${list} FROM ${src(inPath, false)} a`, `SELECT * FROM ${src(outPath, false)}`],
                        [`SELECT * FROM ${src(outPath, false)}`, `SELECT ${list} FROM ${src(inPath, false)} a`]]) {
    const [[n]] = await rows(`SELECT count(*) FROM (${l} EXCEPT ALL ${r})`);
    if (n > 0n) fail(kase, `${n} rows of one side are not in the other (EXCEPT ALL)`);
  }
  await compareFilters(kase, inPath, outPath, cols);
  await checkStats(kase, outPath, cols);
  return cols;
}

// datom's min/max statistics are the least and greatest value of each row
// group (NaN left out), in the column type's order (unsigned for UBIGINT).
const lit = (v, type) => (v === null ? 'NULL' : `CAST('${String(v).replaceAll("'", "''")}' AS ${type})`);
async function checkStats(kase, outPath, cols) {
  const groups = await rows(`SELECT row_group_id, row_group_num_rows FROM parquet_metadata('${outPath}')
    WHERE column_id = 0 ORDER BY row_group_id`);
  let first = 0n;
  for (const [g, n] of groups) {
    for (const c of cols) {
      if (['BLOB', 'INTERVAL', 'TIME WITH TIME ZONE', 'BOOLEAN'].includes(c.out)) continue;
      const [[lo, hi]] = await rows(`SELECT stats_min_value, stats_max_value FROM parquet_metadata('${outPath}')
        WHERE row_group_id = ${g} AND path_in_schema = '${c.name.replaceAll("'", "''")}'`);
      // DuckDB shows no infinite bound of a double: those it leaves out are not checked
      const v = q(c.name), dbl = c.out === 'DOUBLE', keep = dbl ? `AND NOT isnan(${v})` : '';
      const bound = (agg, b) => (dbl && b === null ? 'true' : `${agg}(${v}) IS NOT DISTINCT FROM ${lit(b, c.out)}`);
      const [[min, max, same]] = await rows(`SELECT CAST(min(${v}) AS VARCHAR), CAST(max(${v}) AS VARCHAR),
          ${bound('min', lo)} AND ${bound('max', hi)}
        FROM ${src(outPath)} WHERE file_row_number >= ${first} AND file_row_number < ${first + n} ${keep}`);
      if (!same) fail(kase, `column ${c.name}, row group ${g}: statistics [${lo}, ${hi}], values [${min}, ${max}]`);
    }
    first += n;
  }
}

// DuckDB skips row groups by datom's min/max: counts with a filter must match.
async function compareFilters(kase, inPath, outPath, cols) {
  for (const c of cols) {
    if (!numeric(c.out) && !/^(TIMESTAMP|DATE|TIME|VARCHAR)/.test(c.out)) continue;
    const [[pivot]] = await rows(`SELECT CAST(quantile_disc(${q(c.name)}, 0.37) AS VARCHAR) FROM ${src(inPath, false)}`);
    if (pivot === null) continue;
    const lit = `CAST('${pivot.replaceAll("'", "''")}' AS ${c.out})`;
    const [[x]] = await rows(`SELECT count(*) FROM ${src(inPath, false)} a WHERE ${cast('a', c)} >= ${lit}`);
    const [[y]] = await rows(`SELECT count(*) FROM ${src(outPath, false)} WHERE ${q(c.name)} >= ${lit}`);
    if (x !== y) fail(kase, `column ${c.name}: ${y} rows >= ${pivot} in datom's file, ${x} in the original (statistics?)`);
  }
}

// datom's CSV, read by DuckDB with datom's types, holds datom's values.
async function compareCsv(kase, outPath, csvPath, cols) {
  const types = cols.map(c => `${q(c.name).replaceAll("'", "''")}: '${c.out === 'BLOB' ? 'VARCHAR' : c.out}'`).join(', ');
  const rel = `(SELECT row_number() OVER () - 1 AS file_row_number, * FROM read_csv('${csvPath}', header = true,
    auto_detect = false, allow_quoted_nulls = false, columns = {${types}}))`;
  for (const c of cols) {
    const a = c.out === 'BLOB' ? `unhex(a.${q(c.name)})` : `a.${q(c.name)}`, b = `b.${q(c.name)}`;
    const [[n, first]] = await rows(`SELECT count(*), min(file_row_number) FROM ${rel} a JOIN ${src(outPath)} b USING (file_row_number)
      WHERE ${a} IS DISTINCT FROM ${b} OR CAST(${a} AS VARCHAR) IS DISTINCT FROM CAST(${b} AS VARCHAR)`);
    if (n > 0n) fail(kase, `CSV column ${c.name} (${c.out}): ${n} values differ from datom's Parquet, first at row ${first}`);
  }
}

// A JSON line as [key, {text, kind}] pairs, numbers kept as their text.
function jsonTokens(line) {
  const out = [];
  let i = 0;
  const str = () => {
    let s = '';
    for (i++; line[i] !== '"'; i++) s += line[i] === '\\' ? JSON.parse(`"${line[i] + line[++i]}${line[i] === 'u' ? line.slice(i + 1, (i += 4) + 1) : ''}"`) : line[i];
    i++;
    return s;
  };
  if (line[i++] !== '{') throw new Error(`not an object: ${line}`);
  while (line[i] !== '}') {
    const key = str();
    i++; // :
    let v;
    if (line[i] === '"') v = { kind: 'string', text: str() };
    else {
      const m = /^(null|true|false|-?[0-9][0-9.eE+-]*)/.exec(line.slice(i));
      v = { kind: m[1] === 'null' ? 'null' : /^(true|false)$/.test(m[1]) ? 'bool' : 'number', text: m[1] };
      i += m[1].length;
    }
    out.push([key, v]);
    if (line[i] === ',') i++;
  }
  return out;
}

const numeric = t => /^(U?(TINY|SMALL|BIG|HUGE)?INT(EGER)?|DOUBLE|FLOAT|DECIMAL\(.*)$/.test(t);

// datom's JSON lines hold the CSV's values (read as text by DuckDB).
async function compareJson(kase, csvPath, jsonPath, cols) {
  const text = await rows(`SELECT * FROM read_csv('${csvPath}', header = true, auto_detect = false, allow_quoted_nulls = false,
    columns = {${cols.map(c => `${q(c.name).replaceAll("'", "''")}: 'VARCHAR'`).join(', ')}})`);
  const lines = readFileSync(jsonPath, 'utf8').split('\n').filter(l => l);
  if (lines.length !== text.length) return fail(kase, `${lines.length} JSON lines, ${text.length} CSV rows`);
  let shown = 0;
  lines.forEach((line, r) => {
    const toks = jsonTokens(line);
    cols.forEach((c, k) => {
      const [key, v] = toks[k] || [];
      const want = text[r][k];
      const special = { NaN: 'NaN', Inf: 'Infinity', '-Inf': '-Infinity' }[want];
      const kind = want === null ? 'null' : c.out === 'BOOLEAN' ? 'bool' : special || !numeric(c.out) ? 'string' : 'number';
      const ok = key === c.name && v.kind === kind && (want === null || v.text === (special ?? want));
      if (!ok && shown++ < 5) fail(kase, `JSON row ${r} column ${c.name}: ${JSON.stringify(v)}, wanted ${kind} ${JSON.stringify(special ?? want)}`);
    });
  });
}

async function check() {
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  for (const kase of manifest) {
    if (kase.nested) continue; // the shell test checks the refusal
    const before = failures;
    const p = ext => join(dir, `${kase.name}${ext}`);
    const cols = await compareParquet(kase.name, p('.parquet'), p('.datom.parquet'));
    if (cols && kase.text) {
      await compareCsv(kase.name, p('.datom.parquet'), p('.datom.csv'), cols);
      if (existsSync(p('.datom.jsonl'))) await compareJson(kase.name, p('.datom.csv'), p('.datom.jsonl'), cols);
      else fail(kase.name, 'no JSON lines');
    }
    console.log(`${failures === before ? 'ok  ' : 'FAIL'} ${kase.name}${cols ? `: ${cols.length} columns` : ''}`);
  }
  console.log(failures ? `${failures} mismatches` : 'every value came back');
}

if (cmd === 'gen') await gen();
else await check();
process.exit(failures ? 1 : 0);
