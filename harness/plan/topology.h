// The topology plan: a Scenario turned into namespaces, links and addresses.
//
// Theory of operation: plan_topology() is pure. It assigns every address the
// scenario left open, checks every address the scenario gave (right segment,
// not a network/broadcast/gateway address, not taken twice), expands ${host}
// in commands, and names every link and capture file. The lab then builds
// exactly this plan; nothing is decided while building.
//
// Shape of the lab: one "switch" namespace holds a bridge per segment (the
// internet, and one LAN behind each NAT). Every node (host or NAT) has its
// own network namespace, joined to a segment by a veth pair whose switch end
// sits on the bridge. That switch end is where the link is captured.
//
// Nested NATs: a NAT `behind` another has its outside link on the outer
// NAT's LAN, takes its outside address from that LAN (from .2, like a host)
// and uses the outer NAT's inside address as its gateway. NATs are planned,
// built and started outer first (by depth, then file order), so a NAT never
// starts before the network its outside link depends on.
//
// Impaired links: a link with `link:` impairments, or named by a timeline
// link step, gets a stage: its switch end is not enslaved to the bridge;
// link-emu (in the switch namespace) moves frames between it and one end of
// a second veth pair whose other end is on the bridge:
//
//   node eth0 ==veth== sN (captured) <-link-emu-> lN ==veth== bN [bridge]
//
// The capture stays on sN, the node's side: it shows what the node sent and
// what reached it after the impairment. `down`/`up` steps switch bN off and
// on (the stage stays up, its counters keep counting); `set` steps are
// commands written to link-emu's stdin.
//
// Two kinds of NAT: nat-emu (the kernel neither forwards nor NATs, the
// NAT's links carry no addresses) and type linux (the kernel forwards and
// masquerades under an nftables ruleset planned here; the links carry the
// NAT's addresses and a default route when nested).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "harness/plan/scenario.h"

