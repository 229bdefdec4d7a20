// Stateful NAT64 (RFC 6146) as SIIT in front of the IPv4 NAT core.
//
// Theory of operation
// -------------------
// The IPv4 NAT (simulator/nat/nat.h) keeps the state: mappings, filtering,
// port allocation, timeouts, hairpinning and their events, per RFC 4787,
// exactly as for IPv4 hosts and in the same table, so the hosts of a
// dual-stack LAN share the public address and its ports whatever their
// family. This stage only turns packets from one family into the other
// around it:
//
//   outbound  an IPv6 packet from the LAN to an address under the NAT64
//             prefix (64:ff9b::/96 unless configured, RFC 6052 section 2.1)
//             becomes IPv4 (siit.h, RFC 7915 section 5) from its source
//             host's key (nat64_hosts.h: a synthetic 240/4 address) to the
//             embedded IPv4 address; the caller hands that to the NAT core,
//             which maps the key's endpoint to the public one;
//   inbound   an IPv4 packet the NAT core translated to a key's endpoint
//             becomes IPv6 (RFC 7915 section 4) from the remote address
//             embedded under the prefix to the host the key stands for.
//
// The caller checks the hop limit before (a packet that cannot be forwarded
// gets its Time Exceeded in IPv6) and the NAT core decrements the TTL, as
// one router hop should. Checksums are computed afresh over the new
// pseudo-header (the IPv6 one is checked first, so a damaged packet is not
// laundered into a valid one).
//
// ICMP errors, both ways, are translated with the packet they quote
// (icmp_translate.h, RFC 7915 sections 4.2 and 5.2): the NAT core matches
// the quote to its mapping in IPv4 (RFC 5508), this stage swaps the quote's
// key and embedded addresses for the host's and the prefix's. Echo requests
// and replies are translated (siit.h); the NAT core maps their identifiers.
//
// Refused: destinations whose embedded IPv4 address is not unicast (0/8,
// 127/8, 224/3, RFC 6052 section 3.1 leaves them untranslated), sources
// outside the LAN's prefix, hosts beyond the key table's bound, and errors
// whose quote names no host of ours.
#pragma once

#include <optional>
#include <vector>

#include "simulator/v6/nat64_hosts.h"
#include "simulator/v6/siit.h"

namespace natlab::v6 {

class Nat64 {
public:
    // Precondition: valid_nat64_prefix(prefix).
    Nat64(const Ipv6Prefix& prefix, const Ipv6Prefix& inside, std::size_t capacity = kNat64HostsDefault);

    const Ipv6Prefix& prefix() const { return prefix_; }
    bool translates(const Ipv6& destination) const { return prefix_.contains(destination); }
    // The IPv4 datagram standing for `packet` (its destination is under the prefix); nullopt with `why`.
    std::optional<std::vector<std::byte>> outbound(const nat::Ipv6Packet& packet, bool checksum_partial,
                                                   nat::DropReason& why);
    // The IPv6 packet standing for `packet` (its destination is a key); nullopt with `why`.
    std::optional<std::vector<std::byte>> inbound(const nat::Ipv4Packet& packet, nat::DropReason& why) const;
    // The inside IPv6 endpoint a key's endpoint stands for (the event log's "inside6").
    std::optional<Endpoint6> inside6(Endpoint key) const;
    const Nat64Hosts& hosts() const { return hosts_; }

private:
    std::optional<Ipv4> remote_of(const Ipv6& destination, nat::DropReason& why) const;
    std::optional<std::vector<std::byte>> error_to_ipv4(const nat::Ipv6Packet& packet, Ipv4 source,
                                                        Ipv4 destination, nat::DropReason& why) const;
    std::optional<std::vector<std::byte>> error_to_ipv6(const nat::Ipv4Packet& packet, const Ipv6& source,
                                                        const Ipv6& destination, nat::DropReason& why) const;

    Ipv6Prefix prefix_;
    Ipv6Prefix inside_;
    Nat64Hosts hosts_;
};

}  // namespace natlab::v6
