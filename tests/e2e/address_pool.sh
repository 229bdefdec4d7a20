#!/usr/bin/env bash
# A NAT with two public addresses: scenarios/address_pool.yaml passes, and
# its two inside hosts were seen by the rendezvous server at two different
# addresses of the pool (paired pooling gives each host its own).
source "$(dirname "$0")/lib.sh"
out=$(scratch_dir)
trap 'rm -rf "$out"' EXIT
"$NATLAB" run "$SOURCE_DIR/scenarios/address_pool.yaml" --out "$out/run" || fail "address_pool.yaml did not pass (exit $?)"
# The peer's "registered" line holds the public endpoint the server observed.
public_ip() { sed -n 's/.*"event":"registered".*"public":"\([0-9.]*\):[0-9]*".*/\1/p' "$out/run/$1.log" | head -1; }
alice=$(public_ip alice)
carol=$(public_ip carol)
echo "alice is seen as $alice, carol as $carol"
for ip in "$alice" "$carol"; do
  [[ $ip == 198.18.1.10 || $ip == 198.18.1.11 ]] || fail "public address '$ip' is not one of the NAT's two"
done
[[ $alice != "$carol" ]] || fail "both hosts share $alice: the second address was not used"
