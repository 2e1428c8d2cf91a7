// pq_arrow_gen.mjs OUTDIR: Parquet files written by arrow-rs (npm parquet-wasm)
// for tests/test_parquet_read.c: real DATA_PAGE_V2 pages, many small pages per
// chunk, dictionaries that fall back mid-chunk, the delta encodings and
// BYTE_STREAM_SPLIT, every codec arrow-rs offers (the deprecated LZ4 in its
// Hadoop framing included).
//
// The data is pq_duckdb_gen.mjs's table, handed to arrow-rs as Arrow (DuckDB
// writes it, parquet-wasm reads it back). What each file must read as is what
// DuckDB reads from it (pq_expect.mjs). OUTDIR/manifest.json lists [{file, expect}].
import { writeFileSync, readFileSync, mkdirSync } from 'fs';
import { join } from 'path';
import { require, expectFor } from './pq_expect.mjs';
import { makeTable, tableSql } from './pq_duckdb_gen.mjs';

const pw = require('parquet-wasm');
const { Compression: C, Encoding: E, WriterVersion: V } = pw;

const out = process.argv[2];
if (!out) throw new Error('usage: pq_arrow_gen.mjs OUTDIR');
mkdirSync(out, { recursive: true });

const con = await makeTable();
const src = join(out, 'arrow_source.parquet');
await con.run(`COPY (${tableSql}) TO '${src}' (FORMAT parquet, COMPRESSION uncompressed)`);
const srcBytes = readFileSync(src);

const strings = ['s', 's_unique', 's_utf8', 'e'];
const variants = {
  v1_uncompressed: b => b.setCompression(C.UNCOMPRESSED),
  v1_snappy: b => b.setCompression(C.SNAPPY),
  v1_gzip: b => b.setCompression(C.GZIP),
  v1_brotli: b => b.setCompression(C.BROTLI),
  v1_lz4: b => b.setCompression(C.LZ4),
  v1_zstd: b => b.setCompression(C.ZSTD),
  v1_lz4_raw: b => b.setCompression(C.LZ4_RAW),
  v1_plain: b => b.setCompression(C.SNAPPY).setDictionaryEnabled(false),
  v2_snappy: b => b.setWriterVersion(V.V2).setCompression(C.SNAPPY),
  v2_uncompressed: b => b.setWriterVersion(V.V2).setCompression(C.UNCOMPRESSED),
  v2_dict_fallback: b => b.setWriterVersion(V.V2).setCompression(C.ZSTD).setDictionaryPageSizeLimit(200),
  v2_nodict: b => b.setWriterVersion(V.V2).setCompression(C.LZ4_RAW).setDictionaryEnabled(false),
  v2_dlba: b => strings.reduce((x, c) => x.setColumnEncoding(c, E.DELTA_LENGTH_BYTE_ARRAY),
    b.setWriterVersion(V.V2).setCompression(C.GZIP).setDictionaryEnabled(false)),
  v2_bss: b => ['f32', 'f64', 'i32', 'i64', 'dec30', 'uuid'].reduce((x, c) => x.setColumnEncoding(c, E.BYTE_STREAM_SPLIT),
    b.setWriterVersion(V.V2).setCompression(C.BROTLI).setDictionaryEnabled(false)),
  v1_delta: b => ['i8', 'i32', 'i32wide', 'i64', 'u32', 'u64', 'ts_ns', 'd'].reduce((x, c) => x.setColumnEncoding(c, E.DELTA_BINARY_PACKED),
    strings.reduce((x, c) => x.setColumnEncoding(c, E.DELTA_BYTE_ARRAY), b.setDictionaryEnabled(false))),
};

const manifest = [];
const expects = new Map();
for (const [name, set] of Object.entries(variants)) {
  const b = set(new pw.WriterPropertiesBuilder().setMaxRowGroupSize(1500).setDataPageSizeLimit(1024)
    .setWriteBatchSize(256));
  const file = `arrow_${name}.parquet`;
  // writeParquet consumes its table: a fresh one each time
  writeFileSync(join(out, file), pw.writeParquet(pw.readParquet(srcBytes), b.build()));
  // DuckDB reads neither the deprecated LZ4 codec nor BYTE_STREAM_SPLIT
  // integers: those files hold what an earlier one of the same schema holds.
  const from = { v1_lz4: 'arrow_v1_uncompressed.parquet', v2_bss: 'arrow_v2_uncompressed.parquet' }[name] ?? file;
  const x = JSON.stringify(await expectFor(con, `SELECT * FROM read_parquet('${join(out, from)}')`, join(out, from)));
  if (!expects.has(x)) {
    expects.set(x, `arrow${expects.size}.expect.json`);
    writeFileSync(join(out, expects.get(x)), x);
  }
  manifest.push({ file, expect: expects.get(x) });
}
writeFileSync(join(out, 'manifest.json'), JSON.stringify(manifest, null, 1));
