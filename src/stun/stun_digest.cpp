// CRC-32, SHA-1 and HMAC-SHA1 for STUN FINGERPRINT and MESSAGE-INTEGRITY.
//
// Theory of operation: each function is a pure transform of a byte span.
// SHA-1 pads the input the FIPS 180-4 way (a 1 bit, zeros, the 64-bit bit
// length) and runs 80 rounds per 64-byte block. HMAC hashes a key longer
// than one block first, then computes H((K ^ opad) || H((K ^ ipad) || m)).
// Nothing here is constant-time; the values protect against corruption and
// casual spoofing in a lab, not against a timing attacker.
#include "src/stun/stun_digest.h"

#include <bit>
#include <vector>

namespace natlab::stun {
namespace {

constexpr std::size_t kBlock = 64;

// The CRC of each byte value, one bit at a time (the table-free loop, run
// 256 times by the compiler).
constexpr std::array<std::uint32_t, 256> crc_table() {
    std::array<std::uint32_t, 256> table{};
    for (std::uint32_t n = 0; n < 256; ++n) {
        std::uint32_t c = n;
        for (int bit = 0; bit < 8; ++bit) c = (c >> 1) ^ (0xEDB88320 & (0 - (c & 1)));
        table[n] = c;
    }
    return table;
}
constexpr auto kCrcTable = crc_table();

struct Sha1State {
    std::array<std::uint32_t, 5> h{0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
};

std::uint32_t load_be32(const std::byte* p) {
    return (std::to_integer<std::uint32_t>(p[0]) << 24) | (std::to_integer<std::uint32_t>(p[1]) << 16) |
           (std::to_integer<std::uint32_t>(p[2]) << 8) | std::to_integer<std::uint32_t>(p[3]);
}

// Round function and constant for round t (FIPS 180-4 section 4.1.1, 4.2.1).
std::uint32_t round_mix(int t, std::uint32_t b, std::uint32_t c, std::uint32_t d) {
    if (t < 20) return ((b & c) | (~b & d)) + 0x5A827999;
    if (t < 40) return (b ^ c ^ d) + 0x6ED9EBA1;
    if (t < 60) return ((b & c) | (b & d) | (c & d)) + 0x8F1BBCDC;
    return (b ^ c ^ d) + 0xCA62C1D6;
}

void compress(Sha1State& state, const std::byte* block) {
    std::array<std::uint32_t, 80> w{};
    for (std::size_t t = 0; t < 16; ++t) w[t] = load_be32(block + 4 * t);
    for (std::size_t t = 16; t < 80; ++t) w[t] = std::rotl(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1);
    auto [a, b, c, d, e] = state.h;
    for (int t = 0; t < 80; ++t) {
        std::uint32_t temp = std::rotl(a, 5) + round_mix(t, b, c, d) + e + w[t];
        e = d;
        d = c;
        c = std::rotl(b, 30);
        b = a;
        a = temp;
    }
    state.h[0] += a;
    state.h[1] += b;
    state.h[2] += c;
    state.h[3] += d;
    state.h[4] += e;
}

// The message followed by 0x80, zeros, and the 64-bit big-endian bit length.
std::vector<std::byte> sha1_padded(std::span<const std::byte> bytes) {
    std::vector<std::byte> padded(bytes.begin(), bytes.end());
    padded.push_back(std::byte{0x80});
    while (padded.size() % kBlock != kBlock - 8) padded.push_back(std::byte{0});
    std::uint64_t bits = static_cast<std::uint64_t>(bytes.size()) * 8;
    for (int shift = 56; shift >= 0; shift -= 8)
        padded.push_back(static_cast<std::byte>((bits >> shift) & 0xff));
    return padded;
}

std::array<std::byte, kBlock> hmac_block_key(std::span<const std::byte> key) {
    std::array<std::byte, kBlock> block{};
    if (key.size() > kBlock) {
        auto digest = sha1(key);
        std::copy(digest.begin(), digest.end(), block.begin());
    } else {
        std::copy(key.begin(), key.end(), block.begin());
    }
    return block;
}

}  // namespace

std::uint32_t crc32(std::span<const std::byte> bytes, std::uint32_t previous) {
    std::uint32_t crc = ~previous;
    for (std::byte b : bytes) crc = kCrcTable[(crc ^ std::to_integer<std::uint32_t>(b)) & 0xff] ^ (crc >> 8);
    return ~crc;
}

Sha1Digest sha1(std::span<const std::byte> bytes) {
    Sha1State state;
    auto padded = sha1_padded(bytes);
    for (std::size_t off = 0; off < padded.size(); off += kBlock) compress(state, &padded[off]);
    Sha1Digest out{};
    for (std::size_t i = 0; i < out.size(); ++i)
        out[i] = static_cast<std::byte>((state.h[i / 4] >> (24 - 8 * (i % 4))) & 0xff);
    return out;
}

Sha1Digest hmac_sha1(std::span<const std::byte> key, std::span<const std::byte> message) {
    auto block = hmac_block_key(key);
    std::vector<std::byte> inner, outer;
    for (std::byte k : block) inner.push_back(k ^ std::byte{0x36});
    for (std::byte k : block) outer.push_back(k ^ std::byte{0x5c});
    inner.insert(inner.end(), message.begin(), message.end());
    auto inner_digest = sha1(inner);
    outer.insert(outer.end(), inner_digest.begin(), inner_digest.end());
    return sha1(outer);
}

}  // namespace natlab::stun
