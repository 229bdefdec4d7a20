#!/usr/bin/env bash
# Set-up plus teardown of a 5-namespace lab (two NATs, three hosts, seven
# links, seven captures), RUNS times: `nat-lab run` with NATLAB_TIMING=1
# prints each phase, and its `total` line is the whole life of the lab
# (clone of the lab init to its exit, every namespace, link, capture and
# NAT included) minus the time the hosts' programs ran. No program runs
# here, so nothing but the lab itself is measured. Prints the median, the
# spread, and the median as a ratio of the 100 ms goal (below 1 is met).
# A benchmark, not a pass/fail test: it exits 0 whatever the figure.
#   tests/e2e/lab_speed.sh [RUNS]      (NATLAB, SOURCE_DIR as for the e2e checks)
source "$(dirname "$0")/lib.sh"
runs=${1:-21}
out=$(scratch_dir)
trap 'rm -rf "$out"' EXIT
cat >"$out/five.yaml" <<'YAML'
# Five namespaces: two NATs, a server on the internet, one host behind each.
name: five
nats:
  home-a: {lan: 10.0.1.0/24}
  home-b: {lan: 10.0.2.0/24}
hosts:
  server: {address: 198.18.0.2}
  alice: {behind: home-a}
  bob: {behind: home-b}
YAML
before=$(machine_state)
for ((i = 0; i < runs; i++)); do
  NATLAB_TIMING=1 "$NATLAB" run "$out/five.yaml" --out "$out/run" >/dev/null 2>"$out/timing" ||
    fail "run $i failed: $(tail -1 "$out/timing")"
  awk '$3 == "total" {print $4}' "$out/timing" >>"$out/totals"
  awk '$3 == "nats" {print $4}' "$out/timing" >>"$out/ready"
done
[[ "$(machine_state)" == "$before" ]] || fail "the machine's namespaces changed"
stats() { sort -n "$1" | awk '{v[NR] = $1} END {printf "p50 %.1f ms (min %.1f, max %.1f, %d runs)", v[int((NR + 1) / 2)], v[1], v[NR], NR}'; }
echo "lab ready (set-up inside the lab init): $(stats "$out/ready")"
echo "set-up + teardown, 5 namespaces: $(stats "$out/totals")"
p50=$(sort -n "$out/totals" | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}')
awk -v p="$p50" 'BEGIN {printf "set-up + teardown p50 / 100 ms goal: %.2f\n", p / 100}'
