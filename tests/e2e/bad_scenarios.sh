#!/usr/bin/env bash
# Every bad scenario stops the run before anything is built: exit 2, one
# line FILE:LINE:COL: reason on stderr, no output directory, nothing left;
# `validate` reports the same line.
source "$(dirname "$0")/lib.sh"
out=$(scratch_dir)
trap 'rm -rf "$out"' EXIT
before=$(machine_state)
count=0
for file in "$SOURCE_DIR"/tests/scenarios/bad/*.yaml; do
  want=$(sed -n 's/^# expect: //p' "$file" | head -1)
  want=${want:-1:1: scenario is empty}
  if "$NATLAB" run "$file" --out "$out/run" >"$out/stdout" 2>"$out/stderr"; then
    fail "$file was accepted"
  else
    rc=$?
  fi
  ((rc == 2)) || fail "$file: exit $rc, want 2"
  lines=$(wc -l <"$out/stderr")
  ((lines == 1)) || fail "$file: $lines lines on stderr, want 1: $(cat "$out/stderr")"
  line=$(cat "$out/stderr")
  [[ "$line" == "$file:$want"* ]] || fail "$file: got '$line', want '$file:$want...'"
  [[ ! -e "$out/run" ]] || fail "$file: output directory was created"
  # validate finds the same fault, with the same line, and builds nothing either
  if "$NATLAB" validate "$file" >"$out/stdout" 2>"$out/stderr"; then fail "validate accepted $file"; else rc=$?; fi
  ((rc == 2)) || fail "validate $file: exit $rc, want 2"
  [[ "$(cat "$out/stderr")" == "$line" ]] || fail "validate $file: got '$(cat "$out/stderr")', run said '$line'"
  echo "ok  ${line#"$SOURCE_DIR"/}"
  count=$((count + 1))
done
((count >= 8)) || fail "only $count bad scenarios found"
[[ "$(machine_state)" == "$before" ]] || fail "the machine's namespaces changed"
