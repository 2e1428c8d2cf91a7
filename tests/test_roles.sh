#!/usr/bin/env bash
# test_roles.sh: readers and roles. A reader with read access only (another
# uid, a store made read-only, a copy holding only datom/ as the R package
# makes it) reads with every read verb and changes nothing; read verbs never
# create a store; --project names the project read, among several in one
# store. KEEP=1 keeps the temporary directory.
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
t_begin roles
trap 'chmod -R u+w "$base" 2>/dev/null' EXIT
AUTHOR="Role Tester <roles@example.org>"
json_get() { node -e "const j = JSON.parse(require('fs').readFileSync(0, 'utf8')); console.log($2)" <<<"$1"; }
# snapshot DIR: every path under DIR with its type, mode, size and mtime (ns)
snapshot() { find "$1" -printf '%p %y %m %s %T@\n' | LC_ALL=C sort; }

# ---- two projects in one store: alpha at datom/, beta at beta/datom/ ----
S=$base/shared
expect 0 "$DATOM" init alpha --name alpha --store "$S" --author "$AUTHOR"
expect 0 "$DATOM" init beta --name beta --store "$S" --prefix beta --author "$AUTHOR"
printf 'id,v\n1,alpha\n2,alpha\n' >a.csv
printf 'id,v\n1,beta\n' >b.csv
(cd alpha && expect 0 "$DATOM" write t ../a.csv --author "$AUTHOR" -m "alpha's t")
(cd beta && expect 0 "$DATOM" write t ../b.csv --author "$AUTHOR" -m "beta's t")
VA=$(cd alpha && "$DATOM" history t --json | node -e "console.log(JSON.parse(require('fs').readFileSync(0))[0].version)")

# ---- item 7: --project is checked, and picks the named project ----
expect 0 "$DATOM" read t --store "$S" --project alpha; has "$out" "alpha"
expect 0 "$DATOM" read t --store "$S" --project beta; has "$out" "beta"
expect 0 "$DATOM" read t --store "$S" --project beta --prefix beta; has "$out" "beta"
expect 3 "$DATOM" read t --store "$S" --project NOPE; has "$err" "NOPE"
expect 3 "$DATOM" list --store "$S" --project NOPE; has "$err" "NOPE"
expect 3 "$DATOM" read t --store "$S" --project beta --prefix alpha; has "$err" "beta"
# a second project cannot take a namespace another project holds
expect 4 "$DATOM" init gamma --name gamma --store "$S" --author "$AUTHOR"; has "$err" "alpha"
absent gamma

# ---- item 6: read verbs never create a store ----
NS=$base/no/such/store
for verb in "list" "read t" "history t" "show t" "lineage t" "summary" "validate"; do
    # shellcheck disable=SC2086
    expect 3 "$DATOM" $verb --store "$NS" --project alpha; has "$err" "$NS"
done
for sub in "ls" "get k" "cat-ref r" "rm k" "del-ref --expect 1 r"; do
    # shellcheck disable=SC2086
    expect 3 "$DATOM" --store "$NS" store $sub; has "$err" "$NS"
done
absent "$base/no"

# ---- item 5: a read-only copy holding only datom/, read by another user ----
RO=$base/ro
mkdir -p "$RO" && cp -r "$S/datom" "$RO/datom"
chmod -R a-w "$RO"
chmod a+rx "$base"
reader=()
if [[ $(id -u) -eq 0 ]] && setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null; then
    reader=(setpriv --reuid=65534 --regid=65534 --clear-groups)
    if "${reader[@]}" touch "$RO/probe" 2>/dev/null; then bad "nobody could write the read-only copy"; else ok; fi
