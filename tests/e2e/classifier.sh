#!/usr/bin/env bash
# A standard RFC 5780 classifier (coturn's turnutils_natdiscovery against
# coturn's turnserver on two internet addresses) reports each NAT's mapping
# and filtering: every nat-emu preset, an explicit address-dependent NAT,
# and the Linux kernel's own NAT (type: linux). scenarios/classifier.yaml.
source "$(dirname "$0")/lib.sh"
for tool in turnserver turnutils_natdiscovery nft; do
  command -v "$tool" >/dev/null || PATH=$PATH:/usr/sbin command -v "$tool" >/dev/null ||
    { echo "$tool is not installed (ci/setup installs coturn and nftables)"; exit 77; }
done
out=$(scratch_dir)
trap 'rm -rf "$out"' EXIT
"$NATLAB" run "$SOURCE_DIR/scenarios/classifier.yaml" --out "$out/run" || fail "classifier.yaml did not pass (exit $?)"

# host | NAT | mapping natdiscovery must print | filtering it must print
expected=(
  "open|-|Endpoint Independent Mapping|Endpoint Independent Filtering"
  "in-full-cone|full-cone|Endpoint Independent Mapping|Endpoint Independent Filtering"
  "in-restricted|restricted|Endpoint Independent Mapping|Address Dependent Filtering"
  "in-port-restricted|port-restricted|Endpoint Independent Mapping|Address and Port Dependent Filtering"
  "in-symmetric|symmetric|Address and Port Dependent Mapping|Address and Port Dependent Filtering"
  "in-address-dep|address-dep|Address Dependent Mapping|Address Dependent Filtering"
  "in-linux|linux|Endpoint Independent Mapping|Address and Port Dependent Filtering"
)

# natdiscovery's verdict lines: "NAT with X Mapping!", "NAT with X Filtering!"
verdict() { sed -n "s/^NAT with \(.* $2\)!\$/\1/p" "$1" | tail -1; }

# What the NAT itself says it is and what it dropped, for a failure report.
nat_story() {
  local events="$out/run/$1.events.jsonl"
  [[ -f $events ]] || { echo "    ($1 has no event log: a kernel NAT)"; return; }
  grep -E '"event":"(started|drop)"' "$events" | sed 's/^/    /'
}

bad=0
for row in "${expected[@]}"; do
  IFS='|' read -r host nat want_m want_f <<<"$row"
  log="$out/run/$host.log"
  got_m=$(verdict "$log" Mapping)
  got_f=$(verdict "$log" Filtering)
  if [[ "$got_m" == "$want_m" && "$got_f" == "$want_f" ]]; then
    printf 'ok  %-20s %s, %s\n' "$host" "$got_m" "$got_f"
    continue
  fi
  bad=1
  echo "MISCLASSIFIED $host (behind $nat): natdiscovery printed '${got_m:-nothing}', '${got_f:-nothing}';" \
       "want '$want_m', '$want_f'"
  grep -E 'NAT|timeout|origin|reflexive' "$log" | sed 's/^/    natdiscovery: /'
  [[ $nat == - ]] || nat_story "$nat"
done
((bad == 0)) || fail "natdiscovery misclassified at least one NAT (details above)"
