// Judging a run: the scenario's expectations against what really happened.
//
// Theory of operation: pure functions over the lab's facts (exit codes,
// times) and the evidence a run leaves in its output directory: the peers'
// own reports (the JSON result line every `peer` prints last), each host's
// log, and each emulated NAT's final counters. collect_evidence() is the
// only part that reads files. A pair is connected only if both peers say
// so, each naming the other; "via" must hold for both sides; "lossless"
// needs every data message each side sent acknowledged. Nothing here is
// inferred from the scenario: a peer that printed no result has not
// connected, a NAT that wrote no counters has none to compare.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "harness/judge/wire.h"
#include "harness/lab/lab.h"
#include "harness/plan/scenario.h"

namespace natlab::harness {

struct PeerResult {
    std::string name;
    std::string partner;
    bool connected = false;
    std::string path;    // local | public | peer-reflexive when connected; relay when relayed
    std::string remote;  // the partner's endpoint in use
    std::string family;  // the path's: ipv4 | ipv6 (the result's `family`, else the remote's form)
    double rtt_ms = 0;
    double time_to_connect_ms = 0;
    int sent = 0, acked = 0, received = 0;
    std::string reason;              // why not, when not connected
    int repunched = 0;               // paths punched again after one was lost
    std::vector<double> repunch_ms;  // per recovery: path-lost -> connected again
};

// The last {"event":"result",...} line of a peer's output, if any.
std::optional<PeerResult> parse_peer_result(const std::string& output);

struct Verdict {
    Verdict() = default;
    Verdict(std::string expectation_, bool held_, std::string detail_ = {}, std::string seen_ = {})
        : expectation(std::move(expectation_)),
          held(held_),
          detail(std::move(detail_)),
          seen(std::move(seen_)) {}

    std::string expectation;  // "alice <-> bob connected via local within 5s"
    bool held = false;
    std::string detail;  // what was seen instead, when it did not hold
    std::string seen;    // what the captures showed, held or not (verdicts from the wire)
};

// What a run left behind, read back from its output directory.
struct Evidence {
    std::map<std::string, PeerResult> peers;         // host -> its last result line
    std::map<std::string, std::string> outputs;      // host -> its log (stdout+stderr)
    std::map<std::string, nlohmann::json> counters;  // NAT -> its last "counters" event
    WireEvidence wire;  // the captures, read only for direct/relayed/traffic (read_wire_evidence)
};

// Reads <host>.log of every host that ran something and
// <nat>.events.jsonl of every emulated NAT.
Evidence collect_evidence(const Topology& topology, const std::string& out_dir);

// The last {"event":"counters",...} line of a NAT's event log, if any.
std::optional<nlohmann::json> last_counters(const std::string& events);

// A counter by dotted path ("dropped.filtered"); nullopt when absent.
std::optional<std::int64_t> counter_value(const nlohmann::json& counters, const std::string& path);

// One verdict per expectation, in file order, then one failed verdict per
// timeline step the lab could not do (LabFacts::timeline errors), then
// judge_components().
std::vector<Verdict> judge(const Scenario& scenario, const LabFacts& facts, const Evidence& evidence);

// A component that dies fails the run: one failed verdict for each NAT
// emulator and each link stage (link-emu) that ended during the run, by
// itself (any exit code) or by a signal the lab's own stop did not send
// ("NAT home kept running: nat-emu was killed by signal 9 (SIGKILL)").
// What the lab stopped at the end (stopped_by_lab: SIGTERM, then SIGKILL)
// fails nothing, nor does a run of a program that a timeline `restart`
// ended (the facts keep only its last run). Kernel NATs run no process.
std::vector<Verdict> judge_components(const LabFacts& facts);

}  // namespace natlab::harness
