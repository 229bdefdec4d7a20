#!/usr/bin/env bash
# A component that dies fails the run: a NAT emulator killed mid-run (the
# timeline's `kill` step) makes the run FAIL (exit 1) with a verdict that
# names the NAT and the signal, in the report and in result.json, although
# every expectation of the scenario itself holds. The NATs the lab stops at
# the end (SIGTERM) fail nothing: the same scenario without the step passes.
source "$(dirname "$0")/lib.sh"
out=$(scratch_dir)
trap 'rm -rf "$out"' EXIT
cat >"$out/base.yaml" <<'YAML'
name: nat_dies
timeout: 10s
nats:
  home:
    type: full-cone
  office:
    type: full-cone
hosts:
  alice:
    behind: home
    run: [sh, -c, 'sleep 1.5; echo done']
  bob:
    behind: office
    run: [sh, -c, 'sleep 1.5; echo done']
expect:
  - exit: alice
  - exit: bob
YAML
{ cat "$out/base.yaml"
  printf 'timeline:\n  - at: 500ms\n    kill: home\n'; } >"$out/kill.yaml"
{ cat "$out/base.yaml"
  printf 'timeline:\n  - at: 500ms\n    kill: office\n    signal: TERM\n'; } >"$out/term.yaml"

# Without the step: both NATs run to the end, the lab stops them, PASS.
rc=0
"$NATLAB" run "$out/base.yaml" --out "$out/base" >"$out/base.report" 2>&1 || rc=$?
((rc == 0)) || fail "the scenario without a kill did not pass (exit $rc): $(cat "$out/base.report")"

# SIGKILL to home mid-run: FAIL, naming home and signal 9.
rc=0
"$NATLAB" run "$out/kill.yaml" --out "$out/kill" >"$out/kill.report" 2>&1 || rc=$?
((rc == 1)) || fail "a killed NAT: exit $rc, want 1: $(cat "$out/kill.report")"
grep -Eq "^  FAIL NAT home .*signal 9 \(SIGKILL\)" "$out/kill.report" ||
  fail "the report names no dead NAT home, signal 9: $(cat "$out/kill.report")"
grep -q "^  FAIL NAT office" "$out/kill.report" && fail "office (stopped by the lab) failed: $(cat "$out/kill.report")"
grep -q "PASS exit: alice\|PASS alice exits with 0" "$out/kill.report" ||
  fail "alice's own expectation should still hold: $(cat "$out/kill.report")"
python3 - "$out/kill/result.json" <<'PY' || fail "result.json: $(cat "$out/kill/result.json")"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["passed"] is False, r["passed"]
dead = [v for v in r["verdicts"] if not v["held"]]
assert len(dead) == 1, dead
assert "home" in dead[0]["expectation"], dead
assert "signal 9 (SIGKILL)" in dead[0]["detail"], dead
PY

# SIGTERM mid-run (not the lab's own stop): FAIL too, naming office and 15.
rc=0
"$NATLAB" run "$out/term.yaml" --out "$out/term" >"$out/term.report" 2>&1 || rc=$?
((rc == 1)) || fail "a NAT sent SIGTERM mid-run: exit $rc, want 1: $(cat "$out/term.report")"
grep -Eq "^  FAIL NAT office .*(signal 15 \(SIGTERM\)|exited)" "$out/term.report" ||
  fail "the report names no dead NAT office: $(cat "$out/term.report")"
echo "nat_dies: a NAT killed mid-run fails the run, naming it and its signal; teardown fails nothing"
