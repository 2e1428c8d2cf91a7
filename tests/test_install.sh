#!/usr/bin/env bash
# cmake --install puts the library, header, pkg-config file and command in the
# usual places, and a program builds against them (shared and static).
set -euo pipefail
pass=0 fail=0
check() { if "$@"; then pass=$((pass+1)); else echo "FAIL: $*"; fail=$((fail+1)); fi; }
prefix="$TEST_TMP/install.$$"
rm -rf "$prefix"; mkdir -p "$TEST_TMP"
cmake --install "$BUILD" --prefix "$prefix" >/dev/null
libdir=$(ls -d "$prefix"/lib*/ | head -1); libdir=${libdir%/}
check test -x "$prefix/bin/datom"
check test -f "$prefix/include/datom.h"
check test -f "$libdir/libdatom.a"
check test -L "$libdir/libdatom.so"
soname=$(readelf -d "$libdir/libdatom.so" | sed -n 's/.*SONAME.*\[\(.*\)\]/\1/p')
check test "$soname" = "libdatom.so.0"
export PKG_CONFIG_PATH="$libdir/pkgconfig"
# A sanitized build's library needs the sanitizer runtimes in the program too.
san=""
grep -q '^DATOM_SANITIZE:BOOL=ON' "$BUILD/CMakeCache.txt" && san="-fsanitize=address,undefined"
check test "$(pkg-config --modversion datom)" = "$("$prefix/bin/datom" version | cut -d' ' -f2)"
cc $san "$SRC/examples/store_hello.c" $(pkg-config --cflags --libs datom) -Wl,-rpath,"$libdir" -o "$prefix/hello"
check test "$("$prefix/hello")" = "hello, immutable world"
cc $san "$SRC/examples/store_hello.c" $(pkg-config --cflags datom) "$libdir/libdatom.a" \
   $(pkg-config --libs --static datom | sed 's/-ldatom//') -o "$prefix/hello-static"
check test "$("$prefix/hello-static")" = "hello, immutable world"
rm -rf "$prefix"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
