#!/usr/bin/env bash
# End-to-end smoke test of nat-emu with real frames.
#
#   inside netns            nat netns (no IPs, ip_forward=0)          outside netns
#   10.0.1.2/24  in0 <-veth-> nat-in  [nat-emu]  nat-out <-veth-> out0  198.18.0.2/15
#   10.0.1.3/24              answers ARP as 10.0.1.1 / 198.18.1.1, 198.18.1.2
#   default via 10.0.1.1
#
# Checks, for a port-restricted NAT with two external addresses:
#   1. inside 10.0.1.2:4000 -> 198.18.0.2:3478 arrives from 198.18.1.1:4000;
#   2. the reply comes back to 10.0.1.2:4000;
#   3. an unsolicited packet from 198.18.0.2:40001 is filtered, and the event
#      log says so;
#   4. paired pooling: 10.0.1.3 comes out as 198.18.1.2;
#   5. ping through the NAT, ping of the NAT itself, and a TTL-1 ping that the
#      NAT answers "time to live exceeded" from 10.0.1.1;
#   6. a UDP datagram to a closed port comes back as "connection refused":
#      the port unreachable error is translated back inside;
#   7. TCP: 4 MB each way through the NAT (checksum and segmentation offload
#      on the veths), the server seeing 198.18.1.1; an HTTP GET with curl;
#      a short iperf3 run when iperf3 is installed;
#   8. SIGUSR2 flushes every mapping: a "flushed" line, none live at the end;
#   9. SIGTERM ends nat-emu with status 0 and a counters line.
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
    in_ns inside ip addr add 10.0.1.3/24 dev in0
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
        --outside nat-out --outside-address 198.18.1.1/15 --outside-address 198.18.1.2 \
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
    cat >"$work/second_host.py" <<'PY'
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.0.1.3", 4100))
s.settimeout(1.0)
for attempt in range(3):
    s.sendto(b"hello", ("198.18.0.2", 3478))
    try:
        print(s.recvfrom(2048)[0].decode(), flush=True)
        break
    except socket.timeout:
        continue
PY
    cat >"$work/refused.py" <<'PY'
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.connect(("198.18.0.2", 9))  # nothing listens there: the outside host answers port unreachable
s.settimeout(2.0)
for attempt in range(3):
    try:
        s.send(b"anyone?")
        s.recv(100)
        print("answered", flush=True)
        break
    except ConnectionRefusedError:
        print("refused", flush=True)
        break
    except socket.timeout:
        continue
else:
    print("silence", flush=True)
PY
    cat >"$work/tcp_server.py" <<'PY'
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("198.18.0.2", 5000))
s.listen(1)
open(sys.argv[1], "w").close()
c, (host, port) = s.accept()
received = 0
while received < 4_000_000:
    data = c.recv(1 << 16)
    if not data:
        break
    received += len(data)
c.sendall(f"{host}:{port} {received}\n".encode() + b"y" * 4_000_000)
c.close()
PY
    cat >"$work/tcp_client.py" <<'PY'
import socket
s = socket.create_connection(("198.18.0.2", 5000), timeout=10)
s.sendall(b"x" * 4_000_000)
reply = b""
while True:
    data = s.recv(1 << 16)
    if not data:
        break
    reply += data
head, _, rest = reply.partition(b"\n")
print(f"server saw {head.decode()}, sent back {len(rest)}", flush=True)
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

run_icmp() {
    in_ns inside ping -c 2 -W 2 198.18.0.2 >"$work/ping.txt" 2>&1 || fail "ping through the NAT: $(cat "$work/ping.txt")"
    in_ns inside ping -c 1 -W 2 10.0.1.1 >"$work/ping_nat.txt" 2>&1 || fail "ping of the NAT: $(cat "$work/ping_nat.txt")"
    in_ns inside ping -c 1 -W 2 -t 1 198.18.0.2 >"$work/ttl.txt" 2>&1 || true
    grep -q "From 10.0.1.1.*Time to live exceeded" "$work/ttl.txt" || fail "no time exceeded from the NAT: $(cat "$work/ttl.txt")"
    in_ns inside "$PYTHON" "$work/refused.py" >"$work/refused.txt"
    grep -qx refused "$work/refused.txt" || fail "port unreachable not translated back: $(cat "$work/refused.txt")"
}

