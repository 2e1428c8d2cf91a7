#!/usr/bin/env bash
# test_messages.sh: what the command says, and to whom: control characters
# in names and file names escaped (never sent raw to the terminal); a long
# name's error keeps its reason; names that differ only in case, or end in a
# space; a truncated .parquet is Parquet (the extension decides), a Parquet
# file by another name too (the magic); file: URLs; getopt's complaints said
# once, with our prefix; global options after store subcommands; output that
# cannot be written (/dev/full) fails naming standard output, --help too.
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
t_begin messages
AUTHOR="Message Tester <messages@example.org>"
ESC=$'\033'
# raw CONTROL-free: stderr holds no byte below 0x20 but newlines
no_controls() { if LC_ALL=C grep -q '[^[:print:]]' <<<"$1"; then bad "raw control bytes in: $1"; else ok; fi; }

expect 0 "$DATOM" init p --name p --author "$AUTHOR"
cd p || exit 1
printf 'a,b\n1,2\n' >../f.csv
expect 0 "$DATOM" write t ../f.csv --author "$AUTHOR"

# ---- control characters ----
expect 2 "$DATOM" write "x${ESC}[2Jy" ../f.csv --author "$AUTHOR"; has "$err" 'x\x1b[2Jy'; no_controls "$err"
expect 2 "$DATOM" read "t${ESC}]0;owned${ESC}\\"; no_controls "$err"
bad_file="../ragged${ESC}[31m$(printf '\r')x.csv"
printf 'a,b\n1,2,3\n' >"$bad_file"
expect 2 "$DATOM" write t2 "$bad_file" --author "$AUTHOR"; has "$err" 'ragged\x1b[31m\rx.csv:2'; no_controls "$err"
expect 2 "$DATOM" convert "$bad_file" ../o.parquet; no_controls "$err"
cp "$bad_file" "input_files/in${ESC}[1m.csv"
expect 1 "$DATOM" sync; no_controls "$out"; no_controls "$err"; has "$out" 'in\x1b[1m.csv'
rm -f input_files/*
expect 2 "$DATOM" read --x"${ESC}"y t; no_controls "$err"
expect 2 "$DATOM" "verb${ESC}[5m"; no_controls "$err"

# ---- a long name keeps the reason of its error ----
long=$(printf 'a%.0s' $(seq 5000))
expect 2 "$DATOM" write "$long" ../f.csv --author "$AUTHOR"; has "$err" "longer than 128 characters"
[[ ${#err} -lt 4200 ]] && ok || bad "a 5000-character name's error is ${#err} bytes"
expect 3 "$DATOM" write t3 "../$long.csv" --author "$AUTHOR"; has "$err" "no such file"

# ---- names that differ only in case, or end in a space ----
expect 4 "$DATOM" write T ../f.csv --author "$AUTHOR"; has "$err" "only in case"
expect 2 "$DATOM" write "t4 " ../f.csv --author "$AUTHOR"; has "$err" "end in a space"
expect 0 "$DATOM" write t ../f.csv --author "$AUTHOR" --force # the existing name is fine
expect 0 "$DATOM" list --json; check "no new table" "$(node -e 'console.log(JSON.parse(process.argv[1]).length)' "$out")" 1

# ---- .parquet: the extension decides; other names: the magic ----
expect 0 "$DATOM" convert ../f.csv ../good.parquet
for n in 1 2 3; do
    head -c $n ../good.parquet >../cut$n.parquet
    expect 7 "$DATOM" write cut ../cut$n.parquet --author "$AUTHOR"; has "$err" "not a valid Parquet file"
    expect 7 "$DATOM" cat ../cut$n.parquet; has "$err" "cut$n.parquet"
done
cp ../good.parquet ../disguised.csv
expect 0 "$DATOM" schema ../disguised.csv --json; has "$out" '"rows":1'

# ---- file: URLs ----
S=$base/fs
mkdir -p "$S"
for url in "file:" "file:relative" "file://otherhost$S" "file:///x%00y"; do
    expect 2 "$DATOM" --store "$url" store ls
    expect 2 "$DATOM" --store "$url" store put ../f.csv
done
absent "file:"
absent "file:relative"
expect 0 "$DATOM" --store "file://localhost$S" store put --key k ../f.csv
expect 0 "$DATOM" --store "file:$S" store get k; has "$out" "a,b"
expect 0 "$DATOM" --store "file://$S" store ls; check "one object" "$out" "k"
mkdir -p "$base/sp ace"
expect 0 "$DATOM" --store "file://localhost$base/sp%20ace" store put --key k ../f.csv
[[ -f "$base/sp ace/k" ]] && ok || bad "file URL not percent-decoded"
cd "$base" || exit 1
expect 2 "$DATOM" init q --name q --store file:relative --author "$AUTHOR"
absent q
absent file:relative
expect 0 "$DATOM" init q --name q --store "file://localhost$base/qstore" --author "$AUTHOR"
has "$(cat q/.datom/project.yaml)" "root: $base/qstore"
cd p || exit 1

# ---- getopt's complaints: once, with our prefix ----
expect 2 "$DATOM" read --bogus t
check "one line and the hint" "$(printf '%s\n' "$err" | head -1)" "datom read: unrecognized option '--bogus'"
check "said once" "$(grep -c "unrecognized\|invalid option" <<<"$err")" 1
expect 2 "$DATOM" read t --version; has "$err" "datom read: option '--version' needs a value"
expect 2 "$DATOM" --bogus list; has "$err" "datom: unrecognized option '--bogus'"
expect 2 "$DATOM" store get -x k; has "$err" "datom store get: unrecognized option '-x'"
expect 2 "$DATOM" write t ../f.csv --nope; has "$err" "datom write: unrecognized option '--nope'"
check "said once" "$(grep -c "unrecognized\|expected" <<<"$err")" 1

# ---- global options after store subcommands ----
expect 0 "$DATOM" store put --store "$S" --key k2 ../f.csv
expect 0 "$DATOM" store ls --store "$S" --verbose; has "$out" "k2"; has "$err" "read-only"
expect 0 "$DATOM" store get --store "$S" k2; has "$out" "a,b"
expect 0 "$DATOM" store set-ref --create r v --store "$S"
expect 0 "$DATOM" store cat-ref r --store "$S" --quiet; check "ref" "$out" "v"
expect 0 "$DATOM" store rm k2 --store "$S"
expect 3 "$DATOM" store get --store "$S" k2

# ---- output that cannot be written ----
if [[ -w /dev/full ]]; then
    expect 8 sh -c '"$0" read t >/dev/full' "$DATOM"; has "$err" "standard output"
    expect 8 sh -c '"$0" cat ../f.csv >/dev/full' "$DATOM"; has "$err" "standard output"
    expect 8 sh -c '"$0" --store "$1" store get k >/dev/full' "$DATOM" "$S"; has "$err" "standard output"
    for args in "--help" "--version" "version" "read --help" "store --help" "store ls --help" "init --help"; do
        # shellcheck disable=SC2086
        expect 8 sh -c '"$0" "$@" >/dev/full' "$DATOM" $args; has "$err" "standard output"
    done
fi
cd "$base" || exit 1
t_end
