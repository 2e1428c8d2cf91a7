#!/usr/bin/env bash
# test_tables.sh: the table verbs end to end (write, read, history, list, show,
# lineage, status, summary, sync, validate), bad input, readers without git on
# a read-only store, crash safety (kill -9 at every step of a write and at
# random times, and around the push with a remote) and two writers racing
# through one bare remote. KEEP=1 keeps the temporary directory.
set -uo pipefail
: "${DATOM:?path of the built datom}" "${TEST_TMP:=/tmp}"
if ! "$DATOM" init --help >/dev/null 2>&1 || ! "$DATOM" write --help >/dev/null 2>&1; then
    echo "0 passed, 0 failed (skipped: this build has no datom init or write yet)"
    exit 0
fi
T=$TEST_TMP/test_tables_sh.$$
rm -rf "$T" && mkdir -p "$T"
trap 'chmod -R u+w "$T" 2>/dev/null; [[ -n "${KEEP:-}" ]] || rm -rf "$T"' EXIT
# as on a new machine: no git identity or configuration but what the test sets
mkdir -p "$T/home"
export HOME=$T/home XDG_CONFIG_HOME=$T/home GIT_CONFIG_NOSYSTEM=1
unset GIT_AUTHOR_NAME GIT_AUTHOR_EMAIL GIT_COMMITTER_NAME GIT_COMMITTER_EMAIL
AUTHOR="Table Tester <tables@example.org>"
pass=0 fail=0

ok() { pass=$((pass + 1)); }
bad() {
    fail=$((fail + 1))
    echo "FAIL: $*" >&2
}
check() { # DESCRIPTION COMMAND...: the command must succeed
    local what=$1
    shift
    if "$@" >"$T/out" 2>"$T/err"; then ok; else bad "$what (exit $?): $(cat "$T/err" "$T/out")"; fi
}
check_exit() { # DESCRIPTION STATUS TEXT COMMAND...: fails with STATUS, stderr has TEXT
    local what=$1 want=$2 text=$3
    shift 3
    "$@" >"$T/out" 2>"$T/err"
    local got=$?
    if [[ $got -ne $want ]]; then
        bad "$what: exit $got, expected $want ($(cat "$T/err"))"
    elif [[ -n "$text" ]] && ! grep -qF -- "$text" "$T/err"; then
        bad "$what: stderr lacks '$text': $(cat "$T/err")"
    else ok; fi
}
same() { # DESCRIPTION A B
    if [[ "$2" == "$3" ]]; then ok; else bad "$1: '$2' != '$3'"; fi
}
json_get() { # FILE EXPRESSION (JavaScript over `j`)
    node -e "const j = JSON.parse(require('fs').readFileSync('$1', 'utf8')); console.log($2)"
}

subjects() { # N [AGE_SHIFT]: a synthetic enrolment export (awk: no fork per row)
    awk -v n="$1" -v shift="${2:-0}" 'BEGIN {
        split("Boston Lyon Osaka Lima", site, " ")
        print "id,site,sex,age,arm,enrolled"
        for (i = 1; i <= n; i++)
            printf "S%05d,%s,%s,%d,%s,2026-%02d-%02d\n", i, site[i % 4 + 1], (i % 2 ? "M" : "F"),
                   20 + (i * 7 + shift) % 60, (i % 3 ? "B" : "A"), 1 + i % 12, 1 + i % 28
    }'
}

