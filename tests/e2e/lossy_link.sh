#!/usr/bin/env bash
# scenarios/lossy.yaml, checked beyond its expectations: the loss really
# happened (each peer's link-emu lost frames in both directions), the
# peers still connected via public endpoints with every message
# acknowledged, and they did it by retrying: the peer's side of its link
# (captured before the loss) holds more STUN packets from the peer than
# the NAT's outside link passed on.
source "$(dirname "$0")/lib.sh"
command -v tshark >/dev/null || { echo "tshark is not installed"; exit 77; }
out=$(scratch_dir)
trap 'rm -rf "$out"' EXIT
"$NATLAB" run "$SOURCE_DIR/scenarios/lossy.yaml" --out "$out/run" >"$out/report" 2>&1 ||
  fail "lossy.yaml did not pass: $(cat "$out/report")"
for peer in alice bob; do
  counters=$(grep '"event":"counters"' "$out/run/$peer.link.jsonl") || fail "$peer's link-emu wrote no counters"
  for dir in a_to_b b_to_a; do
    lost=$(sed -n "s/.*\"$dir\":{[^}]*\"lost\":\([0-9]*\).*/\1/p" <<<"$counters")
    ((lost > 0)) || fail "$peer's link lost nothing $dir: $counters"
  done
  echo "$peer's link: $counters"
done
sent=$(tshark -r "$out/run/home-a-lan.alice.pcap" -Y 'stun && ip.src == 10.0.1.2' 2>/dev/null | wc -l)
passed=$(tshark -r "$out/run/internet.home-a.pcap" -Y 'stun && ip.src == 198.18.1.1' 2>/dev/null | wc -l)
((sent > passed)) || fail "alice sent $sent STUN packets, $passed crossed home-a: nothing was lost?"
echo "alice sent $sent STUN packets, $passed crossed home-a; the peers retried and connected"
