#!/usr/bin/env bash
# test_races.sh: writers racing, as scripts and colleagues do (issue 8 item 1).
# Every write that exits 0 must be in the history afterwards, whether the
# writers share one work tree, one store, or only a git remote:
#   1. 48 writes in one work tree: 8 processes at once, three tables with one
#      writer each and five writers of one table;
#   2. two clones sharing one bare remote and one store, two writers in each;
#   3. two clones sharing only the remote (each its own local store, so no
#      common lock: the push itself must refuse to lose a commit);
#   4. `datom pull` running while writes go on in the same work tree.
# Each acknowledged write is checked in `datom history`, in `git log` (its
# commit is an ancestor of HEAD and of the remote's branch), in the manifest's
# version count, and `datom validate` passes. The directory stays when a check fails.
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
t_begin test_races
T=$base
mkdir -p "$T/home"
export HOME=$T/home XDG_CONFIG_HOME=$T/home GIT_CONFIG_NOSYSTEM=1
AUTHOR="Race Tester <race@example.org>"

# writer DIR TABLE TAG N LOG: N writes of distinct content; each acknowledged
# one (exit 0) appends "TABLE METADATA_SHA COMMIT_SHA" to LOG, each failure
# a line to LOG.err (with datom's message; a sanitizer's report on stderr is
# not a failure).
writer() {
    local dir=$1 table=$2 tag=$3 n=$4 log=$5 i out
    cd "$dir" || exit 1
    for ((i = 1; i <= n; i++)); do
        printf 'who,round,x\n%s,%d,%d\n' "$tag" "$i" "$((RANDOM))" >"in-$tag.csv"
        if out=$("$DATOM" write "$table" "in-$tag.csv" -m "$tag $i" --json --author "$AUTHOR" 2>"$T/$tag.stderr"); then
            sed -E 's/.*"metadata_sha":"([0-9a-f]+)".*"action":"([a-z_]+)".*"commit_sha":"([0-9a-f]*)".*/'"$table"' \1 \3 \2/' <<<"$out" >>"$log"
        else
            echo "$tag $i failed: $(grep '^datom' "$T/$tag.stderr")" >>"$log.err"
        fi
    done
}

# account DIR LOG WHAT: every acknowledged write of LOG is in DIR's project;
# sets n_accounted.
account() {
    local dir=$1 log=$2 what=$3 table sha commit action
    local n=0 missing=0 lost=0
    declare -A hist=()
    for table in $(cut -d' ' -f1 "$log" | sort -u); do
        "$DATOM" -q history "$table" --json >"$T/h.json" 2>"$T/err" || bad "$what: history $table: $(cat "$T/err")"
        hist[$table]=$(json_get "$T/h.json" "j.map(e => e.version).join(' ')")
        check "$what: $table's manifest counts its history" \
            "$(json_get "$dir/.datom/manifest.json" "j.tables['$table'].version_count")" \
            "$(json_get "$T/h.json" j.length)"
    done
    while read -r table sha commit action; do
        n=$((n + 1))
        [[ " ${hist[$table]} " == *" $sha "* ]] || { missing=$((missing + 1)); echo "  $what: $table ${sha:0:12} missing from the history" >&2; }
        if [[ -n "$commit" ]]; then
            git -C "$dir" merge-base --is-ancestor "$commit" HEAD 2>/dev/null || { lost=$((lost + 1)); echo "  $what: commit ${commit:0:12} ($table) not in git log" >&2; }
        fi
    done <"$log"
    check "$what: acknowledged writes missing from their history" "$missing" 0
    check "$what: acknowledged commits missing from git log" "$lost" 0
    n_accounted=$n
}

# ---- 1. one work tree, 8 writers at once ----
P=$T/one
"$DATOM" init "$P" --name races --author "$AUTHOR" >/dev/null || bad "init"
: >"$T/one.log"
for w in tA tB tC; do writer "$P" "$w" "$w" 6 "$T/one.log" & done
for w in 1 2 3 4 5; do writer "$P" same "s$w" 6 "$T/one.log" & done
wait
check "one work tree: no write failed" "$(cat "$T/one.log.err" 2>/dev/null)" ""
check "one work tree: 48 writes acknowledged" "$(wc -l <"$T/one.log")" 48
cd "$P" || exit 1
account "$P" "$T/one.log" "one work tree"
n=$n_accounted
check "one work tree: accounted" "$n" 48
"$DATOM" -q history same --json >"$T/h.json"
check "one work tree: 'same' keeps all 30 versions" "$(json_get "$T/h.json" j.length)" 30
check "one work tree: one commit per write, plus init" "$(git -C "$P" rev-list --count HEAD)" 49
"$DATOM" validate >"$T/out" 2>&1 && ok || bad "one work tree: validate: $(cat "$T/out")"
check "one work tree: the work tree is clean" "$(git -C "$P" status --porcelain)" ""

