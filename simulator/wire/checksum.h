// The Internet checksum (RFC 1071) and its incremental update (RFC 1624).
//
// The NAT rewrites one address and one port per packet. Rather than summing
// the whole datagram again, it patches the existing checksums with the
// difference between the old and new 16-bit words, using RFC 1624 equation 3,
// HC' = ~(~HC + ~m + m'), which never produces the negative zero that the
// older RFC 1141 form could. Full computation is kept for building packets,
// for ICMP errors (small, and their checksum covers a quoted packet the NAT
// also rewrites) and for tests that verify a rewrite by recomputing.
//
// Checksum offload. A sender that leaves the transport checksum to "the
// hardware" (CHECKSUM_PARTIAL on veth) stores in the field only the folded,
// uncomplemented sum of the pseudo-header; whoever finishes the job adds the
// segment to it. Such a partial sum is patched with `partial_adjust32`: the
// same one's-complement arithmetic without the complements. Ports are not in
// the pseudo-header, so changing a port never touches a partial sum.
#pragma once

#include <cstdint>
#include <span>

#include "src/net/endpoint.h"

namespace natlab::nat {

// One's-complement sum of the bytes, added to `sum` (odd tail padded with 0).
std::uint32_t checksum_add(std::span<const std::byte> bytes, std::uint32_t sum = 0);

// Folds carries and complements: the value to store in a checksum field.
std::uint16_t checksum_finish(std::uint32_t sum);

// The checksum of a whole buffer; 0 when the buffer already holds a correct one.
std::uint16_t internet_checksum(std::span<const std::byte> bytes);

// The folded, uncomplemented pseudo-header sum (RFC 768, RFC 9293 §3.1) for
// IP protocol `protocol` and a segment of `length` bytes.
std::uint32_t pseudo_header_sum(Ipv4 source, Ipv4 destination, std::uint8_t protocol, std::size_t length);

// The UDP checksum (RFC 768) over the pseudo-header and `segment`, ignoring
// whatever the segment's own checksum field holds. A computed 0 is returned
// as 0xffff, because 0 on the wire means "no checksum".
std::uint16_t udp_checksum(Ipv4 source, Ipv4 destination, std::span<const std::byte> segment);

// The TCP checksum (RFC 9293 §3.1), ignoring the segment's checksum field.
std::uint16_t tcp_checksum(Ipv4 source, Ipv4 destination, std::span<const std::byte> segment);

// The ICMP checksum (RFC 792): the message alone, ignoring its checksum field.
std::uint16_t icmp_checksum(std::span<const std::byte> message);

// RFC 1624 eqn 3: `checksum` after one 16-bit word changed from `old_word` to `new_word`.
std::uint16_t checksum_adjust(std::uint16_t checksum, std::uint16_t old_word, std::uint16_t new_word);

// The same for a 32-bit field (an IPv4 address): two word updates.
std::uint16_t checksum_adjust32(std::uint16_t checksum, std::uint32_t old_value, std::uint32_t new_value);

// A partial (offloaded) pseudo-header sum after an address changed.
std::uint16_t partial_adjust32(std::uint16_t partial, std::uint32_t old_value, std::uint32_t new_value);

}  // namespace natlab::nat
