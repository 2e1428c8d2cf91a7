// duckdb.mjs: runs SQL statements in DuckDB (npm @duckdb/node-api, the real
// libduckdb) on one thread and prints, for each, the wall seconds and the CPU
// seconds (user + system) it took, and its first result row, tab-separated;
// for bench/codec/run. usage: node duckdb.mjs 'SQL' ['SQL' ...]
import { DuckDBInstance } from '@duckdb/node-api';

const inst = await DuckDBInstance.create(':memory:');
const con = await inst.connect();
await con.run('SET threads = 1');
await con.run('SET preserve_insertion_order = true');
for (const sql of process.argv.slice(2)) {
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  const r = await con.runAndReadAll(sql);
  const c1 = process.cpuUsage(c0);
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = (c1.user + c1.system) / 1e6;
  const rows = r.getRows();
  console.log(`${secs.toFixed(3)}\t${cpu.toFixed(3)}\t${rows.length ? JSON.stringify(rows[0], (k, v) => typeof v === 'bigint' ? v.toString() : v) : ''}`);
}
