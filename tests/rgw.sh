# rgw.sh: a real Ceph RADOS Gateway for the tests and benchmarks, sourced.
#
#   rgw_start DIR    one mon, one OSD (memstore), one radosgw (beast), all on
#                    free loopback ports, with everything under DIR; two users,
#                    a writer and a reader, and a bucket (rgw_bucket
#                    datom-test). Sets RGW_ENDPOINT, RGW_BUCKET,
#                    RGW_WRITER_KEY/SECRET, RGW_READER_KEY/SECRET and writes
#                    them to DIR/env (mode 600, for rgw_attach). Returns 1
#                    (with a message) if it cannot start.
#   rgw_bucket NAME  makes bucket NAME, owned by the writer, readable (only:
#                    s3:GetObject, s3:ListBucket) by the reader through the
#                    bucket's policy; sets RGW_BUCKET.
#   rgw_get_all DIR  fetches the keys listed on stdin (bucket RGW_BUCKET, as
#                    the writer) into DIR, with curl: bytes as the server has them.
#   rgw_attach DIR   uses the gateway rgw_start left running in DIR (sets the
#                    variables from DIR/env); 1 when there is none or it does
#                    not answer.
#   rgw_stop DIR     kills exactly the processes rgw_start started (by the
#                    pids it recorded, each checked to be a Ceph daemon of DIR:
#                    a pid reused since is left alone), waits until they are
#                    gone, and removes DIR. Everything lives in memory
#                    (memstore) and is thrown away, so SIGKILL: a graceful stop
#                    took 2 s per daemon, one after the other.
#   rgw_available    0 when Debian's ceph-mon, ceph-osd and radosgw are installed.
#
# Single node, cephx off, settings that make it come up in seconds
# (docs/architecture.md, "Testing against Ceph RGW"). tests/rgw_shared.sh
# starts one for a whole ctest run (docs/testing.md, "The S3 tests").

rgw_available() {
    command -v ceph-mon >/dev/null && command -v ceph-osd >/dev/null &&
        command -v radosgw >/dev/null && command -v radosgw-admin >/dev/null
}

