#!/usr/bin/env bash
# Template matrices: a user's own scenario (here nat-lab's peers under other
# names, judged only by the scenario's named expectations, no `peers:`)
# crossed over two of its NATs; the grid printed, matrix.html and JUnit per
# cell. Then CI at scale: --cells --json lists the cells, --filter runs one
# each into separate directories (one CI job each), and `nat-lab merge`
# joins their result.json into one grid, one matrix.html, one JUnit file.
source "$(dirname "$0")/lib.sh"
out=$(scratch_dir)
trap 'rm -rf "$out"' EXIT
before=$(machine_state)

cat >"$out/overlay.yaml" <<'YAML'
name: overlay
description: two nodes of a user's overlay, each behind its own NAT
timeout: 7s
nats:
  home: {}
  office: {}
hosts:
  lighthouse:
    address: 198.18.0.2
    run: rendezvous --listen 0.0.0.0:3478 --no-relay
  laptop:
    behind: home
    run: peer --server ${lighthouse}:3478 --name laptop --no-relay --punch-timeout 1 --timeout 2 --connect desktop
  desktop:
    behind: office
    run: peer --server ${lighthouse}:3478 --name desktop --no-relay --punch-timeout 1 --timeout 2
expect:
  - {id: reaches, connected: [laptop, desktop]}
  - {id: apart, not_connected: [laptop, desktop]}
YAML
cat >"$out/grid.yaml" <<'YAML'
matrix:
  name: overlay_grid
  template: overlay.yaml
  axes: {a: home, b: office}
  a: [full-cone, symmetric]
  b: [port-restricted]
  when:
    connected: [reaches]
    not-connected: [apart]
YAML
"$NATLAB" validate "$out/grid.yaml" | grep -q 'ok (matrix overlay_grid, 2 cells)' || fail "validate of a template matrix"
"$NATLAB" matrix "$out/grid.yaml" --out "$out/all" --junit "$out/all.xml" >"$out/all.txt" ||
  fail "template matrix: exit $?: $(cat "$out/all.txt")"
sed -n '/laptop \\ desktop/,$p' "$out/all.txt"
grep -Eq '^full-cone +public' "$out/all.txt" || fail "full-cone x port-restricted is not public"
grep -Eq '^symmetric +not-connected' "$out/all.txt" || fail "symmetric x port-restricted is not not-connected"
grep -q '2 runs: 2 passed' "$out/all.txt" || fail "not every cell passed"
[[ -s $out/all/matrix.html && -s $out/all/fc-pr/report.html ]] || fail "matrix.html or a cell's report is missing"
grep -q 'tests="2"' "$out/all.xml" || fail "JUnit does not hold 2 cells"
python3 - "$out/all/sym-pr/result.json" <<'PY' || fail "the cell's note in result.json"
import json, sys
note = json.load(open(sys.argv[1]))["matrix"]
assert note["cell"] == "sym-pr" and note["expected"] == "not-connected" and note["seen"] == "not-connected", note
PY

# CI at scale: one job a cell, then one grid.
cells=$("$NATLAB" matrix "$out/grid.yaml" --cells --json)
[[ $cells == '["fc-pr","sym-pr"]' ]] || fail "--cells --json: $cells"
for cell in $(echo "$cells" | tr -d '[]"' | tr ',' ' '); do
  "$NATLAB" matrix "$out/grid.yaml" --filter "$cell" --out "$out/job-$cell/out" >/dev/null ||
    fail "--filter $cell: exit $?"
  [[ $(ls "$out/job-$cell/out" | grep -vc matrix.html) == 1 ]] || fail "--filter $cell ran more than one cell"
done
"$NATLAB" merge "$out"/job-* --out "$out/merged" >"$out/merged.txt" || fail "merge: exit $?: $(cat "$out/merged.txt")"
cat "$out/merged.txt"
diff <(sed -n '/laptop \\ desktop/,/^$/p' "$out/all.txt") <(sed -n '/laptop \\ desktop/,/^$/p' "$out/merged.txt") ||
  fail "the merged grid is not the grid of the whole run"
grep -q 'tests="2" failures="0"' "$out/merged/junit.xml" || fail "merged JUnit: $(head -3 "$out/merged/junit.xml")"
grep -q 'href="../job-fc-pr/out/fc-pr/report.html"' "$out/merged/matrix.html" || fail "merged matrix.html links"

# A cell that did not meet its class fails the merge too.
python3 - "$out/job-sym-pr/out/sym-pr/result.json" <<'PY'
import json, sys
p = sys.argv[1]; r = json.load(open(p)); r["matrix"]["seen"] = "connected"; json.dump(r, open(p, "w"))
PY
rc=0
"$NATLAB" merge "$out"/job-* --out "$out/merged2" >"$out/merged2.txt" || rc=$?
((rc == 1)) || fail "merge with a mismatching cell: exit $rc, want 1"
grep -q 'connected != not-connected' "$out/merged2.txt" || fail "the mismatch is not shown"

# Bad input in a new key: one line, FILE:LINE:COL, exit 2, nothing built.
sed 's/connected: \[reaches\]/connected: [reached]/' "$out/grid.yaml" >"$out/bad.yaml"
rc=0
"$NATLAB" matrix "$out/bad.yaml" --out "$out/bad" 2>"$out/err" || rc=$?
((rc == 2)) || fail "bad when: exit $rc, want 2"
grep -q "^$out/bad.yaml:8:17: no expectation with id 'reached' in the template" "$out/err" ||
  fail "error line: $(cat "$out/err")"
[[ $(wc -l <"$out/err") == 1 && ! -e $out/bad ]] || fail "bad input left output or more than one line"
rc=0
"$NATLAB" merge "$out/bad-nothing-here" 2>"$out/err" || rc=$?
((rc == 2)) || fail "merge of no directory: exit $rc, want 2"

[[ "$(machine_state)" == "$before" ]] || fail "the machine's namespaces changed"
