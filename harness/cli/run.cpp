#include "harness/cli/run.h"

#include <fcntl.h>
#include <fnmatch.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "harness/lab/process.h"
#include "harness/plan/wire_keys.h"
#include "harness/report/report.h"
#include "src/net/setup_error.h"

namespace natlab::harness {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

const char* kMarker = ".nat-lab-run";

double ms_since(Clock::time_point start) {
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// The scenario's expectations, as the job judges them (a matrix cell: its
// class's, then its outcome).
Judged judge_all(const RunJob& job, const LabFacts& facts, const Evidence& evidence) {
    auto verdicts = judge(job.scenario, facts, evidence);
    if (!job.extra) return {verdicts, nullptr};
    return job.extra(verdicts, evidence.peers);
}

// result.json as the report renders it, with the job's note.
std::string result_json(const RunRecord& record, const nlohmann::json& note) {
    auto text = render_result_json(record);
    if (note.is_null()) return text;
    auto j = json::parse(text);
    j["matrix"] = note;
    return j.dump(2) + "\n";
}

// The run's evidence; its captures too when an expectation is judged from them.
Evidence evidence_of(const RunJob& job) {
    auto evidence = collect_evidence(job.topology, job.out_dir);
    if (judged_from_wire(job.scenario)) evidence.wire = read_wire_evidence(job.topology, job.out_dir);
    return evidence;
}

// --keep: the lab stays up when the run, judged as it will be, failed.
LabOptions lab_options(const RunJob& job, const RunSettings& settings) {
    LabOptions options;
    options.out_dir = job.out_dir;
    options.bin_dir = settings.bin_dir;
    options.timeout = job.scenario.timeout;
    if (!settings.keep) return options;
    options.hold_if = [&job](const LabFacts& facts) {
        return !facts.error.empty() || !all_held(judge_all(job, facts, evidence_of(job)).verdicts);
    };
    return options;
}

// Fills the outcome from a finished lab: judge, report, result.json, report.html.
void judge_run(const RunJob& job, const LabFacts& facts, RunOutcome& out) {
    auto evidence = evidence_of(job);
    auto [verdicts, note] = judge_all(job, facts, evidence);
    auto& peers = evidence.peers;
    RunRecord record{job.scenario, job.topology, facts, peers, verdicts, job.out_dir, evidence.counters};
    record.label = job.label;
    auto result = result_json(record, note);
    std::ofstream(job.out_dir + "/result.json") << result;
    std::ofstream(job.out_dir + "/report.html") << render_report_html(record);
    out.report = render_report(record);
    out.result = json::parse(result, nullptr, false);
    out.verdicts = verdicts;
    for (auto& [name, r] : peers)
        if (r.connected) out.time_to_connect_ms.push_back(r.time_to_connect_ms);
    out.setup_ms = facts.setup_ms;
    out.run_ms = facts.run_ms;
    out.teardown_ms = facts.teardown_ms;
    out.code = facts.interrupted || !all_held(verdicts) ? kExitFailed : kExitHeld;
}

// ---- worker processes -----------------------------------------------------

struct Worker {
    pid_t pid = -1;
    int memfd = -1;
    std::size_t index = 0;
    Clock::time_point started;
};

volatile sig_atomic_t g_interrupted = 0;
void note_interrupt(int) {
    g_interrupted = 1;
}

[[noreturn]] void worker_main(const RunJob& job, const RunSettings& settings, int memfd) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    // Until the lab takes them over, Ctrl-C and SIGTERM end the worker at once.
    ::signal(SIGINT, SIG_DFL);
    ::signal(SIGTERM, SIG_DFL);
    RunOutcome outcome;
    try {
        outcome = run_job(job, settings);
    } catch (const std::exception& e) {
        outcome.label = job.label;
        outcome.error = e.what();
    }
    auto text = to_json(outcome).dump();
    for (std::size_t done = 0; done < text.size();) {
        auto n = ::write(memfd, text.data() + done, text.size() - done);
        if (n <= 0) break;
        done += n;
    }
    std::fflush(nullptr);
    ::_exit(0);
}

Worker start_worker(const RunJob& job, std::size_t index, const RunSettings& settings) {
    int memfd = ::memfd_create("nat-lab-outcome", MFD_CLOEXEC);
    if (memfd < 0) throw_errno("memfd_create");
    std::fflush(nullptr);
    pid_t pid = ::fork();
    if (pid < 0) throw_errno("fork a run");
    if (pid == 0) worker_main(job, settings, memfd);
    return {pid, memfd, index, Clock::now()};
}

RunOutcome finish_worker(const Worker& w, const RunJob& job, int status) {
    std::string text;
    char buf[8192];
    for (off_t at = 0;;) {
        auto n = ::pread(w.memfd, buf, sizeof buf, at);
        if (n <= 0) break;
        text.append(buf, n);
        at += n;
    }
    ::close(w.memfd);
    auto j = json::parse(text, nullptr, false);
    RunOutcome out;
    if (j.is_object())
        out = outcome_from_json(j);
    else
        out.error = "the run's worker died (status " + std::to_string(status) + ") before reporting";
    out.label = job.label;
    out.scenario = job.scenario.name;
    out.file = job.scenario.file;
    out.out_dir = job.out_dir;
    out.wall_ms = ms_since(w.started);
    return out;
}

// SIGINT and SIGTERM only noted (g_interrupted) while workers run; the
// previous handlers are back when the guard goes.
class InterruptGuard {
public:
    InterruptGuard() {
        struct sigaction sa = {};
        sa.sa_handler = note_interrupt;
        ::sigaction(SIGINT, &sa, &old_int_);
        ::sigaction(SIGTERM, &sa, &old_term_);
        g_interrupted = 0;
    }
    ~InterruptGuard() {
        ::sigaction(SIGINT, &old_int_, nullptr);
        ::sigaction(SIGTERM, &old_term_, nullptr);
    }
    InterruptGuard(const InterruptGuard&) = delete;
    InterruptGuard& operator=(const InterruptGuard&) = delete;

private:
    struct sigaction old_int_ = {}, old_term_ = {};
};

// The jobs of one run_jobs() call: those running, the next to start, the
// outcomes so far (in job order).
struct Pool {
    const std::vector<RunJob>& jobs;
    const RunSettings& settings;
    const RunCallbacks& callbacks;
    std::size_t limit;  // workers at once
    std::vector<RunOutcome> outcomes;
    std::vector<Worker> running{};
    std::size_t next = 0;
};

// Starts workers until `limit` run; none once interrupted.
void start_more(Pool& pool) {
    while (!g_interrupted && pool.next < pool.jobs.size() && pool.running.size() < pool.limit) {
        if (pool.callbacks.on_start) pool.callbacks.on_start(pool.jobs[pool.next]);
        pool.running.push_back(start_worker(pool.jobs[pool.next], pool.next, pool.settings));
        ++pool.next;
    }
}

void record(Pool& pool, std::vector<Worker>::iterator worker, int status) {
    auto& outcome = pool.outcomes[worker->index];
    outcome = finish_worker(*worker, pool.jobs[worker->index], status);
    if (pool.callbacks.on_done) pool.callbacks.on_done(outcome);
    pool.running.erase(worker);
}

// Waits for one child; records it when it is a worker. False when there is
// no child left to wait for.
bool reap_one(Pool& pool) {
    int status = 0;
    pid_t pid = ::waitpid(-1, &status, 0);
    if (pid < 0) {
        if (errno != EINTR) return false;
        for (auto& w : pool.running) ::kill(w.pid, SIGTERM);  // SIGTERM from outside: pass it on
        return true;
    }
    auto it = std::find_if(pool.running.begin(), pool.running.end(), [&](auto& w) { return w.pid == pid; });
    if (it != pool.running.end()) record(pool, it, status);
    return true;
}

// Jobs an interrupt kept from starting.
void mark_not_run(Pool& pool) {
    for (std::size_t i = pool.next; i < pool.jobs.size(); ++i) {
        auto& outcome = pool.outcomes[i];
        outcome.label = pool.jobs[i].label;
        outcome.scenario = pool.jobs[i].scenario.name;
        outcome.file = pool.jobs[i].scenario.file;
        outcome.error = "not run: interrupted";
    }
}

}  // namespace

