#!/usr/bin/env bash
# End-to-end smoke test of nat-emu's NAT64 with real kernel hosts.
#
#   inside netns (IPv6 only)     nat netns (IPv6 off in the kernel)       outside netns (IPv4 only)
#   2001:2:0:1::2/64 in0 <-veth-> nat-in  [nat-emu --ipv6 nat64]  nat-out <-veth-> out0  198.18.0.2/15
#   default via 2001:2:0:1::1     answers ND as 2001:2:0:1::1, ARP as 198.18.1.1
#
# Checks: a ping of 64:ff9b::c612:2 (198.18.0.2) through NAT64; a UDP round
# trip whose server sees the public IPv4 address and whose client sees the
# reply from the embedded address; a mapping-created line naming the IPv6
# host ("inside6"); Time Exceeded for hop limit 1; SIGTERM ends nat-emu with
# status 0 and nat64 counters.
#
# Everything lives in a private namespace tree (unshare: mount, net, pid);
# addresses are the lab's plan. Exit 77 (ctest: skipped) without root.
#
# usage: nat_emu64_smoke.sh path/to/nat-emu
set -euo pipefail

NAT_EMU=$(realpath "${1:?usage: nat_emu64_smoke.sh path/to/nat-emu}")
UNSHARE=(unshare --mount --net --pid --fork --mount-proc --propagation private)

if [[ "${NATLAB_SMOKE_INNER:-}" != 1 ]]; then
    [[ $(id -u) -eq 0 ]] || { echo "skipped: needs root"; exit 77; }
    PYTHON=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null) || { echo "skipped: no python3"; exit 77; }
    "${UNSHARE[@]}" true 2>/dev/null || { echo "skipped: cannot create namespaces"; exit 77; }
    exec env NATLAB_SMOKE_INNER=1 PYTHON="$PYTHON" "${UNSHARE[@]}" bash "$0" "$NAT_EMU"
fi

work=$(mktemp -d /tmp/nat_emu64_smoke.XXXXXX)
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
    in_ns outside ip addr add 198.18.0.2/15 dev out0
    in_ns outside ip link set out0 up
}

start_nat_emu() {
    mkfifo "$work/ready"
    ip netns exec nat env NATLAB_TRACE=1 "$NAT_EMU" --name smoke64 \
        --inside nat-in --inside-address 10.0.1.1/24 --outside nat-out --outside-address 198.18.1.1/15 \
        --type port-restricted --ipv6 nat64 --inside6 2001:2:0:1::1/64 \
        --events "$work/events.jsonl" --ready-fd 3 3>"$work/ready" 2>"$work/trace.log" &
    emu_pid=$!
    local line=""
    read -r -t 5 line <"$work/ready" || true
    [[ "$line" == ready ]] || fail "nat-emu did not report ready"
}

write_programs() {
    cat >"$work/echo.py" <<'PY'
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("198.18.0.2", 3478))
while True:
    data, addr = s.recvfrom(2048)
    s.sendto(f"you are {addr[0]}:{addr[1]}".encode(), addr)
PY
    cat >"$work/client.py" <<'PY'
import socket
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind(("2001:2:0:1::2", 40000))
s.settimeout(1.0)
for attempt in range(3):
    s.sendto(b"hello", ("64:ff9b::c612:2", 3478))
    try:
        data, src = s.recvfrom(2048)
        print(f"{data.decode()} from [{src[0]}]:{src[1]}", flush=True)
        break
    except socket.timeout:
        continue
else:
    print("no reply", flush=True)
PY
}

check_pings() {
    in_ns inside ping -6 -c 2 -W 2 64:ff9b::c612:2 >/dev/null || fail "no ping through NAT64"
    in_ns inside ping -6 -c 1 -W 2 -t 1 64:ff9b::c612:2 >"$work/hop.txt" 2>&1 || true
    grep -qi "From 2001:2:0:1::1.*Time exceeded" "$work/hop.txt" || fail "no time exceeded: $(cat "$work/hop.txt")"
}

check_udp() {
    ip netns exec outside "$PYTHON" "$work/echo.py" &
    echo_pid=$!
    sleep 0.3
    ip netns exec inside "$PYTHON" "$work/client.py" >"$work/client.txt" || fail "client failed"
    kill "$echo_pid"; wait "$echo_pid" 2>/dev/null || true
    grep -qx "you are 198.18.1.1:40000 from \[64:ff9b::c612:2\]:3478" "$work/client.txt" ||
        fail "UDP round trip: $(cat "$work/client.txt")"
    grep -q '"event":"mapping-created","protocol":"udp","inside":"240.0.0.1:40000","outside":"198.18.1.1:40000".*"inside6":"\[2001:2:0:1::2\]:40000"' \
        "$work/events.jsonl" || fail "no mapping-created line naming the IPv6 host"
}

check_exit() {
    kill -TERM "$emu_pid"
    local status=0
    wait "$emu_pid" || status=$?
    [[ $status -eq 0 ]] || fail "nat-emu exited with $status"
    grep '"event":"counters"' "$work/events.jsonl" | grep -q '"nat64_inbound":[1-9]' ||
        fail "counters line without nat64 translations"
}

build_topology
write_programs
start_nat_emu
check_pings
check_udp
check_exit
echo "ok: NAT64 through nat-emu (echo, UDP, the mapping line, time exceeded)"
