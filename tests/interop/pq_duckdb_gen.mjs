// pq_duckdb_gen.mjs OUTDIR: Parquet files written by real DuckDB, for
// tests/test_parquet_read.c.
//
// One table of every type DuckDB writes flat (nulls sprinkled in every column
// but the first) goes out with PARQUET_VERSION V1 and V2 and every codec
// DuckDB offers, in row groups of 2,048 rows. OUTDIR/manifest.json lists
// [{file, expect}]; the expectation (pq_expect.mjs) comes from the table itself.
import { writeFileSync, mkdirSync } from 'fs';
import { join } from 'path';
import { require, expectFor } from './pq_expect.mjs';

const { DuckDBInstance } = require('@duckdb/node-api');

export const N = 5000;
const ts = "TIMESTAMP '1960-01-01' + to_microseconds(i * 1234567891)";
// [name, value expression over i]
export const cols = [
  ['b', 'i % 3 = 0'],
  ['i8', '(i % 256 - 128)::TINYINT'],
  ['i16', '((i * 37) % 65536 - 32768)::SMALLINT'],
  ['i32', '(i * 7919 % 100000 - 50000)::INTEGER'],
  // spans more than 2^31: DuckDB's INT32 deltas overflow
  ['i32wide', 'CASE WHEN i % 2 = 0 THEN -2000000000 + i ELSE 2000000000 - i END::INTEGER'],
  ['i64', 'CASE WHEN i = 1 THEN 9223372036854775807 WHEN i = 2 THEN -9223372036854775808 ELSE i * 1000000007 * (1 - 2 * (i % 2)) END::BIGINT'],
  ['u8', '(i % 256)::UTINYINT'],
  ['u16', '(i * 7 % 65536)::USMALLINT'],
  ['u32', 'CASE WHEN i % 3 = 0 THEN 4294967295 - i ELSE i * 100003 % 4294967296 END::UINTEGER'],
  // the full range: past INT64_MAX too (ids and hashes)
  ['u64', 'CASE WHEN i = 1 THEN 18446744073709551615 WHEN i = 2 THEN 9223372036854775808 WHEN i % 5 = 0 THEN 9223372036854775807::UBIGINT + (i * 1000003)::UBIGINT ELSE i * 1000003 END::UBIGINT'],
  ['f32', "CASE WHEN i = 3 THEN 'nan'::FLOAT WHEN i = 4 THEN 'inf'::FLOAT ELSE (i * 0.25 - 100)::FLOAT END"],
  ['f64', "CASE WHEN i = 5 THEN '-inf'::DOUBLE WHEN i = 6 THEN -0.0::DOUBLE ELSE i / 7.0 END::DOUBLE"],
  ['s', "'cat_' || (i % 10)"],
  ['s_unique', "'unique string number ' || i || repeat('x', i % 17)"],
  ['s_utf8', "CASE i % 4 WHEN 0 THEN 'héllo' WHEN 1 THEN '日本語' WHEN 2 THEN '' ELSE 'emoji 🎉' END"],
  ['blob', "CASE WHEN i % 2 = 0 THEN '\\x00\\xFF\\x10'::BLOB ELSE (i::VARCHAR)::BLOB END"],
  ['d', "DATE '1970-01-01' + (i * 37 % 40000 - 20000)::INTEGER"],
  ['ts', ts],
  ['tstz', `(${ts})::TIMESTAMPTZ`],
  ['ts_ms', `CAST(${ts} AS TIMESTAMP_MS)`],
  ['ts_s', `CAST(${ts} AS TIMESTAMP_S)`],
  ['ts_ns', `CASE WHEN i = 7 THEN TIMESTAMP_NS '1969-12-31 23:59:59.999999999' WHEN i = 8 THEN TIMESTAMP_NS '2020-01-01 00:00:00.123456789' ELSE CAST(${ts} AS TIMESTAMP_NS) END`],
  ['t', "TIME '00:00:00' + to_microseconds(i * 1234567 % 86400000000)"],
  ['t_ns', "CAST(printf('%02d:%02d:%02d.%09d', i % 24, i * 7 % 60, i * 13 % 60, i * 987654321 % 1000000000) AS TIME_NS)"],
  ['ttz', "CAST(TIME '00:00:00' + to_microseconds(i * 7654321 % 86400000000) AS TIMETZ)"],
  ['dec4', '((i % 10000 - 5000) / 100)::DECIMAL(4,2)'],
  ['dec9', '((i * 7919 % 1000000000 - 500000000) / 1000)::DECIMAL(9,3)'],
  ['dec18', '((CAST(i AS DECIMAL(18,0)) * 123456789012 - 300000000000000) / 1000000)::DECIMAL(18,6)'],
  ['dec30', '(CAST(i AS DECIMAL(30,0)) * 1234567890123456789 * (1 - 2 * (i % 2)) / 100000)::DECIMAL(30,5)'],
  ['dec38', "CASE WHEN i = 1 THEN '99999999999999999999999999999999999999'::DECIMAL(38,0) WHEN i = 2 THEN '-99999999999999999999999999999999999999'::DECIMAL(38,0) ELSE (CAST(i AS DECIMAL(38,0)) * 12345678901234567890123) END::DECIMAL(38,0)"],
  ['uuid', 'md5(i::VARCHAR)::UUID'],
  ['e', "CAST(CASE i % 3 WHEN 0 THEN 'sad' WHEN 1 THEN 'ok' ELSE 'happy' END AS mood)"],
  ['all_null', 'NULL::INTEGER'],
];

