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
// Two kinds of NAT: nat-emu (the kernel neither forwards nor NATs, the
// NAT's links carry no addresses) and type linux (the kernel forwards and
// masquerades under an nftables ruleset planned here; the links carry the
// NAT's addresses and a default route when nested).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "scenario.h"

namespace natlab::harness {

// The simulated internet: RFC 2544 benchmarking range.
inline const Cidr kInternet{Ipv4{(198u << 24) | (18u << 16)}, 15};

struct Address {
    Ipv4 ip;
    int prefix = 32;
    std::string to_string() const { return ip.to_string() + '/' + std::to_string(prefix); }
};

struct Segment {
    std::string name;    // "internet" or "<nat>-lan"
    std::string bridge;  // bridge device in the switch namespace
    Cidr subnet;
};

struct Link {
    std::string segment;
    std::string node;
    std::string node_ifname;    // inside the node: eth0, or in0/out0 for a NAT
    std::string switch_ifname;  // on the segment's bridge
    std::vector<Address> addresses;  // set by the kernel; empty for NAT links
    std::string capture_file;        // "<segment>.<node>.pcap"
};

struct NodePlan {
    std::string name;
    bool is_nat = false;
    bool kernel_nat = false;         // type linux: the kernel forwards and masquerades
    std::optional<Ipv4> gateway;     // default route (hosts behind a NAT, nested linux NATs)
    std::string route_ifname = "eth0";  // where the default route points
    std::vector<std::string> argv;   // empty: nothing runs here
    Duration delay{0};
    bool waited = false;             // the run ends when every waited process has exited
    // Kernel NATs: `setup_argv` + a file holding `ruleset` is run once, to
    // completion, before anything behind the NAT starts (nft -f FILE).
    std::vector<std::string> setup_argv;
    std::string ruleset;
};

struct Topology {
    std::vector<Segment> segments;
    std::vector<NodePlan> nodes;  // NATs first (outer before inner), then hosts, in file order
    std::vector<Link> links;

    const NodePlan* find_node(const std::string& name) const;
    std::vector<const Link*> links_of(const std::string& node) const;
};

// Throws ScenarioError pointing at the offending address or reference.
Topology plan_topology(const Scenario& scenario);

// The nftables ruleset of a type linux NAT: masquerade on out0, forward
// inside-to-outside and conntrack's replies only.
std::string linux_nat_ruleset(const std::string& nat);

}  // namespace natlab::harness
