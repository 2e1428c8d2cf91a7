// bench_duckdb_write.mjs: DuckDB's side of bench/pqwrite: loads IN.parquet
// into memory (untimed), then times COPY ... TO OUT.parquet on one thread
// with the given codec. Prints "duckdb_write_seconds S" (wall) and
// "duckdb_write_cpu_seconds S" (CPU of the whole process during the COPY).
// Usage: node bench_duckdb_write.mjs IN.parquet OUT.parquet [snappy|zstd|uncompressed]
import { DuckDBInstance } from '@duckdb/node-api';
const [input, output, codec = 'snappy'] = process.argv.slice(2);
const inst = await DuckDBInstance.create(':memory:');
const db = await inst.connect();
await db.run('SET threads = 1');
await db.run(`CREATE TABLE t AS SELECT * FROM read_parquet('${input}')`);
const t0 = process.hrtime.bigint();
const c0 = process.cpuUsage();
await db.run(`COPY t TO '${output}' (FORMAT parquet, COMPRESSION ${codec})`);
const t1 = process.hrtime.bigint();
const c1 = process.cpuUsage(c0);
console.log(`duckdb_write_seconds ${(Number(t1 - t0) / 1e9).toFixed(3)}`);
console.log(`duckdb_write_cpu_seconds ${((c1.user + c1.system) / 1e6).toFixed(3)}`);
