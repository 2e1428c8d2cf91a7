#!/usr/bin/env bash
# test_repair.sh: a write killed between its commit and its store mirror, and
# what completes it (issue 8 item 3). After every kill `datom validate` says
# "lagging" (exit 1, naming `datom repair`) or ok, never damage (exit 7);
# `datom repair` (or the next command that writes) leaves it valid (exit 0);
# no acknowledged version (a write that exited 0) is lost.
#   1. kill -9 at each named step (DATOM_TEST_CRASH_AT), completed by the next
#      write of another table, then again, completed by `datom repair`;
#   2. kill -9 at pseudo-random instants of a 300,000-row write (fixed seed);
#   3. two clones and a remote: the mirror lag of a push that failed, then was
#      replayed by a pull; a kill after the push, completed by another clone;
#   4. attacks on repair: killed at each of its steps, racing writes, two at
#      once, with nothing to do;
#   5. a version an earlier datom dropped from a history (the race of issue 8
#      item 1, made by hand): validate calls it damage, repair puts it back.
# DATOM_REPAIR_KILLS=N sets the number of random kills (16). The directory
# stays when a check fails.
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
t_begin test_repair
T=$base
mkdir -p "$T/home"
export HOME=$T/home XDG_CONFIG_HOME=$T/home GIT_CONFIG_NOSYSTEM=1
AUTHOR="Repair Tester <repair@example.org>"
RANDOM=8 # the kills' instants are the same on every run
subjects() { # N SHIFT: a synthetic export
    awk -v n="$1" -v s="$2" 'BEGIN {
        print "id,site,age,arm,enrolled"
        for (i = 1; i <= n; i++)
            printf "S%06d,site%d,%d,%s,2026-%02d-%02d\n", i, (i + s) % 7, 20 + (i * 7 + s) % 60,
                   (i % 3 ? "B" : "A"), 1 + i % 12, 1 + i % 28
    }'
}
# killed ENV... -- CMD...: runs CMD with the environment given, waits for it
# in a subshell (bash reports kills there) and returns its status
killed() { (env "$@" >/dev/null 2>&1 & wait $!) 2>/dev/null; }
ACKED=$T/acked # "TABLE VERSION" of every acknowledged write
ack() { # DIR TABLE FILE [ARGS]: a write that must succeed
    local dir=$1 table=$2 file=$3
    shift 3
    if (cd "$dir" && "$DATOM" write "$table" "$file" --json --author "$AUTHOR" "$@") >"$T/w.json" 2>"$T/w.err"; then
        echo "$table $(json_get "$T/w.json" j.metadata_sha)" >>"$ACKED"
        ok
    else bad "write $table $file in $dir: $(cat "$T/w.err")"; fi
}
# settled WHAT DIR: validate says lagging (1) or ok (0), never damage
settled() {
    (cd "$2" && "$DATOM" validate) >"$T/v.out" 2>&1
    local st=$?
    if [[ $st -eq 0 ]]; then ok
    elif [[ $st -eq 1 ]] && grep -q 'datom repair' "$T/v.out"; then ok
    else bad "$1: validate exit $st: $(cat "$T/v.out")"; fi
}
valid() { # WHAT DIR
    if (cd "$2" && "$DATOM" validate) >"$T/v.out" 2>&1; then ok; else bad "$1: not valid: $(cat "$T/v.out")"; fi
}
# all_acked WHAT DIR: every acknowledged version is in its table's history
all_acked() {
    local table v missing=0
    while read -r table v; do
        (cd "$2" && "$DATOM" history "$table" --json) >"$T/h.json" 2>/dev/null
        grep -q "\"$v\"" "$T/h.json" || { missing=$((missing + 1)); echo "  $1: $table ${v:0:12} lost" >&2; }
    done <"$ACKED"
    check "$1: acknowledged versions lost" "$missing" 0
}

P=$T/proj
"$DATOM" init "$P" --name repairs --author "$AUTHOR" >/dev/null || bad "init"
: >"$ACKED"

# the user's own files beside the tables are never discarded: a copy of a
# table's documents (untracked: no bytes of its own under its name) and a
# metadata.json that is not datom's; an interrupted first write's documents
# are set aside, not deleted
mkdir -p "$P/notes"
echo '{"mine": true}' >"$P/notes/metadata.json"
subjects 5 0 >"$P/first.csv"
ack "$P" first first.csv
cp -r "$P/first" "$P/copy_of_first"
(cd "$P" && killed DATOM_TEST_CRASH_AT=history-written "$DATOM" write newcomer first.csv --author "$AUTHOR")

