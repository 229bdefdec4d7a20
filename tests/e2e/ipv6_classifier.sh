#!/usr/bin/env bash
# scenarios/ipv6/classifier.yaml: coturn's RFC 5780 natdiscovery over IPv6
# behind nat-emu's IPv6 firewalls (each filtering) and router; the
# scenario's output expectations check each verdict. Skipped without coturn.
source "$(dirname "$0")/lib.sh"
for tool in turnserver turnutils_natdiscovery; do
  command -v "$tool" >/dev/null || PATH=$PATH:/usr/sbin command -v "$tool" >/dev/null ||
    { echo "$tool is not installed (ci/setup installs coturn)"; exit 77; }
done
exec "$(dirname "$0")/scenario_passes.sh" scenarios/ipv6/classifier.yaml
