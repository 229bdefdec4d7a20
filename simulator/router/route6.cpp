#include "simulator/router/route6.h"

#include <array>

#include "src/net/enum_names.h"

namespace natlab::nat {
namespace {

constexpr std::array kIpv6ModeNames{
    EnumName<Ipv6Mode>{Ipv6Mode::Off, "off"},           EnumName<Ipv6Mode>{Ipv6Mode::Route, "route"},
    EnumName<Ipv6Mode>{Ipv6Mode::Firewall, "firewall"}, EnumName<Ipv6Mode>{Ipv6Mode::Nptv6, "nptv6"},
    EnumName<Ipv6Mode>{Ipv6Mode::Nat64, "nat64"},
};
static_assert(names_in_order(kIpv6ModeNames, kLastIpv6Mode));

// The host bits of `address` cleared to `length`.
Ipv6Prefix prefix_of(Ipv6 address, int length) {
    for (int bit = length; bit < 128; ++bit)
        address.bytes[bit / 8] &= static_cast<std::uint8_t>(~(0x80u >> (bit % 8)));
    return {address, length};
}

std::optional<int> prefix_length(std::string_view digits) {
    if (digits.empty() || digits.size() > 3) return std::nullopt;
    int n = 0;
    for (char c : digits) {
        if (c < '0' || c > '9') return std::nullopt;
        n = n * 10 + (c - '0');
    }
    return n <= 128 ? std::optional{n} : std::nullopt;
}

}  // namespace

std::string_view to_string(Ipv6Mode mode) {
    return name_of(kIpv6ModeNames, mode);
}

std::optional<Ipv6Mode> parse_ipv6_mode(std::string_view text) {
    return value_of(kIpv6ModeNames, text);
}

std::optional<InterfaceAddress6> InterfaceAddress6::parse(std::string_view text) {
    auto slash = text.find('/');
    if (slash == std::string_view::npos) return std::nullopt;
    auto address = Ipv6::parse(text.substr(0, slash));
    auto length = prefix_length(text.substr(slash + 1));
    if (!address || !length || *length == 0) return std::nullopt;
    return InterfaceAddress6{*address, prefix_of(*address, *length)};
}

std::string InterfaceAddress6::to_string() const {
    return address.to_string() + '/' + std::to_string(prefix.length);
}

std::optional<Route6> Route6::parse(std::string_view text) {
    auto comma = text.find(',');
    if (comma == std::string_view::npos) return std::nullopt;
    auto prefix = Ipv6Prefix::parse(text.substr(0, comma));
    auto hop = Ipv6::parse(text.substr(comma + 1));
    if (!prefix || !hop) return std::nullopt;
    return Route6{*prefix, *hop};
}

std::string Route6::to_string() const {
    return prefix.to_string() + ',' + next_hop.to_string();
}

bool is_link_local(const Ipv6& a) {
    return a.bytes[0] == 0xfe && (a.bytes[1] & 0xc0) == 0x80;
}

bool is_multicast(const Ipv6& a) {
    return a.bytes[0] == 0xff;
}

std::optional<NextHop6> next_hop(const Routes6& routes, const Ipv6& destination) {
    if (is_link_local(destination) || is_multicast(destination)) return std::nullopt;
    if (routes.inside.contains(destination)) return NextHop6{Side::Inside, destination};
    if (routes.outside.contains(destination)) return NextHop6{Side::Outside, destination};
    const Route6* best = nullptr;
    for (const auto& r : routes.via)
        if (r.prefix.contains(destination) && (!best || r.prefix.length > best->prefix.length)) best = &r;
    if (best) return NextHop6{Side::Outside, best->next_hop};
    if (routes.gateway) return NextHop6{Side::Outside, *routes.gateway};
    return std::nullopt;
}

DropReason no_route(const Ipv6& destination) {
    return {DropCode::NoRoute, "no route to " + destination.to_string()};
}

}  // namespace natlab::nat
