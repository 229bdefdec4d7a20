#!/usr/bin/env bash
# scenarios/ice_aioice.yaml: two aioice ICE agents across two
# port-restricted NATs select a direct pair and exchange data over it.
# Skipped (77) without Debian's python3-aioice or coturn.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/real_programs.sh"
/usr/bin/python3 -c 'import aioice' 2>/dev/null || { echo "python3-aioice is not installed (ci/setup installs it)"; exit 77; }
command -v turnserver >/dev/null || { echo "coturn is not installed (ci/setup installs it)"; exit 77; }
out=$(scratch_dir)
trap 'rm -rf "$out"' EXIT
before=$(machine_state)
rc=0
"$NATLAB" run "$SOURCE_DIR/scenarios/ice_aioice.yaml" --out "$out/run" || rc=$?
((rc == 0)) || { tail -n 20 "$out/run/alice.log" "$out/run/bob.log" >&2; fail "ice_aioice.yaml did not pass (exit $rc)"; }
path=$(ice_path "$out/run" "$rc")
[[ $path == direct ]] || fail "the selected pair is $path, want direct"
[[ "$(machine_state)" == "$before" ]] || fail "the machine's namespaces changed"
echo "ok: $(grep '"selected"' "$out/run/alice.log")"
