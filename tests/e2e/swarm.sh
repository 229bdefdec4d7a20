#!/usr/bin/env bash
# A swarm from counted entries: scenarios/swarm.yaml at PAIRS pairs (default
# 300: 1,201 namespaces, more than 256 links on the internet, so its bridge
# answers ARP itself). Every pair connects; the server saw every client, and
# the lister's peer --list found each of them.
source "$(dirname "$0")/lib.sh"
pairs=${1:-300}
out=$(scratch_dir)
trap 'rm -rf "$out"' EXIT
before=$(machine_state)
sed "s/count: 250/count: $pairs/; s/after: a-250/after: a-$pairs/" "$SOURCE_DIR/scenarios/swarm.yaml" >"$out/swarm.yaml"
"$NATLAB" run "$out/swarm.yaml" --out "$out/run" >"$out/report" 2>&1 || fail "swarm of $pairs pairs: $(tail -3 "$out/report")"
held=$((3 * pairs))  # connected, and listed as a-N and as b-N
grep -q "$held of $held expectations held" "$out/report" || fail "not every pair connected and was listed: $(tail -1 "$out/report")"
grep -q "\"registered\":$((2 * pairs + 1))," "$out/run/server.log" || fail "the server did not count $((2 * pairs + 1)) clients"
[[ "$(machine_state)" == "$before" ]] || fail "the machine's namespaces changed"
echo "$pairs pairs, $((4 * pairs + 1)) namespaces: every pair connected, every peer listed"
