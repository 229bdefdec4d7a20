// nat-lab: runs YAML scenarios in private labs of network namespaces.
//
//   nat-lab run FILE... [--out DIR] [-j N] [--filter PATTERN] [--json]
//                       [--junit FILE] [--keep] [--repeat N]
//   nat-lab validate FILE...      check scenarios and matrices, build nothing
//   nat-lab matrix [FILE]         the NAT-type grid, outcome against expected
//                  [--cells]      (or only its cells' names, for a CI job matrix)
//   nat-lab merge DIR...          one grid from cells run separately
//   nat-lab review OUTDIR         the ladder of a run's punch, from its captures
//   nat-lab list                  NAT presets and shipped scenarios
//   nat-lab probe --server HOST:PORT [--alternate HOST:PORT] [--max-time D]
//                 [--exhaust N] [--json]
//                                 measure the NAT in front of this machine
//
// Every command plans everything first: a bad file is one FILE:LINE:COL
// line and exit 2 before any lab is built. Runs then go to worker
// processes (run.h), reports come back, and the command sums them up.
// docs/commands.md documents every command and flag.
//
// Exit codes: 0 every expectation held; 1 an expectation failed;
// 2 bad input or a set-up error (one line on stderr says what and where).
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <set>
#include <sstream>
#include <thread>

#include "harness/cli/matrix.h"
#include "harness/cli/merge.h"
#include "harness/cli/run.h"
#include "harness/lab/process.h"
#include "harness/plan/scenario.h"
#include "harness/plan/topology.h"
#include "harness/probe/probe_options.h"
#include "harness/probe/probe_report.h"
#include "harness/report/junit.h"
#include "harness/report/report.h"
#include "harness/report/review.h"
#include "simulator/nat/behaviour.h"
#include "simulator/nat/profile.h"
#include "src/net/setup_error.h"
#include "src/shell/resolve.h"

namespace fs = std::filesystem;
using namespace natlab;
using namespace natlab::harness;
using nlohmann::json;

