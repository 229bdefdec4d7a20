#include "simulator/emu/emu_options6.h"

#include <cmath>

#include "src/net/setup_error.h"

namespace natlab::nat {
namespace {

constexpr const char* kBehaviours = "endpoint-independent, address-dependent or address-and-port-dependent";

[[noreturn]] void bad(const std::string& flag, const std::string& text, const std::string& expected) {
    throw SetupError{flag + ": expected " + expected + ", got '" + text + "'"};
}

// An interface address whose prefix is a /64, global or unique local.
InterfaceAddress6 interface64(const std::optional<std::string>& text, const char* flag) {
    if (!text)
        throw SetupError{std::string{flag} + " is required with --ipv6 route, firewall, nptv6 or nat64"};
    auto a = InterfaceAddress6::parse(*text);
    if (!a || a->prefix.length != 64 || is_link_local(a->address) || is_multicast(a->address))
        bad(flag, *text, "a global or unique local address with its /64, e.g. 2001:2:0:1::1/64");
    return *a;
}

Millis seconds_of(double seconds, const char* flag) {
    if (!std::isfinite(seconds) || seconds <= 0 || seconds > 86400 * 365)
        throw SetupError{std::string{flag} + ": expected a positive number of seconds, got " +
                         std::to_string(seconds)};
    return Millis{static_cast<Millis::rep>(std::llround(seconds * 1000))};
}

bool on_off(const std::string& text, const char* flag) {
    if (text != "on" && text != "off") bad(flag, text, "on or off");
    return text == "on";
}

// A next hop we can reach: on the outside /64 (not ours) or link-local.
void check_next_hop(const Ipv6& hop, const Ipv6Config& c, const std::string& flag, const std::string& text) {
    if (hop == c.outside.address) throw SetupError{flag + " " + text + ": the next hop is our own address"};
    if (!c.outside.prefix.contains(hop) && !is_link_local(hop))
        throw SetupError{flag + " " + text + ": the next hop is not on the outside link " +
                         c.outside.prefix.to_string()};
}

void apply_routes(const RawOptions6& r, Ipv6Config& c) {
    if (!c.outside_link && (r.gateway || !r.routes.empty()))
        throw SetupError{"--route6 and --ipv6-gateway need --outside6"};
    for (const auto& text : r.routes) {
        auto route = Route6::parse(text);
        if (!route) bad("--route6", text, "PREFIX/LEN,NEXTHOP, e.g. 2001:2:0:2::/64,2001:2::102");
        if (route->prefix.overlaps(c.inside.prefix))
            throw SetupError{"--route6 " + text + ": the prefix overlaps the inside prefix " +
                             c.inside.prefix.to_string()};
        check_next_hop(route->next_hop, c, "--route6", text);
        c.routes.push_back(*route);
    }
    if (!r.gateway) return;
    auto gateway = Ipv6::parse(*r.gateway);
    if (!gateway) bad("--ipv6-gateway", *r.gateway, "an IPv6 address");
    check_next_hop(*gateway, c, "--ipv6-gateway", *r.gateway);
    c.gateway = gateway;
}

void apply_firewall(const RawOptions6& r, Ipv6Config& c) {
    bool firewall = c.mode == Ipv6Mode::Firewall;
    for (auto [given, flag] : {std::pair{r.filtering.has_value(), "--ipv6-filtering"},
                               std::pair{r.udp_seconds.has_value(), "--ipv6-udp-timeout"},
                               std::pair{r.tcp_seconds.has_value(), "--ipv6-tcp-timeout"},
                               std::pair{r.refresh.has_value(), "--ipv6-refresh-on-inbound"},
                               std::pair{r.echo.has_value(), "--ipv6-echo-inbound"}})
        if (given && !firewall) throw SetupError{std::string{flag} + " applies to --ipv6 firewall only"};
    auto& f = c.firewall;
    if (r.filtering) {
        auto filtering = parse_filtering_behaviour(*r.filtering);
        if (!filtering) bad("--ipv6-filtering", *r.filtering, kBehaviours);
        f.filtering = *filtering;
    }
    if (r.udp_seconds) f.udp_timeout = seconds_of(*r.udp_seconds, "--ipv6-udp-timeout");
    if (r.tcp_seconds) f.tcp_timeout = seconds_of(*r.tcp_seconds, "--ipv6-tcp-timeout");
    if (r.refresh) f.refresh_on_inbound = on_off(*r.refresh, "--ipv6-refresh-on-inbound");
    if (r.echo) f.echo_inbound = on_off(*r.echo, "--ipv6-echo-inbound");
}

void apply_nptv6(const RawOptions6& r, Ipv6Config& c) {
    if (c.mode != Ipv6Mode::Nptv6) {
        if (r.nptv6_prefix) throw SetupError{"--nptv6-prefix applies to --ipv6 nptv6 only"};
        return;
    }
    if (!r.nptv6_prefix) throw SetupError{"--ipv6 nptv6 needs --nptv6-prefix P/64 (the external prefix)"};
    auto p = Ipv6Prefix::parse(*r.nptv6_prefix);
    if (!p || p->length != 64) bad("--nptv6-prefix", *r.nptv6_prefix, "a /64 prefix, e.g. 2001:2:0:11::/64");
    if (p->overlaps(c.inside.prefix) || p->overlaps(c.outside.prefix))
        throw SetupError{"--nptv6-prefix " + *r.nptv6_prefix + " overlaps the inside or outside prefix"};
    std::string why;
    if (!v6::Nptv6::make(c.inside.prefix, *p, why))
        throw SetupError{"--nptv6-prefix " + *r.nptv6_prefix + ": " + why};
    c.nptv6_prefix = p;
}

// nat64: the prefix IPv4 addresses are embedded in (RFC 6052 section 2.2).
void apply_nat64(const RawOptions6& r, Ipv6Config& c) {
    if (c.mode != Ipv6Mode::Nat64) {
        if (r.nat64_prefix) throw SetupError{"--nat64-prefix applies to --ipv6 nat64 only"};
        return;
    }
    if (!r.nat64_prefix) return;
    auto p = Ipv6Prefix::parse(*r.nat64_prefix);
    if (!p || !v6::valid_nat64_prefix(*p))
        bad("--nat64-prefix", *r.nat64_prefix,
            "an RFC 6052 prefix of 32, 40, 48, 56, 64 or 96 bits (bits 64-71 zero), e.g. 64:ff9b::/96");
    if (p->overlaps(c.inside.prefix) || (c.outside_link && p->overlaps(c.outside.prefix)))
        throw SetupError{"--nat64-prefix " + *r.nat64_prefix + " overlaps the inside or outside prefix"};
    c.nat64_prefix = *p;
}

// Our outside IPv6 address; nat64 may go without one (the outside is IPv4 only).
void apply_outside(const RawOptions6& r, Ipv6Config& c) {
    if (c.mode == Ipv6Mode::Nat64 && !r.outside) {
        c.outside_link = false;
        return;
    }
    c.outside = interface64(r.outside, "--outside6");
    if (c.inside.prefix.overlaps(c.outside.prefix))
        throw SetupError{"--inside6 " + *r.inside + " and --outside6 " + *r.outside + " overlap"};
}

void refuse_without_mode(const RawOptions6& r) {
    bool any = r.inside || r.outside || r.gateway || !r.routes.empty() || r.nptv6_prefix || r.nat64_prefix ||
               r.filtering || r.udp_seconds || r.tcp_seconds || r.refresh || r.echo ||
               r.advertisement_seconds;
    if (any)
        throw SetupError{
            "--inside6, --outside6 and the other IPv6 flags need --ipv6 route, firewall, nptv6 or nat64"};
}

}  // namespace

void add_ipv6_options(CLI::App& app, RawOptions6& r) {
    app.add_option("--ipv6", r.mode, "off|route|firewall|nptv6|nat64: what to do with IPv6 (default off)");
    app.add_option("--inside6", r.inside, "our LAN IPv6 address and its /64, e.g. 2001:2:0:1::1/64");
    app.add_option("--outside6", r.outside, "our IPv6 address on the outside link and its /64");
    app.add_option("--route6", r.routes, "PREFIX/LEN,NEXTHOP via the outside link (repeatable)")
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    app.add_option("--ipv6-gateway", r.gateway, "IPv6 default route on the outside link");
    app.add_option("--ipv6-filtering", r.filtering,
                   "firewall: endpoint-independent|address-dependent|address-and-port-dependent (default "
                   "endpoint-independent)");
    app.add_option("--ipv6-udp-timeout", r.udp_seconds, "firewall: idle seconds of UDP state (default 300)");
    app.add_option("--ipv6-tcp-timeout", r.tcp_seconds, "firewall: idle seconds of TCP state (default 7440)");
    app.add_option("--ipv6-refresh-on-inbound", r.refresh, "firewall: on|off (default off)");
    app.add_option("--ipv6-echo-inbound", r.echo,
                   "firewall: on|off, echo requests from outside (default on)");
    app.add_option("--nptv6-prefix", r.nptv6_prefix, "nptv6: the external /64 of the inside prefix");
    app.add_option("--nat64-prefix", r.nat64_prefix, "nat64: the RFC 6052 prefix (default 64:ff9b::/96)");
    app.add_option("--router-advertisements", r.advertisement_seconds,
                   "seconds between RAs of the LAN prefix on the inside link (default: none)");
}

Ipv6Config ipv6_config(const RawOptions6& r) {
    Ipv6Config c;
    auto mode = parse_ipv6_mode(r.mode);
    if (!mode) bad("--ipv6", r.mode, "off, route, firewall, nptv6 or nat64");
    c.mode = *mode;
    if (!c.enabled()) {
        refuse_without_mode(r);
        return c;
    }
    c.inside = interface64(r.inside, "--inside6");
    apply_outside(r, c);
    apply_routes(r, c);
    apply_firewall(r, c);
    apply_nptv6(r, c);
    apply_nat64(r, c);
    if (r.advertisement_seconds)
        c.router_advertisements = seconds_of(*r.advertisement_seconds, "--router-advertisements");
    return c;
}

}  // namespace natlab::nat
