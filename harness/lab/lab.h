// The lab: builds a Topology inside the lab init, runs it, records facts.
//
// Theory of operation: run_lab() is called by nat-lab outside any namespace.
// It starts the lab init (isolation.h), which
//   1. mounts an empty /run of its own (daemons' pid files stay in the lab),
//      builds the plan: a network namespace per node, a bridge per segment
//      in the switch namespace, a veth pair per link, addresses and routes;
//      sysctls pin the kernel's role (no IPv6 chatter anywhere; no IPv4
//      forwarding in a NAT's namespace: the emulator moves every frame);
//   2. opens a capture on every link, starts the link stages (link-emu,
//      link_stage.h) and waits until they are ready, then brings up each
//      NAT, outer NATs first: starts its emulator and waits until it
//      reports ready, or, for a type linux NAT, loads its nftables ruleset
//      and waits for nft;
//   2b. with `dns:`, starts the lab's DNS server and waits until it answers
//      (dns_server.h);
//   3. starts the hosts' programs (each after its delay, counted from the
//      moment the NATs are up, or from the start of the host it comes
//      `after`), runs the timeline's steps at their times (counted from the
//      same moment), and waits until every waited program has exited, the
//      scenario's timeout passes, or nat-lab is asked to stop. What is due
//      when is decided by the pure schedule (schedule.h); the lab's
//      waitpid/signal loop only carries its actions out, tells it what
//      happened, looks for what programs wait to see (a log line, a bound
//      port: probe.h), and sleeps until its next wake-up or a signal. A
//      host with `programs:` runs each as its own process with its own
//      log (<host>.<program>.log) and facts (named "host.program");
//   4. if options.hold_if says so, keeps everything up: a holder process
//      sits in each node's namespace, nat-lab prints how to enter each one,
//      and the lab waits for Ctrl-C (SIGINT/SIGTERM);
//   5. stops what still runs (hosts, then NATs, then link stages: SIGTERM,
//      then SIGKILL), closes the captures, and sends its facts (exit codes,
//      times, timeline, errors) back through a pipe.
// Its exit tears the whole tree down. The facts are judged outside
// (expectations.h); the lab itself decides nothing about pass or fail.
//
// Reachability (`reachable`, reach.h): the probes run in the same loop,
// from the hosts' start; their sockets are made in the probing host's
// namespace. The run waits for a probe's window as for a waited program
// (a timeout or a stop request ends it anyway).
//
// Timeline steps: `link X down/up` switch the bridge end of X's stage off
// and on through rtnetlink; `set` writes a command line to its link-emu;
// `restart X` sends SIGTERM to X's program group, waits for it (SIGKILL
// after a grace period) and starts it again, appending to its log; `flush`
// sends SIGUSR2 to a nat-emu (it forgets every mapping), and for a type
// linux NAT deletes every conntrack entry of its namespace; `kill X` sends
// the step's signal to X's emulator (its process group) and lets it die.
// Each step is recorded in LabFacts::timeline, with an error if it could
// not be done.
//
// Ends: every process and link stage's end is recorded as it is reaped
// (exit code or signal); `stopped_by_lab` marks those still running when
// step 5 stopped them, so an end without it happened during the run.
//
// Signals: from the moment run_lab() has started the lab init, nat-lab's
// SIGINT, SIGTERM and SIGHUP are passed on to it as SIGTERM, so Ctrl-C
// always ends in the orderly stop of step 5 and the captures are complete.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "harness/lab/reach.h"
#include "harness/plan/topology.h"

namespace natlab::harness {

struct LabFacts;

struct LabOptions {
    std::string out_dir;  // absolute
    std::string bin_dir;  // where nat-lab's own programs live
    Millis timeout{30'000};
    // Called in the lab once the run is over, with the facts so far; true
    // keeps the lab up until Ctrl-C (nat-lab prints how to enter each
    // node's namespace on stderr). Unset: never hold.
    std::function<bool(const LabFacts&)> hold_if;
};

struct ProcessFacts {
    std::string node;  // a node, or a program of a host that runs several: "alice.ping"
    bool is_nat = false;
    bool started = false;
    std::optional<int> exit_code;  // set when it exited by itself or on our SIGTERM
    std::optional<int> signal;     // set when a signal ended it
    bool stopped_by_lab = false;   // still running when the lab stopped it
    double started_ms = 0;
    double ended_ms = 0;
    int restarts = 0;     // by the timeline
    bool is_dns = false;  // the lab's DNS server (dns_server.h)
};

// One timeline step as it was done.
struct StepFacts {
    double at_ms = 0;    // when the scenario asked for it, from the hosts' start
    double done_ms = 0;  // when it was done, on the lab's clock (like started_ms)
    std::string what;    // "link alice down", "flush home", ...
    std::string error;   // empty when it worked
};

struct LabFacts {
    std::string error;  // set-up failure, if any
    bool timed_out = false;
    bool interrupted = false;
    bool held = false;    // hold_if kept the lab up after the run
    double setup_ms = 0;  // lab init start to every NAT up
    double run_ms = 0;
    double teardown_ms = 0;  // orderly stop, captures closed, lab init gone
    std::uint64_t captured_packets = 0;
    double hosts_start_unix_s = 0;  // wall clock (as pcap stamps) when the hosts' phase began; 0: unknown
    std::vector<ProcessFacts> processes;
    std::vector<ProcessFacts> stages;  // link-emu, one a staged link, named by its link's node
    std::vector<StepFacts> timeline;
    std::vector<ReachFacts> reach;  // one per Topology::reach, in its order

    const ProcessFacts* find(const std::string& node) const;
};

LabFacts run_lab(const Topology& topology, const LabOptions& options);

}  // namespace natlab::harness
