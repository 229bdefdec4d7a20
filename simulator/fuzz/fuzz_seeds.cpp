// Writes the fuzzer's seed corpus: a few hand-made conversations in the
// input format of fuzz_input.h, so that libFuzzer starts from frames that
// reach deep into the NAT (a UDP round trip and an ICMP error about it, a TCP
// connection with offload metadata, pings, hairpinning, noise, and IPv6:
// neighbour discovery, a firewall round trip and its refusals, echo, errors).
//
//   fuzz_frame_seeds DIR

#include <cstdio>
#include <fstream>
#include <string>

#include "simulator/fuzz/fuzz_input.h"
#include "simulator/router/arp.h"
#include "simulator/v6/ndp.h"
#include "simulator/wire/builder.h"
#include "simulator/wire/bytes.h"
#include "simulator/wire/checksum.h"
#include "simulator/wire/icmp.h"

namespace {

using namespace natlab;
using namespace natlab::nat;
using fuzz::Record;

const MacAddress kInside{{0x02, 0, 0, 0, 0, 0x01}};
const MacAddress kOutside{{0x02, 0, 0, 0, 0, 0x02}};
const MacAddress kHost{{0x02, 0, 0, 0, 0, 0x10}};
const MacAddress kHost2{{0x02, 0, 0, 0, 0, 0x11}};
const MacAddress kRemote{{0x02, 0, 0, 0, 0, 0x20}};
const Ipv4 kHostIp{0x0a000102}, kHost2Ip{0x0a000103}, kRemoteIp{0xc6120002}, kNatIp{0xc6120101},
    kLan{0x0a000101};

Record frame(Side side, MacAddress to, MacAddress from, std::uint16_t type,
             const std::vector<std::byte>& payload, int pause = 0) {
    Record r;
    r.side = side;
    r.pause_seconds = pause;
    r.frame.resize(kEthernetHeaderSize + payload.size());
    write_ethernet(r.frame, {to, from, type});
    std::copy(payload.begin(), payload.end(), r.frame.begin() + kEthernetHeaderSize);
    return r;
}

Record ip_in(const std::vector<std::byte>& d, MacAddress from = kHost) {
    return frame(Side::Inside, kInside, from, kEtherTypeIpv4, d);
}
Record ip_out(const std::vector<std::byte>& d, int pause = 0) {
    return frame(Side::Outside, kOutside, kRemote, kEtherTypeIpv4, d, pause);
}

std::vector<Record> arp_both() {
    auto ask = [](MacAddress mac, Ipv4 from, Ipv4 target, Side side) {
        Record r;
        r.side = side;
        r.frame = build_arp_frame({ArpOp::Request, mac, from, {}, target}, MacAddress::broadcast()).bytes;
        return r;
    };
    return {ask(kHost, kHostIp, kLan, Side::Inside), ask(kHost2, kHost2Ip, kLan, Side::Inside),
            ask(kRemote, kRemoteIp, kNatIp, Side::Outside)};
}

std::vector<std::byte> udp(Endpoint from, Endpoint to, std::uint8_t ttl = 64) {
    return build_udp_datagram({{from, to}, std::vector<std::byte>(12, std::byte{'u'}), ttl, true});
}

std::vector<std::byte> tcp(Endpoint from, Endpoint to, std::uint8_t flags) {
    TcpSegmentSpec spec;
    spec.flow = {from, to, Protocol::Tcp};
    spec.flags = flags;
    spec.mss = 1460;
    return build_tcp_segment(spec);
}

std::vector<Record> udp_and_error() {
    auto r = arp_both();
    r.push_back(ip_in(udp({kHostIp, 4000}, {kRemoteIp, 3478})));
    r.push_back(ip_out(udp({kRemoteIp, 3478}, {kNatIp, 4000})));
    auto sent = udp({kNatIp, 4000}, {kRemoteIp, 3478}, 63);
    r.push_back(ip_out(build_icmp_error(kRemoteIp, kIcmpDestinationUnreachable, kIcmpPortUnreachable, sent)));
    r.push_back(ip_out(udp({kRemoteIp, 3478}, {kNatIp, 4000}), 160));  // after expiry
    return r;
}

std::vector<Record> tcp_connection() {
    auto r = arp_both();
    auto syn = ip_in(tcp({kHostIp, 5000}, {kRemoteIp, 80}, kTcpSyn));
    syn.info.meta = {true, kEthernetHeaderSize + 20, 16, 0, 0, 0};
    r.push_back(syn);
    r.push_back(ip_out(tcp({kRemoteIp, 80}, {kNatIp, 5000}, kTcpSyn | kTcpAck)));
    r.push_back(ip_in(tcp({kHostIp, 5000}, {kRemoteIp, 80}, kTcpAck)));
    r.push_back(ip_in(tcp({kHostIp, 5000}, {kRemoteIp, 80}, kTcpFin | kTcpAck)));
    r.push_back(ip_out(tcp({kRemoteIp, 80}, {kNatIp, 5000}, kTcpFin | kTcpAck)));
    r.push_back(ip_out(tcp({kRemoteIp, 80}, {kNatIp, 5000}, kTcpRst)));
    return r;
}

std::vector<Record> pings() {
    auto r = arp_both();
    auto echo = [](Ipv4 from, Ipv4 to, bool request, std::uint8_t ttl = 64) {
        return build_icmp_echo({from, to, 7, 1, request, std::vector<std::byte>(8), ttl});
    };
    r.push_back(ip_in(echo(kHostIp, kRemoteIp, true)));
    r.push_back(ip_out(echo(kRemoteIp, kNatIp, false)));
    r.push_back(ip_in(echo(kHostIp, kLan, true)));
    r.push_back(ip_out(echo(kRemoteIp, kNatIp, true)));
    r.push_back(ip_in(echo(kHostIp, kRemoteIp, true, 1)));
    return r;
}

std::vector<Record> hairpin_and_noise() {
    auto r = arp_both();
    r.push_back(ip_in(udp({kHostIp, 4000}, {kRemoteIp, 3478})));
    r.push_back(ip_in(udp({kHost2Ip, 4001}, {kRemoteIp, 3478}), kHost2));
    r.push_back(ip_in(udp({kHostIp, 4000}, {kNatIp, 4001})));
    r.push_back(frame(Side::Outside, kOutside, kRemote, 0x86dd, std::vector<std::byte>(40)));
    auto fragment = udp({kHostIp, 4000}, {kRemoteIp, 3478});
    store16(fragment, 6, 0x2000);
    store16(fragment, 10, 0);
    store16(fragment, 10, internet_checksum(std::span{fragment}.first(20)));
    r.push_back(ip_in(fragment));
    return r;
}

Ipv6 ip6(const char* text) {
    return *Ipv6::parse(text);
}

Record v6_in(const std::vector<std::byte>& p, MacAddress to = kInside) {
    return frame(Side::Inside, to, kHost, kEtherTypeIpv6, p);
}
Record v6_out(const std::vector<std::byte>& p, int pause = 0, MacAddress to = kOutside) {
    return frame(Side::Outside, to, kRemote, kEtherTypeIpv6, p, pause);
}

std::vector<Record> ipv6_firewall() {
    const Ipv6 host = ip6("2001:2:0:1::2"), remote = ip6("2001:2::5"), lan = ip6("2001:2:0:1::1"),
               wan = ip6("2001:2::101");
    auto solicit = [](const Ipv6& from, const Ipv6& target, MacAddress mac) {
        return v6::build_solicitation(target, from, mac);
    };
    std::vector<std::byte> data(8, std::byte{'6'});
    auto out = build_udp6({host, 4000}, {remote, 3478}, data);
    std::vector<Record> r{
        v6_in(solicit(host, lan, kHost), v6::multicast_mac(v6::solicited_node(lan))),
        v6_out(solicit(remote, wan, kRemote), 0, v6::multicast_mac(v6::solicited_node(wan)))};
    r.push_back(v6_in(out));
    r.push_back(v6_out(build_udp6({remote, 3478}, {host, 4000}, data)));
    r.push_back(v6_out(build_udp6({remote, 9999}, {host, 4000}, data)));
    r.push_back(v6_out(build_icmp6_error(remote, kIcmpv6DestinationUnreachable, 4, out)));
    r.push_back(v6_in(build_echo6(host, lan, kIcmpv6EchoRequest, 9, data)));
    r.push_back(v6_in(build_udp6({host, 4000}, {remote, 3478}, data, 1)));
    r.push_back(v6_in(build_udp6({host, 4000}, {ip6("2001:2:0:2::9"), 53}, data)));
    r.push_back(v6_out(build_udp6({remote, 3478}, {host, 4000}, data), 160));  // after expiry
    return r;
}

// NAT64: a host's UDP and echo to 198.18.0.2 under 64:ff9b::/96, the answers, a refused error.
std::vector<Record> ipv6_nat64() {
    const Ipv6 host = ip6("2001:2:0:1::2"), lan = ip6("2001:2:0:1::1"), remote = ip6("64:ff9b::c612:2");
    std::vector<std::byte> data(8, std::byte{'6'});
    auto r = arp_both();
    r.push_back(v6_in(v6::build_solicitation(lan, host, kHost), v6::multicast_mac(v6::solicited_node(lan))));
    auto out = build_udp6({host, 4000}, {remote, 3478}, data);
    r.push_back(v6_in(out));
    r.push_back(ip_out(udp({kRemoteIp, 3478}, {kNatIp, 5000})));
    r.push_back(v6_in(build_echo6(host, remote, kIcmpv6EchoRequest, 9, data)));
    r.push_back(ip_out(build_icmp_echo({kRemoteIp, kNatIp, 5001, 1, false, data, 64})));
    r.push_back(v6_in(build_udp6({host, 4000}, {remote, 3478}, data, 1)));
    r.push_back(v6_in(build_icmp6_error(host, kIcmpv6DestinationUnreachable, 4, out)));
    return r;
}

void write(const std::string& path, std::uint8_t config, const std::vector<Record>& records) {
    std::vector<std::uint8_t> bytes{config};
    for (const auto& r : records) fuzz::append_record(bytes, r);
    std::ofstream{path, std::ios::binary}.write(reinterpret_cast<const char*>(bytes.data()),
                                                static_cast<std::streamsize>(bytes.size()));
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: fuzz_frame_seeds DIR\n");
        return 2;
    }
    std::string dir = argv[1];
    write(dir + "/udp_and_error", 0x08, udp_and_error());          // EIM, APDF
    write(dir + "/tcp_connection", 0x04, tcp_connection());        // EIM, ADF
    write(dir + "/pings", 0x0a, pings());                          // APDM, APDF
    write(dir + "/hairpin_and_noise", 0x10, hairpin_and_noise());  // EIM, EIF, hairpin
    write(dir + "/ipv6_firewall", 0x08, ipv6_firewall());          // IPv6 firewall, APDF
    write(dir + "/ipv6_nptv6", 0x0b, ipv6_firewall());  // nptv6 (the firewall's frames, other prefix)
    write(dir + "/ipv6_route", 0x0c, ipv6_firewall());  // route
    write(dir + "/ipv6_nat64", 0x38, ipv6_nat64());     // nat64, EIM, APDF, hairpin
    return 0;
}
