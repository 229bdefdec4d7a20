// Strong types for IPv4 addresses, UDP endpoints and subnets.
//
// Every component of nat-lab speaks in these types: the wire codec, the
// rendezvous server, the peer, the NAT emulator and the harness. Values are
// kept in host byte order; conversion to network order happens only at the
// edges that touch sockets or raw frames.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace natlab {

struct Ipv4 {
    std::uint32_t value = 0;  // host byte order

    static std::optional<Ipv4> parse(std::string_view text);
    std::string to_string() const;
    auto operator<=>(const Ipv4&) const = default;
};

struct Endpoint {
    Ipv4 addr;
    std::uint16_t port = 0;

    // "a.b.c.d:port"; the port must be present and in 0..65535.
    static std::optional<Endpoint> parse(std::string_view text);
    std::string to_string() const;
    auto operator<=>(const Endpoint&) const = default;
};

struct Cidr {
    Ipv4 base;
    int prefix = 32;

    // "a.b.c.d/len"; host bits must be zero.
    static std::optional<Cidr> parse(std::string_view text);
    std::string to_string() const;
    std::uint32_t mask() const;
    bool contains(Ipv4 ip) const;
    // The n-th address of the subnet (base + n), if it is inside it.
    std::optional<Ipv4> host(std::uint32_t n) const;
    auto operator<=>(const Cidr&) const = default;
};

struct EndpointHash {
    std::size_t operator()(const Endpoint& e) const noexcept {
        return (static_cast<std::size_t>(e.addr.value) << 16) ^ e.port;
    }
};

}  // namespace natlab
