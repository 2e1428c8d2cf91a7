// pq_hyparquet_gen.mjs OUTDIR: Parquet files written by hyparquet-writer for
// tests/test_parquet_read.c: DATA_PAGE_V2 pages (its only kind), small pages,
// per-column encodings (RLE booleans, DELTA_*, BYTE_STREAM_SPLIT), and
// REQUIRED columns, annotations given only as a legacy ConvertedType (UINT_32, DATE, TIME_MILLIS,
// TIMESTAMP_MILLIS/MICROS, DECIMAL on FIXED_LEN_BYTE_ARRAY and BYTE_ARRAY, UTF8, JSON),
// plus UUID and FLOAT16 logical types. What each must read as is what DuckDB
// reads from it (pq_expect.mjs); FLOAT16, which DuckDB reads as FLOAT, is
// spelt the same. OUTDIR/manifest.json lists [{file, expect}].
import { writeFileSync, mkdirSync } from 'fs';
import { join } from 'path';
import { require, expectFor } from './pq_expect.mjs';

const { DuckDBInstance } = require('@duckdb/node-api');
const { parquetWriteFile } = await import('hyparquet-writer');

const out = process.argv[2];
if (!out) throw new Error('usage: pq_hyparquet_gen.mjs OUTDIR');
mkdirSync(out, { recursive: true });

const N = 3000;
const nul = (i, k, v) => ((i * 13 + k) % 7 === 0 ? null : v);
const hex = i => (BigInt(i) * 0x9e3779b97f4a7c15n % (1n << 128n)).toString(16).padStart(32, '0');
const uuid = i => { const h = hex(i); return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`; };
const range = f => Array.from({ length: N }, (_, i) => f(i));

// [name, schema element, data, encoding]
const cols = [
  ['b', { type: 'BOOLEAN' }, range(i => nul(i, 0, i % 3 === 0)), 'RLE'],
  ['i32', { type: 'INT32' }, range(i => nul(i, 1, (i * 7919) % 200000 - 100000)), 'DELTA_BINARY_PACKED'],
  ['i64', { type: 'INT64' }, range(i => nul(i, 2, BigInt(i) * 1000000007n - 1500000000000n)), 'DELTA_BINARY_PACKED'],
  ['u32', { type: 'INT32', converted_type: 'UINT_32' }, range(i => nul(i, 3, Number((BigInt(i) * 2654435761n) % 4294967296n))), 'PLAIN'],
  ['d', { type: 'INT32', converted_type: 'DATE' }, range(i => nul(i, 4, i * 13 - 20000)), 'DELTA_BINARY_PACKED'],
  ['ts_ms', { type: 'INT64', converted_type: 'TIMESTAMP_MILLIS' }, range(i => nul(i, 5, BigInt(i) * 86399999n - 100000000000n)), 'DELTA_BINARY_PACKED'],
  ['ts_us', { type: 'INT64', converted_type: 'TIMESTAMP_MICROS' }, range(i => nul(i, 6, BigInt(i) * 86399999999n)), 'PLAIN'],
  ['s', { type: 'BYTE_ARRAY', converted_type: 'UTF8' }, range(i => nul(i, 7, `prefix-shared-${Math.floor(i / 3)}-${'z'.repeat(i % 5)}`)), 'DELTA_BYTE_ARRAY'],
  ['s2', { type: 'BYTE_ARRAY', converted_type: 'UTF8' }, range(i => nul(i, 8, `v${i % 40}`)), undefined],
  ['bin', { type: 'BYTE_ARRAY' }, range(i => nul(i, 9, new Uint8Array([i & 255, 0, (i >> 8) & 255]))), 'DELTA_LENGTH_BYTE_ARRAY'],
  ['dec_flba', { type: 'FIXED_LEN_BYTE_ARRAY', type_length: 6, converted_type: 'DECIMAL', precision: 12, scale: 3 }, range(i => nul(i, 10, BigInt(i * 987654) - 1000000000n)), 'PLAIN'],
  ['dec_ba', { type: 'BYTE_ARRAY', converted_type: 'DECIMAL', precision: 25, scale: 4 }, range(i => nul(i, 11, BigInt(i) * 123456789012345678n * (i % 2 ? -1n : 1n))), 'PLAIN'],
  ['f32', { type: 'FLOAT' }, range(i => nul(i, 12, i * 0.5 - 7.25)), 'BYTE_STREAM_SPLIT'],
  ['f64', { type: 'DOUBLE' }, range(i => nul(i, 13, i / 3)), 'BYTE_STREAM_SPLIT'],
  ['uuid', { type: 'FIXED_LEN_BYTE_ARRAY', type_length: 16, logical_type: { type: 'UUID' } }, range(i => nul(i, 14, uuid(i))), 'PLAIN'],
  ['f16', { type: 'FIXED_LEN_BYTE_ARRAY', type_length: 2, logical_type: { type: 'FLOAT16' } }, range(i => nul(i, 15, (i % 64) * 0.25 - 4)), 'PLAIN'],
  ['time_ms', { type: 'INT32', converted_type: 'TIME_MILLIS' }, range(i => nul(i, 16, (i * 28793) % 86400000)), 'PLAIN'],
  ['req', { type: 'INT64', repetition_type: 'REQUIRED' }, range(i => BigInt(i) * -3n), 'PLAIN'],
  ['req_s', { type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' }, range(i => `r${i % 9}`), undefined],
];

const file = 'hyparquet.parquet';
parquetWriteFile({
  filename: join(out, file),
  columnData: cols.map(([name, el, data, encoding]) => ({ name, data, encoding, nullable: el.repetition_type !== 'REQUIRED' })),
  schema: [{ name: 'root', num_children: cols.length },
    ...cols.map(([name, el]) => ({ name, repetition_type: 'OPTIONAL', ...el }))],
  pageSize: 2000,
  rowGroupSize: 1000,
});

const inst = await DuckDBInstance.create(':memory:');
const con = await inst.connect();
const x = await expectFor(con, `SELECT * FROM read_parquet('${join(out, file)}')`, join(out, file));
writeFileSync(join(out, 'hyparquet.expect.json'), JSON.stringify(x));
writeFileSync(join(out, 'manifest.json'), JSON.stringify([{ file, expect: 'hyparquet.expect.json' }], null, 1));
