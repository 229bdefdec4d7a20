#!/usr/bin/env bash
# scenarios/natpmpc.yaml: Debian's natpmpc, run on a LAN host of the lab,
# gets its public address and a UDP mapping from nat-emu's NAT-PMP server,
# and the NAT's event log shows the grant.
# Skipped (77) without Debian's natpmpc package.
source "$(dirname "$0")/lib.sh"
command -v natpmpc >/dev/null || { echo "natpmpc is not installed (ci/setup installs it)"; exit 77; }
out=$(scratch_dir)
trap 'rm -rf "$out"' EXIT
before=$(machine_state)
rc=0
"$NATLAB" run "$SOURCE_DIR/scenarios/natpmpc.yaml" --out "$out/run" || rc=$?
((rc == 0)) || { cat "$out/run/client.log" >&2; fail "natpmpc.yaml did not pass (exit $rc)"; }
grep -q '"event":"port-mapping-granted","by":"nat-pmp","protocol":"udp","inside":"10.0.1.2:4000","outside":"198.18.1.1:4000"' \
  "$out/run/home.events.jsonl" || fail "no grant in the NAT's event log"
[[ "$(machine_state)" == "$before" ]] || fail "the machine's namespaces changed"
echo "ok: natpmpc got 198.18.1.1:4000"
