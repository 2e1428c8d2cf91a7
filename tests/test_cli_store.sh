#!/usr/bin/env bash
# test_cli_store.sh: `datom store ...` verbs, their output and exit statuses.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
t_begin cli_store

S="$base/store"
D() { "$DATOM" --store "$S" "$@"; }

# Help everywhere: every verb `datom --help` lists takes --help (exit 0, a usage line).
expect 0 "$DATOM" --help; has "$out" "Exit status:"
verbs=$(printf '%s\n' "$out" | sed -n '/^Verbs:/,/^$/s/^  \([a-z-]*\) .*/\1/p')
[ "$(printf '%s\n' "$verbs" | wc -l)" -ge 10 ] && ok || bad "verbs not found in datom --help: $verbs"
for verb in $verbs; do
    expect 0 "$DATOM" "$verb" --help; has "$(printf '%s\n' "$out" | head -1)" "usage: datom "
    has "$(printf '%s\n' "$out" | head -1)" " $verb"
done
expect 0 "$DATOM" --version; has "$out" "datom "
expect 0 "$DATOM" store --help; has "$out" "cat-ref"
for sub in put get ls rm cat-ref set-ref del-ref; do
    expect 0 "$DATOM" store "$sub" --help; has "$out" "usage: datom store $sub"
done
expect 2 "$DATOM" store
expect 2 "$DATOM" store frobnicate; has "$err" "unknown subcommand"
expect 2 D store put; has "$err" "expected one FILE"

# No project, no --store: a clear error saying how to get one.
mkdir -p "$base/empty" && cd "$base/empty"
expect 3 "$DATOM" store ls; has "$err" "datom init"
cd "$base"

# put (content-addressed), idempotent; get verifies.
printf 'hello store\n' > a.txt
sha=$(sha256sum a.txt | cut -d' ' -f1)
expect 0 D store put a.txt; [ "$out" = "$sha" ] && ok || bad "put printed $out, wanted $sha"
expect 0 D store put a.txt; [ "$out" = "$sha" ] && ok || bad "second put printed $out"
expect 0 D store get "$sha"; [ "$out" = "hello store" ] && ok || bad "get printed $out"
expect 0 D store get "$sha" -o got.txt; cmp -s a.txt got.txt && ok || bad "get -o differs"
expect 0 D store put --prefix datom/t1/ a.txt
expect 0 D store get --prefix datom/t1/ "$sha"; [ "$out" = "hello store" ] && ok || bad "prefixed get"
expect 0 D --json store put --prefix datom/t1/ a.txt; has "$out" "\"key\":\"datom/t1/$sha\""
has "$out" '"size":12'
printf 'from stdin' | D store put --key in/stdin - >/dev/null && ok || bad "put - failed"
expect 0 D store get in/stdin; [ "$out" = "from stdin" ] && ok || bad "stdin round trip: $out"
expect 0 D store put --key notes/a.txt a.txt; [ "$out" = "$sha" ] && ok || bad "put --key sha"
expect 3 D store put missing.txt; has "$err" "missing.txt"
expect 2 D store put --key ../escape a.txt; has "$err" '"..'
expect 2 D store put --prefix nodash a.txt; has "$err" "end in '/'"
expect 2 D store put --key k --prefix p/ a.txt; has "$err" "not both"

# Corruption: exit 7, nothing written (not even partially to stdout).
printf 'HELLO STORE\n' > "$S/$sha"
expect 7 D store get "$sha"; has "$err" "corrupt"; [ -z "$out" ] && ok || bad "corrupt bytes printed"
expect 7 D store get "$sha" -o bad.txt; [ ! -e bad.txt ] && ok || bad "bad.txt written"
expect 3 D store get 0000000000000000000000000000000000000000000000000000000000000000
expect 3 D store get no/such/key; has "$err" "no/such/key"

# ls, paging, JSON.
expect 0 D store ls
[ "$(printf '%s\n' "$out" | wc -l)" = 4 ] && ok || bad "ls: $out"
[ "$(printf '%s\n' "$out" | head -1)" = "$sha" ] && ok || bad "ls order: $out"
expect 0 D store ls datom/; [ "$out" = "datom/t1/$sha" ] && ok || bad "ls prefix: $out"
expect 0 D store ls --limit 2; [ "$(printf '%s\n' "$out" | wc -l)" = 2 ] && ok || bad "ls --limit"
expect 0 D store ls --start-after in/stdin; [ "$out" = "notes/a.txt" ] && ok || bad "start-after: $out"
expect 0 D store ls --json notes/; [ "$out" = '[{"key":"notes/a.txt","size":12}]' ] && ok || bad "ls --json: $out"
expect 2 D store ls --limit x
expect 0 D store ls nothing/; [ -z "$out" ] && ok || bad "empty ls: $out"
# A prefix never reaches outside the store.
mkdir -p outside && echo secret > outside/file
expect 2 D store ls ../outside/; has "$err" '".."'; [ -z "$out" ] && ok || bad "ls ../ printed $out"

