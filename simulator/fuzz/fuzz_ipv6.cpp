// libFuzzer target: the IPv6 core (simulator/wire/ipv6_packet.h,
// simulator/v6/) over arbitrary packets, with the invariants each promises.
//
//   input: one mode byte, then an IPv6 packet (or, with bit 7 of the mode,
//   an IPv4 packet for the way back through NAT64). Bits 0-1 of the mode
//   pick the firewall's filtering behaviour.
//
// For a packet that parses:
//   - neighbour discovery: a valid solicitation's advertisement parses
//     again, with a right checksum, as a valid advertisement of its target;
//   - firewall: a packet from the inside prefix passes outbound, and then
//     the reverse UDP or TCP flow passes inbound, whatever the filtering;
//   - NPTv6: an inside source address leaves in the outside prefix, comes
//     back as itself, and the neutral rewrite keeps the checksum's verdict;
//   - rewrites of addresses and ports keep a right checksum right;
//   - NAT64: a translation to IPv4 parses as IPv4 with a right checksum,
//     and its translation back parses as IPv6 with a right checksum;
//   - NAT64 ICMP errors (either family): a translated error parses, has a
//     right checksum, fits its size (1280 bytes as IPv6, 576 as IPv4), was
//     readable by quoted_flow first, and translates back to an error whose
//     quoted flow is the original's.
//
//   ci/fuzz [SECONDS [PORTMAP_SECONDS]]
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "simulator/v6/firewall6.h"
#include "simulator/v6/icmp_translate.h"
#include "simulator/v6/ndp.h"
#include "simulator/v6/nptv6.h"
#include "simulator/v6/siit.h"
#include "simulator/wire/checksum.h"
#include "simulator/wire/icmp.h"
#include "src/fuzz/fuzz_entry.h"