fi
mkdir -p "$base/rout" && chmod 1777 "$base/rout"
snapshot "$RO" >before.txt
(
    cd "$base/rout" || exit 1
    R=("${reader[@]}" "$DATOM")
    W=(--store "$RO" --project alpha)
    expect 0 "${R[@]}" read t "${W[@]}"; has "$out" "alpha"
    expect 0 "${R[@]}" read t "${W[@]}" --version "${VA:0:8}" -o "$base/rout/t.csv"
    expect 0 "${R[@]}" history t "${W[@]}"; has "$out" "alpha's t"
    expect 0 "${R[@]}" list "${W[@]}" --versions; has "$out" "t"
    expect 0 "${R[@]}" show t "${W[@]}"; has "$out" "data_sha"
    expect 0 "${R[@]}" show "t@${VA:0:8}" "${W[@]}"
    expect 0 "${R[@]}" lineage t "${W[@]}"
    expect 0 "${R[@]}" lineage t --depth source "${W[@]}"
    expect 0 "${R[@]}" summary "${W[@]}"
    expect 0 "${R[@]}" validate "${W[@]}"
    expect 0 "${R[@]}" validate --deep "${W[@]}"
    expect 0 "${R[@]}" --store "$RO" store ls; has "$out" "datom/t/"
    expect 0 "${R[@]}" --store "$RO" store get datom/.metadata/manifest.json
    expect 3 "${R[@]}" --store "$RO" store cat-ref datom/.locks/write
    echo "$passed $failed" >"$base/sub.counts"
)
read -r passed failed <"$base/sub.counts"
snapshot "$RO" >after.txt
# a directory the reader may not read: an error, never a listing that skips it
if ((${#reader[@]})); then
    chmod 700 "$RO/datom/t"
    expect 8 "${reader[@]}" "$DATOM" --store "$RO" store ls; has "$err" "Permission denied"
    expect 8 "${reader[@]}" "$DATOM" read t --store "$RO" --project alpha; has "$err" "Permission denied"
    chmod 555 "$RO/datom/t"
fi
if cmp -s before.txt after.txt; then ok; else bad "the readers changed the read-only store: $(diff before.txt after.txt | head -5)"; fi

# The developer's own read verbs leave the store as they found it too.
chmod -R a-w "$S"
snapshot "$S" >before.txt
(
    cd alpha || exit 1
    for verb in "read t" "history t" "list" "show t" "lineage t" "summary" "status" "validate" "validate --deep"; do
        # shellcheck disable=SC2086
        expect 0 "$DATOM" $verb
    done
    echo "$passed $failed" >"$base/sub.counts"
)
read -r passed failed <"$base/sub.counts"
snapshot "$S" >after.txt
if cmp -s before.txt after.txt; then ok; else bad "read verbs changed the store: $(diff before.txt after.txt | head -5)"; fi
chmod -R u+w "$S"

# ---- another user's work tree: git's ownership rule said plainly, and once
# the reader trusts it (safe.directory), every read verb works and writes nothing ----
if ((${#reader[@]})); then
    mkdir -p "$base/nh" && chmod 777 "$base/nh"
    chmod -R a+rX "$base/alpha" "$S"
    snapshot "$base/alpha" >before.txt
    snapshot "$S" >>before.txt
    (
        cd "$base/alpha" || exit 1
        R=(env HOME="$base/nh" "${reader[@]}" "$DATOM")
        expect 2 "${R[@]}" read t; has "$err" "another user"; has "$err" "safe.directory '$base/alpha'"
        printf '[safe]\n\tdirectory = %s\n' "$base/alpha" >"$base/nh/.gitconfig"
        for verb in "read t" "history t" "list" "show t" "lineage t" "summary" "status" "validate" "validate --deep"; do
            # shellcheck disable=SC2086
            expect 0 "${R[@]}" $verb
        done
        echo "$passed $failed" >"$base/sub.counts"
    )
    read -r passed failed <"$base/sub.counts"
    snapshot "$base/alpha" >after.txt
    snapshot "$S" >>after.txt
    if cmp -s before.txt after.txt; then ok; else bad "another user's read verbs changed the work tree or store: $(diff before.txt after.txt | head -5)"; fi
fi

t_end
