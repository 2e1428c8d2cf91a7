// bench_csv2parquet.mjs: DuckDB's side of bench/csv2parquet.
//   node bench_csv2parquet.mjs gen OUT.csv ROWS   makes the input CSV
//   node bench_csv2parquet.mjs run IN.csv OUT.parquet CODEC
// "run" times COPY (FROM read_csv(IN)) TO OUT on one thread and prints
// duckdb_seconds (wall) and duckdb_cpu_seconds.
import { DuckDBInstance } from '@duckdb/node-api';
const [mode, a, b, c] = process.argv.slice(2);
const inst = await DuckDBInstance.create(':memory:');
const db = await inst.connect();
if (mode === 'gen') {
  const rows = Number(b);
  await db.run(`COPY (SELECT i AS id,
      round(hash(i) % 1000000 / 100.0, 2)::DOUBLE AS amount,
      DATE '2019-01-01' + (hash(i * 3) % 3000)::INTEGER AS day,
      TIMESTAMP '2020-01-01 00:00:00' + to_microseconds((i * 1000003)::BIGINT) AS ts,
      (hash(i * 5) % 2 = 0) AS flag,
      ['Amsterdam','Berlin','Cairo','Delhi','Espoo','Fes','Graz','Hanoi'][(hash(i * 7) % 8)::INTEGER + 1] AS city,
      'user-' || (hash(i * 11) % 1000000000)::VARCHAR AS user,
      CASE WHEN i % 17 = 0 THEN NULL ELSE (hash(i * 13) % 100000) END AS qty
    FROM range(${rows}) t(i)) TO '${a}' (HEADER, DELIMITER ',')`);
} else {
  await db.run('SET threads = 1');
  const codec = c === 'none' ? 'uncompressed' : c || 'snappy';
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  await db.run(`COPY (FROM read_csv('${a}')) TO '${b}' (FORMAT parquet, COMPRESSION ${codec})`);
  const c1 = process.cpuUsage(c0);
  const t1 = process.hrtime.bigint();
  console.log(`duckdb_seconds ${(Number(t1 - t0) / 1e9).toFixed(3)}`);
  console.log(`duckdb_cpu_seconds ${((c1.user + c1.system) / 1e6).toFixed(3)}`);
}
