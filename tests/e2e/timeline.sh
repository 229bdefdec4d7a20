#!/usr/bin/env bash
# The timeline really acts on the lab: a link taken down loses what crosses
# it and comes back up, `set` changes its delay mid-run, a restarted program
# runs twice into one log, `flush` empties nat-emu's mappings (SIGUSR2) and
# the kernel NAT's conntrack table. Every check is an expectation of the
# scenario, so nat-lab's own exit status is the verdict; the logs and event
# files are then read once more for what the expectations cannot see.
source "$(dirname "$0")/lib.sh"
command -v ping >/dev/null || { echo "ping is not installed"; exit 77; }
command -v nft >/dev/null || PATH=$PATH:/usr/sbin command -v nft >/dev/null || { echo "nft is not installed"; exit 77; }
out=$(scratch_dir)
trap 'rm -rf "$out"' EXIT
cat >"$out/timeline.yaml" <<'YAML'
name: timeline
timeout: 15s
nats:
  home:
    type: full-cone
  kern:
    type: linux
hosts:
  server:
    address: 198.18.0.2
    run: [sh, -c, 'echo up; exec sleep 30']
  alice:
    behind: home
    link: {delay: 5ms}
    env: {GREETING: hello-lab}
    after: server
    delay: 100ms
    # one ping every 100 ms for 4 s: seq 1-10 before the link goes down
    run: [sh, -c, 'echo "greeting=$GREETING"; ping -n -c 40 -i 0.1 -W 1 198.18.0.2; exit 0']
  bob:
    behind: kern
    run: [sh, -c, 'echo started; ping -n -c 30 -i 0.1 198.18.0.2 >/dev/null; echo finished']
timeline:
  - at: 1s
    link: alice
    down: true
  - at: 2s
    link: alice
    up: true
  - at: 2500ms
    link: alice
    set: {delay: 60ms}
  - at: 1500ms
    restart: bob
  - at: 3s
    flush: home
  - at: 3s
    flush: kern
expect:
  - output: alice
    matches: '^greeting=hello-lab$'
  - output: alice
    matches: 'icmp_seq=5 .*time=1[0-9]\.[0-9]+ ms'
  - output: alice
    not_matches: 'icmp_seq=15 '
  - output: alice
    matches: 'icmp_seq=3[0-9] .*time=1[2-3][0-9] ms'
  - output: bob
    matches: 'started\nstarted\n'
  - counter: home
    name: mappings_flushed
    above: 0
  - exit: alice
  - exit: bob
YAML
rc=0
"$NATLAB" run "$out/timeline.yaml" --out "$out/run" >"$out/report" 2>&1 || rc=$?
((rc == 0)) || fail "timeline.yaml did not pass (exit $rc): $(cat "$out/report")"
grep -q '"event":"flushed"' "$out/run/home.events.jsonl" || fail "nat-emu logged no flush"
grep -q '"event":"counters"' "$out/run/alice.link.jsonl" || fail "link-emu wrote no counters"
echo "timeline: link down/up/set, restart, flush (nat-emu and kernel) all acted"
