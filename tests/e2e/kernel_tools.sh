#!/usr/bin/env bash
# ping, iperf3 (UDP and TCP, 1 s each) and an HTTP download through every NAT preset and the
# Linux kernel's NAT: scenarios/kernel_tools.yaml must pass. When it does
# not, each failing NAT's event log is read: `unsupported-protocol` drops
# name the IP protocols nat-emu did not translate, which is said plainly.
source "$(dirname "$0")/lib.sh"
for tool in iperf3 ping nft; do
  command -v "$tool" >/dev/null || PATH=$PATH:/usr/sbin command -v "$tool" >/dev/null ||
    { echo "$tool is not installed (ci/setup installs iperf3, iputils-ping, nftables)"; exit 77; }
done
out=$(scratch_dir)
trap 'rm -rf "$out"' EXIT
rc=0
"$NATLAB" run "$SOURCE_DIR/scenarios/kernel_tools.yaml" --out "$out/run" | tee "$out/report" || rc=${PIPESTATUS[0]}
((rc != 0)) || exit 0
((rc == 1)) || fail "kernel_tools.yaml could not run (exit $rc)"

# Which NATs had a failing tool, and what their emulators dropped.
for events in "$out"/run/*.events.jsonl; do
  nat=$(basename "$events" .events.jsonl)
  failed=$(awk -v want="^(ping|udp|tcp|http)-$nat\$" '$1 == "FAIL" && $2 ~ want {print $2}' \
    "$out/report" | tr '\n' ' ')
  [[ -n $failed ]] || continue
  unsupported=$(grep -c '"code":"unsupported-protocol"' "$events" || true)
  protocols=$(sed -n 's/.*"reason":"unsupported protocol: IP protocol \([0-9]*\) is not translated".*/\1/p' "$events" |
    sort -u | sed 's/^1$/ICMP/; s/^6$/TCP/' | tr '\n' ' ')
  if ((unsupported > 0)); then
    echo "FAILED: $nat: ${failed}failed; $unsupported packets dropped unsupported-protocol (protocols: ${protocols% })"
  else
    echo "FAILED: $nat: ${failed}failed with no unsupported-protocol drop; see $nat.events.jsonl"
  fi
done
fail "kernel_tools.yaml did not pass"