namespace natlab::v6 {
namespace {

using nat::DropReason;
using nat::Ipv6Packet;
using nat::Protocol;

void check(bool ok) {
    if (!ok) std::abort();
}

const Ipv6Prefix kInside = *Ipv6Prefix::parse("fd00:1:0:1::/64");
const Ipv6Prefix kOutside = *Ipv6Prefix::parse("2001:2:0:10::/64");
const Ipv4 kPublic{0xc6120101};  // 198.18.1.1
const Ipv4 kServer{0xc6120002};  // 198.18.0.2

void neighbour_discovery(const Ipv6Packet& p) {
    std::string why;
    auto s = parse_solicitation(p, why);
    parse_advertisement(p, why);
    if (!s) return;
    nat::MacAddress mac{{2, 0, 0, 0, 0, 1}};
    auto na = build_advertisement(*s, s->target, mac);
    DropReason drop;
    auto back = Ipv6Packet::parse(na, drop);
    check(back && back->checksum_ok());
    auto a = parse_advertisement(*back, why);
    check(a && a->target == s->target && a->target_mac == mac);
}

// The /64 an address is in.
Ipv6Prefix lan_of(Ipv6 address) {
    for (int i = 8; i < 16; ++i) address.bytes[i] = 0;
    return {address, 64};
}

void firewall(const Ipv6Packet& p, std::uint8_t mode) {
    FirewallConfig config{static_cast<nat::FilteringBehaviour>((mode & 3) % 3)};
    Firewall6 fw(config, lan_of(p.source_address()));
    TimePoint now{};
    auto kind = p.protocol() == Protocol::Icmp ? nat::icmp6_kind(p.icmp_type()) : nat::Icmp6Kind::other;
    check(!fw.outbound(p.flow(), now));
    if (p.protocol() != Protocol::Icmp) check(!fw.inbound({p.destination(), p.source(), p.protocol()}, now));
    fw.inbound(p.flow(), now, kind);
    fw.inbound_error(p.flow(), now);
    fw.expire(now + std::chrono::hours(3));
    check(fw.states() == 0);
}

void nptv6(std::vector<std::byte> bytes) {
    DropReason why;
    auto p = Ipv6Packet::parse(bytes, why);
    Ipv6 inside = p->source_address();
    for (int i = 0; i < 8; ++i) inside.bytes[i] = kInside.base.bytes[i];
    std::string problem;
    auto npt = *Nptv6::make(kInside, kOutside, problem);
    auto out = npt.outbound(inside);
    if (!out) return;
    check(kOutside.contains(*out) && npt.inbound(*out) == inside);
    p->set_source_address(inside);
    bool before = p->checksum_ok();
    p->set_source_address_neutral(*out);
    check(p->checksum_ok() == before);
}

void rewrites(std::vector<std::byte> bytes) {
    DropReason why;
    auto p = Ipv6Packet::parse(bytes, why);
    if (!p->checksum_ok()) return;
    p->set_source_address(*Ipv6::parse("2001:2::77"));
    p->set_destination_address(kOutside.base);
    p->set_source_port(4242);
    p->set_destination_port(9);
    check(p->checksum_ok());
}

void nat64(const Ipv6Packet& p) {
    DropReason why;
    auto v4 = to_ipv4(p, kPublic, kServer, why);
    if (!v4) return;
    auto p4 = nat::Ipv4Packet::parse(*v4, why);
    check(p4.has_value());
    auto v6 = to_ipv6(*p4, p.destination_address(), p.source_address(), why);
    check(v6.has_value());
    auto back = Ipv6Packet::parse(*v6, why);
    check(back && back->checksum_ok());
}

void ipv4_to_ipv6(std::vector<std::byte> bytes) {
    DropReason why;
    auto p4 = nat::Ipv4Packet::parse(bytes, why);
    if (!p4) return;
    auto v6 = to_ipv6(*p4, *embed(kNat64WellKnown, p4->source().addr), kInside.base, why);
    if (!v6) return;
    auto back = Ipv6Packet::parse(*v6, why);
    // A TCP segment whose data offset points past a short quote, or an IPv4
    // UDP length shorter than the datagram, may still be refused here.
    if (back) check(back->checksum_ok());
}

// An ICMPv6 error to IPv4 and back, quoting with the original's own addresses and ports.
void icmp_error6(const Ipv6Packet& p) {
    DropReason why;
    auto flow = quoted_flow(p, why);
    auto v4 = icmp_error_to_ipv4(p, kPublic, kServer, {{kServer, 3478}, {kPublic, 40000}}, why);
    if (!v4) return;
    check(flow.has_value() && v4->size() <= nat::kIcmpErrorMaxSize);
    auto p4 = nat::Ipv4Packet::parse(*v4, why);
    check(p4 && nat::internet_checksum(p4->transport()) == 0 && is_icmp_error(*p4));
    auto v6 = icmp_error_to_ipv6(*p4, p.source_address(), p.destination_address(),
                                 {flow->source, flow->destination}, why);
    check(v6.has_value());
    auto back = Ipv6Packet::parse(*v6, why);
    check(back && back->checksum_ok() && quoted_flow(*back, why) == flow);
}

// An ICMPv4 error to IPv6 and back, the same way.
void icmp_error4(std::vector<std::byte> bytes) {
    DropReason why;
    auto p4 = nat::Ipv4Packet::parse(bytes, why);
    if (!p4 || !is_icmp_error(*p4)) return;
    auto flow = quoted_flow(*p4, why);
    Ipv6 server6 = *embed(kNat64WellKnown, p4->source().addr);
    auto v6 = icmp_error_to_ipv6(*p4, server6, kInside.base, {{kInside.base, 40000}, {server6, 3478}}, why);
    if (!v6) return;
    check(flow.has_value() && v6->size() <= nat::kIpv6MinimumMtu);
    auto p6 = Ipv6Packet::parse(*v6, why);
    check(p6 && p6->checksum_ok() && is_icmp_error(*p6));
    auto v4 = icmp_error_to_ipv4(*p6, p4->source().addr, p4->destination().addr,
                                 {flow->source, flow->destination}, why);
    check(v4.has_value());
    auto back = nat::Ipv4Packet::parse(*v4, why);
    check(back && nat::internet_checksum(back->transport()) == 0 && quoted_flow(*back, why) == flow);
}

}  // namespace
}  // namespace natlab::v6

extern "C" int NATLAB_FUZZ_ENTRY(const std::uint8_t* data, std::size_t size) {
    using namespace natlab;
    if (size < 2) return 0;
    std::vector<std::byte> bytes(size - 1);
    for (std::size_t i = 1; i < size; ++i) bytes[i - 1] = static_cast<std::byte>(data[i]);
    if (data[0] & 0x80) {
        v6::ipv4_to_ipv6(bytes);
        v6::icmp_error4(bytes);
        return 0;
    }
    nat::DropReason why;
    auto copy = bytes;
    auto p = nat::Ipv6Packet::parse(copy, why);
    if (!p) return 0;
    p->checksum_ok();
    v6::neighbour_discovery(*p);
    v6::firewall(*p, data[0]);
    v6::nptv6(bytes);
    v6::rewrites(bytes);
    v6::nat64(*p);
    v6::icmp_error6(*p);
    return 0;
}
