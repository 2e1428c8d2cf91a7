// pq_expect.mjs: what datom must read from a Parquet file, computed by DuckDB
// (the oracle) over any relation, for tests/test_parquet_read.c.
//
// expectFor(con, sql, file) returns {"columns": [[name, kind], ...], "rows":
// [[text|null, ...], ...]}: kind as `datom schema` describes it (the unit and
// zone of times and timestamps, and whether a UINT is one, come from the
// Parquet schema of FILE, which the relation reads or was written to), and
// values spelt as the C test spells what datom read:
//   ints: decimal integer; times and timestamps: the integer in their unit
//   (since midnight, since the epoch); date: days since 1970-01-01; double:
//   DuckDB's text (compared as a double); decimal: its text (more than 38
//   digits read as a string of that text); string: itself; UUID: canonical
//   text; binary: lowercase hex; bool: true/false.
import { createRequire } from 'module';
import { join, dirname } from 'path';
import { fileURLToPath } from 'url';

const here = dirname(fileURLToPath(import.meta.url));
export const require = createRequire(join(here, 'package.json'));

const text = 'CAST(x AS VARCHAR)';
const clock_us = 'hour(x) * 3600000000 + minute(x) * 60000000 + microsecond(x)';
const epoch = { ms: 'epoch_ms(x)', us: 'epoch_us(x)', ns: 'epoch_ns(x)' };
const clock = { ms: `(${clock_us}) // 1000`, us: clock_us, ns: 'hour(x) * 3600000000000 + minute(x) * 60000000000 + nanosecond(x)' };

// The unit and zone of a TIME or TIMESTAMP leaf, from parquet_schema's row.
function timeOf(physical, converted, logical) {
  if (physical === 'INT96') return { unit: 'ns', utc: false };
  if (logical) {
    const unit = /MILLIS=MilliSeconds/.test(logical) ? 'ms' : /NANOS=NanoSeconds/.test(logical) ? 'ns' : 'us';
    return { unit, utc: /isAdjustedToUTC=1/.test(logical) };
  }
  return { unit: /MILLIS/.test(converted) ? 'ms' : 'us', utc: false }; // legacy: no zone, as DuckDB reads it
}

// DuckDB type and the file's leaf -> [datom kind, expression over x spelling the value]
function spelling(type, leaf) {
  const dec = /^DECIMAL\((\d+),(\d+)\)$/.exec(type);
  if (dec) {
    const p = Number(dec[1]);
    return [p <= 18 ? `decimal(${p},${dec[2]})` : p <= 38 ? `decimal128(${p},${dec[2]})` : 'string', text];
  }
  if (type.startsWith('ENUM(')) return ['string', text];
  if (/^(TIME|TIMESTAMP)/.test(type) && type !== 'TIMESTAMP_S') {
    const { unit, utc } = timeOf(leaf.type, leaf.converted_type, leaf.logical_type);
    const kind = /^TIME($|_NS| WITH)/.test(type) ? 'time' : 'timestamp';
    return [`${kind}(${unit}${utc ? ', UTC' : ''})`, `CAST(${(kind === 'time' ? clock : epoch)[unit]} AS VARCHAR)`];
  }
  const t = {
    BOOLEAN: ['bool', text],
    TINYINT: ['int32', text],
    SMALLINT: ['int32', text],
    INTEGER: ['int32', text],
    UTINYINT: ['int32', text],
    USMALLINT: ['int32', text],
    UINTEGER: ['uint64', text],
    BIGINT: ['int64', text],
    UBIGINT: ['uint64', text],
    FLOAT: ['double', 'CAST(CAST(x AS DOUBLE) AS VARCHAR)'],
    DOUBLE: ['double', text],
    VARCHAR: ['string', 'x'],
    JSON: ['string', text],
    BLOB: ['binary', 'lower(hex(x))'],
    UUID: ['string', text],
    DATE: ['date', "CAST(x - DATE '1970-01-01' AS VARCHAR)"],
    TIMESTAMP_S: ['timestamp(us)', 'CAST(epoch_us(CAST(x AS TIMESTAMP)) AS VARCHAR)'], // DuckDB writes it in micros
  }[type];
  if (!t) throw new Error(`pq_expect: no spelling for DuckDB type ${type}`);
  return t;
}

export async function expectFor(con, sql, file) {
  const desc = (await con.runAndReadAll(`DESCRIBE ${sql}`)).getRows();
  const leaves = new Map((await con.runAndReadAll(
    `SELECT name, type, converted_type, logical_type FROM parquet_schema('${file}')`)).getRowObjects()
    .map(r => [r.name, r]));
  const columns = [], exprs = [];
  for (const [name, type] of desc) {
    const [kind, e] = spelling(type, leaves.get(name) || {});
    const q = `"${name.replaceAll('"', '""')}"`;
    columns.push([name, kind]);
    exprs.push(`${e.replace(/\bx\b/g, q)} AS ${q}`);
  }
  const rows = (await con.runAndReadAll(`SELECT ${exprs.join(', ')} FROM (${sql})`)).getRows();
  return { columns, rows };
}
