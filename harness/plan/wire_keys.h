// The scenario keys of expectations judged from the captures: `direct`,
// `relayed` and `traffic` (docs/scenarios.md, "Verdicts from the wire").
//
// Theory of operation: read_wire_expectation() reads one `expect:` item
// whose key is one of them, strictly (unknown keys, wrong types, bounds the
// wrong way round are ScenarioErrors at FILE:LINE:COL), and
// check_wire_expectation() checks its names against the scenario once every
// host and NAT is known, and refuses it when the scenario turns captures
// off. Nothing here judges: harness/judge/wire.h does, from the pcaps.
#pragma once

#include <yaml-cpp/yaml.h>

#include "harness/plan/scenario.h"
#include "harness/plan/yaml_reader.h"

namespace natlab::harness {

// True when `item` is a `direct`, `relayed` or `traffic` expectation.
bool is_wire_expectation(const YAML::Node& item);

// Reads such an item into `e` (kind, hosts, via, nodes, bounds).
void read_wire_expectation(const YamlReader& r, const YAML::Node& item, Expectation& e);

// Its references (hosts that run something, a third host in between,
// hosts or NATs for traffic) and `capture: true`. Throws ScenarioError.
void check_wire_expectation(const Scenario& s, const Expectation& e);

// Judged from the captures: the run must read its pcaps.
bool judged_from_wire(const Expectation& e);
bool judged_from_wire(const Scenario& s);

}  // namespace natlab::harness
