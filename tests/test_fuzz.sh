#!/usr/bin/env bash
# A short, bounded run of every libFuzzer target (fuzz/fuzz_*.c, picked up by
# name) with its seed corpus: FUZZ_SECONDS each (default: 40 s shared among
# the targets, at most 25 and at least 10 each), built with clang,
# ASan and UBSan in $BUILD/fuzz by scripts/fuzz. Fails on any crash, leak or
# timeout. Skipped (passes, saying so) without clang, and in DATOM_SANITIZE
# builds: the fuzz build is itself sanitized, so running it in the plain build
# covers it once instead of twice.
set -uo pipefail
pass=0 fail=0
if ! command -v clang >/dev/null; then
  echo "skipped: no clang"; echo "0 passed, 0 failed"; exit 0
fi
if grep -q '^DATOM_SANITIZE:BOOL=ON' "$BUILD/CMakeCache.txt" 2>/dev/null; then
  echo "skipped in the sanitizer build (the plain build runs the sanitized fuzzers)"
  echo "0 passed, 0 failed"; exit 0
fi
targets=("$SRC"/fuzz/fuzz_*.c)
secs=${FUZZ_SECONDS:-$((40 / ${#targets[@]}))}
[ -n "${FUZZ_SECONDS:-}" ] || { [ "$secs" -gt 25 ] && secs=25; [ "$secs" -lt 10 ] && secs=10; }
for f in "${targets[@]}"; do
  t=$(basename "$f" .c)
  if FUZZ_BUILD_DIR="$BUILD/fuzz" "$SRC/scripts/fuzz" "$t" "$secs"; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1))
  fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
