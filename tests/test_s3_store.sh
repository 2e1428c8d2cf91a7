#!/usr/bin/env bash
# test_s3_store.sh: the S3 backend on a real Ceph RADOS Gateway (tests/rgw.sh,
# tests/s3lib.sh): the store conformance suite (its ref races with half the
# rounds: tests/test_store_conformance.c says why), hostile keys
# percent-encoded, multipart puts and parallel gets in bounded memory, a
# read-only user, and faults injected by a proxy between datom and the gateway
# (tests/s3proxy.mjs): resets before and in the middle of a body, 500 and 503
# SlowDown bursts, stalls, answers lost after the server applied a write, and a
# server that ignores conditional writes. Nothing lost, nothing duplicated, no
# ref moved twice, no secret printed.
set -uo pipefail
. "$SRC/tests/lib.sh"
t_begin test_s3_store
. "$SRC/tests/s3lib.sh"
s3_begin

U="s3://$B/st?endpoint=$EP"
D() { W "$DATOM" --store "$U" "$@"; }
R() { RO "$DATOM" --store "$U" "$@"; }
json() { node -e "const j = JSON.parse(require('fs').readFileSync(0, 'utf8')); console.log($1)"; }
log=$base/all-output.log
: >"$log"
# run CMD...: like expect, keeping every byte of output for the secret check.
run() {
    local want=$1; shift
    expect "$want" "$@"
    printf '%s\n%s\n' "$out" "$err" >>"$log"
}

# ---- the conformance suite on the gateway ----
# in the background under its own prefix, while the rest runs under others:
# both mostly wait on the network (checked at the end)
conf=$BUILD/tests/test_store_conformance
AWS_ACCESS_KEY_ID=$RGW_WRITER_KEY AWS_SECRET_ACCESS_KEY=$RGW_WRITER_SECRET DATOM_TEST_URL_ONLY=1 \
    DATOM_TEST_STORE_URL="s3://$B/conf?endpoint=$EP" "$conf" >conf.log 2>&1 &
conf_pid=$!

# ---- keys that need percent-encoding ----
echo "odd" >odd.txt
for k in "a b" "ünï/cødé" "plus+sign" "100%" "q?x=1&y=2" "hash#tag" "star*" "semi;colon" "~tilde" "eq=" "a,b" "dollar\$" "'quote'" "(paren)"; do
    run 0 D store put --key "$k" odd.txt
    run 0 D store get "$k"; check "get $k" "$out" "odd"
done
run 0 D store ls; check "listed exactly" "$(printf '%s\n' "$out" | grep -c .)" 14
has "$out" "ünï/cødé"; has "$out" "q?x=1&y=2"

# ---- multipart puts and parallel gets, memory bounded ----
head -c 41000000 /dev/urandom >big.bin
sha=$(sha256sum big.bin | cut -c1-64)
if [ -x /usr/bin/time ]; then
    W /usr/bin/time -f %M -o put.rss "$DATOM" --store "$U" store put big.bin >/dev/null 2>>"$log" && ok || bad "multipart put"
    W /usr/bin/time -f %M -o get.rss "$DATOM" --store "$U" store get "$sha" -o big.out 2>>"$log" && ok || bad "get"
    (( $(cat put.rss) < 65536 )) && ok || bad "put took $(cat put.rss) KiB"
    (( $(cat get.rss) < 65536 )) && ok || bad "get took $(cat get.rss) KiB"
else
    run 0 D store put big.bin
    run 0 D store get "$sha" -o big.out
fi
same big.bin big.out
run 0 D store put big.bin; check "a second put of the same bytes" "$out" "$sha"

# ---- a damaged object of several ranges (16 MiB each: 3 here), a byte flipped in the
# first range (hashed from libcurl's buffer), the middle one and the last byte (both
# read back after landing ahead of the hash): refused, nothing at the destination ----
for at in 0 20000000 40999999; do
    cp big.bin bad.bin
    b=$(od -An -tu1 -j "$at" -N 1 bad.bin | tr -d ' ')
    printf "\\$(printf %03o $((b ^ 1)))" | dd of=bad.bin bs=1 seek="$at" conv=notrunc status=none
    run 0 D store put --key "bad/$sha" bad.bin
    run 7 D store get --prefix bad/ "$sha" -o bad.out; has "$err" "corrupt"; absent bad.out
done
check "no temporary file left" "$(ls | grep -c datom-tmp)" 0

# ---- a read-only user: reads work, writes are refused by the server ----
run 0 R store get "$sha" -o ro.out; same big.bin ro.out
run 0 R store ls; has "$out" "$sha"
run 8 R store put --key ro/x odd.txt; has "$err" "403"; has "$err" "ro/x"
run 8 R store set-ref --create ro-ref x; has "$err" "403"
run 3 D store cat-ref ro-ref

# ---- open flags: a missing bucket is "not found" for every verb (datom makes
# no bucket), reading or writing; a fresh prefix of a bucket is an empty store ----
NB="s3://no-such-bucket-$$/st?endpoint=$EP"
run 3 W "$DATOM" --store "$NB" store ls; has "$err" "no such bucket no-such-bucket-$$"
run 3 W "$DATOM" --store "$NB" store put --key k odd.txt; has "$err" "no such bucket"
run 3 W "$DATOM" list --store "$NB" --project p; has "$err" "no such bucket"
run 3 RO "$DATOM" read t --store "$NB" --project p; has "$err" "no such bucket"
run 0 W "$DATOM" --store "s3://$B/fresh-$$?endpoint=$EP" store ls; check "a fresh prefix" "$out" ""
run 3 W "$DATOM" list --store "s3://$B/fresh-$$?endpoint=$EP" --project p

