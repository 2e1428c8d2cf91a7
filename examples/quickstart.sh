#!/usr/bin/env bash
# The quick start: what a newcomer sees first. Usage: quickstart.sh PATH/TO/datom
#
# Makes a project on the default local store, writes a small synthetic
# clinical-style table (subjects), writes a changed version, writes the same
# data again (a no-op), reads the first version back by a SHA prefix, and shows
# the history and the lineage of a table derived from it.
set -euo pipefail
datom=${1:-datom}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
echo "== datom version"
"$datom" version

# Commits need an author: git's user.name/user.email, else this one.
author=()
if ! (command -v git >/dev/null && git config user.email >/dev/null 2>&1); then
    author=(--author "Quick Start <quickstart@example.org>")
fi

echo
echo "== make a project (git work tree; bytes in .datom/store)"
"$datom" init trial --name trial "${author[@]}"
cd trial

# A synthetic enrolment export: id, site, sex, age, arm, enrolment date.
subjects() { # N: how many subjects
    local sites=(Boston Lyon Osaka Lima) sexes=(F M) arms=(A B)
    echo "id,site,sex,age,arm,enrolled"
    for ((i = 1; i <= $1; i++)); do
        printf 'S%03d,%s,%s,%d,%s,2026-%02d-%02d\n' "$i" "${sites[i % 4]}" "${sexes[i % 2]}" \
            $((30 + (i * 7) % 40)) "${arms[(i / 2) % 2]}" $((1 + i % 12)) $((1 + (i * 3) % 28))
    done
}
subjects 12 >subjects.csv

echo
echo "== write the first export"
"$datom" write subjects subjects.csv -m "First enrolment export" "${author[@]}"

echo
echo "== write a changed export (four more subjects)"
subjects 16 >subjects.csv
"$datom" write subjects subjects.csv -m "Enrolment export, week 2" "${author[@]}"

echo
echo "== write the same data again: nothing changes"
"$datom" write subjects subjects.csv "${author[@]}"

echo
echo "== history (newest first)"
"$datom" history subjects
first=$("$datom" history subjects | tail -n 1 | cut -c1-8)
latest=$("$datom" history subjects | sed -n 2p | cut -c1-8)

echo
echo "== read the first version back by its SHA prefix $first"
"$datom" read subjects --version "$first"

echo
echo "== a derived table: subjects per arm, with the week-2 export as its parent"
{
    echo "arm,subjects"
    "$datom" read subjects --version "$latest" | awk -F, 'NR > 1 { n[$5]++ } END { for (a in n) print a "," n[a] }' | sort
} >arm_counts.csv
"$datom" write arm_counts arm_counts.csv --parent "subjects@$latest" -m "Subjects per arm" "${author[@]}"

echo
echo "== lineage: parents, then raw sources"
"$datom" lineage arm_counts
"$datom" lineage arm_counts --depth source

echo
echo "== the project"
"$datom" list
"$datom" validate
