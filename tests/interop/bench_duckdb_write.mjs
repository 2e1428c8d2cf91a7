// bench_duckdb_write.mjs: DuckDB's side of bench/pqwrite: loads IN.parquet
// into memory (untimed), then times COPY ... TO OUT.parquet on one thread
// with the given codec. Prints "duckdb_write_seconds S".
// Usage: node bench_duckdb_write.mjs IN.parquet OUT.parquet [snappy|zstd|uncompressed]
import { DuckDBInstance } from '@duckdb/node-api';
const [input, output, codec = 'snappy'] = process.argv.slice(2);
const inst = await DuckDBInstance.create(':memory:');
const db = await inst.connect();
await db.run('SET threads = 1');
await db.run(`CREATE TABLE t AS SELECT * FROM read_parquet('${input}')`);
const t0 = process.hrtime.bigint();
await db.run(`COPY t TO '${output}' (FORMAT parquet, COMPRESSION ${codec})`);
const t1 = process.hrtime.bigint();
console.log(`duckdb_write_seconds ${(Number(t1 - t0) / 1e9).toFixed(3)}`);
