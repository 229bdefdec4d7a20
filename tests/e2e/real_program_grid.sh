#!/usr/bin/env bash
# A real program's template matrix over the 4x4 preset grid
# (scenarios/matrix/nebula_grid.yaml, ice_grid.yaml): every cell comes to
# what docs/real-programs.md observed. One lab at a time: nebula's direct or
# relayed tunnel is a race, and a loaded machine could tip it.
# Skipped (77) without the program's Debian package.
#   real_program_grid.sh nebula|ice
source "$(dirname "$0")/lib.sh"
grid=${1:?usage: real_program_grid.sh nebula|ice}
case $grid in
  nebula) tools=(nebula nebula-cert) ;;
  ice)
    /usr/bin/python3 -c 'import aioice' 2>/dev/null || { echo "python3-aioice is not installed (ci/setup installs it)"; exit 77; }
    tools=(turnserver)
    ;;
  *) fail "unknown grid '$grid'" ;;
esac
for tool in "${tools[@]}"; do
  command -v "$tool" >/dev/null || { echo "$tool is not installed (ci/setup installs it)"; exit 77; }
done
out=$(scratch_dir)
trap 'rm -rf "$out"' EXIT
before=$(machine_state)
rc=0
"$NATLAB" matrix "$SOURCE_DIR/scenarios/matrix/${grid}_grid.yaml" -j 1 --out "$out/grid" >"$out/grid.txt" 2>&1 || rc=$?
sed -n '/alice \\ bob/,$p' "$out/grid.txt"
((rc == 0)) || { grep '^FAIL' "$out/grid.txt" >&2; fail "${grid}_grid.yaml: a cell did not come to what was observed (exit $rc)"; }
grep -q '16 runs: 16 passed' "$out/grid.txt" || fail "not 16 cells passed"
[[ "$(machine_state)" == "$before" ]] || fail "the machine's namespaces changed"
echo "ok: ${grid}_grid.yaml, every cell as observed"
