#!/usr/bin/env bash
# End-to-end smoke test of nat-emu's IPv6 frame path with real kernel hosts.
#
#   inside netns                 nat netns (IPv6 off in the kernel)          outside netns
#   2001:2:0:1::2/64 in0 <-veth-> nat-in  [nat-emu --ipv6 firewall]  nat-out <-veth-> out0  2001:2::5/64
#   default via 2001:2:0:1::1     answers ND as 2001:2:0:1::1 / 2001:2::101   2001:2:0:1::/64 via 2001:2::101
#
# Checks, for an address-and-port-dependent firewall:
#   1. the kernel's own neighbour discovery resolves the NAT on both links;
#   2. ping of the NAT's inside and outside addresses, and through it;
#   3. UDP [2001:2:0:1::2]:4000 -> [2001:2::5]:3478 arrives with its source
#      untouched and the reply comes back; a state6-created line;
#   4. an unsolicited datagram from another port is refused: a drop line
#      with code filtered, and nothing reaches the inside;
#   5. a hop-limit-1 ping gets Time Exceeded from 2001:2:0:1::1;
#   6. SIGTERM ends nat-emu with status 0 and a counters line with IPv6 counts.
#
# Everything lives in a private namespace tree (unshare: mount, net, pid);
# all addresses are the lab's IPv6 plan (2001:2::/48). Exit 77 (ctest:
# skipped) without root or namespace support.
#
# usage: nat_emu6_smoke.sh path/to/nat-emu
set -euo pipefail

NAT_EMU=$(realpath "${1:?usage: nat_emu6_smoke.sh path/to/nat-emu}")
UNSHARE=(unshare --mount --net --pid --fork --mount-proc --propagation private)

if [[ "${NATLAB_SMOKE_INNER:-}" != 1 ]]; then
    [[ $(id -u) -eq 0 ]] || { echo "skipped: needs root"; exit 77; }
    PYTHON=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null) || { echo "skipped: no python3"; exit 77; }
    "${UNSHARE[@]}" true 2>/dev/null || { echo "skipped: cannot create namespaces"; exit 77; }
    exec env NATLAB_SMOKE_INNER=1 PYTHON="$PYTHON" "${UNSHARE[@]}" bash "$0" "$NAT_EMU"
fi

# ---- from here on we are PID 1 of a private namespace tree ----

work=$(mktemp -d /tmp/nat_emu6_smoke.XXXXXX)
trap 'rm -rf "$work"' EXIT
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
    in_ns nat sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    ip link add in0 type veth peer name nat-in
    ip link add out0 type veth peer name nat-out
    ip link set in0 netns inside;   ip link set nat-in netns nat
    ip link set out0 netns outside; ip link set nat-out netns nat
    in_ns nat sysctl -qw net.ipv6.conf.nat-in.disable_ipv6=1 net.ipv6.conf.nat-out.disable_ipv6=1
    in_ns nat ip link set nat-in up
    in_ns nat ip link set nat-out up
    in_ns inside ip -6 addr add 2001:2:0:1::2/64 dev in0 nodad
    in_ns inside ip link set in0 up
    in_ns inside ip -6 route add default via 2001:2:0:1::1
    in_ns outside ip -6 addr add 2001:2::5/64 dev out0 nodad
    in_ns outside ip link set out0 up
    in_ns outside ip -6 route add 2001:2:0:1::/64 via 2001:2::101
}

start_nat_emu() {
    mkfifo "$work/ready"
    ip netns exec nat env NATLAB_TRACE=1 "$NAT_EMU" --name smoke6 \
        --inside nat-in --inside-address 10.0.1.1/24 --outside nat-out --outside-address 198.18.1.1/15 \
        --ipv6 firewall --inside6 2001:2:0:1::1/64 --outside6 2001:2::101/64 \
        --ipv6-filtering address-and-port-dependent \
        --events "$work/events.jsonl" --ready-fd 3 3>"$work/ready" 2>"$work/trace.log" &
    emu_pid=$!
    local line=""
    read -r -t 5 line <"$work/ready" || true
    [[ "$line" == ready ]] || fail "nat-emu did not report ready"
}

