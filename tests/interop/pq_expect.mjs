// pq_expect.mjs: what datom must read from a Parquet file, computed by DuckDB
// (the oracle) over any relation, for tests/test_parquet_read.c.
//
// expectFor(con, sql) returns {"columns": [[name, kind], ...], "rows": [[text|null, ...], ...]}
// with values spelt as the C test spells what datom read:
//   ints: decimal integer; durations (TIME): microseconds (of the day);
//   date: days since 1970-01-01; timestamp: microseconds since the epoch
//   (nanoseconds floored); double: DuckDB's text (compared as a double);
//   decimal: its text (precision > 18 reads as a string of that text);
//   string: itself; UUID: canonical text; binary: lowercase hex; bool: true/false.
import { createRequire } from 'module';
import { join, dirname } from 'path';
import { fileURLToPath } from 'url';

const here = dirname(fileURLToPath(import.meta.url));
export const require = createRequire(join(here, 'package.json'));

const ns_floor = 'CAST((epoch_ns(x) - ((epoch_ns(x) % 1000) + 1000) % 1000) // 1000 AS VARCHAR)';

// DuckDB type -> [datom kind, expression over x spelling the value]
function spelling(type) {
  const dec = /^DECIMAL\((\d+),(\d+)\)$/.exec(type);
  if (dec) return [Number(dec[1]) <= 18 ? 'decimal' : 'string', 'CAST(x AS VARCHAR)'];
  if (type.startsWith('ENUM(')) return ['string', 'CAST(x AS VARCHAR)'];
  const t = {
    BOOLEAN: ['bool', 'CAST(x AS VARCHAR)'],
    TINYINT: ['int32', 'CAST(x AS VARCHAR)'],
    SMALLINT: ['int32', 'CAST(x AS VARCHAR)'],
    INTEGER: ['int32', 'CAST(x AS VARCHAR)'],
    UTINYINT: ['int32', 'CAST(x AS VARCHAR)'],
    USMALLINT: ['int32', 'CAST(x AS VARCHAR)'],
    UINTEGER: ['int64', 'CAST(x AS VARCHAR)'],
    BIGINT: ['int64', 'CAST(x AS VARCHAR)'],
    UBIGINT: ['int64', 'CAST(x AS VARCHAR)'],
    FLOAT: ['double', 'CAST(CAST(x AS DOUBLE) AS VARCHAR)'],
    DOUBLE: ['double', 'CAST(x AS VARCHAR)'],
    VARCHAR: ['string', 'x'],
    BLOB: ['binary', 'lower(hex(x))'],
    UUID: ['string', 'CAST(x AS VARCHAR)'],
    DATE: ['date', "CAST(x - DATE '1970-01-01' AS VARCHAR)"],
    TIMESTAMP: ['timestamp', 'CAST(epoch_us(x) AS VARCHAR)'],
    'TIMESTAMP WITH TIME ZONE': ['timestamp', 'CAST(epoch_us(x) AS VARCHAR)'],
    TIMESTAMP_MS: ['timestamp', 'CAST(epoch_us(CAST(x AS TIMESTAMP)) AS VARCHAR)'],
    TIMESTAMP_S: ['timestamp', 'CAST(epoch_us(CAST(x AS TIMESTAMP)) AS VARCHAR)'],
    TIMESTAMP_NS: ['timestamp', ns_floor],
    TIME: ['duration', 'CAST(hour(x) * 3600000000 + minute(x) * 60000000 + microsecond(x) AS VARCHAR)'],
  }[type];
  if (!t) throw new Error(`pq_expect: no spelling for DuckDB type ${type}`);
  return t;
}

export async function expectFor(con, sql) {
  const desc = (await con.runAndReadAll(`DESCRIBE ${sql}`)).getRows();
  const columns = [], exprs = [];
  for (const [name, type] of desc) {
    const [kind, e] = spelling(type);
    const q = `"${name.replaceAll('"', '""')}"`;
    columns.push([name, kind]);
    exprs.push(`${e.replace(/\bx\b/g, q)} AS ${q}`);
  }
  const rows = (await con.runAndReadAll(`SELECT ${exprs.join(', ')} FROM (${sql})`)).getRows();
  return { columns, rows };
}
