#!/usr/bin/env bash
# test_r_interop.sh: datom and the real R package datom 0.1.1 on one local
# store, both ways (tests/peers/r-datom: the unmodified package, and stand-ins
# for arrow, which reaches Parquet through this datom, and paws.storage).
#  - R makes a project and writes versions of every column type it hashes
#    (integer, double with NA, NaN and infinities, character with NA, "",
#    "NA" and non-ASCII, logical, Date, POSIXct); datom lists, reads every
#    version value by value, and validates it deeply (re-hashing each
#    object), through git and from the store alone.
#  - datom makes a project with `datom init` (the default store) and writes
#    the same tables; R opens it as a developer and as a reader, lists,
#    reads (value-identical data frames) and validates it. Both sides give
#    the same data_sha and metadata_sha for the same table.
#  - R appends versions to the datom project; datom reads them and validates.
# Skipped (status 77, shown by ctest) only when R is not installed: scripts/deps
# --test installs it.
set -u
SRC=${SRC:?source directory}
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
t_begin r_interop
PEER=$SRC/tests/peers/r-datom
if ! command -v Rscript >/dev/null; then
    echo "SKIPPED: R is not installed, so the R package datom cannot be tested against" >&2
    echo "this datom (scripts/deps --test installs r-base-core and what R datom needs)" >&2
    exit 77
fi
if ! "$PEER/install" >"$base/install.log" 2>&1; then
    bad "installing R datom and its stand-ins: $(tail -5 "$base/install.log")"
    t_end
fi
export R_LIBS=$PEER/lib DATOM
AUTHOR="Interop Tester <interop@example.org>"
# As on a new machine: a HOME of the test's own. R datom commits with the
# author of git's configuration (it has no author argument), so the test gives
# that HOME one; datom's writes here name theirs with --author.
mkdir -p "$base/home"
export HOME=$base/home XDG_CONFIG_HOME=$base/home GIT_CONFIG_NOSYSTEM=1
unset GIT_AUTHOR_NAME GIT_AUTHOR_EMAIL GIT_COMMITTER_NAME GIT_COMMITTER_EMAIL
git config --global user.name "Interop Tester"
git config --global user.email interop@example.org

# rside STEP ARGS...: runs a step of interop.R; its "ok"/"FAIL" lines count
# here, its "value KEY VALUE" lines land in val[KEY].
declare -A val
rside() {
    local step=$1 line
    if ! Rscript "$PEER/interop.R" "$@" >"$base/r.out" 2>"$base/r.err"; then
        bad "R step $step failed: $(tail -15 "$base/r.err") $(tail -5 "$base/r.out")"
    fi
    while IFS= read -r line; do
        case "$line" in
            "ok "*) ok ;;
            "FAIL "*) bad "R: ${line#FAIL }" ;;
            "value "*) set -- $line; val[$2]=${3:-} ;;
        esac
    done <"$base/r.out"
}
# The versions of TABLE, newest first, from `datom history --json` (in the
# current directory, or with the options given).
versions() { "$DATOM" history "$@" --json | node -e \
    'const j = JSON.parse(require("fs").readFileSync(0, "utf8")); console.log(j.map(e => e.version).join(","))'; }
current() { "$DATOM" list "$@" --json | node -e \
    'const j = JSON.parse(require("fs").readFileSync(0, "utf8")); console.log(j.map(e => e.name + "=" + e.current_version).sort().join(" "))'; }

# The tables of interop.R, in datom's CSV spelling: what datom reads back from
# R's Parquet, and what datom writes for R to read.
cat >v1.csv <<'CSV'
i,d,s,b,day,at
1,1.5,héllo 日本,true,2024-01-31,2023-11-14T22:13:20.25Z
,,,,,
-3,NaN,"",false,1970-01-01,1970-01-01T00:00:00Z
2147483647,-Inf,"NA",true,1969-12-31,1969-12-31T23:59:58.5Z
0,0.3333333333333333,"with, comma",false,2000-02-29,2000-02-29T00:00:00Z
CSV
{ cat v1.csv; cat <<'CSV'
7,1e+300,"say ""hi""",,9999-12-31,2100-01-01T00:00:00.5Z
-2147483647,-0.1,"two
lines",true,1900-03-01,1900-01-01T00:00:00Z
CSV
} >v2.csv
printf 'x\na\n\n""\nz\n' >one.csv
cat >appended.csv <<'CSV'
i,d,s,b,day,at
10,2.25,über,false,2026-12-06,
,NaN,"",,,1970-01-01T00:00:01.000001Z
CSV

# ---- R writes, datom reads ----
rside write "$base"
R=$base/rproj
cd "$R" || { bad "R made no project"; t_end; }
check "datom sees R's history of mixed" "$(versions mixed)" "${val[v3.metadata_sha]},${val[v2.metadata_sha]},${val[v1.metadata_sha]}"
check "datom lists R's tables" "$(current)" "child=${val[child.metadata_sha]} extra table (2)=${val[extra.metadata_sha]} mixed=${val[v3.metadata_sha]} one_col=${val[one.metadata_sha]}"
for v in v1 v2 v3; do
    expect 0 "$DATOM" read mixed --version "${val[$v.metadata_sha]}" -o "$base/got.csv"
    want=$base/v2.csv; [ "$v" = v1 ] && want=$base/v1.csv
    same "$base/got.csv" "$want"
