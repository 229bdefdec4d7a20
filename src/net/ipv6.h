// IPv6 addresses and prefixes, as the lab's IPv6 plan names them
// (../shared/DESIGN.md: the internet in 2001:2::/48, LANs a /64 of it or of
// a ULA fd00::/8 prefix, NAT64 in 64:ff9b::/96).
//
// Theory of operation
// -------------------
// An address is its 16 bytes in network order, as they stand in a packet:
// the wire code copies them in and out without conversion, and comparing
// two addresses compares bytes.
//
// Text (RFC 4291 section 2.2): eight groups of 1-4 hex digits separated by
// colons; one run of zero groups may be written "::"; the last 32 bits may
// be written as an IPv4 dotted quad ("::ffff:198.18.0.2", "64:ff9b::c612:2").
// `parse` takes every such form and nothing else (no zone index, no
// brackets, at most one "::", no empty group elsewhere).
//
// `to_string` writes the one canonical form of RFC 5952: lowercase, no
// leading zeros in a group, the longest run of two or more zero groups as
// "::" (the first of equally long runs), a single zero group as "0".
// Dotted quads are not written (section 5 leaves them to address types that
// are IPv4-mapped; the lab has none).
//
// A prefix is an address and a length 0..128 whose host bits are zero.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace natlab {

struct Ipv6 {
    std::array<std::uint8_t, 16> bytes{};  // network order

    static std::optional<Ipv6> parse(std::string_view text);
    std::string to_string() const;
    // The 16-bit group i (0..7), in host order.
    std::uint16_t group(int i) const;
    void set_group(int i, std::uint16_t value);
    auto operator<=>(const Ipv6&) const = default;
};

// An IPv6 address and a port, written "[2001:2::5]:4000" (RFC 5952 section 6).
struct Endpoint6 {
    Ipv6 addr;
    std::uint16_t port = 0;

    static std::optional<Endpoint6> parse(std::string_view text);
    std::string to_string() const;
    auto operator<=>(const Endpoint6&) const = default;
};

struct Ipv6Prefix {
    Ipv6 base;
    int length = 128;

    // "addr/len"; host bits must be zero.
    static std::optional<Ipv6Prefix> parse(std::string_view text);
    std::string to_string() const;
    bool contains(const Ipv6& address) const;
    // Whether the two prefixes share any address (one contains the other).
    bool overlaps(const Ipv6Prefix& other) const;
    auto operator<=>(const Ipv6Prefix&) const = default;
};

}  // namespace natlab
