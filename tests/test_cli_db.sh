#!/usr/bin/env bash
# test_cli_db.sh: `datom db ...` as users run it: every subcommand's help,
# output (EDN and JSON), exit statuses, errors that change nothing, time
# views, the project's namespace, separate processes and concurrent writers,
# hostile names; and the example program examples/facts.c.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
t_begin cli_db

S="$base/store"
D() { "$DATOM" --store "$S" "$@"; }

# ---- help ----
expect 0 "$DATOM" db --help; has "$out" "transact NAME"
for sub in create list transact pull datoms log info; do
    expect 0 "$DATOM" db "$sub" --help; has "$out" "usage: datom [--store URL] db $sub"
done
expect 2 "$DATOM" db
expect 2 "$DATOM" db frobnicate; has "$err" "unknown subcommand"
expect 2 D db create; has "$err" "expected one NAME"
expect 2 D db pull people '[*]'; has "$err" "expected NAME PATTERN ENTITY"
expect 2 D db datoms people xyz; has "$err" "eavt, aevt, avet or vaet"

# ---- create, list, names ----
expect 0 D db create people; check "create prints the name" "$out" "people"
expect 4 D db create people; has "$err" "already exists"
for name in "../up" "a/b" "1abc" "" ".hidden" "$(printf 'a%.0s' {1..101})" "bad name"; do
    expect 2 D db create "$name"; has "$err" "database name"
done
expect 0 D db create other
expect 0 D db list; check "list" "$out" "$(printf 'other\npeople')"
expect 0 D --json db list; check "list --json" "$out" '["other","people"]'
expect 3 D db info nosuch; has "$err" "no database nosuch"

# ---- transact: file, standard input, inline ----
cat > schema.edn <<'EDN'
[{:db/ident :person/name :db/valueType :db.type/string :db/cardinality :db.cardinality/one
  :db/unique :db.unique/identity}
 {:db/ident :person/age :db/valueType :db.type/long :db/cardinality :db.cardinality/one}
 {:db/ident :person/friend :db/valueType :db.type/ref :db/cardinality :db.cardinality/many}]
EDN
expect 0 D db transact people -f schema.edn; has "$out" ":db-after 1"; has "$out" ":person/name"
expect 0 D db transact people - <<'EDN'
[{:db/id "ann" :person/name "Ann" :person/age 31 :person/friend ["bob"]}
 {:db/id "bob" :person/name "Bob" :person/age 29}]
EDN
has "$out" ':tempids {"ann" 17592186044417, "bob" 17592186044418}'
expect 0 D --json db transact people '[[:db/add [:person/name "Ann"] :person/age 32]]'
has "$out" '":db-after":3'; has "$out" '[17592186044417,":person/age",31,'

# errors: named datom, exit 2, nothing applied
expect 2 D db transact people '[[:db/add "x" :person/age "old"]]'
has "$err" '[:db/add "x" :person/age "old"]'; has "$err" "not a :db.type/long"
expect 2 D db transact people '[[:db/add "x" :person/nope 1]]'; has "$err" ":person/nope: no such attribute"
expect 2 D db transact people '[[:db/add "x" :person/age 1'; has "$err" "tx-data"
expect 3 D db transact people -f missing.edn; has "$err" "missing.edn"
expect 5 D db transact people '[[:db/cas [:person/name "Ann"] :person/age 1 2]]'; has "$err" ":db/cas failed"
expect 0 D db info people; has "$out" ":basis-t 3,"

# ---- pull ----
expect 0 D db pull people '[:person/name :person/age {:person/friend [:person/name]}]' '[:person/name "Ann"]'
check "pull" "$out" '{:person/name "Ann", :person/age 32, :person/friend [{:person/name "Bob"}]}'
expect 0 D --json db pull people '[:person/name]' 17592186044418
check "pull --json" "$out" '{":person/name":"Bob"}'
expect 0 D db pull people '[:person/name]' '[:person/name "Nobody"]'; check "pull of nothing" "$out" "nil"
expect 0 D db pull people '[:person/age]' '[:person/name "Ann"]' --as-of 2; check "pull --as-of" "$out" "{:person/age 31}"
expect 2 D db pull people '[:person/nope]' 1; has "$err" ":person/nope: no such attribute"
expect 0 D db pull people '[:db/ident]' ':person/age'; check "pull an ident" "$out" "{:db/ident :person/age}"

