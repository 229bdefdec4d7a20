// Judging a run: the scenario's expectations against what really happened.
//
// Theory of operation: pure functions over the lab's facts (exit codes,
// times) and the peers' own reports (the JSON result line every `peer`
// prints last). A pair is connected only if both peers say so, each naming
// the other; "via" must hold for both sides. Nothing here is inferred from
// the scenario: a peer that printed no result has not connected.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "lab.h"
#include "scenario.h"

namespace natlab::harness {

struct PeerResult {
    std::string name;
    std::string partner;
    bool connected = false;
    std::string path;    // local | public | peer-reflexive, when connected
    std::string remote;  // the partner's endpoint in use
    double rtt_ms = 0;
    double time_to_connect_ms = 0;
    int sent = 0, acked = 0, received = 0;
    std::string reason;  // why not, when not connected
};

// The last {"event":"result",...} line of a peer's output, if any.
std::optional<PeerResult> parse_peer_result(const std::string& output);

struct Verdict {
    std::string expectation;  // "alice <-> bob connected via local within 5s"
    bool held = false;
    std::string detail;       // what was seen instead, when it did not hold
};

std::vector<Verdict> judge(const Scenario& scenario, const LabFacts& facts,
                           const std::map<std::string, PeerResult>& peers);

}  // namespace natlab::harness
