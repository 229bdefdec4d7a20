// An endpoint of either IP family, for the rendezvous server and the peer.
//
// Theory of operation
// -------------------
// `Endpoint` (endpoint.h) stays the IPv4 endpoint the simulator's hot path
// is built on; its size and layout do not change. An `IpEndpoint` holds
// either an `Endpoint` or an `Endpoint6` (ipv6.h) and knows which: the
// server's registry, the protocol's endpoint attributes and the peer's
// candidates use it wherever an endpoint may be of either family. Both
// converting constructors are implicit, so code and tests that speak IPv4
// pass an `Endpoint` as they always did.
//
// Text: "198.18.0.2:3478" or "[2001:2::2]:3478" (RFC 5952 section 6, the
// bracketed form); `parse` takes either and `to_string` writes the one it
// holds. Order: every IPv4 endpoint sorts before every IPv6 one, then by
// address and port. `unmapped` turns an IPv4-mapped IPv6 address
// (::ffff:a.b.c.d, RFC 4291 section 2.5.5.2), which a dual-stack socket
// reports for an IPv4 peer, back into the IPv4 endpoint it stands for; the
// shells call it at the edge so the pure cores see true families.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include "src/net/endpoint.h"
#include "src/net/ipv6.h"

namespace natlab {

enum class Family : std::uint8_t { ipv4, ipv6 };
std::string_view to_string(Family family);  // "ipv4", "ipv6"

class IpEndpoint {
public:
    IpEndpoint() = default;  // 0.0.0.0:0
    IpEndpoint(Endpoint e) : v_(e) {}
    IpEndpoint(Endpoint6 e) : v_(e) {}

    static std::optional<IpEndpoint> parse(std::string_view text);
    std::string to_string() const;

    Family family() const { return v_.index() == 0 ? Family::ipv4 : Family::ipv6; }
    const Endpoint* v4() const { return std::get_if<Endpoint>(&v_); }
    const Endpoint6* v6() const { return std::get_if<Endpoint6>(&v_); }
    std::uint16_t port() const;
    IpEndpoint with_port(std::uint16_t port) const;
    // Same family and address (the port may differ).
    bool same_address(const IpEndpoint& other) const;
    // 0.0.0.0 or :: (a wildcard bind).
    bool unspecified() const;
    // ::ffff:a.b.c.d:p as a.b.c.d:p; anything else as it is.
    IpEndpoint unmapped() const;

    auto operator<=>(const IpEndpoint&) const = default;

private:
    std::variant<Endpoint, Endpoint6> v_;
};

// ::ffff:0:0/96 (RFC 4291 section 2.5.5.2).
bool ipv4_mapped(const Ipv6& address);
Ipv6 mapped_ipv6(Ipv4 address);

// The first endpoint of `family` in the list.
std::optional<IpEndpoint> first_of(std::span<const IpEndpoint> endpoints, Family family);

struct IpEndpointHash {
    std::size_t operator()(const IpEndpoint& e) const noexcept;
};

}  // namespace natlab
