#!/usr/bin/env bash
# A swarm from counted entries: scenarios/swarm.yaml at PAIRS pairs (default
# 150: 601 namespaces, more than 256 links on the internet, so its bridge
# answers ARP itself). Every pair connects; the server saw every client.
source "$(dirname "$0")/lib.sh"
pairs=${1:-150}
out=$(scratch_dir)
trap 'rm -rf "$out"' EXIT
before=$(machine_state)
sed "s/count: 250/count: $pairs/" "$SOURCE_DIR/scenarios/swarm.yaml" >"$out/swarm.yaml"
"$NATLAB" run "$out/swarm.yaml" --out "$out/run" >"$out/report" 2>&1 || fail "swarm of $pairs pairs: $(tail -3 "$out/report")"
grep -q "$pairs of $pairs expectations held" "$out/report" || fail "not every pair connected: $(tail -1 "$out/report")"
grep -q "\"registered\":$((2 * pairs))," "$out/run/server.log" || fail "the server did not count $((2 * pairs)) clients"
[[ "$(machine_state)" == "$before" ]] || fail "the machine's namespaces changed"
echo "$pairs pairs, $((4 * pairs + 1)) namespaces: every pair connected"
