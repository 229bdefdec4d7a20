#!/usr/bin/env bash
# The network really changed under the peers: after `reboot`, the NAT's
# emulator started again with the new public address (its first event log
# kept as home-a.events.1.jsonl, the new one says the new address) and the
# capture on its outside link carries traffic from that address; after
# `change`, the new emulator runs the new behaviour; after `move`, alice's
# traffic comes from her new address. The scenarios' own
# expectations (recovered, repunched, within a bound) are nat-lab's verdict.
source "$(dirname "$0")/lib.sh"
out=$(scratch_dir)
trap 'rm -rf "$out"' EXIT
before=$(machine_state)

run_scenario() {
  local name=$1 rc=0
  "$NATLAB" run "$SOURCE_DIR/scenarios/$name.yaml" --out "$out/$name" >"$out/$name.report" 2>&1 || rc=$?
  ((rc == 0)) || fail "$name did not pass (exit $rc): $(cat "$out/$name.report")"
}

run_scenario nat_reboot
run=$out/nat_reboot
grep -q '"outside_addresses":\["198.18.1.1"\]' "$run/home-a.events.1.jsonl" || fail "before the reboot: not 198.18.1.1"
grep -q '"outside_addresses":\["198.18.1.50"\]' "$run/home-a.events.jsonl" || fail "after the reboot: not 198.18.1.50"
tr -d ' \n' <"$run/result.json" | grep -q '"repunch_ms":\[[0-9]' || fail "result.json has no repunch time"
if command -v tshark >/dev/null; then
  before_n=$(tshark -r "$run/internet.home-a.pcap" -Y 'ip.src == 198.18.1.1 && udp' 2>/dev/null | wc -l)
  after_n=$(tshark -r "$run/internet.home-a.pcap" -Y 'ip.src == 198.18.1.50 && udp' 2>/dev/null | wc -l)
  ((before_n > 0 && after_n > 0)) || fail "capture: $before_n datagrams from the old address, $after_n from the new"
  echo "capture: $before_n UDP datagrams from 198.18.1.1, then $after_n from 198.18.1.50"
fi

run_scenario nat_behaviour_change
run=$out/nat_behaviour_change
grep -q '"event":"started".*"mapping":"endpoint-independent"' "$run/home-a.events.1.jsonl" ||
  fail "before the change: not endpoint-independent"
grep -q '"event":"started".*"mapping":"address-and-port-dependent"' "$run/home-a.events.jsonl" ||
  fail "after the change: not address-and-port-dependent"

run_scenario host_moves
run=$out/host_moves
grep -q '"what": "move alice to home-b (address 10.0.2.50)"' "$run/result.json" || fail "no move step in result.json"
if command -v tshark >/dev/null; then
  # the capture follows alice's port: her old address, then the new one
  old_n=$(tshark -r "$run/home-a-lan.alice.pcap" -Y 'ip.src == 10.0.1.2 && udp' 2>/dev/null | wc -l)
  new_n=$(tshark -r "$run/home-a-lan.alice.pcap" -Y 'ip.src == 10.0.2.50 && udp' 2>/dev/null | wc -l)
  ((old_n > 0 && new_n > 0)) || fail "capture: $old_n datagrams from 10.0.1.2, $new_n from 10.0.2.50"
  echo "capture: $old_n UDP datagrams from alice at 10.0.1.2, then $new_n from 10.0.2.50"
fi

[[ "$(machine_state)" == "$before" ]] || fail "the machine's namespaces changed"
echo "network changes: reboot gave home-a a new address, change a new behaviour, move alice a new address"
