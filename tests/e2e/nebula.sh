#!/usr/bin/env bash
# scenarios/nebula.yaml: nebula across two port-restricted NATs, its
# certificates made by set-up commands, its configs from templates. alice
# must reach bob over the overlay; whether directly or through the
# lighthouse's relay is printed (with nebula's defaults the relay usually
# wins the race: docs/real-programs.md).
# Skipped (77) without Debian's nebula package.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/real_programs.sh"
for tool in nebula nebula-cert tshark; do
  command -v "$tool" >/dev/null || { echo "$tool is not installed (ci/setup installs nebula)"; exit 77; }
done
out=$(scratch_dir)
trap 'rm -rf "$out"' EXIT
before=$(machine_state)
rc=0
"$NATLAB" run "$SOURCE_DIR/scenarios/nebula.yaml" --out "$out/run" || rc=$?
((rc == 0)) || { tail -n 20 "$out/run/alice.ping.log" "$out/run/alice.nebula.log" >&2; fail "nebula.yaml did not pass (exit $rc)"; }
for f in ca.crt alice.crt alice.key bob.crt lighthouse.crt; do
  [[ -s $out/run/setup/$f ]] || fail "set-up made no $f"
done
path=$(nebula_path "$out/run" "$rc")
[[ $path == direct || $path == relayed ]] || fail "alice reached bob: $path"
[[ "$(machine_state)" == "$before" ]] || fail "the machine's namespaces changed"
echo "ok: alice pinged bob over nebula, $path"