# rm.
expect 0 D store rm notes/a.txt
expect 3 D store rm notes/a.txt

# Refs: create-only, CAS, conflicts, delete.
expect 3 D store cat-ref roots/main
expect 0 D store set-ref --create roots/main v1; v1=$out
expect 4 D store set-ref --create roots/main again; has "$err" "already exists"
expect 0 D store cat-ref roots/main; [ "$out" = "v1" ] && ok || bad "cat-ref: $out"
expect 0 D store set-ref --expect "$v1" roots/main v2; v2=$out
expect 5 D store set-ref --expect "$v1" roots/main v3; has "$err" "roots/main"
expect 0 D --json store cat-ref roots/main; has "$out" "\"version\":\"$v2\""; has "$out" '"value":"v2"'
has "$out" '"mtime_ms":'
expect 2 D store set-ref roots/main v3; has "$err" "--create"
expect 2 D store del-ref roots/main; has "$err" "--expect"
expect 5 D store del-ref --expect "$v1" roots/main
expect 0 D store del-ref --expect "$v2" roots/main
expect 3 D store cat-ref roots/main

# The project's local store: found from a subdirectory, at .datom/store.
mkdir -p proj/.datom proj/sub/deeper && cd proj/sub/deeper
expect 0 "$DATOM" store put "$base/a.txt"
[ -f "$base/proj/.datom/store/$sha" ] && ok || bad "not in the project's store"
cd "$base"

# A project whose project.yaml names another store: that store is used.
mkdir -p proj2/.datom "$base/shared"
cat > proj2/.datom/project.yaml <<EOF
project_name: proj2
project_description: ~
created_at: '2026-11-23'
datom_version: 0.1.1
storage:
  data:
    type: local
    root: $base/shared
  max_file_size_gb: 1
repos:
  data:
    remote_url: ~
sync:
  continue_on_error: no
  parallel_uploads: 4
renv: no
EOF
cd proj2
expect 0 "$DATOM" store put "$base/a.txt"
[ -f "$base/shared/$sha" ] && ok || bad "not in the project's configured store ($err)"
cd "$base"

# Progress only on a terminal; --verbose says what the store did.
truncate -s 70M big.bin
expect 0 D store put big.bin; [ -z "$err" ] && ok || bad "progress without a terminal: $err"
tty_out=$(script -qec "'$DATOM' --store '$S' store put --key big/copy '$base/big.bin'" /dev/null)
has "$tty_out" "put: "; has "$tty_out" "MiB"
printf 'verbose\n' > v.txt; vsha=$(sha256sum v.txt | cut -d' ' -f1)
expect 0 D -v store put v.txt; has "$err" "store $S (file backend)"; has "$err" "put $vsha (8 bytes)"
expect 0 D -v store put v.txt; has "$err" "put $vsha (8 bytes, already there)"
expect 0 D -v store get "$vsha"; has "$err" "SHA-256 verified"
expect 0 D -v store set-ref --create v/ref x; has "$err" "ref v/ref now at version"
expect 0 D store get "$vsha"; [ -z "$err" ] && ok || bad "quiet by default: $err"
rm -f big.bin

# Output that cannot be written is a failure (exit 8), not a short listing.
if [ -w /dev/full ]; then
    expect 8 sh -c '"$0" --store "$1" store ls >/dev/full' "$DATOM" "$S"; has "$err" "standard output"
    expect 8 sh -c '"$0" --store "$1" store put "$2" >/dev/full' "$DATOM" "$S" "$base/a.txt"
fi

# Unsupported and malformed URLs.
# An S3 endpoint that refuses connections: an i/o error naming the store,
# after the bounded retries (none here).
expect 8 "$DATOM" --store 's3://bucket/x?endpoint=http://127.0.0.1:9&retries=0' store ls; has "$err" "s3://bucket/x"
expect 2 "$DATOM" --store 's3://k:SECRETKEY@bucket/x' store ls; has "$err" "***"
[[ "$err" != *SECRETKEY* ]] && ok || bad "a secret in a URL was printed: $err"
expect 9 "$DATOM" --store gopher://x store ls; has "$err" "scheme"
expect 2 "$DATOM" --store file://host/x store ls

t_end
