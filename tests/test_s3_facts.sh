#!/usr/bin/env bash
# test_s3_facts.sh: the fact database on a real Ceph RADOS Gateway
# (tests/rgw.sh). S3 has no append-only logs, so a database there commits
# with objects and a root ref moved by conditional PUT (docs/architecture.md,
# "the commit protocol"): create, transact, pull, datoms, time views and info
# through `datom db` (info says :commit :objects); 4 processes racing :db/cas increments on one counter
# (none lost, none doubled, the log in t order); the read-only reader reads
# and cannot write; kill -9 of writers at random instants, after which the db
# opens at some acknowledged basis; no secret in any output.
set -uo pipefail
. "$SRC/tests/lib.sh"
t_begin test_s3_facts
. "$SRC/tests/s3lib.sh"
s3_begin
STORE="s3://$B/facts?endpoint=$EP"
log=$base/all-output.log
: >"$log"
D() { W "$DATOM" --store "$STORE" "$@"; }
R() { RO "$DATOM" --store "$STORE" "$@"; }
keep() { printf '%s\n%s\n' "$out" "$err" >>"$log"; }

# ---- the verbs ----
expect 0 D db create people; keep
expect 4 D db create people; keep; has "$err" "already exists"
expect 0 D db transact people '[{:db/ident :person/name :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
  {:db/ident :person/friend :db/valueType :db.type/ref :db/cardinality :db.cardinality/many}
  {:db/ident :c/name :db/valueType :db.type/string :db/cardinality :db.cardinality/one :db/unique :db.unique/identity}
  {:db/ident :c/n :db/valueType :db.type/long :db/cardinality :db.cardinality/one}]'; keep
expect 0 D db transact people '[{:db/id "a" :person/name "Ann" :person/friend {:person/name "Bob"}} {:c/name "c" :c/n 0}]'; keep
has "$out" ':tempids {"a" '
expect 0 D db pull people '[:person/name {:person/friend [:person/name]}]' '[:person/name "Ann"]'; keep
check "pull" "$out" '{:person/name "Ann", :person/friend [{:person/name "Bob"}]}'
expect 0 D db pull people '[:person/name :person/_friend]' '[:person/name "Bob"]' ; keep
has "$out" ':person/_friend [{:db/id '
expect 0 D db transact people '[[:db/retract [:person/name "Bob"] :person/name "Bob"]]'; keep
expect 0 D db datoms people aevt :person/name; keep; check "after the retraction" "$(printf '%s\n' "$out" | wc -l)" 1
expect 0 D db datoms people aevt :person/name --as-of 2; keep; check "as of 2" "$(printf '%s\n' "$out" | wc -l)" 2
expect 0 D db datoms people aevt :person/name --history; keep; check "history" "$(printf '%s\n' "$out" | wc -l)" 3
expect 0 D --json db info people; keep
has "$out" '":basis-t":3'; has "$out" '":commit":":objects"'
expect 2 D db transact people '[[:db/add "x" :person/name 5]]'; keep; has "$err" "not a :db.type/string"
expect 0 D db list; keep; check "list" "$out" "people"

# ---- the read-only reader reads, and cannot write ----
expect 0 R db pull people '[:person/name]' '[:person/name "Ann"]'; keep; check "reader pull" "$out" '{:person/name "Ann"}'
expect 0 R db log people --from 3; keep; has "$out" "{:t 3,"
R db transact people '[{:person/name "Eve"}]' >/dev/null 2>>"$log" && bad "the reader wrote" || ok
expect 0 D db info people; keep; has "$out" ":basis-t 3,"

# ---- 4 processes x 25 :db/cas increments on one counter ----
# incr: reads the counter and sets it one higher with :db/cas, again on a conflict (exit 5).
incr() {
    local v rc
    for _ in $(seq 1 200); do
        v=$(D db pull people '[:c/n]' '[:c/name "c"]' 2>>"$base/race.err" | sed 's/[^0-9]//g')
        [ -n "$v" ] || continue
        D db transact people "[[:db/cas [:c/name \"c\"] :c/n $v $((v + 1))]]" >/dev/null 2>>"$base/race.err"
        rc=$?
        [ $rc = 0 ] && return 0
        [ $rc = 5 ] || echo "incr: exit $rc" >>"$base/race.err"
    done
    echo "incr: gave up" >>"$base/race.err"
}
pids=()
for p in 1 2 3 4; do
    ( for _ in $(seq 1 25); do incr; done ) &
    pids+=($!)
done
wait "${pids[@]}" # only the writers: the gateway runs in the background too
check "no failed increment" "$(grep -c 'incr:' race.err)" 0
grep 'incr:' race.err | head -5 >&2
cat race.err >>"$log"
expect 0 D db pull people '[:c/n]' '[:c/name "c"]'; keep; check "counter" "$out" "{:c/n 100}"
expect 0 D db info people; keep; has "$out" ":basis-t 103,"
expect 0 D db log people --from 4; keep
ts=$(printf '%s\n' "$out" | sed -n 's/^{:t \([0-9]*\),.*/\1/p' | tr '\n' ' ')
check "the log in t order" "$ts" "$(seq -s ' ' 4 103) "
check "one increment per transaction" "$(printf '%s\n' "$out" | grep -c ':c/n')" 100

# ---- kill -9 of writers at random instants ----
RANDOM=9
for k in $(seq 1 12); do
    D db transact people "[{:person/name \"k$k\"}]" >/dev/null 2>>"$log" &
    pid=$!
    sleep "0.$((RANDOM % 40))"
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    expect 0 D db info people; keep
done
expect 0 D db transact people '[{:person/name "after"}]'; keep
expect 0 D db datoms people aevt :person/name; keep
has "$out" '"after"'
n=$(printf '%s\n' "$out" | grep -c '"k[0-9]*"')
if [ "$n" -le 12 ]; then ok; else bad "$n killed transactions for 12 kills"; fi
expect 0 D db pull people '[:c/n]' '[:c/name "c"]'; keep; check "counter after the kills" "$out" "{:c/n 100}"

# ---- no secret anywhere ----
for s in "$RGW_WRITER_SECRET" "$RGW_READER_SECRET"; do
    if grep -qF -- "$s" "$log"; then bad "a secret was printed"; else ok; fi
done
t_end
