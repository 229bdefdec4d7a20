// IPv4/IPv6 translation for NAT64: IPv4-embedded IPv6 addresses (RFC 6052)
// and the header translation of RFC 7915 (SIIT), which a stateful NAT64
// (RFC 6146) applies after choosing the addresses and ports.
//
// Theory of operation
// -------------------
// Addresses (RFC 6052 section 2.2). An IPv4 address is embedded in an IPv6
// prefix of 32, 40, 48, 56, 64 or 96 bits: its 32 bits follow the prefix,
// skipping bits 64-71 (the "u" octet, always zero), and the rest is zero.
// The lab's NAT64 uses the well-known prefix 64:ff9b::/96, where
// 198.18.0.2 is 64:ff9b::c612:2. `embed` writes such an address, `extract`
// reads one back (nullopt when the address is not under the prefix or its
// u octet is not zero).
//
// Headers (RFC 7915 sections 4.1 and 5.1). `to_ipv4` turns an IPv6 packet
// into IPv4: traffic class to TOS, hop limit to TTL (copied: the caller
// forwards, and decrements, as a router does), next header to protocol,
// Identification 0 and DF set (section 5.1: IPv6 packets are not
// fragmented on the way), the given addresses. `to_ipv6` does the reverse:
// TOS to traffic class, flow label 0, TTL to hop limit. The transport
// follows:
//   UDP, TCP   copied; the checksum computed afresh over the new
//              pseudo-header (an IPv4 UDP checksum of 0, "none", gets one:
//              section 4.5 allows computing it, and IPv6 needs it);
//   ICMP       echo request and reply only (ICMPv6 128/129 <-> ICMP 8/0,
//              sections 4.2 and 5.2), checksum computed afresh (ICMPv6's
//              covers a pseudo-header, ICMPv4's does not); every other
//              ICMP message is refused here: errors quote a packet that
//              must be translated too, which icmp_translate.h does.
// Ports are left as they are; a stateful NAT64 rewrites them afterwards
// with the usual set_source / set_destination of the IPv4 view.
#pragma once

#include <optional>
#include <vector>

#include "simulator/wire/ipv6_packet.h"
#include "simulator/wire/packet.h"
#include "src/net/ipv6.h"

namespace natlab::v6 {

// The NAT64 well-known prefix (RFC 6052 section 2.1).
inline const Ipv6Prefix kNat64WellKnown = *Ipv6Prefix::parse("64:ff9b::/96");

bool valid_nat64_prefix(const Ipv6Prefix& prefix);  // one of the six lengths, u octet clear
std::optional<Ipv6> embed(const Ipv6Prefix& prefix, Ipv4 address);
std::optional<Ipv4> extract(const Ipv6Prefix& prefix, const Ipv6& address);

std::optional<std::vector<std::byte>> to_ipv4(const nat::Ipv6Packet& packet, Ipv4 source, Ipv4 destination,
                                              nat::DropReason& why);
std::optional<std::vector<std::byte>> to_ipv6(const nat::Ipv4Packet& packet, const Ipv6& source,
                                              const Ipv6& destination, nat::DropReason& why);

}  // namespace natlab::v6
