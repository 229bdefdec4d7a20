#!/usr/bin/env bash
# kill -9 of nat-lab in the middle of a run: every lab process, namespace,
# link and mount goes with it.
source "$(dirname "$0")/lib.sh"
out=$(scratch_dir)
marker=$((RANDOM % 5000 + 4000))
trap 'rm -rf "$out"' EXIT
cat >"$out/long.yaml" <<YAML
name: long
nats:
  home:
    type: port-restricted
hosts:
  far:
    run: sleep $marker.1
  near:
    behind: home
    run: sleep $marker.2
YAML
before=$(machine_state)
"$NATLAB" run "$out/long.yaml" --out "$out/run" >/dev/null 2>&1 &
lab=$!
for _ in $(seq 100); do
  pgrep -f "sleep $marker.2" >/dev/null && break
  sleep 0.05
done
pgrep -f "sleep $marker.2" >/dev/null || fail "the lab never started its hosts"
pgrep -f "nat-emu --name home" >/dev/null || fail "the NAT emulator is not running"
kill -9 "$lab"
wait "$lab" 2>/dev/null || true
for _ in $(seq 40); do
  pgrep -f "sleep $marker" >/dev/null || pgrep -f "nat-emu --name home" >/dev/null || break
  sleep 0.05
done
pgrep -af "sleep $marker" && fail "lab processes survived kill -9"
pgrep -af "nat-emu --name home .*$out" && fail "the NAT emulator survived kill -9"
[[ "$(machine_state)" == "$before" ]] || fail "the machine's namespaces changed after kill -9"
ls "$out"/run/*.pcap >/dev/null || fail "no capture was started"
echo "kill -9 left nothing behind"
