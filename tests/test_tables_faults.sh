#!/usr/bin/env bash
# test_tables_faults.sh: table writes under injected store faults
# (DATOM_TEST_STORE_FAULT, docs/architecture.md "Injected faults"): a fault at
# each of the first calls of every store operation, failing before the call or
# after it applied (an answer lost), on the local store. Each faulty write
# succeeds or fails with an i/o error naming the injected fault; afterwards a
# reader sees the old or the new version, never missing bytes, and the next
# clean write and `datom validate` succeed.
set -uo pipefail
. "$SRC/tests/lib.sh"
t_begin test_tables_faults
export HOME=$base/home
mkdir -p "$HOME"
printf '[user]\n\tname = Fault Tester\n\temail = f@example.org\n' >"$HOME/.gitconfig"
expect 0 "$DATOM" init p --name faults
cd p || exit 1
printf 'id,x\n1,a\n2,b\n' >v1.csv
printf 'id,x\n1,a\n2,c\n' >v2.csv
expect 0 "$DATOM" write t v1.csv
for op in put get stat exists list ref_get ref_cas ref_del; do
    for n in 1 2 3; do
        for kind in "" "!"; do
            spec="$op=$n$kind"
            DATOM_TEST_STORE_FAULT=$spec "$DATOM" write t v2.csv >out 2>err
            st=$?
            if [[ $st -ne 0 && ( $st -ne 8 || $(cat err) != *"injected fault"* ) ]]; then
                bad "$spec: exit $st: $(cat err)"
            fi
            if "$DATOM" read t -o now.csv >/dev/null 2>err; then
                if cmp -s now.csv v1.csv || cmp -s now.csv v2.csv; then ok; else bad "$spec: read neither old nor new"; fi
            else
                bad "$spec: unreadable after the fault: $(cat err)"
            fi
            expect 0 "$DATOM" write t v2.csv
            expect 0 "$DATOM" validate
            "$DATOM" read t -o now.csv >/dev/null 2>&1 && cmp -s now.csv v2.csv && ok || bad "$spec: the clean write"
            expect 0 "$DATOM" write t v1.csv # back, so the next round writes again
        done
    done
done
t_end
