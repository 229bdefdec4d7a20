// The lab init's work: build, capture, run, stop. See lab.h.
#include "lab.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "capture.h"
#include "isolation.h"
#include "netlink.h"
#include "netns.h"
#include "process.h"
#include "setup_error.h"

namespace natlab::harness {

const ProcessFacts* LabFacts::find(const std::string& node) const {
    auto it = std::find_if(processes.begin(), processes.end(), [&](auto& p) { return p.node == node; });
    return it == processes.end() ? nullptr : &*it;
}

namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

constexpr auto kNatReadyTimeout = std::chrono::seconds(5);
constexpr auto kStopGrace = std::chrono::milliseconds(1500);

// Forwarding is set explicitly either way: a new namespace may inherit the
// machine's setting.
void set_forwarding(const char* on) {
    write_sysctl("net/ipv4/ip_forward", on);
    write_sysctl("net/ipv4/conf/all/forwarding", on);
    write_sysctl("net/ipv4/conf/default/forwarding", on);
}

void quiet_kernel(const NodePlan* node) {
    write_sysctl("net/ipv6/conf/all/disable_ipv6", "1");
    write_sysctl("net/ipv6/conf/default/disable_ipv6", "1");
    write_sysctl("net/ipv4/igmp_link_local_mcast_reports", "0");
    if (!node || !node->is_nat) return;
    // An emulated NAT's behaviour comes from nat-emu alone: the kernel must
    // not forward. A type linux NAT is the kernel's: it forwards, in this
    // namespace only, under the ruleset loaded before anything starts.
    set_forwarding(node->kernel_nat ? "1" : "0");
}

// br_netfilter, where loaded, would show bridged frames to the switch
// namespace's netfilter (and drop malformed IPv4 before a NAT sees it).
void plain_bridges() {
    for (const char* family : {"iptables", "ip6tables", "arptables"}) {
        try {
            write_sysctl(std::string("net/bridge/bridge-nf-call-") + family, "0");
        } catch (const SetupError&) {
            // no br_netfilter: nothing to switch off
        }
    }
}

// The lab gets its own empty /run (its mount namespace is private), so
// what its programs leave there stays in the run: turnserver, run as root,
// writes /var/run/turnserver.pid. Skipped when the output directory itself
// lives under /run, which the new mount would hide.
void private_run(const std::string& out_dir) {
    if (out_dir.rfind("/run/", 0) == 0 || out_dir.rfind("/var/run/", 0) == 0) return;
    if (::mount("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") != 0)
        throw_errno("mount a private /run in the lab");
}

std::string last_line(const std::string& path) {
    std::ifstream in(path);
    std::string line, last;
    while (std::getline(in, line))
        if (!line.empty()) last = line;
    return last;
}

class Lab {
public:
    Lab(const Topology& topo, const LabOptions& opts) : topo_(topo), opts_(opts), switch_ns_(NetNs::current()) {
        t0_ = Clock::now();
        sigemptyset(&signals_);
        for (int sig : {SIGCHLD, SIGINT, SIGTERM, SIGHUP}) sigaddset(&signals_, sig);
        ::sigprocmask(SIG_BLOCK, &signals_, nullptr);
        for (auto& node : topo_.nodes) {
            ProcessFacts p;
            p.node = node.name;
            p.is_nat = node.is_nat;
            facts_.processes.push_back(p);
        }
    }

    void build();
    void start_capture();
    void start_nats();
    void run_hosts();
    void stop_all();
    LabFacts& facts() { return facts_; }
    double elapsed_ms() const {
        return std::chrono::duration<double, std::milli>(Clock::now() - t0_).count();
    }

private:
    void build_node(const NodePlan& node);
    void configure_node(const NodePlan& node);
    const Segment& segment(const std::string& name) const;
    pid_t start(std::size_t index, int pass_fd, std::vector<std::string> extra_args);
    void wait_ready(const NodePlan& nat, int fd);
    void start_emulator(std::size_t index);
    void load_ruleset(const NodePlan& nat);
    bool waiting_for_hosts() const;
    bool wait_signal(std::chrono::milliseconds timeout);
    void reap();
    void signal_running(bool nats, int sig);
    void wait_until_gone(bool nats, Clock::time_point deadline);
    std::string path(const std::string& file) const { return opts_.out_dir + "/" + file; }

