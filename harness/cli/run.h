// Runs: one scenario into one directory, and many of them side by side.
//
// Theory of operation: a RunJob is a planned scenario (already loaded,
// validated, its programs resolved) plus the directory it writes to and the
// label it is shown under ("two_nats", "nat_types/pr-sym", "lossy#3").
// run_jobs() runs every job in its own worker process, at most `jobs` at a
// time: the lab forks and clones its init from a single-threaded process,
// so workers are processes, not threads. A worker dies with nat-lab
// (PR_SET_PDEATHSIG), and its lab with it, so `kill -9` of nat-lab still
// leaves nothing behind. A terminal's Ctrl-C reaches every worker (same
// process group); each tears its lab down in order and still reports.
//
// A worker writes its outcome as one JSON document into an anonymous
// memory file the parent reads after reaping it: nothing on disk, no pipe
// to drain while waiting.
//
// Output directories: prepare_out_dir() makes (or empties) a directory only
// when it is new or was made by nat-lab, and locks it (flock) for the run,
// so a second nat-lab pointed at the same directory refuses to start
// instead of overwriting the first one's captures.
#pragma once

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness/judge/expectations.h"
#include "harness/lab/lab.h"
#include "harness/plan/scenario.h"
#include "harness/plan/topology.h"
#include "harness/report/outcome.h"

namespace natlab::harness {

// A run's verdicts as a matrix cell judges them: from the scenario's own
// (one per expectation, then the timeline's) and the peers' result lines,
// the verdicts the run ends with, and a note for result.json (`matrix`).
struct Judged {
    std::vector<Verdict> verdicts;
    nlohmann::json note;  // null: none
};
using ExtraJudge =
    std::function<Judged(const std::vector<Verdict>&, const std::map<std::string, PeerResult>&)>;

struct RunJob {
    std::string label;  // how the run is named in reports and --filter
    Scenario scenario;
    Topology topology;    // planned, programs resolved
    std::string out_dir;  // absolute, made and marked by prepare_run_dir()
    ExtraJudge extra;     // may be empty: the scenario's verdicts stand
};

struct RunSettings {
    std::string bin_dir;
    bool keep = false;  // hold a failed lab up until Ctrl-C
};

// What a run came to, as the parent sees it.

// Runs one job in this process (the worker's body).
RunOutcome run_job(const RunJob& job, const RunSettings& settings);

// Runs every job, at most `jobs` at once; calls `on_done` as each finishes
// (in completion order) and `on_start` as each starts. Results in job order.
struct RunCallbacks {
    std::function<void(const RunJob&)> on_start;
    std::function<void(const RunOutcome&)> on_done;
};
std::vector<RunOutcome> run_jobs(const std::vector<RunJob>& jobs, int parallel, const RunSettings& settings,
                                 const RunCallbacks& callbacks = {});

// Makes `requested` an empty directory for a run and locks it until exit.
// Throws SetupError when it holds files nat-lab did not make, or another
// nat-lab holds it.
std::string prepare_out_dir(const std::string& requested);

// A run's own directory under a prepared one (made and marked, not locked).
std::string make_run_dir(const std::string& parent, const std::string& label);

// Every program of the plan resolved to a path, or a ScenarioError.
void resolve_programs(const Scenario& scenario, Topology& topology, const std::string& bin_dir);

// --filter: a glob when it holds * ? or [, otherwise a substring.
bool label_matches(const std::string& label, const std::string& pattern);

// p50/p90/max over samples (nearest rank); zeros when empty.
struct Distribution {
    std::size_t count = 0;
    double p50 = 0, p90 = 0, max = 0;
};
Distribution distribution(std::vector<double> samples);

}  // namespace natlab::harness
