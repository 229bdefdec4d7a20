#!/usr/bin/env bash
# Matrix axes over NAT behaviours: an explicit NAT (restricted by its
# mapping and filtering, with sequential ports), the kernel's NAT (linux,
# port-restricted by behaviour) and a preset, in one small grid. Every cell
# must meet the outcome table, and the cells the table has no row for (an
# address-dependent mapping) the file's own expect.
source "$(dirname "$0")/lib.sh"
command -v nft >/dev/null || PATH=$PATH:/usr/sbin command -v nft >/dev/null ||
  { echo "nft is not installed (ci/setup installs nftables); linux NATs need it"; exit 77; }
out=$(scratch_dir)
trap 'rm -rf "$out"' EXIT
before=$(machine_state)

cat >"$out/behaviours.yaml" <<'YAML'
matrix:
  name: behaviours
  a:
    - {name: eim-adf-seq, mapping: endpoint-independent, filtering: address-dependent, port_allocation: sequential}
    - linux
  b:
    - symmetric
    - linux
    - {name: adm-adf, mapping: address-dependent, filtering: address-dependent}
  punch_timeout: 1s
  timeout: 2s
  expect:
    eim-adf-seq x adm-adf: connected   # no classic type: the file says
    linux x adm-adf: not-connected   # conntrack drops the new mapping's probes, as with symmetric
YAML
"$NATLAB" validate "$out/behaviours.yaml" | grep -q 'ok (matrix behaviours, 6 cells)' ||
  fail "validate of a matrix file with explicit and linux NATs"
"$NATLAB" matrix "$out/behaviours.yaml" --out "$out/run" >"$out/grid.txt" ||
  fail "matrix: exit $?: $(cat "$out/grid.txt")"
sed -n '/alice \\ bob/,$p' "$out/grid.txt"
grep -Eq '^eim-adf-seq +peer-reflexive +public +' "$out/grid.txt" || fail "the eim-adf-seq row is not as the table says"
grep -Eq '^linux +not-connected +public +' "$out/grid.txt" || fail "the linux row is not as the table says"
grep -q '6 runs: 6 passed' "$out/grid.txt" || fail "not every cell matched: $(cat "$out/grid.txt")"
[[ -s $out/run/eim-adf-seq-sym/result.json && -s $out/run/linux-linux/result.json ]] ||
  fail "a cell's directory is missing"

# The cell the table has no row for, without expect: one line, FILE:LINE:COL.
sed '/expect:/,$d' "$out/behaviours.yaml" >"$out/open.yaml"
rc=0
"$NATLAB" validate "$out/open.yaml" >/dev/null 2>"$out/err" || rc=$?
((rc == 2)) || fail "a cell without an outcome: exit $rc, want 2"
grep -q "^$out/open.yaml:9:7: no expected outcome for cell 'eim-adf-seq x adm-adf'" "$out/err" ||
  fail "error line: $(cat "$out/err")"

[[ "$(machine_state)" == "$before" ]] || fail "the machine's namespaces changed"
