#!/usr/bin/env bash
# End-to-end test of link-emu: an impaired link between two hosts.
#
#   left netns                mid netns (no IPs)                right netns
#   10.0.0.1/24 l0 <-veth-> mid-l [link-emu] mid-r <-veth-> r0 10.0.0.2/24
#
# Checks, with real frames through the kernel:
#   1. --loss 20: of 3000 UDP datagrams left -> right, 20% +- 3% are lost,
#      and the counters line says how many;
#   2. --delay 30ms each way: ping's RTT is 60-75 ms; `set jitter=10ms`
#      spreads it without reordering;
#   3. `down` on stdin: ping gets nothing; `up`: it works again;
#   4. `set rate=20mbit delay=0`: a 2.5 MB TCP transfer (offloaded
#      checksums and segmentation pass through) takes at least 0.9 s;
#   5. a bad command is one line on stderr and changes nothing;
#   6. SIGTERM: status 0 and the counters line in --events.
#
# Everything lives in a private namespace tree (unshare: mount, net, pid).
# Exit 77 (ctest: skipped) without root or namespace support.
#
# usage: link_emu.sh path/to/link-emu
set -euo pipefail

LINK_EMU=$(realpath "${1:?usage: link_emu.sh path/to/link-emu}")
UNSHARE=(unshare --mount --net --pid --fork --mount-proc --propagation private)

if [[ "${NATLAB_LINK_INNER:-}" != 1 ]]; then
    [[ $(id -u) -eq 0 ]] || { echo "skipped: needs root"; exit 77; }
    PYTHON=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null) || { echo "skipped: no python3"; exit 77; }
    "${UNSHARE[@]}" true 2>/dev/null || { echo "skipped: cannot create namespaces"; exit 77; }
    exec env NATLAB_LINK_INNER=1 PYTHON="$PYTHON" "${UNSHARE[@]}" bash "$0" "$LINK_EMU"
fi

# ---- from here on we are PID 1 of a private namespace tree ----

work=$(mktemp -d /tmp/link_emu_test.XXXXXX)
trap 'rm -rf "$work"' EXIT
mount -n -t tmpfs natlab-run /run   # `ip netns add` would leave files in the real /run/netns
mkdir -p /run/netns

fail() {
    echo "FAIL: $*"
    echo "--- link-emu stderr"; cat "$work/stderr.log" 2>/dev/null || true
    echo "--- events"; cat "$work/events.jsonl" 2>/dev/null || true
    exit 1
}

in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

build_topology() {
    for ns in left mid right; do ip netns add "$ns"; in_ns "$ns" ip link set lo up; done
    ip link add l0 type veth peer name mid-l
    ip link add r0 type veth peer name mid-r
    ip link set l0 netns left;  ip link set mid-l netns mid
    ip link set r0 netns right; ip link set mid-r netns mid
    in_ns mid sysctl -qw net.ipv6.conf.all.disable_ipv6=1
    in_ns mid ip link set mid-l up
    in_ns mid ip link set mid-r up
    in_ns left ip addr add 10.0.0.1/24 dev l0
    in_ns left ip link set l0 up
    in_ns right ip addr add 10.0.0.2/24 dev r0
    in_ns right ip link set r0 up
    # Static neighbours: ARP would cross the lossy link too and blur the counts.
    local lmac rmac
    lmac=$(in_ns left cat /sys/class/net/l0/address)
    rmac=$(in_ns right cat /sys/class/net/r0/address)
    in_ns left ip neigh replace 10.0.0.2 lladdr "$rmac" dev l0 nud permanent
    in_ns right ip neigh replace 10.0.0.1 lladdr "$lmac" dev r0 nud permanent
}

start_link_emu() {
    mkfifo "$work/ready" "$work/commands"
    exec 4<>"$work/commands"   # our end of its stdin, kept open (read-write: opening does not block)
    ip netns exec mid "$LINK_EMU" --a mid-l --b mid-r --loss 20 --delay 30ms --seed 1 \
        --events "$work/events.jsonl" --ready-fd 3 \
        3>"$work/ready" 2>"$work/stderr.log" <"$work/commands" &
    emu_pid=$!
    local line=""
    read -r -t 5 line <"$work/ready" || true
    [[ "$line" == ready ]] || fail "link-emu did not report ready"
}

command() {
    echo "$*" >&4
    sleep 0.2
}

check_loss() {
    cat >"$work/sink.py" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.0.0.2", 9000))
open(sys.argv[1], "w").close()
s.settimeout(1.0)
count = 0
try:
    while True:
        s.recv(100)
        count += 1
except socket.timeout:
    print(count, flush=True)
PY
    cat >"$work/source.py" <<'PY'
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(3000):
    s.sendto(b"x" * 64, ("10.0.0.2", 9000))
    if i % 10 == 9:
        time.sleep(0.002)
PY
    ip netns exec right "$PYTHON" "$work/sink.py" "$work/listening" >"$work/received.txt" &
    local sink_pid=$!
    for _ in $(seq 50); do [[ -e "$work/listening" ]] && break; sleep 0.1; done
    in_ns left "$PYTHON" "$work/source.py"
    wait "$sink_pid" || fail "UDP sink failed"
    local received
    received=$(cat "$work/received.txt")
    echo "UDP through --loss 20: $received of 3000 received"
    (( received >= 2310 && received <= 2490 )) || fail "expected 2400 +- 90 of 3000 through 20% loss, got $received"
    command "set loss=0"
}