# ---- faults, through the proxy ----
proxy_start
P="s3://$B/px?endpoint=$PX&stall=1&timeout=60"
X() { W "$DATOM" --store "$P" "$@"; }
echo "fault body" >f.txt

proxy_rules '[{"method":"PUT","match":"/px/k1","times":2,"action":"reset"}]'
run 0 X store put --key k1 f.txt
run 0 X store get k1; check "after resets" "$out" "fault body"
has "$(proxy_done)" '"reset":2'

proxy_rules '[{"method":"PUT","match":"/px/k2","times":5,"action":"503"}]'
run 0 X store put --key k2 f.txt
has "$(proxy_done)" '"503":5'

proxy_rules '[{"method":"GET","match":"list-type","times":3,"action":"500"}]'
run 0 X store ls; has "$out" "k2"

run 0 X store put --key big big.bin
proxy_rules '[{"method":"GET","match":"/px/big","after":1,"times":2,"action":"reset_body"}]'
run 0 X store get big -o px-big.out; same big.bin px-big.out
has "$(proxy_done)" '"reset_body":2'

# Killed (-9) in the middle of a get into a file: nothing at the destination.
proxy_rules '[{"method":"GET","match":"/px/big","after":1,"times":100,"action":"stall","ms":60000}]'
W exec "$DATOM" --store "$P" store get big -o killed.out 2>/dev/null &
getter=$!
for _ in $(seq 1 300); do
    case "$(proxy_done)" in *'"stall":'*) break ;; esac
    sleep 0.1
done
has "$(proxy_done)" '"stall":'
kill -9 "$getter"; wait "$getter" 2>/dev/null
absent killed.out
proxy_rules '[]'
run 0 X store get big -o killed.out; same big.bin killed.out

proxy_rules '[{"method":"GET","match":"/px/k1","times":1,"action":"stall","ms":8000}]'
run 0 X store get k1; check "after a stall" "$out" "fault body"

proxy_rules '[{"method":"PUT","match":"/px/k3","times":100,"action":"503"}]'
run 8 W "$DATOM" --store "s3://$B/px?endpoint=$PX&retries=2" store put --key k3 f.txt
has "$err" "s3://$B/px"; has "$err" "k3"; has "$err" "HTTP 503 SlowDown"; has "$err" "3 attempts"

proxy_rules '[{"method":"PUT","match":"/px/k4","times":1,"action":"lost"}]'
run 0 X store put --key k4 f.txt
run 0 X store get k4; check "a put whose answer was lost" "$out" "fault body"

# Refs: an answer lost after the write was applied is settled by reading back.
proxy_rules '[{"method":"PUT","match":"/refs/r1","times":1,"action":"lost"}]'
run 0 X store set-ref --create r1 one
v1=$out
run 0 X store cat-ref --json r1
check "created once" "$(json j.value <<<"$out")" "one"
check "its version" "$(json j.version <<<"$out")" "$v1"
run 4 X store set-ref --create r1 again
proxy_rules '[{"method":"PUT","match":"/refs/r1","times":1,"action":"lost"}]'
run 0 X store set-ref --expect "$v1" r1 two
v2=$out
run 5 X store set-ref --expect "$v1" r1 three
run 0 X store cat-ref r1; check "moved once" "$out" "two"
proxy_rules '[{"method":"PUT","match":"/refs/r1","times":1,"action":"reset"}]'
run 0 X store set-ref --expect "$v2" r1 four
run 0 X store cat-ref --json r1; check "after a reset" "$(json j.value <<<"$out")" "four"
proxy_rules '[{"method":"PUT","match":"/refs/r1","times":2,"action":"503"}]'
v4=$(json j.version <<<"$out")
run 0 X store set-ref --expect "$v4" r1 five
run 0 X store cat-ref r1; check "after 503s" "$out" "five"

# A multipart completion whose answer was lost: the retry finds the object whole.
proxy_rules '[{"method":"POST","match":"uploadId=","times":1,"action":"lost"}]'
run 0 X store put --key big2 big.bin
run 0 X store get big2 -o big2.out; same big.bin big2.out
has "$(proxy_done)" '"lost":1'

# A server that ignores conditional writes: refused, clearly, and nothing written.
proxy_rules '[{"method":"PUT","match":"/.datom-internal/probe","after":1,"times":100,"action":"fake200"}]'
run 9 X store set-ref --create r9 x; has "$err" "ignores conditional writes"
proxy_rules '[]'
run 3 X store cat-ref r9

# ---- the conformance suite's outcome ----
if wait "$conf_pid"; then
    ok
else
    bad "the conformance suite on the gateway: $(grep -E 'FAIL|passed' conf.log | head -20)"
fi
cat conf.log >>"$log"

# ---- no secret anywhere in what was printed ----
if grep -qF -- "$RGW_WRITER_SECRET" "$log" || grep -qF -- "$RGW_READER_SECRET" "$log"; then
    bad "a secret key was printed"
else ok; fi
t_end
