// The lab init's work: build, capture, run, stop. See lab.h.
#include "harness/lab/lab.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "harness/lab/bridges.h"
#include "harness/lab/capture.h"
#include "harness/lab/dns_server.h"
#include "harness/lab/isolation.h"
#include "harness/lab/link_stage.h"
#include "harness/lab/netlink.h"
#include "harness/lab/netns.h"
#include "harness/lab/parallel.h"
#include "harness/lab/preparation.h"
#include "harness/lab/probe.h"
#include "harness/lab/process.h"
#include "harness/lab/schedule.h"
#include "harness/plan/host_files.h"
#include "src/net/setup_error.h"

namespace natlab::harness {

const ProcessFacts* LabFacts::find(const std::string& node) const {
    auto it = std::find_if(processes.begin(), processes.end(), [&](auto& p) { return p.node == node; });
    return it == processes.end() ? nullptr : &*it;
}

namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

constexpr auto kNatReadyTimeout = std::chrono::seconds(5);
constexpr auto kDnsReadyTimeout = std::chrono::seconds(5);
constexpr auto kStopGrace = std::chrono::milliseconds(1500);

// NATLAB_TIMING=1: each phase of the lab's set-up on stderr.
void timing(const char* phase, double ms) {
    static const bool on = [] {
        auto* v = std::getenv("NATLAB_TIMING");
        return v && *v && std::string(v) != "0";
    }();
    if (on) std::fprintf(stderr, "nat-lab timing: %-8s %7.1f ms\n", phase, ms);
}

// Forwarding is set explicitly either way: a new namespace may inherit the
// machine's setting.
void set_forwarding(std::string_view on) {
    write_net_sysctls(
        {{"ipv4/ip_forward", on}, {"ipv4/conf/all/forwarding", on}, {"ipv4/conf/default/forwarding", on}});
}

// A node with IPv6 addresses (ipv6_plan.h) speaks IPv6 with static
// addresses only: no router advertisements taken, no duplicate address
// detection to wait for; a type linux NAT forwards it.
void open_ipv6(const NodePlan& node) {
    std::string_view forward = node.kernel_nat ? "1" : "0";
    write_net_sysctls({{"ipv6/conf/all/disable_ipv6", "0"},
                       {"ipv6/conf/default/disable_ipv6", "0"},
                       {"ipv6/conf/all/accept_ra", "0"},
                       {"ipv6/conf/default/accept_ra", "0"},
                       {"ipv6/conf/all/autoconf", "0"},
                       {"ipv6/conf/default/autoconf", "0"},
                       {"ipv6/conf/default/accept_dad", "0"},
                       {"ipv6/conf/default/dad_transmits", "0"},
                       {"ipv6/conf/all/forwarding", forward}});
}

void quiet_kernel(const NodePlan* node) {
    write_net_sysctls({{"ipv6/conf/all/disable_ipv6", "1"},
                       {"ipv6/conf/default/disable_ipv6", "1"},
                       {"ipv4/igmp_link_local_mcast_reports", "0"}});
    if (node && node->ipv6) open_ipv6(*node);
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

// The program's own directory and the set-up directory, in its words and
// its environment (host_files.h).
void add_generated(SpawnSpec& spec, const NodePlan& node, const std::string& run_dir) {
    for (auto& word : spec.argv) word = expand_dirs(word, host_dir(run_dir, node.name), setup_dir(run_dir));
    auto env = run_environment(node, run_dir);
    spec.env.insert(spec.env.begin(), env.begin(), env.end());
}

class Lab {
public:
    Lab(const Topology& topo, const LabOptions& opts)
        : topo_(topo), opts_(opts), switch_ns_(NetNs::current()) {
        t0_ = Clock::now();
        sigemptyset(&signals_);
        for (int sig : {SIGCHLD, SIGINT, SIGTERM, SIGHUP}) sigaddset(&signals_, sig);
        ::sigprocmask(SIG_BLOCK, &signals_, nullptr);
        ::signal(SIGPIPE, SIG_IGN);  // a stage gone while we write it a command: an error, not our death
        for (std::size_t i = 0; i < topo_.nodes.size(); ++i) {
            ProcessFacts p;
            p.node = topo_.nodes[i].name;
            p.is_nat = topo_.nodes[i].is_nat;
            p.is_dns = topo_.dns && topo_.nodes[i].name == topo_.dns->node;
            facts_.processes.push_back(p);
            runnables_.push_back({i, nullptr});
        }
        // The programs of hosts that run several come after every node.
        for (std::size_t i = 0; i < topo_.nodes.size(); ++i)
            for (auto& program : topo_.nodes[i].programs) {
                ProcessFacts p;
                p.node = program.name;
                facts_.processes.push_back(p);
                runnables_.push_back({i, &program});
            }
    }

    void build();
    void start_capture();
    void start_stages();
    void start_nats();
    void start_dns();
    void run_hosts();
    bool should_hold();
    void hold(int out_fd);
    void stop_all();
    LabFacts& facts() { return facts_; }
    double elapsed_ms() const {
        return std::chrono::duration<double, std::milli>(Clock::now() - t0_).count();
    }

private:
    NetNs build_node(const NodePlan& node);
    void configure_node(const NodePlan& node);
    pid_t start(std::size_t index, int pass_fd, std::vector<std::string> extra_args);
    void wait_ready(const NodePlan& nat, int fd);
    int start_emulator(std::size_t index);
    void load_ruleset(const NodePlan& nat);
    void plan_schedule();
    void carry_out(const Action& action);
    bool poll_reach();
    bool probe_holds(std::size_t program);
    std::string log_of(std::size_t index) const;
    void wait_signal(std::chrono::milliseconds timeout);
    void wait_signal_until(Clock::time_point deadline);
    void reap();
    void record_end(std::size_t index, int status);
    std::optional<pid_t> pid_of(std::size_t index) const;
    std::size_t index_of(const std::string& node) const;
    void run_step(const PlannedStep& step);
    void restart(std::size_t index);
    void flush(std::size_t index);
    void kill_nat(std::size_t index, int sig);
    void stop_for_restart(std::size_t index);
    void replace_emulator(std::size_t index, const std::vector<std::string>& argv);
    void move_host(const PlannedStep& step);
    pid_t spawn_holder(const NetNs& ns);
    void signal_running(bool nats, int sig);
    void wait_until_gone(bool nats, Clock::time_point deadline);
    void stop_stages(Clock::time_point deadline);
    std::string path(const std::string& file) const { return opts_.out_dir + "/" + file; }

    const Topology& topo_;
    const LabOptions& opts_;
    NetNs switch_ns_;
    std::map<std::string, NetNs> ns_;
    Capture capture_;
    LinkStages stages_;
    std::optional<Netlink> switch_nl_;      // the timeline's link steps
    std::map<pid_t, std::size_t> running_;  // pid -> index in facts_.processes
    // The hosts' programs as the schedule sees them (schedule.h): its plan,
    // what has happened so far, and each node's index in the plan.
    SchedulePlan schedule_;
    std::optional<History> history_;
    std::vector<std::optional<std::size_t>> program_of_;  // facts_.processes index -> schedule_.programs
    std::vector<std::size_t> process_of_;                 // schedule_.programs index -> facts_.processes
    // What each entry of facts_.processes runs: its node, and the program
    // of a host that runs several (null: the node's own argv).
    std::vector<std::pair<std::size_t, const ProgramPlan*>> runnables_;
    std::map<std::size_t, std::vector<std::string>>
        argv_of_;  // a NAT's command line since a reboot or change
    std::vector<ReachProbe> reach_;
    Clock::time_point hosts_t0_;
    Clock::time_point t0_;
    sigset_t signals_;
    bool stop_requested_ = false;  // SIGINT, SIGTERM or SIGHUP arrived
    LabFacts facts_;
};

NetNs Lab::build_node(const NodePlan& node) {
    auto ns = NetNs::create();
    EnterNetNs inside(ns);
    quiet_kernel(&node);
    Netlink().set_up("lo");
    return ns;
}

void Lab::configure_node(const NodePlan& node) {
    EnterNetNs inside(ns_.at(node.name));
    Netlink nl;
    for (auto* link : topo_.links_of(node.name)) {
        nl.set_up(link->node_ifname);
        for (auto& address : link->addresses) nl.add_address(link->node_ifname, address);
        for (auto& address : link->addresses6) nl.add_address(link->node_ifname, address);
        auto index = static_cast<std::size_t>(link - topo_.links.data());
        for (auto& [ip, mac] : static_neighbours(topo_, index)) nl.add_neighbour(link->node_ifname, ip, mac);
    }
    if (node.gateway) nl.add_default_route(*node.gateway, node.route_ifname);
    if (node.gateway6) nl.add_route(Ipv6Prefix{Ipv6{}, 0}, *node.gateway6, node.route_ifname);
    for (auto& route : node.routes6) nl.add_route(route.to, route.via, node.route_ifname);
}

// Namespaces are created and configured in parallel (each costs the
// kernel grace periods that then overlap); links are made from the switch
// namespace, one netlink socket, one request per veth pair.
void Lab::build() {
    quiet_kernel(nullptr);
    plain_bridges();
    Netlink sw;
    sw.set_up("lo");
    std::vector<std::optional<NetNs>> made(topo_.nodes.size());
    parallel_for(made.size(), [&](std::size_t i) { made[i].emplace(build_node(topo_.nodes[i])); });
    for (std::size_t i = 0; i < made.size(); ++i) ns_.emplace(topo_.nodes[i].name, std::move(*made[i]));
    timing("b-netns", elapsed_ms());
    Bridges bridges(sw);  // bridges.h: trees past 1000 ports, quiet ARP on big segments
    for (auto& seg : topo_.segments) bridges.add_segment(seg);
    for (std::size_t i = 0; i < topo_.links.size(); ++i) {
        auto& link = topo_.links[i];
        auto bridge = bridges.bridge_for(topo_, i);
        if (!link.stage) {
            sw.add_veth(link.switch_ifname, bridge, link.node_ifname, ns_.at(link.node).fd(), link_mac(i));
            continue;
        }
        // node ==veth== sN <-link-emu-> lN ==veth== bN on the bridge
        sw.add_veth(link.switch_ifname, "", link.node_ifname, ns_.at(link.node).fd(), link_mac(i));
        sw.add_veth(link.stage->bridge_ifname, bridge, link.stage->stage_ifname, -1);
        sw.set_up(link.stage->stage_ifname);
    }
    bridges.quiet(topo_);
    timing("b-veths", elapsed_ms());
    parallel_for(topo_.nodes.size(), [&](std::size_t i) { configure_node(topo_.nodes[i]); });
}

void Lab::start_capture() {
    std::vector<std::pair<std::string, std::string>> taps;
    for (auto& link : topo_.links) taps.emplace_back(link.switch_ifname, path(link.capture_file));
    capture_.open(taps);
    capture_.start();
}

void Lab::start_stages() {
    if (std::none_of(topo_.links.begin(), topo_.links.end(), [](auto& l) { return l.stage.has_value(); }))
        return;
    auto program = resolve_program("link-emu", opts_.bin_dir);
    if (program.empty())
        throw SetupError("cannot find the link emulator 'link-emu' in " + opts_.bin_dir + " or on PATH");
    stages_.start(topo_, program, switch_ns_.fd(), opts_.out_dir);
}

std::string Lab::log_of(std::size_t index) const {
    auto [node, program] = runnables_[index];
    return path(program ? program->log_file : topo_.nodes[node].name + ".log");
}

pid_t Lab::start(std::size_t index, int pass_fd, std::vector<std::string> extra_args) {
    auto [node_index, program] = runnables_[index];
    auto& node = topo_.nodes[node_index];
    auto replaced = argv_of_.find(index);
    SpawnSpec spec{program ? program->name : node.name,
                   program                      ? program->argv
                   : replaced != argv_of_.end() ? replaced->second
                                                : node.argv,
                   ns_.at(node.name).fd(),
                   log_of(index),
                   pass_fd,
                   -1,
                   program ? program->env : node.env,
                   {}};
    spec.argv.insert(spec.argv.end(), extra_args.begin(), extra_args.end());
    add_generated(spec, node, opts_.out_dir);
    pid_t pid = spawn(spec);
    running_[pid] = index;
    auto& p = facts_.processes[index];
    p.started = true;
    p.started_ms = elapsed_ms();
    if (history_ && program_of_[index]) history_->started(*program_of_[index], Clock::now());
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
        throw SetupError("NAT '" + nat.name +
                         "': emulator did not start: " + last_line(path(nat.name + ".log")));
}

// Starts the emulator; returns the read end of its ready pipe.
int Lab::start_emulator(std::size_t index) {
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
    return ready[0];
}

// A type linux NAT: its ruleset goes to <nat>.nft in the output directory
// (for the reader) and `nft -f` loads it in the NAT's namespace; the NAT is
// up when nft has exited 0.
void Lab::load_ruleset(const NodePlan& nat) {
    auto file = path(nat.name + ".nft");
    std::ofstream(file) << nat.ruleset;
    SpawnSpec spec{nat.name, nat.setup_argv, ns_.at(nat.name).fd(), path(nat.name + ".log"), -1, -1, {}, {}};
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
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        auto how = WIFSIGNALED(status) ? killed_by_signal(WTERMSIG(status))
                                       : "exit " + std::to_string(WEXITSTATUS(status));
        throw SetupError("NAT '" + nat.name + "': nft -f " + file + " failed (" + how +
                         "): " + last_line(path(nat.name + ".log")));
    }
}

// Every NAT is up before any host starts. Emulators start all at once and
// are then awaited (each opens its packet sockets meanwhile); they move no
// traffic until hosts send some, so an inner NAT needs nothing from its
// outer one to start. Kernel NATs load their rulesets in plan order (outer
// first).
void Lab::start_nats() {
    std::vector<std::pair<std::size_t, int>> starting;
    try {
        for (std::size_t i = 0; i < topo_.nodes.size(); ++i)
            if (topo_.nodes[i].is_nat && !topo_.nodes[i].kernel_nat)
                starting.emplace_back(i, start_emulator(i));
        for (auto& node : topo_.nodes)
            if (node.kernel_nat) load_ruleset(node);
    } catch (...) {
        for (auto& [index, fd] : starting) ::close(fd);
        throw;
    }
    for (std::size_t k = 0; k < starting.size(); ++k) {
        try {
            wait_ready(topo_.nodes[starting[k].first], starting[k].second);
        } catch (...) {
            for (auto j = k + 1; j < starting.size(); ++j) ::close(starting[j].second);
            throw;
        }
    }
}

// The lab's DNS server: its files, unbound in its namespace, and queries
// from there until one is answered; an exit meanwhile is a set-up error.
void Lab::start_dns() {
    if (!topo_.dns) return;
    auto& dns = *topo_.dns;
    auto index = index_of(dns.node);
    argv_of_[index] = {dns.program, "-d", "-c", write_dns_files(dns, path("dns"))};
    start(index, -1, {});
    auto server = *topo_.find_node(dns.node)->address;
    for (auto deadline = Clock::now() + kDnsReadyTimeout;;) {
        {
            EnterNetNs inside(ns_.at(dns.node));
            if (dns_answers(server, "dns." + dns.zone, 50)) return;
        }
        reap();
        if (!pid_of(index) || Clock::now() > deadline)
            throw SetupError("the lab's DNS server (unbound) did not answer: " + last_line(log_of(index)));
    }
}

// Sleeps until a child changes state, nat-lab is asked to stop (noted in
// stop_requested_), or the timeout passes.
void Lab::wait_signal(std::chrono::milliseconds timeout) {
    timespec ts{static_cast<time_t>(timeout.count() / 1000),
                static_cast<long>(timeout.count() % 1000) * 1'000'000};
    int sig = ::sigtimedwait(&signals_, nullptr, &ts);
    if (sig == SIGINT || sig == SIGTERM || sig == SIGHUP) stop_requested_ = true;
}

void Lab::wait_signal_until(Clock::time_point deadline) {
    auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(deadline - Clock::now());
    if (left.count() <= 0) return;
    timespec ts{static_cast<time_t>(left.count() / 1'000'000'000),
                static_cast<long>(left.count() % 1'000'000'000)};
    int sig = ::sigtimedwait(&signals_, nullptr, &ts);
    if (sig == SIGINT || sig == SIGTERM || sig == SIGHUP) stop_requested_ = true;
}

void Lab::record_end(std::size_t index, int status) {
    auto& p = facts_.processes[index];
    p.ended_ms = elapsed_ms();
    if (WIFEXITED(status)) p.exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) p.signal = WTERMSIG(status);
    if (history_ && program_of_[index]) history_->exited(*program_of_[index]);
}

void Lab::reap() {
    int status = 0;
    for (pid_t pid; (pid = ::waitpid(-1, &status, WNOHANG)) > 0;) {
        if (stages_.reaped(pid, status)) continue;
        auto it = running_.find(pid);
        if (it == running_.end()) continue;  // an orphan adopted by the lab init, or a holder
        record_end(it->second, status);
        running_.erase(it);
    }
}

std::optional<pid_t> Lab::pid_of(std::size_t index) const {
    for (auto& [pid, i] : running_)
        if (i == index) return pid;
    return std::nullopt;
}

// A node, or a program of a host that runs several ("alice.ping").
std::size_t Lab::index_of(const std::string& node) const {
    for (std::size_t i = 0; i < facts_.processes.size(); ++i)
        if (facts_.processes[i].node == node) return i;
    throw SetupError("no node " + node);  // the planner guarantees it exists
}

// SIGTERM to the program's group, its exit awaited (SIGKILL after the
// grace period), then the same command again; its log goes on.
void Lab::restart(std::size_t index) {
    stop_for_restart(index);
    start(index, -1, {});
}

// A NAT's emulator stopped (SIGTERM, its exit awaited) and started again
// with `argv` (reboot: a new outside address; change: new behaviour), as
// the timeline asked: no death. Its event log so far is kept as
// <nat>.events.<N>.jsonl (N: the restarts so far, from 1), the new one
// starts <nat>.events.jsonl afresh. Not ready in time: the step fails,
// and the NAT's exit, if it ends, is a death like any other.
void Lab::replace_emulator(std::size_t index, const std::vector<std::string>& argv) {
    auto& node = topo_.nodes[index];
    stop_for_restart(index);
    auto events = path(node.name + ".events.jsonl");
    auto kept = path(node.name + ".events." + std::to_string(facts_.processes[index].restarts) + ".jsonl");
    std::error_code ec;
    std::filesystem::rename(events, kept, ec);
    argv_of_[index] = argv;
    wait_ready(node, start_emulator(index));
}

// Unplugged, plugged in elsewhere: the host's port (its link-emu stage's
// bridge end, if it has one) becomes a port of the other segment's bridge;
// in the host, its link goes down (the kernel drops its routes), the old
// address goes, the new one comes, the link comes up with the new default
// route. Its sockets and programs live on.
void Lab::move_host(const PlannedStep& step) {
    auto& link = topo_.links[static_cast<std::size_t>(step.link)];
    switch_nl_->enslave(link.stage ? link.stage->bridge_ifname : link.switch_ifname, step.bridge);
    EnterNetNs inside(ns_.at(link.node));
    Netlink nl;
    nl.set_down(link.node_ifname);
    for (auto& old : step.old_addresses) nl.delete_address(link.node_ifname, old);
    nl.add_address(link.node_ifname, *step.new_address);
    nl.set_up(link.node_ifname);
    if (step.gateway) nl.add_default_route(*step.gateway, link.node_ifname);
}

// The program's (or emulator's) exit, awaited and recorded, then forgotten:
// it is about to run again.
void Lab::stop_for_restart(std::size_t index) {
    if (auto pid = pid_of(index)) {
        ::kill(-*pid, SIGTERM);
        ::kill(*pid, SIGTERM);
        int status = 0;
        auto deadline = Clock::now() + kStopGrace;
        while (::waitpid(*pid, &status, WNOHANG) == 0) {
            if (Clock::now() >= deadline) {
                ::kill(-*pid, SIGKILL);
                ::kill(*pid, SIGKILL);
                ::waitpid(*pid, &status, 0);
                break;
            }
            wait_signal(std::chrono::milliseconds(5));
        }
        record_end(index, status);
        running_.erase(*pid);
    }
    auto& p = facts_.processes[index];
    p.exit_code.reset();
    p.signal.reset();
    p.stopped_by_lab = false;
    ++p.restarts;
}

// nat-emu forgets every mapping on SIGUSR2; the kernel's NAT forgets its
// conntrack entries.
void Lab::flush(std::size_t index) {
    auto& node = topo_.nodes[index];
    if (node.kernel_nat) {
        EnterNetNs inside(ns_.at(node.name));
        flush_conntrack();
        return;
    }
    auto pid = pid_of(index);
    if (!pid) throw SetupError("NAT '" + node.name + "' is not running");
    ::kill(*pid, SIGUSR2);
}

// The step's signal to a NAT's emulator and its process group, as a crash
// would end it; the lab does not start it again.
void Lab::kill_nat(std::size_t index, int sig) {
    auto pid = pid_of(index);
    if (!pid) throw SetupError("NAT '" + topo_.nodes[index].name + "' is not running");
    ::kill(-*pid, sig);
    ::kill(*pid, sig);
}

void Lab::run_step(const PlannedStep& step) {
    StepFacts done{static_cast<double>(step.at.count()), 0, step.description, {}};
    try {
        auto* link = step.link >= 0 ? &topo_.links[step.link] : nullptr;
        switch (step.kind) {
            case StepKind::LinkDown:
                switch_nl_->set_down(link->stage->bridge_ifname);
                break;
            case StepKind::LinkUp:
                switch_nl_->set_up(link->stage->bridge_ifname);
                break;
            case StepKind::LinkSet:
                stages_.command(step.link, step.command);
                break;
            case StepKind::Restart:
                restart(index_of(step.node));
                break;
            case StepKind::Flush:
                flush(index_of(step.node));
                break;
            case StepKind::Kill:
                kill_nat(index_of(step.node), step.signal);
                break;
            case StepKind::Reboot:
            case StepKind::Change:
                replace_emulator(index_of(step.node), step.argv);
                break;
            case StepKind::Move:
                move_host(step);
                break;
        }
    } catch (const std::exception& e) {
        done.error = e.what();
    }
    done.done_ms = elapsed_ms();
    facts_.timeline.push_back(std::move(done));
}

// Every host that runs something, and every program of a host that runs
// several, is a program of the schedule; the run waits for those the plan
// marks waited.
void Lab::plan_schedule() {
    program_of_.assign(facts_.processes.size(), std::nullopt);
    std::vector<std::string> after;  // by schedule index: whose start (or log) it waits for
    for (std::size_t i = 0; i < runnables_.size(); ++i) {
        auto [node_index, program] = runnables_[i];
        auto& node = topo_.nodes[node_index];
        if (!program && (node.is_nat || node.argv.empty())) continue;
        program_of_[i] = schedule_.programs.size();
        process_of_.push_back(i);
        if (program) {
            bool probe = program->start_on == StartOn::Output || program->start_on == StartOn::Port;
            schedule_.programs.push_back(
                {program->name, program->delay, std::nullopt, program->waited, probe});
            after.push_back(program->start_on == StartOn::After || program->start_on == StartOn::Output
                                ? program->after
                                : std::string());
        } else {
            schedule_.programs.push_back({node.name, node.delay, std::nullopt, node.waited});
            after.push_back(node.after.value_or(""));
        }
    }
    for (std::size_t k = 0; k < after.size(); ++k)
        if (!after[k].empty()) schedule_.programs[k].after = program_of_[index_of(after[k])];
    for (auto& step : topo_.timeline) schedule_.steps.push_back(step.at);
    schedule_.timeout = opts_.timeout;
}

// Whether the condition a program waits for holds now: the log of the
// program it comes after matches, or the port is bound in its host.
bool Lab::probe_holds(std::size_t program) {
    auto index = process_of_[program];
    auto* plan = runnables_[index].second;
    if (plan->start_on == StartOn::Output) {
        std::ifstream in(log_of(index_of(plan->after)));
        std::string log((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        return log_matches(log, plan->pattern);
    }
    EnterNetNs inside(ns_.at(topo_.nodes[runnables_[index].first].name));
    std::ifstream in("/proc/thread-self/net/" + plan->protocol);
    std::string table((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return port_bound(table, plan->port, plan->protocol == "tcp");
}

void Lab::carry_out(const Action& action) {
    if (action.kind == Action::Kind::Step) {
        run_step(topo_.timeline[action.index]);
        history_->step_done(action.index);
        return;
    }
    start(process_of_[action.index], -1, {});
}

// The schedule decides (schedule.h); this loop only carries its actions
// out, feeds back what happened, and sleeps until the next decision is due
// or a signal comes (SIGCHLD: a program exited; SIGINT/SIGTERM/SIGHUP).
// After any action it reaps and decides again before sleeping: a restart
// may have swallowed the SIGCHLD of another program's exit.
void Lab::run_hosts() {
    plan_schedule();
    if (!topo_.timeline.empty()) switch_nl_.emplace();
    hosts_t0_ = Clock::now();
    history_.emplace(schedule_, hosts_t0_);
    for (auto& plan : topo_.reach) reach_.emplace_back(plan);
    for (;;) {
        reap();
        if (stop_requested_) history_->interrupt();
        auto decision = decide(schedule_, *history_, Clock::now());
        for (auto& action : decision.actions) carry_out(action);
        bool probing = poll_reach();
        if (decision.end == RunEnd::Done && probing) decision.end = RunEnd::None;
        if (decision.end != RunEnd::None) {
            facts_.timed_out = decision.end == RunEnd::TimedOut;
            facts_.interrupted = decision.end == RunEnd::Interrupted;
            break;
        }
        auto poll_at = Clock::now() + std::chrono::milliseconds(50);
        if (probing && (!decision.wake || *decision.wake > poll_at)) decision.wake = poll_at;
        // What a program waits to see is looked for now; once seen, it may be due at once.
        bool progressed = !decision.actions.empty();
        for (auto program : decision.probes)
            if (probe_holds(program)) {
                history_->observed(program, Clock::now());
                progressed = true;
            }
        if (!progressed) wait_signal_until(*decision.wake);
    }
}

// Each open probe looks for answers and makes its next attempt; true while
// any is still open. Their facts are kept as they go.
bool Lab::poll_reach() {
    double now = std::chrono::duration<double, std::milli>(Clock::now() - hosts_t0_).count();
    bool open = false;
    facts_.reach.clear();
    for (auto& probe : reach_) {
        probe.poll(now, [&](int domain, int type, int protocol) {
            EnterNetNs inside(ns_.at(probe.from()));
            return ::socket(domain, type, protocol);
        });
        open = open || !probe.done(now);
        facts_.reach.push_back(probe.facts());
    }
    return open;
}

bool Lab::should_hold() {
    if (!opts_.hold_if || stop_requested_) return false;
    facts_.run_ms = elapsed_ms() - facts_.setup_ms;
    facts_.stages = stages_.facts();
    return opts_.hold_if(facts_);
}

// A process that only sits in a namespace, so nsenter has a PID to follow
// even where nothing else runs (or ran and exited).
pid_t Lab::spawn_holder(const NetNs& ns) {
    pid_t pid = ::fork();
    if (pid < 0) throw_errno("fork a holder");
    if (pid > 0) return pid;
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    if (::setns(ns.fd(), CLONE_NEWNET) != 0) ::_exit(1);
    ::setpgid(0, 0);
    for (;;) ::pause();
}

// Tells nat-lab (one JSON line on the facts pipe) which process holds each
// node's namespace; nat-lab turns lab PIDs into its own and prints the
// commands. Then waits for Ctrl-C.
void Lab::hold(int out_fd) {
    facts_.held = true;
    json nodes = json::array();
    for (auto& node : topo_.nodes)
        nodes.push_back({{"node", node.name}, {"pid", spawn_holder(ns_.at(node.name))}});
    auto line = json{{"hold", nodes}}.dump() + "\n";
    if (::write(out_fd, line.data(), line.size()) < 0) return;
    while (!stop_requested_) {
        reap();
        wait_signal(std::chrono::milliseconds(1000));
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

// Waits for the stages, already sent SIGTERM.
void Lab::stop_stages(Clock::time_point deadline) {
    while (stages_.any_running() && Clock::now() < deadline) {
        reap();
        if (stages_.any_running()) wait_signal(std::chrono::milliseconds(10));
    }
}

// Hosts first, so the NATs and link stages see their last packets; then
// the NATs and the stages, which write their counters on SIGTERM; then
// anything left, by SIGKILL. Once the hosts are gone no program makes new
// traffic, so the captures are drained and closed meanwhile, on their own
// thread: closing the packet socket waits for the kernel (an RCU grace
// period), and so does each NAT's exit; the waits overlap.
void Lab::stop_all() {
    auto begin = elapsed_ms();
    reap();  // what ended by itself ended before the lab stopped it
    signal_running(false, SIGTERM);
    wait_until_gone(false, Clock::now() + kStopGrace);
    timing("stop-hst", elapsed_ms() - begin);
    signal_running(true, SIGTERM);
    stages_.signal_all(SIGTERM);
    std::thread closing([this] { capture_.stop(); });
    wait_until_gone(true, Clock::now() + kStopGrace);
    stop_stages(Clock::now() + kStopGrace);
    timing("stop-nat", elapsed_ms() - begin);
    ::kill(-1, SIGKILL);  // as PID 1: every other process of the lab
    while (::waitpid(-1, nullptr, 0) > 0) {
    }
    for (auto& [pid, index] : running_) facts_.processes[index].signal = SIGKILL;
    running_.clear();
    facts_.stages = stages_.facts();
    closing.join();
    facts_.captured_packets = capture_.packets();
    facts_.teardown_ms = elapsed_ms() - begin;
}

json to_json(const std::vector<ProcessFacts>& list) {
    json processes = json::array();
    for (auto& p : list) {
        json j = {{"node", p.node},
                  {"is_nat", p.is_nat},
                  {"started", p.started},
                  {"stopped_by_lab", p.stopped_by_lab},
                  {"started_ms", p.started_ms},
                  {"ended_ms", p.ended_ms},
                  {"restarts", p.restarts},
                  {"is_dns", p.is_dns}};
        j["exit_code"] = p.exit_code ? json(*p.exit_code) : json(nullptr);
        j["signal"] = p.signal ? json(*p.signal) : json(nullptr);
        processes.push_back(j);
    }
    return processes;
}

template <typename T>
std::optional<T> optional_of(const json& j) {
    if (j.is_null()) return std::nullopt;
    return j.get<T>();
}

json to_json(const std::vector<ReachFacts>& list) {
    json reach = json::array();
    for (auto& r : list) {
        json j = {{"expectation", r.expectation},
                  {"attempts", r.attempts},
                  {"answers", r.answers},
                  {"last_failure", r.last_failure}};
        j["answered_ms"] = r.answered_ms ? json(*r.answered_ms) : json(nullptr);
        reach.push_back(j);
    }
    return reach;
}

std::vector<ReachFacts> reach_from_json(const json& list) {
    std::vector<ReachFacts> out;
    for (auto& r : list)
        out.push_back({r.at("expectation"), r.at("attempts"), optional_of<double>(r.at("answered_ms")),
                       r.at("answers"), r.at("last_failure")});
    return out;
}

json to_json(const LabFacts& f) {
    json processes = to_json(f.processes);
    json timeline = json::array();
    for (auto& step : f.timeline)
        timeline.push_back(
            {{"at_ms", step.at_ms}, {"done_ms", step.done_ms}, {"what", step.what}, {"error", step.error}});
    return {{"error", f.error},
            {"timed_out", f.timed_out},
            {"interrupted", f.interrupted},
            {"held", f.held},
            {"setup_ms", f.setup_ms},
            {"run_ms", f.run_ms},
            {"teardown_ms", f.teardown_ms},
            {"captured_packets", f.captured_packets},
            {"hosts_start_unix_s", f.hosts_start_unix_s},
            {"processes", processes},
            {"stages", to_json(f.stages)},
            {"timeline", timeline},
            {"reach", to_json(f.reach)}};
}

std::vector<ProcessFacts> processes_from_json(const json& list) {
    std::vector<ProcessFacts> out;
    for (auto& p : list)
        out.push_back({p.at("node"), p.at("is_nat"), p.at("started"), optional_of<int>(p.at("exit_code")),
                       optional_of<int>(p.at("signal")), p.at("stopped_by_lab"), p.at("started_ms"),
                       p.at("ended_ms"), p.at("restarts"), p.value("is_dns", false)});
    return out;
}

LabFacts from_json(const json& j) {
    LabFacts f;
    f.error = j.at("error");
    f.timed_out = j.at("timed_out");
    f.interrupted = j.at("interrupted");
    f.setup_ms = j.at("setup_ms");
    f.run_ms = j.at("run_ms");
    f.held = j.at("held");
    f.teardown_ms = j.at("teardown_ms");
    f.captured_packets = j.at("captured_packets");
    f.hosts_start_unix_s = j.value("hosts_start_unix_s", 0.0);
    f.processes = processes_from_json(j.at("processes"));
    f.stages = processes_from_json(j.at("stages"));
    for (auto& t : j.at("timeline"))
        f.timeline.push_back({t.at("at_ms"), t.at("done_ms"), t.at("what"), t.at("error")});
    f.reach = reach_from_json(j.at("reach"));
    return f;
}

void write_all(int fd, const std::string& text) {
    for (std::size_t done = 0; done < text.size();) {
        auto n = ::write(fd, text.data() + done, text.size() - done);
        if (n <= 0 && errno != EINTR) return;
        if (n > 0) done += n;
    }
}

// The lab's PIDs are those of its own PID namespace: the process whose
// innermost PID (last of NSpid) is `inner`, in the lab init's namespace, is
// found in our /proc.
std::optional<pid_t> outer_pid(pid_t lab_init, pid_t inner) {
    namespace fs = std::filesystem;
    std::error_code ec;
    auto lab_ns = fs::read_symlink("/proc/" + std::to_string(lab_init) + "/ns/pid", ec);
    if (ec) return std::nullopt;
    for (auto& entry : fs::directory_iterator("/proc", ec)) {
        auto name = entry.path().filename().string();
        if (name.find_first_not_of("0123456789") != std::string::npos) continue;
        if (fs::read_symlink(entry.path() / "ns" / "pid", ec) != lab_ns || ec) continue;
        std::ifstream status(entry.path() / "status");
        for (std::string line; std::getline(status, line);) {
            if (line.rfind("NSpid:", 0) != 0) continue;
            auto last = line.substr(line.find_last_of(" \t") + 1);
            if (last == std::to_string(inner)) return std::stoi(name);
        }
    }
    return std::nullopt;
}

// How to enter each node's namespace while the lab is held.
void print_hold(const json& hold, pid_t lab_init) {
    bool root = ::geteuid() == 0;
    std::string flags = root ? "--net --mount" : "--user --preserve-credentials --net --mount";
    std::fprintf(stderr, "nat-lab: the lab is held; enter a node's namespace with:\n");
    for (auto& entry : hold.at("hold")) {
        auto pid = outer_pid(lab_init, entry.at("pid").get<pid_t>());
        std::string node = entry.at("node");
        if (pid)
            std::fprintf(stderr, "  %-12s nsenter --target %d %s\n", node.c_str(), *pid, flags.c_str());
        else
            std::fprintf(stderr, "  %-12s (its holder process is not visible here)\n", node.c_str());
    }
    std::fprintf(stderr, "nat-lab: press Ctrl-C to tear the lab down\n");
}

// Lines from the lab init: any number of {"hold":...} lines, then the facts.
std::string read_facts(int fd, pid_t lab_init) {
    std::string buffer;
    char chunk[4096];
    for (;;) {
        auto n = ::read(fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        buffer.append(chunk, n);
        for (auto nl = buffer.find('\n'); nl != std::string::npos; nl = buffer.find('\n')) {
            auto line = buffer.substr(0, nl);
            auto j = json::parse(line, nullptr, false);
            if (!j.is_object() || !j.contains("hold")) break;  // the facts: read on to EOF
            print_hold(j, lab_init);
            buffer.erase(0, nl + 1);
        }
    }
    return buffer;
}

// The wall clock, on the scale of the captures' time stamps: wire verdicts
// count packet times from the hosts' start with it.
double unix_seconds() {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// The lab init's whole life; what it learned goes out through `out_fd`.

int lab_main(const Topology& topo, const LabOptions& opts, int out_fd, Clock::time_point begin) {
    timing("init", std::chrono::duration<double, std::milli>(Clock::now() - begin).count());
    Lab lab(topo, opts);
    try {
        private_run(opts.out_dir);
        prepare_run(topo, opts.out_dir, opts.timeout);
        lab.build();
        timing("build", lab.elapsed_ms());
        if (topo.capture) lab.start_capture();
        timing("capture", lab.elapsed_ms());
        lab.start_stages();
        timing("stages", lab.elapsed_ms());
        lab.start_nats();
        timing("nats", lab.elapsed_ms());
        lab.start_dns();
        lab.facts().setup_ms = lab.elapsed_ms();
        lab.facts().hosts_start_unix_s = unix_seconds();
        lab.run_hosts();
        lab.facts().run_ms = lab.elapsed_ms() - lab.facts().setup_ms;
        if (lab.should_hold()) lab.hold(out_fd);
    } catch (const std::exception& e) {
        lab.facts().error = e.what();
    }
    lab.stop_all();
    timing("stop", lab.facts().teardown_ms);
    write_all(out_fd, to_json(lab.facts()).dump() + "\n");
    return 0;
}

}  // namespace

LabFacts run_lab(const Topology& topology, const LabOptions& options) {
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0) throw_errno("pipe");
    auto begin = Clock::now();
    pid_t pid = start_lab_init([&] {
        ::close(pipe_fds[0]);
        return lab_main(topology, options, pipe_fds[1], begin);
    });
    ::close(pipe_fds[1]);
    auto text = read_facts(pipe_fds[0], pid);
    ::close(pipe_fds[0]);
    auto eof = Clock::now();
    int rc = wait_lab_init(pid);
    auto exit_ms = std::chrono::duration<double, std::milli>(Clock::now() - eof).count();
    auto j = json::parse(text, nullptr, false);
    if (text.empty() || !j.is_object()) {
        LabFacts facts;
        facts.error = "the lab ended unexpectedly (status " + std::to_string(rc) + ")";
        return facts;
    }
    auto facts = from_json(j);
    facts.teardown_ms += exit_ms;
    timing("exit", exit_ms);
    timing("total", std::chrono::duration<double, std::milli>(Clock::now() - begin).count() - facts.run_ms);
    return facts;
}

}  // namespace natlab::harness
