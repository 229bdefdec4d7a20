#!/usr/bin/env bash
# scenarios/matrix/port_mapping_grid.yaml: the 4x4 classic grid with port
# mapping off (every cell as the outcome table says) and on at alice's NAT
# (PCP; every cell connects, and bob's path is alice's mapped endpoint, the
# three classic not-connected cells included). 32 labs, two at a time.
source "$(dirname "$0")/lib.sh"
out=$(scratch_dir)
trap 'rm -rf "$out"' EXIT
before=$(machine_state)

"$NATLAB" matrix "$SOURCE_DIR/scenarios/matrix/port_mapping_grid.yaml" -j 2 --out "$out/grid" \
  >"$out/grid.txt" 2>&1 || fail "matrix: exit $?: $(cat "$out/grid.txt")"
sed -n '/alice \\ bob/,$p' "$out/grid.txt"
grep -Eq '^symmetric +peer-reflexive +peer-reflexive +not-connected +not-connected' "$out/grid.txt" ||
  fail "the symmetric row (port mapping off) is not as the table says"
for row in fc-pcp r-pcp pr-pcp sym-pcp; do
  grep -Eq "^$row +mapped +mapped +mapped +mapped *\$" "$out/grid.txt" || fail "the $row row is not mapped throughout"
done
grep -q '32 runs: 32 passed' "$out/grid.txt" || fail "not every cell matched: $(cat "$out/grid.txt")"

# The cell classic punching cannot make: bob's result names alice's mapped
# endpoint as the path, alice's her PCP grant; nat-a's event log holds the grant.
cell=$out/grid/sym-pcp-sym
grep -q '"event":"result".*"path":"mapped"' "$cell/bob.log" || fail "sym-pcp-sym: bob's result is not via mapped"
grep -q '"port_mapping":{"protocol":"pcp","mapped":"198\.18\.1\.1:[0-9]*"' "$cell/alice.log" ||
  fail "sym-pcp-sym: alice reports no PCP mapping"
grep -q '"event":"port-mapping-granted","by":"pcp"' "$cell/nat-a.events.jsonl" ||
  fail "sym-pcp-sym: nat-a logged no PCP grant"
# Without port mapping nobody asks: no result names a mapping.
! grep -q '"port_mapping":{' "$out/grid/sym-sym/alice.log" || fail "sym-sym: alice asked for a mapping"

[[ "$(machine_state)" == "$before" ]] || fail "the machine's namespaces changed"