# ---- a project, and the basic verbs ----
P=$T/proj
check "init" "$DATOM" init "$P" --name trial --author "$AUTHOR"
cd "$P" || exit 1
subjects 50 >v1.csv
subjects 60 3 >v2.csv
check "write v1" "$DATOM" write subjects v1.csv --json --author "$AUTHOR"
cp "$T/out" "$T/w1.json"
same "action of the first write" "$(json_get "$T/w1.json" j.action)" full
V1=$(json_get "$T/w1.json" j.metadata_sha)
check "write v1 again" "$DATOM" write subjects v1.csv --json --author "$AUTHOR"
same "unchanged input is a no-op" "$(json_get "$T/out" j.action)/$(json_get "$T/out" j.skipped)" none/true
check "an unchanged input is not parsed" env DATOM_TEST_CRASH_AT=converted "$DATOM" write subjects v1.csv --author "$AUTHOR"
check "write v2" "$DATOM" write subjects v2.csv --json -m "week 2" --author "$AUTHOR"
same "action of a changed input" "$(json_get "$T/out" j.action)" full
V2=$(json_get "$T/out" j.metadata_sha)
check "metadata only" "$DATOM" write subjects v2.csv --meta study=TRIAL-1 --json --author "$AUTHOR"
same "new metadata over the same values" "$(json_get "$T/out" j.action)" metadata_only
V3=$(json_get "$T/out" j.metadata_sha)
check "history" "$DATOM" history subjects --json
same "three versions, newest first" "$(json_get "$T/out" "j.map(e => e.version).join(',')")" "$V3,$V2,$V1"
check "history -n 1" "$DATOM" history subjects -n 1
same "history -n 1 shows one version" "$(grep -c "^${V3:0:12}" "$T/out")" 1
check "read v1 by prefix" "$DATOM" read subjects --version "${V1:0:8}" -o "$T/r1.csv"
check "read v1 back equals the input" cmp -s "$T/r1.csv" v1.csv
check "read current to stdout" "$DATOM" read subjects
same "current has 60 rows" "$(($(wc -l <"$T/out") - 1))" 60
check "read to parquet" "$DATOM" read subjects --version "$V2" -o "$T/r2.parquet"
check "read to jsonl" "$DATOM" read subjects -o "$T/r2.jsonl"
same "jsonl has 60 lines" "$(wc -l <"$T/r2.jsonl")" 60
check "cat --json of the same version" "$DATOM" cat --json "$T/r2.parquet"
cp "$T/out" "$T/cat.jsonl"
check "read's JSON lines are cat's" cmp -s "$T/cat.jsonl" "$T/r2.jsonl"
check "show" "$DATOM" show "subjects@${V1:0:10}" --json
same "show gives the metadata of v1" "$(json_get "$T/out" j.nrow)" 50
check "list" "$DATOM" list --json
same "list has subjects with 3 versions" "$(json_get "$T/out" "j.find(t => t.name == 'subjects').version_count")" 3
check "list pattern" "$DATOM" list 'nomatch*'
same "a pattern that matches nothing" "$(wc -l <"$T/out")" 1
check "status" "$DATOM" status
check "summary" "$DATOM" summary --json
same "summary counts versions" "$(json_get "$T/out" j.summary.total_versions)" 3
check "validate" "$DATOM" validate --deep
check "the work tree is clean after writes" test -z "$(git -C "$P" status --porcelain)"

# ---- reading options ----
printf 'code;amount;when\nA1;-;2026-01-02\nB2;3.5;2026-02-03\n' >semi.csv
check "write with --delim, --na and --types" "$DATOM" write semi semi.csv --delim ';' --na - --types code=string,amount=double --json -m $'say "hi"\tto Zoë \\o/' --author "$AUTHOR"
check "history shows a message that JSON escapes" "$DATOM" history semi
same "the message unescaped, its tab a space" "$(sed -n 2p "$T/out" | sed 's/.*Table Tester      //')" 'say "hi" to Zoë \o/'
check "history --json keeps it as stored" "$DATOM" history semi --json
same "the message from JSON" "$(json_get "$T/out" "j[0].commit_message")" $'say "hi"\tto Zoë \\o/'
check "show its shape" "$DATOM" show semi --json
same "three columns, two rows" "$(json_get "$T/out" "[j.ncol, j.nrow].join('x')")" 3x2
check "read it as JSON lines" "$DATOM" read semi -o "$T/semi.jsonl"
same "the missing amount is null" "$(head -1 "$T/semi.jsonl")" '{"code":"A1","amount":null,"when":"2026-01-02"}'
printf 'code;amount;when\nA1;-;2026-01-02\n' >semi2.csv
check "write with a two-line message and a long author" "$DATOM" write semi semi2.csv --delim ';' --na - --types code=string,amount=double -m $'first line\nsecond line' --author "Zoë Ångström-Lindqvist <z@example.com>"
check "history of it" "$DATOM" history semi
same "one line per version" "$(wc -l <"$T/out")" 3
same "the author clipped to 16 characters, the message to its first line" "$(sed -n 2p "$T/out" | cut -c51-)" 'Zoë Ångström-Lin  first line ...'

