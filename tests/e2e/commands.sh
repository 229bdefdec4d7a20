#!/usr/bin/env bash
# The commands around the lab, on real runs: several files at once with -j,
# --filter, --json, --junit, --repeat; exit codes 0/1/2; report.html; and
# `review` on a real run's captures (the ladder shows the punch, the NAT's
# translations and the drops with their reasons).
source "$(dirname "$0")/lib.sh"
out=$(scratch_dir)
trap 'rm -rf "$out"' EXIT
before=$(machine_state)

# A scenario whose expectation cannot hold: two NATs apart, "via local".
sed -e 's/^name: two_nats/name: wrong_path/' -e 's/via: public/via: local/' \
  "$SOURCE_DIR/scenarios/two_nats.yaml" >"$out/wrong_path.yaml"

# Two files side by side, one passes, one fails: exit 1, JSON and JUnit say which.
rc=0
"$NATLAB" run "$SOURCE_DIR/scenarios/same_nat.yaml" "$out/wrong_path.yaml" -j 2 --out "$out/both" \
  --json --junit "$out/junit.xml" >"$out/both.json" || rc=$?
((rc == 1)) || fail "one failing run of two: exit $rc, want 1"
python3 - "$out" <<'PY' || fail "--json/--junit content"
import json, sys, xml.etree.ElementTree as ET
out = sys.argv[1]
doc = json.load(open(f"{out}/both.json"))
runs = {r["label"]: r for r in doc["runs"]}
assert set(runs) == {"same_nat", "wrong_path"}, runs.keys()
assert runs["same_nat"]["passed"] and not runs["wrong_path"]["passed"]
assert runs["same_nat"]["result"]["peers"]["alice"]["path"] == "local"
assert doc["summary"] == {**doc["summary"], "runs": 2, "passed": 1, "exit_code": 1}
suite = ET.parse(f"{out}/junit.xml").getroot()
assert suite.get("tests") == "2" and suite.get("failures") == "1", suite.attrib
failed = [c for c in suite.iter("testcase") if c.find("failure") is not None]
assert [c.get("name") for c in failed] == ["wrong_path"]
assert "connected via public" in failed[0].find("failure").text
print("json and junit ok:", {k: r["passed"] for k, r in runs.items()})
PY
for run in same_nat wrong_path; do
  [[ -s $out/both/$run/result.json && -s $out/both/$run/report.html ]] || fail "$run: no result.json/report.html"
  ls "$out/both/$run/"*.pcap >/dev/null || fail "$run: no capture"
done
grep -q 'FAIL' "$out/both/wrong_path/report.html" || fail "report.html does not show the failure"

# --filter picks by name (substring here): only same_nat runs, exit 0.
"$NATLAB" run "$SOURCE_DIR/scenarios/same_nat.yaml" "$out/wrong_path.yaml" --filter same --out "$out/filtered" \
  >"$out/filtered.txt" || fail "--filter same: exit $?"
[[ -d $out/filtered && ! -e $out/filtered/wrong_path ]] || fail "--filter ran the other scenario"

# Bad input: exit 2 and one line, nothing built.
rc=0
"$NATLAB" run "$SOURCE_DIR/scenarios/same_nat.yaml" --filter 'nothing*' --out "$out/none" 2>"$out/err" || rc=$?
((rc == 2)) && [[ $(wc -l <"$out/err") == 1 && ! -e $out/none ]] || fail "--filter matching nothing: exit $rc"

# --repeat: success rate and the time-to-connect distribution.
"$NATLAB" run "$SOURCE_DIR/scenarios/same_nat.yaml" --repeat 3 -j 3 --out "$out/rep" --json >"$out/rep.json" ||
  fail "--repeat 3: exit $?"
python3 - "$out/rep.json" <<'PY' || fail "--repeat report"
import json, sys
r = json.load(open(sys.argv[1]))["repeats"][0]
t = r["time_to_connect_ms"]
assert r["runs"] == 3 and r["passed"] == 3 and r["success_rate"] == 1.0, r
assert t["samples"] == 6 and 0 < t["p50"] <= t["p90"] <= t["max"], t
print("repeat ok:", r)
PY

# review on the real run: the punch, the NAT's translation and its drops.
"$NATLAB" review "$out/both/wrong_path" >"$out/review.txt" || fail "review: exit $?"
grep -q 'alice -> server  STUN Register request' "$out/review.txt" || fail "review: no Register from alice"
grep -q 'STUN Probe request' "$out/review.txt" || fail "review: no probe"
grep -Eq 'at home-a: => 198\.18\.1\.[0-9]+:[0-9]+ -> 198\.18\.0\.2:3478' "$out/review.txt" ||
  fail "review: home-a's translation toward the server is missing"
grep -Eq 'DROPPED at home-[ab]: no route to 10\.0\.[12]\.2 \(no-route\)' "$out/review.txt" ||
  fail "review: the probes to the partner's local endpoint are not shown dropped with their reason"
grep -q '<svg' "$out/both/wrong_path/review.html" || fail "review.html has no diagram"
tail -1 "$out/review.txt"
rc=0
"$NATLAB" review "$out" 2>"$out/err" || rc=$?
((rc == 2)) || fail "review of a directory that is no run: exit $rc, want 2"

# list: the simulator's presets and the shipped scenarios with their descriptions.
"$NATLAB" list >"$out/list.txt" || fail "list: exit $?"
for preset in full-cone restricted port-restricted symmetric; do
  grep -Eq "^  $preset +mapping" "$out/list.txt" || fail "list: preset $preset missing"
done
for file in "$SOURCE_DIR"/scenarios/*.yaml; do
  grep -Eq "^  $(basename "$file" .yaml) +[^ ]" "$out/list.txt" || fail "list: $(basename "$file") missing"
done

# --help everywhere.
for cmd in run validate matrix review list; do
  "$NATLAB" "$cmd" --help | grep -q "^Usage:" || fail "$cmd --help"
done

[[ "$(machine_state)" == "$before" ]] || fail "the machine's namespaces changed"
