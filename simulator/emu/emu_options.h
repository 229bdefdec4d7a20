// nat-emu's command line.
//
//   nat-emu --name NAME --inside IFNAME --inside-address 10.0.1.1/24
//           --outside IFNAME --outside-address 198.18.1.1/15 [--outside-address 198.18.1.2 ...]
//           [--outside-gateway IP] [--type full-cone|restricted|port-restricted|symmetric|PROFILE]
//           [--mapping B] [--filtering B] [--port-allocation preserve|sequential|random]
//           [--pooling paired|arbitrary] [--port-range LO-HI] [--mapping-timeout SECONDS]
//           [--icmp-timeout SECONDS] [--tcp-established-timeout SECONDS]
//           [--tcp-transitory-timeout SECONDS] [--hairpin on|off] [--refresh-on-inbound on|off]
//           [--icmp-errors on|off] [--events FILE] [--ready-fd N]
//           [--mapping-timeout-before-inbound SECONDS] [--port-parity on|off]
//           [--port-block-size N] [--port-blocks-per-host K] [--mappings-per-host N]
//           [--port-mapping nat-pmp,pcp,upnp|off] [--port-mapping-refuse on|off]
//           [--port-mapping-lifetime MIN-MAX] [--port-mapping-per-host N]
//           [--port-mapping-honour-port on|off] [--port-mapping-third-party on|off]
//           [--upnp-igd 1|2] [--upnp-permanent-only on|off]
//           [--ipv6 off|route|firewall|nptv6 --inside6 ADDR/64 --outside6 ADDR/64]
//           [--route6 PREFIX/LEN,NEXTHOP ...] [--ipv6-gateway ADDR] [--ipv6-filtering B]
//           [--ipv6-udp-timeout S] [--ipv6-tcp-timeout S] [--ipv6-refresh-on-inbound on|off]
//           [--ipv6-echo-inbound on|off] [--nptv6-prefix P/64] [--router-advertisements S]
//
// --type picks a preset (default port-restricted) or a profile of a real NAT
// (profile.h); every other NAT flag, when given, overrides the type's value. --outside-address
// may repeat: every address is external, all in the subnet of the first (later
// ones may leave the prefix out). Values are checked here, before any socket
// is opened, and a bad one is a SetupError naming the flag. --port-mapping
// names the protocols the NAT serves on its inside address (all off by
// default); the other --port-mapping-* flags are their policy (policy.h).
// The IPv6 flags are emu_options6.h's; IPv6 is off unless --ipv6 names a mode.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "simulator/nat/behaviour.h"
#include "simulator/nat/profile.h"
#include "simulator/portmap/policy.h"
#include "simulator/router/datapath6.h"
#include "simulator/router/route.h"
#include "src/net/endpoint.h"

namespace natlab::nat {

// An interface address with its prefix, "10.0.1.1/24": the address the
// emulator answers ARP for, and the subnet that is on-link.
struct InterfaceAddress {
    Ipv4 address;
    Cidr subnet;

    static std::optional<InterfaceAddress> parse(std::string_view text);
    std::string to_string() const;
};

struct EmuOptions {
    std::string name;
    std::string inside_interface;
    InterfaceAddress inside;
    std::string outside_interface;
    InterfaceAddress outside;        // the first external address; its subnet is on-link
    std::vector<Ipv4> outside_more;  // further external addresses, in the same subnet
    std::optional<Ipv4> gateway;
    NatType type = NatType::PortRestricted;  // the preset, when --type names one
    std::optional<NatProfile> profile;       // the profile, when --type names one
    NatConfig nat;
    portmap::Policy port_mapping;
    int upnp_version = 1;              // --upnp-igd: the IGD version served (1 or 2)
    bool upnp_permanent_only = false;  // --upnp-permanent-only: IGD:1 refuses leases (725)
    std::string events_path;           // empty: standard output
    std::optional<int> ready_fd;
    Ipv6Config ipv6;  // --ipv6 and the flags that go with it

    Routes routes() const { return {inside.subnet, outside.subnet, gateway}; }
    std::vector<Ipv4> outside_addresses() const;  // outside.address, then outside_more
};

// Parses the arguments after the program name. Throws SetupError or HelpRequested.
EmuOptions parse_options(const std::vector<std::string>& args);

}  // namespace natlab::nat