# ---- lineage ----
printf 'arm,n\nA,20\nB,40\n' >arms.csv
check "derived write" "$DATOM" write arm_counts arms.csv --parent "subjects@${V2:0:8}" --json --author "$AUTHOR"
check "lineage parents" "$DATOM" lineage arm_counts --json
same "the parent is v2" "$(json_get "$T/out" j.parents[0].version)" "$V2"
check "lineage source" "$DATOM" lineage arm_counts --depth source --json
same "the source is the subjects import" "$(json_get "$T/out" j[0].table)" subjects
check_exit "bad parent" 3 "no version" "$DATOM" write arm_counts arms.csv --parent subjects@abcdef0 --author "$AUTHOR"

# ---- bad input: clear errors, nothing written ----
head_before=$(git -C "$P" rev-parse HEAD)
objects_before=$(find .datom/store -type f | wc -l)
check_exit "invalid table name" 2 "must start with a letter" "$DATOM" write 9lives v1.csv --author "$AUTHOR"
check_exit "reserved table name" 2 "reserved" "$DATOM" write .git v1.csv --author "$AUTHOR"
check_exit "unknown table" 3 "no table 'nope'" "$DATOM" read nope
check_exit "unknown version" 3 "no version 0000000" "$DATOM" read subjects --version 0000000
check_exit "short version" 2 "6 to 64" "$DATOM" read subjects --version abc
printf 'a,b\n1,2\n3,x,9\n' >ragged.csv
check_exit "unparseable CSV" 2 "ragged.csv:3" "$DATOM" write ragged ragged.csv --author "$AUTHOR"
printf 'a,b\n1,2\n3,x\n' >typed.csv
check_exit "a forced type that does not parse" 2 "typed.csv:3" "$DATOM" write typed typed.csv --types b=int64 --author "$AUTHOR"
check_exit "missing input" 3 "no such file" "$DATOM" write subjects nothere.csv --author "$AUTHOR"
same "bad input moved nothing in git" "$(git -C "$P" rev-parse HEAD)" "$head_before"
same "bad input stored nothing" "$(find .datom/store -type f | wc -l)" "$objects_before"
# a corrupt stored object: refused before parsing, and validate --deep names it
D1=$(json_get "$T/w1.json" j.data_sha)
obj=.datom/store/datom/subjects/$D1.parquet
cp "$obj" "$T/obj.bak"
chmod u+w "$obj" && printf 'XXXX' | dd of="$obj" bs=1 seek=100 conv=notrunc 2>/dev/null
check_exit "corrupt object" 7 "not parsed" "$DATOM" read subjects --version "$V1" -o "$T/corrupt.csv"
check "no output from a corrupt object" test ! -e "$T/corrupt.csv"
check_exit "validate --deep finds it" 7 "" "$DATOM" validate --deep
cp "$T/obj.bak" "$obj"
check "validate after repair" "$DATOM" validate --deep