    const Topology& topo_;
    const LabOptions& opts_;
    NetNs switch_ns_;
    std::map<std::string, NetNs> ns_;
    Capture capture_;
    std::map<pid_t, std::size_t> running_;  // pid -> index in facts_.processes
    Clock::time_point t0_;
    sigset_t signals_;
    LabFacts facts_;
};

const Segment& Lab::segment(const std::string& name) const {
    for (auto& seg : topo_.segments)
        if (seg.name == name) return seg;
    throw SetupError("no segment " + name);  // the planner guarantees it exists
}

void Lab::build_node(const NodePlan& node) {
    auto ns = NetNs::create();
    EnterNetNs inside(ns);
    quiet_kernel(&node);
    Netlink(). set_up("lo");
    ns_.emplace(node.name, std::move(ns));
}

void Lab::configure_node(const NodePlan& node) {
    EnterNetNs inside(ns_.at(node.name));
    Netlink nl;
    for (auto* link : topo_.links_of(node.name)) {
        nl.set_up(link->node_ifname);
        for (auto& address : link->addresses) nl.add_address(link->node_ifname, address);
    }
    if (node.gateway) nl.add_default_route(*node.gateway, node.route_ifname);
}

void Lab::build() {
    quiet_kernel(nullptr);
    plain_bridges();
    Netlink sw;
    sw.set_up("lo");
    for (auto& node : topo_.nodes) build_node(node);
    for (auto& seg : topo_.segments) sw.add_bridge(seg.bridge);
    for (auto& link : topo_.links)
        sw.add_veth(link.switch_ifname, segment(link.segment).bridge, link.node_ifname, ns_.at(link.node).fd());
    for (auto& node : topo_.nodes) configure_node(node);
}

void Lab::start_capture() {
    for (auto& link : topo_.links) capture_.add(link.switch_ifname, path(link.capture_file));
    capture_.start();
}

pid_t Lab::start(std::size_t index, int pass_fd, std::vector<std::string> extra_args) {
    auto& node = topo_.nodes[index];
    SpawnSpec spec{node.name, node.argv, ns_.at(node.name).fd(), path(node.name + ".log"), pass_fd};
    spec.argv.insert(spec.argv.end(), extra_args.begin(), extra_args.end());
    pid_t pid = spawn(spec);
    running_[pid] = index;
    auto& p = facts_.processes[index];
    p.started = true;
    p.started_ms = elapsed_ms();
    return pid;
}

void Lab::wait_ready(const NodePlan& nat, int fd) {
    pollfd pfd{fd, POLLIN, 0};
    char buf[16] = {};
    int timeout = std::chrono::duration_cast<std::chrono::milliseconds>(kNatReadyTimeout).count();
    bool ready = ::poll(&pfd, 1, timeout) == 1 && ::read(fd, buf, sizeof buf - 1) > 0 &&
                 std::string(buf).rfind("ready", 0) == 0;
    ::close(fd);
    if (!ready)
        throw SetupError("NAT '" + nat.name + "': emulator did not start: " +
                         last_line(path(nat.name + ".log")));
}

void Lab::start_emulator(std::size_t index) {
    auto& node = topo_.nodes[index];
    int ready[2];
    if (::pipe2(ready, O_CLOEXEC) != 0) throw_errno("pipe");
    try {
        start(index, ready[1], {"--events", path(node.name + ".events.jsonl"), "--ready-fd", "3"});
    } catch (...) {
        ::close(ready[0]);
        ::close(ready[1]);
        throw;
    }
    ::close(ready[1]);
    wait_ready(node, ready[0]);
}

// A type linux NAT: its ruleset goes to <nat>.nft in the output directory
// (for the reader) and `nft -f` loads it in the NAT's namespace; the NAT is
// up when nft has exited 0.
void Lab::load_ruleset(const NodePlan& nat) {
    auto file = path(nat.name + ".nft");
    std::ofstream(file) << nat.ruleset;
    SpawnSpec spec{nat.name, nat.setup_argv, ns_.at(nat.name).fd(), path(nat.name + ".log"), -1};
    spec.argv.push_back(file);
    pid_t pid = spawn(spec);
    int status = 0;
    for (auto deadline = Clock::now() + kNatReadyTimeout; ::waitpid(pid, &status, WNOHANG) == 0;) {
        if (Clock::now() > deadline) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, &status, 0);
            throw SetupError("NAT '" + nat.name + "': nft did not finish loading " + file);
        }
        ::usleep(5000);
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        throw SetupError("NAT '" + nat.name + "': nft -f " + file + " failed: " + last_line(path(nat.name + ".log")));
}

