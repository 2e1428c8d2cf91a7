# s3lib.sh: what the S3 tests share, sourced after lib.sh and t_begin.
#
#   s3_begin         a Ceph RGW and a bucket of this test's own on it: under
#                    ctest, the gateway the run shares (RGW_SHARED: its
#                    directory, started by tests/rgw_shared.sh); else (or when
#                    that one does not answer) one started here under $base
#                    and stopped (exactly the processes it started) when the
#                    test exits. Sets EP (the endpoint) and B (the bucket). W
#                    CMD and RO CMD run CMD as the writer and as the read-only
#                    reader. Without the Ceph packages it says so loudly and
#                    ends the test as skipped (scripts/deps --test installs them;
#                    CI must have them: there a missing package is a failure).
#   proxy_start      a fault-injecting proxy (tests/s3proxy.mjs) in front of the
#                    gateway; sets PX (its endpoint)
#   proxy_rules JSON sets the proxy's rules; proxy_done prints its fault counts
SRC=${SRC:?the source directory}
. "$SRC/tests/rgw.sh"

_s3_cleanup() {
    [[ -n ${proxy_pid:-} ]] && kill "$proxy_pid" 2>/dev/null
    [[ -n ${rgw_dir:-} ]] && rgw_stop "$rgw_dir"
}

s3_begin() {
    if ! rgw_available; then
        echo "**************************************************************" >&2
        echo "SKIPPED: Ceph RGW is not installed (ceph-mon, ceph-osd, radosgw)." >&2
        echo "scripts/deps --test installs it; these S3 tests did not run."      >&2
        echo "**************************************************************" >&2
        if [[ -n ${CI:-} ]]; then
            echo "FAIL: CI must run the S3 tests" >&2
            exit 1
        fi
        echo "0 passed, 0 failed (skipped: no Ceph RGW)"
        exit 0
    fi
    trap _s3_cleanup EXIT
    if [[ -n ${RGW_SHARED:-} ]] && rgw_attach "$RGW_SHARED"; then
        echo "on the shared gateway at $RGW_ENDPOINT ($RGW_SHARED)"
    else
        [[ -n ${RGW_SHARED:-} ]] &&
            echo "note: no shared gateway answers in $RGW_SHARED: starting one of this test's own" >&2
        rgw_dir=$(mktemp -d "${TEST_TMP:-/tmp}/rgw.XXXXXX")
        if ! rgw_start "$rgw_dir"; then
            tail -20 "$rgw_dir"/log/* >&2 2>/dev/null
            echo "FAIL: the Ceph RGW did not start" >&2
            echo "0 passed, 1 failed"
            exit 1
        fi
    fi
    # a bucket of this test's own: its listings see its keys only
    local name
    name=$(basename "$base" | tr '_.' '--')
    if ! rgw_bucket "$name"; then
        echo "FAIL: no bucket $name on the Ceph RGW at $RGW_ENDPOINT" >&2
        echo "0 passed, 1 failed"
        exit 1
    fi
    EP=$RGW_ENDPOINT B=$RGW_BUCKET
    # The AWS tools' variables of the machine must not leak into the tests.
    unset AWS_PROFILE AWS_REGION AWS_DEFAULT_REGION AWS_ENDPOINT_URL AWS_ENDPOINT_URL_S3 \
        AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN
    export HOME=$base/home
    mkdir -p "$HOME"
    printf '[user]\n\tname = S3 Tester\n\temail = s3@example.org\n' >"$HOME/.gitconfig"
}

# W CMD... / RO CMD...: CMD with the writer's / the reader's credentials in its
# environment (never on a command line, where ps and failure messages show it).
W() { AWS_ACCESS_KEY_ID=$RGW_WRITER_KEY AWS_SECRET_ACCESS_KEY=$RGW_WRITER_SECRET "$@"; }
RO() { AWS_ACCESS_KEY_ID=$RGW_READER_KEY AWS_SECRET_ACCESS_KEY=$RGW_READER_SECRET "$@"; }

proxy_start() {
    node "$SRC/tests/s3proxy.mjs" "${EP##*:}" >"$base/proxy.port" 2>"$base/proxy.err" &
    proxy_pid=$!
    for _ in $(seq 1 100); do
        [[ -s $base/proxy.port ]] && break
        sleep 0.1
    done
    [[ -s $base/proxy.port ]] || { echo "FAIL: the proxy did not start: $(cat "$base/proxy.err")" >&2; exit 1; }
    PX="http://127.0.0.1:$(cat "$base/proxy.port")"
}

proxy_rules() { curl -sS -f -X POST --data-binary "$1" "$PX/__fault" >/dev/null; }
proxy_done() { curl -sS -f "$PX/__fault"; }
