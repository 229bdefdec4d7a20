#include "simulator/v6/ndp.h"

#include "simulator/wire/bytes.h"

namespace natlab::v6 {
namespace {

using nat::load16;
using nat::load8;
using nat::store16;
using nat::store32;
using nat::store8;

constexpr std::uint8_t kHopLimit = 255;
constexpr std::uint8_t kSourceLinkLayer = 1;
constexpr std::uint8_t kTargetLinkLayer = 2;
constexpr std::uint8_t kPrefixInformation = 3;

void put_mac_option(std::span<std::byte> b, std::size_t at, std::uint8_t type, const nat::MacAddress& mac) {
    store8(b, at, type);
    store8(b, at + 1, 1);  // length in units of 8 bytes
    for (std::size_t i = 0; i < 6; ++i) store8(b, at + 2 + i, mac.octets[i]);
}

// The link-layer address option of `type` among the options from `at`;
// false when an option is malformed (length 0 or past the end: section 4.6).
bool find_mac(std::span<const std::byte> m, std::size_t at, std::uint8_t type,
              std::optional<nat::MacAddress>& out) {
    while (at + 2 <= m.size()) {
        std::size_t length = load8(m, at + 1) * 8u;
        if (length == 0 || at + length > m.size()) return false;
        if (load8(m, at) == type && length >= 8) {
            nat::MacAddress mac;
            for (std::size_t i = 0; i < 6; ++i) mac.octets[i] = load8(m, at + 2 + i);
            out = mac;
        }
        at += length;
    }
    return true;
}

// The checks every ND message passes (RFC 4861 sections 6.1.1, 7.1.1).
bool nd_valid(const nat::Ipv6Packet& p, std::uint8_t type, std::size_t least, std::string& why) {
    auto m = p.transport();
    if (p.protocol() != nat::Protocol::Icmp || p.icmp_type() != type) {
        why = "not ICMPv6 type " + std::to_string(type);
    } else if (p.hop_limit() != kHopLimit) {
        why = "hop limit " + std::to_string(p.hop_limit()) + ", not 255: it came through a router";
    } else if (load8(m, 1) != 0) {
        why = "ICMP code " + std::to_string(load8(m, 1)) + ", not 0";
    } else if (m.size() < least) {
        why = std::to_string(m.size()) + " bytes, fewer than " + std::to_string(least);
    } else if (!p.checksum_ok()) {
        why = "bad checksum";
    } else {
        return true;
    }
    return false;
}

std::vector<std::byte> icmp6(const Ipv6& source, const Ipv6& destination, std::size_t size) {
    return nat::build_ipv6(nat::Protocol::Icmp, source, destination, kHopLimit, size);
}

void finish(std::vector<std::byte>& p) {
    auto m = std::span{p}.subspan(nat::kIpv6HeaderSize);
    store16(m, 2,
            nat::transport_checksum6(nat::load_ipv6(p, 8), nat::load_ipv6(p, 24), nat::Protocol::Icmp, m));
}

}  // namespace

Ipv6 solicited_node(const Ipv6& target) {
    Ipv6 group = *Ipv6::parse("ff02::1:ff00:0");
    for (int i = 13; i < 16; ++i) group.bytes[i] = target.bytes[i];
    return group;
}

Ipv6 all_nodes() {
    return *Ipv6::parse("ff02::1");
}

nat::MacAddress multicast_mac(const Ipv6& group) {
    return {{0x33, 0x33, group.bytes[12], group.bytes[13], group.bytes[14], group.bytes[15]}};
}

Ipv6 link_local(const nat::MacAddress& mac) {
    Ipv6 a = *Ipv6::parse("fe80::");
    const auto& o = mac.octets;
    std::array<std::uint8_t, 8> id{
        static_cast<std::uint8_t>(o[0] ^ 0x02), o[1], o[2], 0xff, 0xfe, o[3], o[4], o[5]};
    for (std::size_t i = 0; i < 8; ++i) a.bytes[8 + i] = id[i];
    return a;
}

std::optional<Solicitation> parse_solicitation(const nat::Ipv6Packet& packet, std::string& why) {
    if (!nd_valid(packet, kNeighborSolicitation, 24, why)) return std::nullopt;
    auto m = packet.transport();
    Solicitation s{packet.source_address(), nat::load_ipv6(m, 8), std::nullopt};
    if (s.target.bytes[0] == 0xff) {
        why = "the target " + s.target.to_string() + " is multicast";
        return std::nullopt;
    }
    if (!find_mac(m, 24, kSourceLinkLayer, s.source_mac)) {
        why = "an option of length 0 or past the message";
        return std::nullopt;
    }
    if (s.source == Ipv6{} && s.source_mac) {
        why = "a solicitation from :: with a source link-layer address";
        return std::nullopt;
    }
    return s;
}

std::vector<std::byte> build_advertisement(const Solicitation& s, const Ipv6& own,
                                           const nat::MacAddress& mac) {
    bool dad = s.source == Ipv6{};
    auto p = icmp6(own, dad ? all_nodes() : s.source, 32);
    auto m = std::span{p}.subspan(nat::kIpv6HeaderSize);
    store8(m, 0, kNeighborAdvertisement);
    store32(m, 4, dad ? 0xa0000000u : 0xe0000000u);  // Router, Solicited (not for DAD), Override
    nat::store_ipv6(m, 8, s.target);
    put_mac_option(m, 24, kTargetLinkLayer, mac);
    finish(p);
    return p;
}

std::vector<std::byte> build_solicitation(const Ipv6& target, const Ipv6& own, const nat::MacAddress& mac) {
    auto p = icmp6(own, solicited_node(target), 32);
    auto m = std::span{p}.subspan(nat::kIpv6HeaderSize);
    store8(m, 0, kNeighborSolicitation);
    nat::store_ipv6(m, 8, target);
    put_mac_option(m, 24, kSourceLinkLayer, mac);
    finish(p);
    return p;
}

std::optional<Advertisement> parse_advertisement(const nat::Ipv6Packet& packet, std::string& why) {
    if (!nd_valid(packet, kNeighborAdvertisement, 24, why)) return std::nullopt;
    auto m = packet.transport();
    auto flags = load8(m, 4);
    Advertisement a{nat::load_ipv6(m, 8), std::nullopt, (flags & 0x80) != 0, (flags & 0x40) != 0,
                    (flags & 0x20) != 0};
    if (a.target.bytes[0] == 0xff) {
        why = "the target " + a.target.to_string() + " is multicast";
        return std::nullopt;
    }
    if (!find_mac(m, 24, kTargetLinkLayer, a.target_mac)) {
        why = "an option of length 0 or past the message";
        return std::nullopt;
    }
    return a;
}

std::vector<std::byte> build_router_advertisement(const RouterAdvertisementSpec& spec) {
    auto p = icmp6(spec.source, all_nodes(), 16 + 32 + 8);
    auto m = std::span{p}.subspan(nat::kIpv6HeaderSize);
    store8(m, 0, kRouterAdvertisement);
    store8(m, 4, 64);  // the hop limit hosts should use
    store16(m, 6, spec.router_lifetime);
    store8(m, 16, kPrefixInformation);
    store8(m, 17, 4);
    store8(m, 18, static_cast<std::uint8_t>(spec.prefix.length));
    store8(m, 19, 0xc0);  // on-link, autonomous
    store32(m, 20, spec.valid_lifetime);
    store32(m, 24, spec.preferred_lifetime);
    nat::store_ipv6(m, 32, spec.prefix.base);
    put_mac_option(m, 48, kSourceLinkLayer, spec.mac);
    finish(p);
    return p;
}

}  // namespace natlab::v6
