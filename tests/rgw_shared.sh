#!/usr/bin/env bash
# rgw_shared.sh start|stop DIR: the Ceph RADOS Gateway that the S3 tests of one
# ctest run share (tests/CMakeLists.txt: the fixture "rgw", set up by the test
# s3_gateway_start and cleaned up by s3_gateway_stop; docs/testing.md, "The S3
# tests"). Each S3 test makes a bucket of its own on it (tests/s3lib.sh).
#
#   start  stops what a previous run left in DIR (a crash, an interrupted
#          ctest: by the pids recorded there, each checked to be a Ceph daemon
#          of DIR), then starts a gateway there (tests/rgw.sh, rgw_start).
#          Without the Ceph packages it does nothing: each S3 test then says
#          so itself (skipped, or failed under CI).
#   stop   kills exactly the daemons of DIR and removes DIR.
set -uo pipefail
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$SRC/tests/rgw.sh"
verb=${1:?start or stop} dir=${2:?the gateway directory}
mkdir -p "$(dirname "$dir")" && dir=$(cd "$(dirname "$dir")" && pwd)/$(basename "$dir")
case $verb in
start)
    rgw_stop "$dir"
    if ! rgw_available; then
        echo "no Ceph RGW installed: the S3 tests will say so"
        exit 0
    fi
    if ! rgw_start "$dir"; then
        tail -20 "$dir"/log/* >&2 2>/dev/null
        rgw_stop "$dir"
        echo "FAIL: the shared Ceph RGW did not start" >&2
        exit 1
    fi
    echo "a Ceph RGW at $RGW_ENDPOINT (daemons $(tr '\n' ' ' <"$dir/pids")in $dir)"
    ;;
stop)
    rgw_stop "$dir"
    ;;
*)
    echo "usage: rgw_shared.sh start|stop DIR" >&2
    exit 2
    ;;
esac
