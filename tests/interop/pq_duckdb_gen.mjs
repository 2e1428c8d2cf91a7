// pq_duckdb_gen.mjs OUTDIR: writes Parquet files with real DuckDB for
// tests/test_parquet_read.c, plus what each must read as.
//
// One table of every type DuckDB writes flat (nulls sprinkled in each column)
// goes out with PARQUET_VERSION V1 and V2 and every codec DuckDB offers, in
// small row groups. OUTDIR/manifest.json lists [{file, expect}] and each
// expectation file is {"columns": [[name, kind], ...], "rows": [[text|null, ...], ...]}
// with values spelt as the C test spells what datom read:
//   ints, durations: decimal integer; date: days since 1970-01-01;
//   timestamp: microseconds since the epoch (nanoseconds floored);
//   double: DuckDB's text (parsed and compared as a double); decimal: its text;
//   string: itself; binary: lowercase hex; bool: true/false.
import { createRequire } from 'module';
import { writeFileSync, mkdirSync } from 'fs';
import { join, dirname } from 'path';
import { fileURLToPath } from 'url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, 'package.json'));
const { DuckDBInstance } = require('@duckdb/node-api');

const out = process.argv[2];
if (!out) throw new Error('usage: pq_duckdb_gen.mjs OUTDIR');
mkdirSync(out, { recursive: true });

const N = 5000;
// [name, kind, value expression over i, expected-text expression over the column x]
const cols = [
  ['b', 'bool', 'i % 3 = 0', 'CAST(x AS VARCHAR)'],
  ['i8', 'int32', '(i % 256 - 128)::TINYINT', 'CAST(x AS VARCHAR)'],
  ['i16', 'int32', '((i * 37) % 65536 - 32768)::SMALLINT', 'CAST(x AS VARCHAR)'],
  ['i32', 'int32', '(i * 7919 % 100000 - 50000)::INTEGER', 'CAST(x AS VARCHAR)'],
  ['i32wide', 'int32', 'CASE WHEN i % 2 = 0 THEN -2000000000 + i ELSE 2000000000 - i END::INTEGER', 'CAST(x AS VARCHAR)'],
  ['i64', 'int64', "CASE WHEN i = 1 THEN 9223372036854775807 WHEN i = 2 THEN -9223372036854775808 ELSE i * 1000000007 * (1 - 2 * (i % 2)) END::BIGINT", 'CAST(x AS VARCHAR)'],
  ['u8', 'int32', '(i % 256)::UTINYINT', 'CAST(x AS VARCHAR)'],
  ['u16', 'int32', '(i * 7 % 65536)::USMALLINT', 'CAST(x AS VARCHAR)'],
  ['u32', 'int64', 'CASE WHEN i % 3 = 0 THEN 4294967295 - i ELSE i * 100003 % 4294967296 END::UINTEGER', 'CAST(x AS VARCHAR)'],
  ['u64', 'int64', 'CASE WHEN i = 1 THEN 9223372036854775807 ELSE i * 1000003 END::UBIGINT', 'CAST(x AS VARCHAR)'],
  ['f32', 'double', "CASE WHEN i = 3 THEN 'nan'::FLOAT WHEN i = 4 THEN 'inf'::FLOAT ELSE (i * 0.25 - 100)::FLOAT END", 'CAST(CAST(x AS DOUBLE) AS VARCHAR)'],
  ['f64', 'double', "CASE WHEN i = 5 THEN '-inf'::DOUBLE WHEN i = 6 THEN -0.0::DOUBLE ELSE i / 7.0 END::DOUBLE", 'CAST(x AS VARCHAR)'],
  ['s', 'string', "'cat_' || (i % 10)", 'x'],
  ['s_unique', 'string', "'unique string number ' || i || repeat('x', i % 17)", 'x'],
  ['s_utf8', 'string', "CASE i % 4 WHEN 0 THEN 'héllo' WHEN 1 THEN '日本語' WHEN 2 THEN '' ELSE 'emoji 🎉' END", 'x'],
  ['blob', 'binary', "CASE WHEN i % 2 = 0 THEN '\\x00\\xFF\\x10'::BLOB ELSE (i::VARCHAR)::BLOB END", 'lower(hex(x))'],
  ['d', 'date', "DATE '1970-01-01' + (i * 37 % 40000 - 20000)::INTEGER", "CAST(x - DATE '1970-01-01' AS VARCHAR)"],
  ['ts', 'timestamp', "TIMESTAMP '1960-01-01' + to_microseconds(i * 1234567891)", 'CAST(epoch_us(x) AS VARCHAR)'],
  ['tstz', 'timestamp', "(TIMESTAMP '1960-01-01' + to_microseconds(i * 1234567891))::TIMESTAMPTZ", 'CAST(epoch_us(x) AS VARCHAR)'],
  ['ts_ms', 'timestamp', "CAST(TIMESTAMP '1960-01-01' + to_microseconds(i * 1234567891) AS TIMESTAMP_MS)", 'CAST(epoch_us(CAST(x AS TIMESTAMP)) AS VARCHAR)'],
  ['ts_s', 'timestamp', "CAST(TIMESTAMP '1960-01-01' + to_microseconds(i * 1234567891) AS TIMESTAMP_S)", 'CAST(epoch_us(CAST(x AS TIMESTAMP)) AS VARCHAR)'],
  ['ts_ns', 'timestamp', "CASE WHEN i = 7 THEN TIMESTAMP_NS '1969-12-31 23:59:59.999999999' WHEN i = 8 THEN TIMESTAMP_NS '2020-01-01 00:00:00.123456789' ELSE CAST(TIMESTAMP '1960-01-01' + to_microseconds(i * 1234567891) AS TIMESTAMP_NS) END",
    'CAST((epoch_ns(x) - ((epoch_ns(x) % 1000) + 1000) % 1000) // 1000 AS VARCHAR)'],
  ['t', 'duration', "TIME '00:00:00' + to_microseconds(i * 1234567 % 86400000000)",
    'CAST(hour(x) * 3600000000 + minute(x) * 60000000 + microsecond(x) AS VARCHAR)'],
  ['dec4', 'decimal', '((i % 10000 - 5000) / 100)::DECIMAL(4,2)', 'CAST(x AS VARCHAR)'],
  ['dec9', 'decimal', '((i * 7919 % 1000000000 - 500000000) / 1000)::DECIMAL(9,3)', 'CAST(x AS VARCHAR)'],
  ['dec18', 'decimal', "((CAST(i AS DECIMAL(18,0)) * 123456789012 - 300000000000000) / 1000000)::DECIMAL(18,6)", 'CAST(x AS VARCHAR)'],
  ['dec30', 'string', "(CAST(i AS DECIMAL(30,0)) * 1234567890123456789 * (1 - 2 * (i % 2)) / 100000)::DECIMAL(30,5)", 'CAST(x AS VARCHAR)'],
  ['dec38', 'string', "CASE WHEN i = 1 THEN '99999999999999999999999999999999999999'::DECIMAL(38,0) WHEN i = 2 THEN '-99999999999999999999999999999999999999'::DECIMAL(38,0) ELSE (CAST(i AS DECIMAL(38,0)) * 12345678901234567890123) END::DECIMAL(38,0)", 'CAST(x AS VARCHAR)'],
  ['uuid', 'string', "md5(i::VARCHAR)::UUID", 'CAST(x AS VARCHAR)'],
  ['e', 'string', "CAST(CASE i % 3 WHEN 0 THEN 'sad' WHEN 1 THEN 'ok' ELSE 'happy' END AS mood)", 'CAST(x AS VARCHAR)'],
  ['all_null', 'int32', 'NULL::INTEGER', 'CAST(x AS VARCHAR)'],
];

