#!/usr/bin/env bash
# A shipped scenario runs green, its captures open in tshark with the
# rendezvous traffic decoded as STUN, and nothing of the lab is left behind.
source "$(dirname "$0")/lib.sh"
scenario=$1
# A "# needs: PROG ..." line in the scenario names programs it cannot run
# without (Debian packages that ci/setup installs): skipped (77) if missing.
for prog in $(sed -n 's/^# needs: //p' "$SOURCE_DIR/$scenario"); do
  command -v "$prog" >/dev/null || [[ -x /usr/sbin/$prog ]] || { echo "SKIP: no $prog"; exit 77; }
done
out=$(scratch_dir)
trap 'rm -rf "$out"' EXIT
before=$(machine_state)

"$NATLAB" run "$SOURCE_DIR/$scenario" --out "$out/run" || fail "$scenario did not pass (exit $?)"

shopt -s nullglob
pcaps=("$out"/run/*.pcap)
((${#pcaps[@]} > 0)) || fail "no capture written"
stun=0
for f in "${pcaps[@]}"; do
  tshark -r "$f" -c 1 >/dev/null 2>&1 || fail "tshark cannot read $f"
  n=$(tshark -r "$f" -Y stun 2>/dev/null | wc -l)
  stun=$((stun + n))
done
((stun > 0)) || fail "tshark decoded no STUN packet in ${#pcaps[@]} captures"
echo "tshark decoded $stun STUN packets in ${#pcaps[@]} captures"

[[ "$(machine_state)" == "$before" ]] || fail "the machine's namespaces changed after the run"
