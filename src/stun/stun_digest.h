// The two checksums STUN puts at the end of a message.
//
// FINGERPRINT (RFC 8489 section 14.7) is the CRC-32 of ISO/IEC 3309 / ITU-T
// V.42 (the zlib/Ethernet polynomial, reflected, init and final xor all-ones)
// taken over the message, xored with 0x5354554e. MESSAGE-INTEGRITY (section
// 14.5) is HMAC-SHA1 keyed with the credential. Both are small, plain
// implementations. The CRC runs on every datagram the server answers, so it
// uses the classic 256-entry table (computed at compile time from the
// polynomial, so there is nothing to audit but the loop that builds it).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace natlab::stun {

using Sha1Digest = std::array<std::byte, 20>;

// CRC-32 (reflected polynomial 0xEDB88320) of the bytes. Chains like
// zlib's: crc32(b, crc32(a)) == crc32(a followed by b).
std::uint32_t crc32(std::span<const std::byte> bytes, std::uint32_t previous = 0);

// SHA-1 (FIPS 180-4) of the bytes.
Sha1Digest sha1(std::span<const std::byte> bytes);

// HMAC-SHA1 (RFC 2104) of the message under the key.
Sha1Digest hmac_sha1(std::span<const std::byte> key, std::span<const std::byte> message);

}  // namespace natlab::stun
