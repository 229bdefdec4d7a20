#!/usr/bin/env bash
# A failed run with --keep stays up (LabOptions::hold_if), prints one
# nsenter command per host and NAT, and those commands really enter the
# node: the host's address is there and it pings the internet through its
# NAT. Ctrl-C (SIGINT) then tears everything down as usual.
source "$(dirname "$0")/lib.sh"
command -v nsenter >/dev/null || { echo "nsenter is not installed"; exit 77; }
command -v ping >/dev/null || { echo "ping is not installed"; exit 77; }
out=$(scratch_dir)
trap 'rm -rf "$out"' EXIT
cat >"$out/fails.yaml" <<'YAML'
name: fails
nats:
  home: {type: full-cone}
hosts:
  far:
    address: 198.18.0.2
  near:
    behind: home
    run: [sh, -c, 'exit 3']
expect:
  - exit: near
YAML
before=$(machine_state)
"$NATLAB" run "$out/fails.yaml" --out "$out/run" --keep >"$out/stdout" 2>"$out/stderr" &
lab=$!
for _ in $(seq 100); do
  grep -q 'Ctrl-C' "$out/stderr" && break
  sleep 0.05
done
grep -q 'Ctrl-C' "$out/stderr" || { kill -INT "$lab"; fail "the lab was not held: $(cat "$out/stderr")"; }
for node in home far near; do
  grep -Eq "^ +$node +nsenter --target [0-9]+ " "$out/stderr" || { kill -INT "$lab"; fail "no command for $node"; }
done
enter=$(sed -n 's/^ *near *//p' "$out/stderr")
$enter ip -o -4 addr show eth0 | grep -q '10.0.1.2/24' || { kill -INT "$lab"; fail "'$enter' did not enter near"; }
$enter ping -c 1 -W 2 198.18.0.2 >/dev/null || { kill -INT "$lab"; fail "near cannot reach far through home"; }
kill -INT "$lab"
rc=0
wait "$lab" || rc=$?
((rc == 1)) || fail "exit $rc after --keep and Ctrl-C, want 1 (the expectation failed)"
[[ "$(machine_state)" == "$before" ]] || fail "the machine's namespaces changed"
echo "--keep held the failed lab; '$enter' entered near and pinged far through home"
