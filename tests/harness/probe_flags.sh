#!/usr/bin/env bash
# nat-lab probe refuses bad flags before it sends anything: exit 2 and one
# line on stderr saying what is wrong. (No lab, no traffic: every case fails
# in the flag checks.)
set -euo pipefail
NATLAB=${NATLAB:?set NATLAB to the nat-lab binary}
fail() { echo "FAIL: $*" >&2; exit 1; }
err=$(mktemp)
trap 'rm -f "$err"' EXIT

# flags | the start of the one line on stderr
cases=(
  "|nat-lab probe: --server HOST:PORT is required"
  "--server nowhere|nat-lab probe: --server: expected HOST:PORT"
  "--server 198.18.0.2:0|nat-lab probe: --server: needs a specific address and a port"
  "--server 198.18.0.2:3478 --alternate 198.18.0.3:3478|nat-lab probe: --alternate: must differ from --server"
  "--server 198.18.0.2:3478 --max-time 2s|nat-lab probe: --max-time: a duration from 5s to 1h"
  "--server 198.18.0.2:3478 --max-time 2h|nat-lab probe: --max-time: a duration from 5s to 1h"
  "--server 198.18.0.2:3478 --exhaust 5000|nat-lab probe: --exhaust: from 1 to 1000"
  "--server 198.18.0.2:3478 --exhaust lots|nat-lab: Could not convert: --exhaust = lots"
  "--server 198.18.0.2:3478 --bogus|nat-lab: The following argument was not expected: --bogus"
)
for row in "${cases[@]}"; do
  IFS='|' read -r flags want <<<"$row"
  rc=0
  # shellcheck disable=SC2086  # the flags are words
  "$NATLAB" probe $flags >/dev/null 2>"$err" || rc=$?
  ((rc == 2)) || fail "probe $flags: exit $rc, want 2"
  (($(wc -l <"$err") == 1)) || fail "probe $flags: $(wc -l <"$err") lines on stderr: $(cat "$err")"
  [[ "$(cat "$err")" == "$want"* ]] || fail "probe $flags: got '$(cat "$err")', want '$want...'"
  echo "ok  $(cat "$err")"
done
"$NATLAB" probe --help | grep -q "^Usage:" || fail "probe --help"