const inst = await DuckDBInstance.create(':memory:');
const con = await inst.connect();
await con.run('SET threads = 1');
await con.run("CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')");
// Every column but the first misses a value now and then, each on its own rows.
const sel = cols.map(([n, , v], k) => (k === 0 ? `${v} AS ${n}` : `CASE WHEN (i * 31 + ${k}) % 9 = 0 THEN NULL ELSE ${v} END AS ${n}`));
await con.run(`CREATE TABLE t AS SELECT i, ${sel.join(', ')} FROM range(${N}) r(i)`);

const exprs = cols.map(([n, , , e]) => e.replace(/\bx\b/g, `"${n}"`) + ` AS "${n}"`);
const res = await con.runAndReadAll(`SELECT ${exprs.join(', ')} FROM t ORDER BY i`);
const expect = { columns: cols.map(([n, k]) => [n, k]), rows: res.getRows() };
writeFileSync(join(out, 'duckdb.expect.json'), JSON.stringify(expect));

const manifest = [];
const codecs = ['uncompressed', 'snappy', 'gzip', 'zstd', 'brotli', 'lz4', 'lz4_raw'];
for (const ver of ['V1', 'V2']) {
  for (const codec of codecs) {
    const file = `duckdb_${ver}_${codec}.parquet`;
    const cols_sql = cols.map(([n]) => `"${n}"`).join(', ');
    await con.run(`COPY (SELECT ${cols_sql} FROM t ORDER BY i) TO '${join(out, file)}' ` +
      `(FORMAT parquet, COMPRESSION ${codec}, ROW_GROUP_SIZE 2048, PARQUET_VERSION ${ver})`);
    manifest.push({ file, expect: 'duckdb.expect.json' });
  }
}
writeFileSync(join(out, 'manifest.json'), JSON.stringify(manifest, null, 1));