# A loopback port nothing listens on (a connect is refused).
_rgw_free_port() {
    local p
    for _ in $(seq 1 200); do
        p=$((20000 + RANDOM % 40000))
        if ! (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; then
            echo "$p"
            return 0
        fi
    done
    return 1
}

_rgw_conf() {
    local dir=$1 monport=$2 rgwport=$3
    cat > "$dir/ceph.conf" <<EOF
[global]
fsid = $(cat /proc/sys/kernel/random/uuid)
mon host = v2:127.0.0.1:$monport
public network = 127.0.0.0/8
auth cluster required = none
auth service required = none
auth client required = none
auth allow insecure global id reclaim = true
ms bind ipv6 = false
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon allow pool size one = true
mon allow pool delete = true
mon max pg per osd = 1000
mon warn on pool no redundancy = false
osd objectstore = memstore
memstore device bytes = 12884901888
osd data = $dir/osd
mon data = $dir/mon
run dir = $dir/run
admin socket = $dir/run/\$name.asok
log file = $dir/log/\$name.log
pid file = $dir/run/\$name.pid
paxos propose interval = 0.01
osd crush chooseleaf type = 0
[client]
ms mon client mode = crc
# tcp_nodelay: without it beast sends a small body in a segment of its own that
# Nagle holds until the client's delayed ACK (~40 ms): every small GET took ~45 ms
# instead of ~2 (a fact database opened from 50 objects: 2.8 s instead of 0.3)
rgw frontends = beast endpoint=127.0.0.1:$rgwport tcp_nodelay=1
rgw dns name = localhost
rgw enable usage log = false
rgw data = $dir/rgw
rgw thread pool size = 64
# deleted objects (and replaced multipart data) reclaimed within seconds, not hours:
# a benchmark that puts and deletes gigabytes must not fill the memstore
rgw gc obj min wait = 2
rgw gc processor period = 2
rgw gc processor max time = 2
EOF
}

# Waits up to $2 seconds for "$1" to succeed.
_rgw_wait() {
    local cmd=$1 secs=$2
    for _ in $(seq 1 $((secs * 10))); do
        eval "$cmd" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    return 1
}

# A signed S3 request with curl: METHOD PATH KEY SECRET [BODY-FILE]
_rgw_s3() {
    local method=$1 path=$2 key=$3 secret=$4 body=${5:-}
    local sha=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
    local args=()
    if [[ -n $body ]]; then
        sha=$(sha256sum "$body" | cut -d' ' -f1)
        args=(--data-binary "@$body")
    fi
    # the credentials through a config on a pipe: a command line shows in ps
    curl -sS -f -X "$method" --aws-sigv4 "aws:amz:us-east-1:s3" -K <(printf 'user = "%s:%s"\n' "$key" "$secret") \
        -H "x-amz-content-sha256: $sha" "${args[@]}" "$RGW_ENDPOINT$path"
}

# rgw_get_all DIR: every key read from stdin, of bucket RGW_BUCKET, fetched
# as the writer into DIR/KEY, by one curl over kept connections (a process
# per object took 14 s for 135 objects, a minute under ASan). Fails if any
# cannot be had.
rgw_get_all() {
    local dir=$1 k enc i c LC_ALL=C # a byte at a time: UTF-8 is encoded byte by byte
    {
        printf 'user = "%s:%s"\n' "$RGW_WRITER_KEY" "$RGW_WRITER_SECRET"
        while IFS= read -r k; do
            enc=
            for ((i = 0; i < ${#k}; i++)); do
                c=${k:i:1}
                case $c in [A-Za-z0-9/._~-]) enc+=$c ;; *) enc+=$(printf '%%%02X' "'$c") ;; esac
            done
            printf 'url = "%s/%s/%s"\noutput = "%s/%s"\n' "$RGW_ENDPOINT" "$RGW_BUCKET" "$enc" "$dir" "$k"
        done
    } | curl -sS -f --create-dirs --aws-sigv4 "aws:amz:us-east-1:s3" -K - \
        -H "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
}

rgw_start() {
    local dir=$1
    mkdir -p "$dir"/{mon,osd,run,log,rgw}
    local monport rgwport
    monport=$(_rgw_free_port) && rgwport=$(_rgw_free_port) || { echo "rgw: no free port" >&2; return 1; }
    _rgw_conf "$dir" "$monport" "$rgwport"
    local conf=(-c "$dir/ceph.conf")
    monmaptool --create --clobber --addv a "[v2:127.0.0.1:$monport]" \
        --fsid "$(sed -n 's/^fsid = //p' "$dir/ceph.conf")" "$dir/monmap" >/dev/null || return 1
    ceph-mon "${conf[@]}" --mkfs -i a --monmap "$dir/monmap" >"$dir/log/mkfs.log" 2>&1 || {
        echo "rgw: ceph-mon --mkfs failed (see $dir/log)" >&2; return 1; }
    ceph-mon "${conf[@]}" -i a -f </dev/null >"$dir/log/mon.out" 2>&1 &
    echo $! >> "$dir/pids"; disown $! # killed by rgw_stop, without a job notice
    _rgw_wait "timeout 5 ceph ${conf[*]} mon stat" 30 || { echo "rgw: mon did not start" >&2; return 1; }
    local id
    id=$(timeout 10 ceph "${conf[@]}" osd create 2>/dev/null) || { echo "rgw: osd create failed" >&2; return 1; }
    mkdir -p "$dir/osd"
    ceph-osd "${conf[@]}" -i "$id" --mkfs >"$dir/log/osd-mkfs.log" 2>&1 || {
        echo "rgw: ceph-osd --mkfs failed (see $dir/log)" >&2; return 1; }
    ceph-osd "${conf[@]}" -i "$id" -f </dev/null >"$dir/log/osd.out" 2>&1 &
    echo $! >> "$dir/pids"; disown $! # killed by rgw_stop, without a job notice
    _rgw_wait "timeout 5 ceph ${conf[*]} osd stat | grep -q '1 up'" 60 || {
        echo "rgw: osd did not come up" >&2; return 1; }
    radosgw "${conf[@]}" -n client.rgw.a -f </dev/null >"$dir/log/rgw.out" 2>&1 &
    echo $! >> "$dir/pids"; disown $! # killed by rgw_stop, without a job notice
    RGW_ENDPOINT="http://127.0.0.1:$rgwport"
    _rgw_wait "curl -s -o /dev/null $RGW_ENDPOINT" 120 || { echo "rgw: radosgw did not answer" >&2; return 1; }
    _rgw_users "$dir" || return 1
}

_rgw_users() {
    local dir=$1
    local conf=(-c "$dir/ceph.conf")
    RGW_WRITER_KEY=DATOMWRITER0000000001
    RGW_WRITER_SECRET=$(head -c 30 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 40)
    RGW_READER_KEY=DATOMREADER0000000001
    RGW_READER_SECRET=$(head -c 30 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 40)
    radosgw-admin "${conf[@]}" user create --uid writer --display-name writer \
        --access-key "$RGW_WRITER_KEY" --secret-key "$RGW_WRITER_SECRET" >/dev/null 2>"$dir/log/user.log" &&
    radosgw-admin "${conf[@]}" user create --uid reader --display-name reader \
        --access-key "$RGW_READER_KEY" --secret-key "$RGW_READER_SECRET" >/dev/null 2>>"$dir/log/user.log" || {
        echo "rgw: user create failed (see $dir/log/user.log)" >&2; return 1; }
    export RGW_ENDPOINT RGW_WRITER_KEY RGW_WRITER_SECRET RGW_READER_KEY RGW_READER_SECRET
    local v
    (umask 077 && for v in RGW_ENDPOINT RGW_WRITER_KEY RGW_WRITER_SECRET RGW_READER_KEY RGW_READER_SECRET; do
        printf 'export %s=%q\n' "$v" "${!v}"; done >"$dir/env") || return 1
    rgw_bucket datom-test
}

rgw_bucket() {
    local name=$1 policy
    # the gateway answers before it has all it needs to make a bucket: retried
    _rgw_wait "_rgw_s3 PUT /$name $RGW_WRITER_KEY $RGW_WRITER_SECRET" 30 || {
        echo "rgw: bucket create $name failed" >&2; return 1; }
    policy=$(mktemp) || return 1
    cat > "$policy" <<EOF
{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam:::user/reader"]},
"Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::$name","arn:aws:s3:::$name/*"]}]}
EOF
    _rgw_s3 PUT "/$name?policy=" "$RGW_WRITER_KEY" "$RGW_WRITER_SECRET" "$policy" || {
        rm -f "$policy"; echo "rgw: bucket policy of $name failed" >&2; return 1; }
    rm -f "$policy"
    RGW_BUCKET=$name
    export RGW_BUCKET
}

rgw_attach() {
    local dir=$1
    [[ -f $dir/env ]] || return 1
    . "$dir/env" || return 1
    curl -s -o /dev/null --max-time 10 "$RGW_ENDPOINT"
}

# The pids of DIR/pids that are still Ceph daemons started with DIR's ceph.conf.
_rgw_pids() {
    local dir=$1 pid
    [[ -f $dir/pids ]] || return 0
    for pid in $(cat "$dir/pids"); do
        tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -qF -- "-c $dir/ceph.conf " && echo "$pid"
    done
}

rgw_stop() {
    local dir=$1 pid pids
    [[ -d $dir ]] || return 0
    pids=$(_rgw_pids "$dir")
    for pid in $pids; do
        kill -9 "$pid" 2>/dev/null
    done
    # gone for good before their files are removed (they may still be writing logs)
    for pid in $pids; do
        for _ in $(seq 1 100); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.05
        done
    done
    rm -rf "$dir"
}