namespace natlab::harness {

// The simulated internet: RFC 2544 benchmarking range.
inline const Cidr kInternet{Ipv4{(198u << 24) | (18u << 16)}, 15};

struct Address {
    Ipv4 ip;
    int prefix = 32;
    std::string to_string() const { return ip.to_string() + '/' + std::to_string(prefix); }
};

// An IPv6 address of a link, and its on-link prefix (harness/plan/ipv6_plan.h).
struct Address6 {
    Ipv6 ip;
    int prefix = 64;
    std::string to_string() const { return ip.to_string() + '/' + std::to_string(prefix); }
};

// A route to an IPv6 prefix via a next hop on the node's link.
struct Route6 {
    Ipv6Prefix to;
    Ipv6 via;
};

struct Segment {
    std::string name;    // "internet" or "<nat>-lan"
    std::string bridge;  // bridge device in the switch namespace
    Cidr subnet;
    std::optional<Ipv6Prefix> subnet6{};  // when the segment carries IPv6
};

// link-emu between a link's switch end and its bridge (see above).
struct LinkStage {
    std::string stage_ifname;       // lN: link-emu's end of the pair to the bridge
    std::string bridge_ifname;      // bN: on the bridge
    std::vector<std::string> argv;  // link-emu --a sN --b lN [impairments] --seed N
    std::string log_file;           // "<node>.link.log": link-emu's stderr
    std::string events_file;        // "<node>.link.jsonl": its final counters
};

struct Link {
    std::string segment;
    std::string node;
    std::string node_ifname;             // inside the node: eth0, or in0/out0 for a NAT
    std::string switch_ifname;           // on the segment's bridge
    std::vector<Address> addresses;      // set by the kernel; empty for NAT links
    std::string capture_file;            // "<segment>.<node>.pcap"
    std::optional<LinkStage> stage;      // impairments, or steps of the timeline
    std::vector<Ipv4> answers;           // what the node answers ARP for here: its addresses, or nat-emu's
    std::vector<Address6> addresses6{};  // set by the kernel, as `addresses` (no duplicate address detection)
};

// One program of a host that runs several (`programs:`; harness/plan/programs.h).
struct ProgramPlan {
    std::string name;               // "alice.ping": facts, expectations and its log name it
    std::vector<std::string> argv;  // ${host} expanded
    Location run_where;             // for "no program on PATH"
    std::vector<std::pair<std::string, std::string>> env;  // the host's, then its own over them
    Millis delay{0};
    StartOn start_on = StartOn::Begin;
    std::string after;     // After, Output: a full program name ("alice.web") or a one-program host
    std::string pattern;   // Output
    std::string protocol;  // Port: "udp" or "tcp"
    int port = 0;
    bool daemon = false;
    bool waited = false;   // as NodePlan::waited; never for a daemon
    std::string log_file;  // "alice.ping.log"
};

struct NodePlan {
    std::string name;
    bool is_nat = false;
    bool kernel_nat = false;            // type linux: the kernel forwards and masquerades
    std::optional<Ipv4> gateway;        // default route (hosts behind a NAT, nested linux NATs)
    std::string route_ifname = "eth0";  // where the default route points
    std::vector<std::string> argv;      // empty: nothing runs here
    Millis delay{0};
    bool waited = false;  // the run ends when every waited process has exited
    std::vector<std::pair<std::string, std::string>> env;  // added to the environment
    std::optional<std::string> after;                      // start `delay` after this node's program started
    // Kernel NATs: `setup_argv` + a file holding `ruleset` is run once, to
    // completion, before anything behind the NAT starts (nft -f FILE).
    std::vector<std::string> setup_argv;
    std::string ruleset;
    std::optional<Ipv4> address;  // what ${name} means: a host's address, a NAT's first outside one
    // IPv6 (harness/plan/ipv6_plan.h): whether the node's kernel speaks it
    // (else it is switched off there), what ${name.ipv6} means, the default
    // route and the routes to IPv6 LANs; `argv6` is the IPv6 part of an
    // emulated NAT's command line (also after a reboot or change).
    bool ipv6 = false;
    std::optional<Ipv6> address6;
    std::optional<Ipv6> gateway6;
    std::vector<Route6> routes6;
    std::vector<std::string> argv6;
    std::vector<FileSpec> files;        // hosts: their files, references to addresses expanded
    std::vector<ProgramPlan> programs;  // a host that runs several (argv is then empty)
};

// A timeline step with its target resolved: the link (for link steps) and
// the command for link-emu (for `set`).
struct PlannedStep {
    Millis at{0};
    StepKind kind = StepKind::LinkDown;
    std::string node;         // the host or NAT
    int link = -1;            // index into Topology::links, for link steps
    std::string command;      // "set loss=20 delay=10ms", for LinkSet
    std::string description;  // "link alice down", as the facts record it
    int signal = 0;           // for Kill
    // Reboot, Change: the emulator's command line from then on (a new
    // outside address, or the changed behaviour; the rest as before).
    std::vector<std::string> argv;
    // Move: the bridge its link's port goes to, its old and new address,
    // and the new default route (none on the internet).
    std::string bridge;
    std::vector<Address> old_addresses;
    std::optional<Address> new_address;
    std::optional<Ipv4> gateway;
};

// A `reachable` / `not_reachable` expectation as the lab probes it: from
// `from`'s namespace to `to` (its `to` resolved to an address).
struct ReachPlan {
    std::size_t expectation = 0;  // index into the scenario's expectations
    std::string from;
    Ipv4 to;
    std::optional<Ipv6> to6;  // set: the probe goes over IPv6, to this address
    ReachBy by = ReachBy::Icmp;
    int port = 0;
    Millis at{0}, within{0};
    bool negate = false;  // not_reachable: probe the whole window
};

// The lab's DNS server (harness/plan/dns_plan.h): where it answers, what.
struct DnsPlan {
    std::string node;                        // the internet host it runs in
    std::string program = "unbound";         // resolved to a path before the lab
    std::vector<std::string> listen;         // its addresses
    std::string zone;                        // "lab.test"
    std::string zone_text;                   // the zone file
    std::optional<Ipv6Prefix> dns64_prefix;  // DNS64 on, under this prefix
};

struct Topology {
    std::vector<Segment> segments;
    std::vector<NodePlan> nodes;  // NATs first (outer before inner), then hosts, in file order
    std::vector<Link> links;
    std::vector<PlannedStep> timeline;  // by time
    bool capture = true;                // a pcap per link (the scenario's `capture`)
    std::vector<SetupSpec> setup;       // set-up commands, references to addresses expanded
    std::string hosts_file;             // the lab's /etc/hosts: every host and NAT by name
    std::string resolv_conf;            // the lab's /etc/resolv.conf; empty: no DNS but loopback's
    std::optional<DnsPlan> dns;         // the lab's DNS server, with `dns:`
    std::string scenario_dir;           // ${scenario_dir}: the scenario file's directory, absolute
    std::vector<ReachPlan> reach;       // the lab's own probes, in expectation order

    const NodePlan* find_node(const std::string& name) const;
    std::vector<const Link*> links_of(const std::string& node) const;
};

// Throws ScenarioError pointing at the offending address or reference.
Topology plan_topology(const Scenario& scenario);

// link-emu's words for impairments: "--delay 50ms --loss 20 ..." as flags
// (for its command line) or "delay=50ms loss=20" (for a `set` command).
std::vector<std::string> impairment_flags(const LinkImpairment& link);
std::string impairment_command(const LinkImpairment& link);

// The nftables ruleset of a type linux NAT: masquerade on out0, forward
// inside-to-outside and conntrack's replies only.
std::string linux_nat_ruleset(const std::string& nat);

}  // namespace natlab::harness
