// The outcome of one run (a scenario, a matrix cell, one repetition): what
// every report of nat-lab is written from.
//
// run_job() fills one in; the parallel runner carries it from the worker
// process to the parent as JSON (to_json / outcome_from_json, a lossless
// round trip), and the text report, result.json, JUnit and matrix.html read
// it. Nothing here runs anything.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness/judge/expectations.h"

namespace natlab::harness {

constexpr int kExitHeld = 0, kExitFailed = 1, kExitBadInput = 2;

struct RunOutcome {
    std::string label;
    std::string scenario;  // the scenario's name
    std::string file;
    std::string out_dir;
    int code = kExitBadInput;  // 0 held, 1 an expectation failed, 2 set-up error
    std::string error;         // set-up failure, one line
    std::string report;        // the human report
    std::vector<Verdict> verdicts;
    std::vector<double> time_to_connect_ms;  // of every connected peer
    double setup_ms = 0, teardown_ms = 0, run_ms = 0, wall_ms = 0;
    nlohmann::json result;  // result.json, when written
};

nlohmann::json to_json(const RunOutcome& outcome);
RunOutcome outcome_from_json(const nlohmann::json& j);

}  // namespace natlab::harness