# ---- 2. two clones, one remote, one store ----
R=$T/remote.git
git init -q --bare -b main "$R"
S=$T/shared-store
"$DATOM" init "$T/c0" --name shared --store "$S" --remote "$R" --author "$AUTHOR" >/dev/null || bad "init shared"
"$DATOM" clone "$R" "$T/c1" >/dev/null 2>&1 || bad "clone 1"
"$DATOM" clone "$R" "$T/c2" >/dev/null 2>&1 || bad "clone 2"
: >"$T/two.log"
writer "$T/c1" alpha a1 6 "$T/two.log" &
writer "$T/c1" both b1 6 "$T/two.log" &
writer "$T/c2" beta a2 6 "$T/two.log" &
writer "$T/c2" both b2 6 "$T/two.log" &
wait
check "two clones: no write failed" "$(cat "$T/two.log.err" 2>/dev/null)" ""
check "two clones: 24 writes acknowledged" "$(wc -l <"$T/two.log")" 24
"$DATOM" clone "$R" "$T/c3" >/dev/null 2>&1 || bad "clone 3"
cd "$T/c3" || exit 1
account "$T/c3" "$T/two.log" "two clones"
n=$n_accounted
check "two clones: accounted in a fresh clone" "$n" 24
"$DATOM" validate >"$T/out" 2>&1 && ok || bad "two clones: validate: $(cat "$T/out")"
for c in c1 c2; do
    (cd "$T/$c" && "$DATOM" pull >/dev/null 2>&1) || bad "$c: pull"
    check "$c: up to date with the remote" "$(git -C "$T/$c" rev-parse HEAD)" "$(git -C "$R" rev-parse main)"
    check "$c: clean work tree" "$(git -C "$T/$c" status --porcelain)" ""
done

# ---- 3. two clones sharing only the remote: no common lock ----
R2=$T/remote2.git
git init -q --bare -b main "$R2"
"$DATOM" init "$T/d0" --name apart --remote "$R2" --author "$AUTHOR" >/dev/null || bad "init apart"
"$DATOM" clone "$R2" "$T/d1" >/dev/null 2>&1 || bad "clone d1"
"$DATOM" clone "$R2" "$T/d2" >/dev/null 2>&1 || bad "clone d2"
: >"$T/apart.log"
writer "$T/d1" x x1 8 "$T/apart.log" &
writer "$T/d1" y y1 8 "$T/apart.log" &
writer "$T/d2" x x2 8 "$T/apart.log" &
writer "$T/d2" z z2 8 "$T/apart.log" &
wait
# a write may give up after many lost push races (it says so, exit 5); none
# that exited 0 may be missing from the remote
"$DATOM" clone "$R2" "$T/d3" >/dev/null 2>&1 || bad "clone d3"
cd "$T/d3" || exit 1
account "$T/d3" "$T/apart.log" "shared remote only"
n=$n_accounted
[[ $n -ge 24 ]] && ok || bad "shared remote only: only $n of 32 writes acknowledged: $(head -3 "$T/apart.log.err")"
while read -r table sha commit action; do
    git -C "$R2" merge-base --is-ancestor "$commit" main 2>/dev/null || bad "shared remote only: $table ${commit:0:12} not on the remote"
done <"$T/apart.log"

# ---- 4. `datom pull` while writes go on in the same work tree ----
: >"$T/pull.log"
(
    cd "$T/c1" || exit 1
    for i in 1 2 3 4 5 6 7 8; do
        "$DATOM" pull >/dev/null 2>"$T/pull.stderr" || echo "pull $i failed: $(cat "$T/pull.stderr")" >>"$T/pull.log.err"
    done
) &
writer "$T/c1" gamma g1 6 "$T/pull.log" &
writer "$T/c1" gamma g2 6 "$T/pull.log" &
writer "$T/c2" delta d2 6 "$T/pull.log" &
wait
check "pull during writes: nothing failed" "$(cat "$T/pull.log.err" 2>/dev/null)" ""
(cd "$T/c3" && "$DATOM" pull >/dev/null 2>&1) || bad "c3: pull"
cd "$T/c3" || exit 1
account "$T/c3" "$T/pull.log" "pull during writes"
n=$n_accounted
check "pull during writes: accounted" "$n" 18
"$DATOM" validate >"$T/out" 2>&1 && ok || bad "pull during writes: validate: $(cat "$T/out")"
check "c1: clean work tree after pulls and writes" "$(git -C "$T/c1" status --porcelain)" ""

t_end