RunOutcome run_job(const RunJob& job, const RunSettings& settings) {
    RunOutcome out;
    out.label = job.label;
    out.scenario = job.scenario.name;
    out.file = job.scenario.file;
    out.out_dir = job.out_dir;
    auto start = Clock::now();
    auto facts = run_lab(job.topology, lab_options(job, settings));
    if (!facts.error.empty()) {
        out.error = job.scenario.file + ": set-up failed: " + facts.error;
        out.code = kExitBadInput;
    } else {
        judge_run(job, facts, out);
    }
    out.wall_ms = ms_since(start);
    return out;
}

std::vector<RunOutcome> run_jobs(const std::vector<RunJob>& jobs, int parallel, const RunSettings& settings,
                                 const RunCallbacks& callbacks) {
    InterruptGuard guard;
    Pool pool{jobs, settings, callbacks, static_cast<std::size_t>(std::max(1, parallel)),
              std::vector<RunOutcome>(jobs.size())};
    while (pool.next < jobs.size() || !pool.running.empty()) {
        start_more(pool);
        if (g_interrupted && pool.running.empty()) break;
        if (!reap_one(pool)) break;
    }
    mark_not_run(pool);
    return std::move(pool.outcomes);
}

// ---- directories, programs, filters ----------------------------------------

