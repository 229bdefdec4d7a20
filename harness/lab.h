// The lab: builds a Topology inside the lab init, runs it, records facts.
//
// Theory of operation: run_lab() is called by nat-lab outside any namespace.
// It starts the lab init (isolation.h), which
//   1. mounts an empty /run of its own (daemons' pid files stay in the lab),
//      builds the plan: a network namespace per node, a bridge per segment
//      in the switch namespace, a veth pair per link, addresses and routes;
//      sysctls pin the kernel's role (no IPv6 chatter anywhere; no IPv4
//      forwarding in a NAT's namespace: the emulator moves every frame);
//   2. opens a capture on every link, then brings up each NAT, outer NATs
//      first: starts its emulator and waits until it reports ready, or, for
//      a type linux NAT, loads its nftables ruleset and waits for nft;
//   3. starts the hosts' programs (each after its delay) and waits until
//      every waited program has exited, the scenario's timeout passes, or
//      nat-lab is asked to stop;
//   4. stops what still runs (SIGTERM, then SIGKILL), closes the captures,
//      and sends its facts (exit codes, times, errors) back through a pipe.
// Its exit tears the whole tree down. The facts are judged outside
// (expectations.h); the lab itself decides nothing about pass or fail.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "topology.h"

namespace natlab::harness {

struct LabOptions {
    std::string out_dir;  // absolute
    std::string bin_dir;  // where nat-lab's own programs live
    Duration timeout{30'000};
};

struct ProcessFacts {
    std::string node;
    bool is_nat = false;
    bool started = false;
    std::optional<int> exit_code;  // set when it exited by itself or on our SIGTERM
    std::optional<int> signal;     // set when a signal ended it
    bool stopped_by_lab = false;   // still running when the lab stopped it
    double started_ms = 0;
    double ended_ms = 0;
};

struct LabFacts {
    std::string error;  // set-up failure, if any
    bool timed_out = false;
    bool interrupted = false;
    double setup_ms = 0;
    double run_ms = 0;
    std::uint64_t captured_packets = 0;
    std::vector<ProcessFacts> processes;

    const ProcessFacts* find(const std::string& node) const;
};

LabFacts run_lab(const Topology& topology, const LabOptions& options);

}  // namespace natlab::harness
