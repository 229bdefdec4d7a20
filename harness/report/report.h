// The human report printed after a run, and result.json and report.html
// beside the captures.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "harness/judge/expectations.h"
#include "harness/lab/lab.h"
#include "harness/plan/scenario.h"
#include "harness/plan/topology.h"

namespace natlab::harness {

struct RunRecord {
    const Scenario& scenario;
    const Topology& topology;
    const LabFacts& facts;
    const std::map<std::string, PeerResult>& peers;
    const std::vector<Verdict>& verdicts;
    std::string out_dir;
    std::map<std::string, nlohmann::json> nat_counters;  // the last "counters" event of each NAT
    std::string label = {};  // the run's name when it is one of several ("nat_types/pr-sym")
};

// The last {"event":"counters",...} line of a NAT's event log, if any.
std::optional<nlohmann::json> parse_nat_counters(const std::string& events);

bool all_held(const std::vector<Verdict>& verdicts);
std::string render_report(const RunRecord& run);
std::string render_result_json(const RunRecord& run);

// report.html: the same facts as a page, with links to every capture and log.
std::string render_report_html(const RunRecord& run);

}  // namespace natlab::harness