// Outer NATs come first in the plan, so each NAT starts after the ones its
// outside link depends on.
void Lab::start_nats() {
    for (std::size_t i = 0; i < topo_.nodes.size(); ++i) {
        auto& node = topo_.nodes[i];
        if (node.kernel_nat) load_ruleset(node);
        else if (node.is_nat) start_emulator(i);
    }
}

bool Lab::waiting_for_hosts() const {
    for (std::size_t i = 0; i < topo_.nodes.size(); ++i) {
        auto& node = topo_.nodes[i];
        auto& p = facts_.processes[i];
        if (node.waited && (!p.started || (!p.exit_code && !p.signal))) return true;
    }
    return false;
}

// Sleeps until a child changes state, nat-lab is asked to stop (returns
// false), or the timeout passes.
bool Lab::wait_signal(std::chrono::milliseconds timeout) {
    timespec ts{static_cast<time_t>(timeout.count() / 1000), static_cast<long>(timeout.count() % 1000) * 1'000'000};
    int sig = ::sigtimedwait(&signals_, nullptr, &ts);
    return sig != SIGINT && sig != SIGTERM && sig != SIGHUP;
}

void Lab::reap() {
    int status = 0;
    for (pid_t pid; (pid = ::waitpid(-1, &status, WNOHANG)) > 0;) {
        auto it = running_.find(pid);
        if (it == running_.end()) continue;  // an orphan adopted by the lab init
        auto& p = facts_.processes[it->second];
        p.ended_ms = elapsed_ms();
        if (WIFEXITED(status)) p.exit_code = WEXITSTATUS(status);
        if (WIFSIGNALED(status)) p.signal = WTERMSIG(status);
        running_.erase(it);
    }
}

void Lab::run_hosts() {
    std::vector<std::size_t> pending;
    for (std::size_t i = 0; i < topo_.nodes.size(); ++i)
        if (!topo_.nodes[i].is_nat && !topo_.nodes[i].argv.empty()) pending.push_back(i);
    auto start_ms = elapsed_ms();
    for (;;) {
        auto now = elapsed_ms() - start_ms;
        std::erase_if(pending, [&](std::size_t i) {
            if (now < topo_.nodes[i].delay.count()) return false;
            start(i, -1, {});
            return true;
        });
        reap();
        if (!waiting_for_hosts()) break;
        if (now >= opts_.timeout.count()) {
            facts_.timed_out = true;
            break;
        }
        if (!wait_signal(std::chrono::milliseconds(10))) {
            facts_.interrupted = true;
            break;
        }
    }
}

void Lab::signal_running(bool nats, int sig) {
    for (auto& [pid, index] : running_) {
        if (facts_.processes[index].is_nat != nats) continue;
        facts_.processes[index].stopped_by_lab = true;
        ::kill(-pid, sig);  // its process group: the program and its children
        ::kill(pid, sig);
    }
}

void Lab::wait_until_gone(bool nats, Clock::time_point deadline) {
    auto any = [&] {
        return std::any_of(running_.begin(), running_.end(),
                           [&](auto& r) { return facts_.processes[r.second].is_nat == nats; });
    };
    while (any() && Clock::now() < deadline) {
        reap();
        if (any()) wait_signal(std::chrono::milliseconds(10));
    }
}

