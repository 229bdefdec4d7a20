// The scenario keys of expectations the lab probes itself: `reachable` and
// `not_reachable` (docs/scenarios.md, "Reachability, probed by the lab").
//
// Theory of operation: read_reach_expectation() reads one such item
// strictly (`from`, `to`, `by`, `at`, `within`; FILE:LINE:COL errors), and
// check_reach_expectation() checks its names once every host and NAT is
// known: `from` is a host (it need run nothing: the probe runs in its
// namespace), `to` a host, a NAT or an IPv4 address. The planner resolves
// `to` to an address (topology.h, ReachPlan); the lab probes
// (harness/lab/reach.h); the judge reads what the probes saw.
#pragma once

#include <yaml-cpp/yaml.h>

#include "harness/plan/scenario.h"
#include "harness/plan/yaml_reader.h"

namespace natlab::harness {

// How long a probe goes on when the expectation gives no `within`.
inline constexpr Millis kReachWindow{5'000};

bool is_reach_expectation(const YAML::Node& item);
void read_reach_expectation(const YamlReader& r, const YAML::Node& item, Expectation& e);
void check_reach_expectation(const Scenario& s, const Expectation& e);

// "icmp", "udp 3478", "tcp 80".
std::string describe_reach_by(const Expectation& e);
// "alice reaches bob by udp 3478 within 5s".
std::string describe_reach(const Expectation& e);

}  // namespace natlab::harness
