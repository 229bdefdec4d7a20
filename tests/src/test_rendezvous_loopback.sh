#!/bin/sh
# End-to-end on loopback: the real rendezvous and two real peers.
#
#   test_rendezvous_loopback.sh BIN_DIR loopback   rendezvous + bob (waits) + alice (connects)
#   test_rendezvous_loopback.sh BIN_DIR bytes      the same with --bytes 4500 --size 1000 (5 messages)
#   test_rendezvous_loopback.sh BIN_DIR hold       the same, holding the path 1 s with keepalives
#   test_rendezvous_loopback.sh BIN_DIR db         --db keeps the registry across a restart
#                                                  (peer --list sees it); SIGUSR1 and exit
#                                                  print the counters JSON
#   test_rendezvous_loopback.sh BIN_DIR cli        bad command lines exit 2 with one stderr line
#
# Everything binds to 127.0.0.1 and sends only there. The server listens on
# port 0 and the script reads the real port from its first log line. Every
# process this script starts is killed by PID on exit.
set -u
BIN=$1
MODE=$2
WORK=$(mktemp -d)
SERVER_PID=""
BOB_PID=""
PORT=""

cleanup() {
    for pid in $BOB_PID $SERVER_PID; do kill "$pid" 2>/dev/null; done
    for pid in $BOB_PID $SERVER_PID; do wait "$pid" 2>/dev/null; done
    rm -rf "$WORK"
}
trap cleanup EXIT

