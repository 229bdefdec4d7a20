// `nat-lab review OUTDIR`: the ladder of a run, from its captures and its
// NATs' event logs.
//
// Theory of operation: every link of a run has its own pcap, taken on the
// switch side of the node's veth, so one packet appears once per link it
// crossed: on its sender's link, on each receiver's link, and again,
// rewritten, on the far side of each NAT it went through. Review reads
// every pcap (libpcap), decodes each IPv4 frame (decode.h) and groups the
// sightings of one packet by what a NAT keeps (IPv4 identification,
// protocol, payload), within a few seconds. Sorted by time, a group is a
// chain of hops: a hop is one (segment, source, destination) as seen on
// the wire; its first sighting is the sender, the others are the nodes it
// reached. A NAT that received a packet and sent it on again, rewritten,
// translated it; a NAT that received it and sent nothing dropped it, and
// the NAT's event log says why (its `drop` lines, matched in order by the
// packet as the NAT saw it). What reached a host was delivered.
//
// The ladder is printed in time order (one line per packet, translations
// and drops indented under it) and drawn as an SVG sequence diagram in
// review.html: one lifeline per host and NAT, one arrow per hop.
//
// Review reads only files; it never needs the lab, and runs on a CI
// artifact as well as on a fresh run directory.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "harness/judge/decode.h"

namespace natlab::harness {

// One sighting of a frame on a link.
struct Sighting {
    double t = 0;      // seconds, capture time
    std::string node;  // whose link
    std::string segment;
    Frame frame;
};

// One packet's journey.
struct Hop {
    std::string segment;
    std::string sender;  // node that put it on the segment
    std::vector<std::string> receivers;
    std::string src, dst;  // as on this segment's wire
    double t = 0;
};

struct Journey {
    double t = 0;  // first sighting
    std::string protocol, what;
    std::vector<Hop> hops;
    std::string dropped_at;   // NAT that took it in and sent nothing, or empty
    std::string drop_reason;  // from the NAT's event log
    bool delivered = false;   // reached a host
};

// Pure: sightings (any order) into journeys (time order). `nats` names the
// NAT nodes; `drops` maps a NAT to its drop events in log order, each as
// {"a:p -> b:q", reason}.
using DropEvents = std::map<std::string, std::vector<std::pair<std::string, std::string>>>;
std::vector<Journey> build_journeys(std::vector<Sighting> sightings, const std::vector<std::string>& nats,
                                    const DropEvents& drops);

std::string render_ladder_text(const std::vector<Journey>& journeys,
                               const std::map<std::string, std::string>& names);
std::string render_ladder_html(const std::string& title, const std::vector<Journey>& journeys,
                               const std::vector<std::string>& lifelines,
                               const std::map<std::string, std::string>& names);

// The command: reads OUTDIR, prints the ladder when `print`, writes
// OUTDIR/review.html. Returns the exit code; throws SetupError for a
// directory that is not a run's.
int review_run(const std::string& out_dir, bool print);

}  // namespace natlab::harness