// Hosts first, so the NATs see their last packets; then the NATs, which
// write their counters on SIGTERM; then anything left, by SIGKILL.
void Lab::stop_all() {
    for (bool nats : {false, true}) {
        signal_running(nats, SIGTERM);
        wait_until_gone(nats, Clock::now() + kStopGrace);
    }
    ::kill(-1, SIGKILL);  // as PID 1: every other process of the lab
    while (::waitpid(-1, nullptr, 0) > 0) {}
    for (auto& [pid, index] : running_) facts_.processes[index].signal = SIGKILL;
    running_.clear();
    capture_.stop();
    facts_.captured_packets = capture_.packets();
}

json to_json(const LabFacts& f) {
    json processes = json::array();
    for (auto& p : f.processes) {
        json j = {{"node", p.node}, {"is_nat", p.is_nat}, {"started", p.started},
                  {"stopped_by_lab", p.stopped_by_lab}, {"started_ms", p.started_ms}, {"ended_ms", p.ended_ms}};
        j["exit_code"] = p.exit_code ? json(*p.exit_code) : json(nullptr);
        j["signal"] = p.signal ? json(*p.signal) : json(nullptr);
        processes.push_back(j);
    }
    return {{"error", f.error}, {"timed_out", f.timed_out}, {"interrupted", f.interrupted},
            {"setup_ms", f.setup_ms}, {"run_ms", f.run_ms}, {"captured_packets", f.captured_packets},
            {"processes", processes}};
}

template <typename T>
std::optional<T> optional_of(const json& j) {
    if (j.is_null()) return std::nullopt;
    return j.get<T>();
}

LabFacts from_json(const json& j) {
    LabFacts f;
    f.error = j.at("error");
    f.timed_out = j.at("timed_out");
    f.interrupted = j.at("interrupted");
    f.setup_ms = j.at("setup_ms");
    f.run_ms = j.at("run_ms");
    f.captured_packets = j.at("captured_packets");
    for (auto& p : j.at("processes"))
        f.processes.push_back({p.at("node"), p.at("is_nat"), p.at("started"), optional_of<int>(p.at("exit_code")),
                               optional_of<int>(p.at("signal")), p.at("stopped_by_lab"), p.at("started_ms"),
                               p.at("ended_ms")});
    return f;
}

void write_all(int fd, const std::string& text) {
    for (std::size_t done = 0; done < text.size();) {
        auto n = ::write(fd, text.data() + done, text.size() - done);
        if (n <= 0 && errno != EINTR) return;
        if (n > 0) done += n;
    }
}

std::string read_all(int fd) {
    std::string text;
    char buf[4096];
    for (;;) {
        auto n = ::read(fd, buf, sizeof buf);
        if (n > 0) text.append(buf, n);
        else if (n == 0 || errno != EINTR) return text;
    }
}

// The lab init's whole life; what it learned goes out through `out_fd`.
int lab_main(const Topology& topo, const LabOptions& opts, int out_fd) {
    Lab lab(topo, opts);
    try {
        private_run(opts.out_dir);
        lab.build();
        lab.start_capture();
        lab.start_nats();
        lab.facts().setup_ms = lab.elapsed_ms();
        lab.run_hosts();
        lab.facts().run_ms = lab.elapsed_ms() - lab.facts().setup_ms;
    } catch (const std::exception& e) {
        lab.facts().error = e.what();
    }
    lab.stop_all();
    write_all(out_fd, to_json(lab.facts()).dump());
    return 0;
}

}  // namespace

LabFacts run_lab(const Topology& topology, const LabOptions& options) {
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0) throw_errno("pipe");
    pid_t pid = start_lab_init([&] {
        ::close(pipe_fds[0]);
        return lab_main(topology, options, pipe_fds[1]);
    });
    ::close(pipe_fds[1]);
    auto text = read_all(pipe_fds[0]);
    ::close(pipe_fds[0]);
    int rc = wait_lab_init(pid);
    if (text.empty()) {
        LabFacts facts;
        facts.error = "the lab ended unexpectedly (status " + std::to_string(rc) + ")";
        return facts;
    }
    return from_json(json::parse(text));
}

}  // namespace natlab::harness
