#!/usr/bin/env bash
# test_secrets.sh: credentials in URLs are never printed and never stored.
# A real git HTTP server (git http-backend behind tests/git_http_server.js)
# demands a password; every verb runs with the secret in the remote's URL
# and in store URLs, at -vv, with --json, succeeding and failing; then every
# output, every object of every repository (all commits, all files), every
# work-tree file and the store are searched for the secret: zero hits. Also
# checks how the credentials are supplied instead: the URL given to init or
# clone (for that command only), DATOM_GIT_PASSWORD, a git credential helper.
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
t_begin secrets
if ! command -v node >/dev/null || ! command -v git >/dev/null; then
    echo "0 passed, 0 failed (skipped: node or git missing)"
    exit 0
fi
export HOME=$base/home GIT_CONFIG_NOSYSTEM=1 XDG_CONFIG_HOME=$base/home
mkdir -p "$HOME"
AUTHOR="Secret Keeper <keeper@example.org>"
SECRET=Zq8sECRETtok3n41
S3SECRET='wJalrXUtnFEMI/K7MDENG/bPxRfiCY'"$SECRET"
LOG=$base/all-output.txt
: >"$LOG"
# run STATUS CMD...: as expect, and every output goes to the log searched at the end
run() { expect "$@"; printf '%s\n%s\n' "$out" "$err" >>"$LOG"; }

mkdir -p srv && git init -q --bare -b main srv/p.git && git init -q --bare -b main srv/u.git
node "$SRC/tests/git_http_server.js" "$base/srv" alice "$SECRET" >port.txt 2>server.err &
server=$!
trap 'kill $server 2>/dev/null' EXIT
for _ in $(seq 100); do [[ -s port.txt ]] && break; sleep 0.1; done
PORT=$(head -1 port.txt)
[[ -n "$PORT" ]] && ok || bad "the git HTTP server did not start: $(cat server.err)"
GOOD="http://alice:$SECRET@127.0.0.1:$PORT/p.git"
PLAIN="http://127.0.0.1:$PORT/p.git"
DEAD="https://alice:$SECRET@127.0.0.1:1/p.git"
printf 'id,v\n1,a\n' >v1.csv
printf 'id,v\n1,a\n2,b\n' >v2.csv
printf 'id,v\n1,a\n2,b\n3,c\n' >v3.csv

# ---- init with the credentials in the URL: they serve that push only ----
run 0 "$DATOM" -vv init p --name p --remote "$GOOD" --store "$base/store" --author "$AUTHOR"
has "$out" "$PLAIN"
run 0 "$DATOM" -vv --json init p0 --name p0 --prefix p0 --remote "http://alice:$SECRET@127.0.0.1:$PORT/u.git" --store "$base/store" --author "$AUTHOR"
check "origin without the credentials" "$(git -C p remote get-url origin)" "$PLAIN"
cd p || exit 1
# later commands have no credentials of their own: the server refuses
run 8 "$DATOM" -vv write t ../v1.csv --author "$AUTHOR"; has "$err" "no credentials were found"
git reset -q --hard origin/main 2>/dev/null || git reset -q --hard HEAD
run 8 "$DATOM" -vv push
run 8 "$DATOM" -vv pull
# ... the environment supplies them
export DATOM_GIT_PASSWORD=$SECRET DATOM_GIT_USERNAME=alice
run 0 "$DATOM" -vv write t ../v1.csv --author "$AUTHOR"
run 0 "$DATOM" -vv push
run 0 "$DATOM" -vv --json pull
unset DATOM_GIT_PASSWORD DATOM_GIT_USERNAME
# ... or a git credential helper
printf 'http://alice:%s@127.0.0.1:%s\n' "$SECRET" "$PORT" >"$HOME/creds"
git config --global credential.helper "store --file=$HOME/creds"
run 0 "$DATOM" -vv write t ../v2.csv --author "$AUTHOR"
run 0 "$DATOM" -vv --json push
git config --global --unset credential.helper
rm -f "$HOME/creds"
for verb in "status" "status --json" "list" "history t" "read t" "show t" "lineage t" "summary" "validate --deep" "store ls"; do
    # shellcheck disable=SC2086
    run 0 "$DATOM" -vv $verb
done
cd "$base" || exit 1