# a damaged object is stored again by a write of the same content (issue 8
# item 4): a truncated one by any write (its size is checked), a flipped byte
# by --force (its bytes are hashed)
printf 'k,v\n1,one\n2,two\n' >fix.csv
check "write fix" "$DATOM" write fix fix.csv --author "$AUTHOR" --json
DF=$(json_get "$T/out" j.data_sha)
FO=.datom/store/datom/fix/$DF.parquet
chmod u+w "$FO" && printf 'Z' | dd of="$FO" bs=1 seek=30 conv=notrunc 2>/dev/null
check_exit "a flipped byte is caught on read" 7 "corrupt" "$DATOM" read fix
check "an unchanged input is skipped (same size)" "$DATOM" write fix fix.csv --author "$AUTHOR" --json
same "skipped" "$(json_get "$T/out" "[j.action, j.skipped].join('/')")" none/true
check "--force hashes the stored bytes" "$DATOM" write fix fix.csv --force --author "$AUTHOR" --json
same "and stores them again, no commit" "$(json_get "$T/out" "[j.action, j.repaired, j.commit_sha].join('/')")" none/true/
check "the object reads again" "$DATOM" read fix -o "$T/fix.csv"
check "as written" cmp -s "$T/fix.csv" fix.csv
truncate -s 60 "$FO"
check "a truncated object: any write of the same input restores it" "$DATOM" write fix fix.csv --author "$AUTHOR" --json
same "restored, not skipped" "$(json_get "$T/out" "[j.action, j.skipped, j.repaired].join('/')")" none/false/true
rm -f "$FO"
check "a lost object too" "$DATOM" write fix fix.csv --author "$AUTHOR" --json
same "restored" "$(json_get "$T/out" j.repaired)" true
check "validate --deep after the repairs" "$DATOM" validate --deep
# bytes another release wrote (zstd here) pin another parquet_sha: a damaged
# object is stored again as this release writes it, and every version of that
# content (in git and in the mirror's frozen copies) is pinned to the new bytes
check "metadata-only version" "$DATOM" write fix fix.csv --meta note=v2 --author "$AUTHOR" --json
VF2=$(json_get "$T/out" j.metadata_sha)
check "the same table as zstd" "$DATOM" convert --codec zstd fix.csv "$T/fix.zstd.parquet"
cp "$T/fix.zstd.parquet" "$FO"
ZSHA=$(sha256sum "$FO" | cut -d' ' -f1)
ZSIZE=$(stat -c %s "$FO")
node -e "
const fs = require('fs'), dir = '.datom/store/datom/fix/.metadata/';
const pin = (m) => { if (m.data_sha == '$DF') { m.parquet_sha = '$ZSHA'; if ('size_bytes' in m) m.size_bytes = $ZSIZE; } return m; };
const edit = (f, g) => fs.writeFileSync(f, JSON.stringify(g(JSON.parse(fs.readFileSync(f))), null, 2) + '\n');
edit('fix/metadata.json', pin); edit('fix/version_history.json', h => h.map(pin));
edit('.datom/manifest.json', m => { m.tables.fix.size_bytes = $ZSIZE; return m; });
for (const f of fs.readdirSync(dir)) if (f != 'version_history.json') edit(dir + f, pin);
edit(dir + 'version_history.json', h => h.map(pin));"
cp .datom/manifest.json .datom/store/datom/.metadata/manifest.json
git -C "$P" -c user.name="Table Tester" -c user.email=tester@example.org commit -qam "fix, as another release wrote it" && ok || bad "commit the other release's pins"
check "validate --deep of the other release's bytes" "$DATOM" validate --deep
printf 'Z' | dd of="$FO" bs=1 seek=30 conv=notrunc 2>/dev/null
check_exit "damaged" 7 "" "$DATOM" validate --deep
check "--force stores this release's bytes" "$DATOM" write fix fix.csv --meta note=v2 --force --author "$AUTHOR" --json
same "a repair commit, the version unchanged" "$(json_get "$T/out" "[j.action, j.repaired, j.metadata_sha == '$VF2', !!j.commit_sha].join('/')")" none/true/true/true
check "validate --deep after the repin" "$DATOM" validate --deep
check "the first version reads from git" "$DATOM" read fix --version "$(git -C "$P" log --format=%H -1 >/dev/null; "$DATOM" history fix --json | node -e "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>console.log(JSON.parse(s).slice(-1)[0].version))")" -o "$T/fixv1.csv"
check "and from the store alone" "$DATOM" read fix --version "$(json_get "$P/fix/version_history.json" "j.slice(-1)[0].version")" --store "$P/.datom/store" --project trial -o "$T/fixv1s.csv"
check "both as written" cmp -s "$T/fixv1s.csv" fix.csv

# ---- readers without git, on a store they cannot write ----
STORE=$P/.datom/store
cp -r "$STORE" "$T/ro-store"
chmod -R a-w "$T/ro-store"
# As root, chmod stops nothing: the readers then run as nobody (setpriv), for
# whom the store really is read-only, and the probe below proves it. Either
# way the tree (names, sizes, mtimes, directories too) must not change.
reader=()
if [[ $(id -u) -eq 0 ]]; then
    if setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null; then
        reader=(setpriv --reuid=65534 --regid=65534 --clear-groups)
    else
        echo "note: running as root without setpriv: the store-only readers can write; only the unchanged tree is checked" >&2
    fi
