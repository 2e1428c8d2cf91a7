# tests/lib.sh: what the shell tests share. A test starts with
#     . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#     t_begin NAME
# which checks DATOM, makes a fresh directory $base under TEST_TMP and enters
# it; it ends with t_end, which prints "N passed, M failed", removes $base
# when nothing failed (it stays for a look otherwise) and exits non-zero on a
# failure.
DATOM=${DATOM:?path of the datom command}
passed=0 failed=0

t_begin() {
    base=${TEST_TMP:-/tmp}/$1.$$
    rm -rf "$base" && mkdir -p "$base"
    cd "$base" || exit 1
}

t_end() {
    echo "$passed passed, $failed failed"
    cd / && [ "$failed" = 0 ] && rm -rf "$base"
    [ "$failed" = 0 ]
    exit
}

ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*" >&2; }
# expect STATUS CMD...: runs CMD, checks its exit status; output in $out, errors in $err.
expect() {
    local want=$1; shift
    out=$("$@" 2>"$base/err"); local got=$?
    err=$(cat "$base/err")
    if [ "$got" = "$want" ]; then ok; else bad "$* -> exit $got, wanted $want ($err)"; fi
}
# has TEXT PART: TEXT contains PART.
has() { case "$1" in *"$2"*) ok ;; *) bad "\"$1\" lacks \"$2\"" ;; esac; }
# check WHAT GOT WANT: GOT equals WANT.
check() { if [ "$2" = "$3" ]; then ok; else bad "$1: got [$2] wanted [$3]"; fi; }
same() { if cmp -s "$1" "$2"; then ok; else bad "$1 and $2 differ"; diff "$1" "$2" | head -5 >&2; fi; }
absent() { if [ -e "$1" ]; then bad "$1 exists"; else ok; fi; }

# json_get FILE EXPRESSION: EXPRESSION (JavaScript over `j`, the JSON of FILE).
json_get() {
    node -e "const j = JSON.parse(require('fs').readFileSync('$1', 'utf8')); console.log($2)"
}

# A CSV of every kind the CSV reader infers, with nulls, quoting and a line
# break in a field, in the CSV writer's own spelling (so CSV -> Parquet -> CSV
# gives the same bytes).
all_kinds_csv() {
    cat <<'CSV'
id,flag,n,x,name,day,at
1,true,10,1.5,plain,2024-01-31,2024-01-31T10:20:30Z
2,false,-3,NaN,"with, comma",1999-12-31,1970-01-01T00:00:00.000001Z
3,,,-Inf,"say ""hi""",,
4,true,9223372036854775807,0.1,"two
lines",2000-02-29,2024-06-01T00:00:00.5Z
5,false,0,1e+300,"",1970-01-01,1969-12-31T23:59:59Z
6,,7,,"NA",,
CSV
}