# ---- clone with the credentials in the URL: that clone only ----
run 0 "$DATOM" -vv clone "$GOOD" c
check "the clone's origin has no credentials" "$(git -C c remote get-url origin)" "$PLAIN"
run 0 "$DATOM" -vv --json clone "$GOOD" c2
# without DIR: named after the URL's path, never its credentials
mkdir -p auto && (cd auto && "$DATOM" clone "$GOOD" >>"$LOG" 2>&1)
check "clone's own directory" "$(ls auto)" "p"

# ---- a remote the user configured with credentials: used, never shown ----
git clone -q "$GOOD" u 2>/dev/null
cd u || exit 1
git config user.name Keeper && git config user.email keeper@example.org
run 0 "$DATOM" -vv status; has "$out" "http://***@127.0.0.1:$PORT/p.git"
run 0 "$DATOM" -vv status --json; has "$out" '***@127.0.0.1'
run 0 "$DATOM" -vv write t ../v3.csv --author "$AUTHOR"
run 0 "$DATOM" -vv push
run 0 "$DATOM" -vv pull
run 0 "$DATOM" -vv --json pull
# ... and failures that name it: a server that is not there
git remote set-url origin "$DEAD"
run 8 "$DATOM" -vv push; has "$err" "***@127.0.0.1:1"
run 8 "$DATOM" -vv pull; has "$err" "***@"
run 8 "$DATOM" -vv --json push
printf 'id,v\n9,z\n' >../v4.csv
expect 8 "$DATOM" -vv write t ../v4.csv --author "$AUTHOR"; printf '%s\n%s\n' "$out" "$err" >>"$LOG"
cd "$base" || exit 1
run 8 "$DATOM" -vv init dead --name dead --remote "$DEAD" --author "$AUTHOR"; has "$err" "***@"
absent dead
run 8 "$DATOM" -vv clone "$DEAD" dead2
absent dead2
run 8 "$DATOM" -vv clone "http://alice:$SECRET@127.0.0.1:$PORT/nothere.git" dead3
absent dead3

# ---- store URLs with credentials: refused or redacted, never echoed ----
for url in "file://alice:$SECRET@localhost$base/store" "s3://AKIAEXAMPLE:$S3SECRET@bucket/x" \
           "s3://bucket/x?region=eu&endpoint=http://u:$SECRET@minio:9000&secret_key=$SECRET" \
           "https://alice:$SECRET@example.org/store" "file://alice:$SECRET@otherhost/x"; do
    for sub in "ls" "get k" "put v1.csv" "cat-ref r" "set-ref --create r v" "rm k"; do
        # shellcheck disable=SC2086
        "$DATOM" -vv --store "$url" store $sub >>"$LOG" 2>&1
        [[ $? -ne 0 ]] && ok || bad "store $sub on a URL with credentials succeeded"
    done
    for verb in "list" "read t" "history t" "validate"; do
        # shellcheck disable=SC2086
        "$DATOM" -vv $verb --store "$url" --project p >>"$LOG" 2>&1
        [[ $? -ne 0 ]] && ok || bad "$verb on a URL with credentials succeeded"
    done
    "$DATOM" -vv --json init "s-$RANDOM" --name s --store "$url" --author "$AUTHOR" >>"$LOG" 2>&1
    [[ $? -ne 0 ]] && ok || bad "init with credentials in its store URL succeeded"
done
has "$(cat "$LOG")" "***@"

# ---- zero hits: output, every object of every repository, files, store ----
hits() { grep -c -a -F -e "$SECRET" -e "K7MDENG" "$@" 2>/dev/null | awk -F: '{s += $NF} END {print s + 0}'; }
check "secret in the output" "$(hits "$LOG")" 0
for repo in p p0 c c2 auto/p srv/p.git srv/u.git u; do
    n=$(git -C "$repo" cat-file --batch-all-objects --batch 2>/dev/null | grep -c -a -F "$SECRET")
    check "secret in the objects of $repo" "$n" 0
    n=$(git -C "$repo" log --all -p 2>/dev/null | grep -c -a -F "$SECRET")
    check "secret in the history of $repo" "$n" 0
done
# every file on disk but the configuration the user wrote the secret into
files=$(find p p0 c c2 auto srv store u -type f ! -path u/.git/config)
# shellcheck disable=SC2086
check "secret in the files on disk" "$(hits $files)" 0
check "secret in project.yaml" "$(grep -c "remote_url" p/.datom/project.yaml)" 1
has "$(cat p/.datom/project.yaml)" "remote_url: \"$PLAIN\""

t_end