fi
mkdir -p "$T/ro-out" && chmod 1777 "$T/ro-out"
if [[ $(id -u) -ne 0 || ${#reader[@]} -gt 0 ]]; then
    if "${reader[@]}" touch "$T/ro-store/probe" 2>/dev/null; then
        bad "the store-only readers could write the store: the test would prove nothing"
    else ok; fi
fi
snapshot() { find "$T/ro-store" -printf '%p %s %T@\n' | sort; }
snapshot >"$T/ro.before"
(
    cd "$T/ro-out" || exit 1
    check "store-only list" "${reader[@]}" "$DATOM" list --store "$T/ro-store" --project trial --json
    same "store-only list sees the tables" "$(json_get "$T/out" "j.map(t => t.name).join(',')")" "arm_counts,fix,semi,subjects"
    check "store-only history" "${reader[@]}" "$DATOM" history subjects --store "file://$T/ro-store" --project trial --json
    same "store-only history" "$(json_get "$T/out" "j.map(e => e.version).join(',')")" "$V3,$V2,$V1"
    check "store-only read by prefix" "${reader[@]}" "$DATOM" read subjects --version "${V1:0:6}" --store "$T/ro-store" --project trial -o "$T/ro-out/ro1.csv"
    check "store-only read equals the input" cmp -s "$T/ro-out/ro1.csv" "$P/v1.csv"
    check "store-only read of the current version" "${reader[@]}" "$DATOM" read subjects --store "$T/ro-store" --project trial
    same "the current version has 60 rows" "$(($(wc -l <"$T/out") - 1))" 60
    check_exit "store-only write is refused" 2 "unrecognized option" "${reader[@]}" "$DATOM" write x "$P/v1.csv" --store "$T/ro-store" --project trial
    echo "$pass $fail" >"$T/sub.counts"
)
read -r pass fail <"$T/sub.counts"
snapshot >"$T/ro.after"
check "readers left the store untouched" cmp -s "$T/ro.before" "$T/ro.after"
# an ambiguous prefix, made by hand in a copy of the mirror
chmod -R u+w "$T/ro-store"
H=$T/ro-store/datom/subjects/.metadata/version_history.json
node -e "
const fs = require('fs'); const h = JSON.parse(fs.readFileSync('$H'));
const twin = Object.assign({}, h[0], {version: h[0].version.slice(0, 8) + 'f'.repeat(56)});
h.push(twin); fs.writeFileSync('$H', JSON.stringify(h));"
check_exit "ambiguous prefix" 6 "ambiguous" "$DATOM" read subjects --version "${V3:0:8}" --store "$T/ro-store" --project trial

# ---- sync of input_files/ ----
# sync has no --author: its author comes from git's configuration, here the
# repository's own (a new machine may have no global identity at all)
git -C "$P" config user.name "Table Tester"
git -C "$P" config user.email tables@example.org
mkdir -p input_files
subjects 10 >input_files/visits.csv
printf 'x\n1\n' >input_files/notes.xlsx
printf 'a,b\n1,2\n3\n' >input_files/broken.csv
subjects 5 >input_files/labs.csv
head_before=$(git -C "$P" rev-parse HEAD)
check "sync dry run" "$DATOM" sync --dry-run --json
same "dry run classifies" "$(json_get "$T/out" "[j.summary.new, j.summary.unsupported].join('/')")" 3/1
same "a dry run commits nothing" "$(git -C "$P" rev-parse HEAD)" "$head_before"
check_exit "sync with one broken file" 1 "" "$DATOM" sync --json
same "sync summary" "$(json_get "$T/out" "[j.summary.new, j.summary.failed, j.summary.unsupported].join('/')")" 2/1/1
check "the others were written" "$DATOM" read visits -o "$T/visits.csv"
subjects 6 >input_files/labs.csv
rm input_files/broken.csv
check "sync again" "$DATOM" sync --json
same "changed and unchanged" "$(json_get "$T/out" "[j.summary.changed, j.summary.unchanged].join('/')")" 1/1
# unchanged files are skipped before parsing: a conversion would be killed here
check "unchanged files are not parsed" env DATOM_TEST_CRASH_AT=converted "$DATOM" sync --json
same "all unchanged" "$(json_get "$T/out" "[j.summary.unchanged, j.summary.new, j.summary.changed].join('/')")" 2/0/0
check "sync commit message" "$DATOM" history labs --json
same "message says sync" "$(json_get "$T/out" j[0].commit_message)" "Sync labs (changed)"

# two files that map to one table: an error naming both, nothing committed
# (issue 8 item 12: sync used to flip-flop between them, committing each run)
printf 'a,b\n1,2\n' >input_files/dup2.csv
printf 'a\tb\n3\t4\n' >input_files/dup2.tsv
head_before=$(git -C "$P" rev-parse HEAD)
for run in 1 2; do
    check_exit "sync with a name clash ($run)" 2 "input_files/dup2.csv and input_files/dup2.tsv" "$DATOM" sync
done
check_exit "a dry run says so too" 2 "both map to table 'dup2'" "$DATOM" sync --dry-run
same "a name clash commits nothing" "$(git -C "$P" rev-parse HEAD)" "$head_before"
rm input_files/dup2.tsv
check "sync once the clash is gone" "$DATOM" sync --json
same "dup2 is new" "$(json_get "$T/out" "j.files.find(f => f.table == 'dup2').status")" new
rm input_files/dup2.csv

# ---- crash safety: kill -9 at every step of a write ----
steps="converted uploaded metadata-written history-written manifest-written committed pushed mirror-frozen mirror-history mirror-metadata mirrored"
n=0
for step in $steps; do
    n=$((n + 1))
    subjects $((20 + n)) >old.csv
    subjects $((40 + n)) 1 >new.csv
    "$DATOM" write crash old.csv --author "$AUTHOR" >/dev/null 2>&1 || bad "crash $step: old write"
    "$DATOM" read crash -o "$T/old.csv" >/dev/null 2>&1
    # waited for in a subshell whose stderr is discarded: bash reports kills there
    (DATOM_TEST_CRASH_AT=$step "$DATOM" write crash new.csv --author "$AUTHOR" >/dev/null 2>&1 &
        wait $!) 2>/dev/null
    st=$?
    [[ $st -eq 137 ]] || bad "crash $step: expected a kill, exit $st"
    # git readers: old or new, never missing bytes
    if "$DATOM" read crash -o "$T/now.csv" >/dev/null 2>"$T/err"; then
        if cmp -s "$T/now.csv" old.csv || cmp -s "$T/now.csv" new.csv; then ok; else bad "crash $step: read neither old nor new"; fi
    else bad "crash $step: unreadable: $(cat "$T/err")"; fi
    # readers of the store mirror alone: old or new too
    if "$DATOM" read crash --store "$STORE" --project trial -o "$T/now.csv" >/dev/null 2>"$T/err"; then
        if cmp -s "$T/now.csv" old.csv || cmp -s "$T/now.csv" new.csv; then ok; else bad "crash $step: mirror read neither"; fi
    else bad "crash $step: mirror unreadable: $(cat "$T/err")"; fi
    # the next write completes the story, and everything agrees again
    check "crash $step: write again" "$DATOM" write crash new.csv --author "$AUTHOR"
    check "crash $step: validate" "$DATOM" validate
    "$DATOM" read crash -o "$T/now.csv" >/dev/null 2>&1
    check "crash $step: new version readable" cmp -s "$T/now.csv" new.csv
done
# a version committed by a killed write, then replaced by other content: it
# stays readable from the store alone
subjects 33 >a.csv
subjects 34 2 >b.csv
"$DATOM" write crash2 old.csv --author "$AUTHOR" >/dev/null 2>&1
(DATOM_TEST_CRASH_AT=committed "$DATOM" write crash2 a.csv --author "$AUTHOR" >/dev/null 2>&1 &
    wait $!) 2>/dev/null
"$DATOM" history crash2 --json >"$T/h.json"
VA=$(json_get "$T/h.json" j[0].version)
check "write over an unmirrored version" "$DATOM" write crash2 b.csv --author "$AUTHOR"
check "validate after it" "$DATOM" validate
check "the unmirrored version, from the store alone" "$DATOM" read crash2 --version "$VA" --store "$STORE" --project trial -o "$T/va.csv"
check "is the content written then" cmp -s "$T/va.csv" a.csv
# kills at random times while a bigger file is written
subjects 40000 >big1.csv
subjects 40000 5 >big2.csv
check "big write" "$DATOM" write big big1.csv --author "$AUTHOR"
for i in 1 2 3 4; do
    cp "big$((i % 2 + 1)).csv" big.csv
    "$DATOM" write big big.csv --force --author "$AUTHOR" >/dev/null 2>&1 &
    pid=$!
    sleep "0.$((RANDOM % 4))$((RANDOM % 10))"
    { kill -9 $pid && wait $pid; } 2>/dev/null
    if "$DATOM" read big -o "$T/now.csv" >/dev/null 2>"$T/err"; then
        if cmp -s "$T/now.csv" big1.csv || cmp -s "$T/now.csv" big2.csv; then ok; else bad "random kill $i: read neither"; fi
    else bad "random kill $i: unreadable: $(cat "$T/err")"; fi
done
check "after random kills: write" "$DATOM" write big big.csv --force --author "$AUTHOR"
check "after random kills: validate" "$DATOM" validate
same "no temporary file left behind" "$(find .datom/cache/tmp -type f | wc -l)" 0

# ---- two writers through one bare remote and one shared store ----
R=$T/remote.git
git init -q --bare -b main "$R"
SHARED=$T/shared-store
check "init with remote" "$DATOM" init "$T/c0" --name shared --store "$SHARED" --remote "$R" --author "$AUTHOR"
check "clone 1" "$DATOM" clone "$R" "$T/c1"
check "clone 2" "$DATOM" clone "$R" "$T/c2"
writer() { # DIR TABLE WHO: four versions
    cd "$1" || exit 1
    for v in 1 2 3 4; do
        subjects $((10 * v)) "$3" >"w-$3.csv"
        "$DATOM" write "$2" "w-$3.csv" -m "$3 v$v" --author "$AUTHOR" >/dev/null 2>>"$T/race.err" || echo "$3 v$v failed" >>"$T/race.err"
    done
}
: >"$T/race.err"
writer "$T/c1" alpha 1 &
writer "$T/c2" beta 2 &
wait
writer "$T/c1" gamma 3 &
writer "$T/c2" gamma 4 &
wait
same "no writer failed" "$(grep -c failed "$T/race.err")" 0
grep -q failed "$T/race.err" && sed 's/^/  race: /' "$T/race.err" >&2
# a write whose push fails stays committed locally; the next write replays it
# on top of what others pushed meanwhile (the manifest is rebuilt, not merged)
git -C "$T/c1" remote set-url --push origin "$T/nowhere.git"
if (cd "$T/c1" && subjects 7 >x.csv && "$DATOM" write delta x.csv --author "$AUTHOR") >/dev/null 2>&1; then
    bad "a write whose push fails must say so"
else ok; fi
(cd "$T/c2" && subjects 8 >y.csv && "$DATOM" write epsilon y.csv --author "$AUTHOR") >/dev/null 2>"$T/err" || bad "epsilon: $(cat "$T/err")"
git -C "$T/c1" config --unset remote.origin.pushurl
(cd "$T/c1" && subjects 9 >z.csv && "$DATOM" write zeta z.csv --author "$AUTHOR") >/dev/null 2>"$T/err" || bad "zeta: $(cat "$T/err")"
# kill -9 around the push, with a remote: another clone, and readers of the
# store alone, see the old or the new version (never bytes that are missing),
# and the next write publishes what the killed one committed
k=0
for step in committed pushed mirror-frozen; do
    k=$((k + 1))
    cd "$T/c1" || exit 1
    subjects $((10 + 3 * k)) >k-old.csv
    subjects $((11 + 3 * k)) 4 >k-new.csv
    "$DATOM" write kappa k-old.csv --author "$AUTHOR" >/dev/null 2>&1 || bad "kappa $step: old write"
    (DATOM_TEST_CRASH_AT=$step "$DATOM" write kappa k-new.csv --author "$AUTHOR" >/dev/null 2>&1 &
        wait $!) 2>/dev/null
    st=$?
    [[ $st -eq 137 ]] || bad "kappa $step: expected a kill, exit $st"
    cd "$T/c2" || exit 1
    check "kappa $step: the other clone pulls" "$DATOM" pull
    for where in git mirror; do
        opts=()
        [[ $where == mirror ]] && opts=(--store "$SHARED" --project shared)
        if "$DATOM" read kappa "${opts[@]}" -o "$T/k.csv" >/dev/null 2>"$T/err"; then
            if cmp -s "$T/k.csv" "$T/c1/k-old.csv" || cmp -s "$T/k.csv" "$T/c1/k-new.csv"; then ok
            else bad "kappa $step: $where reads neither old nor new"; fi
        else bad "kappa $step: $where unreadable: $(cat "$T/err")"; fi
    done
    cd "$T/c1" || exit 1
    subjects $((12 + 3 * k)) 5 >k-next.csv
    check "kappa $step: the next write" "$DATOM" write kappa k-next.csv --author "$AUTHOR"
    same "kappa $step: the remote has the killed write's commit" "$(git -C "$T/c1" rev-parse HEAD)" "$(git -C "$R" rev-parse main)"
    check "kappa $step: validate" "$DATOM" validate
done
check "clone 3 sees everything" "$DATOM" clone "$R" "$T/c3"
cd "$T/c3" || exit 1
for t in alpha beta; do
    check "history $t" "$DATOM" history "$t" --json
    same "$t has 4 versions" "$(json_get "$T/out" j.length)" 4
done
check "history gamma" "$DATOM" history gamma --json
same "gamma has all 8 versions" "$(json_get "$T/out" j.length)" 8
same "each of the 8 writes is one of them" "$(json_get "$T/out" "j.map(e => e.commit_message).sort().join(',')")" "3 v1,3 v2,3 v3,3 v4,4 v1,4 v2,4 v3,4 v4"
cp "$T/out" "$T/gamma.json"
check "list --versions" "$DATOM" list 'gam*' --versions --json
same "gamma's current version is its newest entry" "$(json_get "$T/out" "j[0].current_version")" "$(json_get "$T/gamma.json" "j[0].version")"
same "list --versions agrees with history" "$(json_get "$T/out" "j[0].versions.map(e => e.version).join(',')")" "$(json_get "$T/gamma.json" "j.map(e => e.version).join(',')")"
check "list the shared project" "$DATOM" list --json
same "every table landed" "$(json_get "$T/out" "j.map(t => t.name).join(',')")" "alpha,beta,delta,epsilon,gamma,kappa,zeta"
same "kappa has every version, the killed ones too" "$(json_get "$T/out" "j.find(t => t.name == 'kappa').version_count")" 9
check "the store mirror lists them too" "$DATOM" list --store "$SHARED" --project shared --json
same "every table mirrored" "$(json_get "$T/out" "j.map(t => t.name).join(',')")" "alpha,beta,delta,epsilon,gamma,kappa,zeta"
check "validate the shared project" "$DATOM" validate --deep

# ---- the quick start (issue 4 part 12): the README's example, as a user runs it ----
QS=$(cd "$(dirname "$0")/.." && pwd)/examples/quickstart.sh
if HOME=$T/qs-home GIT_CONFIG_NOSYSTEM=1 TMPDIR=$T bash "$QS" "$DATOM" >"$T/qs.out" 2>"$T/qs.err"; then
    ok
    # its steps, in order: two full writes, a no-op, the first version read back
    # by prefix (12 subjects), the derived table's parent and source, validate
    same "quick start: the writes" "$(grep -E '^subjects: ' "$T/qs.out" | cut -d' ' -f2 | tr '\n' ' ')" "full full none "
    first=$(awk '/^== history/ {h = 1; next} h && NF == 0 {h = 0} h' "$T/qs.out" | tail -1 | cut -c1-12)
    same "quick start: the first version read back has 12 subjects" \
        "$(awk -v p="== read the first version back by its SHA prefix ${first:0:8}" '$0 == p {r = 1; next} r && /^== / {r = 0} r && /^S0/' "$T/qs.out" | wc -l)" 12
    check "quick start: lineage shown" grep -q '^  subjects@.* (imported) \[trial\]$' "$T/qs.out"
    check "quick start: validated" grep -q '^ok: 2 tables, 3 versions' "$T/qs.out"
else bad "quick start failed: $(tail -5 "$T/qs.err")"; fi

echo "$pass passed, $fail failed"
[[ $fail -eq 0 ]]
