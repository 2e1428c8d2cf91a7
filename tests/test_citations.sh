#!/usr/bin/env bash
# The repository is self-contained: no code, test, script or document cites
# texts that are not in it (a newcomer has only the clone). Cite docs/ instead,
# moving into docs/ whatever of such a text the code relies on. Fails on each
# citation of a specs/*.md file, DESIGN.md or a "DESIGN principle", STYLE.md,
# "spec section N", or a path into ../shared or /work/shared.
set -uo pipefail
cd "$SRC" || exit 1
pattern='specs/[A-Za-z0-9_.-]+\.md|DESIGN(\.md| principle)|STYLE\.md|\bspec section|\.\./shared\b|/work/shared'
# the files of the repository (git's list in a clone; else the tree, builds aside)
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  hits=$(git ls-files -co --exclude-standard -z | grep -zv '^tests/test_citations.sh$' |
         xargs -0 grep -nIE "$pattern" --)
else
  hits=$(grep -rnIE "$pattern" . --exclude-dir=.git --exclude-dir='build*' \
         --exclude-dir=node_modules --exclude=test_citations.sh)
fi
if [ -n "$hits" ]; then
  echo "FAIL: citations of texts outside this repository (cite docs/ instead):"
  echo "$hits" | sed 's/^/  /'
  echo "0 passed, 1 failed"
  exit 1
fi
# the check itself finds what it must
if printf 'see specs/datom-format.md\n' | grep -qE "$pattern"; then
  echo "1 passed, 0 failed"
else
  echo "FAIL: the pattern misses a citation"; echo "0 passed, 1 failed"; exit 1
fi
