// Verdicts from the wire: `direct`, `relayed` and `traffic` expectations
// judged from the run's captures, so any program can be judged without
// printing anything.
//
// Theory of operation: the core is pure. Its input is a list of decoded
// packets (WirePacket: time, whose link, segment, the decoded Frame) that
// read_wire_evidence() reads from a run's pcaps, and a WirePlan drawn from
// the topology: for every node, the addresses it shows on each segment on
// its way to the internet (its "sides"). A host's first side is its own link
// with its own addresses; each NAT it is behind adds a side on that NAT's
// outward segment with the NAT's outside addresses. A NAT's first side is
// its LAN with its inside address, then its outside link.
//
// IPv6: sides hold both families. A NAT whose IPv6 LAN goes out untranslated
// (`ipv6: route` or `firewall`) or prefix-translated (NPTv6) shows its hosts
// on the internet as themselves, so its outside side also holds that LAN's
// routed prefix ("2001:2:0:1::/64"): a side's address is an exact address or
// an IPv6 prefix that covers it.
//
// Two nodes meet on the innermost segment both have a side on: the
// internet when they are behind different NATs, a LAN they share
// otherwise. Their traffic is what crosses that segment between their two
// sides, each packet counted once, on the link of the node that sent it
// there (the host itself or the NAT it is behind). A packet is delivered
// when the same packet (IPv4 identification, protocol, length and payload,
// all of which a NAT keeps; IPv6 has no identification) is then seen on the receiving host's own link
// within a few seconds: a probe its NAT filtered was sent, not delivered.
//
//   direct   UDP delivered both ways between the two hosts' sides where
//            they meet (NAT-to-NAT on the internet for two NATs);
//   relayed  datagrams of each host forwarded by the host in between to the
//            other (a packet from A delivered to V, then within 1 s a
//            packet from V delivered to B that carries at least 24 bytes
//            of its payload, or all of a shorter one: a relay wraps what it
//            forwards, it does not rewrite it), both ways, and nothing
//            delivered directly between the two;
//   traffic  packets and bytes (IPv4 total length, IPv6 40 + payload length) between two nodes'
//            sides, or on one node's outward link, within bounds.
//
// Times are seconds from the hosts' start (LabFacts::hosts_start_unix_s,
// the same zero as the timeline's), or from the first packet when unknown.
// Limits: traffic of other hosts behind the same NAT counts as that NAT's;
// a path through a hairpinning NAT is not direct (it goes through the NAT,
// A -> NAT and NAT -> B on their shared LAN).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "harness/judge/decode.h"
#include "harness/plan/scenario.h"
#include "harness/plan/topology.h"

namespace natlab::harness {

// One frame as one link's capture holds it.
struct WirePacket {
    double t = 0;         // capture time stamp, Unix seconds
    std::string node;     // whose link
    std::string segment;  // the link's segment
    Frame frame;
    std::string payload;  // the UDP or TCP payload (bytes), for telling relayed datagrams apart
};

// A node as seen on one segment: the node whose link carries it there and
// the addresses it has on it.
struct Side {
    std::string segment;
    std::string node;  // the node itself, or the NAT it is behind on this segment
    std::vector<std::string> addresses;
};

struct WirePlan {
    std::map<std::string, std::vector<Side>> sides;  // node -> its sides, innermost first
    std::map<std::string, std::string> kind;         // node -> "host" | "NAT"
};

WirePlan wire_plan(const Topology& topology);

// What the captures held; `read` is false when none were read.
struct WireEvidence {
    WirePlan plan;
    std::vector<WirePacket> packets;
    bool read = false;
    std::string note;  // a capture that could not be read
};

// Packets across the segment where two nodes meet, from one side to the other.
struct Flow {
    std::size_t packets = 0, bytes = 0, delivered = 0;
    std::optional<double> first_sent, first_delivered;  // Unix seconds
    std::string first;  // "198.18.1.1:4000 -> 198.18.1.2:4001", the first delivered (or sent) one
};

struct Meeting {
    Side a, b;  // a's and b's side on the segment they meet on
};

std::optional<Meeting> meeting_of(const WirePlan& plan, const std::string& a, const std::string& b);

// One packet sent from m.a's side to m.b's side, and whether it arrived.
struct Crossing {
    const WirePacket* packet;
    bool delivered;
};
std::vector<Crossing> crossings_of(const std::vector<WirePacket>& packets, const Meeting& m,
                                   const Side& receiver, const std::string& protocol = "");

// Whether `inner` (or 24 bytes of it) is carried in `outer`.
bool carries(const std::string& outer, const std::string& inner);

// Packets from m.a's side to m.b's side (only `protocol` when not empty),
// delivered meaning seen on `receiver` (the receiving host's own side).
Flow flow_of(const std::vector<WirePacket>& packets, const Meeting& m, const Side& receiver,
             const std::string& protocol = "");

struct WireJudgement {
    bool held = false;
    std::string detail;  // why not, when it did not hold
    std::string seen;    // what the captures showed, held or not
};

// "alice <-> bob direct", "alice <-> bob relayed via server",
// "traffic between home-a and home-b: packets >= 10".
std::string describe_wire(const Expectation& e);

// `t0`: the hosts' start, Unix seconds (0: from the first packet).
WireJudgement judge_wire(const Expectation& e, const WireEvidence& evidence, double t0);

// Reads every link's pcap of a run directory (I/O; libpcap): a missing or
// unreadable capture is noted and skipped.
WireEvidence read_wire_evidence(const Topology& topology, const std::string& out_dir);

// One pcap into packets of `node`'s link on `segment`; throws SetupError.
std::vector<WirePacket> read_capture(const std::string& file, const std::string& node,
                                     const std::string& segment);

}  // namespace natlab::harness