write_programs() {
    cat >"$work/echo.py" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind(("2001:2::5", 3478))
while True:
    data, addr = s.recvfrom(2048)
    s.sendto(f"you are [{addr[0]}]:{addr[1]}".encode(), addr[:2])
PY
    cat >"$work/client.py" <<'PY'
import pathlib, socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind(("2001:2:0:1::2", 4000))
s.settimeout(1.0)
for attempt in range(3):
    s.sendto(b"hello", ("2001:2::5", 3478))
    try:
        print(s.recvfrom(2048)[0].decode(), flush=True)
        break
    except socket.timeout:
        continue
else:
    print("no reply", flush=True)
pathlib.Path(sys.argv[1]).touch()
s.settimeout(2.0)
try:
    data, src = s.recvfrom(2048)
    print(f"unsolicited from [{src[0]}]:{src[1]}", flush=True)
except socket.timeout:
    print("nothing unsolicited", flush=True)
PY
    cat >"$work/stranger.py" <<'PY'
import socket
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind(("2001:2::5", 40001))
s.sendto(b"let me in", ("2001:2:0:1::2", 4000))
PY
}

wait_for_file() {
    for _ in $(seq 50); do [[ -e $1 ]] && return 0; sleep 0.1; done
    return 1
}

check_pings() {
    in_ns inside ping -6 -c 1 -W 2 2001:2:0:1::1 >/dev/null || fail "no echo reply from the NAT's inside address"
    in_ns inside ping -6 -c 1 -W 2 2001:2::101 >/dev/null || fail "no echo reply from the NAT's outside address"
    in_ns inside ping -6 -c 2 -W 2 2001:2::5 >/dev/null || fail "no ping through the NAT"
    in_ns inside ping -6 -c 1 -W 2 -t 1 2001:2::5 >"$work/hop.txt" 2>&1 || true
    grep -qi "From 2001:2:0:1::1.*Time exceeded" "$work/hop.txt" || fail "no time exceeded from the NAT: $(cat "$work/hop.txt")"
}

check_udp() {
    ip netns exec outside "$PYTHON" "$work/echo.py" &
    echo_pid=$!
    sleep 0.3
    ip netns exec inside "$PYTHON" "$work/client.py" "$work/waiting" >"$work/client.txt" &
    client_pid=$!
    wait_for_file "$work/waiting" || fail "client never got to the unsolicited phase"
    in_ns outside "$PYTHON" "$work/stranger.py"
    wait "$client_pid" || fail "client failed"
    kill "$echo_pid"; wait "$echo_pid" 2>/dev/null || true
    grep -qx "you are \[2001:2:0:1::2\]:4000" "$work/client.txt" || fail "UDP round trip: $(cat "$work/client.txt")"
    grep -qx "nothing unsolicited" "$work/client.txt" || fail "the firewall let a stranger in: $(cat "$work/client.txt")"
    grep -q '"event":"state6-created","protocol":"udp","inside":"\[2001:2:0:1::2\]:4000"' "$work/events.jsonl" ||
        fail "no state6-created line"
    grep -q '"event":"drop","direction":"inbound","packet":"udp \[2001:2::5\]:40001 -> \[2001:2:0:1::2\]:4000","code":"filtered"' \
        "$work/events.jsonl" || fail "no filtered drop line"
}

check_exit() {
    kill -TERM "$emu_pid"
    local status=0
    wait "$emu_pid" || status=$?
    [[ $status -eq 0 ]] || fail "nat-emu exited with $status"
    grep '"event":"counters"' "$work/events.jsonl" | grep -q '"ipv6_forwarded":{[^}]*"inbound":[1-9]' ||
        fail "counters line without IPv6 traffic"
}

build_topology
write_programs
start_nat_emu
check_pings
check_udp
check_exit
echo "ok: IPv6 through nat-emu's firewall (ND, echo, UDP, filtering, time exceeded)"
