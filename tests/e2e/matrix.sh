#!/usr/bin/env bash
# `nat-lab matrix`: the classic grid (4x4 presets, same NAT, hairpin on and
# off) matches the outcome table in every cell, prints the grid and writes
# matrix.html; a matrix file whose override contradicts what really happens
# exits 1 and says which cell.
source "$(dirname "$0")/lib.sh"
out=$(scratch_dir)
trap 'rm -rf "$out"' EXIT
before=$(machine_state)

"$NATLAB" matrix --out "$out/grid" --junit "$out/grid.xml" >"$out/grid.txt" || fail "matrix: exit $?: $(cat "$out/grid.txt")"
cat "$out/grid.txt" | sed -n '/alice \\ bob/,$p'
grep -Eq '^symmetric +peer-reflexive +peer-reflexive +not-connected +not-connected' "$out/grid.txt" ||
  fail "the symmetric row is not as the table says"
grep -q '19 runs: 19 passed' "$out/grid.txt" || fail "not 19 cells passed"
[[ -s $out/grid/matrix.html && -s $out/grid/pr-sym/report.html && -s $out/grid/hairpin-off/result.json ]] ||
  fail "matrix.html or a cell's directory is missing"
grep -q 'tests="19"' "$out/grid.xml" || fail "JUnit does not hold 19 cells"

# A matrix file that claims symmetric x symmetric connects: exit 1, one
# mismatch named. --filter keeps the run short.
cat >"$out/wrong.yaml" <<'YAML'
matrix:
  name: wrong
  a: [symmetric]
  b: [symmetric, full-cone]
  expect:
    symmetric x symmetric: connected
YAML
"$NATLAB" validate "$out/wrong.yaml" | grep -q 'ok (matrix wrong, 2 cells)' || fail "validate of a matrix file"
rc=0
"$NATLAB" run "$out/wrong.yaml" --out "$out/wrong" >"$out/wrong.txt" || rc=$?
((rc == 1)) || fail "a wrong override: exit $rc, want 1"
grep -q 'FAIL  wrong/sym-sym' "$out/wrong.txt" || fail "the mismatching cell is not named: $(cat "$out/wrong.txt")"
grep -q 'PASS  wrong/sym-fc' "$out/wrong.txt" || fail "the matching cell did not pass"

# Strict validation: FILE:LINE:COL.
printf 'matrix:\n  name: bad\n  a: [symmetric]\n  expect:\n    symmetric x cone: public\n' >"$out/bad.yaml"
rc=0
"$NATLAB" matrix "$out/bad.yaml" --out "$out/bad" 2>"$out/err" || rc=$?
((rc == 2)) || fail "bad matrix file: exit $rc"
grep -q "^$out/bad.yaml:5:5: no cell 'symmetric x cone'" "$out/err" || fail "error line: $(cat "$out/err")"
[[ ! -e $out/bad ]] || fail "a bad matrix file left an output directory"

[[ "$(machine_state)" == "$before" ]] || fail "the machine's namespaces changed"

# The CI workflow runs one job per cell of its MATRIX file, listed by
# `--cells --json`: that file's cells must be the built-in grid's.
workflow=$SOURCE_DIR/.github/workflows/nat-matrix.yml
matrix_file=$(sed -n 's/^  MATRIX: *//p' "$workflow")
[[ -n $matrix_file ]] || fail "$workflow names no MATRIX file"
grep -q 'fromJSON(needs.cells.outputs.cells)' "$workflow" || fail "$workflow does not take its cells from the cells job"
grep -q 'nat-lab matrix "$MATRIX" --cells --json' "$workflow" || fail "$workflow does not list cells with --cells --json"
want=$(ls -d "$out"/grid/*/ | xargs -n1 basename | sort | tr '\n' ' ')
have=$("$NATLAB" matrix "$SOURCE_DIR/$matrix_file" --cells --json | tr -d '[]"' | tr ',' '\n' | sort | tr '\n' ' ')
[[ $want == "$have" ]] || fail "$matrix_file cells '$have' are not the built-in grid's '$want'"

# The product with link impairments: every cell once per `links` setting,
# one grid per setting, the lossy cells still meeting the table.
cat >"$out/impaired.yaml" <<'YAML'
matrix:
  name: impaired
  a: [port-restricted, symmetric]
  b: [full-cone]
  links:
    clean: {}
    lossy: {loss: 20%, delay: 10ms}
  punch_timeout: 3s
  timeout: 4s
YAML
"$NATLAB" matrix "$out/impaired.yaml" --out "$out/impaired" >"$out/impaired.txt" ||
  fail "impaired matrix: exit $?: $(cat "$out/impaired.txt")"
grep -q '^links lossy:' "$out/impaired.txt" || fail "no grid for the lossy setting"
grep -q '4 runs: 4 passed' "$out/impaired.txt" || fail "not every impaired cell matched: $(cat "$out/impaired.txt")"
[[ -s $out/impaired/pr-fc@lossy/result.json ]] || fail "no directory for pr-fc@lossy"