# ---- 1. each named step ----
steps="converted uploaded metadata-written history-written manifest-written committed pushed mirror-frozen mirror-history mirror-metadata mirrored"
n=0
for step in $steps; do
    n=$((n + 1))
    subjects $((20 + n)) 0 >"$P/old.csv"
    subjects $((30 + n)) 1 >"$P/new.csv"
    ack "$P" crash old.csv
    (cd "$P" && killed DATOM_TEST_CRASH_AT=$step "$DATOM" write crash new.csv --author "$AUTHOR")
    check "step $step: killed" "$?" 137
    settled "step $step: after the kill" "$P"
    # the next command that writes (another table) completes it
    subjects $((40 + n)) 2 >"$P/other.csv"
    ack "$P" other other.csv
    valid "step $step: after the next write" "$P"
    # and again, completed by repair this time
    subjects $((50 + n)) 3 >"$P/new2.csv"
    (cd "$P" && killed DATOM_TEST_CRASH_AT=$step "$DATOM" write crash new2.csv --author "$AUTHOR")
    settled "step $step: after the second kill" "$P"
    (cd "$P" && "$DATOM" repair) >"$T/r.out" 2>&1 || bad "step $step: repair: $(cat "$T/r.out")"
    grep -q '^ok:' "$T/r.out" && ok || bad "step $step: repair's validation: $(cat "$T/r.out")"
    valid "step $step: after repair" "$P"
    check "step $step: clean work tree" "$(git -C "$P" status --porcelain | grep -v '^?? \(notes\|copy_of_first\)/')" ""
done
# two versions in a row whose mirrors were cut short: the next write recovers
# the older one's frozen copy from git history
for k in 1 2; do
    subjects $((60 + k)) 4 >"$P/deep$k.csv"
    (cd "$P" && killed DATOM_TEST_CRASH_AT=committed "$DATOM" write deep "deep$k.csv" --author "$AUTHOR")
done
(cd "$P" && killed DATOM_TEST_CRASH_AT=mirror-frozen "$DATOM" write deep "$P/old.csv" --author "$AUTHOR")
settled "deep lag" "$P"
ack "$P" other old.csv
valid "deep lag, after the next write" "$P"
all_acked "named steps" "$P"
check "the user's metadata.json is untouched" "$(cat "$P/notes/metadata.json")" '{"mine": true}'
cmp -s "$P/first/metadata.json" "$P/copy_of_first/metadata.json" && ok || bad "the copy of a table's documents was touched"
check "the copy is no table" "$(cd "$P" && "$DATOM" list --json | node -e "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>console.log(JSON.parse(s).some(t=>t.name=='copy_of_first')))")" false
ls "$P"/.datom/cache/leftovers/*/newcomer/metadata.json >/dev/null 2>&1 && ok || bad "the interrupted first write's documents were not set aside"
check "the interrupted first write is gone from the work tree" "$(ls "$P/newcomer" 2>/dev/null)" ""
# a kill inside an atomic write leaves DOC.tmp.PID.XXXXXX: the next write
# sets aside those of the manifest, repair those of every table; a live
# process's are left alone
dead=$(sh -c 'echo $$')
echo '{}' >"$P/.datom/manifest.json.tmp.$dead.AbC123"
echo '[]' >"$P/crash/version_history.json.tmp.$dead.AbC123"
echo '{}' >"$P/crash/metadata.json.tmp.$$.AbC123"
subjects 7 8 >"$P/other.csv"
ack "$P" other other.csv
absent "$P/.datom/manifest.json.tmp.$dead.AbC123"
(cd "$P" && "$DATOM" validate) >"$T/v.out" 2>&1
check "a stale temporary file is lag: validate exit" "$?" 1
grep -q "crash/version_history.json.tmp.$dead.AbC123: left uncommitted" "$T/v.out" && ok || bad "validate names the stale temporary file: $(cat "$T/v.out")"
(cd "$P" && "$DATOM" repair) >"$T/r.out" 2>&1 || bad "repair of a stale temporary file: $(cat "$T/r.out")"
absent "$P/crash/version_history.json.tmp.$dead.AbC123"
[[ -e "$P/crash/metadata.json.tmp.$$.AbC123" ]] && ok || bad "a live process's temporary file was taken"
rm -f "$P/crash/metadata.json.tmp.$$.AbC123"
ls "$P"/.datom/cache/leftovers/*/crash/version_history.json.tmp.$dead.AbC123 >/dev/null 2>&1 && ok || bad "a stale temporary file was not set aside"

