#!/usr/bin/env bash
# libdatom.so exports exactly the functions include/datom.h declares: each one
# (marked DATOM_EXTERN, or it would be hidden) and nothing else, so that nothing
# internal becomes part of the ABI. The header is read through the preprocessor
# (no comments, no macros); its functions are the datom_* names called with "(".
set -uo pipefail
lib=$BUILD/libdatom.so
pass=0 fail=0
declared=$(cc -E -P "$SRC/include/datom.h" | grep -oE '\bdatom_[a-z0-9_]+[[:space:]]*\(' |
           sed 's/[[:space:](]//g' | sort -u)
exported=$(nm -D --defined-only "$lib" | awk '{print $NF}' | sort -u)
[ -n "$declared" ] && pass=$((pass + 1)) || { echo "FAIL: no function found in datom.h"; fail=$((fail + 1)); }
missing=$(comm -23 <(echo "$declared") <(echo "$exported"))
extra=$(comm -13 <(echo "$declared") <(echo "$exported"))
if [ -z "$missing" ]; then pass=$((pass + 1)); else
  echo "FAIL: declared in datom.h but not exported (DATOM_EXTERN missing, or not defined):"
  echo "$missing" | sed 's/^/  /'
  fail=$((fail + 1))
fi
if [ -z "$extra" ]; then pass=$((pass + 1)); else
  echo "FAIL: exported by libdatom.so but not declared in datom.h:"
  echo "$extra" | sed 's/^/  /'
  fail=$((fail + 1))
fi
echo "$(echo "$declared" | wc -l) functions declared, $(echo "$exported" | wc -l) exported"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
