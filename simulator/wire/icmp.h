// ICMP at the NAT (RFC 792, RFC 1812 §4.3, RFC 5508).
//
// Theory of operation
// -------------------
// The NAT meets ICMP in four roles.
//
//  - Queries. An echo request from inside and its reply are translated like
//    a UDP datagram and its answer, the identifier playing the port (RFC 5508
//    REQ-1): the request's identifier is the inside "port" that gets a
//    mapping, the reply is looked up by the identifier the NAT gave out. The
//    mapping and filtering behaviours apply as to UDP; the query timeout is
//    its own, 60 s by default (REQ-2 sets that as the floor). See packet.h
//    for how a Flow carries the identifier.
//  - Errors about translated flows: destination unreachable (including
//    "fragmentation needed", which path MTU discovery lives on), time
//    exceeded and parameter problem. An error quotes the packet that caused
//    it, as that packet looked where it failed, so the NAT must translate the
//    quote as well as the outer header (REQ-3 to REQ-5): arriving from
//    outside, the quote's *source* is one of our external endpoints and goes
//    back to the inside endpoint, and the outer destination follows it;
//    leaving from inside, the quote's *destination* is an inside endpoint and
//    becomes the external one, and the outer source becomes our external
//    address. The ICMP checksum is checked first (REQ-3: a bad one is dropped
//    silently) and recomputed after; the quoted IPv4 header must be intact
//    (REQ-3a) and its checksum is patched; the quoted UDP/TCP/ICMP checksum is
//    never verified (REQ-3c), but is patched incrementally when the quote
//    reaches it, which keeps it right for a receiver that looks. An error
//    about a flow with no live mapping is dropped (REQ-4, REQ-5), and errors
//    never refresh or delete a mapping (REQ-6; RFC 5382 REQ-10).
//  - Errors the NAT originates as a router: time exceeded when a packet's
//    TTL runs out here (RFC 1812 §5.3.1, RFC 5508 REQ-10), from the address of
//    the link the packet came in on, so traceroute shows the NAT; and
//    destination unreachable, "communication administratively prohibited",
//    when no mapping can be made for a new flow (REQ-8). Never about an ICMP
//    error, a fragment, or a packet from an address that is not a unicast host
//    (RFC 1812 §4.3.2.7). The quote is as much of the packet as fits in a
//    576-byte error (§4.3.2.3).
//  - Echo requests to the NAT's own addresses, which it answers.
//
// Everything else (timestamps, redirects, router advertisements, the
// deprecated source quench) is dropped as unsupported-icmp, which REQ-11 allows.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "simulator/wire/drop_reason.h"
#include "simulator/wire/packet.h"
#include "src/net/endpoint.h"

namespace natlab::nat {

inline constexpr std::uint8_t kIcmpEchoReply = 0;
inline constexpr std::uint8_t kIcmpDestinationUnreachable = 3;
inline constexpr std::uint8_t kIcmpEchoRequest = 8;
inline constexpr std::uint8_t kIcmpTimeExceeded = 11;
inline constexpr std::uint8_t kIcmpParameterProblem = 12;

inline constexpr std::uint8_t kIcmpPortUnreachable = 3;              // code, type 3
inline constexpr std::uint8_t kIcmpFragmentationNeeded = 4;          // code, type 3
inline constexpr std::uint8_t kIcmpAdministrativelyProhibited = 13;  // code, type 3
inline constexpr std::uint8_t kIcmpTtlExceededInTransit = 0;         // code, type 11

inline constexpr std::size_t kIcmpHeaderSize = 8;
inline constexpr std::size_t kIcmpErrorMaxSize = 576;  // RFC 1812 §4.3.2.3

enum class IcmpKind : std::uint8_t { EchoRequest, EchoReply, Error, Other };
IcmpKind icmp_kind(std::uint8_t type);

// The packet quoted by the ICMP error `error`, once the error's checksum has
// been verified; nullopt and `why` otherwise.
std::optional<QuotedPacket> quoted_packet_of(Ipv4Packet& error, DropReason& why);

// Recomputes the ICMP checksum of `packet` after its quote was rewritten.
void refresh_icmp_checksum(Ipv4Packet& packet);

// May a router answer `packet` with an ICMP error (RFC 1812 §4.3.2.7)?
bool may_send_error_about(const Ipv4Packet& packet);

// An ICMP error from `from` to the sender of `original`, quoting as much of
// it as fits in 576 bytes.
std::vector<std::byte> build_icmp_error(Ipv4 from, std::uint8_t type, std::uint8_t code,
                                        std::span<const std::byte> original);

// Turns the echo request `packet` into its reply, in place: addresses
// swapped, type 0, TTL 64, checksums patched.
void answer_echo(Ipv4Packet& packet);

}  // namespace natlab::nat
