// The segments' bridges, sized for big labs.
//
// Theory of operation. Each segment is a Linux bridge in the switch
// namespace, each link one port of it. Two kernel limits make a flat bridge
// fail as a segment grows, both silently:
//
//  - a bridge takes at most BR_MAX_PORTS (1024) ports. A segment with more
//    links is a tree: the segment's bridge and, per kPortsPerBridge links
//    more, another bridge joined to it by a veth pair (a trunk: `<br>x<k>t`
//    on the segment's bridge, `<br>x<k>u` on the k-th). Still one Ethernet
//    segment, without loops.
//  - every broadcast is copied to every port, and each copy queued on the
//    CPU's backlog, which holds net.core.netdev_max_backlog (1000) frames
//    for the whole machine. With a thousand NATs on the internet each ARP
//    request overflows it: requests to the rendezvous server were lost, the
//    NATs retried together, and past about 500 NATs nothing got through. A
//    segment of more than kQuietSegment links is therefore quiet: its ports
//    are proxy-ARP ports (the bridge answers a request itself, from
//    permanent neighbour entries the lab puts on each bridge, and floods
//    nothing to them), and static forwarding entries say where every link's
//    Ethernet address is. ARP then costs one frame each way, as on a
//    switch that knows its hosts.
//
// The kernel's neighbour table limits (gc_thresh1-3) are one table for
// every namespace of the machine and cannot be raised from inside a lab;
// permanent entries do not count against them, so the hosts of a big lab
// get their neighbours (their gateway; on a quiet segment, every address of
// it) as permanent entries too (static_neighbours).
//
// Every link's node end has a fixed Ethernet address, 02:6e:6c plus the
// link's number (link_mac), so the lab knows them all before it starts
// anything. The captures stay on the links' switch ends: no pcap shows a
// trunk.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "harness/lab/netlink.h"
#include "harness/plan/topology.h"

namespace natlab::harness {

inline constexpr std::size_t kPortsPerBridge = 1000;
inline constexpr std::size_t kQuietSegment = 256;

// The node end's Ethernet address of link number `index` (0-based).
Mac link_mac(std::size_t index);

// The permanent neighbour entries (address, Ethernet address) the node of
// link `index` gets on that link in a big lab; none in a small one (pure).
std::vector<std::pair<Ipv4, Mac>> static_neighbours(const Topology& topo, std::size_t index);

class Bridges {
public:
    explicit Bridges(Netlink& sw) : sw_(sw) {}

    void add_segment(const Segment& segment);
    // The bridge that link `index` of `topo` joins (a new one of the tree
    // after every kPortsPerBridge links).
    std::string bridge_for(const Topology& topo, std::size_t index);
    // Once every link is made: quiet segments get proxy ARP on their ports,
    // static forwarding and neighbour entries on each of their bridges.
    void quiet(const Topology& topo);

private:
    struct Tree {
        std::vector<std::string> bridges;                        // [0] is the segment's own
        std::vector<std::pair<std::size_t, std::size_t>> ports;  // (link, bridge)
    };
    void quiet_tree(const Topology& topo, const Tree& tree);
    Netlink& sw_;
    std::map<std::string, Tree> trees_;  // by segment name
};

}  // namespace natlab::harness
