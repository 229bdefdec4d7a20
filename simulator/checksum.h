// The Internet checksum (RFC 1071) and its incremental update (RFC 1624).
//
// The NAT rewrites one address and one port per packet. Rather than summing
// the whole datagram again, it patches the existing checksums with the
// difference between the old and new 16-bit words, using RFC 1624 equation 3,
// HC' = ~(~HC + ~m + m'), which never produces the negative zero that the
// older RFC 1141 form could. Full computation is kept for building packets
// and for tests that verify a rewrite by recomputing from scratch.
#pragma once

#include <cstdint>
#include <span>

#include "endpoint.h"

namespace natlab::nat {

// One's-complement sum of the bytes, added to `sum` (odd tail padded with 0).
std::uint32_t checksum_add(std::span<const std::byte> bytes, std::uint32_t sum = 0);

// Folds carries and complements: the value to store in a checksum field.
std::uint16_t checksum_finish(std::uint32_t sum);

// The checksum of a whole buffer; 0 when the buffer already holds a correct one.
std::uint16_t internet_checksum(std::span<const std::byte> bytes);

// The UDP checksum (RFC 768) over the pseudo-header and `segment`, ignoring
// whatever the segment's own checksum field holds. A computed 0 is returned
// as 0xffff, because 0 on the wire means "no checksum".
std::uint16_t udp_checksum(Ipv4 source, Ipv4 destination, std::span<const std::byte> segment);

// RFC 1624 eqn 3: `checksum` after one 16-bit word changed from `old_word` to `new_word`.
std::uint16_t checksum_adjust(std::uint16_t checksum, std::uint16_t old_word, std::uint16_t new_word);

// The same for a 32-bit field (an IPv4 address): two word updates.
std::uint16_t checksum_adjust32(std::uint16_t checksum, std::uint32_t old_value, std::uint32_t new_value);

}  // namespace natlab::nat