# ---- datoms, time views ----
expect 0 D db datoms people avet :person/age
check "datoms avet" "$out" "$(printf '[17592186044418 :person/age 29 13194139533314 true]\n[17592186044417 :person/age 32 13194139533315 true]')"
expect 0 D db datoms people eavt 17592186044417 :person/age --history
check "history" "$(printf '%s\n' "$out" | wc -l)" "3"
has "$out" "31 13194139533315 false"
expect 0 D db datoms people aevt :person/age --as-of 2; has "$out" ":person/age 31 "
expect 0 D db datoms people aevt :person/age --since 2; check "since" "$out" "[17592186044417 :person/age 32 13194139533315 true]"
expect 0 D db datoms people aevt :person/name --limit 1; check "limit" "$(printf '%s\n' "$out" | wc -l)" "1"
expect 0 D --json db datoms people vaet 17592186044418; check "vaet json" "$out" '[17592186044417,":person/friend",17592186044418,13194139533314,true]'
expect 2 D db datoms people avet :person/age '"x"'; has "$err" "not a :db.type/long"
expect 2 D db datoms people eavt 1 --as-of yesterday; has "$err" "not a t, a transaction id or an instant"
# the next whole second: an instant is read to the second, and this one must
# follow the transactions made earlier within the current second
now=$(date -u -d "@$(($(date +%s) + 1))" +%Y-%m-%dT%H:%M:%SZ)
expect 0 D db datoms people aevt :person/name --as-of "$now"; check "as of now" "$(printf '%s\n' "$out" | wc -l)" "2"
expect 0 D db datoms people aevt :person/name --as-of 2000-01-01; check "as of 2000" "$out" ""

# ---- log, info ----
expect 0 D db log people --from 2 --to 3; check "log lines" "$(printf '%s\n' "$out" | wc -l)" "2"
has "$out" "{:t 2, :tx 13194139533314, :data ["
expect 0 D --json db log people --from 3; has "$out" '{":t":3,'
expect 0 D --json db info people; has "$out" '":basis-t":3'; has "$out" '":commit":":append"'
has "$out" '":attributes":[":person/name",":person/age",":person/friend"]'

# ---- separate processes, concurrent writers ----
for p in 1 2 3 4; do
    ( for i in $(seq 1 25); do
        D db transact people "[{:person/name \"w$p-$i\" :person/age $i}]" >/dev/null || echo "writer $p failed" >&2
      done ) &
done
wait
expect 0 D db info people; has "$out" ":basis-t 103,"
expect 0 D db datoms people aevt :person/name; check "every writer's person" "$(printf '%s\n' "$out" | wc -l)" "102"

# ---- queries while others write: each sees one basis, counts only grow ----
expect 0 D db q people '[:find (count ?e) . :where [?e :person/name]]'; before=$out
for p in 1 2; do
    ( for i in $(seq 1 15); do
        D db transact people "[{:person/name \"q$p-$i\" :person/age $i}]" >/dev/null || echo "writer $p failed" >&2
      done ) &
done
last=$before
for i in $(seq 1 12); do
    expect 0 D db q people '[:find (count ?e) . :where [?e :person/name]]'
    [ "$out" -ge "$last" ] && [ "$out" -le $((before + 30)) ] || bad "count $out after $last (from $before)"
    last=$out
done
wait
expect 0 D db q people '[:find (count ?e) . :where [?e :person/name]]'; check "every write counted" "$out" "$((before + 30))"

# ---- --timeout: a query past it stops, exit 11, nothing printed ----
expect 0 D db create big
expect 0 D db transact big '[{:db/ident :n :db/valueType :db.type/long :db/cardinality :db.cardinality/one}]'
{ printf '['; for i in $(seq 1 2000); do printf '[:db/add "e%d" :n %d] ' "$i" "$i"; done; printf ']'; } > big.edn
expect 0 D db transact big -f big.edn
# 2000^3 rows: hours, were it not stopped
expect 11 D db q --timeout 0.3 big '[:find (count ?a) :where [?a :n] [?b :n] [?c :n]]'
has "$err" "stopped at its timeout (300 ms)"; check "nothing on standard output" "$out" ""
expect 11 D db q --timeout 0.2 big '[:find ?a ?b :where [?a :n ?x] [?b :n ?y] [(< ?x ?y)] [(str ?x ?y) ?s]]'
expect 0 D db q --timeout 60 big '[:find (count ?a) . :where [?a :n ?x] [(> ?x 1000)]]'; check "within the timeout" "$out" "1000"
for t in 0 -1 abc 1e9 ""; do
    expect 2 D db q --timeout "$t" big '[:find ?a :where [?a :n]]'; has "$err" "--timeout takes a number of seconds"
done
expect 0 "$DATOM" --help; has "$out" "11  timed out"

# ---- the project's store and namespace ----
export HOME=$base/home XDG_CONFIG_HOME=$base/home GIT_CONFIG_NOSYSTEM=1
mkdir -p "$HOME"
expect 3 "$DATOM" db list; has "$err" "datom init"
expect 0 "$DATOM" init proj --name proj --author "Ann Example <ann@example.com>"
cd proj
expect 0 "$DATOM" db create facts
expect 0 "$DATOM" db transact facts '[{:db/ident :x/y :db/valueType :db.type/long :db/cardinality :db.cardinality/one}]'
expect 0 "$DATOM" store ls datom/.facts/facts/; has "$out" "datom/.facts/facts/db.json"
expect 0 "$DATOM" db list; check "project list" "$out" "facts"
expect 0 "$DATOM" list; check "no table from facts" "$(printf '%s\n' "$out" | wc -l)" "1"
cd "$base"

# ---- the example program ----
if [ -x "${BUILD:-}/example_facts" ]; then
    expect 0 "$BUILD/example_facts"
    has "$out" "Ann, 32"; has "$out" "as of t 2, as JSON: {\":person/age\":31}"; has "$out" "refused: "
else
    bad "no example_facts in BUILD=${BUILD:-}"
fi

t_end
