// ICMP error translation for NAT64: RFC 7915 sections 4.2-4.3 (ICMPv4 to
// ICMPv6) and 5.2-5.3 (ICMPv6 to ICMPv4), the part of SIIT that siit.h
// leaves out.
//
// Theory of operation
// -------------------
// An ICMP error carries the start of the packet that caused it (the
// "packet in error"). A NAT64 that translates the error must translate that
// quoted packet too, as if it were a packet of its own, so that the host
// receiving the error can match it to its socket (sections 4.3 and 5.3).
// This module does both layers in one step and nothing else: no state, no
// mapping look-up. The stateful NAT64 (RFC 6146) works it like this:
//
//   1. `quoted_flow` reads the quoted packet's protocol, addresses and
//      ports (an echo's identifier as the port, as in packet.h), after the
//      checks the translation will make, so the NAT can look up its mapping;
//   2. the NAT finds the addresses and ports the quote must carry on the
//      other side (the inside endpoint of the mapping, the embedded address
//      of the IPv4 peer) and the outer addresses;
//   3. `icmp_error_to_ipv6` / `icmp_error_to_ipv4` build the translated
//      error; nullopt and a reason when the RFC says to drop it.
//
// The outer message. The type and code follow the RFC's tables (RFC 7915
// section 4.2 and 5.2; the .cpp repeats them beside the code). Two carry a
// number that changes too:
//   - Fragmentation Needed (3/4) becomes Packet Too Big (2/0) with the MTU
//     raised by the 20 bytes IPv6's header is longer, capped by the next-hop
//     MTUs and never below 1280, the IPv6 minimum. A router that sent an MTU
//     of 0 (pre-RFC 1191) gets the largest RFC 1191 plateau below the
//     quoted packet's total length, and then the same rule;
//   - Packet Too Big becomes Fragmentation Needed with the MTU lowered by 20,
//     capped by the IPv4 next-hop MTU and the IPv6 one less 20;
//   - Parameter Problem pointers move to the same field in the other header
//     (figures 3 and 6); a field with no counterpart drops the error.
// The outer checksum is verified first (a bad one is dropped, as RFC 5508
// REQ-3 asks of a NAT44) and computed afresh: ICMPv6 sums a pseudo-header,
// ICMPv4 does not. TTL and hop limit are copied (the caller forwards and
// decrements, as for siit.h). An RFC 4884 extension after the quote is
// removed and the length attribute cleared.
//
// The quoted packet. Its header is rewritten as siit.h rewrites a packet
// (traffic class and TOS, hop limit and TTL copied, not decremented, DF set,
// identification 0, IPv4 options dropped), with the caller's addresses; the
// length field keeps the length of the original packet, not of the quote
// (section 4.3: "just like a normal IP packet"). Its transport keeps what
// was quoted, with the caller's ports (UDP, TCP; the identifier of an echo)
// and, for an echo, the other family's type. Its checksum, when the quote
// reaches it, is patched by the difference of the pseudo-headers and of the
// words that changed (RFC 1624), never recomputed: the quote is usually cut
// short. A UDP checksum of 0 (none) stays 0. Nothing is required of the
// quoted transport beyond its first 8 bytes (RFC 792's promise).
//
// Refused (section 4.3 and 5.3 allow one level only, and there is no
// fragment header to quote): a quote that is itself an ICMP error or any
// ICMP other than echo, a quoted fragment, a quoted protocol other than
// UDP, TCP, ICMP, a quote shorter than a header and 8 bytes.
//
// Sizes. The translated error is cut, at the end of the quote, to 1280
// bytes towards IPv6 (the IPv6 minimum MTU, as RFC 4443 section 2.4 (c)
// sizes an ICMPv6 error) and to 576 bytes towards IPv4 (RFC 1812 section
// 4.3.2.3), so it never needs fragmenting.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "simulator/wire/drop_reason.h"
#include "simulator/wire/ipv6_packet.h"
#include "simulator/wire/packet.h"
#include "src/net/endpoint.h"
#include "src/net/ipv6.h"

namespace natlab::v6 {

// The translator's next-hop MTUs on its IPv4 and IPv6 sides, for Packet
// Too Big and Fragmentation Needed (the lab's links are 1500 bytes).
struct NextHopMtus {
    std::uint32_t ipv4 = 1500;
    std::uint32_t ipv6 = 1500;
};

// What the quoted packet carries after translation: its source and
// destination, ports included (an echo request's identifier is the
// source port, a reply's the destination port; other ports are ignored).
struct QuotedAddresses6 {
    Endpoint6 source;
    Endpoint6 destination;
};
struct QuotedAddresses4 {
    Endpoint source;
    Endpoint destination;
};

// Is this an ICMP error this module handles (ICMPv4 types 3, 11, 12;
// ICMPv6 types 0-127) rather than a query: the datapath's choice between
// this module and siit.h's to_ipv6 / to_ipv4 (which refuse the rest).
bool is_icmp_error(const nat::Ipv4Packet& packet);
bool is_icmp_error(const nat::Ipv6Packet& packet);

// The flow of the packet an error quotes, as it was sent (for a NAT64, the
// flow it translated and sent out), once every check of the translation
// has passed; nullopt and `why` when the error would be dropped.
std::optional<nat::Flow> quoted_flow(const nat::Ipv4Packet& error, nat::DropReason& why);
std::optional<nat::Flow6> quoted_flow(const nat::Ipv6Packet& error, nat::DropReason& why);

// An ICMPv4 error (typically from the IPv4 internet, about a packet the NAT
// sent out) as an ICMPv6 error from `source` to `destination`, quoting the
// packet with `quoted`'s addresses and ports.
std::optional<std::vector<std::byte>> icmp_error_to_ipv6(const nat::Ipv4Packet& error, const Ipv6& source,
                                                         const Ipv6& destination,
                                                         const QuotedAddresses6& quoted, nat::DropReason& why,
                                                         NextHopMtus mtus = {});

// An ICMPv6 error (from the IPv6 LAN, or generated by the NAT) as an ICMPv4
// error from `source` to `destination`, quoting the packet with `quoted`'s.
std::optional<std::vector<std::byte>> icmp_error_to_ipv4(const nat::Ipv6Packet& error, Ipv4 source,
                                                         Ipv4 destination, const QuotedAddresses4& quoted,
                                                         nat::DropReason& why, NextHopMtus mtus = {});

}  // namespace natlab::v6
