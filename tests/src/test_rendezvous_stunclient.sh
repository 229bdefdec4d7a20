#!/bin/sh
# Standard STUN clients nobody here wrote, against rendezvous on loopback.
#
#   test_rendezvous_stunclient.sh BIN_DIR
#
# rendezvous listens on 127.0.0.1:P and, with --alternate 127.0.0.2:P+1, on
# all four RFC 5780 combinations. coturn's turnutils_stunclient must get its
# three RFC 5780 answers (plain, change IP and port, RESPONSE-PORT to its
# second socket) with RESPONSE-ORIGIN and OTHER-ADDRESS right, and
# turnutils_natdiscovery must classify loopback (no NAT) as endpoint-
# independent mapping and filtering, with and without 1500 bytes of
# PADDING. Everything is on 127.0.0.1 and 127.0.0.2 (loopback); every
# process this script starts is killed by PID on exit. Exit 77 (skipped)
# when coturn's tools are not installed.
set -u
BIN=$1
WORK=$(mktemp -d)
SERVER_PID=""

cleanup() {
    [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT

fail() {
    echo "FAIL: $*"
    for f in "$WORK"/*; do [ -f "$f" ] && { echo "--- $f"; cat "$f"; }; done
    exit 1
}

for tool in turnutils_stunclient turnutils_natdiscovery; do
    command -v "$tool" >/dev/null || { echo "skip: $tool not installed (apt-get install coturn)"; exit 77; }
done

# A port pair nobody holds: a few random tries.
for _ in 1 2 3 4 5 6 7 8; do
    P=$(( 20000 + $(od -An -N2 -tu2 /dev/urandom) % 20000 ))
    "$BIN/rendezvous" --listen "127.0.0.1:$P" --alternate "127.0.0.2:$((P + 1))" >"$WORK/server.log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 30); do
        grep -q "^also listening on" "$WORK/server.log" && break
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.1
    done
    grep -q "^also listening on" "$WORK/server.log" && break
    wait "$SERVER_PID" 2>/dev/null
    SERVER_PID=""
done
[ -n "$SERVER_PID" ] || fail "rendezvous did not start on any port pair"
O=127.0.0.2:$((P + 1))

# stunclient: three answers; the first from the primary naming the other
# socket, the second (change IP and port) from 127.0.0.2:P+1, the third
# to the client's second socket (RESPONSE-PORT).
timeout 20 turnutils_stunclient -p "$P" -f 127.0.0.1 >"$WORK/stunclient.out" 2>&1 || fail "turnutils_stunclient exited $?"
for want in "RFC 5780 response 1" "RFC 5780 response 2" "RFC 5780 response 3" \
    "Response origin: : 127.0.0.1:$P" "Other addr: : $O" "Response origin: : $O" \
    "UDP reflexive addr: 127.0.0.1:"; do
    grep -qF "$want" "$WORK/stunclient.out" || fail "turnutils_stunclient: no '$want'"
done
echo "ok: turnutils_stunclient"

for padding in "" -P; do
    timeout 30 turnutils_natdiscovery -m -f $padding -p "$P" 127.0.0.1 >"$WORK/natdiscovery.out" 2>&1 \
        || fail "turnutils_natdiscovery $padding exited $?"
    for want in "NAT with Endpoint Independent Mapping!" "NAT with Endpoint Independent Filtering!"; do
        grep -qF "$want" "$WORK/natdiscovery.out" || fail "turnutils_natdiscovery $padding: no '$want'"
    done
    echo "ok: turnutils_natdiscovery $padding"
done

kill -TERM "$SERVER_PID"
wait "$SERVER_PID" || fail "rendezvous exited $? after SIGTERM"
SERVER_PID=""
python3 -c 'import json,sys; c=json.loads(sys.argv[1]); assert c["bindings"] >= 10 and c["errors_sent"] == 0, c' \
    "$(grep '^{"event":"counters"' "$WORK/server.log")" || fail "counters: $(tail -n 1 "$WORK/server.log")"
echo "ok: counters $(tail -n 1 "$WORK/server.log")"
