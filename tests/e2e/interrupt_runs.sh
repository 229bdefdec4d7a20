#!/usr/bin/env bash
# Ctrl-C in the middle of `nat-lab run -j 2` with two long scenarios: every
# lab stops in order, each run still writes its captures (tshark reads
# them) and its result.json marked interrupted, nat-lab exits 1, and
# nothing of either lab is left behind.
source "$(dirname "$0")/lib.sh"
out=$(scratch_dir)
trap 'rm -rf "$out"' EXIT
before=$(machine_state)
for name in long_a long_b; do
  cat >"$out/$name.yaml" <<YAML
name: $name
nats:
  home:
    type: port-restricted
hosts:
  far:
    run: ping -i 0.1 \${near}
  near:
    behind: home
    run: ping -i 0.1 \${far}
YAML
done
# Its own session, so the signal goes to nat-lab's group as a terminal's would.
setsid "$NATLAB" run "$out/long_a.yaml" "$out/long_b.yaml" -j 2 --out "$out/runs" >"$out/report.txt" 2>&1 &
pid=$!
for _ in $(seq 50); do
  [[ -s $out/runs/long_a/near.log && -s $out/runs/long_b/near.log ]] && break
  sleep 0.1
done
sleep 0.5
kill -INT -- -"$pid"
rc=0
wait "$pid" || rc=$?
((rc == 1)) || fail "interrupted run: exit $rc, want 1: $(cat "$out/report.txt")"
for name in long_a long_b; do
  python3 -c "import json,sys; r=json.load(open(sys.argv[1])); assert r['interrupted'], r" \
    "$out/runs/$name/result.json" || fail "$name: result.json missing or not marked interrupted"
  n=$(tshark -r "$out/runs/$name/internet.far.pcap" -Y icmp 2>/dev/null | wc -l)
  ((n > 0)) || fail "$name: no ICMP in the capture after Ctrl-C"
  echo "$name: $n ICMP packets captured before Ctrl-C"
done
sleep 0.2
[[ "$(machine_state)" == "$before" ]] || fail "the machine's namespaces changed"
pgrep -f "$out" >/dev/null && fail "processes of the runs are still alive"
echo "Ctrl-C stopped both labs in order"
