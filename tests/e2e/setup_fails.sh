#!/usr/bin/env bash
# A failing set-up command is one line on stderr naming it, exit 2, before
# the lab: no host ran, no capture, the commands after it never ran, its
# output kept in setup.log, nothing left behind.
source "$(dirname "$0")/lib.sh"
out=$(scratch_dir)
trap 'rm -rf "$out"' EXIT
before=$(machine_state)
file=$SOURCE_DIR/tests/scenarios/setup_fails.yaml
rc=0
"$NATLAB" run "$file" --out "$out/run" >"$out/stdout" 2>"$out/stderr" || rc=$?
((rc == 2)) || fail "exit $rc, want 2"
((($(wc -l <"$out/stderr")) == 1)) || fail "stderr is not one line: $(cat "$out/stderr")"
line=$(cat "$out/stderr")
want="$file:4:5: set-up command '"
[[ $line == *"$want"*"exited with status 3 (setup.log: no entropy today)" ]] || fail "got: $line"
[[ -f $out/run/setup/first.txt ]] || fail "the first command did not run"
[[ ! -e $out/run/setup/third.txt ]] || fail "a command after the failing one ran"
grep -q '^making keys$' "$out/run/setup.log" || fail "setup.log lacks the command's output"
[[ ! -e $out/run/a.log ]] || fail "host a ran"
shopt -s nullglob
pcaps=("$out"/run/*.pcap)
((${#pcaps[@]} == 0)) || fail "captures written: the lab was built"
[[ "$(machine_state)" == "$before" ]] || fail "the machine's namespaces changed"
echo "ok: $line"