std::string prepare_out_dir(const std::string& requested) {
    fs::path dir = fs::absolute(requested).lexically_normal();
    if (dir.has_filename() == false) dir = dir.parent_path();
    bool existed = fs::exists(dir);
    if (existed && !fs::is_directory(dir))
        throw SetupError("output directory " + dir.string() + " is a file");
    if (existed && !fs::is_empty(dir) && !fs::exists(dir / kMarker))
        throw SetupError("output directory " + dir.string() + " is not empty and was not made by nat-lab");
    fs::create_directories(dir);
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);  // held until exit: the lock
    if (fd < 0) throw_errno("open " + dir.string());
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0)
        throw SetupError("output directory " + dir.string() + " is in use by another nat-lab run");
    for (auto& entry : fs::directory_iterator(dir)) fs::remove_all(entry.path());
    std::ofstream(dir / kMarker) << "made by nat-lab run\n";
    return dir.string();
}

std::string make_run_dir(const std::string& parent, const std::string& label) {
    fs::path dir = fs::path(parent) / label;
    fs::create_directories(dir);
    std::ofstream(dir / kMarker) << "made by nat-lab run\n";
    return dir.string();
}

// Set-up commands run before the lab: a missing program is bad input too.
static void resolve_setup(Topology& topo, const std::string& bin_dir) {
    for (auto& step : topo.setup) {
        auto path = resolve_program(step.argv[0], bin_dir);
        if (path.empty())
            throw ScenarioError(step.where, "set-up command: no program '" + step.argv[0] + "' on PATH");
        step.argv[0] = path;
    }
}

void resolve_programs(const Scenario& scenario, Topology& topo, const std::string& bin_dir) {
    resolve_setup(topo, bin_dir);
    for (auto& node : topo.nodes) {
        if (!node.setup_argv.empty()) {
            auto path = resolve_program(node.setup_argv[0], bin_dir);
            if (path.empty())
                throw ScenarioError(scenario.find_nat(node.name)->type_where,
                                    "NAT '" + node.name + "' of type linux needs '" + node.setup_argv[0] +
                                        "' (package nftables) on PATH");
            node.setup_argv[0] = path;
        }
        for (auto& program : node.programs) {
            auto found = resolve_program(program.argv[0], bin_dir);
            if (found.empty())
                throw ScenarioError(program.run_where, "program '" + program.name + "': no program '" +
                                                           program.argv[0] + "' on PATH");
            program.argv[0] = found;
        }
        if (node.argv.empty()) continue;
        auto path = resolve_program(node.argv[0], bin_dir);
        if (path.empty() && node.is_nat)
            throw SetupError("cannot find the NAT emulator 'nat-emu' in " + bin_dir + " or on PATH");
        if (path.empty())
            throw ScenarioError(scenario.find_host(node.name)->run_where,
                                "host '" + node.name + "': no program '" + node.argv[0] + "' on PATH");
        node.argv[0] = path;
    }
    if (topo.dns) {
        auto path = resolve_program(topo.dns->program, bin_dir);
        if (path.empty())
            throw ScenarioError(scenario.dns->where, "dns: the lab's DNS server needs '" + topo.dns->program +
                                                         "' (package unbound) on PATH");
        topo.dns->program = path;
    }
    // A reboot's or change's new emulator command line: the same program.
    for (auto& step : topo.timeline)
        if (!step.argv.empty()) step.argv[0] = topo.find_node(step.node)->argv[0];
}

bool label_matches(const std::string& label, const std::string& pattern) {
    if (pattern.find_first_of("*?[") != std::string::npos)
        return ::fnmatch(pattern.c_str(), label.c_str(), 0) == 0;
    return label.find(pattern) != std::string::npos;
}

Distribution distribution(std::vector<double> samples) {
    Distribution d;
    d.count = samples.size();
    if (samples.empty()) return d;
    std::sort(samples.begin(), samples.end());
    auto rank = [&](double p) {
        auto i = static_cast<std::size_t>(std::ceil(p * samples.size()));
        return samples[std::clamp<std::size_t>(i, 1, samples.size()) - 1];
    };
    d.p50 = rank(0.5);
    d.p90 = rank(0.9);
    d.max = samples.back();
    return d;
}

}  // namespace natlab::harness
