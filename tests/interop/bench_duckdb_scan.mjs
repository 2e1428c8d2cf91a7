// bench_duckdb_scan.mjs OUT.parquet ROWS CODEC VERSION: DuckDB writes the bench
// file for bench/pqread/run (columns like bench/pqwrite's: ints, doubles,
// dates, timestamps, bools, strings of low and high cardinality, decimals;
// some nulls), then scans it with one thread, touching every column, and
// prints duckdb_scan_seconds (wall) and duckdb_scan_cpu_seconds.
import { createRequire } from 'module';
import { join, dirname } from 'path';
import { fileURLToPath } from 'url';

const require = createRequire(join(dirname(fileURLToPath(import.meta.url)), 'package.json'));
const { DuckDBInstance } = require('@duckdb/node-api');
const [file, rows = '5000000', codec = 'snappy', version = 'V1'] = process.argv.slice(2);

const inst = await DuckDBInstance.create(':memory:');
const con = await inst.connect();
await con.run('SET threads = 1');
await con.run(`COPY (SELECT i AS id,
    CASE WHEN i % 17 = 0 THEN NULL ELSE hash(i) % 1000000 / 7.0 END AS x,
    DATE '2000-01-01' + (i % 9000)::INTEGER AS d,
    TIMESTAMP '2020-01-01' + to_microseconds(i * 1000003) AS ts,
    i % 3 = 0 AS flag,
    ['Amsterdam', 'Berlin', 'Cairo', 'Delhi', 'Espoo', 'Fes', 'Graz', 'Hanoi'][i % 8 + 1] AS city,
    'user-' || hash(i) % 100000000 AS name,
    (i % 100000 / 100)::DECIMAL(12,2) AS amount
  FROM range(${rows}) r(i)) TO '${file}' (FORMAT parquet, COMPRESSION ${codec}, PARQUET_VERSION ${version})`);
const t0 = process.hrtime.bigint(), c0 = process.cpuUsage();
const r = await con.runAndReadAll(`SELECT count(*), sum(id), sum(x), max(d), max(ts), count_if(flag),
  max(city), max(name), sum(amount) FROM '${file}'`);
const secs = Number(process.hrtime.bigint() - t0) / 1e9;
const cpu = process.cpuUsage(c0);
console.log(`duckdb_rows ${r.getRows()[0][0]}\nduckdb_scan_seconds ${secs.toFixed(3)}\n` +
  `duckdb_scan_cpu_seconds ${((cpu.user + cpu.system) / 1e6).toFixed(3)}`);
