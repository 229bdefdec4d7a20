#!/usr/bin/env bash
# scenarios/matrix/ipv6_firewall.yaml: IPv6 firewall filterings (and route,
# NPTv6) against each other behind symmetric IPv4 NATs. Every cell connects,
# and over IPv6 (the grid marks it "(ipv6)"; the template's connects6 binds
# family: ipv6), where the IPv4 table alone says never. 10 labs, two at a time.
source "$(dirname "$0")/lib.sh"
out=$(scratch_dir)
trap 'rm -rf "$out"' EXIT
before=$(machine_state)
file=$SOURCE_DIR/scenarios/matrix/ipv6_firewall.yaml

"$NATLAB" validate "$file" | grep -q 'ok (matrix ipv6_firewall, 10 cells)' || fail "validate of the matrix"
"$NATLAB" matrix "$file" -j 2 --out "$out/grid" >"$out/grid.txt" 2>&1 ||
  fail "matrix: exit $?: $(cat "$out/grid.txt")"
sed -n '/alice \\ bob/,$p' "$out/grid.txt"
for row in v6-eif v6-adf v6-apdf v6-route v6-nptv6; do
  grep -Eq "^$row +[a-z/-]+\(ipv6\) +[a-z/-]+\(ipv6\) *\$" "$out/grid.txt" ||
    fail "the $row row did not connect over IPv6 throughout"
done
grep -q '10 runs: 10 passed' "$out/grid.txt" || fail "not every cell matched: $(cat "$out/grid.txt")"
# The path really is IPv6: bob's result in the strictest cell says so.
grep -q '"event":"result".*"family":"ipv6"' "$out/grid/v6-apdf-v6-apdf/bob.log" ||
  fail "v6-apdf-v6-apdf: bob's result is not over IPv6"
[[ "$(machine_state)" == "$before" ]] || fail "the machine's namespaces changed"
