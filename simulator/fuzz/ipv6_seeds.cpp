// fuzz_ipv6's seeds (fuzz_ipv6.cpp's input: a mode byte, then a packet),
// from the project's builders: UDP, TCP and ICMPv6 echo over IPv6,
// neighbour discovery's three messages, IPv4 packets for NAT64's way back,
// and ICMP errors of both families for NAT64's error translation.
#include "simulator/fuzz/portmap_seeds.h"
#include "simulator/v6/ndp.h"
#include "simulator/wire/builder.h"
#include "simulator/wire/bytes.h"
#include "simulator/wire/checksum.h"
#include "simulator/wire/icmp.h"
#include "simulator/wire/ipv6_packet.h"

namespace natlab::nat::fuzz {
namespace {

Seed seed(std::string name, std::uint8_t mode, const std::vector<std::byte>& packet) {
    std::vector<std::uint8_t> input{mode};
    for (auto b : packet) input.push_back(static_cast<std::uint8_t>(b));
    return {std::move(name), std::move(input)};
}

std::vector<std::byte> text(std::string_view s) {
    std::vector<std::byte> out;
    for (char c : s) out.push_back(static_cast<std::byte>(c));
    return out;
}

std::vector<std::byte> tcp6_syn(Endpoint6 from, Endpoint6 to) {
    auto p = build_ipv6(Protocol::Tcp, from.addr, to.addr, 64, 20);
    auto t = std::span{p}.subspan(kIpv6HeaderSize);
    store16(t, 0, from.port);
    store16(t, 2, to.port);
    store32(t, 4, 1000);
    store8(t, 12, 5 << 4);
    store8(t, 13, kTcpSyn);
    store16(t, 14, 65535);
    store16(t, 16, transport_checksum6(from.addr, to.addr, Protocol::Tcp, t));
    return p;
}

// An ICMPv4 Fragmentation Needed (MTU 1400) about `original`.
std::vector<std::byte> fragmentation_needed(Ipv4 from, const std::vector<std::byte>& original) {
    auto p = build_icmp_error(from, kIcmpDestinationUnreachable, kIcmpFragmentationNeeded, original);
    auto message = std::span{p}.subspan(kIpv4HeaderSize);
    store16(message, 6, 1400);
    store16(message, 2, 0);
    store16(message, 2, icmp_checksum(message));
    return p;
}

std::vector<Seed> icmp_error_seeds(Endpoint6 host, Endpoint6 server) {
    const Endpoint v4_public{Ipv4{0xc6120101}, 40000}, v4_server{Ipv4{0xc6120002}, 3478};
    const Ipv4 v4_router{0xc6120001};
    auto udp4 = build_udp_datagram({{v4_public, v4_server, Protocol::Udp}, text("hello")});
    auto echo4 = build_icmp_echo({v4_public.addr, v4_server.addr, 77, 1, true, text("ping")});
    auto udp6 = build_udp6(server, host, text("hello"));
    auto echo6 = build_echo6(host.addr, server.addr, kIcmpv6EchoRequest, 77, text("ping"));
    auto too_big = build_icmp6_error(server.addr, 2, 0, echo6);
    store32(too_big, kIpv6HeaderSize + 4, 1400);
    auto message = std::span{too_big}.subspan(kIpv6HeaderSize);
    store16(message, 2, transport_checksum6(server.addr, host.addr, Protocol::Icmp, message));
    return {
        seed("icmp4-port-unreachable", 0x80, build_icmp_error(v4_router, 3, kIcmpPortUnreachable, udp4)),
        seed("icmp4-time-exceeded-echo", 0x80, build_icmp_error(v4_router, kIcmpTimeExceeded, 0, echo4)),
        seed("icmp4-fragmentation-needed", 0x80, fragmentation_needed(v4_router, udp4)),
        seed("icmp6-port-unreachable", 0, build_icmp6_error(host.addr, 1, 4, udp6)),
        seed("icmp6-packet-too-big", 0, too_big),
        seed("icmp6-time-exceeded", 0, build_icmp6_error(server.addr, 3, 0, echo6)),
    };
}

}  // namespace

std::vector<Seed> ipv6_seeds() {
    const Endpoint6 host{*Ipv6::parse("fd00:1:0:1::2"), 40000};
    const Endpoint6 server{*Ipv6::parse("2001:2::2"), 3478};
    const Ipv6 router = *Ipv6::parse("fd00:1:0:1::1");
    const MacAddress mac{{2, 0, 0x0a, 0, 1, 1}};
    auto ns = v6::build_solicitation(router, host.addr, mac);
    DropReason why;
    auto ns_view = Ipv6Packet::parse(ns, why);
    std::string problem;
    auto solicitation = v6::parse_solicitation(*ns_view, problem);
    const Endpoint v4_server{Ipv4{0xc6120002}, 3478}, v4_public{Ipv4{0xc6120101}, 40000};
    TcpSegmentSpec tcp;
    tcp.flow = {v4_server, v4_public, Protocol::Tcp};
    std::vector<Seed> seeds{
        seed("udp6", 0, build_udp6(host, server, text("hello"))),
        seed("udp6-adf", 1, build_udp6(host, server, text("hello"))),
        seed("tcp6-syn", 2, tcp6_syn(host, server)),
        seed("echo6-request", 0, build_echo6(host.addr, server.addr, kIcmpv6EchoRequest, 77, text("ping"))),
        seed("echo6-reply", 0, build_echo6(server.addr, host.addr, kIcmpv6EchoReply, 77, text("ping"))),
        seed("ndp-solicitation", 0, ns),
        seed("ndp-advertisement", 0, v6::build_advertisement(*solicitation, router, mac)),
        seed("ndp-router-advertisement", 0,
             v6::build_router_advertisement(
                 {v6::link_local(mac), mac, *Ipv6Prefix::parse("fd00:1:0:1::/64")})),
        seed("ipv4-udp", 0x80, build_udp_datagram({{v4_server, v4_public, Protocol::Udp}, text("hi")})),
        seed("ipv4-echo-reply", 0x80,
             build_icmp_echo({v4_server.addr, v4_public.addr, 77, 1, false, text("ping")})),
        seed("ipv4-tcp", 0x80, build_tcp_segment(tcp)),
    };
    for (auto& s : icmp_error_seeds(host, server)) seeds.push_back(std::move(s));
    return seeds;
}

}  // namespace natlab::nat::fuzz
