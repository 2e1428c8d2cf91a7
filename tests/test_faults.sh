#!/usr/bin/env bash
# test_faults.sh: a store on a disk that is really full (issue 8 item 11): a
# 4 MiB tmpfs mounted in a private mount namespace (as root: `unshare -m`;
# otherwise a user namespace, `unshare -r -m`; the test is skipped, saying
# so, where neither is allowed). No fault is injected: the kernel says ENOSPC.
#   1. taking over a lock whose holder is gone, on a full disk: the write ends
#      at once with the real cause, not after 5 minutes blaming another writer;
#   2. a write whose disk fills while it holds the lock (stopped there with
#      DATOM_TEST_STOP_AT, the disk filled, then continued): it fails naming
#      the cause, its lock release fails too and leaves the lock naming it;
#      once space is back the next writer takes the lock over and publishes,
#      and `datom validate` passes;
#   3. a lock naming a live process of another incarnation (a pid reused by
#      the system) is taken over; one naming its live holder is not;
#   4. `datom repair` on a read-only store: with nothing to do it succeeds
#      (it takes no lock); with a lagging mirror it fails at once naming the
#      cause, and changes nothing; once writable it completes the mirror.
# The directory stays when a check fails.
set -uo pipefail
: "${DATOM:?path of the built datom}" "${TEST_TMP:=/tmp}"
if [[ -z "${DATOM_FAULTS_NS:-}" ]]; then
    ns=(unshare -m)
    [[ $(id -u) -eq 0 ]] || ns=(unshare -r -m)
    if "${ns[@]}" true 2>/dev/null; then
        DATOM_FAULTS_NS=1 exec "${ns[@]}" bash "$0" "$@"
    fi
    echo "0 passed, 0 failed (skipped: no mount namespace for a small tmpfs here; run as root or allow user namespaces)"
    exit 0
fi
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
t_begin test_faults
T=$base
mkdir -p "$T/home" "$T/full"
trap 'umount "$T/full" 2>/dev/null' EXIT
if ! mount -t tmpfs -o size=4m tmpfs "$T/full"; then
    echo "0 passed, 0 failed (skipped: cannot mount a tmpfs)"
    exit 0
fi
export HOME=$T/home XDG_CONFIG_HOME=$T/home GIT_CONFIG_NOSYSTEM=1
AUTHOR="Fault Tester <faults@example.org>"
S=$T/full/store
fill() { dd if=/dev/zero of="$T/full/fill" bs=16k 2>/dev/null; sync; }
unfill() { rm -f "$T/full/fill"; }
lock_value() { "$DATOM" --store "$S" store cat-ref datom/.locks/write 2>/dev/null; }
dead_pid() { sleep 0 & local p=$!; wait "$p"; echo "$p"; }

P=$T/proj
"$DATOM" init "$P" --name faults --store "$S" --author "$AUTHOR" >/dev/null || bad "init"
cd "$P" || exit 1
printf 'a,b\n1,2\n' >v1.csv
"$DATOM" write t v1.csv --author "$AUTHOR" >/dev/null || bad "first write"

# ---- 1. taking over from a dead holder on a full disk ----
"$DATOM" --store "$S" store set-ref --create datom/.locks/write "$(hostname) $(dead_pid) 1" >/dev/null || bad "stale lock"
fill
# the input is unchanged, so nothing is uploaded before the lock is taken
timeout 120 "$DATOM" write t v1.csv --author "$AUTHOR" >"$T/out" 2>"$T/err"
st=$?
check "takeover on a full disk: exit status (8: i/o)" "$st" 8
has "$(cat "$T/err")" "No space left on device"
if grep -qF -- "another write holds" "$T/err"; then bad "takeover on a full disk"; else ok; fi
unfill
"$DATOM" write t v1.csv --author "$AUTHOR" >"$T/out" 2>"$T/err" && ok || bad "takeover once space is back: $(cat "$T/err")"
check "the lock is released" "$(lock_value)" ""

# ---- 2. the disk fills while a write holds the lock ----
printf 'a,b\n1,3\n' >v2.csv
DATOM_TEST_STOP_AT=committed "$DATOM" write t v2.csv -m "v2" --json --author "$AUTHOR" >"$T/w2.out" 2>"$T/w2.err" &
w=$!
for _ in $(seq 1 600); do
    [[ $(awk '{print $3}' "/proc/$w/stat" 2>/dev/null) == T ]] && break
    sleep 0.1
