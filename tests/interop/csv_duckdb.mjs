// csv_duckdb.mjs: runs SQL statements in DuckDB (the real libduckdb, npm
// @duckdb/node-api) and prints each result row as a JSON array on a line, for
// tests/test_csv_interop.sh. usage: node csv_duckdb.mjs 'SQL' ['SQL' ...]
import { DuckDBInstance } from '@duckdb/node-api';

const inst = await DuckDBInstance.create(':memory:');
const con = await inst.connect();
for (const sql of process.argv.slice(2)) {
  const r = await con.runAndReadAll(sql);
  for (const row of r.getRows())
    console.log(JSON.stringify(row, (k, v) => (typeof v === 'bigint' ? v.toString() : v)));
}
