#!/usr/bin/env bash
# nat-lab probe, run behind every preset and a set of explicit NATs in one
# lab (scenarios/probe.yaml), reports each NAT as it is configured: mapping,
# filtering, port allocation, hairpin, pooling and inbound refresh exactly,
# the mapping timeout within 10%. Each printed NAT block then loads
# unchanged as a scenario's NAT (`nat-lab validate`).
source "$(dirname "$0")/lib.sh"
out=$(scratch_dir)
trap 'rm -rf "$out"' EXIT
"$NATLAB" run "$SOURCE_DIR/scenarios/probe.yaml" --out "$out/run" >"$out/report" ||
  { cat "$out/report"; fail "probe.yaml did not pass (exit $?)"; }

EI=endpoint-independent AD=address-dependent APD=address-and-port-dependent
# NAT | mapping | filtering | port_allocation | hairpin | pooling | refresh_on_inbound  (all time out after 6s)
expected=(
  "full-cone|$EI|$EI|preserve|false|paired|false"
  "restricted|$EI|$AD|preserve|false|paired|false"
  "port-restricted|$EI|$APD|preserve|false|paired|false"
  "symmetric|$APD|$APD|random|false|paired|false"
  "ei-ei-seq|$EI|$EI|sequential|true|paired|false"
  "ei-ad-rand|$EI|$AD|random|true|paired|true"
  "ei-apd-seq|$EI|$APD|sequential|true|paired|false"
  "ad-ei-rand|$AD|$EI|random|true|paired|false"
  "ad-ad-pres|$AD|$AD|preserve|false|paired|false"
  "ad-apd-seq|$AD|$APD|sequential|false|paired|true"
  "apd-ei-pres|$APD|$EI|preserve|true|paired|true"
  "apd-ad-seq|$APD|$AD|sequential|false|paired|false"
  "apd-apd-pres|$APD|$APD|preserve|false|paired|false"
  "paired|$EI|$APD|preserve|true|paired|false"
  "arbitrary|$EI|$EI|sequential|false|arbitrary|false"
  "parity|$APD|$APD|random|false|paired|false"
  "limited|$EI|$APD|preserve|false|paired|false"
)
keys=(mapping filtering port_allocation hairpin pooling refresh_on_inbound)

# The value of `KEY:` in a printed NAT block (YAML) or JSON document.
yaml_value() { sed -n "s/^    $2: \([^ ]*\) .*/\1/p" "$1" | head -1; }
json_value() { python3 -c 'import json,sys; print(str(json.load(open(sys.argv[1]))["nat"][sys.argv[2]]["value"]).lower())' "$1" "$2"; }

bad=0
for row in "${expected[@]}"; do
  IFS='|' read -r nat want_m want_f want_a want_h want_p want_r <<<"$row"
  log="$out/run/p-$nat.log"
  wants=("$want_m" "$want_f" "$want_a" "$want_h" "$want_p" "$want_r")
  get=yaml_value
  [[ $(head -c1 "$log") == "{" ]] && get=json_value
  line="ok  $nat"
  for i in "${!keys[@]}"; do
    got=$($get "$log" "${keys[$i]}")
    [[ "$got" == "${wants[$i]}" ]] && continue
    line="WRONG $nat ${keys[$i]}: probe said '${got:-nothing}', the NAT is '${wants[$i]}'"
    bad=1
    break
  done
  if [[ $get == yaml_value ]]; then
    timeout=$(yaml_value "$log" mapping_timeout); timeout=${timeout%s}
  else
    timeout=$(json_value "$log" mapping_timeout)
  fi
  if ! awk -v t="${timeout:-0}" 'BEGIN { exit !(t >= 5.4 && t <= 6.6) }'; then
    line="WRONG $nat mapping_timeout: probe said '${timeout:-nothing}s', the NAT's is 6s (10%)"
    bad=1
  fi
  echo "$line (timeout ${timeout}s)"
  [[ $line == ok* ]] || sed 's/^/    /' "$log"
  # The printed block is a scenario NAT as it stands.
  if [[ $get == yaml_value ]]; then
    { cat "$log"; printf 'hosts:\n  a:\n    behind: probed\n'; } >"$out/$nat.yaml"
    "$NATLAB" validate "$out/$nat.yaml" >/dev/null 2>"$out/why" ||
      { echo "INVALID $nat's block: $(cat "$out/why")"; bad=1; }
  fi
done
# --exhaust 40 behind a NAT without a limit per host: all 40 held, a lower
# bound (a comment); behind `limited`, its 30, a key.
# (An answer lost on the way is no limit: 38 or 39 of 40 still is a lower bound.)
grep -Eq '^    # mappings per host: (38|39|40) or more  # inferred: at least: (38|39|40) of 40 sockets got a mapping$' "$out/run/p-port-restricted.log" ||
  { echo "WRONG port-restricted --exhaust 40: $(grep 'mappings per host' "$out/run/p-port-restricted.log")"; bad=1; }
[[ $(yaml_value "$out/run/p-limited.log" mappings_per_host) == 30 ]] ||
  { echo "WRONG limited --exhaust 40: $(grep 'mappings' "$out/run/p-limited.log")"; bad=1; }
# Port parity: kept behind `parity` (random ports of the local port's
# parity) and behind every port-preserving NAT.
for nat in parity restricted port-restricted ad-ad-pres apd-ei-pres apd-apd-pres limited; do
  [[ $(yaml_value "$out/run/p-$nat.log" port_parity) == true ]] ||
    { echo "WRONG $nat port_parity: $(grep 'port_parity' "$out/run/p-$nat.log")"; bad=1; }
done
((bad == 0)) || fail "the probe misreported at least one NAT (details above)"
