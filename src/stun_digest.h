// The two checksums STUN puts at the end of a message.
//
// FINGERPRINT (RFC 8489 section 14.7) is the CRC-32 of ISO/IEC 3309 / ITU-T
// V.42 (the zlib/Ethernet polynomial, reflected, init and final xor all-ones)
// taken over the message, xored with 0x5354554e. MESSAGE-INTEGRITY (section
// 14.5) is HMAC-SHA1 keyed with the credential. Both are small, table-free
// implementations: STUN messages are a few hundred bytes, so speed does not
// matter and auditability does.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace natlab::stun {

using Sha1Digest = std::array<std::byte, 20>;

// CRC-32 (reflected polynomial 0xEDB88320) of the bytes.
std::uint32_t crc32(std::span<const std::byte> bytes);

// SHA-1 (FIPS 180-4) of the bytes.
Sha1Digest sha1(std::span<const std::byte> bytes);

// HMAC-SHA1 (RFC 2104) of the message under the key.
Sha1Digest hmac_sha1(std::span<const std::byte> key, std::span<const std::byte> message);

}  // namespace natlab::stun
