#!/usr/bin/env bash
# The quick start: what a newcomer sees first. Usage: quickstart.sh PATH/TO/datom
set -euo pipefail
datom=${1:-datom}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
echo "== datom version"
"$datom" version
