#!/usr/bin/env bash
# The profiles of real NATs as matrix axes (scenarios/matrix/profiles.yaml):
# every cell meets the outcome the table gives for the profiles' mapping and
# filtering: the three symmetric profiles (pfsense, cloud-nat-symmetric,
# mobile-symmetric) meet only the full-cone CGNAT, the rest meet everyone.
source "$(dirname "$0")/lib.sh"
out=$(scratch_dir)
trap 'rm -rf "$out"' EXIT
before=$(machine_state)
file=$SOURCE_DIR/scenarios/matrix/profiles.yaml

"$NATLAB" validate "$file" | grep -q 'ok (matrix profiles, 36 cells)' || fail "validate of the profiles matrix"
"$NATLAB" matrix "$file" --out "$out/grid" >"$out/grid.txt" || fail "matrix: exit $?: $(cat "$out/grid.txt")"
sed -n '/alice \\ bob/,$p' "$out/grid.txt"
grep -Eq '^pfsense +not-connected +not-connected +not-connected +not-connected +[a-z-]+ +not-connected' \
  "$out/grid.txt" || fail "the pfsense row is not as the table says"
grep -Eq '^linux-masquerade +public +not-connected +not-connected +public +' "$out/grid.txt" ||
  fail "the linux-masquerade row is not as the table says"
grep -q '36 runs: 36 passed' "$out/grid.txt" || fail "not every cell matched: $(cat "$out/grid.txt")"
[[ "$(machine_state)" == "$before" ]] || fail "the machine's namespaces changed"
