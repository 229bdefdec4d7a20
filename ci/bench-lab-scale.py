#!/usr/bin/env python3
"""ci/bench-lab scale [--capture] N...: scenarios/swarm.yaml with N pairs.

For each N: writes the swarm with `count: N` (and `capture: true` with
--capture), runs it once with NATLAB_TIMING=1, and prints ready time (the
lab init's start to every NAT up), wall time, pairs connected, peers the
lister found in the server's list (peer --list), the set-up
cost per namespace, and the largest total RSS and PSS (from
/proc/PID/smaps_rollup, sampled twice a second) of nat-lab, nat-emu, peer and
rendezvous, each group apart. Exit 1 when a pair did not connect or a peer was not listed, 2 on bad
arguments. Uses $NATLAB when set, else build/bin/nat-lab. Lab traffic stays
in the lab's namespaces; nat-lab leaves nothing behind.
"""
import json, os, re, subprocess, sys, tempfile, threading, time

GROUPS = ("nat-lab", "nat-emu", "peer", "rendezvous")


def parents():
    """Every process's parent, by PID."""
    out = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            status = open(f"/proc/{pid}/status").read()
        except OSError:
            continue
        ppid = re.search(r"^PPid:\s+(\d+)", status, re.M)
        out[int(pid)] = int(ppid.group(1)) if ppid else 0
    return out


def ours(root):
    """`root` and its descendants: this run's processes, not another lab's."""
    up = parents()
    mine = set()
    for pid in up:
        at, seen = pid, 0
        while at > 1 and at != root and seen < 64:
            at, seen = up.get(at, 0), seen + 1
        if at == root:
            mine.add(pid)
    return mine


def sample(root, totals, stop):
    while not stop.wait(0.5):
        now = {g: [0, 0, 0] for g in GROUPS}  # rss kB, pss kB, processes
        for pid in ours(root):
            try:
                comm = open(f"/proc/{pid}/comm").read().strip()
                if comm not in now:
                    continue
                text = open(f"/proc/{pid}/smaps_rollup").read()
            except OSError:
                continue
            rss = re.search(r"^Rss:\s+(\d+)", text, re.M)
            pss = re.search(r"^Pss:\s+(\d+)", text, re.M)
            now[comm][0] += int(rss.group(1)) if rss else 0
            now[comm][1] += int(pss.group(1)) if pss else 0
            now[comm][2] += 1
        for g in GROUPS:
            best = totals[g]
            if now[g][1] > best[1]:
                totals[g] = now[g]


def run(natlab, pairs, capture, work):
    text = open("scenarios/swarm.yaml").read()
    text = text.replace("count: 250", f"count: {pairs}").replace("after: a-250", f"after: a-{pairs}")
    text = text.replace("capture: false", f"capture: {'true' if capture else 'false'}")
    path = os.path.join(work, f"swarm{pairs}.yaml")
    open(path, "w").write(text)
    out = os.path.join(work, f"out{pairs}")
    totals = {g: [0, 0, 0] for g in GROUPS}
    stop = threading.Event()
    start = time.monotonic()
    lab = subprocess.Popen([natlab, "run", path, "--out", out], env=dict(os.environ, NATLAB_TIMING="1"),
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    sampler = threading.Thread(target=sample, args=(lab.pid, totals, stop))
    sampler.start()
    _, stderr = lab.communicate()
    wall = time.monotonic() - start
    stop.set()
    sampler.join()
    ready = re.search(r"timing: nats\s+([\d.]+) ms", stderr)
    ready_ms = float(ready.group(1)) if ready else float("nan")
    verdicts = json.load(open(os.path.join(out, "result.json")))["verdicts"]
    connected = sum(1 for v in verdicts if v.get("held") and " connected" in v.get("expectation", ""))
    listed = sum(1 for v in verdicts if v.get("held") and "lister" in v.get("expectation", ""))
    namespaces = 4 * pairs + 1
    print(f"{pairs} pairs ({namespaces} namespaces, capture {'on' if capture else 'off'}): "
          f"ready {ready_ms / 1000:.1f} s, wall {wall:.1f} s, {connected}/{pairs} connected, "
          f"{listed}/{2 * pairs} listed; "
          f"set-up {ready_ms / namespaces:.2f} ms per namespace")
    for g in GROUPS:
        rss, pss, n = totals[g]
        each = f", {pss / n:.0f} kB PSS each" if n else ""
        print(f"  {g:10} {n:5} processes: RSS {rss / 1024:.1f} MB, PSS {pss / 1024:.1f} MB{each}")
    return connected == pairs and listed == 2 * pairs


def main(args):
    capture = "--capture" in args
    sizes = [a for a in args if a != "--capture"]
    if not sizes or not all(s.isdigit() and 1 <= int(s) <= 1000 for s in sizes):
        print("usage: ci/bench-lab scale [--capture] N... (1 <= N <= 1000: one segment holds at most 2001 links)", file=sys.stderr)
        return 2
    natlab = os.environ.get("NATLAB", "build/bin/nat-lab")
    ok = True
    with tempfile.TemporaryDirectory() as work:
        for n in sizes:
            ok = run(natlab, int(n), capture, work) and ok
    return 0 if ok else 1


sys.exit(main(sys.argv[1:]))
