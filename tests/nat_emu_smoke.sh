#!/usr/bin/env bash
# End-to-end smoke test of nat-emu with real frames.
#
#   inside netns            nat netns (no IPs, ip_forward=0)          outside netns
#   10.0.1.2/24  in0 <-veth-> nat-in  [nat-emu]  nat-out <-veth-> out0  198.18.0.2/15
#   default via 10.0.1.1     answers ARP as 10.0.1.1 / 198.18.1.1
#
# Checks, for a port-restricted NAT:
#   1. inside 10.0.1.2:4000 -> 198.18.0.2:3478 arrives from 198.18.1.1:4000;
#   2. the reply comes back to 10.0.1.2:4000;
#   3. an unsolicited packet from 198.18.0.2:40001 is filtered, and the event
#      log says so; 4. SIGTERM ends nat-emu with status 0 and a counters line.
#
# Everything lives in a private namespace tree (unshare: mount, net, pid), so
# nothing touches the machine's own network and nothing outlives the test.
# Exit 77 (ctest: skipped) without root or namespace support.
#
# usage: nat_emu_smoke.sh path/to/nat-emu
set -euo pipefail

NAT_EMU=$(realpath "${1:?usage: nat_emu_smoke.sh path/to/nat-emu}")
UNSHARE=(unshare --mount --net --pid --fork --mount-proc --propagation private)

if [[ "${NATLAB_SMOKE_INNER:-}" != 1 ]]; then
    [[ $(id -u) -eq 0 ]] || { echo "skipped: needs root"; exit 77; }
    PYTHON=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null) || { echo "skipped: no python3"; exit 77; }
    "${UNSHARE[@]}" true 2>/dev/null || { echo "skipped: cannot create namespaces"; exit 77; }
    exec env NATLAB_SMOKE_INNER=1 PYTHON="$PYTHON" "${UNSHARE[@]}" bash "$0" "$NAT_EMU"
fi

# ---- from here on we are PID 1 of a private namespace tree ----

work=$(mktemp -d /tmp/nat_emu_smoke.XXXXXX)
trap 'rm -rf "$work"' EXIT
# `ip netns add` creates its placeholder files in /run/netns on the real
# filesystem even though the bind mounts are private; give it a private /run.
mount -n -t tmpfs natlab-run /run
mkdir -p /run/netns

fail() {
    echo "FAIL: $*"
    echo "--- events"; cat "$work/events.jsonl" 2>/dev/null || true
    echo "--- nat-emu trace (last 40 lines)"; tail -n 40 "$work/trace.log" 2>/dev/null || true
    exit 1
}

in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

build_topology() {
    for ns in inside nat outside; do ip netns add "$ns"; in_ns "$ns" ip link set lo up; done
    ip link add in0 type veth peer name nat-in
    ip link add out0 type veth peer name nat-out
    ip link set in0 netns inside;   ip link set nat-in netns nat
    ip link set out0 netns outside; ip link set nat-out netns nat
    in_ns nat sysctl -qw net.ipv4.ip_forward=0
    in_ns nat ip link set nat-in up
    in_ns nat ip link set nat-out up
    in_ns inside ip addr add 10.0.1.2/24 dev in0
    in_ns inside ip link set in0 up
    in_ns inside ip route add default via 10.0.1.1
    in_ns outside ip addr add 198.18.0.2/15 dev out0
    in_ns outside ip link set out0 up
}

start_nat_emu() {
    mkfifo "$work/ready"
    # Not through in_ns: a backgrounded function would put a subshell between
    # us and nat-emu, and the signal below must reach nat-emu itself.
    ip netns exec nat env NATLAB_TRACE=1 "$NAT_EMU" --name smoke \
        --inside nat-in --inside-address 10.0.1.1/24 \
        --outside nat-out --outside-address 198.18.1.1/15 \
        --type port-restricted --events "$work/events.jsonl" --ready-fd 3 \
        3>"$work/ready" 2>"$work/trace.log" &
    emu_pid=$!
    local line=""
    read -r -t 5 line <"$work/ready" || true
    [[ "$line" == ready ]] || fail "nat-emu did not report ready"
}

