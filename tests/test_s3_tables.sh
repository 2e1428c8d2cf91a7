#!/usr/bin/env bash
# test_s3_tables.sh: the table verbs on a real Ceph RADOS Gateway (tests/rgw.sh):
# init --store s3://..., write, read, history, list, lineage, sync, validate
# --deep, clone/pull/push; the git-less reader with read-only credentials (and
# a proxy that proves none of its commands writes); kill -9 at every step of a
# write; 8 concurrent writers through one remote; every verb with -vv and with
# failures forced, and no secret in any output, git history or stored object.
set -uo pipefail
. "$SRC/tests/lib.sh"
t_begin test_s3_tables
. "$SRC/tests/s3lib.sh"
s3_begin
AUTHOR="S3 Tester <s3@example.org>"
STORE="s3://$B/teams/x?endpoint=$EP"
BARE="s3://$B?endpoint=$EP"
log=$base/all-output.log
: >"$log"
json() { node -e "const j = JSON.parse(require('fs').readFileSync(0, 'utf8')); console.log($1)"; }
# w STATUS CMD...: runs CMD as the writer (-vv), keeping all output for the secret check.
w() {
    local want=$1; shift
    expect "$want" W "$@"
    printf '%s\n%s\n' "$out" "$err" >>"$log"
}
r() {
    local want=$1; shift
    expect "$want" RO "$@"
    printf '%s\n%s\n' "$out" "$err" >>"$log"
}
subjects() { # N [SHIFT]
    awk -v n="$1" -v s="${2:-0}" 'BEGIN { print "id,site,age"; for (i = 1; i <= n; i++) printf "%d,S%d,%d\n", i, i % 4, 20 + (i * 7 + s) % 50 }'
}

# ---- a project on S3 ----
git init -q --bare -b main remote.git
RM=$base/remote.git
w 0 "$DATOM" -vv init p0 --name shared --store "$STORE" --remote "$RM" --author "$AUTHOR"
yaml=$(cat p0/.datom/project.yaml)
has "$yaml" "type: s3"; has "$yaml" "root: $B"; has "$yaml" "prefix: teams/x"
has "$yaml" "region: us-east-1"; has "$yaml" "endpoint: \"$EP\""
cd p0 || exit 1
subjects 50 >v1.csv
subjects 50 1 >v2.csv
w 0 "$DATOM" -vv write subjects v1.csv -m first --author "$AUTHOR" --json
V1=$(json j.metadata_sha <<<"$out")
w 0 "$DATOM" -vv write subjects v1.csv --author "$AUTHOR" --json; check "same again" "$(json j.action <<<"$out")" none
w 0 "$DATOM" -vv write subjects v2.csv -m second --author "$AUTHOR" --json; check "new values" "$(json j.action <<<"$out")" full
w 0 "$DATOM" -vv read subjects --version "${V1:0:8}" -o first.csv; same first.csv v1.csv
w 0 "$DATOM" -vv history subjects --json; check "two versions" "$(json j.length <<<"$out")" 2
w 0 "$DATOM" -vv write derived v2.csv --parent "subjects@${V1:0:8}" --derived --author "$AUTHOR"
w 0 "$DATOM" -vv lineage derived --json; has "$out" "$V1"
mkdir -p input_files && subjects 9 >input_files/sites.csv
w 0 "$DATOM" -vv sync --json; has "$out" "sites"
w 0 "$DATOM" -vv list --json; has "$out" "derived"; has "$out" "sites"
w 0 "$DATOM" -vv validate --deep
w 0 "$DATOM" -vv status
w 0 "$DATOM" -vv show subjects
w 0 "$DATOM" -vv summary
w 0 "$DATOM" -vv --store "$BARE" store ls teams/x/datom/.metadata/
w 0 "$DATOM" -vv push
cd "$base" || exit 1

# ---- clone, pull: bytes come from the bucket ----
w 0 "$DATOM" -vv clone "$RM" c1
(cd c1 && W "$DATOM" read subjects -o got.csv) 2>>"$log" && same c1/got.csv p0/v2.csv || bad "read in a clone"
(cd p0 && subjects 5 2 >v3.csv && W "$DATOM" write small v3.csv --author "$AUTHOR") >/dev/null 2>>"$log" || bad "write small"
(cd c1 && W "$DATOM" pull && W "$DATOM" read small -o s.csv) >/dev/null 2>>"$log" && same c1/s.csv p0/v3.csv || bad "pull"

# ---- the git-less reader, with read-only credentials, through a counting proxy ----
proxy_start
RS="s3://$B?endpoint=$PX"
proxy_rules '[]'
r 0 "$DATOM" -vv read subjects --store "$RS" --project shared --prefix teams/x -o ro.csv; same ro.csv p0/v2.csv
r 0 "$DATOM" -vv read subjects --version "${V1:0:6}" --store "$RS" --project shared --prefix teams/x -o ro1.csv; same ro1.csv p0/v1.csv
r 0 "$DATOM" -vv history subjects --store "$RS" --project shared --prefix teams/x --json
check "reader history" "$(json j.length <<<"$out")" 2
r 0 "$DATOM" -vv list --store "$RS" --project shared --prefix teams/x --json; has "$out" "subjects"
r 0 "$DATOM" -vv lineage derived --store "$RS" --project shared --prefix teams/x
methods=$(proxy_done)
has "$methods" '"GET"'
case "$methods" in *PUT*|*POST*|*DELETE*) bad "a reader's command wrote: $methods" ;; *) ok ;; esac
# and the server refuses the reader's writes anyway
r 8 "$DATOM" --store "$BARE" store put --key teams/x/datom/evil p0/v1.csv; has "$err" "403"

