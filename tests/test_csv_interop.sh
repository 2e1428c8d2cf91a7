#!/usr/bin/env bash
# test_csv_interop.sh: CSV between datom and DuckDB (npm @duckdb/node-api):
# DuckDB reads the CSV datom writes with its own sniffer and gets the same
# types and values (quotes, line breaks, NaN and infinities, nulls, "NA", and
# the empty string "" once told allow_quoted_nulls = false: by default DuckDB
# reads a quoted empty field as NULL); datom reads the CSV DuckDB writes (its "nan"/"inf" and
# "+00" timestamps) and gets the values DuckDB meant.
set -u
SRC=${SRC:?source directory}
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
t_begin csv_interop
if ! command -v node >/dev/null || [ ! -d "$SRC/tests/interop/node_modules/@duckdb/node-api" ]; then
    echo "FAIL: node and tests/interop/node_modules are needed (scripts/deps --test)" >&2
    echo "0 passed, 1 failed"; exit 1
fi
duck() { (cd "$SRC/tests/interop" && node csv_duckdb.mjs "$@"); }

# datom writes: through Parquet, so the CSV is datom's own spelling.
{ all_kinds_csv; echo '7,true,1,Inf, lead and trail ,2024-01-01,2024-01-01T00:00:00Z'; } > in.csv
"$DATOM" convert in.csv t.parquet && "$DATOM" convert t.parquet datom.csv && ok || bad "datom convert"
got=$(duck "SELECT string_agg(column_name || ' ' || column_type, ', ') FROM (DESCRIBE FROM read_csv('$base/datom.csv'))")
check "DuckDB's types" "$got" '["id BIGINT, flag BOOLEAN, n BIGINT, x DOUBLE, name VARCHAR, day DATE, at TIMESTAMP WITH TIME ZONE"]'
got=$(duck "SELECT id, flag, n::VARCHAR, x::VARCHAR, name IS NULL, name, day::VARCHAR, epoch_us(\"at\")::VARCHAR
            FROM read_csv('$base/datom.csv', allow_quoted_nulls = false) ORDER BY id")
want='["1",true,"10","1.5",false,"plain","2024-01-31","1706696430000000"]
["2",false,"-3","nan",false,"with, comma","1999-12-31","1"]
["3",null,null,"-inf",false,"say \"hi\"",null,null]
["4",true,"9223372036854775807","0.1",false,"two\nlines","2000-02-29","1717200000500000"]
["5",false,"0","1e+300",false,"","1970-01-01","-1000000"]
["6",null,"7",null,false,"NA",null,null]
["7",true,"1","inf",false," lead and trail ","2024-01-01","1704067200000000"]'
check "DuckDB reads datom's CSV" "$got" "$want"

# DuckDB writes; datom reads.
duck "COPY (SELECT * FROM (VALUES
        (1, true, 1.25::DOUBLE, 'a,b', DATE '2024-02-29', TIMESTAMPTZ '2024-01-01 12:00:00.123456+00'),
        (2, NULL, 'nan'::DOUBLE, 'q\"q', NULL, TIMESTAMPTZ '1969-12-31 23:59:59+00'),
        (3, false, '-inf'::DOUBLE, NULL, DATE '1970-01-01', NULL),
        (4, true, NULL, 'line' || chr(10) || 'break', DATE '2000-01-01', TIMESTAMPTZ '2000-01-01 00:00:00+00'))
      t(id, flag, x, s, d, ts)) TO '$base/duck.csv' (FORMAT csv)" >/dev/null && ok || bad "DuckDB COPY"
got=$("$DATOM" schema --json duck.csv)
check "datom's types" "$got" '{"columns":[{"name":"id","kind":"int64"},{"name":"flag","kind":"bool"},{"name":"x","kind":"double"},{"name":"s","kind":"string"},{"name":"d","kind":"date"},{"name":"ts","kind":"timestamp","unit":"us","utc":true}]}'
got=$("$DATOM" cat duck.csv)
want='id,flag,x,s,d,ts
1,true,1.25,"a,b",2024-02-29,2024-01-01T12:00:00.123456Z
2,,NaN,"q""q",,1969-12-31T23:59:59Z
3,false,-Inf,,1970-01-01,
4,true,,"line
break",2000-01-01,2000-01-01T00:00:00Z'
check "datom reads DuckDB's CSV" "$got" "$want"

t_end
