// pq_small_gen.mjs OUTDIR: a few small Parquet files from each peer (DuckDB,
// arrow-rs, hyparquet-writer) for damaging in tests/test_parquet_hostile.c and
// seeding fuzz/fuzz_parquet.c. Writes OUTDIR/*.parquet.
import { writeFileSync, readFileSync, mkdirSync } from 'fs';
import { join } from 'path';
import { require } from './pq_expect.mjs';
import { makeTable, tableSql } from './pq_duckdb_gen.mjs';

const pw = require('parquet-wasm');
const { parquetWriteBuffer } = await import('hyparquet-writer');
const { Compression: C, WriterVersion: V } = pw;

const out = process.argv[2];
if (!out) throw new Error('usage: pq_small_gen.mjs OUTDIR');
mkdirSync(out, { recursive: true });

const con = await makeTable(40);
const duck = [['V1', 'snappy'], ['V2', 'zstd'], ['V2', 'gzip']];
for (const [ver, codec] of duck)
  await con.run(`COPY (${tableSql}) TO '${join(out, `duckdb_${ver}_${codec}.parquet`)}' ` +
    `(FORMAT parquet, COMPRESSION ${codec}, ROW_GROUP_SIZE 2048, PARQUET_VERSION ${ver})`);

const src = readFileSync(join(out, 'duckdb_V1_snappy.parquet'));
const arrow = {
  arrow_v2_lz4_raw: b => b.setWriterVersion(V.V2).setCompression(C.LZ4_RAW).setDictionaryPageSizeLimit(64),
  arrow_v1_brotli: b => b.setCompression(C.BROTLI).setDictionaryEnabled(false),
  arrow_v1_lz4: b => b.setCompression(C.LZ4),
};
for (const [name, set] of Object.entries(arrow)) {
  const b = set(new pw.WriterPropertiesBuilder().setMaxRowGroupSize(25).setDataPageSizeLimit(128).setWriteBatchSize(8));
  writeFileSync(join(out, `${name}.parquet`), pw.writeParquet(pw.readParquet(src), b.build()));
}

const n = 50;
const buf = parquetWriteBuffer({
  columnData: [
    { name: 'i', data: Array.from({ length: n }, (_, i) => (i % 5 ? i * 1000 : null)), type: 'INT32', encoding: 'DELTA_BINARY_PACKED' },
    { name: 's', data: Array.from({ length: n }, (_, i) => `str${i % 7}`), type: 'STRING', encoding: 'DELTA_BYTE_ARRAY' },
    { name: 'f', data: Array.from({ length: n }, (_, i) => i / 4), type: 'DOUBLE', encoding: 'BYTE_STREAM_SPLIT' },
    { name: 'b', data: Array.from({ length: n }, (_, i) => i % 3 === 0), type: 'BOOLEAN', encoding: 'RLE' },
  ],
  pageSize: 100,
  rowGroupSize: 20,
});
writeFileSync(join(out, 'hyparquet.parquet'), new Uint8Array(buf));