write_programs() {
    cat >"$work/echo.py" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("198.18.0.2", 3478))
with open(sys.argv[1], "a", buffering=1) as seen:
    while True:
        data, (host, port) = s.recvfrom(2048)
        seen.write(f"seen {host}:{port}\n")
        s.sendto(f"you are {host}:{port}".encode(), (host, port))
PY
    cat >"$work/client.py" <<'PY'
import pathlib, socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.0.1.2", 4000))
s.settimeout(1.0)
for attempt in range(3):
    s.sendto(b"hello", ("198.18.0.2", 3478))
    try:
        data, src = s.recvfrom(2048)
        print(f"reply from {src[0]}:{src[1]}: {data.decode()}", flush=True)
        break
    except socket.timeout:
        continue
else:
    print("no reply", flush=True)
pathlib.Path(sys.argv[1]).touch()        # tell the script to send the stranger's packet
s.settimeout(2.0)
try:
    data, src = s.recvfrom(2048)
    print(f"unsolicited from {src[0]}:{src[1]}", flush=True)
except socket.timeout:
    print("nothing unsolicited", flush=True)
PY
    cat >"$work/stranger.py" <<'PY'
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("198.18.0.2", 40001))
s.sendto(b"let me in", ("198.18.1.1", 4000))
PY
}

wait_for_file() {
    for _ in $(seq 50); do [[ -e "$1" ]] && return 0; sleep 0.1; done
    return 1
}

run_traffic() {
    ip netns exec outside "$PYTHON" "$work/echo.py" "$work/seen.txt" &
    echo_pid=$!
    sleep 0.3
    ip netns exec inside "$PYTHON" "$work/client.py" "$work/waiting" >"$work/client.txt" &
    client_pid=$!
    wait_for_file "$work/waiting" || fail "client never got to the unsolicited phase"
    in_ns outside "$PYTHON" "$work/stranger.py"
    wait "$client_pid" || fail "client failed"
    kill "$echo_pid"; wait "$echo_pid" 2>/dev/null || true
}

stop_nat_emu() {
    kill -TERM "$emu_pid"
    local status=0
    wait "$emu_pid" || status=$?
    [[ $status -eq 0 ]] || fail "nat-emu exited with status $status after SIGTERM"
}

check_results() {
    grep -qx "seen 198.18.1.1:4000" "$work/seen.txt" || fail "outside host did not see source 198.18.1.1:4000"
    grep -qx "reply from 198.18.0.2:3478: you are 198.18.1.1:4000" "$work/client.txt" || fail "no reply inside: $(cat "$work/client.txt")"
    grep -qx "nothing unsolicited" "$work/client.txt" || fail "unsolicited packet was let in"
    "$PYTHON" - "$work/events.jsonl" <<'PY' || fail "event log check"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
def has(**want):
    return any(all(l.get(k) == v for k, v in want.items()) for l in lines)
assert lines[0]["event"] == "started", lines[0]
assert has(event="mapping-created", inside="10.0.1.2:4000", outside="198.18.1.1:4000", remote="198.18.0.2:3478")
drops = [l for l in lines if l["event"] == "drop" and l.get("packet") == "198.18.0.2:40001 -> 198.18.1.1:4000"]
assert drops and drops[0]["direction"] == "inbound", drops
assert drops[0]["reason"] == "filtered (address-and-port-dependent): no mapping has sent to 198.18.0.2:40001", drops
counters = lines[-1]
assert counters["event"] == "counters", counters
assert counters["translated_out"] >= 1 and counters["translated_in"] >= 1, counters
assert counters["dropped"]["filtered"] == 1, counters
assert counters["arp"]["replies_sent"] >= 1 and counters["arp"]["requests_sent"] >= 1, counters
print(f"events ok: {len(lines)} lines, counters {json.dumps(counters)}")
PY
}

build_topology
write_programs
start_nat_emu
run_traffic
stop_nat_emu
check_results
echo "PASS: nat-emu translated, replied, filtered and logged"
