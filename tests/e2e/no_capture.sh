#!/usr/bin/env bash
# `capture: false`: the same_nat lab runs and passes, but leaves no pcap;
# result.json says so (every link's capture is null) and `review` still
# works from the NAT's event log. The same scenario with captures on
# writes one pcap per link.
source "$(dirname "$0")/lib.sh"
out=$(scratch_dir)
trap 'rm -rf "$out"' EXIT
sed 's/^name: same_nat$/name: same_nat\ncapture: false/' "$SOURCE_DIR/scenarios/same_nat.yaml" >"$out/off.yaml"
grep -q '^capture: false' "$out/off.yaml" || fail "could not write the capture: false scenario"
"$NATLAB" run "$out/off.yaml" --out "$out/off" >"$out/report" 2>&1 || fail "capture: false run failed: $(cat "$out/report")"
pcaps=$(find "$out/off" -name '*.pcap' | wc -l)
((pcaps == 0)) || fail "capture: false left $pcaps pcap files"
grep -qE '"capture": ?null' "$out/off/result.json" || fail "result.json does not say the links were not captured"
"$NATLAB" review "$out/off" >"$out/review" 2>&1 || fail "review of an uncaptured run failed: $(cat "$out/review")"
"$NATLAB" run "$SOURCE_DIR/scenarios/same_nat.yaml" --out "$out/on" >"$out/report" 2>&1 ||
  fail "same_nat.yaml failed: $(cat "$out/report")"
links=$(grep -oE '"capture": ?"[^"]*"' "$out/on/result.json" | wc -l)
pcaps=$(find "$out/on" -name '*.pcap' | wc -l)
((links > 0 && pcaps == links)) || fail "captures on: $pcaps pcap files for $links links"
echo "capture: false left no pcap; captures on left $pcaps, one per link"