# ---- kill -9 at every step of a write ----
cd p0 || exit 1
steps="converted uploaded metadata-written history-written manifest-written committed pushed mirror-frozen mirror-history mirror-metadata mirrored"
n=0
for step in $steps; do
    n=$((n + 1))
    subjects $((20 + n)) >old.csv
    subjects $((40 + n)) 1 >new.csv
    W "$DATOM" write crash old.csv --author "$AUTHOR" >/dev/null 2>>"$log" || bad "crash $step: old write"
    (DATOM_TEST_CRASH_AT=$step W "$DATOM" write crash new.csv --author "$AUTHOR" >/dev/null 2>&1 &
        wait $!) 2>/dev/null
    st=$?
    [[ $st -eq 137 ]] || bad "crash $step: expected a kill, exit $st"
    for where in git mirror; do
        opts=()
        [[ $where == mirror ]] && opts=(--store "$BARE" --project shared --prefix teams/x)
        if W "$DATOM" read crash "${opts[@]}" -o now.csv >/dev/null 2>err; then
            if cmp -s now.csv old.csv || cmp -s now.csv new.csv; then ok; else bad "crash $step: $where reads neither old nor new"; fi
        else bad "crash $step: $where unreadable: $(cat err)"; fi
    done
    w 0 "$DATOM" write crash new.csv --author "$AUTHOR"
    w 0 "$DATOM" validate
done
w 0 "$DATOM" validate --deep
cd "$base" || exit 1

# ---- 8 concurrent writers through one remote ----
for i in 1 2 3 4 5 6 7 8; do
    W "$DATOM" clone "$RM" "w$i" >/dev/null 2>>"$log" || bad "clone w$i"
done
: >race.err
writer() { # I: its own table twice, then the shared table once
    cd "$base/w$1" || exit 1
    for v in 1 2; do
        subjects $((10 * v + $1)) "$1" >"own.csv"
        W "$DATOM" write "own$1" own.csv -m "w$1 v$v" --author "$AUTHOR" >/dev/null 2>>"$base/race.err" || echo "w$1 own v$v failed" >>"$base/race.err"
    done
    subjects $((30 + $1)) "$1" >shared.csv
    W "$DATOM" write common shared.csv -m "w$1 common" --author "$AUTHOR" >/dev/null 2>>"$base/race.err" || echo "w$1 common failed" >>"$base/race.err"
}
pids=()
for i in 1 2 3 4 5 6 7 8; do
    writer "$i" &
    pids+=($!)
done
wait "${pids[@]}" # only the writers: the gateway runs in the background too
check "no writer failed" "$(grep -c failed race.err)" 0
grep failed race.err | head -5 >&2
cat race.err >>"$log"
w 0 "$DATOM" clone "$RM" final
cd final || exit 1
w 0 "$DATOM" list --json
for i in 1 2 3 4 5 6 7 8; do has "$out" "own$i"; done
w 0 "$DATOM" history common --json; check "8 versions of the shared table" "$(json j.length <<<"$out")" 8
w 0 "$DATOM" history own3 --json; check "2 versions each" "$(json j.length <<<"$out")" 2
w 0 "$DATOM" validate --deep
cd "$base" || exit 1

# ---- failures forced, -vv: errors name the bucket and key, never a secret ----
cd p0 || exit 1
subjects 11 3 >f.csv
w 8 env DATOM_TEST_STORE_FAULT=put=1+ "$DATOM" -vv write faulty f.csv --author "$AUTHOR"
has "$err" "injected fault"
w 8 env AWS_SECRET_ACCESS_KEY=wrong-secret-000 "$DATOM" -vv read subjects -o x.csv; has "$err" "403"
w 8 env AWS_SECRET_ACCESS_KEY=wrong-secret-000 "$DATOM" -vv write faulty f.csv --author "$AUTHOR"
w 0 "$DATOM" -vv write faulty f.csv --author "$AUTHOR"
w 0 "$DATOM" -vv validate --deep
cd "$base" || exit 1
for s in "$RGW_WRITER_SECRET" "$RGW_READER_SECRET"; do
    if grep -rqF -- "$s" "$log"; then bad "a secret was printed"; else ok; fi
    hits=0
    for repo in remote.git p0 c1 final; do
        git -C "$repo" log --all -p 2>/dev/null | grep -qF -- "$s" && hits=$((hits + 1))
        grep -rqF -- "$s" "$repo" 2>/dev/null && hits=$((hits + 1))
    done
    check "secret in git" "$hits" 0
done
# every object of the bucket, its bytes as the server has them
W "$DATOM" --store "$BARE" store ls >keys.txt 2>>"$log" || bad "list the bucket"
rgw_get_all objects <keys.txt || bad "fetch every object"
check "every object fetched" "$(find objects -type f | wc -l)" "$(wc -l <keys.txt)"
check "secret in the store ($(wc -l <keys.txt) objects)" "$(grep -rlaF -- "$RGW_WRITER_SECRET" objects | wc -l)" 0
t_end