fail() {
    echo "FAIL: $*"
    for f in "$WORK"/*; do [ -f "$f" ] && { echo "--- $f"; cat "$f"; }; done
    exit 1
}

# The last line of $1 must be a result with connected true, path, and 5/5/5.
check_result() {
    last=$(tail -n 1 "$1")
    python3 - "$last" "$2" <<'PY' || fail "bad result line in $1: $last"
import json, sys
r = json.loads(sys.argv[1])
keys = ["event", "name", "partner", "connected", "path", "remote", "family", "public", "rtt_ms",
        "time_to_connect_ms", "sent", "acked", "received", "predicted", "keepalives",
        "paths_lost", "repunched", "introduction_to_connect_ms", "rtt", "bytes_sent", "bytes_acked",
        "bytes_received", "retransmissions", "loss_pct", "repunch_ms", "repunch_max_ms"]
assert list(r.keys()) == keys, list(r.keys())
assert r["event"] == "result" and r["connected"] is True, r
assert r["path"] in ("local", "public", "peer-reflexive"), r
assert r["remote"].startswith("127.0.0.1:") and r["public"].startswith("127.0.0.1:"), r
assert r["family"] == "ipv4", r
assert (r["sent"], r["acked"], r["received"]) == (5, 5, 5), r
assert r["partner"] == sys.argv[2], r
assert r["introduction_to_connect_ms"] <= r["time_to_connect_ms"], r
rtt = r["rtt"]
assert rtt["samples"] >= 5 and rtt["min_ms"] <= rtt["median_ms"] <= rtt["max_ms"], r
assert rtt["min_ms"] == r["rtt_ms"], r
assert r["bytes_acked"] == r["bytes_sent"] > 0 and r["bytes_received"] > 0, r
assert r["retransmissions"] >= 0 and 0 <= r["loss_pct"] <= 100, r
PY
}

# Starts rendezvous on 127.0.0.1:$1 (0: any port) with the rest of the
# arguments; sets PORT from its first log line.
start_server() {
    want=$1
    shift
    started=$(grep -c '^listening on' "$WORK/server.log" 2>/dev/null)
    "$BIN/rendezvous" --listen "127.0.0.1:$want" "$@" >>"$WORK/server.log" 2>&1 &
    SERVER_PID=$!
    PORT=""
    for _ in $(seq 50); do
        if [ "$(grep -c '^listening on' "$WORK/server.log")" -gt "${started:-0}" ]; then
            PORT=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$WORK/server.log" | tail -n 1)
            break
        fi
        sleep 0.1
    done
    [ -n "$PORT" ] || fail "rendezvous did not start"
}

# Waits (at most 10 s) until the server log holds more than $2 lines
# matching $1: a server's output is the event to wait for, never a sleep.
wait_for_lines() {
    for _ in $(seq 100); do
        [ "$(grep -c "$1" "$WORK/server.log")" -gt "$2" ] && return 0
        sleep 0.1
    done
    fail "no new line matching $1 in the server log"
}

# Stops the server with SIGTERM; it must exit 0.
stop_server() {
    kill -TERM "$SERVER_PID"
    wait "$SERVER_PID"
    rc=$?
    SERVER_PID=""
    [ "$rc" -eq 0 ] || fail "rendezvous exited $rc after SIGTERM"
}

# The last counters line of the server log, checked by a Python expression on `c`.
check_counters() {
    line=$(grep '^{"event":"counters"' "$WORK/server.log" | tail -n 1)
    python3 -c 'import json,sys; c=json.loads(sys.argv[1]); assert eval(sys.argv[2]), c' "$line" "$1" \
        || fail "counters: $line does not satisfy $1"
}

loopback() {
    start_server 0
    port=$PORT
    # bob names the server (localhost, from /etc/hosts through getaddrinfo), alice gives its address
    "$BIN/peer" --server "localhost:$port" --name bob --bind 127.0.0.1:0 --messages 5 "$@" \
        >"$WORK/bob.json" 2>"$WORK/bob.err" &
    BOB_PID=$!
    "$BIN/peer" --server "127.0.0.1:$port" --name alice --connect bob --bind 127.0.0.1:0 \
        --messages 5 "$@" >"$WORK/alice.json" 2>"$WORK/alice.err"
    alice_rc=$?
    wait "$BOB_PID"
    bob_rc=$?
    BOB_PID=""
    [ "$alice_rc" -eq 0 ] || fail "alice exited $alice_rc"
    [ "$bob_rc" -eq 0 ] || fail "bob exited $bob_rc"
    check_result "$WORK/alice.json" bob
    check_result "$WORK/bob.json" alice
    grep -q '^introduced alice<->bob' "$WORK/server.log" || fail "server did not log the introduction"
    echo "ok: $(tail -n 1 "$WORK/alice.json")"
}

# --bytes 4500 in messages of --size 1000: five messages, 1000 x 4 + 500.
bytes() {
    loopback --bytes 4500 --size 1000
    for who in alice bob; do
        python3 -c 'import json,sys; r=json.loads(open(sys.argv[1]).read().splitlines()[-1]); \
assert (r["bytes_sent"], r["bytes_acked"], r["bytes_received"]) == (4500, 4500, 4500), r' "$WORK/$who.json" \
            || fail "$who: bytes"
    done
    echo "ok: bytes"
}

# Keepalives every 0.2 s while the path is held for 1 s; the path is never lost.
hold() {
    loopback --hold 1 --keepalive 0.2
    for who in alice bob; do
        python3 - "$WORK/$who.json" <<'PY' || fail "$who: hold"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
events = [l["event"] for l in lines]
assert events == ["registered", "introduced", "connected", "holding", "lingering", "result"], events
r = lines[-1]
assert r["keepalives"] >= 3 and r["paths_lost"] == 0, r
PY
    done
    stop_server
    check_counters 'c["registrations"] >= 2 and c["introductions"] == 1'
    echo "ok: hold"
}

# bob registers against a server with --db and leaves; the server restarts
# on the same port and still lists him (its counters say so). Every step
# waits for the server's own output (start_server: a new "listening on"
# line, which follows "restored N"; SIGUSR1: a new counters line), so a
# slow machine (sanitizers, parallel builds) only makes it slower.
db() {
    start_server 0 --db "$WORK/registry.sqlite"
    port=$PORT
    "$BIN/peer" --server "127.0.0.1:$port" --name bob --bind 127.0.0.1:0 --timeout 0.5 >"$WORK/bob.json" 2>&1
    before=$(grep -c '^{"event":"counters"' "$WORK/server.log")
    kill -USR1 "$SERVER_PID"
    wait_for_lines '^{"event":"counters"' "$before"
    check_counters 'c["registered"] == 1 and c["registrations"] >= 1'
    stop_server
    check_counters 'c["registered"] == 1'
    start_server "$port" --db "$WORK/registry.sqlite"
    grep -q "^restored 1 clients from" "$WORK/server.log" || fail "registry not restored"
    # alice asks for bob: the restarted server knows him (an introduction).
    "$BIN/peer" --server "127.0.0.1:$port" --name alice --connect bob --bind 127.0.0.1:0 --timeout 1 \
        --no-relay >"$WORK/alice.json" 2>&1
    grep -q '"event":"introduced"' "$WORK/alice.json" || fail "alice was not introduced to the restored bob"
    # carol lists the (default) room: bob from before the restart, and alice.
    "$BIN/peer" --server "127.0.0.1:$port" --name carol --list --bind 127.0.0.1:0 >"$WORK/carol.json" 2>&1 \
        || fail "peer --list exited $?"
    python3 -c 'import json,sys; l=[json.loads(x) for x in open(sys.argv[1])]; \
e=[x for x in l if x["event"]=="listed"]; assert e and e[0]["clients"]==["alice","bob"], l' "$WORK/carol.json" \
        || fail "carol's list: $(cat "$WORK/carol.json")"
    stop_server
    check_counters 'c["registered"] == 3 and c["introductions"] == 1 and c["lists"] == 1'
    echo "ok: db"
}

# $1: expected exit code; the rest: the command. Stderr must be one line.
expect_exit() {
    want=$1
    shift
    "$@" >"$WORK/out" 2>"$WORK/err"
    rc=$?
    [ "$rc" -eq "$want" ] || fail "$* exited $rc, want $want"
    if [ "$want" -eq 2 ]; then
        [ "$(wc -l <"$WORK/err")" -eq 1 ] || fail "$*: stderr is not one line"
    fi
}

cli() {
    expect_exit 2 "$BIN/peer"
    expect_exit 2 "$BIN/peer" --server 127.0.0.1 --name a
    expect_exit 2 "$BIN/peer" --server localhost:99999 --name a
    expect_exit 2 "$BIN/peer" --server :3478 --name a
    expect_exit 2 "$BIN/peer" --server 127.0.0.1:3478 --name ""
    expect_exit 2 "$BIN/peer" --server 127.0.0.1:3478 --name a --connect a
    expect_exit 2 "$BIN/peer" --server 127.0.0.1:3478 --name a --timeout 0
    expect_exit 2 "$BIN/peer" --server 127.0.0.1:3478 --name a --messages -1
    expect_exit 2 "$BIN/peer" --server 127.0.0.1:3478 --name a --bind 127.0.0.1:99999
    expect_exit 2 "$BIN/peer" --server 127.0.0.1:3478 --name a --bogus
    expect_exit 2 "$BIN/rendezvous" --listen nowhere
    expect_exit 2 "$BIN/rendezvous" extra
    expect_exit 2 "$BIN/rendezvous" --alternate 127.0.0.2:3479
    expect_exit 2 "$BIN/rendezvous" --listen 127.0.0.1:3478 --alternate 127.0.0.1:3479
    expect_exit 2 "$BIN/rendezvous" --log-level loud
    expect_exit 2 "$BIN/rendezvous" --listen '[2001:2::zz]:3478'
    expect_exit 2 "$BIN/rendezvous" --listen 127.0.0.1:3478 --listen 127.0.0.2:3478
    expect_exit 2 "$BIN/rendezvous" --listen '[::1]:0' --alternate 127.0.0.2:3479
    expect_exit 2 "$BIN/peer" --server 127.0.0.1:3478 --name a --bind '[::1'
    expect_exit 2 "$BIN/peer" --server '[::1]:3478' --name a --bind 127.0.0.1:0
    expect_exit 1 "$BIN/rendezvous" --listen 127.0.0.1:0 --db /nonexistent-dir/x.sqlite
    expect_exit 2 "$BIN/peer" --server 127.0.0.1:3478 --name a --predict-ports 65
    expect_exit 2 "$BIN/peer" --server 127.0.0.1:3478 --name a --size 1201
    expect_exit 2 "$BIN/peer" --server 127.0.0.1:3478 --name a --bytes 200000000
    expect_exit 2 "$BIN/peer" --server 127.0.0.1:3478 --name a --keepalive 0
    expect_exit 2 "$BIN/peer" --server 127.0.0.1:3478 --name a --list --connect b
    expect_exit 2 "$BIN/peer" --server 127.0.0.1:3478 --name a --port-mapping sometimes
    expect_exit 2 "$BIN/peer" --server 127.0.0.1:3478 --name a --birthday 0,10
    expect_exit 2 "$BIN/peer" --server 127.0.0.1:3478 --name a --birthday 1025,10
    expect_exit 2 "$BIN/peer" --server 127.0.0.1:3478 --name a --birthday 8,65536
    expect_exit 2 "$BIN/peer" --server 127.0.0.1:3478 --name a --birthday 8
    expect_exit 2 "$BIN/peer" --server 127.0.0.1:3478 --name a --birthday 8,8 --birthday-ports 10-5
    expect_exit 2 "$BIN/peer" --server 127.0.0.1:3478 --name a --birthday 8,8 --birthday-rate 0
    expect_exit 2 "$BIN/peer" --server 127.0.0.1:3478 --name a --birthday 8,8 --birthday-rate 20001
    expect_exit 2 "$BIN/peer" --server 127.0.0.1:3478 --name a --birthday 8,8 --list
    expect_exit 2 "$BIN/peer" --server 127.0.0.1:3478 --name a --birthday-ports 0-5
    expect_exit 0 "$BIN/peer" --help
    expect_exit 0 "$BIN/rendezvous" --help
    # No server answering: a result line with a reason, exit 1.
    expect_exit 1 "$BIN/peer" --server 127.0.0.1:9 --name a --bind 127.0.0.1:0 --timeout 0.3
    python3 -c 'import json,sys; r=json.loads(open(sys.argv[1]).read().splitlines()[-1]); \
assert r["connected"] is False and r["reason"] == "not registered" and r["path"] is None, r' \
        "$WORK/out" || fail "unregistered result: $(cat "$WORK/out")"
    echo "ok: cli"
}

# IPv6 on ::1: the server listens on 127.0.0.1 and [::1], bob knows only
# its IPv6 endpoint, alice both (her IPv6-only socket drops the IPv4 one);
# the path is IPv6 and says so. Skipped (77) without ::1.
ipv6() {
    grep -q '^00000000000000000000000000000001 ' /proc/net/if_inet6 2>/dev/null || exit 77
    start_server 0 --listen '[::1]:0'
    port6=""
    for _ in $(seq 50); do
        port6=$(sed -n 's/^listening on \[::1\]:\([0-9]*\)$/\1/p' "$WORK/server.log" | tail -n 1)
        [ -n "$port6" ] && break
        sleep 0.1
    done
    [ -n "$port6" ] || fail "rendezvous did not listen on [::1]"
    "$BIN/peer" --server "[::1]:$port6" --name bob --bind '[::1]:0' --messages 5 \
        >"$WORK/bob.json" 2>"$WORK/bob.err" &
    BOB_PID=$!
    "$BIN/peer" --server "127.0.0.1:$PORT" --server "[::1]:$port6" --name alice --connect bob \
        --bind '[::1]:0' --messages 5 >"$WORK/alice.json" 2>"$WORK/alice.err"
    alice_rc=$?
    wait "$BOB_PID"
    bob_rc=$?
    BOB_PID=""
    [ "$alice_rc" -eq 0 ] || fail "alice exited $alice_rc"
    [ "$bob_rc" -eq 0 ] || fail "bob exited $bob_rc"
    for who in alice bob; do
        python3 -c 'import json,sys; r=json.loads(open(sys.argv[1]).read().splitlines()[-1]); \
assert r["connected"] is True and r["family"] == "ipv6" and r["remote"].startswith("[::1]:"), r; \
assert r["public"].startswith("[::1]:") and (r["sent"], r["acked"], r["received"]) == (5, 5, 5), r' \
            "$WORK/$who.json" || fail "$who: $(tail -n 1 "$WORK/$who.json")"
    done
    grep -q '^registered bob public \[::1\]:' "$WORK/server.log" || fail "bob not registered over IPv6"
    echo "ok: $(tail -n 1 "$WORK/alice.json")"
}

case "$MODE" in
    loopback) loopback ;;
    ipv6) ipv6 ;;
    hold) hold ;;
    bytes) bytes ;;
    db) db ;;
    cli) cli ;;
    *) fail "unknown mode $MODE" ;;
esac
