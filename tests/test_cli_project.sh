#!/usr/bin/env bash
# test_cli_project.sh: datom init / clone / pull / push as a user runs them:
# exit statuses, files made, messages, and two clones trading through a bare
# remote.
set -u
DATOM=${DATOM:?path of the datom command}
T=${TEST_TMP:-/tmp}/cli_project.$$
rm -rf "$T"
mkdir -p "$T/home"
export HOME=$T/home XDG_CONFIG_HOME=$T/home GIT_CONFIG_NOSYSTEM=1
unset GIT_AUTHOR_NAME GIT_AUTHOR_EMAIL GIT_COMMITTER_NAME GIT_COMMITTER_EMAIL
AUTHOR="Ann Example <ann@example.com>"
gitc() { git -c user.name=Tester -c user.email=t@example.com "$@"; }

pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
# expect STATUS CMD...: runs CMD, checks its exit status; output in $T/out, $T/err
expect() {
    local want=$1
    shift
    "$@" >"$T/out" 2>"$T/err"
    local got=$?
    if [ "$got" = "$want" ]; then ok; else bad "$* -> exit $got, wanted $want: $(cat "$T/err")"; fi
}
has() { if grep -qF -- "$2" "$1"; then ok; else bad "$1 lacks '$2': $(head -c 400 "$1")"; fi; }

for verb in init clone pull push; do
    expect 0 "$DATOM" "$verb" --help
    has "$T/out" "usage: datom $verb"
done

cd "$T"
expect 2 "$DATOM" init p0
has "$T/err" "--name is required"
expect 2 "$DATOM" init p0 --name "bad/name" --author "$AUTHOR"
has "$T/err" "only letters"
[ ! -e p0 ] && ok || bad "p0 made by a refused init"
expect 2 "$DATOM" init p0 --name fine
has "$T/err" "git config"
[ ! -e p0 ] && ok || bad "p0 left behind without identity"

git init -q --bare -b main remote.git
expect 0 "$DATOM" init p1 --name study --description "Study one" --author "$AUTHOR" --remote "$T/remote.git"
has "$T/out" "Initialized datom project study in $T/p1"
for f in .datom/project.yaml .datom/manifest.json .gitignore README.md input_files .datom/store; do
    [ -e "p1/$f" ] && ok || bad "p1/$f missing"
done
[ "$(git -C p1 log -1 --format=%s)" = "Initialize datom repository" ] && ok || bad "first commit message"
[ "$(git -C remote.git rev-parse main)" = "$(git -C p1 rev-parse HEAD)" ] && ok || bad "init did not push"
expect 4 "$DATOM" init p1 --name study --author "$AUTHOR"

# clone: a project on its default local store warns that the bytes stay behind
expect 0 "$DATOM" --json clone "file://$T/remote.git" p2
has "$T/out" '"name":"study"'
has "$T/out" "\"root\":\"$T/p2\""
has "$T/err" "git does not carry"
expect 0 "$DATOM" clone "$T/remote.git"
[ -f remote/.datom/project.yaml ] && ok || bad "clone into the default directory"
expect 3 "$DATOM" clone "$T/nowhere.git" p9
[ ! -e p9 ] && ok || bad "failed clone left p9"

# push from one clone, pull into the other
echo "notes" >p1/NOTES.md
gitc -C p1 add NOTES.md && gitc -C p1 commit -qm notes
cd p1/.datom && expect 0 "$DATOM" push; cd "$T" # from a subdirectory
has "$T/out" "Pushed"
cd p2 && expect 0 "$DATOM" --json pull; cd "$T"
has "$T/out" '"updated":true'
[ -f p2/NOTES.md ] && ok || bad "pull did not bring NOTES.md"
cd p2 && expect 0 "$DATOM" pull; cd "$T"
has "$T/out" "Already up to date"

# different files on both sides: push refused (5), pull replays, push works
echo a >p1/a.md && gitc -C p1 add a.md && gitc -C p1 commit -qm a
echo b >p2/b.md && gitc -C p2 add b.md && gitc -C p2 commit -qm b
expect 0 "$DATOM" push p1
expect 5 "$DATOM" push p2
has "$T/err" "pull"
expect 0 "$DATOM" pull p2
[ -f p2/a.md ] && [ -f p2/b.md ] && ok || bad "rebase lost a file"
expect 0 "$DATOM" push p2
[ "$(git -C p2 rev-list --merges --count HEAD)" = 0 ] && ok || bad "pull made a merge commit"

# the same file on both sides: a conflict naming it, nothing changed
expect 0 "$DATOM" pull p1
echo one >>p1/NOTES.md && gitc -C p1 commit -qam one
echo two >>p2/NOTES.md && gitc -C p2 commit -qam two
head2=$(git -C p2 rev-parse HEAD)
expect 0 "$DATOM" push p1
expect 5 "$DATOM" pull p2
has "$T/err" "NOTES.md"
[ "$(git -C p2 rev-parse HEAD)" = "$head2" ] && ok || bad "conflicting pull moved HEAD"

