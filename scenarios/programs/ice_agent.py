#!/usr/bin/python3
"""An ICE agent (RFC 8445) on Debian's python3-aioice, and its signalling.

    ice_agent.py signal --listen 0.0.0.0:7000
    ice_agent.py agent --name alice --peer bob --controlling \
        --stun server:3478 --signal signal:7000 [--turn turn:3478 --turn-user U --turn-password P]

Theory of operation. An agent gathers its candidates: host (every interface
address), server-reflexive (a plain STUN Binding to --stun, which nat-lab's
rendezvous server answers) and, with --turn, relayed (a TURN allocation).
Its offer, one JSON line {name, peer, ufrag, pwd, candidates}, goes over TCP
to the signalling service, which holds it until the partner's offer
arrives and then sends each agent the other's offer. The agents then run
ICE connectivity checks (aioice: every pair, peer-reflexive candidates
learnt from incoming checks, the controlling agent nominates), and
exchange five messages over the selected pair: the controlling agent sends
"ping N", the controlled one answers "pong N".

Output: JSON lines on stdout,
    {"event": "gathered", "candidates": ["host 10.0.1.2:40000", ...]}
    {"event": "selected", "local": "srflx 198.18.1.1:40000", "remote": "prflx ...", "path": "direct"}
    {"event": "data", "sent": 5, "received": 5}
    {"event": "failed", "why": "..."}
"path" is "relayed" when either end of the pair is a relay candidate,
"direct" otherwise. Exit 0 when the five messages went both ways.

The signalling service is nat-lab-only plumbing: it pairs offers by name,
keeps nothing after both are delivered, and never sees media.
"""

import argparse
import asyncio
import json
import socket
import sys

from aioice import Candidate, Connection

MESSAGES = 5


def say(event, **fields):
    print(json.dumps({"event": event, **fields}), flush=True)


def host_port(text):
    host, _, port = text.rpartition(":")
    return socket.gethostbyname(host), int(port)


def describe(candidate):
    return f"{candidate.type} {candidate.host}:{candidate.port}"


# ---- signalling -------------------------------------------------------------


async def serve_signalling(listen):
    waiting = {}  # name -> (offer, writer)

    async def on_client(reader, writer):
        offer = json.loads(await reader.readline())
        partner = waiting.pop(offer["peer"], None)
        if partner is None:
            waiting[offer["name"]] = (offer, writer)
            return
        other_offer, other_writer = partner
        for w, o in ((writer, other_offer), (other_writer, offer)):
            w.write((json.dumps(o) + "\n").encode())
            await w.drain()
            w.close()
        print(f"paired {offer['name']} <-> {offer['peer']}", flush=True)

    host, port = listen.rsplit(":", 1)
    server = await asyncio.start_server(on_client, host, int(port))
    print(f"signalling on {listen}", flush=True)
    async with server:
        await server.serve_forever()


async def exchange_offers(signal, offer):
    host, port = host_port(signal)
    for _ in range(50):  # the service may start a moment after us
        try:
            reader, writer = await asyncio.open_connection(host, port)
            break
        except OSError:
            await asyncio.sleep(0.1)
    else:
        raise ConnectionError(f"no signalling service at {signal}")
    writer.write((json.dumps(offer) + "\n").encode())
    await writer.drain()
    answer = json.loads(await reader.readline())
    writer.close()
    return answer


# ---- the agent --------------------------------------------------------------


def connection(args):
    turn = host_port(args.turn) if args.turn else None
    return Connection(
        ice_controlling=args.controlling,
        stun_server=host_port(args.stun),
        turn_server=turn,
        turn_username=args.turn_user,
        turn_password=args.turn_password,
        use_ipv6=False,
    )


async def apply_answer(conn, answer):
    conn.remote_username = answer["ufrag"]
    conn.remote_password = answer["pwd"]
    for sdp in answer["candidates"]:
        await conn.add_remote_candidate(Candidate.from_sdp(sdp))
    await conn.add_remote_candidate(None)  # end of candidates


def selected(conn):
    pair = conn._nominated.get(1)  # aioice keeps the nominated pair per component
    path = "relayed" if "relay" in (pair.local_candidate.type, pair.remote_candidate.type) else "direct"
    say("selected", local=describe(pair.local_candidate), remote=describe(pair.remote_candidate), path=path)


async def talk(conn, controlling):
    sent = received = 0
    for n in range(MESSAGES):
        if controlling:
            await conn.send(f"ping {n}".encode())
            sent += 1
        data = await asyncio.wait_for(conn.recv(), 5)
        received += 1
        if not controlling:
            await conn.send(data.replace(b"ping", b"pong"))
            sent += 1
    await asyncio.sleep(0.5)  # the last pong is on its way
    say("data", sent=sent, received=received)
    return sent == received == MESSAGES


def quiet_background_errors(loop, context):
    """aioice's background tasks (TURN ChannelBind, consent checks) fail on
    their own; one line each instead of a traceback."""
    error = context.get("exception")
    say("background-error", what=context.get("message", ""), error=str(error) if error else "")


async def run_agent(args):
    asyncio.get_running_loop().set_exception_handler(quiet_background_errors)
    conn = connection(args)
    await conn.gather_candidates()
    say("gathered", candidates=[describe(c) for c in conn.local_candidates])
    offer = {
        "name": args.name,
        "peer": args.peer,
        "ufrag": conn.local_username,
        "pwd": conn.local_password,
        "candidates": [c.to_sdp() for c in conn.local_candidates],
    }
    await apply_answer(conn, await exchange_offers(args.signal, offer))
    try:
        await asyncio.wait_for(conn.connect(), args.timeout)
        selected(conn)
        return await talk(conn, args.controlling)
    finally:
        await conn.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sig = sub.add_parser("signal")
    sig.add_argument("--listen", required=True)
    agent = sub.add_parser("agent")
    agent.add_argument("--name", required=True)
    agent.add_argument("--peer", required=True)
    agent.add_argument("--controlling", action="store_true")
    agent.add_argument("--stun", required=True)
    agent.add_argument("--signal", required=True)
    agent.add_argument("--turn")
    agent.add_argument("--turn-user")
    agent.add_argument("--turn-password")
    agent.add_argument("--timeout", type=float, default=15)
    args = parser.parse_args()
    if args.command == "signal":
        asyncio.run(serve_signalling(args.listen))
        return 0
    try:
        return 0 if asyncio.run(run_agent(args)) else 1
    except (ConnectionError, asyncio.TimeoutError, OSError) as e:
        say("failed", why=str(e) or type(e).__name__)
        return 1


if __name__ == "__main__":
    sys.exit(main())
