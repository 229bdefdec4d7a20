// The run's files, /etc/hosts and set-up commands. See preparation.h.
#include "harness/lab/preparation.h"

#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "harness/lab/netlink.h"
#include "harness/lab/netns.h"
#include "harness/lab/process.h"
#include "harness/plan/host_files.h"
#include "src/net/setup_error.h"

namespace natlab::harness {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

void write_file(const fs::path& path, const std::string& content) {
    std::error_code ec;
    fs::create_directories(path.parent_path(), ec);
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << content;
    if (!out) throw SetupError("cannot write " + path.string());
}

void write_host_files(const NodePlan& node, const std::string& run_dir) {
    fs::path dir = host_dir(run_dir, node.name);
    fs::create_directories(dir);
    fs::permissions(dir, fs::perms::owner_all);
    for (auto& file : node.files)
        write_file(dir / file.path, expand_dirs(file.content, dir.string(), setup_dir(run_dir)));
}

// The lab's own /etc/hosts: a bind mount in the lab's mount namespace only.
void bind_hosts_file(const Topology& topo, const std::string& run_dir) {
    auto file = run_dir + "/etc-hosts";
    write_file(file, topo.hosts_file);
    if (::mount(file.c_str(), "/etc/hosts", nullptr, MS_BIND, nullptr) != 0)
        throw_errno("bind " + file + " over the lab's /etc/hosts");
}

// No DNS in the lab: a resolver that asks for what /etc/hosts lacks (an
// IPv6 address of a host, say) asks loopback, where nothing answers, and
// fails at once instead of sending queries out through the lab's NATs.
// Best effort: where /etc/resolv.conf is a link into the machine's /run,
// hidden by the lab's own /run, the resolver's default is loopback too.
// With `dns:` it names the lab's DNS server instead (dns_plan.h).
void bind_resolv_conf(const Topology& topo, const std::string& run_dir) {
    auto file = run_dir + "/etc-resolv.conf";
    write_file(file, !topo.resolv_conf.empty()
                         ? topo.resolv_conf
                         : "# The lab's /etc/resolv.conf (nat-lab): no DNS; names come from /etc/hosts.\n"
                           "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n");
    ::mount(file.c_str(), "/etc/resolv.conf", nullptr, MS_BIND, nullptr);
}

std::string command_text(const std::vector<std::string>& argv) {
    std::string text;
    for (auto& word : argv) text += (text.empty() ? "" : " ") + word;
    return text;
}

bool interrupt_pending() {
    sigset_t pending;
    sigpending(&pending);
    return sigismember(&pending, SIGINT) || sigismember(&pending, SIGTERM) || sigismember(&pending, SIGHUP);
}

// Waits for one set-up command; "" when it exited 0, else why not.
std::string wait_setup(pid_t pid, Clock::time_point deadline) {
    int status = 0;
    while (::waitpid(pid, &status, WNOHANG) == 0) {
        bool late = Clock::now() >= deadline, interrupted = interrupt_pending();
        if (late || interrupted) {
            ::kill(-pid, SIGKILL);
            ::waitpid(pid, &status, 0);
            return late ? "did not finish before the scenario's timeout" : "was interrupted";
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (WIFSIGNALED(status)) return "was " + killed_by_signal(WTERMSIG(status));
    if (WEXITSTATUS(status) != 0) return "exited with status " + std::to_string(WEXITSTATUS(status));
    return "";
}

// A namespace whose only device is loopback, up.
NetNs loopback_only() {
    auto ns = NetNs::create();
    EnterNetNs inside(ns);
    Netlink().set_up("lo");
    return ns;
}

void run_setup_step(const SetupSpec& step, const std::string& run_dir, Clock::time_point deadline) {
    auto log = run_dir + "/setup.log";
    std::ofstream(log, std::ios::app)
        << "# " << step.where.to_string() << ": " << command_text(step.argv) << "\n";
    auto ns = loopback_only();
    SpawnSpec spec{"(set-up)", step.argv, ns.fd(), log, -1, -1, {}, setup_dir(run_dir)};
    for (auto& word : spec.argv) word = expand_dirs(word, "", setup_dir(run_dir));
    spec.env = {{"NATLAB_SETUP_DIR", setup_dir(run_dir)}, {"NATLAB_RUN_DIR", run_dir}};
    auto why = wait_setup(spawn(spec), deadline);
    if (why.empty()) return;
    auto last = last_line(log);
    throw SetupError(step.where.to_string() + ": set-up command '" + command_text(step.argv) + "' " + why +
                     (last.rfind("# ", 0) == 0 ? "" : " (setup.log: " + last + ")"));
}

}  // namespace

void prepare_run(const Topology& topo, const std::string& run_dir, Millis deadline) {
    fs::create_directories(setup_dir(run_dir));
    for (auto& node : topo.nodes)
        if (!node.is_nat) write_host_files(node, run_dir);
    bind_hosts_file(topo, run_dir);
    bind_resolv_conf(topo, run_dir);
    auto until = Clock::now() + deadline;
    for (auto& step : topo.setup) run_setup_step(step, run_dir, until);
}

std::vector<std::pair<std::string, std::string>> run_environment(const NodePlan& node,
                                                                 const std::string& run_dir) {
    std::vector<std::pair<std::string, std::string>> env = {{"NATLAB_SETUP_DIR", setup_dir(run_dir)}};
    if (!node.is_nat) env.emplace_back("NATLAB_HOST_DIR", host_dir(run_dir, node.name));
    return env;
}

}  // namespace natlab::harness
