#!/usr/bin/env bash
# test_pq_roundtrip.sh: every flat type DuckDB writes (and what arrow-rs and
# hyparquet-writer write with their defaults) through `datom convert` and
# back, compared value by value by DuckDB (tests/interop/pq_roundtrip.mjs):
# datom's Parquet, its CSV and its JSON lines give every value. Nested columns
# are refused by name. datom's own files convert to the same bytes.
set -u
SRC=${SRC:?source directory}
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
t_begin pq_roundtrip
if ! command -v node >/dev/null || [ ! -d "$SRC/tests/interop/node_modules/@duckdb/node-api" ]; then
    echo "FAIL: node and tests/interop/node_modules are needed (scripts/deps --test)" >&2
    echo "0 passed, 1 failed"; exit 1
fi
peers() { (cd "$SRC/tests/interop" && node pq_roundtrip.mjs "$@"); }

peers gen "$base/files" >"$base/gen.log" 2>&1 && ok || { bad "generating the files"; cat "$base/gen.log" >&2; t_end; }
cd "$base/files" || exit 1
for f in duckdb_V1 duckdb_V2 duckdb_extremes arrow hyparquet; do
    expect 0 "$DATOM" convert "$f.parquet" "$f.datom.parquet"
    expect 0 "$DATOM" convert "$f.datom.parquet" "$f.again.parquet"
    same "$f.datom.parquet" "$f.again.parquet" # datom's own file: the same bytes
done
for f in duckdb_V1 duckdb_V2 arrow hyparquet; do
    expect 0 "$DATOM" convert "$f.parquet" "$f.datom.csv"
    "$DATOM" cat --json "$f.parquet" >"$f.datom.jsonl" && ok || bad "cat --json $f"
done
out=$(peers check "$base/files" 2>&1) && ok || bad "round trip: $out"
echo "$out" | grep -v '^ok' >&2

# nested columns: refused, naming the first one
expect 9 "$DATOM" convert duckdb_nested.parquet nested.csv
has "$err" "column 'l' is nested"
absent nested.csv
t_end
