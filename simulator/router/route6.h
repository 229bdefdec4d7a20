// How nat-emu treats IPv6 (its mode), its IPv6 addresses, and which link
// and neighbour an IPv6 packet leaves by.
//
// Theory of operation
// -------------------
// IPv6 is off unless nat-emu is given a mode; then the box owns one global
// address on each link (each in a /64 that is on-link there) and the
// link-local address its MAC gives it (RFC 4291 appendix A). Routing is a
// small table, most specific first:
//   destination in the inside /64            -> inside link, on-link;
//   destination in the outside /64           -> outside link, on-link;
//   destination in a --route6 prefix         -> outside link, via its next hop;
//   anything else                            -> outside link via the gateway,
//                                               if one was given, else no route.
// Link-local destinations (fe80::/10) are never routed (RFC 4291 section 2.5.6).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "simulator/router/route.h"
#include "simulator/wire/drop_reason.h"
#include "src/net/ipv6.h"

namespace natlab::nat {

// What the box does to IPv6 packets it forwards.
//   off       IPv6 frames are counted and ignored (unsupported-ethertype);
//   route     a plain router: no state, no filter;
//   firewall  RFC 6092's stateful firewall (simulator/v6/firewall6.h);
//   nptv6     RFC 6296 prefix translation (simulator/v6/nptv6.h), no filter;
//   nat64     RFC 6146 stateful NAT64 for an IPv6 LAN onto the IPv4 NAT
//             (simulator/v6/nat64.h); other IPv6 destinations are routed.
enum class Ipv6Mode : std::uint8_t { Off, Route, Firewall, Nptv6, Nat64 };
inline constexpr Ipv6Mode kLastIpv6Mode = Ipv6Mode::Nat64;
std::string_view to_string(Ipv6Mode mode);
std::optional<Ipv6Mode> parse_ipv6_mode(std::string_view text);

// "2001:2:0:1::1/64": the address and its on-link prefix.
struct InterfaceAddress6 {
    Ipv6 address;
    Ipv6Prefix prefix;

    static std::optional<InterfaceAddress6> parse(std::string_view text);
    std::string to_string() const;
};

// "2001:2:0:2::/64,2001:2::102": a prefix reached through a next hop on the outside link.
struct Route6 {
    Ipv6Prefix prefix;
    Ipv6 next_hop;

    static std::optional<Route6> parse(std::string_view text);
    std::string to_string() const;
};

struct Routes6 {
    Ipv6Prefix inside;
    Ipv6Prefix outside;
    std::vector<Route6> via;  // most specific wins
    std::optional<Ipv6> gateway;
};

struct NextHop6 {
    Side side = Side::Outside;
    Ipv6 address;  // the neighbour to resolve with neighbour discovery
    auto operator<=>(const NextHop6&) const = default;
};

bool is_link_local(const Ipv6& address);  // fe80::/10
bool is_multicast(const Ipv6& address);   // ff00::/8

std::optional<NextHop6> next_hop(const Routes6& routes, const Ipv6& destination);
DropReason no_route(const Ipv6& destination);

}  // namespace natlab::nat
