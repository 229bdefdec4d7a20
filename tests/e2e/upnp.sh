#!/usr/bin/env bash
# The UPnP IGD of nat-emu in real labs (tests/e2e/upnp/*.yaml):
#   upnpc      Debian's miniupnpc finds the IGD, maps UDP 4500, lists it, and
#              a datagram from the internet reaches the host on the mapping
#              (skipped without the package: ci/setup installs miniupnpc);
#   symmetric  symmetric against symmetric connects via the endpoint alice's
#              peer mapped with --port-mapping upnp.
# upnpc runs only inside the lab: it multicasts SSDP. Skipped (77) while the
# scenario reader has no `port_mapping:` key for NATs.
source "$(dirname "$0")/lib.sh"
which=$1
file="$SOURCE_DIR/tests/e2e/upnp/$which.yaml"
if ! "$NATLAB" validate "$file" >/dev/null 2>"${TMPDIR:-/tmp}/upnp-validate.$$"; then
  if grep -q "unknown key 'port_mapping'" "${TMPDIR:-/tmp}/upnp-validate.$$"; then
    rm -f "${TMPDIR:-/tmp}/upnp-validate.$$"
    echo "this nat-lab has no port_mapping: key for NATs yet"; exit 77
  fi
  cat "${TMPDIR:-/tmp}/upnp-validate.$$" >&2; rm -f "${TMPDIR:-/tmp}/upnp-validate.$$"
  fail "$which.yaml does not validate"
fi
rm -f "${TMPDIR:-/tmp}/upnp-validate.$$"
if [[ $which == upnpc ]]; then
  command -v upnpc >/dev/null || { echo "upnpc is not installed (ci/setup installs miniupnpc)"; exit 77; }
fi
out=$(scratch_dir)
trap 'rm -rf "$out"' EXIT
before=$(machine_state)
rc=0
"$NATLAB" run "$file" --out "$out/run" || rc=$?
if ((rc != 0)); then
  tail -n 40 "$out"/run/*.log >&2
  fail "$which.yaml did not pass (exit $rc)"
fi
grep -hq '"event":"port-mapping-granted","by":"upnp"' "$out"/run/*.events.jsonl || fail "no UPnP grant in the event log"
[[ "$(machine_state)" == "$before" ]] || fail "the machine's namespaces changed"
echo "ok: $which through the emulated UPnP IGD"
