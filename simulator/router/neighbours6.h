// The IPv6 neighbour cache of one link (RFC 4861): what arp.h is for IPv4.
//
// Theory of operation
// -------------------
// The kernel in the NAT's namespace has no IPv6 address on either link, so
// the emulator does neighbour discovery itself, one `Neighbours6` per link.
// It owns that link's global address (the first, the one its solicitations
// come from) and its link-local address (fe80:: from the MAC).
//
// Answering (section 7.2.4): a valid Neighbor Solicitation whose target is
// one of our addresses gets an advertisement from our MAC; it goes to the
// solicitor's link-layer address (its option, else the frame's source), or
// to all-nodes when the solicitor has no address yet (duplicate address
// detection). We listen on Ethernet for the solicited-node groups of our
// addresses and all-nodes (33:33 and the group's low 32 bits, RFC 2464
// section 7); `listens` says which multicast frames are ours.
//
// Learning: a solicitation with a source link-layer address creates or
// updates its sender's entry (section 7.2.3); an advertisement updates an
// entry that exists or that we wait for (section 7.2.5: others are not
// created from unsolicited advertisements).
//
// Resolving, as ARP does: `lookup` gives the MAC of a known neighbour (a
// stale one is still used, and re-solicited at most once per `retry`); on a
// miss the caller `enqueue`s the frame, the first queued frame sends a
// solicitation to the target's solicited-node group, the advertisement
// releases the queue in order, `tick` re-solicits every `retry` and after
// `attempts` gives the queue up ("neighbour unreachable"). Up to
// `queue_limit` frames wait per neighbour, then "arp queue full".
//
// Pure: frames out in an ArpOutput, time in as an argument.
#pragma once

#include <map>
#include <optional>
#include <vector>

#include "simulator/router/arp.h"
#include "simulator/v6/ndp.h"
#include "src/net/ipv6.h"

namespace natlab::nat {

struct NeighbourCounters {
    std::uint64_t solicitations_sent = 0;
    std::uint64_t advertisements_sent = 0;
};

// An IPv6 packet in an Ethernet frame to `to` from `from`.
Frame frame_ipv6(const std::vector<std::byte>& packet, MacAddress to, MacAddress from);

class Neighbours6 {
public:
    // `global` is this link's own global address; the link-local one comes from `mac`.
    Neighbours6(Ipv6 global, MacAddress mac, ArpTimers timers = {});

    bool owns(const Ipv6& address) const;
    // A multicast Ethernet destination we listen on (our solicited-node groups, all-nodes).
    bool listens(const MacAddress& destination) const;
    // A multicast IPv6 destination we listen on.
    bool listens(const Ipv6& group) const;

    // A valid solicitation that came in a frame from `frame_source`.
    void solicited(const v6::Solicitation& s, MacAddress frame_source, TimePoint now, ArpOutput& out);
    void advertised(const v6::Advertisement& a, TimePoint now, ArpOutput& out);

    std::optional<MacAddress> lookup(const Ipv6& next_hop, TimePoint now, ArpOutput& out);
    void enqueue(const Ipv6& next_hop, Frame frame, TimePoint now, ArpOutput& out);
    void tick(TimePoint now, ArpOutput& out);

    const Ipv6& global() const { return global_; }
    const Ipv6& link_local() const { return link_local_; }
    MacAddress mac() const { return mac_; }
    const NeighbourCounters& counters() const { return counters_; }
    std::size_t waiting() const;

private:
    using Neighbour = NeighbourEntry;
    using Pending = PendingFrames;

    void learn(const Ipv6& ip, MacAddress mac, TimePoint now, ArpOutput& out);
    void solicit(const Ipv6& target, ArpOutput& out);
    void retry_or_give_up(const Ipv6& ip, Pending& pending, TimePoint now, ArpOutput& out);

    Ipv6 global_;
    Ipv6 link_local_;
    MacAddress mac_;
    ArpTimers timers_;
    NeighbourCounters counters_;
    std::map<Ipv6, Neighbour> cache_;
    std::map<Ipv6, Pending> pending_;
};

}  // namespace natlab::nat