# ---- 2. kills at random instants of a big write ----
subjects 300000 5 >"$P/big1.csv"
subjects 300000 6 >"$P/big2.csv"
start=$(date +%s%N)
ack "$P" big big1.csv
took=$((($(date +%s%N) - start) / 1000000)) # ms, to spread the kills over a write
kills=${DATOM_REPAIR_KILLS:-16}
lagged=0
for ((i = 1; i <= kills; i++)); do
    f=$((i % 2 + 1))
    # half over the whole write, half over its end, where the commit and the
    # mirror are (the conversion takes most of the time)
    if ((i % 2)); then delay=$((RANDOM % (took * 11 / 10 + 1)))
    else delay=$((took * 6 / 10 + RANDOM % (took / 2 + 1))); fi
    cd "$P" || exit 1
    "$DATOM" write big "big$f.csv" --force --author "$AUTHOR" >/dev/null 2>&1 &
    w=$! # datom itself: a subshell's pid would leave it running, killed or not
    sleep "$((delay / 1000)).$(printf '%03d' $((delay % 1000)))"
    kill -9 "$w" 2>/dev/null
    wait "$w" 2>/dev/null
    settled "random kill $i (${delay} ms)" "$P"
    [[ $(tail -1 "$T/v.out") == INCOMPLETE* ]] && lagged=$((lagged + 1))
    (cd "$P" && "$DATOM" repair) >"$T/r.out" 2>&1 || bad "random kill $i: repair: $(cat "$T/r.out")"
    valid "random kill $i: after repair" "$P"
    if (cd "$P" && "$DATOM" read big -o "$T/now.csv") 2>"$T/err"; then
        cmp -s "$T/now.csv" "$P/big1.csv" || cmp -s "$T/now.csv" "$P/big2.csv" || bad "random kill $i: read neither"
    else bad "random kill $i: unreadable: $(cat "$T/err")"; fi
done
echo "random kills: $kills, of which $lagged left a publication to complete"
all_acked "random kills" "$P"

# ---- 3. two clones, one remote, one store ----
R=$T/remote.git
git init -q --bare -b main "$R"
S=$T/shared
"$DATOM" init "$T/c0" --name remote --store "$S" --remote "$R" --author "$AUTHOR" >/dev/null || bad "init remote"
"$DATOM" clone "$R" "$T/c1" >/dev/null 2>&1 || bad "clone 1"
"$DATOM" clone "$R" "$T/c2" >/dev/null 2>&1 || bad "clone 2"
: >"$ACKED"
subjects 10 0 >"$T/c1/a.csv"
subjects 11 0 >"$T/c2/b.csv"
ack "$T/c1" alpha a.csv
# a write whose push fails: committed here, not published; a pull replays it
# on top of another clone's write
git -C "$T/c1" remote set-url --push origin "$T/nowhere.git"
subjects 12 1 >"$T/c1/a2.csv"
(cd "$T/c1" && "$DATOM" write alpha a2.csv --author "$AUTHOR") >/dev/null 2>&1 && bad "a write whose push fails must fail" || ok
ack "$T/c2" beta b.csv
git -C "$T/c1" config --unset remote.origin.pushurl
(cd "$T/c1" && "$DATOM" pull) >/dev/null 2>&1 || bad "c1 pull"
(cd "$T/c1" && "$DATOM" validate) >"$T/v.out" 2>&1
check "a replayed, unpushed write: validate exit" "$?" 1
grep -q "not pushed" "$T/v.out" && ok || bad "validate names the unpushed commit: $(cat "$T/v.out")"
(cd "$T/c1" && "$DATOM" repair) >"$T/r.out" 2>&1 || bad "c1 repair: $(cat "$T/r.out")"
grep -q "pushed 1 commit" "$T/r.out" && ok || bad "repair pushed: $(cat "$T/r.out")"
check "the remote has it" "$(git -C "$R" rev-parse main)" "$(git -C "$T/c1" rev-parse HEAD)"
(cd "$T/c2" && "$DATOM" pull) >/dev/null 2>&1 || bad "c2 pull"
valid "c2 after the repair" "$T/c2"
# a kill after the commit, before the push: a write of the same input (a
# no-op) pushes it and mirrors it
subjects 15 4 >"$T/c1/a5.csv"
(cd "$T/c1" && killed DATOM_TEST_CRASH_AT=committed "$DATOM" write alpha a5.csv --author "$AUTHOR")
(cd "$T/c1" && "$DATOM" write alpha a5.csv --author "$AUTHOR" --json) >"$T/w.out" 2>&1 || bad "no-op write after the kill: $(cat "$T/w.out")"
grep -q '"action": *"none"' "$T/w.out" && ok || bad "the same input again is a no-op: $(cat "$T/w.out")"
valid "a no-op write pushed what a kill left unpushed" "$T/c1"
check "the remote has it" "$(git -C "$R" rev-parse main)" "$(git -C "$T/c1" rev-parse HEAD)"
# a kill after the push, before the mirror: another clone completes it
subjects 13 2 >"$T/c1/a3.csv"
(cd "$T/c1" && killed DATOM_TEST_CRASH_AT=pushed "$DATOM" write alpha a3.csv --author "$AUTHOR")
(cd "$T/c2" && "$DATOM" pull) >/dev/null 2>&1 || bad "c2 pull after the kill"
valid "c2: its pull completed the mirror" "$T/c2"
valid "c1 too" "$T/c1"
# `datom push` completes the publication of what it pushes
subjects 14 3 >"$T/c1/a4.csv"
git -C "$T/c1" remote set-url --push origin "$T/nowhere.git"
(cd "$T/c1" && "$DATOM" write alpha a4.csv --author "$AUTHOR") >/dev/null 2>&1
git -C "$T/c1" config --unset remote.origin.pushurl
(cd "$T/c1" && "$DATOM" push) >/dev/null 2>&1 || bad "c1 push"
valid "c1 after push" "$T/c1"
all_acked "remote" "$T/c1"

