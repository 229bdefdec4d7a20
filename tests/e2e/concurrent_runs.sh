#!/usr/bin/env bash
# Two nat-lab runs at the same time never interfere: the same scenario,
# started together, both pass, each writes only its own directory, and
# nothing is left behind. Pointed at the same directory, the second one
# refuses (exit 2) and the first still passes.
source "$(dirname "$0")/lib.sh"
out=$(scratch_dir)
trap 'rm -rf "$out"' EXIT
before=$(machine_state)
scenario="$SOURCE_DIR/scenarios/two_nats.yaml"

"$NATLAB" run "$scenario" --out "$out/one" >"$out/one.txt" 2>&1 & one=$!
"$NATLAB" run "$scenario" --out "$out/two" >"$out/two.txt" 2>&1 & two=$!
wait $one || fail "first run: exit $?: $(cat "$out/one.txt")"
wait $two || fail "second run: exit $?: $(cat "$out/two.txt")"
for run in one two; do
  grep -q "captures and logs in $out/$run/" "$out/$run.txt" || fail "$run reported another directory"
  for f in alice.log bob.log result.json internet.server.pcap; do
    [[ -s $out/$run/$f ]] || fail "$run: $f missing"
  done
done
# Each run's server saw its own peers only: two registrations each.
for run in one two; do
  n=$(tshark -r "$out/$run/internet.server.pcap" -Y 'stun.type == 0x00e1' 2>/dev/null | wc -l)
  ((n >= 2 && n <= 6)) || fail "$run: the server capture holds $n Register requests"
done
cmp -s "$out/one/internet.server.pcap" "$out/two/internet.server.pcap" && fail "the two runs wrote the same capture"

# Same output directory at once: the second refuses, the first is unharmed.
"$NATLAB" run "$scenario" --out "$out/same" >"$out/a.txt" 2>&1 & first=$!
sleep 0.3
rc=0
"$NATLAB" run "$scenario" --out "$out/same" >"$out/b.txt" 2>&1 || rc=$?
wait $first || fail "the first run into $out/same failed: $(cat "$out/a.txt")"
((rc == 2)) || fail "the second run into the same directory: exit $rc, want 2"
grep -q "is in use by another nat-lab run" "$out/b.txt" || fail "no clear refusal: $(cat "$out/b.txt")"
[[ -s $out/same/result.json ]] || fail "the first run's result was damaged"

sleep 0.2
[[ "$(machine_state)" == "$before" ]] || fail "the machine's namespaces changed"
pgrep -f "$out" >/dev/null && fail "processes of the runs are still alive"
echo "two runs at once: both passed, distinct outputs, nothing left behind"