done
fill
kill -CONT "$w"
wait "$w"
st=$?
[[ $st -ne 0 ]] && ok || bad "a write whose mirror hits a full disk must fail"
has "$(cat "$T/w2.err")" "No space left on device"
has "$(cat "$T/w2.err")" "could not release the write lock"
held=$(lock_value)
check "the lock stays, naming the failed writer" "$(cut -d' ' -f2 <<<"$held")" "$w"
unfill
printf 'a,b\n1,4\n' >v3.csv
timeout 120 "$DATOM" write t v3.csv -m "v3" --author "$AUTHOR" >"$T/out" 2>"$T/err" && ok || bad "the next writer takes over: $(cat "$T/err")"
check "and releases it" "$(lock_value)" ""
"$DATOM" history t --json >"$T/h.json"
check "both versions are in the history, v2 (committed before the disk filled) too" \
    "$(node -e "console.log(JSON.parse(require('fs').readFileSync('$T/h.json')).map(e => e.commit_message).join(','))")" "v3,v2,Update t"
"$DATOM" validate >"$T/out" 2>&1 && ok || bad "validate after the full disk: $(cat "$T/out")"

# ---- 3. pid reuse, and a live holder ----
sleep 300 &
other=$!
"$DATOM" --store "$S" store set-ref --create datom/.locks/write "$(hostname) $other 1 0000:1" >/dev/null || bad "lock of another incarnation"
printf 'a,b\n1,5\n' >v4.csv
timeout 120 "$DATOM" write t v4.csv --author "$AUTHOR" >"$T/out" 2>"$T/err" && ok || bad "a lock naming a reused pid is taken over: $(cat "$T/err")"
kill "$other" 2>/dev/null
printf 'a,b\n1,6\n' >v5.csv
printf 'a,b\n1,7\n' >v6.csv
DATOM_TEST_STOP_AT=committed "$DATOM" write t v5.csv --author "$AUTHOR" >/dev/null 2>&1 &
a=$!
for _ in $(seq 1 600); do
    [[ $(awk '{print $3}' "/proc/$a/stat" 2>/dev/null) == T ]] && break
    sleep 0.1
done
"$DATOM" write t v6.csv --author "$AUTHOR" >/dev/null 2>&1 &
b=$!
sleep 2
kill -0 "$b" 2>/dev/null && ok || bad "a writer took the lock of a live (stopped) holder"
kill -CONT "$a"
wait "$a" && ok || bad "the stopped holder finished"
wait "$b" && ok || bad "the waiting writer finished"
"$DATOM" validate >"$T/out" 2>&1 && ok || bad "validate at the end: $(cat "$T/out")"

# ---- 4. repair on a read-only store ----
"$DATOM" repair >"$T/out" 2>&1 && ok || bad "repair with nothing to do: $(cat "$T/out")"
mount -o remount,ro "$T/full" || bad "remount read-only"
"$DATOM" repair >"$T/out" 2>&1 && ok || bad "repair with nothing to do, read-only store: $(cat "$T/out")"
mount -o remount,rw "$T/full"
printf 'a,b\n1,8\n' >v7.csv
(DATOM_TEST_CRASH_AT=committed "$DATOM" write t v7.csv --author "$AUTHOR" >/dev/null 2>&1 &
    wait $!) 2>/dev/null
mount -o remount,ro "$T/full" || bad "remount read-only"
"$DATOM" validate >"$T/before" 2>&1
check "a lagging mirror on a read-only store: validate" "$?" 1
timeout 120 "$DATOM" repair >"$T/out" 2>"$T/err"
check "repair on a read-only store: exit status (8: i/o)" "$?" 8
has "$(cat "$T/err")" "Read-only file system"
"$DATOM" validate >"$T/after" 2>&1
check "a refused repair changed nothing" "$(cat "$T/after")" "$(cat "$T/before")"
mount -o remount,rw "$T/full"
"$DATOM" repair >"$T/out" 2>&1 && ok || bad "repair once writable: $(cat "$T/out")"
"$DATOM" validate >"$T/out" 2>&1 && ok || bad "valid after the repair: $(cat "$T/out")"

umount "$T/full"
t_end