run_second_host() {
    ip netns exec outside "$PYTHON" "$work/echo.py" "$work/seen.txt" &
    echo_pid=$!
    sleep 0.3
    in_ns inside "$PYTHON" "$work/second_host.py" >"$work/second.txt"
    kill "$echo_pid"; wait "$echo_pid" 2>/dev/null || true
    grep -qx "you are 198.18.1.2:4100" "$work/second.txt" || fail "10.0.1.3 not paired with 198.18.1.2: $(cat "$work/second.txt")"
}

run_tcp() {
    ip netns exec outside "$PYTHON" "$work/tcp_server.py" "$work/listening" &
    local server_pid=$!
    wait_for_file "$work/listening" || fail "TCP server did not start"
    timeout 20 ip netns exec inside "$PYTHON" "$work/tcp_client.py" >"$work/tcp.txt" || fail "TCP client failed: $(cat "$work/tcp.txt")"
    wait "$server_pid" || true
    grep -Eqx "server saw 198.18.1.1:[0-9]+ 4000000, sent back 4000000" "$work/tcp.txt" || fail "TCP: $(cat "$work/tcp.txt")"
    mkdir -p "$work/www" && head -c 100000 /dev/zero >"$work/www/file"
    (cd "$work/www" && exec ip netns exec outside "$PYTHON" -m http.server 8080 --bind 198.18.0.2) >/dev/null 2>&1 &
    local http_pid=$!
    local got=""
    for _ in $(seq 30); do
        got=$(in_ns inside curl -s -o /dev/null -w '%{http_code} %{size_download}' http://198.18.0.2:8080/file 2>/dev/null) && break
        sleep 0.1
    done
    kill "$http_pid"; wait "$http_pid" 2>/dev/null || true
    [[ "$got" == "200 100000" ]] || fail "HTTP GET through the NAT: '$got'"
    if command -v iperf3 >/dev/null; then
        in_ns outside iperf3 -s -1 -B 198.18.0.2 >/dev/null 2>&1 &
        local iperf_pid=$!
        sleep 0.5
        timeout 15 ip netns exec inside iperf3 -c 198.18.0.2 -t 1 >"$work/iperf.txt" 2>&1 || fail "iperf3: $(tail -5 "$work/iperf.txt")"
        wait "$iperf_pid" || true
        echo "iperf3 through nat-emu: $(grep -E 'receiver' "$work/iperf.txt" | awk '{print $7, $8}')"
    fi
}

flush_nat_emu() {
    kill -USR2 "$emu_pid"
    for _ in $(seq 20); do grep -q '"event":"flushed"' "$work/events.jsonl" && return 0; sleep 0.1; done
    fail "no flushed line after SIGUSR2"
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
assert has(event="mapping-created", protocol="tcp", remote="198.18.0.2:5000"), "no tcp mapping"
assert any(l.get("event") == "mapping-created" and l.get("protocol") == "icmp" for l in lines), "no icmp mapping"
assert has(event="mapping-created", inside="10.0.1.3:4100", outside="198.18.1.2:4100"), "pairing"
assert counters["icmp_errors_translated"] >= 1, counters
assert counters["icmp_errors_sent"] >= 1, counters
assert counters["echo_replies_sent"] >= 1, counters
assert counters["dropped"]["ttl-expired"] >= 1, counters
flushed = [l for l in lines if l["event"] == "flushed"]
assert len(flushed) == 1 and flushed[0]["mappings"] >= 4 and flushed[0]["tcp"] >= 1, flushed
assert counters["mappings_live"] == 0 and counters["mappings_flushed"] == flushed[0]["mappings"], counters
print(f"events ok: {len(lines)} lines, counters {json.dumps(counters)}")
PY
}

build_topology
write_programs
start_nat_emu
run_traffic
run_second_host
run_icmp
run_tcp
flush_nat_emu
stop_nat_emu
check_results
echo "PASS: nat-emu translated UDP, TCP and ICMP, paired two addresses, filtered and logged"