done
expect 0 "$DATOM" read one_col -o "$base/got.csv"
same "$base/got.csv" "$base/one.csv"
# a factor, an integer64 beyond 2^53 (R's "i64" hash), numbers in custom metadata
expect 0 "$DATOM" read "extra table (2)" -o "$base/got.csv"
printf 'f,n,x\nb,9007199254740993,0.1\na,,2.5\n,-5,\n' >"$base/extra.csv"
same "$base/got.csv" "$base/extra.csv"
expect 0 "$DATOM" lineage child
has "$out" "one_col@${val[one.metadata_sha]:0:12}"
expect 0 "$DATOM" validate --deep --json
has "$out" '"ok":true'
has "$out" '"objects":5'
# the store alone (a reader without git)
RS=(--store "$base/rstore" --project "R study (1)")
check "store-only history" "$(versions mixed "${RS[@]}")" "${val[v3.metadata_sha]},${val[v2.metadata_sha]},${val[v1.metadata_sha]}"
check "store-only list" "$(current "${RS[@]}")" "child=${val[child.metadata_sha]} extra table (2)=${val[extra.metadata_sha]} mixed=${val[v3.metadata_sha]} one_col=${val[one.metadata_sha]}"
expect 0 "$DATOM" read mixed --version "${val[v1.metadata_sha]:0:10}" "${RS[@]}" -o "$base/got.csv"
same "$base/got.csv" "$base/v1.csv"
expect 0 "$DATOM" read mixed "${RS[@]}" -o "$base/got.csv"
same "$base/got.csv" "$base/v2.csv"

# ---- datom writes the same tables: same data_sha and metadata_sha as R ----
git init -q --bare -b main "$base/dremote.git"
D=$base/dproj
expect 0 "$DATOM" init "$D" --name d.proj --remote "$base/dremote.git" --author "$AUTHOR"
has "$(cat "$D/.datom/project.yaml")" "    root: $D/.datom/store"
cd "$D" || { bad "datom made no project"; t_end; }
declare -A dw
dwrite() { # KEY TABLE CSV [OPTIONS]: datom writes, its result in dw[KEY.*]
    local key=$1 table=$2 csv=$3 j
    shift 3
    j=$("$DATOM" write "$table" "$csv" --derived --author "$AUTHOR" --json "$@" 2>"$base/err") || bad "datom write $key: $(cat "$base/err")"
    dw[$key.data_sha]=$(node -e "console.log(JSON.parse(process.argv[1]).data_sha)" "$j")
    dw[$key.metadata_sha]=$(node -e "console.log(JSON.parse(process.argv[1]).metadata_sha)" "$j")
}
dwrite v1 mixed "$base/v1.csv" -m first
dwrite v2 mixed "$base/v2.csv" -m "more rows"
dwrite v3 mixed "$base/v2.csv" -m "same values, new metadata" --meta "note=second look" --force
dwrite one one_col "$base/one.csv"
for k in v1 v2 v3 one; do
    check "$k: data_sha, datom = R" "${dw[$k.data_sha]}" "${val[$k.data_sha]}"
    check "$k: metadata_sha, datom = R" "${dw[$k.metadata_sha]}" "${val[$k.metadata_sha]}"
done

# ---- R opens datom's project (made by `datom init`) ----
rside open "$base" "$D" "$D/.datom/store" "$base/dremote.git" d.proj
for who in developer reader; do
    check "R $who: history of mixed" "${val[$who.history]:-}" "${dw[v3.metadata_sha]},${dw[v2.metadata_sha]},${dw[v1.metadata_sha]}"
    check "R $who: current of mixed" "${val[$who.current]:-}" "${dw[v3.metadata_sha]}"
    check "R $who: data_sha of what it read" "${val[$who.rehash]:-}" "${dw[v3.data_sha]}"
    check "R $who: metadata_sha of datom's metadata.json" "${val[$who.metadata_sha]:-}" "${dw[v3.metadata_sha]}"
done

# ---- R appends to datom's project; datom reads it ----
rside append "$base" "$D" "$D/.datom/store" "$base/dremote.git" d.proj
check "datom sees R's version on top" "$(versions mixed)" "${val[append.metadata_sha]},${dw[v3.metadata_sha]},${dw[v2.metadata_sha]},${dw[v1.metadata_sha]}"
expect 0 "$DATOM" read mixed -o "$base/got.csv"
same "$base/got.csv" "$base/appended.csv"
expect 0 "$DATOM" read from_r -o "$base/got.csv"
same "$base/got.csv" "$base/v1.csv"
check "R's from_r: the data_sha of v1" "${val[from_r.data_sha]}" "${dw[v1.data_sha]}"
expect 0 "$DATOM" validate --deep --json
has "$out" '"ok":true'
DS=(--store "$D/.datom/store" --project d.proj)
expect 0 "$DATOM" read mixed "${DS[@]}" -o "$base/got.csv"
same "$base/got.csv" "$base/appended.csv"
# and datom goes on writing after R: back to v2's values (its stored object reused)
dwrite back mixed "$base/v2.csv" -m "back to v2"
check "a revert keeps v2's data_sha" "${dw[back.data_sha]}" "${dw[v2.data_sha]}"
expect 0 "$DATOM" validate --deep --json
has "$out" '"ok":true'
check "git is clean after both" "$(git status --porcelain)" ""
t_end
