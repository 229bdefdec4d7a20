// Network-order reads and writes for the port mapping codecs (natpmp_codec,
// pcp_codec). Callers check the length before every read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace natlab::portmap_wire {

inline std::uint8_t load8(std::span<const std::byte> b, std::size_t at) {
    return std::to_integer<std::uint8_t>(b[at]);
}
inline std::uint16_t load16(std::span<const std::byte> b, std::size_t at) {
    return static_cast<std::uint16_t>((load8(b, at) << 8) | load8(b, at + 1));
}
inline std::uint32_t load32(std::span<const std::byte> b, std::size_t at) {
    return (std::uint32_t{load16(b, at)} << 16) | load16(b, at + 2);
}

// Appends, growing the buffer.
inline void put8(std::vector<std::byte>& out, std::uint8_t v) {
    out.push_back(std::byte{v});
}
inline void put16(std::vector<std::byte>& out, std::uint16_t v) {
    put8(out, static_cast<std::uint8_t>(v >> 8));
    put8(out, static_cast<std::uint8_t>(v));
}
inline void put32(std::vector<std::byte>& out, std::uint32_t v) {
    put16(out, static_cast<std::uint16_t>(v >> 16));
    put16(out, static_cast<std::uint16_t>(v));
}
inline void put_zeros(std::vector<std::byte>& out, std::size_t n) {
    out.insert(out.end(), n, std::byte{0});
}

}  // namespace natlab::portmap_wire
