#!/usr/bin/env bash
# Ctrl-C in the middle of a run: nat-lab stops the lab in order (hosts,
# NATs, link stages), closes the captures, and still writes what it saw:
# every pcap opens in tshark with the peers' STUN traffic decoded, the NAT
# wrote its final counters, and no process, namespace, link or mount of
# the lab is left. SIGINT goes to nat-lab alone (kill -INT), as a terminal's
# Ctrl-C reaches it; the lab's programs run in their own process groups.
source "$(dirname "$0")/lib.sh"
command -v tshark >/dev/null || { echo "tshark is not installed"; exit 77; }
out=$(scratch_dir)
marker=$((RANDOM % 5000 + 4000))
trap 'rm -rf "$out"' EXIT
# Peers that connect, then hold their path for a long time; a lossy link
# so a link-emu stage runs too.
cat >"$out/held.yaml" <<YAML
name: held
timeout: 60s
nats:
  home:
    type: port-restricted
hosts:
  server:
    address: 198.18.0.2
    run: rendezvous --listen 0.0.0.0:3478
  alice:
    behind: home
    link: {loss: 5%}
    run: peer --server \${server}:3478 --name alice --connect bob --hold $marker --timeout 30
  bob:
    run: peer --server \${server}:3478 --name bob --hold $marker --timeout 30
YAML
before=$(machine_state)
"$NATLAB" run "$out/held.yaml" --out "$out/run" >"$out/stdout" 2>"$out/stderr" &
lab=$!
for _ in $(seq 200); do
  grep -q '"event":"connected"' "$out/run/alice.log" 2>/dev/null && break
  sleep 0.05
done
grep -q '"event":"connected"' "$out/run/alice.log" || fail "the peers never connected: $(cat "$out/stderr")"
kill -INT "$lab"
started=$SECONDS
rc=0
wait "$lab" || rc=$?
((SECONDS - started <= 10)) || fail "nat-lab took $((SECONDS - started)) s to stop after SIGINT"
((rc != 0 && rc != 2)) || fail "exit $rc after SIGINT (want 1: interrupted): $(cat "$out/stderr")"
pgrep -af -- "--hold $marker" && fail "lab processes survived SIGINT"
[[ "$(machine_state)" == "$before" ]] || fail "the machine's namespaces changed after SIGINT"

shopt -s nullglob
pcaps=("$out"/run/*.pcap)
((${#pcaps[@]} == 5)) || fail "${#pcaps[@]} captures, want 5"
stun=0
for f in "${pcaps[@]}"; do
  tshark -r "$f" -c 1 >/dev/null 2>&1 || fail "tshark cannot read $f"
  stun=$((stun + $(tshark -r "$f" -Y stun 2>/dev/null | wc -l)))
done
((stun > 0)) || fail "tshark decoded no STUN packet"
grep -q '"event":"counters"' "$out/run/home.events.jsonl" || fail "the NAT wrote no final counters"
grep -q '"event":"counters"' "$out/run/alice.link.jsonl" || fail "link-emu wrote no final counters"
echo "SIGINT after the peers connected: exit $rc, $stun STUN packets in ${#pcaps[@]} readable captures, nothing left"