// A connection holding table t of the columns above (and i, the row number).
export async function makeTable(rows = N) {
  const inst = await DuckDBInstance.create(':memory:');
  const con = await inst.connect();
  await con.run('SET threads = 1');
  await con.run("CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')");
  const sel = cols.map(([n, v], k) =>
    k === 0 ? `${v} AS ${n}` : `CASE WHEN (i * 31 + ${k}) % 9 = 0 THEN NULL ELSE ${v} END AS ${n}`);
  await con.run(`CREATE TABLE t AS SELECT i, ${sel.join(', ')} FROM range(${rows}) r(i)`);
  return con;
}

export const tableSql = `SELECT ${cols.map(([n]) => `"${n}"`).join(', ')} FROM t ORDER BY i`;

async function main(out) {
  mkdirSync(out, { recursive: true });
  const con = await makeTable();
  const manifest = [];
  const codecs = ['uncompressed', 'snappy', 'gzip', 'zstd', 'brotli', 'lz4', 'lz4_raw'];
  for (const ver of ['V1', 'V2']) {
    for (const codec of codecs) {
      const file = `duckdb_${ver}_${codec}.parquet`;
      await con.run(`COPY (${tableSql}) TO '${join(out, file)}' ` +
        `(FORMAT parquet, COMPRESSION ${codec}, ROW_GROUP_SIZE 2048, PARQUET_VERSION ${ver})`);
      manifest.push({ file, expect: 'duckdb.expect.json' });
    }
  }
  // every file has the schema of the first: its units and zones name the kinds
  const first = join(out, manifest[0].file);
  writeFileSync(join(out, 'duckdb.expect.json'), JSON.stringify(await expectFor(con, tableSql, first)));
  // a file of no rows (no row groups)
  await con.run(`COPY (${tableSql} LIMIT 0) TO '${join(out, 'duckdb_empty.parquet')}' (FORMAT parquet)`);
  writeFileSync(join(out, 'duckdb_empty.expect.json'), JSON.stringify(await expectFor(con, `${tableSql} LIMIT 0`, first)));
  manifest.push({ file: 'duckdb_empty.parquet', expect: 'duckdb_empty.expect.json' });
  writeFileSync(join(out, 'manifest.json'), JSON.stringify(manifest, null, 1));
}

if (process.argv[1] && process.argv[1].endsWith('pq_duckdb_gen.mjs')) {
  if (!process.argv[2]) throw new Error('usage: pq_duckdb_gen.mjs OUTDIR');
  await main(process.argv[2]);
}