# Prints min/avg/max/mdev of `ping ARGS`.
rtt() { in_ns left ping -q "$@" 10.0.0.2 | awk -F'[ /]' '/^rtt/ {print $7, $8, $9, $10}'; }

check_delay() {
    local stats min max
    stats=$(rtt -c 10 -i 0.05 -W 2) || true
    read -r min _ max _ <<<"$stats"
    echo "ping through --delay 30ms: rtt min/avg/max/mdev $stats ms"
    awk -v a="$min" -v b="$max" 'BEGIN { exit !(a >= 60 && b < 75) }' || fail "RTT $stats, wanted 60-75 ms"
    command "set jitter=10ms"
    stats=$(rtt -c 30 -i 0.05 -W 2) || true
    read -r min _ max _ <<<"$stats"
    echo "ping with jitter 10ms: rtt min/avg/max/mdev $stats ms"
    awk -v a="$min" -v b="$max" 'BEGIN { exit !(a >= 40 && b < 95 && b - a > 5) }' || fail "RTT $stats with jitter"
    command "set jitter=0 delay=0"
}

check_down_up() {
    command "down"
    in_ns left ping -c 3 -i 0.2 -W 1 10.0.0.2 >"$work/ping_down.txt" 2>&1 && fail "ping crossed a link that is down"
    command "up"
    in_ns left ping -c 2 -i 0.2 -W 2 10.0.0.2 >"$work/ping_up.txt" 2>&1 || fail "ping after up: $(cat "$work/ping_up.txt")"
    command "reboot now"
    grep -q "link-emu: ignored command 'reboot now'" "$work/stderr.log" || fail "a bad command was not reported"
}

check_rate() {
    command "set rate=20mbit"
    cat >"$work/tcp_server.py" <<'PY'
import socket, sys
s = socket.socket()
s.bind(("10.0.0.2", 5000))
s.listen(1)
open(sys.argv[1], "w").close()
c, _ = s.accept()
received = 0
while True:
    data = c.recv(1 << 16)
    if not data:
        break
    received += len(data)
print(received, flush=True)
PY
    cat >"$work/tcp_client.py" <<'PY'
import socket, time
s = socket.create_connection(("10.0.0.2", 5000), timeout=20)
start = time.monotonic()
s.sendall(b"x" * 2_500_000)
s.shutdown(socket.SHUT_WR)
s.recv(1)
print(f"{time.monotonic() - start:.2f}", flush=True)
PY
    ip netns exec right "$PYTHON" "$work/tcp_server.py" "$work/tcp_listening" >"$work/tcp_received.txt" &
    local server_pid=$!
    for _ in $(seq 50); do [[ -e "$work/tcp_listening" ]] && break; sleep 0.1; done
    local seconds
    seconds=$(timeout 30 ip netns exec left "$PYTHON" "$work/tcp_client.py") || fail "TCP transfer through the rate limit failed"
    wait "$server_pid" || true
    [[ "$(cat "$work/tcp_received.txt")" == 2500000 ]] || fail "TCP received $(cat "$work/tcp_received.txt") bytes"
    echo "2.5 MB over TCP through --rate 20mbit: ${seconds} s ($(awk -v s="$seconds" 'BEGIN {printf "%.1f", 20/s}') Mbit/s)"
    awk -v s="$seconds" 'BEGIN { exit !(s >= 0.9 && s < 10) }' || fail "2.5 MB at 20 Mbit/s took ${seconds} s"
}

stop_link_emu() {
    kill -TERM "$emu_pid"
    local status=0
    wait "$emu_pid" || status=$?
    exec 4>&-
    [[ $status -eq 0 ]] || fail "link-emu exited with status $status after SIGTERM"
    "$PYTHON" - "$work/events.jsonl" <<'PY' || fail "counters line"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
c = lines[-1]
assert c["event"] == "counters", c
ab, ba = c["a_to_b"], c["b_to_a"]
assert set(ab) == {"forwarded", "lost", "down", "queue_full"}, ab
assert 500 <= ab["lost"] <= 700, ab            # the 3000 datagrams; pings lost nothing after loss=0
assert ab["down"] >= 3, c  # three pings into a down link
assert ab["forwarded"] > 2400 and ba["forwarded"] > 40, c
print("counters:", json.dumps(c))
PY
}

build_topology
start_link_emu
check_loss
check_delay
check_down_up
check_rate
stop_link_emu
echo "PASS: link-emu lost, delayed, jittered, took down and rate-limited real traffic"