namespace {

struct RunFlags {
    std::vector<std::string> files;
    std::string out;
    int jobs = 1;
    std::string filter;
    bool json = false;
    std::string junit;
    bool keep = false;
    int repeat = 0;      // 0: as the scenario says
    bool cells = false;  // matrix: list the cells' names, run nothing
};

// ---- planning: files into jobs -----------------------------------------------

RunJob plan_job(std::string label, Scenario scenario, const std::string& bin_dir) {
    auto topo = plan_topology(scenario);
    resolve_programs(scenario, topo, bin_dir);
    return {std::move(label), std::move(scenario), std::move(topo), {}, {}};
}

void add_matrix_jobs(const Matrix& m, std::vector<RunJob>& jobs, const std::string& bin_dir) {
    auto shape = std::make_shared<Matrix>(m);  // the grid's shape, for each cell's note
    shape->cells.clear();
    for (auto& cell : m.cells) {
        auto job = plan_job(m.name + "/" + cell.name, cell.scenario, bin_dir);
        job.extra = [cell, shape](const std::vector<Verdict>& verdicts,
                                  const std::map<std::string, PeerResult>& peers) {
            auto judged = judge_matrix_cell(cell, verdicts, peers);
            return Judged{judged.verdicts, cell_note(*shape, cell, judged.seen)};
        };
        jobs.push_back(std::move(job));
    }
}

void add_scenario_jobs(const std::string& file, int repeat, std::vector<RunJob>& jobs,
                       const std::string& bin_dir) {
    auto scenario = load_scenario(file);
    int n = repeat > 0 ? repeat : std::max(1, scenario.repeat);
    if (n == 1) {
        jobs.push_back(plan_job(scenario.name, scenario, bin_dir));
        return;
    }
    for (int i = 1; i <= n; ++i)
        jobs.push_back(plan_job(scenario.name + "/" + std::to_string(i), scenario, bin_dir));
}

std::vector<RunJob> plan_files(const RunFlags& f, const std::string& bin_dir) {
    std::vector<RunJob> jobs;
    for (auto& file : f.files) {
        if (is_matrix_file(file))
            add_matrix_jobs(load_matrix(file), jobs, bin_dir);
        else
            add_scenario_jobs(file, f.repeat, jobs, bin_dir);
    }
    std::set<std::string> seen;
    for (auto& j : jobs)
        if (!seen.insert(j.label).second)
            throw SetupError("two runs are both named '" + j.label +
                             "' (the same scenario name in two files?)");
    return jobs;
}

std::vector<RunJob> apply_filter(std::vector<RunJob> jobs, const std::string& pattern) {
    if (pattern.empty()) return jobs;
    std::vector<RunJob> kept;
    for (auto& j : jobs)
        if (label_matches(j.label, pattern)) kept.push_back(std::move(j));
    if (kept.empty()) throw SetupError("--filter '" + pattern + "' matches no run");
    return kept;
}

std::string root_of(const std::string& label) {
    return label.substr(0, label.find('/'));
}

// Where each run writes: one run alone goes straight into its directory
// (--out, default out/<name>); the runs of one scenario or matrix go to
// subdirectories of it named after the rest of their label (out/lossy/3,
// out/nat_types/pr-sym); runs of several files under --out go to
// DIR/<label>. Returns the prepared base directories.
std::vector<std::string> assign_dirs(std::vector<RunJob>& jobs, const std::string& out) {
    std::set<std::string> roots;
    for (auto& j : jobs) roots.insert(root_of(j.label));
    auto sub = [](const RunJob& j) { return j.label.substr(root_of(j.label).size() + 1); };
    std::vector<std::string> bases;
    if (!out.empty()) {
        bases.push_back(prepare_out_dir(out));
        for (auto& j : jobs) {
            bool bare = j.label == root_of(j.label);
            if (roots.size() == 1)
                j.out_dir = bare ? bases[0] : make_run_dir(bases[0], sub(j));
            else
                j.out_dir = make_run_dir(bases[0], j.label);
        }
        return bases;
    }
    std::map<std::string, std::string> base_of;
    for (auto& j : jobs) {
        auto root = root_of(j.label);
        if (!base_of.count(root)) bases.push_back(base_of[root] = prepare_out_dir("out/" + root));
        j.out_dir = j.label == root ? base_of[root] : make_run_dir(base_of[root], sub(j));
    }
    return bases;
}

// ---- progress and summaries --------------------------------------------------

class Progress {
public:
    Progress(std::size_t total, bool quiet) : total_(total), tty_(!quiet && ::isatty(STDERR_FILENO)) {}
    void started(const RunJob& j) {
        running_.insert(j.label);
        draw();
    }
    void done(const RunOutcome& o) {
        running_.erase(o.label);
        ++done_;
        (o.code == kExitHeld ? passed_ : failed_)++;
        clear();
    }
    void clear() const {
        if (tty_) std::cerr << "\r\033[K" << std::flush;
    }
    void draw() const {
        if (!tty_) return;
        std::string names;
        for (auto& n : running_) names += (names.empty() ? "" : ", ") + n;
        if (names.size() > 60) names = names.substr(0, 57) + "...";
        std::cerr << "\r\033[K[" << done_ << "/" << total_ << "] " << passed_ << " passed, " << failed_
                  << " failed; running " << names << std::flush;
    }

private:
    std::size_t total_, done_ = 0, passed_ = 0, failed_ = 0;
    bool tty_;
    std::set<std::string> running_;
};

std::string one_line(const RunOutcome& o) {
    char secs[32];
    std::snprintf(secs, sizeof secs, "%.2f s", o.wall_ms / 1000.0);
    if (!o.error.empty()) return "ERROR " + o.label + ": " + o.error;
    std::string line = (o.code == kExitHeld ? "PASS  " : "FAIL  ") + o.label + " (" + secs + ")";
    for (auto& v : o.verdicts)
        if (!v.held) return line + ": " + v.expectation + ": " + v.detail + "; see " + o.out_dir + "/";
    return line;
}

struct RepeatStats {
    std::string scenario;
    int runs = 0, passed = 0;
    std::vector<double> ttc;
};

std::vector<RepeatStats> repeat_stats(const std::vector<RunJob>& jobs,
                                      const std::vector<RunOutcome>& outcomes) {
    std::map<std::string, RepeatStats> by_root;
    std::vector<std::string> order;
    for (std::size_t i = 0; i < jobs.size(); ++i) {
        auto& label = jobs[i].label;
        auto slash = label.find('/');
        if (slash == std::string::npos ||
            label.find_first_not_of("0123456789", slash + 1) != std::string::npos)
            continue;  // not a repetition
        auto root = root_of(label);
        if (!by_root.count(root)) order.push_back(root);
        auto& s = by_root[root];
        s.scenario = root;
        ++s.runs;
        s.passed += outcomes[i].code == kExitHeld;
        s.ttc.insert(s.ttc.end(), outcomes[i].time_to_connect_ms.begin(),
                     outcomes[i].time_to_connect_ms.end());
    }
    std::vector<RepeatStats> out;
    for (auto& r : order) out.push_back(by_root[r]);
    return out;
}

std::string ms(double v) {
    return std::to_string(std::lround(v)) + " ms";
}

std::string repeat_line(const RepeatStats& s) {
    auto d = distribution(s.ttc);
    std::string line = s.scenario + ": " + std::to_string(s.passed) + "/" + std::to_string(s.runs) +
                       " passed (" + std::to_string(s.runs ? 100 * s.passed / s.runs : 0) + "%)";
    if (d.count == 0) return line + "; no peer connected";
    return line + "; time to connect p50 " + ms(d.p50) + ", p90 " + ms(d.p90) + ", max " + ms(d.max) + " (" +
           std::to_string(d.count) + " peers)";
}

json repeat_json(const RepeatStats& s) {
    auto d = distribution(s.ttc);
    return {{"scenario", s.scenario},
            {"runs", s.runs},
            {"passed", s.passed},
            {"success_rate", s.runs ? double(s.passed) / s.runs : 0.0},
            {"time_to_connect_ms", {{"samples", d.count}, {"p50", d.p50}, {"p90", d.p90}, {"max", d.max}}}};
}

int exit_code(const std::vector<RunOutcome>& outcomes) {
    int code = kExitHeld;
    for (auto& o : outcomes) code = std::max(code, o.error.empty() ? o.code : kExitBadInput);
    return code;
}

double seconds_since(std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// Runs the planned jobs and reports them; returns the outcomes.
std::vector<RunOutcome> execute(std::vector<RunJob>& jobs, const RunFlags& f, const std::string& bin_dir) {
    Progress progress(jobs.size(), f.json);
    RunCallbacks callbacks;
    callbacks.on_start = [&](const RunJob& j) { progress.started(j); };
    callbacks.on_done = [&](const RunOutcome& o) {
        progress.done(o);
        if (!f.json && jobs.size() == 1) std::cout << o.report << std::flush;
        if (!f.json && jobs.size() == 1 && !o.error.empty()) std::cerr << "nat-lab: " << o.error << "\n";
        if (!f.json && jobs.size() > 1) std::cout << one_line(o) << "\n" << std::flush;
        progress.draw();
    };
    auto outcomes = run_jobs(jobs, f.jobs, {bin_dir, f.keep}, callbacks);
    progress.clear();
    if (!f.junit.empty()) std::ofstream(f.junit) << render_junit(outcomes);
    return outcomes;
}

void summarize(const std::vector<RunJob>& jobs, const std::vector<RunOutcome>& outcomes, const RunFlags& f,
               double wall_s, const json& extra = {}) {
    auto stats = repeat_stats(jobs, outcomes);
    int passed = 0, errors = 0;
    for (auto& o : outcomes) passed += o.code == kExitHeld, errors += !o.error.empty();
    if (f.json) {
        json runs = json::array(), repeats = json::array();
        for (auto& o : outcomes) runs.push_back(to_json(o));
        for (auto& s : stats) repeats.push_back(repeat_json(s));
        json doc = {{"runs", runs},
                    {"repeats", repeats},
                    {"summary",
                     {{"runs", outcomes.size()},
                      {"passed", passed},
                      {"errors", errors},
                      {"failed", int(outcomes.size()) - passed - errors},
                      {"wall_s", wall_s},
                      {"exit_code", exit_code(outcomes)}}}};
        if (!extra.is_null()) doc["matrix"] = extra;
        std::cout << doc.dump(2) << "\n";
        return;
    }
    for (auto& s : stats) std::cout << repeat_line(s) << "\n";
    if (outcomes.size() <= 1) return;
    char wall[32];
    std::snprintf(wall, sizeof wall, "%.1f s", wall_s);
    std::cout << outcomes.size() << " runs: " << passed << " passed, " << outcomes.size() - passed
              << " did not; wall " << wall << "\n";
}

// ---- commands ----------------------------------------------------------------

int cmd_run(const RunFlags& f) {
    auto t0 = std::chrono::steady_clock::now();
    auto bin_dir = own_bin_dir();
    auto jobs = apply_filter(plan_files(f, bin_dir), f.filter);
    assign_dirs(jobs, f.out);
    auto outcomes = execute(jobs, f, bin_dir);
    summarize(jobs, outcomes, f, seconds_since(t0));
    return exit_code(outcomes);
}

// Everything `run` checks before it builds a lab: the file, the topology,
// and that every program is found.
void check_buildable(const Scenario& scenario, const std::string& bin_dir) {
    auto topo = plan_topology(scenario);
    resolve_programs(scenario, topo, bin_dir);
}

int cmd_validate(const std::vector<std::string>& files) {
    int rc = kExitHeld;
    auto bin_dir = own_bin_dir();
    for (auto& file : files) {
        try {
            if (is_matrix_file(file)) {
                auto m = load_matrix(file);
                for (auto& c : m.cells) check_buildable(c.scenario, bin_dir);
                std::cout << file << ": ok (matrix " << m.name << ", " << m.cells.size() << " cells)\n";
                continue;
            }
            check_buildable(load_scenario(file), bin_dir);
            std::cout << file << ": ok\n";
        } catch (const ScenarioError& e) {
            std::cerr << e.what() << "\n";
            rc = kExitBadInput;
        } catch (const SetupError& e) {
            std::cerr << file << ": " << e.what() << "\n";
            rc = kExitBadInput;
        }
    }
    return rc;
}

// Each cell's outcome, from the note in its result.json.
Observed observed_outcomes(const std::vector<RunOutcome>& outcomes) {
    Observed observed;
    for (auto& o : outcomes)
        if (o.error.empty() && o.result.is_object() && o.result.contains("matrix")) {
            auto& note = o.result["matrix"];
            observed[note.value("cell", "")] = Seen::from_text(note.value("seen", ""));
        }
    return observed;
}

json observed_json(const Observed& observed) {
    json out = json::object();
    for (auto& [cell, seen] : observed) out[cell] = seen.text();
    return out;
}

void print_grid(const Matrix& m, const Observed& observed) {
    std::cout << "\n"
              << render_matrix_text(m, observed)
              << "(each cell: the outcome seen; 'seen != expected' marks a mismatch)\n\n";
}

// --filter on a matrix: a cell's exact name (or its run's) picks that cell
// alone (CI: one job a cell); anything else filters as for run.
std::vector<RunJob> filter_cells(std::vector<RunJob> jobs, const Matrix& m, const std::string& pattern) {
    std::vector<RunJob> exact;
    for (auto& j : jobs)
        if (j.label == pattern || j.label == m.name + "/" + pattern) exact.push_back(j);
    return exact.empty() ? apply_filter(std::move(jobs), pattern) : exact;
}

// --cells: the cells' names, one a line or (--json) one JSON list.
int print_cells(const Matrix& m, bool as_json) {
    json names = json::array();
    for (auto& c : m.cells) names.push_back(c.name);
    if (as_json) std::cout << names.dump() << "\n";
    for (auto& c : m.cells)
        if (!as_json) std::cout << c.name << "\n";
    return kExitHeld;
}

// The matrix's cells as jobs, each in its own directory under `base`.
std::vector<RunJob> matrix_jobs(const Matrix& m, const RunFlags& f, const std::string& bin_dir,
                                std::string& base) {
    std::vector<RunJob> jobs;
    add_matrix_jobs(m, jobs, bin_dir);
    jobs = filter_cells(std::move(jobs), m, f.filter);
    base = prepare_out_dir(f.out.empty() ? "out/" + m.name : f.out);
    for (auto& j : jobs) j.out_dir = make_run_dir(base, j.label.substr(m.name.size() + 1));
    return jobs;
}

int cmd_matrix(RunFlags f) {
    auto t0 = std::chrono::steady_clock::now();
    auto bin_dir = own_bin_dir();
    auto m = f.files.empty() ? classic_matrix() : load_matrix(f.files[0]);
    if (f.cells) return print_cells(m, f.json);
    std::string base;
    auto jobs = matrix_jobs(m, f, bin_dir, base);
    auto outcomes = execute(jobs, f, bin_dir);
    auto observed = observed_outcomes(outcomes);
    std::ofstream(base + "/matrix.html") << render_matrix_html(m, observed);
    if (!f.json) print_grid(m, observed);
    json extra = {{"name", m.name}, {"html", base + "/matrix.html"}, {"observed", observed_json(observed)}};
    summarize(jobs, outcomes, f, seconds_since(t0), f.json ? extra : json());
    if (!f.json) std::cout << "grid: " << base << "/matrix.html\n";
    return exit_code(outcomes);
}

struct MergeFlags {
    std::vector<std::string> dirs;
    std::string out;
    std::string junit;
    bool json = false;
};

int merged_exit(const MergedMatrix& merged) {
    int code = exit_code(merged.outcomes);
    for (auto& c : merged.matrix.cells)
        if (!matches(c.expected, merged.observed.at(c.name))) code = std::max(code, kExitFailed);
    return code;
}

// The grid of cells run elsewhere: matrix.html and junit.xml in --out.
int cmd_merge(const MergeFlags& f) {
    auto out = fs::absolute(f.out.empty() ? "out/merged" : f.out).lexically_normal().string();
    auto merged = merge_cells(f.dirs, out);
    fs::create_directories(out);
    auto& m = merged.matrix;
    std::ofstream(out + "/matrix.html") << render_matrix_html(m, merged.observed);
    auto junit = f.junit.empty() ? out + "/junit.xml" : f.junit;
    std::ofstream(junit) << render_junit(merged.outcomes);
    int code = merged_exit(merged);
    if (f.json)
        std::cout << json{{"name", m.name},
                          {"cells", m.cells.size()},
                          {"html", out + "/matrix.html"},
                          {"junit", junit},
                          {"observed", observed_json(merged.observed)},
                          {"exit_code", code}}
                         .dump(2)
                  << "\n";
    if (!f.json) print_grid(m, merged.observed);
    if (!f.json)
        std::cout << m.cells.size() << " cells merged; grid: " << out << "/matrix.html, JUnit: " << junit
                  << "\n";
    return code;
}

std::string scenarios_dir(const std::string& bin_dir) {
    if (auto* env = std::getenv("NATLAB_SCENARIOS")) return env;
    for (const auto& candidate : {fs::path(bin_dir) / "../../scenarios",
                                  fs::path(bin_dir) / "../share/nat-lab/scenarios", fs::path("scenarios")})
        if (fs::is_directory(candidate)) return fs::canonical(candidate).string();
    return "scenarios";
}

int cmd_list() {
    namespace nat = natlab::nat;
    std::cout << "NAT presets (type: in a scenario or matrix):\n";
    for (auto& name : nat::names_of<nat::NatType>()) {
        auto c = nat::NatConfig::preset(*nat::parse_nat_type(name));
        std::printf("  %-16s mapping %s, filtering %s, ports %s\n", name.c_str(),
                    std::string(nat::to_string(c.mapping)).c_str(),
                    std::string(nat::to_string(c.filtering)).c_str(),
                    std::string(nat::to_string(c.port_allocation)).c_str());
    }
    std::printf("  %-16s the Linux kernel's own nftables masquerade\n", "linux");
    std::cout << "\nNAT profiles (type: too; nat-lab profiles has their values):\n";
    for (auto& name : nat::names_of<nat::NatProfile>())
        std::printf("  %-20s %s\n", name.c_str(),
                    std::string(nat::summary_of(*nat::parse_nat_profile(name))).c_str());
    auto dir = scenarios_dir(own_bin_dir());
    std::cout << "\nShipped scenarios (" << dir << "):\n" << std::flush;
    std::vector<fs::path> files;
    for (auto& e : fs::directory_iterator(dir))
        if (e.path().extension() == ".yaml") files.push_back(e.path());
    std::sort(files.begin(), files.end());
    for (auto& file : files) {
        try {
            auto s = load_scenario(file.string());
            std::printf("  %-24s %s\n", s.name.c_str(), s.description.c_str());
        } catch (const ScenarioError& e) {
            std::printf("  %-24s (invalid: %s)\n", file.stem().c_str(), e.what());
        }
    }
    return kExitHeld;
}

std::string seconds_text(natlab::Millis d) {
    auto ms = d.count();
    return ms % 1000 ? std::to_string(ms) + "ms" : std::to_string(ms / 1000) + "s";
}

// One profile's values, as the scenario keys that would set them.
void print_profile(natlab::nat::NatProfile p) {
    namespace nat = natlab::nat;
    auto c = nat::profile_config(p);
    auto before =
        c.mapping_timeout_before_inbound.count() ? c.mapping_timeout_before_inbound : c.mapping_timeout;
    std::printf("%s: %s\n", std::string(nat::to_string(p)).c_str(), std::string(nat::summary_of(p)).c_str());
    std::printf("  mapping: %s\n  filtering: %s\n  port_allocation: %s\n  port_range: %s\n",
                std::string(nat::to_string(c.mapping)).c_str(),
                std::string(nat::to_string(c.filtering)).c_str(),
                std::string(nat::to_string(c.port_allocation)).c_str(), c.ports.to_string().c_str());
    std::printf("  mapping_timeout_before_inbound: %s\n  mapping_timeout: %s\n  refresh_on_inbound: %s\n",
                seconds_text(before).c_str(), seconds_text(c.mapping_timeout).c_str(),
                c.refresh_on_inbound ? "true" : "false");
    std::printf("  hairpin: %s\n  port_parity: %s\n  port_block_size: %u\n  port_blocks_per_host: %u\n",
                c.hairpin ? "true" : "false", c.port_parity ? "true" : "false", unsigned{c.port_block_size},
                unsigned{c.port_blocks_per_host});
    std::printf("  mappings_per_host: %u\n", unsigned{c.mappings_per_host});
}

int cmd_profiles() {
    namespace nat = natlab::nat;
    std::cout << "NAT profiles: `type: NAME` in a scenario or matrix; keys beside it override these values "
                 "(docs/nat.md cites each one's source).\n";
    for (auto& name : nat::names_of<nat::NatProfile>()) {
        std::cout << "\n";
        print_profile(*nat::parse_nat_profile(name));
    }
    return kExitHeld;
}

// Every failure becomes one line and exit 2.
template <typename F>
int guarded(F body) {
    try {
        return body();
    } catch (const ScenarioError& e) {
        std::cerr << e.what() << "\n";
    } catch (const SetupError& e) {
        std::cerr << "nat-lab: " << e.what() << "\n";
    } catch (const std::exception& e) {
        std::cerr << "nat-lab: " << e.what() << "\n";
    }
    return kExitBadInput;
}

void run_options(CLI::App* cmd, RunFlags& f, bool files_required) {
    auto* files = cmd->add_option(
        "FILE", f.files,
        files_required ? "Scenario or matrix files (YAML)" : "Matrix file (YAML; default: the classic grid)");
    if (files_required)
        files->required();
    else
        files->expected(0, 1);
    cmd->add_option("--out", f.out,
                    "Output directory (default out/<name>); several runs get one subdirectory each");
    cmd->add_option("-j,--jobs", f.jobs, "Labs to run at once (each lab is fully private)")
        ->check(CLI::Range(1, 64))
        ->capture_default_str();
    cmd->add_option("--filter", f.filter,
                    "Only runs whose name matches: a glob if PATTERN has * ? or [, else a substring "
                    "(names: scenario, scenario/N for repeats, matrix/cell)");
    cmd->add_flag("--json", f.json, "Print one JSON document on stdout instead of the human report");
    cmd->add_option("--junit", f.junit, "Write JUnit XML (one testcase per run) to FILE");
}

// ---- probe -----------------------------------------------------------------------

int cmd_probe(const probe::Flags& flags) {
    auto checked = probe::check_flags(
        flags, [](const std::string& text, std::string& error) { return resolve_endpoint(text, error); });
    if (auto* why = std::get_if<std::string>(&checked)) {
        std::cerr << "nat-lab probe: " << *why << "\n";
        return kExitBadInput;
    }
    auto findings = probe::run_probe(std::get<probe::Settings>(checked));
    std::cout << (flags.json ? probe::to_json(findings) : probe::to_yaml(findings)) << std::flush;
    return kExitHeld;
}

// ---- the command line ----------------------------------------------------------

struct Commands {
    RunFlags run, matrix;
    MergeFlags merge;
    std::vector<std::string> files;  // validate
    std::string review_dir;
    bool review_quiet = false;
    probe::Flags probe;
    CLI::App *run_cmd = nullptr, *validate_cmd = nullptr, *matrix_cmd = nullptr, *merge_cmd = nullptr,
             *review_cmd = nullptr, *list_cmd = nullptr, *probe_cmd = nullptr, *profiles_cmd = nullptr;
};

void add_run(CLI::App& app, Commands& c) {
    c.run_cmd = app.add_subcommand(
        "run", "Run scenarios (and matrix files) in private labs and check their expectations");
    run_options(c.run_cmd, c.run, true);
    c.run_cmd->add_flag("--keep", c.run.keep,
                        "Leave a failed lab up, print how to enter each namespace, tear down on Ctrl-C");
    c.run_cmd
        ->add_option("--repeat", c.run.repeat,
                     "Run each scenario N times (overrides `repeat:`); "
                     "reports success rate and time-to-connect p50/p90/max")
        ->check(CLI::Range(1, 10000));
}

void add_validate(CLI::App& app, Commands& c) {
    c.validate_cmd =
        app.add_subcommand("validate", "Check scenarios and matrix files without building anything");
    c.validate_cmd->add_option("FILE", c.files, "Scenario or matrix files (YAML)")->required();
}

void add_matrix(CLI::App& app, Commands& c) {
    // A cell's lab mostly waits (for punches, for deadlines): three per CPU.
    c.matrix.jobs = std::clamp(3 * static_cast<int>(std::thread::hardware_concurrency()), 4, 16);
    c.matrix_cmd = app.add_subcommand(
        "matrix",
        "Run the NAT-type grid (default: 4x4 presets, same NAT, hairpin on/off); exit 0 when every cell "
        "matches its expected outcome");
    run_options(c.matrix_cmd, c.matrix, false);
    c.matrix_cmd->add_flag(
        "--cells", c.matrix.cells,
        "List the cells' names (with --json: one JSON list, for a CI job matrix); run nothing");
}

void add_merge(CLI::App& app, Commands& c) {
    c.merge_cmd = app.add_subcommand(
        "merge",
        "Join the result.json of matrix cells run separately into one grid, matrix.html and JUnit file");
    c.merge_cmd->add_option("DIR", c.merge.dirs, "Directories holding cells' runs (searched for result.json)")
        ->required();
    c.merge_cmd->add_option("--out", c.merge.out, "Where matrix.html and junit.xml go (default out/merged)");
    c.merge_cmd->add_option("--junit", c.merge.junit, "Write the JUnit XML here instead of OUT/junit.xml");
    c.merge_cmd->add_flag("--json", c.merge.json, "Print one JSON document instead of the grid");
}

void add_review(CLI::App& app, Commands& c) {
    c.review_cmd = app.add_subcommand("review",
                                      "The ladder of a run's punch from its captures and NAT event logs; "
                                      "text on stdout, review.html with a sequence diagram");
    c.review_cmd->add_option("OUTDIR", c.review_dir, "A run's output directory")->required();
    c.review_cmd->add_flag("--html-only", c.review_quiet, "Write review.html only, print nothing");
}

void add_probe(CLI::App& app, Commands& c) {
    c.probe_cmd = app.add_subcommand(
        "probe",
        "Measure the NAT in front of this machine against a rendezvous server (RFC 5780); print it as a "
        "scenario NAT");
    auto& f = c.probe;
    c.probe_cmd->add_option("--server", f.server, "The rendezvous server, HOST:PORT (its --listen)");
    c.probe_cmd->add_option("--alternate", f.alternate, "Its alternate address, HOST:PORT (its --alternate)");
    c.probe_cmd->add_option("--max-time", f.max_time, "Time the whole probe may take, 5s..1h")
        ->capture_default_str();
    c.probe_cmd->add_option("--exhaust", f.exhaust,
                            "Also open up to N sockets: how many mappings one host may hold");
    c.probe_cmd->add_flag("--json", f.json, "Print JSON instead of the scenario YAML");
}

void add_commands(CLI::App& app, Commands& c) {
    app.require_subcommand(1);
    app.footer(
        "Exit codes: 0 every expectation held, 1 an expectation failed, 2 bad input or a set-up error.\n"
        "Each command has --help; docs/commands.md documents them all.");
    add_run(app, c);
    add_validate(app, c);
    add_matrix(app, c);
    add_merge(app, c);
    add_review(app, c);
    c.list_cmd = app.add_subcommand("list", "NAT presets, profiles and shipped scenarios");
    c.profiles_cmd =
        app.add_subcommand("profiles", "The profiles of real NATs `type:` takes, with their values");
    add_probe(app, c);
}

int dispatch(const Commands& c) {
    if (*c.run_cmd) return guarded([&] { return cmd_run(c.run); });
    if (*c.validate_cmd) return guarded([&] { return cmd_validate(c.files); });
    if (*c.matrix_cmd) return guarded([&] { return cmd_matrix(c.matrix); });
    if (*c.merge_cmd) return guarded([&] { return cmd_merge(c.merge); });
    if (*c.review_cmd) return guarded([&] { return review_run(c.review_dir, !c.review_quiet); });
    if (*c.list_cmd) return guarded([&] { return cmd_list(); });
    if (*c.probe_cmd) return guarded([&] { return cmd_probe(c.probe); });
    if (*c.profiles_cmd) return guarded([&] { return cmd_profiles(); });
    return kExitBadInput;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"nat-lab: a NAT simulator and test harness for UDP hole punching"};
    Commands commands;
    add_commands(app, commands);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == 0) return app.exit(e);  // --help
        std::cerr << "nat-lab: " << e.what() << "\n";    // one line, as for every other bad input
        return kExitBadInput;
    }
    return dispatch(commands);
}