# ---- 4. attacks on repair ----
cd "$P" || exit 1
: >"$ACKED"
lag() { # leaves the last write of table lag committed, unmirrored
    subjects $((70 + $1)) 7 >"$P/lag.csv"
    killed DATOM_TEST_CRASH_AT=committed "$DATOM" write lag lag.csv --author "$AUTHOR"
}
# killed at each of its own steps, then finished by the next repair
k=0
for step in mirror-frozen mirror-history mirror-metadata; do
    k=$((k + 1))
    lag $((10 + k))
    killed DATOM_TEST_CRASH_AT=$step "$DATOM" repair
    check "repair killed at $step" "$?" 137
    settled "after a killed repair ($step)" "$P"
    "$DATOM" repair >"$T/r.out" 2>&1 || bad "repair after a killed repair ($step): $(cat "$T/r.out")"
    valid "after a killed repair ($step), repaired" "$P"
done
# racing writes, and each other
for round in 1 2 3; do
    lag $((round + 1))
    subjects $((80 + round)) 8 >"$P/race$round.csv"
    "$DATOM" repair >"$T/r1.out" 2>&1 &
    r1=$!
    "$DATOM" repair >"$T/r2.out" 2>&1 &
    r2=$!
    ack "$P" race "race$round.csv"
    wait "$r1" || bad "round $round: repair 1: $(cat "$T/r1.out")"
    wait "$r2" || bad "round $round: repair 2: $(cat "$T/r2.out")"
    valid "round $round: after racing repairs and a write" "$P"
done
all_acked "attacks" "$P"
"$DATOM" repair --json >"$T/r.json" 2>&1 || bad "repair with nothing to do: $(cat "$T/r.json")"
check "nothing to repair" "$(json_get "$T/r.json" "[j.status, j.repaired.length].join('/')")" ok/0
"$DATOM" --store "$P/.datom/store" repair --store "$P/.datom/store" --project repairs >"$T/out" 2>&1
check "a store-only reader cannot repair" "$?" 2

# ---- 5. versions an earlier datom lost ----
# Before issue 8's fix, a write committing from a stale index put back another
# writer's older version_history.json: entries vanished. The commits that made
# them still hold their metadata.json; repair puts them back.
: >"$ACKED"
for v in 1 2 3; do
    subjects $((90 + v)) 9 >"$P/lost$v.csv"
    ack "$P" lost "lost$v.csv" -m "lost v$v"
done
json_get "$P/lost/version_history.json" "JSON.stringify(j[1])" >"$T/v2.json"
node -e "
const fs = require('fs'), f = 'lost/version_history.json';
const h = JSON.parse(fs.readFileSync(f)); h.splice(1, 1);
fs.writeFileSync(f, JSON.stringify(h, null, 2) + '\n');"
git -C "$P" -c user.name=Old -c user.email=old@example.org commit -qam "an older datom's write from a stale index" && ok || bad "commit the loss"
"$DATOM" validate >"$T/v.out" 2>&1
check "the loss is damage: validate" "$?" 7
# without a git identity the repair's commit cannot be made: nothing changes
"$DATOM" repair >"$T/r.out" 2>&1
check "repair without an author: exit status" "$?" 2
has "$(cat "$T/r.out")" "no author"
check "a failed repair leaves the work tree clean" "$(git -C "$P" status --porcelain | grep -v '^?? \(notes\|copy_of_first\)/')" ""
"$DATOM" repair --author "$AUTHOR" >"$T/r.out" 2>&1 || bad "repair of the loss: $(cat "$T/r.out")"
has "$(cat "$T/r.out")" "lost: 1 version missing from its history (lost by an earlier datom) put back"
valid "after putting the lost version back" "$P"
all_acked "lost versions" "$P"
check "the entry is as it was written" "$(json_get "$P/lost/version_history.json" "JSON.stringify(j[1])")" "$(cat "$T/v2.json")"
"$DATOM" read lost --version "$(json_get "$T/v2.json" j.version)" -o "$T/lost2.csv" 2>/dev/null && ok || bad "read the lost version"
cmp -s "$T/lost2.csv" "$P/lost2.csv" && ok || bad "the lost version reads as written"

t_end
