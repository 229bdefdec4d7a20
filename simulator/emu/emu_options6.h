// nat-emu's IPv6 flags (emu_options.h lists them all):
//
//   --ipv6 off|route|firewall|nptv6|nat64   what the box does to IPv6 (default off)
//   --inside6 ADDR/64                 our LAN address; its /64 is the LAN's prefix
//   --outside6 ADDR/64                our address on the internet segment; its /64 is on-link
//                                     (optional with nat64: the outside may be IPv4 only)
//   --route6 PREFIX/LEN,NEXTHOP       repeatable: a prefix via a next hop on the outside link
//   --ipv6-gateway ADDR               default route outside (without it, unknown destinations are
//   unreachable)
//   --ipv6-filtering B                firewall:
//   endpoint-independent|address-dependent|address-and-port-dependent
//   --ipv6-udp-timeout S, --ipv6-tcp-timeout S, --ipv6-refresh-on-inbound on|off,
//   --ipv6-echo-inbound on|off        the firewall's other knobs (simulator/v6/firewall6.h)
//   --nptv6-prefix P/64               nptv6: the external prefix the inside /64 becomes
//   --nat64-prefix P/LEN              nat64: the RFC 6052 prefix (default 64:ff9b::/96)
//   --router-advertisements S         send the LAN's prefix in RAs every S seconds and on solicitation
//
// Each bad value is a SetupError naming the flag and the value.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>
#include <vector>

#include "simulator/router/datapath6.h"

namespace natlab::nat {

struct RawOptions6 {
    std::string mode = "off";
    std::optional<std::string> inside, outside, gateway, filtering, nptv6_prefix, refresh, echo, nat64_prefix;
    std::vector<std::string> routes;
    std::optional<double> udp_seconds, tcp_seconds, advertisement_seconds;
};

void add_ipv6_options(CLI::App& app, RawOptions6& r);
// Checks every IPv6 flag; throws SetupError naming the first bad one.
Ipv6Config ipv6_config(const RawOptions6& r);

}  // namespace natlab::nat
