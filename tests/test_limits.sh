#!/usr/bin/env bash
# test_limits.sh: the CSV limits (docs/formats.md, "Limits") from the command:
# a 2.2 GB field and a 100,000-column file fail at once, naming the file,
# line, column and limit, in bounded memory (peak RSS measured with
# /usr/bin/time, unless the build has AddressSanitizer); a file at the column
# limit converts, writes and reads back.
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
t_begin limits
AUTHOR="Limit Tester <limits@example.org>"
measure=0
if [[ -x /usr/bin/time ]] && ! grep -q __asan_init "$DATOM"; then measure=1; fi
# peak MAX_MB CMD...: runs CMD as expect does; its peak RSS must stay under MAX_MB
peak() {
    local max=$1 want=$2; shift 2
    if ((measure)); then
        expect "$want" /usr/bin/time -o rss.txt -f %M "$@"
        local kb; kb=$(tail -1 rss.txt)
        if ((kb / 1024 < max)); then ok; else bad "$* took $((kb / 1024)) MB, over $max MB"; fi
    else
        expect "$want" "$@"
    fi
}

# A 2.2 GB field (a sparse file: no disk), unquoted and quoted.
printf 'id,blob\n1,' >big.csv && truncate -s 2200000000 big.csv
printf 'id,blob\n1,"' >bigq.csv && truncate -s 2200000000 bigq.csv
for f in big bigq; do
    peak 400 2 "$DATOM" convert $f.csv $f.parquet
    has "$err" "$f.csv:2:2: a field longer than 256 MiB"
    absent $f.parquet
    peak 400 2 "$DATOM" schema $f.csv
done
# 100,000 columns (an 888 KB file)
awk 'BEGIN { n = 100000; for (i = 1; i <= n; i++) printf "c%d%s", i, (i < n ? "," : "\n");
             for (i = 1; i <= n; i++) printf "%d%s", i, (i < n ? "," : "\n") }' >wide.csv
peak 100 2 "$DATOM" convert wide.csv wide.parquet; has "$err" "wide.csv:1: more than 32767 columns"
peak 100 2 "$DATOM" cat wide.csv; has "$err" "32767 columns"

# In a project: nothing is written, the message is the reader's.
expect 0 "$DATOM" init p --name p --author "$AUTHOR"
cd p || exit 1
printf 'id,blob\n1,' >../mid.csv && truncate -s 300000000 ../mid.csv
peak 400 2 "$DATOM" write t ../mid.csv --author "$AUTHOR"; has "$err" "mid.csv:2:2: a field longer than 256 MiB"
peak 100 2 "$DATOM" write t ../wide.csv --author "$AUTHOR"; has "$err" "more than 32767 columns"
expect 0 "$DATOM" list --json; check "nothing written" "$out" "[]"

# At the column limit: 32,767 columns, all named alike (renamed a, a_2, ...).
awk 'BEGIN { n = 32767; for (i = 1; i <= n; i++) printf "a%s", (i < n ? "," : "\n");
             for (r = 0; r < 3; r++) for (i = 1; i <= n; i++) printf "%d%s", i + r, (i < n ? "," : "\n") }' >../edge.csv
peak 512 0 "$DATOM" write edge ../edge.csv --author "$AUTHOR"
peak 1024 0 "$DATOM" read edge -o ../edge.back.csv
check "header renamed" "$(head -c 12 ../edge.back.csv)" "a,a_2,a_3,a_"
check "values back" "$(tail -n +2 ../edge.back.csv | md5sum)" "$(tail -n +2 ../edge.csv | md5sum)"
cd "$base" || exit 1
t_end