# a write whose push failed, then `datom pull`: the local write is replayed on
# top of the remote's and the manifest (changed on both sides by every write)
# is rebuilt from the tables, not reported as a conflict
git init -q --bare -b main w.git
expect 0 "$DATOM" init w1 --name wide --store "$T/wstore" --remote "$T/w.git" --author "$AUTHOR"
expect 0 "$DATOM" clone "$T/w.git" w2
printf 'a,b\n1,2\n' >alpha.csv
printf 'c\nx\ny\n' >beta.csv
git -C w2 remote set-url --push origin "$T/nowhere.git"
cd w2 && expect 8 "$DATOM" write beta "$T/beta.csv" --author "$AUTHOR"; cd "$T"
has "$T/err" "push to $T/nowhere.git: no such repository"
# push and pull to a remote that is not there: the remote's status (8, i/o), said plainly
expect 8 "$DATOM" push w2
has "$T/err" "push to $T/nowhere.git: no such repository"
git -C w1 remote set-url origin "file://$T/gone.git"
expect 8 "$DATOM" pull w1
has "$T/err" "fetch file://$T/gone.git: no such repository"
expect 8 "$DATOM" push w1
git -C w1 remote set-url origin "$T/w.git"
cd w1 && expect 0 "$DATOM" write alpha "$T/alpha.csv" --author "$AUTHOR"; cd "$T"
git -C w2 config --unset remote.origin.pushurl
expect 0 "$DATOM" pull w2
[ -f w2/alpha/metadata.json ] && [ -f w2/beta/metadata.json ] && ok || bad "pull lost a table"
manifest_tables() { node -e "const m = JSON.parse(require('fs').readFileSync('$1/.datom/manifest.json', 'utf8'));
    console.log(Object.keys(m.tables).join(',') + ' ' + m.summary.total_tables + ' ' + m.summary.total_versions + ' ' + m.project_name)"; }
[ "$(manifest_tables w2)" = "alpha,beta 2 2 wide" ] && ok || bad "manifest after pull: $(manifest_tables w2)"
[ -z "$(git -C w2 status --porcelain)" ] && ok || bad "pull left changes: $(git -C w2 status --porcelain)"
[ "$(git -C w2 log -1 --format=%s)" = "Update beta" ] && ok || bad "replayed commit: $(git -C w2 log -1 --format=%s)"
[ "$(git -C w2 rev-list --merges --count HEAD)" = 0 ] && ok || bad "pull made a merge commit"
expect 0 "$DATOM" push w2
expect 0 "$DATOM" pull w1
[ "$(manifest_tables w1)" = "alpha,beta 2 2 wide" ] && ok || bad "manifest in w1: $(manifest_tables w1)"

# store commands inside a project use the store project.yaml names
expect 0 "$DATOM" init p3 --name shared --store "$T/shared" --author "$AUTHOR"
cd p3/input_files && expect 0 "$DATOM" store put "$T/p1/README.md"; cd "$T"
sha=$(sha256sum p1/README.md | cut -c1-64)
[ -f "shared/$sha" ] && ok || bad "store put did not use the project's store"

# where a project's default store is (docs/formats.md, "The default local
# store"): recorded absolute as R datom writes it; a moved or copied project
# uses its own; a clone shares the original's while that is there, and without
# it reads git but says plainly why it cannot read bytes
printf 'a,b\n1,x\n2,y\n' >ab.csv
expect 0 "$DATOM" init "$T/m1/../mv1" --name mover --author "$AUTHOR"
has mv1/.datom/project.yaml "    root: $T/mv1/.datom/store"
cd mv1 && expect 0 "$DATOM" write ab "$T/ab.csv" --author "$AUTHOR"; cd "$T"
mv mv1 mv2
cd mv2 && expect 0 "$DATOM" read ab -o "$T/ab-moved.csv"; cd "$T"
has "$T/err" "was moved or copied"
has "$T/err" "set storage.data.root to $T/mv2/.datom/store"
cmp -s ab.csv ab-moved.csv && ok || bad "moved project read other values"
cd mv2 && expect 0 "$DATOM" write ab "$T/ab.csv" --force --author "$AUTHOR"; cd "$T"
[ -z "$(git -C mv2 status --porcelain)" ] && ok || bad "a moved project's write left changes"
cp -a mv2 mv3
printf 'a,b\n3,z\n' >ab2.csv
cd mv3 && expect 0 "$DATOM" write ab "$T/ab2.csv" --author "$AUTHOR"; cd "$T"
cd mv2 && expect 0 "$DATOM" validate --deep; cd "$T"
[ "$(find mv2/.datom/store -name '*.parquet' | wc -l)" = 1 ] && ok || bad "the copy wrote into the original's store"
expect 0 "$DATOM" init c1 --name cloned --author "$AUTHOR"
cd c1 && expect 0 "$DATOM" write ab "$T/ab.csv" --author "$AUTHOR"; cd "$T"
gitc clone -q c1 c2 2>/dev/null
cd c2 && expect 0 "$DATOM" read ab -o "$T/ab-clone.csv"; cd "$T"
cmp -s ab.csv ab-clone.csv && ok || bad "a clone on the same machine did not read the original's store"
[ ! -e c2/.datom/store ] && ok || bad "the clone made a store of its own"
mv c1 c1-gone
cd c2 && expect 0 "$DATOM" list; cd "$T"
has "$T/out" "ab"
cd c2 && expect 3 "$DATOM" read ab; cd "$T"
has "$T/err" "its store $T/c1/.datom/store (storage.data.root in .datom/project.yaml) is not on this machine"
cd c2 && expect 3 "$DATOM" store ls; cd "$T"
has "$T/err" "git does not carry it"
cd c2 && expect 3 "$DATOM" write ab "$T/ab2.csv" --author "$AUTHOR"; cd "$T"
cd c2 && expect 3 "$DATOM" validate; cd "$T"
[ ! -e c2/.datom/store ] && [ ! -e c1 ] && ok || bad "a store was made for a clone without one"
[ -z "$(git -C c2 status --porcelain)" ] && ok || bad "a refused write left changes"
# a moved project's clone records the store where the project was made
gitc clone -q mv2 mv4 2>/dev/null
cd mv4 && expect 3 "$DATOM" read ab; cd "$T"
has "$T/err" "$T/mv1/.datom/store"

# outside any project
mkdir -p "$T/plain"
cd "$T/plain" && expect 3 "$DATOM" pull; cd "$T"
has "$T/err" "datom init"

cd /
rm -rf "$T"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
