#!/usr/bin/env bash
# test_cli_table.sh: `datom convert`, `datom cat` and `datom schema` on CSV and
# Parquet files: round trips, options, output formats, errors and exit statuses.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
t_begin cli_table
D() { "$DATOM" "$@"; }

# Help for every verb.
for v in convert cat schema; do
    expect 0 D "$v" --help; has "$out" "usage: datom $v"
done
expect 2 D convert a.csv; has "$err" "expected IN and OUT"
expect 2 D cat; has "$err" "expected one FILE"

# A CSV with every kind, nulls, quoting, in the writer's own spelling.
all_kinds_csv > all.csv
for codec in snappy zstd none; do
    expect 0 D convert --codec "$codec" all.csv "all-$codec.parquet"
    expect 0 D convert "all-$codec.parquet" "back-$codec.csv"
    same all.csv "back-$codec.csv"
done
expect 0 D schema all-snappy.parquet
[ "$out" = "$(printf 'id\tint64\nflag\tbool\nn\tint64\nx\tdouble\nname\tstring\nday\tdate\nat\ttimestamp(us, UTC)')" ] && ok || bad "schema: $out"
expect 0 D schema all.csv; has "$out" "$(printf 'at\ttimestamp(us, UTC)')"
expect 0 D schema --json all-snappy.parquet; has "$out" '{"name":"flag","kind":"bool"}'; has "$out" '"rows":6'
expect 0 D --json schema all.csv; has "$out" '{"name":"x","kind":"double"}'

# cat: CSV (same bytes as the source), JSON lines, --limit, from either format.
expect 0 D cat all-zstd.parquet; [ "$out" = "$(cat all.csv)" ] && ok || bad "cat parquet differs"
expect 0 D cat all.csv; [ "$out" = "$(cat all.csv)" ] && ok || bad "cat csv differs"
expect 0 D cat --json --limit 3 all-snappy.parquet
[ "$(printf '%s\n' "$out" | wc -l)" = 3 ] && ok || bad "--limit 3 gave: $out"
has "$out" '{"id":1,"flag":true,"n":10,"x":1.5,"name":"plain","day":"2024-01-31","at":"2024-01-31T10:20:30Z"}'
has "$out" '{"id":2,"flag":false,"n":-3,"x":"NaN",' # JSON has no NaN: a string, not null
has "$out" '"name":"say \"hi\"","day":null'
expect 0 D --json cat all.csv; has "$out" '"name":"two\nlines"'; has "$out" '"name":"","day":"1970-01-01"'
has "$out" '"id":6,"flag":null,"n":7,"x":null,"name":"NA"'

# Convert to standard output; CSV to CSV with another delimiter; .tsv.
expect 0 D convert all-snappy.parquet -; [ "$out" = "$(cat all.csv)" ] && ok || bad "convert to - differs"
expect 0 D convert --out-delim ';' all.csv semi.csv; has "$(head -1 semi.csv)" "id;flag;n;x;name;day;at"
expect 0 D schema semi.csv; has "$out" "$(printf 'name\tstring')"  # sniffed back
expect 0 D convert --delim ';' semi.csv semi.parquet; expect 0 D cat semi.parquet; [ "$out" = "$(cat all.csv)" ] && ok || bad "semi round trip"
expect 0 D cat --delim '|' semi.parquet; has "$out" "id|flag|n|x|name|day|at"
expect 0 D cat --out-delim tab all.csv; has "$out" "$(printf 'id\tflag')"
expect 0 D convert all.csv tabs.tsv; has "$(head -1 tabs.tsv)" "$(printf 'id\tflag')"
expect 0 D convert tabs.tsv tabs.parquet; expect 0 D convert tabs.parquet tabs2.csv; same all.csv tabs2.csv

# --types and --na on CSV input.
printf 'zip,amount,note\n01234,5,-\n99999,-,x\n' > t.csv
expect 0 D convert --types zip=string,amount=double --na - t.csv t.parquet
expect 0 D schema t.parquet; has "$out" "$(printf 'zip\tstring\namount\tdouble\nnote\tstring')"
expect 0 D cat --json t.parquet; has "$out" '{"zip":"01234","amount":5,"note":null}'
has "$out" '{"zip":"99999","amount":null,"note":"x"}'
expect 2 D convert --types zip t.csv x.parquet; has "$err" "not NAME=TYPE"
expect 2 D convert --types zip=thing t.csv x.parquet; has "$err" "unknown type 'thing'"
expect 2 D convert --types amount=int64 t.csv x.parquet; has "$err" "t.csv:3:2: '-' is not a valid int64 (column 'amount')"
absent x.parquet
expect 2 D convert --types id=int64 all-snappy.parquet x.csv; has "$err" "apply to CSV input"

# Bad input: clear errors, exit 2, and no output file left behind (not even a temporary).
printf 'a,b\n1,2\n3\n' > ragged.csv
expect 2 D convert ragged.csv out.parquet; has "$err" "ragged.csv:3: ragged row"
absent out.parquet
[ -z "$(ls | grep '\.tmp-')" ] && ok || bad "temporary file left: $(ls)"
: > empty.csv
expect 2 D convert empty.csv out.parquet; has "$err" "empty.csv: empty file"
printf 'a\n\xff\n' > utf.csv
expect 2 D cat utf.csv; has "$err" "utf.csv:2: invalid UTF-8"
expect 3 D cat missing.csv; has "$err" "missing.csv"
expect 2 D convert all.csv out.xlsx; has "$err" "cannot tell the format"
expect 2 D convert --codec lzma all.csv out.parquet; has "$err" "unknown Parquet codec"
expect 2 D convert --delim ab all.csv out.csv; has "$err" "--delim"
printf 'PAR1 but not really' > fake.parquet
expect 7 D cat fake.parquet 2>/dev/null || true   # the Parquet reader says how it is damaged
[ -n "$err" ] && ok || bad "no message for a damaged Parquet file"
# an existing OUT is replaced only when the conversion succeeds
cp all.csv keep.csv
expect 2 D convert ragged.csv keep.csv; same all.csv keep.csv

# convert reads CSV once, guessing kinds from the first 65,536 rows; a value
# past them that does not fit makes it start again: same result as two passes.
{ echo "n,late"; seq 1 70000 | sed 's/$/,/'; echo "2.5,2024-01-01"; } > late.csv
expect 0 D convert late.csv late.parquet
expect 0 D schema late.parquet; [ "$out" = "$(printf 'n\tdouble\nlate\tdate')" ] && ok || bad "late schema: $out"
expect 0 D cat late.parquet; [ "$(printf '%s\n' "$out" | tail -1)" = "2.5,2024-01-01" ] && ok || bad "late tail"
[ "$(printf '%s\n' "$out" | wc -l)" = 70002 ] && ok || bad "late rows"
{ echo "a,b"; seq 1 70000 | sed 's/$/,x/'; echo "1"; } > lateragged.csv
expect 2 D convert lateragged.csv lr.parquet; has "$err" "lateragged.csv:70002: ragged row"; absent lr.parquet

# Header only: zero rows both ways.
printf 'a,b\n' > header.csv
expect 0 D convert header.csv header.parquet
expect 0 D cat header.parquet; [ "$out" = "a,b" ] && ok || bad "header only: $out"

t_end
